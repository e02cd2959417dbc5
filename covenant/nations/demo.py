"""Demo data: people in every role for two nations, and a realistic year of contributions."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone

from covenant.access.mfa import DEMO_TOTP_SECRET, totp_activate
from covenant.access.models import RoleAssignment, RoleStatus
from covenant.access.principal import SYSTEM, Principal
from covenant.access.roles import PRIVILEGED_ROLES, Role
from covenant.access.services import platform_admin_grant, role_grant, user_get_or_create
from covenant.ledger.models import Account, Kind, LedgerEntry
from covenant.ledger.services import Line, ledger_post, pledge_post
from covenant.nations.tenancy import all_nations, nation_scope

from .models import Nation

DEMO_PASSWORD = "covenant-demo-2026"
DEMO_NATIONS = ("KEN", "BRA")
DEMO_SECTOR = "energy"
# More seats, so that the demo's quorums and majorities are interesting: four more council
# members in each demo nation, and the delegates of six more nations in the Global Council.
DEMO_EXTRA_COUNCIL_MEMBERS = 4
DEMO_EXTRA_DELEGATES = ("DEU", "IND", "NGA", "JPN", "USA", "IDN")
SEED = Principal.system("seed")


def demo_accounts() -> list[tuple[str, str, str]]:
    """(e-mail, role, where) for every demo account, as `make run` prints them."""
    accounts = [("admin@covenant.test", "platform_admin", "all nations")]
    for iso3 in DEMO_NATIONS:
        code = iso3.lower()
        accounts += [
            (f"nation-admin.{code}@covenant.test", "nation_admin", iso3),
            (f"nation-admin2.{code}@covenant.test", "nation_admin", iso3),
            (f"council.{code}@covenant.test", "council_member", iso3),
            (f"delegate.{code}@covenant.test", "delegate", iso3),
            (f"steward.{code}@covenant.test", "sector_steward", f"{iso3} / {DEMO_SECTOR}"),
            (f"auditor.{code}@covenant.test", "auditor", iso3),
            (f"citizen.{code}@covenant.test", "citizen", iso3),
        ]
        accounts += [
            (f"council{number}.{code}@covenant.test", "council_member", iso3)
            for number in range(2, 2 + DEMO_EXTRA_COUNCIL_MEMBERS)
        ]
    accounts += [
        (f"delegate.{iso3.lower()}@covenant.test", "delegate", iso3)
        for iso3 in DEMO_EXTRA_DELEGATES
    ]
    return accounts


def demo_people_seed() -> int:
    """Create the demo accounts with the demo password; idempotent. Returns how many were new."""
    created_count = 0
    codes = {*DEMO_NATIONS, *DEMO_EXTRA_DELEGATES}
    nations = {nation.iso3: nation for nation in Nation.objects.filter(iso3__in=codes)}
    for email, role, where in demo_accounts():
        user, created = user_get_or_create(email=email)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created_count += 1
        if role in PRIVILEGED_ROLES:  # MFA is required of them: a fixed, printed TOTP secret
            totp_activate(user=user, secret=DEMO_TOTP_SECRET)
        if role == Role.PLATFORM_ADMIN:
            if not user.is_platform_admin:
                platform_admin_grant(user=user, actor=SYSTEM)
            continue
        nation = nations[where.split(" ")[0]]
        sector = DEMO_SECTOR if role == Role.SECTOR_STEWARD else ""
        with nation_scope(nation):
            held = RoleAssignment.objects.filter(
                user=user, role=role, sector=sector, status=RoleStatus.ACTIVE
            ).exists()
        if not held:
            role_grant(
                nation=nation, user=user, role=role, sector=sector, actor=SYSTEM, four_eyes=False
            )
    return created_count


def _split(amount: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """Split an amount into `parts` positive instalments summing exactly to it."""
    if parts == 1:
        return [amount]
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    total = sum(weights)
    shares = [
        (amount * Decimal(str(weight / total))).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        for weight in weights[:-1]
    ]
    shares.append(amount - sum(shares))
    return [share for share in shares if share > 0]


def demo_ledger_seed(*, year: int | None = None, seed: int = 2026) -> tuple[int, int]:
    """Post the year's pledges and a realistic pattern of contributions (deterministic):
    about 70 % of nations paid in full (in one to three instalments), 15 % in part, 15 % not
    yet. Idempotent: a year already pledged is left as it is. Returns (pledges, contributions)."""
    today = timezone.now().date()
    year = year or today.year
    with all_nations(reason="demo seeding: is the year already pledged?"):
        if LedgerEntry.objects.filter(kind=Kind.PLEDGE, fiscal_year=year).exists():
            return 0, 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    pledges = contributions = 0
    start = dt.date(year, 1, 15)
    end = min(today, dt.date(year, 12, 31))
    span = max((end - start).days, 1)
    with transaction.atomic():
        for nation in Nation.objects.filter(gdp_usd__isnull=False).order_by("iso3"):
            pledge_post(nation=nation, fiscal_year=year, actor=SEED)
            pledges += 1
            pledge = nation.annual_pledge_usd
            assert pledge is not None
            draw = rng.random()
            if draw < 0.70:
                paid = pledge
            elif draw < 0.85:
                paid = (pledge * Decimal(str(rng.uniform(0.25, 0.8)))).quantize(Decimal("0.01"))
            else:
                continue
            instalments = _split(paid, rng.choice((1, 1, 2, 3)), rng)
            days = sorted(rng.randrange(span) for _ in instalments)
            for number, (amount, day) in enumerate(zip(instalments, days, strict=True), 1):
                ledger_post(
                    nation=nation,
                    kind=Kind.CONTRIBUTION,
                    lines=[
                        Line(Account.FUND_CASH, debit=amount),
                        Line(Account.PLEDGES_RECEIVABLE, credit=amount),
                    ],
                    effective_on=start + dt.timedelta(days=day),
                    actor=SEED,
                    reference=f"DEMO-{nation.iso3}-{year}-{number}",
                    memo=f"Contribution received from {nation.iso3}",
                )
                contributions += 1
    return pledges, contributions
