"""Role assignments per nation (and sector) and personal access tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from covenant.nations.tenancy import NationOwned

from .roles import Role


class RoleStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    REVOKED = "revoked", "Revoked"


NATION_ROLE_CHOICES = [(role.value, role.label) for role in Role if role != Role.PLATFORM_ADMIN]


class RoleAssignment(NationOwned):
    """Who holds which role in a nation. Revoked rows stay, as history: a person is never
    deleted from under their grants (PROTECT); an erasure anonymises the person instead."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(max_length=32, choices=NATION_ROLE_CHOICES)
    sector = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=20, choices=RoleStatus.choices, default=RoleStatus.ACTIVE)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["nation_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "nation", "role", "sector"],
                condition=~Q(status="revoked"),
                name="role_assignment_unique_live",
            ),
            models.UniqueConstraint(
                fields=["nation"],
                condition=Q(role="delegate", status="active"),
                name="one_active_delegate_per_nation",
            ),
            models.CheckConstraint(
                condition=(Q(role="sector_steward") & ~Q(sector=""))
                | (~Q(role="sector_steward") & Q(sector="")),
                name="sector_iff_steward",
            ),
            models.CheckConstraint(
                condition=~Q(role="platform_admin"), name="platform_admin_is_not_a_nation_role"
            ),
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.role} of nation {self.nation_id}" + (
            f" ({self.sector})" if self.sector else ""
        )


class PersonalAccessToken(models.Model):
    """A token acting as its user, limited by scopes. Only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=80, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(null=True, blank=True)  # null: all of the user's capabilities
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.prefix}…"

    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
