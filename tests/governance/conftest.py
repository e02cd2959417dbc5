"""Governance fixtures: councils seated by the conftest's cast, more council members on
demand, and a proposal maker with the rule's numbers in its arguments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from covenant.access.principal import SYSTEM, Principal
from covenant.access.services import role_grant
from covenant.accounts.models import User
from covenant.nations.models import Nation
from covenant.nations.tenancy import global_scope, nation_scope
from governance import counting
from governance.models import Council, CouncilKind, Proposal
from governance.services import ProposalFields, proposal_create, proposal_open
from tests.conftest import make_user


def council_of(nation: Nation | None) -> Council:
    if nation is None:
        with global_scope():
            return Council.objects.get(kind=CouncilKind.GLOBAL)
    with nation_scope(nation):
        return Council.objects.get(kind=CouncilKind.NATIONAL)


def add_members(nation: Nation, count: int, *, role: str = "council_member") -> list[User]:
    """`count` more people holding `role` in `nation` (each seated by the grant)."""
    people = []
    prefix = f"m{nation.iso3.lower()}-"
    existing = User.objects.filter(email__startswith=prefix).count()
    for number in range(existing, existing + count):
        user = make_user(f"{prefix}{number:03d}@covenant.test")
        role_grant(nation=nation, user=user, role=role, actor=SYSTEM, four_eyes=False)
        people.append(user)
    return people


def add_delegates(iso3s: list[str]) -> list[User]:
    """A delegate for each of these nations (seated in the Global Council)."""
    people = []
    for iso3 in iso3s:
        nation = Nation.objects.get(iso3=iso3)
        user = make_user(f"delegate-{iso3.lower()}@covenant.test")
        role_grant(nation=nation, user=user, role="delegate", actor=SYSTEM, four_eyes=False)
        people.append(user)
    return people


def rule(
    quorum: str = "0.5",
    threshold: str = "simple",
    base: str = "cast",
    weighting: str = "equal",
    double_majority: str | None = None,
) -> counting.Rule:
    return counting.Rule.from_json(
        {
            "quorum": quorum,
            "threshold": threshold,
            "base": base,
            "weighting": weighting,
            "double_majority": double_majority,
        }
    )


def draft(
    council: Council,
    proposer: User | Principal,
    *,
    kind: str = "resolution",
    title: str = "Adopt the water charter",
    project: Any = None,
    amount_usd: str | None = None,
    the_rule: counting.Rule | None = None,
    hours: float = 48,
    opens_in_hours: float | None = None,
    secret_ballot: bool = False,
    hide_results_until_close: bool = False,
) -> Proposal:
    actor = proposer if isinstance(proposer, Principal) else Principal(user=proposer)
    now = timezone.now()
    return proposal_create(
        council=council,
        actor=actor,
        fields=ProposalFields(
            kind=kind,
            title=title,
            body="Whereas water is life.",
            project=project,
            amount_usd=None if amount_usd is None else Decimal(amount_usd),
            rule=the_rule or counting.Rule(),
            closes_at=now + dt.timedelta(hours=hours),
            opens_at=None if opens_in_hours is None else now + dt.timedelta(hours=opens_in_hours),
            secret_ballot=secret_ballot,
            hide_results_until_close=hide_results_until_close,
        ),
    )


def opened(council: Council, proposer: User, **kwargs: Any) -> Proposal:
    proposal = draft(council, proposer, **kwargs)
    return proposal_open(proposal=proposal, actor=Principal(user=proposer))


@pytest.fixture(autouse=True)
def _jobs_run_in_process(settings: Any) -> None:
    """Jobs run in this process after commit (Celery eager), on both passes of the suite; the
    real broker and worker are tested in test_worker.py."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def kenyan_council(cast: Any, kenya: Nation) -> Council:
    return council_of(kenya)


@pytest.fixture
def global_council(cast: Any) -> Council:
    return council_of(None)
