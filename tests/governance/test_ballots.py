"""Ballots: one per seat (a unique constraint), changed until close (the last counts), every
event in the per-proposal hash chain; 403 off the roster, 409 when not open, 400 for a bad
choice; hidden and secret ballots log commitments, never choices."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from covenant.access.principal import Principal
from covenant.audit.models import AuditEntry
from covenant.errors import Conflict, Forbidden, Invalid
from covenant.nations.tenancy import global_scope, nation_scope
from governance import counting
from governance.models import Ballot, Proposal, RosterEntry, VoteLogEntry
from governance.services import (
    ballot_cast,
    proposal_close,
    proposal_open,
    tally_recount,
)
from tests.governance.conftest import add_delegates, add_members, draft, opened, rule


def log_of(proposal: Proposal) -> list[VoteLogEntry]:
    with nation_scope(proposal.nation_id) if proposal.nation_id else global_scope():
        return list(VoteLogEntry.objects.filter(proposal=proposal).order_by("sequence"))


def chain_of(proposal: Proposal) -> list[dict]:
    return [
        {"sequence": e.sequence, "prev_hash": e.prev_hash, "hash": e.hash, "body": e.body}
        for e in log_of(proposal)
    ]


@pytest.fixture
def voters(cast, kenya) -> list[Principal]:
    """The cast's council member and four more: five seats."""
    return [Principal(user=cast.user("KEN", "council_member"))] + [
        Principal(user=user) for user in add_members(kenya, 4)
    ]


@pytest.mark.django_db
def test_a_seat_votes_changes_its_mind_and_the_last_ballot_counts(
    cast, kenya, kenyan_council, voters
) -> None:
    proposal = opened(kenyan_council, voters[0].user)
    first = ballot_cast(proposal=proposal, choice="yes", actor=voters[1])
    assert first.created and first.changed and len(first.receipt) == 64
    again = ballot_cast(proposal=proposal, choice="yes", actor=voters[1])
    assert not again.changed and again.receipt == first.receipt  # a retry is harmless
    changed = ballot_cast(proposal=proposal, choice="no", actor=voters[1])
    assert changed.changed and not changed.created and changed.receipt != first.receipt
    ballot_cast(proposal=proposal, choice="yes", actor=voters[2])
    ballot_cast(proposal=proposal, choice="abstain", actor=voters[3])
    with nation_scope(kenya):
        assert Ballot.objects.filter(proposal=proposal).count() == 3
        live = Proposal.objects.get(pk=proposal.pk)
    assert live.live_tally == counting.Tally(
        yes=1, no=1, abstain=1, yes_seats=1, no_seats=1, abstain_seats=1
    )
    assert tally_recount(live) == live.live_tally
    log = log_of(proposal)
    assert [e.event for e in log] == ["open", "ballot", "ballot", "ballot", "ballot"]
    assert [json.loads(e.body).get("choice") for e in log[1:]] == ["yes", "no", "yes", "abstain"]
    assert counting.verify_chain(chain_of(proposal), proposal=proposal.pk).ok
    assert log[-1].hash == live.log_head
    # every vote is audited, by pseudonym and receipt, never by choice
    entries = AuditEntry.objects.filter(action="ballot.cast").order_by("sequence")
    assert entries.count() == 4
    assert entries.first().data["receipt"] == first.receipt
    assert all("choice" not in e.data and "@" not in json.dumps(e.data) for e in entries)
    closed = proposal_close(proposal=proposal, actor=voters[0])
    assert closed.outcome == "rejected"  # 1 yes, 1 no: a tie under simple fails


