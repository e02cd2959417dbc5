"""The ESG report: budget, beneficiaries and carbon per project, with a totals row, as CSV
lines streamed in bounded memory (keyset pages of the public catalogue)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from decimal import Decimal

from covenant.nations.models import Nation

from .models import Project
from .registry import sector_spec
from .selectors import public_catalogue

CHUNK = 1000
HEADER = [
    "project_id",
    "project",
    "nation",
    "sector",
    "status",
    "budget_usd",
    "beneficiaries",
    "carbon_tco2e",
]


def _safe(text: str) -> str:
    """Text cells never start a spreadsheet formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _line(row: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(row)
    return buffer.getvalue()


def esg_csv_lines(*, nation: Nation | None = None, sector: str | None = None) -> Iterator[str]:
    """Every project of a nation or of a sector, then the totals row."""
    budget = carbon = Decimal("0.00")
    beneficiaries = count = 0
    last_id = 0
    yield _line(HEADER)
    while True:
        with public_catalogue():
            projects = Project.objects.select_related("nation").filter(pk__gt=last_id)
            if nation is not None:
                projects = projects.filter(nation=nation)
            if sector is not None:
                projects = projects.filter(sector=sector)
            chunk = list(
                projects.order_by("pk").only(
                    "id",
                    "name",
                    "sector",
                    "status",
                    "budget_usd",
                    "carbon_tco2e",
                    "metrics",
                    "nation__iso3",
                )[:CHUNK]
            )
        if not chunk:
            break
        for project in chunk:
            spec = sector_spec(project.sector)
            reached = ""
            if spec is not None and spec.beneficiaries_metric:
                value = project.metrics.get(spec.beneficiaries_metric)
                if isinstance(value, int) and not isinstance(value, bool):
                    reached = str(value)
                    beneficiaries += value
            budget += project.budget_usd
            carbon += project.carbon_tco2e
            count += 1
            yield _line(
                [
                    project.pk,
                    _safe(project.name),
                    project.nation.iso3,
                    project.sector,
                    project.status,
                    f"{project.budget_usd:.2f}",
                    reached,
                    f"{project.carbon_tco2e:.2f}",
                ]
            )
        last_id = chunk[-1].pk
    yield _line(
        [
            "",
            f"TOTAL ({count} projects)",
            "",
            "",
            "",
            f"{budget:.2f}",
            beneficiaries,
            f"{carbon:.2f}",
        ]
    )
