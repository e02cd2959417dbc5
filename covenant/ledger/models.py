"""The covenant ledger: append-only double-entry postings in Decimal.

A posting (`LedgerEntry`) has two or more lines; its debits equal its credits. Rows are never
updated or deleted (database triggers refuse it); a correction is a reversing posting. Every total
(pledged, received, disbursed, balance) is derived from the lines."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from covenant.nations.tenancy import NationOwned


class Kind(models.TextChoices):
    PLEDGE = "pledge", "Pledge"
    CONTRIBUTION = "contribution", "Contribution received"
    ALLOCATION = "allocation", "Allocation to a project"
    PROFIT_DISTRIBUTION = "profit_distribution", "Profit distribution"
    REVERSAL = "reversal", "Reversal"


class Account(models.TextChoices):
    # assets
    FUND_CASH = "fund_cash", "Fund cash"
    PLEDGES_RECEIVABLE = "pledges_receivable", "Pledges receivable"
    # revenue
    PLEDGE_REVENUE = "pledge_revenue", "Pledge revenue"
    PROFIT_SHARE_REVENUE = "profit_share_revenue", "Profit share revenue"
    # expense
    PROJECT_ALLOCATIONS = "project_allocations", "Project allocations"


class LedgerEntry(NationOwned):
    kind = models.CharField(max_length=24, choices=Kind.choices)
    effective_on = models.DateField()
    fiscal_year = models.PositiveSmallIntegerField()
    reference = models.CharField(max_length=120, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    # What caused the posting, by name, since the core does not know other packages' models
    # ("project:12", "proposal:7"); with `kind` it keeps a posting from being made twice.
    source = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=96, unique=True, null=True, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=80)  # a pseudonym or system:<name>

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_reversal_iff_reverses",
            ),
            # a nation's contribution is recorded once per reference (a retried or concurrent
            # duplicate is refused by the database, 409)
            models.UniqueConstraint(
                fields=["nation", "reference"],
                condition=Q(kind="contribution") & ~Q(reference=""),
                name="ledger_contribution_unique_reference",
            ),
        ]
        indexes = [models.Index(fields=["nation", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def amount_usd(self) -> Decimal:
        """The posting's amount: the sum of its debits (= of its credits)."""
        return sum((line.debit for line in self.lines.all()), Decimal("0.00"))


class LedgerLine(NationOwned):
    """One side of a posting. Exactly one of debit and credit is positive."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=32, choices=Account.choices)
    debit = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        ordering = ["entry_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="ledger_line_one_side_positive",
            ),
        ]
        indexes = [models.Index(fields=["nation", "account"])]

    def __str__(self) -> str:
        return f"{self.account} Dr {self.debit} Cr {self.credit}"
