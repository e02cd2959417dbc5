"""Technology: connectivity and public digital services, offline-first where networks are thin."""

from __future__ import annotations

import random
from typing import Any

from sectors.core.registry import Metric, MetricKind, SectorSpec


def _demo_metrics(rng: random.Random) -> dict[str, Any]:
    return {"users_served": rng.randrange(10_000, 3_000_000), "offline_first": rng.random() < 0.6}


SECTOR = SectorSpec(
    slug="technology",
    name="Technology",
    summary="Connectivity and public digital services that keep working when the network does not.",
    metrics=(
        Metric("users_served", "Users served", MetricKind.INTEGER, "users"),
        Metric("offline_first", "Offline-first", MetricKind.FLAG),
    ),
    beneficiaries_metric="users_served",
    demo_names=(
        "{place} Rural Broadband Backbone",
        "{place} Digital Public Services Platform",
        "{place} Community Connectivity Hubs",
        "{place} Open Digital Identity Programme",
        "{place} Offline-First Learning Devices",
    ),
    demo_metrics=_demo_metrics,
)
