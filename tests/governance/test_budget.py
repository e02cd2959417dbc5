"""Budget proposals: a passed one posts its allocation to the ledger exactly once; the covenant's
disbursed total moves; the project's page shows it funded, from the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from covenant.access.principal import Principal
from covenant.errors import Conflict
from covenant.ledger.models import Kind, LedgerEntry
from covenant.ledger.services import allocation_post
from covenant.nations.tenancy import nation_scope
from governance.services import GOVERNANCE, ballot_cast, proposal_close
from sectors.core.models import Project
from tests.conftest import client_for
from tests.governance.conftest import add_members, council_of, opened


def project_in(nation, name: str = "District clinics") -> Project:
    with nation_scope(nation):
        return Project.objects.create(
            nation=nation, sector="health", name=name, budget_usd=Decimal("9000000.00")
        )


def allocations(nation) -> list[LedgerEntry]:
    with nation_scope(nation):
        return list(LedgerEntry.objects.filter(kind=Kind.ALLOCATION).prefetch_related("lines"))


@pytest.mark.django_db
def test_a_passed_budget_is_allocated_once_and_the_project_shows_funded(cast, kenya) -> None:
    project = project_in(kenya)
    voters = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    proposal = opened(
        council_of(kenya), voters[0], kind="budget", project=project, amount_usd="2500000.00"
    )
    before = client_for(None).get("/api/v1/covenant/").json()["disbursed_usd"]
    assert Client().get(f"/projects/{project.pk}/").content.decode().count("Funded:") == 0
    for voter in voters[:2]:
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=voter))
    closed = proposal_close(proposal=proposal, actor=Principal(user=voters[0]))
    assert closed.outcome == "passed"
    [entry] = allocations(kenya)
    assert entry.source == f"proposal:{proposal.pk}" and entry.reference == f"project:{project.pk}"
    assert entry.recorded_by == "system:governance"
    assert {(line.account, line.debit, line.credit) for line in entry.lines.all()} == {
        ("project_allocations", Decimal("2500000.00"), Decimal("0.00")),
        ("fund_cash", Decimal("0.00"), Decimal("2500000.00")),
    }
    after = client_for(None).get("/api/v1/covenant/").json()["disbursed_usd"]
    assert Decimal(after) - Decimal(before) == Decimal("2500000.00")
    page = Client().get(f"/projects/{project.pk}/").content.decode()
    assert "Funded: <strong>$2,500,000.00</strong>" in page
    assert f'href="/proposals/{proposal.pk}/"' in page
    # a second close, a retry by the beat: refused, nothing posted again
    for actor in (Principal(user=voters[0]), Principal.system("beat")):
        with pytest.raises(Conflict):
            proposal_close(proposal=closed, actor=actor)
    assert len(allocations(kenya)) == 1
    dashboard = Client().get("/dashboard/").content.decode()
    assert "$2,500,000.00" in dashboard  # the fund's disbursed figure


@pytest.mark.django_db
def test_a_rejected_or_unquorate_budget_allocates_nothing(cast, kenya) -> None:
    project = project_in(kenya)
    voters = [cast.user("KEN", "council_member"), *add_members(kenya, 2)]
    rejected = opened(
        council_of(kenya), voters[0], kind="budget", project=project, amount_usd="10.00"
    )
    ballot_cast(proposal=rejected, choice="no", actor=Principal(user=voters[1]))
    ballot_cast(proposal=rejected, choice="yes", actor=Principal(user=voters[2]))
    assert proposal_close(proposal=rejected, actor=Principal(user=voters[0])).outcome == "rejected"
    unquorate = opened(
        council_of(kenya), voters[0], kind="budget", project=project, amount_usd="10.00"
    )
    ballot_cast(proposal=unquorate, choice="yes", actor=Principal(user=voters[1]))
    assert (
        proposal_close(proposal=unquorate, actor=Principal(user=voters[0])).outcome == "no_quorum"
    )
    assert allocations(kenya) == []


@pytest.mark.django_db
def test_the_global_council_funds_a_project_in_its_nations_ledger(cast, kenya, brazil) -> None:
    project = project_in(brazil, "Amazon health boats")
    delegates = [cast.user("KEN", "delegate"), cast.user("BRA", "delegate")]
    proposal = opened(
        council_of(None), delegates[0], kind="budget", project=project, amount_usd="750000.25"
    )
    for delegate in delegates:
        ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=delegate))
    proposal_close(proposal=proposal, actor=Principal(user=delegates[0]))
    [entry] = allocations(brazil)
    assert entry.source == f"proposal:{proposal.pk}"
    assert allocations(kenya) == []


@pytest.mark.django_db
def test_an_allocation_already_posted_for_the_proposal_is_not_posted_again(cast, kenya) -> None:
    """Exactly once even if the posting exists already (a retry after a crash, say): the
    ledger's key per source refuses the second, and the close still completes."""
    project = project_in(kenya)
    member = cast.user("KEN", "council_member")
    proposal = opened(council_of(kenya), member, kind="budget", project=project, amount_usd="5.00")
    ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=member))
    allocation_post(
        nation=kenya,
        amount_usd=Decimal("5.00"),
        source=f"proposal:{proposal.pk}",
        actor=GOVERNANCE,
        on=proposal.closes_at.date(),
    )
    assert proposal_close(proposal=proposal, actor=Principal(user=member)).outcome == "passed"
    assert len(allocations(kenya)) == 1


@pytest.mark.django_db
def test_nobody_but_the_governance_system_posts_an_allocation(cast, kenya) -> None:
    from covenant.errors import Forbidden

    for person in (Principal(user=cast.platform_admin), cast.principal("KEN", "council_member")):
        with pytest.raises(Forbidden):
            allocation_post(
                nation=kenya,
                amount_usd=Decimal("1.00"),
                source="proposal:1",
                actor=person,
                on=__import__("datetime").date(2026, 1, 1),
            )


def test_an_allocations_source_links_to_its_proposal_page() -> None:
    from covenant.ledger.selectors import source_link

    assert source_link("proposal:7") == "/proposals/7/"
    assert source_link("proposal:seven") is None  # never an error on a project's page
    assert source_link("project:7") is None and source_link("") is None


@pytest.mark.django_db
def test_a_reversed_allocation_no_longer_funds_the_project(cast, kenya) -> None:
    from covenant.ledger.selectors import allocations_for
    from covenant.ledger.services import entry_reverse

    project = project_in(kenya)
    member = cast.user("KEN", "council_member")
    proposal = opened(council_of(kenya), member, kind="budget", project=project, amount_usd="70.00")
    ballot_cast(proposal=proposal, choice="yes", actor=Principal(user=member))
    proposal_close(proposal=proposal, actor=Principal(user=member))
    [entry] = allocations(kenya)
    entry_reverse(entry=entry, reason="booked twice", actor=Principal(user=cast.platform_admin))
    [allocation] = allocations_for(nation=kenya, reference=f"project:{project.pk}")
    assert allocation.reversed and allocation.amount_usd == Decimal("70.00")
    page = Client().get(f"/projects/{project.pk}/").content.decode()
    assert "Funded: <strong>$0.00</strong>" in page and "reversed" in page
