"""Health: primary care facilities and the people they serve."""

from __future__ import annotations

import random
from typing import Any

from sectors.core.registry import Metric, MetricKind, SectorSpec


def _demo_metrics(rng: random.Random) -> dict[str, Any]:
    return {"beneficiaries": rng.randrange(20_000, 4_000_000), "facilities": rng.randrange(2, 180)}


SECTOR = SectorSpec(
    slug="health",
    name="Health",
    summary="Primary care within reach: clinics, community health workers, cold chains.",
    metrics=(
        Metric("beneficiaries", "Beneficiaries", MetricKind.INTEGER, "people"),
        Metric("facilities", "Facilities", MetricKind.INTEGER, "facilities"),
    ),
    beneficiaries_metric="beneficiaries",
    demo_names=(
        "{place} Primary Health Care Network",
        "{place} Maternal and Newborn Health Programme",
        "{place} Vaccine Cold-Chain Project",
        "{place} Community Health Worker Initiative",
        "{place} District Hospital Solarisation",
    ),
    demo_metrics=_demo_metrics,
)
