"""Public reads of the nations, with their ledger figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import Q, QuerySet

from .models import Nation

# Other packages add per-nation detail (the sectors add `sectors`) without the core importing them.
_detail_parts: list[Callable[[Nation], dict[str, Any]]] = []


def register_nation_detail_part(part: Callable[[Nation], dict[str, Any]]) -> None:
    if part not in _detail_parts:
        _detail_parts.append(part)


def nation_detail_parts(nation: Nation) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for part in _detail_parts:
        extra.update(part(nation))
    return extra


_WORD = re.compile(r"\w+", re.UNICODE)
SEARCHED = ("name", "subregion")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)][:8]


def _nation_search(nations: QuerySet[Nation], q: str) -> QuerySet[Nation]:
    """Every word of `q` must begin a word of the name or sub-region ("new" finds New Zealand
    and Papua New Guinea), or `q` is the nation's ISO code. PostgreSQL: full-text search with
    prefix matching and ranking; SQLite: the same word-prefix rule with LIKE."""
    words = _words(q)
    code = Q(iso3__iexact=q) | Q(iso2__iexact=q)
    if not words:
        return nations.filter(code) if q else nations
    if connections[router.db_for_read(Nation)].vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("name", weight="A", config="simple") + SearchVector(
            "subregion", weight="B", config="simple"
        )
        query = SearchQuery(" & ".join(f"{word}:*" for word in words), config="simple",
                            search_type="raw")  # fmt: skip
        return (
            nations.annotate(document=vector, rank=SearchRank(vector, query))
            .filter(Q(document=query) | code)
            .order_by("-rank", "name")
        )
    matched = Q()
    for word in words:
        # a word begins the field, or follows a space, a parenthesis, a hyphen or an apostrophe
        starts = Q()
        for field in SEARCHED:
            starts |= Q(**{f"{field}__istartswith": word})
            for separator in (" ", "(", "-", "'"):
                starts |= Q(**{f"{field}__icontains": separator + word})
        matched &= starts
    return nations.filter(matched | code).order_by("name")


def nation_list(
    *, region: str | None = None, income_group: str | None = None, q: str | None = None
) -> QuerySet[Nation]:
    """Nations filtered by region, income group and a search on names and codes."""
    nations = Nation.objects.all()
    if region:
        nations = nations.filter(region__iexact=region)
    if income_group:
        nations = nations.filter(income_group__iexact=income_group)
    if q:
        return _nation_search(nations, q.strip())
    return nations.order_by("name")


_ISO3 = re.compile(r"[A-Za-z]{3}", re.ASCII)


def nation_get(*, iso3: str) -> Nation | None:
    """The nation with this ISO 3166 alpha-3 code (any case); None for anything else."""
    return Nation.objects.filter(iso3=iso3.upper()).first() if _ISO3.fullmatch(iso3) else None


def regions() -> list[str]:
    return list(Nation.objects.order_by("region").values_list("region", flat=True).distinct())


def income_groups() -> list[str]:
    return list(
        Nation.objects.exclude(income_group="")
        .order_by("income_group")
        .values_list("income_group", flat=True)
        .distinct()
    )
