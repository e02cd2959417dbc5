"""Seeding: the 27 flagship projects from fixtures/ (idempotent) and, with `--projects N`,
N generated demo projects (deterministic, bulk-inserted, idempotent by reference).

Benchmarks call `projects_generate(count)` directly to build 500 or 50,000 projects."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import connections, router, transaction
from django.db.models import Max
from django.utils import timezone

from covenant.money import CENT
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, nation_scope
from covenant.seeding import SeedOptions

from .metrics import metric_units, metrics_clean, metrics_json
from .models import Project, ProjectMetric, ProjectStatus
from .registry import SectorSpec, sector_spec, sector_specs
from .services import metric_rows, sector_statistics_changed

FLAGSHIPS_FILE = Path(settings.BASE_DIR) / "fixtures" / "flagship_projects.json"
DEMO_SEED = 2026
DEMO_PREFIX = "demo:"
FLAGSHIP_PREFIX = "flagship:"

_STATUSES = (
    (ProjectStatus.ACTIVE, 55),
    (ProjectStatus.PLANNED, 25),
    (ProjectStatus.COMPLETED, 15),
    (ProjectStatus.SUSPENDED, 5),
)


def flagship_rows(path: Path = FLAGSHIPS_FILE) -> list[dict[str, Any]]:
    """The flagship projects as published (fixtures/flagship_projects.json)."""
    return list(json.loads(path.read_text(encoding="utf-8")))


def flagships_load(path: Path = FLAGSHIPS_FILE) -> tuple[int, int]:
    """Create or update the flagship projects from the fixture; returns (created, updated)."""
    created = updated = 0
    nations = {nation.iso3: nation for nation in Nation.objects.all()}
    with transaction.atomic():
        for row in flagship_rows(path):
            spec = sector_spec(row["sector"])
            if spec is None:
                raise ValueError(f"flagship {row['key']}: unknown sector {row['sector']}")
            nation = nations[row["nation"]]
            values = metrics_clean(spec, row["metrics"])
            fields = {
                "sector": spec.slug,
                "name": row["name"],
                "description": row["description"],
                "status": row["status"],
                "budget_usd": Decimal(row["budget_usd"]),
                "carbon_tco2e": Decimal(row["carbon_tco2e"]),
                "start_on": dt.date.fromisoformat(row["start_on"]),
                "end_on": dt.date.fromisoformat(row["end_on"]) if row.get("end_on") else None,
                "flagship": True,
                "metrics": metrics_json(spec, values),
            }
            with nation_scope(nation):
                project, was_created = Project.objects.update_or_create(
                    reference=f"{FLAGSHIP_PREFIX}{row['key']}",
                    defaults={"nation": nation, **fields},
                )
                ProjectMetric.objects.filter(project=project).delete()
                ProjectMetric.objects.bulk_create(metric_rows(project, spec, values))
            created += was_created
            updated += not was_created
        sector_statistics_changed()  # in the transaction: the caches change with the data
    return created, updated


def _weighted_status(rng: random.Random) -> str:
    return rng.choices([s for s, _ in _STATUSES], weights=[w for _, w in _STATUSES])[0]


_PROJECT_COLUMNS = (
    "id",
    "nation_id",
    "sector",
    "name",
    "description",
    "status",
    "budget_usd",
    "carbon_tco2e",
    "start_on",
    "end_on",
    "flagship",
    "metrics",
    "reference",
    "created_at",
    "updated_at",
)
_METRIC_COLUMNS = ("nation_id", "project_id", "sector", "key", "units")


def _demo_project(
    index: int, nation: Nation, seed: int, specs: list[SectorSpec]
) -> tuple[dict[str, Any], list[tuple]]:
    """Project `index` of the demo data (its own random stream, so any subset is the same)."""
    rng = random.Random(f"{seed}:{index}")  # noqa: S311  (demo data, not security)
    spec = specs[rng.randrange(len(specs))]
    assert spec.demo_metrics is not None
    name = rng.choice(spec.demo_names).format(place=nation.name)
    if index > 195:
        name = f"{name}, phase {index // 195 + 1}"
    low, high = spec.demo_budget_range
    budget = (Decimal(rng.randrange(low * 100, high * 100)) / 100).quantize(CENT)
    status = _weighted_status(rng)
    start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 8 * 365))
    end = start + dt.timedelta(days=rng.randrange(2 * 365, 9 * 365))
    values = metrics_clean(spec, spec.demo_metrics(rng))
    capacity = values.get("capacity_mw")
    if capacity is not None:  # clean generation avoids emissions
        carbon = -(Decimal(capacity) * rng.randrange(900, 2600)).quantize(CENT)
    else:
        carbon = (Decimal(rng.randrange(-60_000_00, 40_000_00)) / 100).quantize(CENT)
    project = {
        "nation_id": nation.id,
        "sector": spec.slug,
        "name": name[:200],
        "description": (
            f"A {spec.name.lower()} programme of {nation.name}, financed by the covenant fund. "
            f"{spec.summary}"
        ),
        "status": status,
        "budget_usd": str(budget),
        "carbon_tco2e": str(carbon),
        "start_on": start.isoformat(),
        "end_on": end.isoformat(),
        "flagship": False,
        "metrics": json.dumps(metrics_json(spec, values)),
        "reference": f"{DEMO_PREFIX}{index:07d}",
    }
    metrics = []
    for key, value in values.items():
        metric = spec.metric(key)
        assert metric is not None
        metrics.append((nation.id, spec.slug, key, metric_units(metric, value)))
    return project, metrics


def _insert(connection: Any, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY on PostgreSQL; multi-row INSERTs (a few hundred rows a statement) elsewhere."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = f"COPY {quote(table)} ({names}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = min(1000, (connection.features.max_query_params or 65535) // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([one_row] * len(chunk))
            # table and column names come from the models, never from input
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES {values}"  # noqa: S608
            cursor.execute(sql, [value for row in chunk for value in row])


def projects_generate(count: int, *, seed: int = DEMO_SEED, batch_size: int = 5000) -> int:
    """Generate demo projects 1..count deterministically across the nations (round robin, so
    any 100 of them cover 100 nations), without per-row audit entries. Rows are inserted with
    executemany (50,000 projects in seconds). Projects that exist already (same reference) are
    kept; returns how many were created. The benchmarks' entry point."""
    if count <= 0:
        return 0
    nations = list(Nation.objects.order_by("iso3"))
    specs = [spec for spec in sector_specs() if spec.demo_names and spec.demo_metrics]
    alias = router.db_for_write(Project)
    connection = connections[alias]
    created = 0
    with (
        all_nations(reason="seeding generated demo projects across the nations"),
        transaction.atomic(using=alias),
    ):
        existing = set(
            Project.objects.using(alias)
            .filter(reference__startswith=DEMO_PREFIX)
            .values_list("reference", flat=True)
        )
        next_id = (Project.objects.using(alias).aggregate(top=Max("id"))["top"] or 0) + 1
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        for start in range(1, count + 1, batch_size):
            projects: list[tuple] = []
            metrics: list[tuple] = []
            for index in range(start, min(start + batch_size, count + 1)):
                if f"{DEMO_PREFIX}{index:07d}" in existing:
                    continue
                nation = nations[(index - 1) % len(nations)]
                project, rows = _demo_project(index, nation, seed, specs)
                project.update(id=next_id, created_at=now, updated_at=now)
                projects.append(tuple(project[column] for column in _PROJECT_COLUMNS))
                metrics.extend((nation_id, next_id, *rest) for nation_id, *rest in rows)
                next_id += 1
            if projects:
                _insert(connection, Project._meta.db_table, _PROJECT_COLUMNS, projects)
                _insert(connection, ProjectMetric._meta.db_table, _METRIC_COLUMNS, metrics)
                created += len(projects)
        if created:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Project]):
                    cursor.execute(sql)
        sector_statistics_changed()
    return created


def projects_seed_step(options: SeedOptions) -> None:
    """`manage.py seed`: the flagships always, and `--projects N` generated ones."""
    created, updated = flagships_load()
    options.write(f"flagship projects: {created} created, {updated} updated")
    if options.projects:
        generated = projects_generate(options.projects)
        options.write(f"demo projects: {generated} generated ({options.projects} requested)")
