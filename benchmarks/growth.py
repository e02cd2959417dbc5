"""Grow the bench database's data by a factor, to check that query counts do not grow with it.

Each grower is `grower(factor)` and multiplies its own data by about `factor` from the seeded
size. Growers run inside a configured Django process against the bench database. To grow another
kind of data, append to GROWERS, e.g. the sectors' projects (seeded 500, grown to 500 x factor):

    def grow_projects(factor: int) -> str:
        ...generate 500 * (factor - 1) more projects deterministically...
        return "projects: 500 -> 50000"

    GROWERS.append(grow_projects)
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

# The seeded project count (run.py passes it to `seed --projects`), and the grown one.
BASE_PROJECTS = 500
GROWN_PROJECTS = 50_000


def grow_ledger(factor: int) -> str:
    """The demo seed posts one year of pledges and contributions; post factor - 1 earlier years
    (demo_ledger_seed is idempotent per year), so the ledger holds `factor` years."""
    from covenant.nations.demo import demo_ledger_seed

    this_year = timezone.now().year
    pledges = contributions = 0
    for back in range(1, factor):
        year = this_year - back
        made = demo_ledger_seed(year=year, seed=year)
        pledges += made[0]
        contributions += made[1]
    return f"ledger: {factor - 1} more years, {pledges} pledges, {contributions} contributions"


def grow_projects(factor: int) -> str:
    """The sectors' projects, from the seeded 500 to 50,000 (a hundredfold, whatever `factor`:
    the sector endpoints must keep their query counts at the spec's 50,000)."""
    from sectors.core.seed import projects_generate
    from sectors.core.services import sector_statistics_changed

    created = projects_generate(GROWN_PROJECTS)
    sector_statistics_changed()
    return f"projects: {created} generated, {BASE_PROJECTS} -> {GROWN_PROJECTS}"


GROWERS: list[Callable[[int], str]] = [grow_ledger, grow_projects]

# Tables whose row counts the report shows before and after growth (missing tables are skipped).
# Append yours with your grower, e.g. the sectors' project table.
GROWTH_TABLES: list[str] = [
    "ledger_ledgerentry",
    "ledger_ledgerline",
    "audit_auditentry",
    "sectors_core_project",
    "sectors_core_projectmetric",
]


def grow_data(factor: int) -> list[str]:
    """Run every grower; returns what each one did, for the report."""
    return [grower(factor) for grower in GROWERS]
