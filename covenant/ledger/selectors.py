"""Reads of the ledger. Totals are derived from the lines, one aggregate query at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from covenant.access.principal import Principal, may
from covenant.caching.generations import cached, data_changed
from covenant.errors import Forbidden
from covenant.money import cents
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, nation_scope

from .models import Account, Kind, LedgerEntry, LedgerLine

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LedgerTotals:
    pledged_usd: Decimal = ZERO
    received_usd: Decimal = ZERO
    disbursed_usd: Decimal = ZERO
    balance_usd: Decimal = ZERO
    outstanding_usd: Decimal = ZERO


def _coalesce_sums() -> dict[str, Sum]:
    """Sums of each account's debits and credits in whole cents (exact on SQLite too)."""
    return {
        f"{side}_{account.value}": Sum(cents(side), filter=Q(account=account))
        for account in Account
        for side in ("debit", "credit")
    }


def _totals_from_sums(row: dict) -> LedgerTotals:
    def net(account: Account, *, credit_normal: bool = False) -> Decimal:
        debit = int(row.get(f"debit_{account.value}") or 0)
        credit = int(row.get(f"credit_{account.value}") or 0)
        value = (credit - debit) if credit_normal else (debit - credit)
        return (Decimal(value) / 100).quantize(Decimal("0.01"))

    pledged = net(Account.PLEDGE_REVENUE, credit_normal=True)
    outstanding = net(Account.PLEDGES_RECEIVABLE)
    return LedgerTotals(
        pledged_usd=pledged,
        # received = pledged − still outstanding: every credit to the receivable that a pledge
        # did not put there, net of reversals.
        received_usd=pledged - outstanding,
        disbursed_usd=net(Account.PROJECT_ALLOCATIONS),
        balance_usd=net(Account.FUND_CASH),
        outstanding_usd=outstanding,
    )


NATION_TOTALS_CACHE_KEY = "covenant:ledger:nation-totals:v2"


def ledger_totals_changed() -> None:
    """Call inside the transaction of a posting: the totals change with it (covenant.caching)."""
    data_changed("ledger")


def _compute_nation_totals() -> dict[int, LedgerTotals]:
    with all_nations(reason="public per-nation ledger totals"):
        rows = LedgerLine.objects.values("nation_id").order_by().annotate(**_coalesce_sums())
        return {row["nation_id"]: _totals_from_sums(row) for row in rows}


def _all_nation_totals() -> dict[int, LedgerTotals]:
    return cached(NATION_TOTALS_CACHE_KEY, _compute_nation_totals, depends_on=("ledger",))


def ledger_totals_by_nation(*, nation_ids: list[int] | None = None) -> dict[int, LedgerTotals]:
    """Totals per nation (all nations, or those listed): one grouped query over the lines,
    cached until the next posting."""
    totals = _all_nation_totals()
    if nation_ids is None:
        return dict(totals)
    return {nation_id: totals[nation_id] for nation_id in nation_ids if nation_id in totals}


def ledger_totals() -> LedgerTotals:
    """The covenant's totals over every nation, in one query."""
    with all_nations(reason="public covenant ledger totals"):
        row = LedgerLine.objects.aggregate(**_coalesce_sums())
    return _totals_from_sums(row)


def ledger_entry_list(
    *, principal: Principal, nation: Nation | None = None, kind: str | None = None
) -> QuerySet[LedgerEntry]:
    """Postings the principal may read: platform admins all, auditors their nations'."""
    if may(principal, "ledger:read"):  # platform-wide (no nation): platform admins only
        readable: set[int] | None = None
    else:
        readable = principal.nation_ids_with("ledger:read")
        if not readable:
            raise Forbidden("only auditors and platform admins read the ledger")
    if nation is not None:
        if readable is not None and nation.pk not in readable:
            raise Forbidden("you may not read this nation's ledger")
        readable = {nation.pk}
    with all_nations(reason="ledger entries of the nations an auditor may read"):
        entries = LedgerEntry.objects.select_related("nation").prefetch_related(
            Prefetch("lines", queryset=LedgerLine.objects.order_by("id"))
        )
        if readable is not None:
            entries = entries.filter(nation_id__in=readable)
        if kind:
            entries = entries.filter(kind=kind)
        return entries.order_by("-recorded_at", "-id")


@dataclass(frozen=True)
class Allocation:
    """An allocation posted to the ledger for something it funds (a project)."""

    entry_id: int
    source: str  # who decided it, by name: "proposal:7"
    amount_usd: Decimal
    effective_on: dt.date
    reversed: bool


def allocations_for(*, nation: Nation, reference: str) -> list[Allocation]:
    """The allocations posted in `nation` for `reference` ("project:12"), oldest first; a
    reversed one is listed as reversed. Public: the ledger's totals are public too."""
    with nation_scope(nation):
        entries = list(
            LedgerEntry.objects.filter(kind=Kind.ALLOCATION, reference=reference)
            .prefetch_related("lines")
            .order_by("effective_on", "id")
        )
        reversed_ids = set(
            LedgerEntry.objects.filter(reverses__in=entries).values_list("reverses_id", flat=True)
        )
    allocations = []
    for entry in entries:
        amount = sum(
            (
                line.debit
                for line in entry.lines.all()
                if line.account == Account.PROJECT_ALLOCATIONS
            ),
            ZERO,
        )
        allocations.append(
            Allocation(entry.pk, entry.source, amount, entry.effective_on, entry.pk in reversed_ids)
        )
    return allocations


# Who caused a posting is named by its `source` ("proposal:7"); packages that own such names
# register how to link to them, so that the pages link to the decision without importing it.
_source_links: dict[str, Callable[[str], str]] = {}


def register_source_link(prefix: str, link: Callable[[str], str]) -> None:
    """`link(rest)` is the page of the source `prefix:rest`."""
    _source_links[prefix] = link


def source_link(source: str) -> str | None:
    prefix, _, rest = source.partition(":")
    link = _source_links.get(prefix)
    return (link(rest) or None) if link is not None and rest else None
