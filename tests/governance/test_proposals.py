"""Proposals: drafted by members, the rule fixed at creation and frozen once open (by the service
and by the database), draft → open → closed or withdrawn, by hand and on schedule."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from covenant.access.principal import Principal
from covenant.errors import Conflict, Forbidden, Invalid
from covenant.nations.tenancy import global_scope, nation_scope
from covenant.outbox.models import OutboxMessage
from governance import counting
from governance.models import Proposal, RosterEntry, Seat, VoteLogEntry
from governance.services import (
    BEAT,
    ProposalFields,
    ballot_cast,
    chair_set,
    proposal_close,
    proposal_open,
    proposal_update,
    proposal_withdraw,
    proposals_tick,
)
from sectors.core.models import Project
from tests.governance.conftest import add_delegates, add_members, council_of, draft, opened, rule


def project_in(nation, name: str = "Solar mini-grids") -> Project:
    with nation_scope(nation):
        return Project.objects.create(
            nation=nation, sector="energy", name=name, budget_usd=Decimal("5000000.00")
        )


def fields_of(proposal: Proposal, **changes) -> ProposalFields:
    values = {
        "kind": proposal.kind,
        "title": proposal.title,
        "body": proposal.body,
        "closes_at": proposal.closes_at,
        "project": proposal.project,
        "amount_usd": proposal.amount_usd,
        "rule": proposal.rule,
        "opens_at": proposal.opens_at,
        "secret_ballot": proposal.secret_ballot,
        "hide_results_until_close": proposal.hide_results_until_close,
    }
    values.update(changes)
    return ProposalFields(**values)


@pytest.mark.django_db
def test_a_member_drafts_a_proposal_with_its_rule(cast, kenya, kenyan_council) -> None:
    member = cast.user("KEN", "council_member")
    the_rule = rule(quorum="0.6", threshold="two_thirds", base="cast_with_abstain")
    proposal = draft(kenyan_council, member, the_rule=the_rule)
    assert proposal.status == "draft" and proposal.nation_id == kenya.pk
    assert proposal.proposer == member.pseudonym
    assert proposal.rule == the_rule
    assert proposal.rule.to_json()["quorum"] == "0.6"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "where"),
    [
        (("BRA", "council_member"), "KEN"),  # another nation's member
        (("KEN", "citizen"), "KEN"),
        (("KEN", "nation_admin"), "KEN"),  # admins read drafts but do not propose
        (("KEN", "council_member"), "global"),  # only delegates propose in the Global Council
    ],
)
def test_only_the_councils_members_draft(cast, kenya, who, where) -> None:
    council = council_of(kenya if where == "KEN" else None)
    with pytest.raises(Forbidden):
        draft(council, cast.user(*who))


@pytest.mark.django_db
def test_a_delegate_drafts_in_the_global_council(cast, global_council) -> None:
    proposal = draft(
        global_council, cast.user("BRA", "delegate"), the_rule=rule(weighting="penrose")
    )
    assert proposal.nation_id is None and proposal.weighting == "penrose"


@pytest.mark.django_db
def test_a_bad_proposal_gets_every_field_named(cast, kenya, brazil, kenyan_council) -> None:
    member = cast.user("KEN", "council_member")
    cases = [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "budget"}, "project"),
        ({"kind": "budget", "project": project_in(kenya)}, "amount_usd"),
        (
            {"kind": "budget", "project": project_in(brazil, "Other"), "amount_usd": "5.00"},
            "project",
        ),
        (
            {"kind": "budget", "project": project_in(kenya, "P3"), "amount_usd": "0.00"},
            "amount_usd",
        ),
        (
            {"kind": "budget", "project": project_in(kenya, "P4"), "amount_usd": "1.001"},
            "amount_usd",
        ),
        ({"project": project_in(kenya, "P5")}, "project"),
        ({"amount_usd": "10.00"}, "amount_usd"),
        ({"the_rule": rule(weighting="pledge")}, "rule.weighting"),
        ({"hours": -1}, "closes_at"),
        ({"hours": 24 * 400}, "closes_at"),
        ({"opens_in_hours": 49}, "opens_at"),
        ({"opens_in_hours": -2}, "opens_at"),
    ]
    for overrides, field in cases:
        with pytest.raises(Invalid) as error:
            draft(kenyan_council, member, **overrides)
        assert field in (error.value.fields or {}), (overrides, error.value.fields)
    with nation_scope(kenya):
        assert not Proposal.objects.exists()


@pytest.mark.django_db
def test_a_secret_ballot_needs_equal_weights(cast, global_council) -> None:
    with pytest.raises(Invalid) as error:
        draft(
            global_council,
            cast.user("KEN", "delegate"),
            the_rule=rule(weighting="pledge"),
            secret_ballot=True,
        )
    assert "secret_ballot" in error.value.fields


@pytest.mark.django_db
def test_the_global_council_funds_any_member_nations_project(cast, brazil, global_council) -> None:
    project = project_in(brazil)
    proposal = draft(
        global_council,
        cast.user("KEN", "delegate"),
        kind="budget",
        project=project,
        amount_usd="1250000.00",
    )
    assert proposal.project_id == project.pk and proposal.amount_usd == Decimal("1250000.00")


@pytest.mark.django_db
def test_opening_freezes_the_roster_and_publishes_its_hash(cast, kenya, kenyan_council) -> None:
    late_comers = add_members(kenya, 2)
    proposal = opened(kenyan_council, cast.user("KEN", "council_member"))
    assert proposal.status == "open" and proposal.opened_at is not None
    with nation_scope(kenya):
        roster = list(RosterEntry.objects.filter(proposal=proposal).order_by("seat_code"))
        first = VoteLogEntry.objects.get(proposal=proposal)
    assert len(roster) == 3 == proposal.roster_seats
    assert {entry.weight_text for entry in roster} == {"1.000000"}
    assert proposal.roster_weight_micro == 3_000_000
    holders = {entry.holder for entry in roster}
    assert holders == {cast.user("KEN", "council_member").pseudonym} | {
        u.pseudonym for u in late_comers
    }
    assert proposal.roster_hash == counting.roster_hash(
        [{"seat": e.seat_code, "holder": e.holder, "weight": e.weight_text} for e in roster]
    )
    assert first.event == "open" and first.sequence == 1 and first.prev_hash == "0" * 64
    assert json.loads(first.body)["roster_hash"] == proposal.roster_hash
    # a member granted after opening is not on the roster: 403
    newcomer = add_members(kenya, 1)[0]
    with pytest.raises(Forbidden):
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=newcomer))


@pytest.mark.django_db
def test_global_weights_are_snapshotted_from_the_pledges(cast, kenya, brazil, global_council):
    add_delegates(["PRK"])  # North Korea: no GDP, no pledge, weight 0
    proposal = opened(
        global_council, cast.user("KEN", "delegate"), the_rule=rule(weighting="penrose")
    )
    with global_scope():
        weights = {
            e.seat_code: e.weight_micro for e in RosterEntry.objects.filter(proposal=proposal)
        }
    assert weights == {
        "BRA": counting.penrose_weight_micro(str(brazil.annual_pledge_usd)),
        "KEN": counting.penrose_weight_micro(str(kenya.annual_pledge_usd)),
        "PRK": 0,
    }
    # √pledge, six places, half-even: Kenya's pledge is about 12 million dollars
    assert 3_000_000_000 < weights["KEN"] < 4_000_000_000


@pytest.mark.django_db
def test_the_rule_is_editable_while_a_draft_and_frozen_once_open(cast, kenyan_council) -> None:
    member = Principal(user=cast.user("KEN", "council_member"))
    proposal = draft(kenyan_council, member)
    edited = proposal_update(
        proposal=proposal,
        fields=fields_of(proposal, rule=rule(threshold="two_thirds")),
        actor=member,
    )
    assert edited.threshold == "two_thirds"
    proposal_open(proposal=edited, actor=member)
    with pytest.raises(Conflict):
        proposal_update(proposal=edited, fields=fields_of(edited, rule=rule()), actor=member)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("quorum", Decimal("0.1")),
        ("threshold", "unanimous"),
        ("base", "roster"),
        ("weighting", "pledge"),
        ("double_majority", Decimal("0.5")),
        ("title", "Something else"),
        ("closes_at", timezone.now() + dt.timedelta(days=30)),
        ("roster_hash", "f" * 64),
        ("status", "draft"),
    ],
)
def test_the_database_refuses_to_change_an_open_proposals_rule(
    cast, kenya, kenyan_council, column, value
) -> None:
    proposal = opened(kenyan_council, cast.user("KEN", "council_member"))
    with nation_scope(kenya):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            Proposal.objects.filter(pk=proposal.pk).update(**{column: value})
        # the live counters may move while it is open
        Proposal.objects.filter(pk=proposal.pk).update(reminded_at=timezone.now())


@pytest.mark.django_db
def test_a_closed_proposal_does_not_change_in_the_database(cast, kenya, kenyan_council) -> None:
    member = Principal(user=cast.user("KEN", "council_member"))
    proposal = proposal_close(proposal=opened(kenyan_council, member.user), actor=member)
    with nation_scope(kenya):
        for change in ({"outcome": "passed"}, {"yes_micro": 5}, {"status": "open"}):
            with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
                Proposal.objects.filter(pk=proposal.pk).update(**change)
        assert Proposal.objects.get(pk=proposal.pk).outcome == "no_quorum"


@pytest.mark.django_db
def test_the_proposer_or_a_chair_steers_a_proposal(cast, kenya, kenyan_council) -> None:
    proposer = cast.user("KEN", "council_member")
    other = add_members(kenya, 1)[0]
    proposal = draft(kenyan_council, proposer)
    for outsider in (
        Principal(user=other),
        cast.principal("KEN", "nation_admin"),
        cast.principal("BRA", "council_member"),
    ):
        with pytest.raises(Forbidden):
            proposal_open(proposal=proposal, actor=outsider)
    with nation_scope(kenya):
        seat = Seat.objects.get(holder__user=other)
    chair_set(seat=seat, chair=True, actor=cast.principal("KEN", "nation_admin"))
    assert proposal_open(proposal=proposal, actor=Principal(user=other)).status == "open"
    with pytest.raises(Conflict):
        proposal_open(proposal=proposal, actor=Principal(user=proposer))
    closed = proposal_close(proposal=proposal, actor=Principal(user=other))
    assert closed.status == "closed" and closed.outcome == "no_quorum"
    for service in (proposal_close, proposal_open, proposal_withdraw):
        with pytest.raises(Conflict):
            service(proposal=closed, actor=Principal(user=proposer))


@pytest.mark.django_db
def test_withdrawing_a_draft_or_an_open_vote(cast, kenya, kenyan_council) -> None:
    member = Principal(user=cast.user("KEN", "council_member"))
    assert (
        proposal_withdraw(proposal=draft(kenyan_council, member), actor=member).status
        == "withdrawn"
    )
    voting = opened(kenyan_council, member.user)
    ballot_cast(proposal=voting, choice="yes", actor=member)
    withdrawn = proposal_withdraw(proposal=voting, actor=member)
    assert withdrawn.status == "withdrawn" and withdrawn.outcome is None
    with nation_scope(kenya):
        events = list(VoteLogEntry.objects.filter(proposal=voting).values_list("event", flat=True))
    assert events == ["open", "ballot", "withdraw"]
    with pytest.raises(Conflict):
        ballot_cast(proposal=withdrawn, choice="no", actor=member)


@pytest.mark.django_db
def test_a_vote_needs_a_seated_council(cast, kenya, kenyan_council) -> None:
    from covenant.access.models import RoleAssignment
    from covenant.access.services import role_revoke

    member = cast.user("KEN", "council_member")
    proposal = draft(kenyan_council, member)
    with nation_scope(kenya):
        grant = RoleAssignment.objects.get(user=member, role="council_member")
    role_revoke(assignment=grant, actor=cast.principal("KEN", "nation_admin"))
    with pytest.raises(Conflict):
        proposal_open(proposal=proposal, actor=BEAT)


@pytest.mark.django_db
def test_the_beat_opens_and_closes_on_schedule_and_reminds_once(
    cast, kenya, kenyan_council, django_capture_on_commit_callbacks
) -> None:
    member = cast.user("KEN", "council_member")
    scheduled = draft(kenyan_council, member, opens_in_hours=1, hours=72)
    unscheduled = draft(kenyan_council, member, hours=72)
    now = timezone.now()
    assert proposals_tick(now=now)["opened"] == 0
    assert proposals_tick(now=now + dt.timedelta(hours=1, minutes=1))["opened"] == 1
    with nation_scope(kenya):
        assert Proposal.objects.get(pk=scheduled.pk).status == "open"
        assert Proposal.objects.get(pk=unscheduled.pk).status == "draft"
    # 24 hours before close: one reminder job, however often the beat runs
    before_close = scheduled.closes_at - dt.timedelta(hours=23)
    with django_capture_on_commit_callbacks(execute=False):
        assert proposals_tick(now=before_close)["reminded"] == 1
        assert proposals_tick(now=before_close + dt.timedelta(minutes=1))["reminded"] == 0
    assert (
        OutboxMessage.objects.filter(
            dedupe_key=f"governance:notify:{scheduled.pk}:reminder"
        ).count()
        == 1
    )
    done = proposals_tick(now=scheduled.closes_at + dt.timedelta(seconds=1))
    assert done["closed"] == 1
    with nation_scope(kenya):
        closed = Proposal.objects.get(pk=scheduled.pk)
    assert closed.status == "closed" and closed.outcome == "no_quorum"


@pytest.mark.django_db
def test_the_beat_does_not_open_a_draft_whose_time_has_passed(cast, kenya, kenyan_council) -> None:
    proposal = draft(kenyan_council, cast.user("KEN", "council_member"), opens_in_hours=1, hours=2)
    assert proposals_tick(now=proposal.closes_at + dt.timedelta(minutes=5)) == {
        "opened": 0,
        "closed": 0,
        "reminded": 0,
        "skipped": 0,
    }


@pytest.mark.django_db
def test_a_person_and_the_beat_closing_together_close_once(cast, kenya, kenyan_council) -> None:
    """The second closer finds it closed (409 for a person; the beat skips)."""
    member = Principal(user=cast.user("KEN", "council_member"))
    proposal = opened(kenyan_council, member.user, hours=1)
    proposal_close(proposal=proposal, actor=member)
    assert proposals_tick(now=proposal.closes_at + dt.timedelta(seconds=1))["closed"] == 0
    with nation_scope(kenya):
        assert VoteLogEntry.objects.filter(proposal=proposal, event="close").count() == 1


@pytest.mark.django_db
def test_the_operator_runs_the_schedule_by_hand(cast, kenya, kenyan_council) -> None:
    from io import StringIO
    from unittest import mock

    from django.core.management import call_command

    from covenant.audit.models import AuditEntry

    proposal = opened(kenyan_council, cast.user("KEN", "council_member"), hours=1)
    out = StringIO()
    later = proposal.closes_at + dt.timedelta(seconds=1)
    with mock.patch("governance.services.timezone.now", return_value=later):
        call_command("governance_tick", stdout=out)
    assert "closed 1" in out.getvalue()
    closing = AuditEntry.objects.filter(action="proposal.closed").get()
    assert closing.actor == "system:operator"
    with pytest.raises(Forbidden):
        proposals_tick(actor=Principal(user=cast.user("KEN", "council_member")))
