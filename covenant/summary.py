"""The covenant's public summary (`/api/v1/covenant/`, the home page), cached under the data
generations it depends on (covenant.caching): a write of nations, postings or projects changes
them in its own transaction, so no stale summary outlives it, with or without Redis. Other
packages add their figures through `register_summary_part` (the sectors add `projects`), so the
core imports none of them; a part that depends on other data adds its generation's name to
SUMMARY_DEPENDS_ON.

Two layers: the shared cache (Redis in production) holds the summary and its JSON; each process
also keeps the JSON of the current generation, so the hottest public read costs no round trip.
A writing process sees its write at once; other processes within a second (the generations'
memo)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from covenant.caching.generations import cached, generation_key
from covenant.memo import ProcessMemo
from covenant.money import cents
from covenant.nations.models import CONTRIBUTION_RATE, Nation

SUMMARY_CACHE_KEY = "covenant:summary:v3"
SUMMARY_DEPENDS_ON: list[str] = ["nations", "ledger", "projects"]
PROCESS_MEMO_SECONDS = 2.0

_parts: list[Callable[[], dict[str, Any]]] = []
_json_memo: ProcessMemo[bytes] = ProcessMemo(PROCESS_MEMO_SECONDS)


def register_summary_part(part: Callable[[], dict[str, Any]]) -> None:
    if part not in _parts:
        _parts.append(part)


def _compute() -> dict[str, Any]:
    from covenant.ledger.selectors import ledger_totals

    nations = Nation.objects.aggregate(
        count=Count("id"), gdp=Sum("gdp_usd"), pledge_cents=Sum(cents("annual_pledge_usd"))
    )
    totals = ledger_totals()
    summary: dict[str, Any] = {
        "nations": nations["count"],
        "contribution_rate": CONTRIBUTION_RATE,
        "total_gdp_usd": Decimal(nations["gdp"] or 0).quantize(Decimal("0.01")),
        "annual_pledge_usd": (Decimal(int(nations["pledge_cents"] or 0)) / 100).quantize(
            Decimal("0.01")
        ),
        "received_usd": totals.received_usd,
        "disbursed_usd": totals.disbursed_usd,
        "balance_usd": totals.balance_usd,
        "projects": 0,
    }
    for part in _parts:
        summary.update(part())
    return summary


def _as_json(summary: dict[str, Any]) -> bytes:
    """Decimals as strings (money with its two places), everything else as it is."""
    return json.dumps(
        {
            key: str(value) if isinstance(value, Decimal) else value
            for key, value in summary.items()
        },
        separators=(",", ":"),
    ).encode()


def _computed() -> tuple[dict[str, Any], bytes]:
    summary = _compute()
    return summary, _as_json(summary)


def _cached() -> tuple[dict[str, Any], bytes]:
    return cached(SUMMARY_CACHE_KEY, _computed, depends_on=tuple(SUMMARY_DEPENDS_ON))


def covenant_summary() -> dict[str, Any]:
    """The summary with Decimals, for the pages."""
    return _cached()[0]


def covenant_summary_json() -> bytes:
    """The summary as JSON bytes, for the API's hot path."""
    return _json_memo.get(generation_key(*SUMMARY_DEPENDS_ON), lambda: _cached()[1])
