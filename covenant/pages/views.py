"""Server-rendered pages, progressively enhanced with htmx."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from covenant.ledger.selectors import ledger_totals_by_nation
from covenant.nations.selectors import (
    income_groups,
    nation_detail_parts,
    nation_get,
    nation_list,
    regions,
)
from covenant.summary import covenant_summary
from covenant.text import search_text


def _nations_rows(nations: Any) -> list[dict[str, Any]]:
    nations = list(nations)
    totals = ledger_totals_by_nation(nation_ids=[nation.pk for nation in nations])
    rows = []
    for nation in nations:
        nation_totals = totals.get(nation.pk)
        received = nation_totals.received_usd if nation_totals else None
        pledge = nation.annual_pledge_usd
        rows.append(
            {
                "nation": nation,
                "received_usd": received,
                "paid_pct": (
                    int(min(received / pledge, 1) * 100) if pledge and received is not None else 0
                ),
            }
        )
    return rows


def _param(request: HttpRequest, name: str, max_length: int) -> str:
    return search_text(request.GET.get(name, ""), max_length=max_length)


def home(request: HttpRequest) -> HttpResponse:
    region = _param(request, "region", 64)
    income_group = _param(request, "income_group", 64)
    q = _param(request, "q", 120)
    context: dict[str, Any] = {
        "rows": _nations_rows(nation_list(region=region, income_group=income_group, q=q)),
        "region": region,
        "income_group": income_group,
        "q": q,
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "nations-table":
        return render(request, "pages/_nations_table.html", context)
    context.update(summary=covenant_summary(), regions=regions(), income_groups=income_groups())
    return render(request, "pages/home.html", context)


def nation_page(request: HttpRequest, iso3: str) -> HttpResponse:
    nation = nation_get(iso3=iso3)
    if nation is None:
        raise Http404("no such nation")
    totals = ledger_totals_by_nation(nation_ids=[nation.pk]).get(nation.pk)
    return render(
        request,
        "pages/nation.html",
        {"nation": nation, "totals": totals, "extra": nation_detail_parts(nation)},
    )


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "pages/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/500.html", status=500)


def bad_request(request: HttpRequest, exception: Any = None, message: str = "") -> HttpResponse:
    return render(request, "pages/400.html", {"message": message}, status=400)


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "pages/403.html", status=403)
