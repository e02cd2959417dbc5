"""Education: schools, students and the teachers who teach them."""

from __future__ import annotations

import random
from typing import Any

from sectors.core.registry import Metric, MetricKind, SectorSpec


def _demo_metrics(rng: random.Random) -> dict[str, Any]:
    students = rng.randrange(5_000, 1_500_000)
    return {"students": students, "teachers": max(1, students // rng.randrange(20, 45))}


SECTOR = SectorSpec(
    slug="education",
    name="Education",
    summary="Schools, trained teachers and learning that reaches every child.",
    metrics=(
        Metric("students", "Students", MetricKind.INTEGER, "students"),
        Metric("teachers", "Teachers", MetricKind.INTEGER, "teachers"),
    ),
    beneficiaries_metric="students",
    demo_names=(
        "{place} Foundational Literacy Programme",
        "{place} Teacher Training Colleges Initiative",
        "{place} Girls' Secondary Education Project",
        "{place} School Connectivity and Meals Scheme",
        "{place} Technical and Vocational Skills Programme",
    ),
    demo_metrics=_demo_metrics,
)
