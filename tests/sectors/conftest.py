"""Helpers of the sector tests: projects made through the services, as a platform admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from covenant.access.principal import Principal
from covenant.accounts.models import User
from covenant.nations.models import Nation
from sectors.core.models import Project
from sectors.core.services import project_create
from tests.conftest import Cast


def make_project(admin: User, nation: Nation, sector: str = "energy", **fields: Any) -> Project:
    fields.setdefault("name", f"{nation.name} {sector} test programme")
    fields.setdefault("budget_usd", Decimal("1000000.00"))
    return project_create(nation=nation, sector=sector, fields=fields, actor=Principal(user=admin))


@pytest.fixture
def projects(cast: Cast, kenya: Nation, brazil: Nation) -> dict[str, Project]:
    """One project per sector in Kenya, one minerals and one energy project in Brazil."""
    admin = cast.platform_admin
    made = {
        "ken_agriculture": make_project(
            admin, kenya, "agriculture", metrics={"food_secure_people": 1000}
        ),
        "ken_minerals": make_project(
            admin, kenya, "minerals", metrics={"revenue_usd": "500.00", "profit_usd": "100.00"}
        ),
        "ken_energy": make_project(admin, kenya, "energy", metrics={"capacity_mw": 100}),
        "ken_technology": make_project(
            admin, kenya, "technology", metrics={"users_served": 10, "offline_first": True}
        ),
        "ken_health": make_project(
            admin, kenya, "health", metrics={"beneficiaries": 50, "facilities": 2}
        ),
        "ken_education": make_project(
            admin, kenya, "education", metrics={"students": 30, "teachers": 3}
        ),
        "bra_minerals": make_project(admin, brazil, "minerals", metrics={"profit_usd": "10.00"}),
        "bra_energy": make_project(admin, brazil, "energy", metrics={"capacity_mw": "12.5"}),
    }
    return made
