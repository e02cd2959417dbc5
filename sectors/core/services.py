"""Every write of a project: create and update, with their audit entries. Statistics caches and
the covenant summary are invalidated after commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from covenant.access.principal import Principal, may
from covenant.audit.services import audit_record
from covenant.caching.generations import data_changed
from covenant.errors import Forbidden, Invalid
from covenant.money import MAX_USD, two_places_checked
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope
from covenant.text import text_checked

from .metrics import MetricValue, metric_units, metrics_clean, metrics_json
from .models import Project, ProjectMetric, ProjectStatus
from .registry import SectorSpec, sector_spec

MAX_BUDGET = MAX_USD
MAX_CARBON = Decimal("100000000000.00")  # 10^11 tCO2e either way
MAX_NAME = 200
MAX_DESCRIPTION = 10_000
EARLIEST, LATEST = dt.date(1950, 1, 1), dt.date(2100, 12, 31)

EDITABLE_FIELDS = (
    "name",
    "description",
    "status",
    "budget_usd",
    "carbon_tco2e",
    "start_on",
    "end_on",
    "flagship",
    "metrics",
)


def sector_statistics_changed() -> None:
    """Call inside the transaction of a project write: every cached statistic, list page and
    the covenant summary change generation with it (covenant.caching)."""
    data_changed("projects")


def _date(value: Any, field: str) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, dt.date) or not EARLIEST <= value <= LATEST:
        raise Invalid("invalid date", fields={field: [f"a date between {EARLIEST} and {LATEST}"]})
    return value


def _clean(spec: SectorSpec, fields: dict[str, Any], current: Project | None) -> dict[str, Any]:
    """Check every field's rule; returns the cleaned values (metrics as canonical JSON)."""
    clean: dict[str, Any] = {}
    if "name" in fields:
        clean["name"] = text_checked(fields["name"], field="name", max_length=MAX_NAME)
    if "description" in fields:
        clean["description"] = text_checked(
            fields["description"] or "",
            field="description",
            max_length=MAX_DESCRIPTION,
            multiline=True,
            allow_blank=True,
        )
    if "status" in fields:
        if fields["status"] not in ProjectStatus.values:
            raise Invalid("invalid status", fields={"status": [f"one of {ProjectStatus.values}"]})
        clean["status"] = fields["status"]
    if "budget_usd" in fields:
        clean["budget_usd"] = two_places_checked(
            fields["budget_usd"], field="budget_usd", maximum=MAX_BUDGET
        )
    if "carbon_tco2e" in fields:
        clean["carbon_tco2e"] = two_places_checked(
            fields["carbon_tco2e"], field="carbon_tco2e", minimum=-MAX_CARBON, maximum=MAX_CARBON
        )
    for field in ("start_on", "end_on"):
        if field in fields:
            clean[field] = _date(fields[field], field)
    start = clean.get("start_on", current.start_on if current else None)
    end = clean.get("end_on", current.end_on if current else None)
    if start and end and end < start:
        raise Invalid("ends before it starts", fields={"end_on": ["must not be before start_on"]})
    if "flagship" in fields:
        clean["flagship"] = bool(fields["flagship"])
    if "metrics" in fields:
        values = metrics_clean(
            spec, fields["metrics"], current=current.metrics if current is not None else None
        )
        clean["metrics"] = metrics_json(spec, values)
        clean["_metric_values"] = values
    return clean


def _metric_rows_write(project: Project, spec: SectorSpec, values: dict[str, MetricValue]) -> None:
    ProjectMetric.objects.filter(project=project).delete()
    ProjectMetric.objects.bulk_create(metric_rows(project, spec, values))


def metric_rows(
    project: Project, spec: SectorSpec, values: dict[str, MetricValue]
) -> list[ProjectMetric]:
    """The summable rows of a project's metrics (percentages are averaged, so kept too)."""
    rows = []
    for key, value in values.items():
        metric = spec.metric(key)
        if metric is None:
            continue
        rows.append(
            ProjectMetric(
                nation_id=project.nation_id,
                project=project,
                sector=spec.slug,
                key=key,
                units=metric_units(metric, value),
            )
        )
    return rows


def _audit_data(clean: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in clean.items():
        if key.startswith("_") or key == "description":
            continue
        data[key] = value.isoformat() if isinstance(value, dt.date) else value
    return data


def project_create(
    *, nation: Nation, sector: str, fields: dict[str, Any], actor: Principal
) -> Project:
    """Create a project of `nation` in `sector` (steward of both, nation admin, platform admin)."""
    spec = sector_spec(sector)
    if spec is None:
        raise Invalid("unknown sector", fields={"sector": [f"no sector {str(sector)[:32]!r}"]})
    if not may(actor, "projects:create", nation=nation, sector=spec.slug):
        raise Forbidden("you may not create projects of this sector in this nation")
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise Invalid("unknown fields", fields={name[:64]: ["unknown field"] for name in unknown})
    if "name" not in fields:
        raise Invalid("a project needs a name", fields={"name": ["required"]})
    if fields.get("flagship") and not may(actor, "projects:mark_flagship", nation=nation):
        raise Forbidden("only a platform admin marks flagship projects")
    clean = _clean(spec, {"metrics": {}, **fields}, None)
    values = clean.pop("_metric_values")
    with nation_scope(nation), transaction.atomic():
        project = Project.objects.create(nation=nation, sector=spec.slug, **clean)
        _metric_rows_write(project, spec, values)
        audit_record(
            action="project.created",
            actor=actor.pseudonym,
            nation=nation,
            target_type="project",
            target_id=project.pk,
            data={"sector": spec.slug, **_audit_data(clean)},
        )
        sector_statistics_changed()
    return project


def project_update(*, project: Project, fields: dict[str, Any], actor: Principal) -> Project:
    """Change a project's editable fields; metrics merge into the current ones (null removes)."""
    spec = sector_spec(project.sector)
    if spec is None:  # a sector app was removed: its projects are read-only
        raise Invalid("this project's sector is not installed")
    if not may(actor, "projects:update", nation=project.nation_id, sector=spec.slug, obj=project):
        raise Forbidden("you may not update this project")
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise Invalid("unknown fields", fields={name[:64]: ["unknown field"] for name in unknown})
    flagship_change = "flagship" in fields and bool(fields["flagship"]) != project.flagship
    if flagship_change and not may(actor, "projects:mark_flagship", nation=project.nation_id):
        raise Forbidden("only a platform admin marks flagship projects")
    with nation_scope(project.nation_id), transaction.atomic():
        locked = (
            Project.objects.select_for_update(of=("self",))
            .select_related("nation")
            .get(pk=project.pk)
        )
        clean = _clean(spec, fields, locked)
        values = clean.pop("_metric_values", None)
        for key, value in clean.items():
            setattr(locked, key, value)
        locked.save()
        if values is not None:
            _metric_rows_write(locked, spec, values)
        audit_record(
            action="project.updated",
            actor=actor.pseudonym,
            nation=locked.nation,
            target_type="project",
            target_id=locked.pk,
            data={"sector": spec.slug, **_audit_data(clean)},
        )
        sector_statistics_changed()
    return locked
