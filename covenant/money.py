"""USD amounts (and other two-place quantities such as tCO2e): Decimal with two places, never
float (SPEC §3). One check for every service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from covenant.errors import Invalid

CENT = Decimal("0.01")
MAX_USD = Decimal("1000000000000.00")  # one trillion USD: far above any single amount


def two_places_checked(
    value: Any,
    *,
    field: str,
    minimum: Decimal = Decimal(0),
    maximum: Decimal = MAX_USD,
    positive: bool = False,
) -> Decimal:
    """`value` as a two-place amount (USD, tCO2e), or Invalid naming `field`: a finite
    Decimal with at most two places, within [minimum, maximum] (above zero when `positive`)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise Invalid("not a finite decimal", fields={field: ["not a finite decimal"]})
    if value != value.quantize(CENT):
        raise Invalid("at most two decimal places", fields={field: ["at most 2 decimal places"]})
    if positive and value <= 0:
        raise Invalid("must be positive", fields={field: ["must be greater than 0"]})
    if not minimum <= value <= maximum:
        raise Invalid("out of range", fields={field: [f"must be between {minimum} and {maximum}"]})
    return value


def cents(field_name: str) -> Any:
    """A money column as whole cents, in SQL: exact on SQLite too, whose decimals are floating
    point (0.1 + 0.2 ≠ 0.3 there). Use it for every CHECK and comparison of sums of money."""
    from django.db.models import BigIntegerField, F
    from django.db.models.functions import Cast, Round

    return Cast(Round(F(field_name) * 100), BigIntegerField())
