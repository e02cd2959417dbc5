"""Agriculture: irrigation, yields and food security."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from sectors.core.registry import Metric, MetricKind, SectorSpec


def _demo_metrics(rng: random.Random) -> dict[str, Any]:
    return {
        "hectares_irrigated": Decimal(rng.randrange(500, 120_000)),
        "yield_uplift_pct": Decimal(rng.randrange(500, 4500)) / 100,
        "food_secure_people": rng.randrange(5_000, 2_000_000),
    }


SECTOR = SectorSpec(
    slug="agriculture",
    name="Agriculture",
    summary="Irrigation, resilient seed and storage so that harvests feed those who grow them.",
    metrics=(
        Metric("hectares_irrigated", "Hectares irrigated", MetricKind.DECIMAL, "ha", places=2),
        Metric("yield_uplift_pct", "Yield uplift", MetricKind.PERCENT, "%", places=2),
        Metric("food_secure_people", "People made food-secure", MetricKind.INTEGER, "people"),
    ),
    beneficiaries_metric="food_secure_people",
    demo_names=(
        "{place} Smallholder Irrigation Programme",
        "{place} Drought-Resilient Seed Initiative",
        "{place} Post-Harvest Storage Network",
        "{place} Soil Health and Agroforestry Scheme",
        "{place} Cooperative Market Access Project",
    ),
    demo_metrics=_demo_metrics,
)
