"""The energy resilience reserve: every project holds 20 % of its capacity in reserve."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

RESERVE_SHARE = Decimal("0.20")


def resilience_reserve(capacity_mw: Decimal) -> tuple[Decimal, Decimal]:
    """(reserve_mw, dispatchable_mw) = (capacity × 0.20, capacity − reserve), exact."""
    reserve = capacity_mw * RESERVE_SHARE
    return reserve, capacity_mw - reserve


def derive_reserve(values: dict[str, Any]) -> dict[str, Any]:
    """The derived energy metrics, from capacity_mw when it is set."""
    capacity = values.get("capacity_mw")
    if capacity is None:
        return {}
    reserve, dispatchable = resilience_reserve(Decimal(capacity))
    return {
        "reserve_mw": reserve.quantize(Decimal("0.001")),
        "dispatchable_mw": dispatchable.quantize(Decimal("0.001")),
    }
