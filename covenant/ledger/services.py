"""Every write to the ledger. A posting is balanced by construction here and, on PostgreSQL,
checked again by a deferred constraint trigger; UPDATE and DELETE are refused by the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from covenant.access.principal import Principal, may
from covenant.audit.services import audit_record
from covenant.errors import Conflict, Forbidden, Invalid
from covenant.money import two_places_checked
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope
from covenant.text import text_checked

from .models import Account, Kind, LedgerEntry, LedgerLine
from .selectors import ledger_totals_changed


@dataclass(frozen=True)
class Line:
    account: Account
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")


def _check_balanced(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise Invalid("a posting needs at least two lines")
    for line in lines:
        if (line.debit > 0) == (line.credit > 0) or line.debit < 0 or line.credit < 0:
            raise Invalid("each line has exactly one positive side")
    debits = sum((line.debit for line in lines), Decimal("0"))
    credits = sum((line.credit for line in lines), Decimal("0"))
    if debits != credits:
        raise Invalid(f"unbalanced posting: debits {debits} ≠ credits {credits}")


def _reference_used(nation: Nation, reference: str) -> Conflict:
    return Conflict(
        f"a contribution with reference {reference!r} is already recorded for {nation.iso3}",
        fields={"reference": ["already used for this nation"]},
    )


def ledger_post(
    *,
    nation: Nation,
    kind: Kind,
    lines: Sequence[Line],
    effective_on: dt.date,
    actor: Principal,
    reference: str = "",
    memo: str = "",
    source: str = "",
    idempotency_key: str | None = None,
    reverses: LedgerEntry | None = None,
) -> LedgerEntry:
    """Append one balanced posting with its lines and its audit entry, atomically. The callers
    below decide who may post what; this one only records `actor` as the poster."""
    _check_balanced(lines)
    with nation_scope(nation), transaction.atomic():
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    nation=nation,
                    kind=kind,
                    effective_on=effective_on,
                    fiscal_year=effective_on.year,
                    reference=reference,
                    memo=memo,
                    source=source,
                    idempotency_key=idempotency_key,
                    reverses=reverses,
                    recorded_at=timezone.now(),
                    recorded_by=actor.pseudonym,
                )
        except IntegrityError:
            if kind == Kind.CONTRIBUTION and reference:
                raise _reference_used(nation, reference) from None
            raise Conflict("this posting was already made") from None
        LedgerLine.objects.bulk_create(
            LedgerLine(
                nation=nation,
                entry=entry,
                account=line.account,
                debit=line.debit,
                credit=line.credit,
            )
            for line in lines
        )
        amount = sum((line.debit for line in lines), Decimal("0"))
        audit_record(
            action=f"ledger.{kind}",
            actor=actor.pseudonym,
            nation=nation,
            target_type="ledger_entry",
            target_id=entry.pk,
            data={
                "amount_usd": amount,
                "effective_on": effective_on.isoformat(),
                "reverses": reverses.pk if reverses else None,
                "source": source,
            },
        )
        # The totals' generation changes in this very transaction: the invalidation cannot be
        # lost, even with the cache unreachable (covenant.caching).
        ledger_totals_changed()
    return entry


def pledge_post(*, nation: Nation, fiscal_year: int, actor: Principal) -> LedgerEntry:
    """Record the nation's pledge for a year: 0.01 % of its GDP (the nation's annual pledge).
    Only the system posts pledges (the beat on 1 January, the seed)."""
    if not may(actor, "ledger:post_pledge", nation=nation):
        raise Forbidden("pledges are posted by the system, not by a person")
    if nation.annual_pledge_usd is None:
        raise Conflict(f"{nation.iso3} has no GDP in the source data, so no pledge")
    amount = nation.annual_pledge_usd
    return ledger_post(
        nation=nation,
        kind=Kind.PLEDGE,
        lines=[
            Line(Account.PLEDGES_RECEIVABLE, debit=amount),
            Line(Account.PLEDGE_REVENUE, credit=amount),
        ],
        effective_on=dt.date(fiscal_year, 1, 1),
        actor=actor,
        memo=f"Pledge {fiscal_year}: 0.01 % of GDP {nation.gdp_usd} ({nation.gdp_year})",
        idempotency_key=f"pledge:{nation.iso3}:{fiscal_year}",
    )


def contribution_post(
    *,
    nation: Nation,
    amount_usd: Decimal,
    received_on: dt.date,
    reference: str,
    actor: Principal,
) -> LedgerEntry:
    """A contribution received from a nation: cash in, its pledge receivable down."""
    if not may(actor, "contributions:create", nation=nation):
        raise Forbidden("only a platform admin records contributions")
    amount = two_places_checked(amount_usd, field="amount_usd", positive=True)
    reference = text_checked(reference, field="reference", max_length=120, allow_blank=True)
    if reference:
        with nation_scope(nation):
            if LedgerEntry.objects.filter(kind=Kind.CONTRIBUTION, reference=reference).exists():
                raise _reference_used(nation, reference)
    if received_on > timezone.now().date():
        raise Invalid("received in the future", fields={"received_on": ["is in the future"]})
    if received_on.year < 2000:
        raise Invalid("too early", fields={"received_on": ["must be in 2000 or later"]})
    return ledger_post(
        nation=nation,
        kind=Kind.CONTRIBUTION,
        lines=[
            Line(Account.FUND_CASH, debit=amount),
            Line(Account.PLEDGES_RECEIVABLE, credit=amount),
        ],
        effective_on=received_on,
        actor=actor,
        reference=reference,
        memo=f"Contribution received from {nation.iso3}",
    )


def allocation_post(
    *,
    nation: Nation,
    amount_usd: Decimal,
    source: str,
    actor: Principal,
    on: dt.date,
    reference: str = "",
) -> LedgerEntry:
    """Money leaves the fund for a project (a passed budget proposal), once per source. No
    person posts an allocation: the system does, when a council's vote has passed it.
    `reference` names what is funded ("project:12"), so that its pages can show the funding
    from the ledger (`allocations_for`) without knowing who decided it."""
    if not may(actor, "ledger:post_allocation", nation=nation):
        raise Forbidden("allocations are posted only when a budget proposal passes")
    if not source.strip():
        raise Invalid("an allocation names its source", fields={"source": ["required"]})
    amount = two_places_checked(amount_usd, field="amount_usd", positive=True)
    return ledger_post(
        nation=nation,
        kind=Kind.ALLOCATION,
        lines=[
            Line(Account.PROJECT_ALLOCATIONS, debit=amount),
            Line(Account.FUND_CASH, credit=amount),
        ],
        effective_on=on,
        actor=actor,
        source=source,
        reference=reference[:120],
        memo=f"Allocation for {source}",
        idempotency_key=f"allocation:{source}",
    )


def profit_share_post(
    *,
    nation: Nation,
    fund_usd: Decimal,
    source: str,
    actor: Principal,
    on: dt.date,
    reference: str = "",
) -> LedgerEntry:
    """The fund's share of a profit distribution enters the fund (the caller has split it)."""
    if not may(actor, "projects:distribute_profit", nation=nation, sector="minerals"):
        raise Forbidden("only this nation's admins and minerals stewards distribute its profit")
    amount = two_places_checked(fund_usd, field="fund_usd", positive=True)
    return ledger_post(
        nation=nation,
        kind=Kind.PROFIT_DISTRIBUTION,
        lines=[
            Line(Account.FUND_CASH, debit=amount),
            Line(Account.PROFIT_SHARE_REVENUE, credit=amount),
        ],
        effective_on=on,
        actor=actor,
        source=source,
        reference=reference,
        memo=f"Fund share of profit distribution ({source})",
    )


def entry_reverse(*, entry: LedgerEntry, reason: str, actor: Principal) -> LedgerEntry:
    """Correct a posting by a mirror posting; an entry is reversed at most once."""
    nation = entry.nation
    if not may(actor, "ledger:reverse", nation=nation):
        raise Forbidden("only a platform admin reverses postings")
    if entry.kind == Kind.REVERSAL:
        raise Conflict("a reversal is not reversed; post the original again instead")
    reason = text_checked(reason, field="reason", max_length=180)
    with nation_scope(nation):
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise Conflict(f"posting #{entry.pk} is already reversed")
        original = list(LedgerLine.objects.filter(entry=entry))
    return ledger_post(
        nation=nation,
        kind=Kind.REVERSAL,
        lines=[Line(Account(x.account), debit=x.credit, credit=x.debit) for x in original],
        effective_on=timezone.now().date(),
        actor=actor,
        reference=entry.reference,
        memo=f"Reversal of #{entry.pk}: {reason}"[:200],
        reverses=entry,
    )
