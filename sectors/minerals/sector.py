"""Minerals: revenue and profit of extraction, whose profit is split 50/30/20."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from sectors.core.registry import Metric, MetricKind, SectorSpec

MONEY_MAX = Decimal(10) ** 11  # one hundred billion USD a project: 10^13 cents, safe to sum


def _demo_metrics(rng: random.Random) -> dict[str, Any]:
    revenue = Decimal(rng.randrange(2_000_000_00, 900_000_000_00)) / 100
    margin = Decimal(rng.randrange(8, 35)) / 100
    return {"revenue_usd": revenue, "profit_usd": (revenue * margin).quantize(Decimal("0.01"))}


def _distribute(**kwargs: Any) -> Any:
    from .services import profit_distribution_record

    return profit_distribution_record(**kwargs)


SECTOR = SectorSpec(
    slug="minerals",
    name="Minerals",
    summary="Responsible extraction whose profit is shared: half to the host community, "
    "three tenths to the covenant fund, a fifth reinvested.",
    metrics=(
        Metric("revenue_usd", "Revenue", MetricKind.DECIMAL, "USD", places=2, maximum=MONEY_MAX),
        Metric(
            "profit_usd",
            "Profit",
            MetricKind.DECIMAL,
            "USD",
            places=2,
            minimum=-MONEY_MAX,
            maximum=MONEY_MAX,
        ),
    ),
    distribute_profit=_distribute,
    demo_names=(
        "{place} Community Copper Mining Partnership",
        "{place} Artisanal Gold Formalisation Programme",
        "{place} Lithium Brine Stewardship Project",
        "{place} Critical Minerals Refining Venture",
        "{place} Cobalt Traceability Initiative",
    ),
    demo_metrics=_demo_metrics,
    demo_budget_range=(10_000_000, 300_000_000),
)
