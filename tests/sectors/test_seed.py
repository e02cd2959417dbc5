"""Flagships reproduce the published totals; demo generation is deterministic and idempotent."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from covenant.audit.models import AuditEntry
from covenant.nations.tenancy import all_nations
from covenant.seeding import SeedOptions, seed_steps
from sectors.core.models import Project, ProjectMetric
from sectors.core.seed import flagship_rows, flagships_load, projects_generate

pytestmark = pytest.mark.django_db


def test_flagships_reproduce_the_published_totals(api: Any) -> None:
    rows = flagship_rows()
    assert len(rows) == 27
    assert Counter(row["sector"] for row in rows) == {
        "agriculture": 4,
        "minerals": 4,
        "energy": 3,
        "technology": 4,
        "health": 6,
        "education": 6,
    }
    assert flagships_load() == (27, 0)
    assert flagships_load() == (0, 27)  # idempotent
    sectors = {item["slug"]: item for item in api.get("/api/v1/sectors/").json()["results"]}
    assert sectors["energy"]["metrics"]["capacity_mw"] == "4000.00"
    assert sectors["energy"]["metrics"]["reserve_mw"] == "800.000"
    assert sectors["energy"]["metrics"]["dispatchable_mw"] == "3200.000"
    assert sectors["technology"]["metrics"]["users_served"] == 87_000_000
    assert sectors["health"]["metrics"]["beneficiaries"] == 187_800_000
    assert sectors["health"]["metrics"]["facilities"] == 2_225
    assert sectors["education"]["metrics"]["students"] == 56_600_000
    assert sectors["education"]["metrics"]["teachers"] == 243_000
    assert {slug: item["projects"] for slug, item in sectors.items()} == {
        "agriculture": 4,
        "minerals": 4,
        "energy": 3,
        "technology": 4,
        "health": 6,
        "education": 6,
    }
    listed = api.get("/api/v1/projects/?flagship=true&page_size=50").json()
    assert listed["count"] == 27 and len(listed["results"]) == 27

    def total(sector: str, key: str) -> Decimal:
        return sum(
            (
                Decimal(str(row["metrics"].get(key, 0)))
                for row in listed["results"]
                if row["sector"] == sector
            ),
            Decimal(0),
        )

    assert total("energy", "capacity_mw") == 4000
    assert total("technology", "users_served") == 87_000_000
    assert total("health", "beneficiaries") == 187_800_000
    assert total("health", "facilities") == 2_225
    assert total("education", "students") == 56_600_000
    assert total("education", "teachers") == 243_000


def test_generation_is_deterministic_idempotent_and_spread(api: Any) -> None:
    audit_before = AuditEntry.objects.count()
    assert projects_generate(150) == 150
    with all_nations(reason="test: read generated projects"):
        first = list(
            Project.objects.order_by("reference").values_list(
                "reference", "name", "budget_usd", "metrics"
            )
        )
        nations = Project.objects.values("nation").distinct().count()
        metric_rows = ProjectMetric.objects.count()
    assert nations >= 100 and metric_rows > 150
    assert projects_generate(150) == 0  # idempotent
    assert projects_generate(160) == 10  # tops up
    with all_nations(reason="test: read generated projects"):
        again = list(
            Project.objects.filter(reference__lte="demo:0000150")
            .order_by("reference")
            .values_list("reference", "name", "budget_usd", "metrics")
        )
        assert Project.objects.filter(start_on__gt=models_F_end()).count() == 0
    assert again == first
    assert AuditEntry.objects.count() == audit_before  # no per-row audit for demo data
    # the generated rows are valid projects: reserve = 20 % of capacity, sums exact
    energy = api.get("/api/v1/sectors/energy/").json()["metrics"]
    assert Decimal(energy["reserve_mw"]) == Decimal(energy["capacity_mw"]) * Decimal("0.2")
    created = api.post("/api/v1/nations/KEN/projects/", {}, format="json")
    assert created.status_code == 401  # ids keep working after explicit-id inserts


def models_F_end() -> Any:
    from django.db.models import F

    return F("end_on")


def test_seed_step_registered_and_runs() -> None:
    names = [name for name, _ in seed_steps()]
    assert "sectors: flagship and demo projects" in names
    step = dict(seed_steps())["sectors: flagship and demo projects"]
    lines: list[str] = []
    step(SeedOptions(demo=True, projects=120, write=lines.append))
    with all_nations(reason="test: count seeded projects"):
        assert Project.objects.count() == 147
    assert any("flagship projects: 27 created" in line for line in lines)


def test_services_still_create_after_generation(cast: Any, kenya: Any) -> None:
    from .conftest import make_project

    projects_generate(30)
    project = make_project(cast.platform_admin, kenya, "health")
    assert project.pk > 30
