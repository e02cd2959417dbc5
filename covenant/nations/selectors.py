"""Public reads of the nations, with their ledger figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
        q = q.strip()
        nations = nations.filter(
            Q(name__icontains=q) | Q(iso3__iexact=q) | Q(iso2__iexact=q) | Q(subregion__icontains=q)
        )
    return nations.order_by("name")


def nation_get(*, iso3: str) -> Nation | None:
    return Nation.objects.filter(iso3=iso3.upper()).first() if len(iso3) == 3 else None


def regions() -> list[str]:
    return list(Nation.objects.order_by("region").values_list("region", flat=True).distinct())


def income_groups() -> list[str]:
    return list(
        Nation.objects.exclude(income_group="")
        .order_by("income_group")
        .values_list("income_group", flat=True)
        .distinct()
    )
