"""Celery entry points of the ledger. Tasks take ids, and the nation explicitly."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from covenant.access.principal import Principal
from covenant.errors import Conflict
from covenant.nations.models import Nation
from covenant.nations.tenancy import in_nation_scope

from .services import pledge_post


@shared_task(name="covenant.ledger.pledge_for_nation", acks_late=True)
@in_nation_scope
def pledge_for_nation(nation_id: int, fiscal_year: int) -> bool:
    """Post one nation's pledge for the year; False when it was already posted (idempotent)."""
    nation = Nation.objects.get(pk=nation_id)
    try:
        pledge_post(nation=nation, fiscal_year=fiscal_year, actor=Principal.system("beat"))
    except Conflict:
        return False
    return True


@shared_task(name="covenant.ledger.open_year")
def open_year(fiscal_year: int | None = None) -> int:
    """At the start of a year (beat, 1 January): one pledge task per nation that has a GDP."""
    year = fiscal_year or timezone.now().year
    nation_ids = list(
        Nation.objects.filter(gdp_usd__isnull=False).order_by("iso3").values_list("id", flat=True)
    )
    for nation_id in nation_ids:
        pledge_for_nation.delay(nation_id, year)
    return len(nation_ids)
