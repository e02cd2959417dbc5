"""`manage.py seed`: every council (idempotent); with --demo, a living governance: open votes
the demo council member and delegate can vote on at once, closed votes with their bundles, a
passed budget that funded a project, a draft.

Idempotent: a closed (or draft) demo proposal is made once, by its title; an open one is made
again whenever none of that title is open (so that `make run`, days later, still has open
votes: the overdue ones are closed first, as the beat would have)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from covenant.access.models import RoleAssignment, RoleStatus
from covenant.access.principal import Principal
from covenant.accounts.models import User
from covenant.nations.demo import DEMO_NATIONS
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, global_scope, nation_scope, owner_scope
from covenant.seeding import SeedOptions, register_seed_step
from sectors.core.models import Project

from . import counting
from .models import Council, CouncilKind, Proposal, ProposalStatus
from .services import (
    ProposalFields,
    ballot_cast,
    councils_sync,
    proposal_close,
    proposal_create,
    proposal_open,
    proposals_tick,
)

SEED = Principal.system("seed")


@dataclass(frozen=True)
class DemoVote:
    title: str
    body: str
    ballots: tuple[str, ...]  # choices of the other seats, in seat order ("" = does not vote)
    state: str = "open"  # open | closed | draft
    rule: dict[str, str | None] = field(default_factory=dict)
    budget: tuple[str, str] | None = None  # (project name, amount)
    secret_ballot: bool = False
    hide_results_until_close: bool = False
    days: int = 5


NATIONAL: dict[str, list[DemoVote]] = {
    "KEN": [
        DemoVote(
            "Adopt the Kenya water-access charter",
            "Every county publishes its water-access figures each quarter, and the council "
            "reviews them at its next sitting.",
            ("yes", "no", "yes"),
            rule={"quorum": "0.5", "threshold": "simple"},
        ),
        DemoVote(
            "Fund the Rift Valley geothermal expansion's second phase",
            "Allocate the covenant's share of the second drilling phase.",
            ("yes",),
            rule={"quorum": "0.6", "threshold": "two_thirds"},
            budget=("Kenya Rift Valley Geothermal Expansion", "12500000.00"),
            hide_results_until_close=True,
        ),
        DemoVote(
            "Fund teacher training under the competency-based curriculum",
            "A first tranche for teacher training in the 47 counties.",
            ("yes", "yes", "yes", "no"),
            state="closed",
            rule={"quorum": "0.5", "threshold": "three_fifths"},
            budget=("Kenya Competency-Based Curriculum Skills Programme", "4800000.00"),
        ),
        DemoVote(
            "Publish the council's minutes within seven days",
            "Minutes of every sitting are public within a week.",
            ("no", "yes", "no"),
            state="closed",
            secret_ballot=True,
        ),
        DemoVote(
            "Review the drought reserve",
            "A draft: how much of the fund to hold back for drought relief.",
            (),
            state="draft",
        ),
    ],
    "BRA": [
        DemoVote(
            "Adopt open data for every covenant project in Brazil",
            "Project figures are published as open data under CC BY 4.0.",
            ("yes", "abstain"),
            rule={"quorum": "0.5", "threshold": "three_fifths", "base": "cast_with_abstain"},
        ),
        DemoVote(
            "Fund the Amazon river clinics' new boats",
            "Three more clinic boats for the Amazon network.",
            ("yes", "yes", "no", "yes"),
            state="closed",
            rule={"quorum": "0.5", "threshold": "simple"},
            budget=("Brazil Amazon River Clinics Network", "2100000.00"),
        ),
    ],
}
GLOBAL: list[DemoVote] = [
    DemoVote(
        "Adopt the covenant's climate-resilience standard",
        "Every funded project reports its climate-resilience measures yearly. Two thirds of "
        "the Penrose weight, and a majority of the nations voting.",
        ("", "yes", "yes", "no", "yes", "", "abstain"),
        rule={
            "quorum": "0.5",
            "threshold": "two_thirds",
            "weighting": "penrose",
            "double_majority": "0.55",
        },
    ),
    DemoVote(
        "Fund India's rural primary health network",
        "The Global Council funds a member nation's flagship.",
        ("yes", "", "no"),
        rule={"quorum": "0.5", "threshold": "simple", "weighting": "pledge"},
        budget=("India Rural Primary Health Care Network", "25000000.00"),
    ),
    DemoVote(
        "Fund Nigeria's rural broadband backbone",
        "Closed: weighted by pledge, with a double majority of the nations.",
        ("yes", "yes", "yes", "no", "yes", "no", "yes"),
        state="closed",
        rule={
            "quorum": "0.5",
            "threshold": "simple",
            "weighting": "pledge",
            "double_majority": "0.5",
        },
        budget=("Nigeria Rural Broadband Backbone", "18000000.00"),
    ),
]


def councils_seed_step(options: SeedOptions) -> None:
    result = councils_sync(actor=SEED)
    options.write(
        f"councils: {result['councils_created']} created, {result['seats_filled']} seats filled"
    )
    if options.demo:
        # The demo's past votes were announced before anyone arrived: no e-mail is printed;
        # and the demo people's every read of their own roles is not logged line by line.
        tenancy_log = logging.getLogger("covenant.tenancy")
        level = tenancy_log.level
        tenancy_log.setLevel(logging.WARNING)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                made = governance_demo_seed()
        finally:
            tenancy_log.setLevel(level)
        options.write(
            f"governance demo: {made['created']} proposals created, {made['open']} open; "
            "council.ken@ and delegate.ken@covenant.test can vote now"
        )


def _holders(council: Council) -> list[User]:
    """The users holding the council's seats, in seat order."""
    from .models import Seat

    with owner_scope(council.nation_id):
        seats = Seat.objects.filter(council=council, holder__isnull=False).select_related(
            "holder__user"
        )
        return [seat.holder.user for seat in seats.order_by("code") if seat.holder is not None]


