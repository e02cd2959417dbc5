"""Energy: generation capacity, with 20 % of it held as a resilience reserve."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from sectors.core.registry import Metric, MetricKind, SectorSpec

from .rules import derive_reserve


def _demo_metrics(rng: random.Random) -> dict[str, Any]:
    return {
        "capacity_mw": Decimal(rng.randrange(500, 60_000)) / 100,
        "renewable_share_pct": Decimal(rng.randrange(4000, 10_001)) / 100,
    }


SECTOR = SectorSpec(
    slug="energy",
    name="Energy",
    summary="Clean generation and grids, with a fifth of every plant's capacity held in reserve.",
    metrics=(
        Metric("capacity_mw", "Capacity", MetricKind.DECIMAL, "MW", places=2),
        Metric(
            "reserve_mw", "Resilience reserve", MetricKind.DECIMAL, "MW", places=3, derived=True
        ),
        Metric("dispatchable_mw", "Dispatchable", MetricKind.DECIMAL, "MW", places=3, derived=True),
        Metric("renewable_share_pct", "Renewable share", MetricKind.PERCENT, "%", places=2),
    ),
    derive=derive_reserve,
    demo_names=(
        "{place} Solar Mini-Grid Programme",
        "{place} Geothermal Expansion",
        "{place} Wind Corridor Project",
        "{place} Run-of-River Hydro Scheme",
        "{place} Grid Battery Storage Initiative",
    ),
    demo_metrics=_demo_metrics,
    demo_budget_range=(5_000_000, 400_000_000),
)
