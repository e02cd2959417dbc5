"""Metric declarations and validation, and the energy resilience reserve."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covenant.errors import Invalid
from covenant.nations.sectors import sector_slugs
from sectors.core.metrics import metrics_clean
from sectors.core.registry import sector_spec, sector_specs
from sectors.energy.rules import resilience_reserve

ENERGY = sector_spec("energy")


def test_six_sectors_registered_with_their_metrics() -> None:
    assert [spec.slug for spec in sector_specs()] == [
        "agriculture",
        "minerals",
        "energy",
        "technology",
        "health",
        "education",
    ]
    assert set(sector_slugs()) >= {spec.slug for spec in sector_specs()}
    keys = {spec.slug: spec.metric_keys for spec in sector_specs()}
    assert keys["agriculture"] == ("hectares_irrigated", "yield_uplift_pct", "food_secure_people")
    assert keys["minerals"] == ("revenue_usd", "profit_usd")
    assert keys["energy"] == ("capacity_mw", "reserve_mw", "dispatchable_mw", "renewable_share_pct")
    assert keys["technology"] == ("users_served", "offline_first")
    assert keys["health"] == ("beneficiaries", "facilities")
    assert keys["education"] == ("students", "teachers")


def test_reserve_is_a_fifth_of_capacity() -> None:
    assert resilience_reserve(Decimal("4000")) == (Decimal("800.00"), Decimal("3200.00"))
    values = metrics_clean(ENERGY, {"capacity_mw": "1234.57"})  # type: ignore[arg-type]
    assert values["reserve_mw"] == Decimal("246.914")
    assert values["dispatchable_mw"] == Decimal("987.656")


@given(st.integers(min_value=0, max_value=10**12 * 100))
def test_reserve_plus_dispatchable_is_capacity(hundredths: int) -> None:
    capacity = Decimal(hundredths) / 100
    values = metrics_clean(ENERGY, {"capacity_mw": str(capacity)})  # type: ignore[arg-type]
    assert values["reserve_mw"] == capacity * Decimal("0.2")
    assert values["reserve_mw"] + values["dispatchable_mw"] == capacity


@pytest.mark.parametrize(
    ("sector", "metrics", "field"),
    [
        ("energy", {"capacity_mw": "abc"}, "metrics.capacity_mw"),
        ("energy", {"capacity_mw": "NaN"}, "metrics.capacity_mw"),
        ("energy", {"capacity_mw": "Infinity"}, "metrics.capacity_mw"),
        ("energy", {"capacity_mw": -1}, "metrics.capacity_mw"),
        ("energy", {"capacity_mw": True}, "metrics.capacity_mw"),
        ("energy", {"capacity_mw": "1.001"}, "metrics.capacity_mw"),
        ("energy", {"capacity_mw": 10, "reserve_mw": 5}, "metrics.reserve_mw"),
        ("energy", {"dispatchable_mw": 5}, "metrics.dispatchable_mw"),
        ("energy", {"renewable_share_pct": 101}, "metrics.renewable_share_pct"),
        ("energy", {"students": 5}, "metrics.students"),
        ("health", {"beneficiaries": -5}, "metrics.beneficiaries"),
        ("health", {"beneficiaries": 1.5}, "metrics.beneficiaries"),
        ("health", {"facilities": [1]}, "metrics.facilities"),
        ("technology", {"offline_first": "yes"}, "metrics.offline_first"),
        ("education", {"teachers": 10**13}, "metrics.teachers"),
        ("education", [], "metrics"),
    ],
)
def test_bad_metrics_name_the_field(sector: str, metrics: object, field: str) -> None:
    spec = sector_spec(sector)
    assert spec is not None
    with pytest.raises(Invalid) as caught:
        metrics_clean(spec, metrics)
    assert caught.value.fields is not None and field in caught.value.fields


def test_derived_values_may_be_sent_back_unchanged() -> None:
    values = metrics_clean(
        ENERGY,  # type: ignore[arg-type]
        {"capacity_mw": 10, "reserve_mw": "2", "dispatchable_mw": "8.000"},
    )
    assert values["reserve_mw"] == Decimal("2.000")