def _demo_member(nation: Nation, role: str) -> User | None:
    """The demo's named person of a role (council.ken@, delegate.ken@): they vote themselves."""
    prefix = "council" if role == "council_member" else "delegate"
    email = f"{prefix}.{nation.iso3.lower()}@covenant.test"
    with nation_scope(nation):
        grant = (
            RoleAssignment.objects.filter(user__email=email, role=role, status=RoleStatus.ACTIVE)
            .select_related("user")
            .first()
        )
    return grant.user if grant else None


def _project(name: str) -> Project | None:
    with all_nations(reason="demo seeding: the flagship a demo budget proposal funds"):
        return Project.objects.filter(name=name).first()


def _exists(council: Council, vote: DemoVote) -> bool:
    with owner_scope(council.nation_id):
        proposals = Proposal.objects.filter(council=council, title=vote.title)
        if vote.state == "open":
            proposals = proposals.filter(status=ProposalStatus.OPEN)
        return proposals.exists()


def _make(council: Council, vote: DemoVote, proposer: User, voters: list[User]) -> bool:
    """Create, open, vote and close one demo proposal; False if it exists or cannot be made."""
    if _exists(council, vote):
        return False
    project = amount = None
    if vote.budget is not None:
        project = _project(vote.budget[0])
        if project is None:
            return False
        amount = Decimal(vote.budget[1])
    rule = counting.Rule.from_json({"quorum": "0.5", **vote.rule})
    proposal = proposal_create(
        council=council,
        actor=Principal(user=proposer),
        fields=ProposalFields(
            kind="budget" if project else "resolution",
            title=vote.title,
            body=vote.body,
            project=project,
            amount_usd=amount,
            rule=rule,
            closes_at=timezone.now() + dt.timedelta(days=vote.days),
            secret_ballot=vote.secret_ballot,
            hide_results_until_close=vote.hide_results_until_close,
        ),
    )
    if vote.state == "draft":
        return True
    proposal = proposal_open(proposal=proposal, actor=Principal(user=proposer))
    for voter, choice in zip(voters, vote.ballots, strict=False):
        if choice:
            ballot_cast(proposal=proposal, choice=choice, actor=Principal(user=voter))
    if vote.state == "closed":
        proposal_close(proposal=proposal, actor=SEED)
    return True


def governance_demo_seed() -> dict[str, int]:
    """The demo's proposals and ballots (see the module's docstring)."""
    proposals_tick()  # close what fell due since the last run, as the beat would have
    created = 0
    for iso3, votes in NATIONAL.items():
        if iso3 not in DEMO_NATIONS:
            continue
        nation = Nation.objects.get(iso3=iso3)
        with nation_scope(nation):
            council = Council.objects.filter(kind=CouncilKind.NATIONAL).first()
        named = _demo_member(nation, "council_member")
        if council is None or named is None:
            continue
        others = [user for user in _holders(council) if user.pk != named.pk]
        for vote in votes:
            # the named member leaves the open votes for the person trying the demo
            voters = others if vote.state == "open" else [*others, named]
            created += _make(council, vote, others[0] if others else named, voters)
    with global_scope():
        council = Council.objects.filter(kind=CouncilKind.GLOBAL).first()
    named = _demo_member(Nation.objects.get(iso3="KEN"), "delegate")
    if council is not None and named is not None:
        others = [user for user in _holders(council) if user.pk != named.pk]
        for vote in GLOBAL:
            voters = others if vote.state == "open" else [*others, named]
            created += _make(council, vote, others[0] if others else named, voters)
    with all_nations(reason="demo seeding: how many votes are open"):
        open_now = Proposal.objects.filter(
            Q(status=ProposalStatus.OPEN), Q(nation__iso3__in=DEMO_NATIONS) | Q(nation__isnull=True)
        ).count()
    return {"created": created, "open": open_now}


def register() -> None:
    register_seed_step("governance: councils", councils_seed_step)