@pytest.mark.django_db
def test_bad_choice_off_roster_and_not_open(cast, kenya, brazil, kenyan_council, voters) -> None:
    proposal = draft(kenyan_council, voters[0].user)
    with pytest.raises(Invalid) as bad:
        ballot_cast(proposal=proposal, choice="maybe", actor=voters[1])
    assert "choice" in bad.value.fields
    with pytest.raises(Conflict):  # a member, but the vote is not open yet
        ballot_cast(proposal=proposal, choice="yes", actor=voters[1])
    for outsider in ("council_member", "delegate", "nation_admin"):
        with pytest.raises(Forbidden):
            ballot_cast(proposal=proposal, choice="yes", actor=cast.principal("BRA", outsider))
    proposal_open(proposal=proposal, actor=voters[0])
    for outsider in (
        cast.principal("BRA", "council_member"),
        cast.principal("KEN", "delegate"),
        cast.principal("KEN", "nation_admin"),
        Principal(user=cast.platform_admin),
        Principal(user=None),
    ):
        with pytest.raises(Forbidden):
            ballot_cast(proposal=proposal, choice="yes", actor=outsider)
    proposal_close(proposal=proposal, actor=voters[0])
    with pytest.raises(Conflict):
        ballot_cast(proposal=proposal, choice="yes", actor=voters[1])
    with pytest.raises(Forbidden):
        ballot_cast(proposal=proposal, choice="yes", actor=cast.principal("BRA", "council_member"))


@pytest.mark.django_db
def test_no_ballot_after_the_closing_time_even_before_the_beat(
    cast, kenya, kenyan_council, voters
) -> None:
    proposal = opened(kenyan_council, voters[0].user)
    with nation_scope(kenya):
        Proposal.objects.filter(pk=proposal.pk).update(reminded_at=timezone.now())
        # closes_at is frozen once open: move the clock instead
    later = proposal.closes_at + dt.timedelta(seconds=1)
    from unittest import mock

    with mock.patch("governance.services.timezone.now", return_value=later):
        with pytest.raises(Conflict):
            ballot_cast(proposal=proposal, choice="yes", actor=voters[1])


@pytest.mark.django_db
def test_a_revoked_member_no_longer_votes_and_a_new_delegate_votes_for_the_nation(
    cast, kenya, global_council
) -> None:
    from covenant.access.models import RoleAssignment
    from covenant.access.principal import SYSTEM
    from covenant.access.services import role_grant, role_revoke
    from tests.conftest import make_user

    proposal = opened(global_council, cast.user("KEN", "delegate"))
    with nation_scope(kenya):
        old = RoleAssignment.objects.get(role="delegate", status="active")
    role_revoke(assignment=old, actor=SYSTEM)
    with pytest.raises(Forbidden):
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=old.user))
    successor = make_user("successor@covenant.test")
    role_grant(nation=kenya, user=successor, role="delegate", actor=SYSTEM, four_eyes=False)
    cast_ballot = ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=successor))
    assert (
        cast_ballot.ballot.seat_code == "KEN" and cast_ballot.ballot.cast_by == successor.pseudonym
    )


@pytest.mark.django_db
def test_a_person_holding_two_seats_names_the_seat(cast, kenya, brazil, global_council) -> None:
    from covenant.access.models import RoleAssignment
    from covenant.access.principal import SYSTEM
    from covenant.access.services import role_grant, role_revoke

    double = cast.user("KEN", "delegate")
    with nation_scope(brazil):
        role_revoke(assignment=RoleAssignment.objects.get(role="delegate"), actor=SYSTEM)
    role_grant(nation=brazil, user=double, role="delegate", actor=SYSTEM, four_eyes=False)
    proposal = opened(global_council, double)
    with pytest.raises(Invalid) as error:
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=double))
    assert "seat" in error.value.fields
    for seat, choice in (("KEN", "yes"), ("BRA", "no")):
        assert (
            ballot_cast(
                proposal=proposal, choice=choice, actor=Principal(user=double), seat_code=seat
            ).ballot.seat_code
            == seat
        )
    with pytest.raises(Forbidden):
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=double), seat_code="USA")


