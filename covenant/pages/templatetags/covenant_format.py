"""Money and figures as people read them: $1,234.50, $29.3 T."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def usd(value: Any) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.filter
def usd_short(value: Any) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    for threshold, suffix in (
        (Decimal(10) ** 12, "T"),
        (Decimal(10) ** 9, "B"),
        (Decimal(10) ** 6, "M"),
    ):
        if abs(amount) >= threshold:
            return f"${amount / threshold:,.2f} {suffix}"
    return f"${amount:,.0f}"


@register.filter
def percent_of_gdp(rate: Any) -> str:
    return f"{Decimal(rate) * 100:.2f} %"


@register.filter
def number(value: Any) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,}"
