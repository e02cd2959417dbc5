"""The sector pages: totals, the region chart, the verse and the filterable project list."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from covenant.access.object_grants import object_sharing
from covenant.access.principal import principal_of_request
from covenant.ledger.selectors import allocations_for, source_link
from covenant.nations.models import Nation
from covenant.nations.selectors import nation_get
from covenant.text import search_text

from .models import ProjectStatus
from .presentation import metric_rows, region_chart
from .registry import sector_spec
from .selectors import project_get, project_list, sector_detail

PAGE_SIZE = 25


def sector_page(request: HttpRequest, slug: str) -> HttpResponse:
    spec = sector_spec(slug)
    detail = sector_detail(slug)
    if spec is None or detail is None:
        raise Http404("no such sector")
    status = search_text(request.GET.get("status"), max_length=16)
    status = status if status in ProjectStatus.values else ""
    iso3 = search_text(request.GET.get("nation"), max_length=3).upper()
    nation = nation_get(iso3=iso3) if iso3 else None
    flagship = request.GET.get("flagship") == "1"
    q = search_text(request.GET.get("q"), max_length=120)
    projects = project_list(
        sector=slug,
        nation=nation,
        status=status or None,
        flagship=True if flagship else None,
        q=q or None,
    )
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {
        "status": status,
        "nation": nation.iso3 if nation else "",
        "flagship": "1" if flagship else "",
        "q": q,
    }
    query = urlencode({key: value for key, value in filters.items() if value})
    context = {
        "spec": spec,
        "detail": detail,
        "page": page,
        "filters": filters,
        "query": query,
        "statuses": ProjectStatus.choices,
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "projects-list":
        return render(request, "sectors/_projects.html", context)
    context.update(
        metrics=metric_rows(spec, detail["metrics"]),
        chart=region_chart(spec, detail["by_region"]),
        nations=Nation.objects.order_by("name").only("iso3", "name"),
        regions=[
            {**item, "metric_rows": metric_rows(spec, item["metrics"])}
            for item in detail["by_region"]
        ],
    )
    return render(request, "sectors/sector.html", context)


def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """One project as people read it: its nation, sector, status, dates, money and metrics."""
    project = project_get(project_id=project_id)
    spec = sector_spec(project.sector) if project is not None else None
    if project is None or spec is None:
        raise Http404("no such project")
    # Funding comes from the ledger (allocations posted for this project), whoever decided it.
    allocations = allocations_for(nation=project.nation, reference=f"project:{project.pk}")
    funded_usd = sum((a.amount_usd for a in allocations if not a.reversed), Decimal("0.00"))
    return render(
        request,
        "sectors/project.html",
        {
            "project": project,
            "spec": spec,
            "metrics": metric_rows(spec, project.metrics, total=False),
            "allocations": [{"allocation": a, "link": source_link(a.source)} for a in allocations],
            "funded_usd": funded_usd,
            # an admin of the nation may share this one project's write access with a person
            "sharing": object_sharing(principal_of_request(request), project),
        },
    )
