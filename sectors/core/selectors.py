"""Reads of projects and their statistics. Projects are public: their reads go through one
reviewed cross-nation scope (`public_catalogue`). Statistics are computed by the database in a
constant number of queries and cached until the next project write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections, router
from django.db.models import BigIntegerField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Round

from covenant.caching.generations import cached
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations

from .metrics import metric_from_units
from .models import Project, ProjectMetric
from .registry import MetricKind, SectorSpec, sector_spec, sector_specs

STATS_TTL_SECONDS = 600
SEARCH_CONFIG = "english"
ZERO = Decimal("0.00")
_T = TypeVar("_T")


@contextmanager
def public_catalogue() -> Iterator[None]:
    """Projects and their figures are public in every nation: the one cross-nation read."""
    with all_nations(reason="the public project catalogue and its statistics"):
        yield


def _cents(field_name: str) -> Any:
    """The sum of a money column in whole cents: exact on SQLite too, whose decimals are floats."""
    if _is_postgres():  # numeric is exact already
        return Sum(F(field_name) * 100)
    return Sum(Cast(Round(F(field_name) * 100), BigIntegerField()))


def _usd(cents: Decimal | int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(ZERO)


def _cached(key: str, compute: Callable[[], _T]) -> _T:
    """Kept under the projects' generation (covenant.caching): a project write changes it."""
    return cached(f"sectors:stats:{key}", compute, depends_on=("projects",), ttl=STATS_TTL_SECONDS)


# --- Projects ---------------------------------------------------------------------------------


def project_search_vector() -> Any:
    """The document searched on PostgreSQL; migration 0002 indexes this very expression."""
    return SearchVector("name", config=SEARCH_CONFIG, weight="A") + SearchVector(
        "description", config=SEARCH_CONFIG, weight="B"
    )


def _is_postgres() -> bool:
    return connections[router.db_for_read(Project)].vendor == "postgresql"


def project_search(projects: QuerySet[Project], q: str) -> QuerySet[Project]:
    """Full-text search with ranking on PostgreSQL; every word as a substring on SQLite."""
    q = q.strip()[:200]
    if not q:
        return projects
    if _is_postgres():
        query = SearchQuery(q, config=SEARCH_CONFIG, search_type="websearch")
        vector = project_search_vector()
        return (
            projects.annotate(search=vector)
            .filter(search=query)
            .annotate(rank=SearchRank(vector, query))
            .order_by("-rank", "-flagship", "name", "id")
        )
    words = q.split()[:10]
    for word in words:
        projects = projects.filter(Q(name__icontains=word) | Q(description__icontains=word))
    # a plain ranking: projects whose name holds the first word come first
    name_hit = Case(When(name__icontains=words[0], then=Value(0)), default=Value(1))
    return projects.annotate(name_hit=name_hit).order_by("name_hit", "-flagship", "name", "id")


def project_list(
    *,
    sector: str | None = None,
    nation: Nation | None = None,
    status: str | None = None,
    flagship: bool | None = None,
    q: str | None = None,
) -> QuerySet[Project]:
    """The public catalogue, filtered; flagships first, then by name."""
    with public_catalogue():
        projects = Project.objects.select_related("nation")
    if sector:
        projects = projects.filter(sector=sector)
    if nation is not None:
        projects = projects.filter(nation=nation)
    if status:
        projects = projects.filter(status=status)
    if flagship is not None:
        projects = projects.filter(flagship=flagship)
    if q:
        projects = project_search(projects, q)
    return projects


def project_get(*, project_id: int) -> Project | None:
    """One project of any nation (projects are public)."""
    with public_catalogue():
        return Project.objects.select_related("nation").filter(pk=project_id).first()


# --- Statistics -------------------------------------------------------------------------------


@dataclass
class Totals:
    """Totals over a set of projects: count, budget, carbon and every metric of one sector."""

    projects: int = 0
    budget_usd: Decimal = ZERO
    carbon_tco2e: Decimal = ZERO
    metric_units: dict[str, tuple[int, int]] = field(default_factory=dict)  # key: (sum, count)

    def metrics(self, spec: SectorSpec) -> dict[str, Any]:
        """Each metric's figure: sums (flags: how many hold), percentages as their mean."""
        out: dict[str, Any] = {}
        for metric in spec.metrics:
            units, count = self.metric_units.get(metric.key, (0, 0))
            if metric.kind is MetricKind.PERCENT:
                mean = metric_from_units(metric, units) / count if count else None
                out[metric.key] = None if mean is None else str(mean.quantize(ZERO))
            elif metric.kind in (MetricKind.INTEGER, MetricKind.FLAG):
                out[metric.key] = int(units)
            else:
                out[metric.key] = str(metric_from_units(metric, units))
        return out


