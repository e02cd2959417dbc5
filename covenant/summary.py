"""The covenant's public summary (`/api/v1/covenant/`, the home page), cached and invalidated
on every write that changes it. Other packages add their figures through `register_summary_part`
(the sectors add `projects`), so the core imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Sum

from covenant.nations.models import CONTRIBUTION_RATE, Nation

SUMMARY_CACHE_KEY = "covenant:summary:v1"
SUMMARY_TTL_SECONDS = 300

_parts: list[Callable[[], dict[str, Any]]] = []


def register_summary_part(part: Callable[[], dict[str, Any]]) -> None:
    if part not in _parts:
        _parts.append(part)


def covenant_summary_changed() -> None:
    """Call (after commit) whenever a posting, a nation or a project changes."""
    cache.delete(SUMMARY_CACHE_KEY)


def _compute() -> dict[str, Any]:
    from covenant.ledger.selectors import ledger_totals

    nations = Nation.objects.aggregate(
        count=Count("id"), gdp=Sum("gdp_usd"), pledge=Sum("annual_pledge_usd")
    )
    totals = ledger_totals()
    summary: dict[str, Any] = {
        "nations": nations["count"],
        "contribution_rate": CONTRIBUTION_RATE,
        "total_gdp_usd": Decimal(nations["gdp"] or 0).quantize(Decimal("0.01")),
        "annual_pledge_usd": Decimal(nations["pledge"] or 0).quantize(Decimal("0.01")),
        "received_usd": totals.received_usd,
        "disbursed_usd": totals.disbursed_usd,
        "balance_usd": totals.balance_usd,
        "projects": 0,
    }
    for part in _parts:
        summary.update(part())
    return summary


def covenant_summary() -> dict[str, Any]:
    summary = cache.get(SUMMARY_CACHE_KEY)
    if summary is None:
        summary = _compute()
        cache.set(SUMMARY_CACHE_KEY, summary, SUMMARY_TTL_SECONDS)
    return summary
