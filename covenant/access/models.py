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


class ApiKeyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ApiKey(NationOwned):
    """An integrator's key: bound to one nation, with scopes no wider than its creator's there.
    Only the SHA-256 of the whole key is stored, with its lookup prefix and last four
    characters (to recognise it in a list). It acts as its creator's memberships in its nation,
    narrowed by its scopes: a creator who loses a role also disarms the key of that role."""

    is_api_key = True

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    last_four = models.CharField(max_length=4)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"key {self.prefix}…{self.last_four}"

    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"


class NationIdentityProvider(models.Model):
    """A nation's OpenID Connect identity provider (SSO). Platform admins configure it (the
    Django admin); `sso_provider_save` keeps the allauth SocialApp it drives in step. A first
    login through it creates a citizen of that nation and nothing more."""

    tenancy_exempt = (
        "configuration of the nation's identity provider: read at sign-in, before any nation is "
        "in scope, and managed by platform admins only"
    )

    nation = models.OneToOneField(
        "nations.Nation", on_delete=models.PROTECT, related_name="identity_provider"
    )
    name = models.CharField(max_length=80, help_text="shown on the sign-in button")
    issuer = models.URLField(max_length=300, help_text="the OpenID Connect issuer URL")
    client_id = models.CharField(max_length=191)
    client_secret = models.CharField(max_length=191, blank=True)
    enabled = models.BooleanField(default=True)
    social_app = models.OneToOneField(
        "socialaccount.SocialApp", null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["nation__iso3"]

    def __str__(self) -> str:
        return f"SSO of {self.nation_id}: {self.name}"

    @property
    def provider_id(self) -> str:
        """allauth's provider id: the nation's ISO3 code in lower case (`/accounts/oidc/ken/…`)."""
        return str(self.nation.iso3).lower()


class SSORoleMapping(models.Model):
    """An explicit rule, set by an admin: a claim value from this provider grants this role in
    the provider's nation. None exist by default: roles never come from claims otherwise.
    Nation admin and auditor (four-eyes roles) and delegate cannot be mapped."""

    tenancy_exempt = "a rule of a nation's identity provider (see NationIdentityProvider)"

    provider = models.ForeignKey(
        NationIdentityProvider, on_delete=models.CASCADE, related_name="role_mappings"
    )
    claim = models.CharField(max_length=80, help_text="e.g. groups")
    value = models.CharField(max_length=200, help_text="e.g. ken-energy-stewards")
    role = models.CharField(max_length=32, choices=NATION_ROLE_CHOICES)
    sector = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "claim", "value", "role", "sector"], name="sso_mapping_unique"
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["nation_admin", "auditor", "delegate"]),
                name="sso_mapping_no_elevated_roles",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim}={self.value} → {self.role}"