def _project_totals(projects: QuerySet[Project], *group: str) -> dict[Any, Totals]:
    rows = (
        projects.order_by()
        .values(*group)
        .annotate(n=Count("id"), budget=_cents("budget_usd"), carbon=_cents("carbon_tco2e"))
    )
    return {
        tuple(row[name] for name in group): Totals(
            projects=row["n"], budget_usd=_usd(row["budget"]), carbon_tco2e=_usd(row["carbon"])
        )
        for row in rows
    }


def _add_metric_totals(
    totals: dict[Any, Totals], metrics: QuerySet[ProjectMetric], *group: str
) -> None:
    rows = metrics.order_by().values(*group, "key").annotate(units=Sum("units"), n=Count("id"))
    for row in rows:
        bucket = totals.setdefault(tuple(row[name] for name in group), Totals())
        bucket.metric_units[row["key"]] = (int(row["units"] or 0), row["n"])


def _sector_statistics() -> dict[str, Totals]:
    with public_catalogue():
        totals = _project_totals(Project.objects.all(), "sector")
        _add_metric_totals(totals, ProjectMetric.objects.all(), "sector")
    return {key[0]: value for key, value in totals.items()}


def sector_statistics() -> dict[str, Totals]:
    """Totals per sector (two queries, cached until the next project write)."""
    return _cached("by_sector", _sector_statistics)


def _region_statistics(slug: str) -> dict[str, Totals]:
    with public_catalogue():
        totals = _project_totals(Project.objects.filter(sector=slug), "nation__region")
        _add_metric_totals(totals, ProjectMetric.objects.filter(sector=slug), "nation__region")
    return {key[0]: value for key, value in sorted(totals.items())}


def sector_region_statistics(slug: str) -> dict[str, Totals]:
    """Totals per region of one sector (two queries, cached)."""
    return _cached(f"by_region:{slug}", lambda: _region_statistics(slug))


def _nation_statistics(nation_id: int) -> dict[str, Totals]:
    with public_catalogue():
        totals = _project_totals(Project.objects.filter(nation_id=nation_id), "sector")
    return {key[0]: value for key, value in totals.items()}


def nation_sector_statistics(nation: Nation) -> dict[str, Totals]:
    """Per-sector counts, budgets and carbon of one nation (one query, cached)."""
    return _cached(f"nation:{nation.pk}", lambda: _nation_statistics(nation.pk))


def project_count() -> int:
    """How many projects the covenant runs (cached)."""

    def compute() -> int:
        with public_catalogue():
            return Project.objects.count()

    return _cached("count", compute)


# --- Shapes shared by the API, the pages and the core's hooks ----------------------------------


def sector_overview(spec: SectorSpec, totals: Totals | None) -> dict[str, Any]:
    """A sector's public figures: JSON-ready (money and decimals as strings)."""
    from .verses import verse_for

    totals = totals or Totals()
    return {
        "slug": spec.slug,
        "name": spec.name,
        "summary": spec.summary,
        "projects": totals.projects,
        "budget_usd": str(totals.budget_usd),
        "carbon_tco2e": str(totals.carbon_tco2e),
        "metrics": totals.metrics(spec),
        "verse": verse_for(spec.slug),
    }


def sector_overviews() -> list[dict[str, Any]]:
    """The six sectors with their totals, in the covenant's order."""
    statistics = sector_statistics()
    return [sector_overview(spec, statistics.get(spec.slug)) for spec in sector_specs()]


def sector_detail(slug: str) -> dict[str, Any] | None:
    """One sector's figures and its totals by region."""
    spec = sector_spec(slug)
    if spec is None:
        return None
    detail = sector_overview(spec, sector_statistics().get(slug))
    detail["by_region"] = [
        {
            "region": region,
            "projects": totals.projects,
            "budget_usd": str(totals.budget_usd),
            "carbon_tco2e": str(totals.carbon_tco2e),
            "metrics": totals.metrics(spec),
        }
        for region, totals in sector_region_statistics(slug).items()
    ]
    return detail


def nation_sectors_part(nation: Nation) -> dict[str, Any]:
    """The nation endpoint's `sectors`: per-sector project counts and budgets."""
    statistics = nation_sector_statistics(nation)
    rows = []
    for spec in sector_specs():
        totals = statistics.get(spec.slug) or Totals()
        rows.append(
            {
                "sector": spec.slug,
                "name": spec.name,
                "projects": totals.projects,
                "budget_usd": str(totals.budget_usd),
                "carbon_tco2e": str(totals.carbon_tco2e),
            }
        )
    return {"sectors": rows}


def summary_part() -> dict[str, Any]:
    """The covenant summary's `projects`."""
    return {"projects": project_count()}