@pytest.mark.django_db
@pytest.mark.parametrize(("secret", "hidden"), [(True, False), (False, True), (True, True)])
def test_hidden_and_secret_ballots_are_logged_as_commitments(
    cast, kenya, kenyan_council, voters, secret, hidden
) -> None:
    proposal = opened(
        kenyan_council, voters[0].user, secret_ballot=secret, hide_results_until_close=hidden
    )
    cast_ballot = ballot_cast(proposal=proposal, choice="no", actor=voters[1])
    assert cast_ballot.committed
    entry = log_of(proposal)[-1]
    body = json.loads(entry.body)
    assert "choice" not in body and '"no"' not in entry.body
    ballot = cast_ballot.ballot
    assert body["commitment"] == counting.ballot_commitment(
        proposal=proposal.pk,
        seat=ballot.seat_code,
        choice="no",
        salt=ballot.salt,
        tracker=ballot.tracker,
    )
    assert bool(ballot.tracker) == secret
    changed = ballot_cast(proposal=proposal, choice="yes", actor=voters[1]).ballot
    assert changed.tracker == ballot.tracker  # one tracker per seat: the last ballot counts
    assert changed.salt != ballot.salt


@pytest.mark.django_db
def test_the_database_protects_the_votes(cast, kenya, kenyan_council, voters) -> None:
    proposal = opened(kenyan_council, voters[0].user)
    cast_ballot = ballot_cast(proposal=proposal, choice="yes", actor=voters[1]).ballot
    base = {
        "nation": kenya,
        "proposal": proposal,
        "weight_micro": 1_000_000,
        "cast_by": "p_x",
        "cast_at": timezone.now(),
        "receipt": "a" * 64,
        "sequence": 9,
    }
    with nation_scope(kenya):
        with pytest.raises(IntegrityError), transaction.atomic():  # one ballot per seat
            Ballot.objects.create(seat_code=cast_ballot.seat_code, choice="no", **base)
        with pytest.raises(IntegrityError), transaction.atomic():  # a valid choice
            Ballot.objects.create(seat_code="KEN-x", choice="maybe", **base)
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            Ballot.objects.filter(pk=cast_ballot.pk).update(weight_micro=9_000_000)
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            Ballot.objects.filter(pk=cast_ballot.pk).delete()
        entry = VoteLogEntry.objects.filter(proposal=proposal).last()
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            VoteLogEntry.objects.filter(pk=entry.pk).update(body="{}")
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            VoteLogEntry.objects.filter(pk=entry.pk).delete()
        with pytest.raises(IntegrityError), transaction.atomic():  # the chain cannot fork
            VoteLogEntry.objects.create(
                nation=kenya,
                proposal=proposal,
                sequence=99,
                event="ballot",
                body="{}",
                prev_hash=entry.prev_hash,
                hash="b" * 64,
                recorded_at=timezone.now(),
            )
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            RosterEntry.objects.filter(proposal=proposal).update(weight_micro=5)
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            RosterEntry.objects.filter(proposal=proposal).delete()
    proposal_close(proposal=proposal, actor=voters[0])
    with nation_scope(kenya):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():  # closed
            Ballot.objects.filter(pk=cast_ballot.pk).update(choice="no")
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            Ballot.objects.create(seat_code="KEN-late", choice="no", **base)
        assert Ballot.objects.get(pk=cast_ballot.pk).choice == "yes"


@pytest.mark.django_db
def test_weighted_ballots_count_their_snapshotted_weight(cast, kenya, brazil, global_council):
    delegates = [cast.user("KEN", "delegate"), cast.user("BRA", "delegate")]
    delegates += add_delegates(["DEU"])
    proposal = opened(global_council, delegates[0], the_rule=rule(weighting="pledge"))
    for delegate, choice in zip(delegates, ["yes", "no", "yes"], strict=True):
        ballot_cast(proposal=proposal, choice=choice, actor=Principal(user=delegate))
    with global_scope():
        live = Proposal.objects.get(pk=proposal.pk)
    from covenant.nations.models import Nation

    germany = Nation.objects.get(iso3="DEU")
    assert live.live_tally.yes == kenya.annual_pledge_usd + germany.annual_pledge_usd
    assert live.live_tally.no == brazil.annual_pledge_usd
    closed = proposal_close(proposal=live, actor=Principal(user=delegates[0]))
    # Germany's and Kenya's pledges outweigh Brazil's
    assert closed.outcome == (
        "passed"
        if germany.annual_pledge_usd + kenya.annual_pledge_usd > brazil.annual_pledge_usd
        else "rejected"
    )
