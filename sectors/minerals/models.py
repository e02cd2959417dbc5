"""Profit distributions of minerals projects: each split 50/30/20, the fund's part posted."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.lookups import Exact

from covenant.money import cents
from covenant.nations.tenancy import NationOwned

MONEY: dict[str, Any] = {"max_digits": 20, "decimal_places": 2}


class ProfitDistribution(NationOwned):
    project = models.ForeignKey(
        "sectors_core.Project", on_delete=models.PROTECT, related_name="profit_distributions"
    )
    profit_usd = models.DecimalField(**MONEY)
    community_usd = models.DecimalField(**MONEY)
    fund_usd = models.DecimalField(**MONEY)
    reinvestment_usd = models.DecimalField(**MONEY)
    distributed_on = models.DateField()
    ledger_entry = models.ForeignKey(
        "ledger.LedgerEntry", on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=64)  # a pseudonym, never a name

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # in whole cents: on SQLite a sum of decimals is floating point, and 99999.99 would
            # not equal 49999.99 + 29999.99 + 20000.01 there
            models.CheckConstraint(
                condition=Exact(
                    cents("profit_usd"),
                    cents("community_usd") + cents("fund_usd") + cents("reinvestment_usd"),
                ),
                name="profit_distribution_parts_sum",
            )
        ]

    def __str__(self) -> str:
        return f"distribution of {self.profit_usd} (project {self.project_id})"
