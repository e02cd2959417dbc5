"""Loading the member nations from fixtures/countries.csv (World Bank data, CC BY 4.0)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.db import transaction

from covenant.caching.generations import data_changed

from .models import Nation

COUNTRIES_CSV = Path(settings.BASE_DIR) / "fixtures" / "countries.csv"


def _int_or_none(value: str) -> int | None:
    return int(value) if value.strip() else None


def nations_load(*, path: Path = COUNTRIES_CSV) -> tuple[int, int]:
    """Create or update the nations from the CSV; returns (created, updated). Idempotent."""
    created = updated = 0
    # keep_default_na matters in pandas; csv reads Namibia's "NA" as the string it is.
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with transaction.atomic():
        existing = {nation.iso3: nation for nation in Nation.objects.all()}
        for row in rows:
            values = {
                "iso2": row["iso2"],
                "name": row["name"],
                "region": row["region"],
                "subregion": row["subregion"],
                "income_group": row["income_group"],
                "population": _int_or_none(row["population"]),
                "population_year": _int_or_none(row["population_year"]),
                "gdp_usd": _int_or_none(row["gdp_usd"]),
                "gdp_year": _int_or_none(row["gdp_year"]),
            }
            nation = existing.get(row["iso3"])
            if nation is None:
                Nation(iso3=row["iso3"], **values).save()
                created += 1
            elif any(getattr(nation, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(nation, key, value)
                nation.save()
                updated += 1
        if created or updated:
            data_changed("nations")
    return created, updated
