"""Projects of every sector, and their numeric metrics as rows the database can sum."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from guardian.models import UserObjectPermissionBase

from covenant.nations.tenancy import NationOwned

MONEY: dict[str, Any] = {"max_digits": 20, "decimal_places": 2}


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    SUSPENDED = "suspended", "Suspended"


class Project(NationOwned):
    """A programme of one nation in one sector. `metrics` is the canonical JSON of the
    sector's metrics; `ProjectMetric` rows mirror its numbers for exact SQL sums."""

    sector = models.CharField(max_length=32, db_index=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    budget_usd = models.DecimalField(**MONEY, default=0)
    carbon_tco2e = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    start_on = models.DateField(null=True, blank=True)
    end_on = models.DateField(null=True, blank=True)
    flagship = models.BooleanField(default=False)
    metrics = models.JSONField(default=dict, blank=True)
    # a stable key for seeded rows ("flagship:…", "demo:…") so that seeding is idempotent
    reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-flagship", "name", "id"]
        # object grants (covenant.access.object_grants): one project's write access, shared
        permissions = [("projects__update", "May update this one project (object grant)")]
        indexes = [
            models.Index(fields=["sector", "status"], name="project_sector_status"),
            # the catalogue's order (flagships first, then by name), with and without a sector
            models.Index(fields=["-flagship", "name", "id"], name="project_catalogue_order"),
            models.Index(fields=["sector", "-flagship", "name", "id"], name="project_sector_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_usd__gte=0), name="project_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(start_on__isnull=True)
                | Q(end_on__isnull=True)
                | Q(end_on__gte=F("start_on")),
                name="project_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="project_unique_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sector})"


class ProjectMetric(NationOwned):
    """One numeric metric of one project, in whole 10^-places units of the metric (exact sums
    on SQLite and PostgreSQL alike). Written only by the project services and the seeding."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="metric_rows")
    sector = models.CharField(max_length=32)
    key = models.CharField(max_length=40)
    units = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["sector", "key"], name="projectmetric_sector_key")]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="projectmetric_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.units} (project {self.project_id})"


class ProjectUserObjectPermission(UserObjectPermissionBase):
    """Object grants on one project (django-guardian's direct foreign-key table)."""

    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)
