"""Reads of the access core, already scoped and filtered to what the principal may see."""

from __future__ import annotations

from django.db.models import QuerySet

from covenant.errors import Forbidden
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope

from .models import ApiKey, PersonalAccessToken, RoleAssignment, RoleStatus
from .principal import Principal, may


def role_assignment_list(
    *, nation: Nation, principal: Principal, include_revoked: bool = False
) -> QuerySet[RoleAssignment]:
    """A nation's role assignments, for those who may read them. Call inside nation_scope."""
    if not may(principal, "roles:read", nation=nation):
        raise Forbidden("you may not read this nation's roles")
    with nation_scope(nation):
        rows = RoleAssignment.objects.select_related("user").order_by("role", "user__email", "id")
        if not include_revoked:
            rows = rows.exclude(status=RoleStatus.REVOKED)
        return rows


def role_assignment_get(*, nation: Nation, assignment_id: int) -> RoleAssignment | None:
    with nation_scope(nation):
        return (
            RoleAssignment.objects.select_related("user", "nation").filter(pk=assignment_id).first()
        )


def role_assignments_by_status(
    *, nation: Nation, principal: Principal
) -> dict[str, list[RoleAssignment]]:
    """A nation's assignments for its role page: pending, active and the revoked history."""
    rows = role_assignment_list(nation=nation, principal=principal, include_revoked=True)
    with nation_scope(nation):
        ordered = list(
            rows.select_related("granted_by", "approved_by", "revoked_by").order_by(
                "role", "user__email", "-id"
            )
        )
    grouped: dict[str, list[RoleAssignment]] = {status.value: [] for status in RoleStatus}
    for row in ordered:
        grouped[row.status].append(row)
    grouped[RoleStatus.REVOKED].sort(key=lambda row: row.revoked_at or row.created_at, reverse=True)
    return grouped


def my_role_assignments(*, principal: Principal) -> list[RoleAssignment]:
    """The signed-in person's own assignments, in every nation, with their status."""
    from covenant.nations.tenancy import all_nations

    if principal.user is None:
        return []
    # Reviewed cross-nation read: a person's own roles, whichever nations they are in.
    with all_nations(reason="a person's own role assignments, on their /me/ page"):
        return list(
            RoleAssignment.objects.filter(user=principal.user)
            .select_related("nation")
            .order_by("status", "nation__name", "role")
        )


def api_key_list(*, nation: Nation, principal: Principal) -> QuerySet[ApiKey]:
    """A nation's API keys (newest first), for those who manage them."""
    if not may(principal, "api_keys:manage", nation=nation):
        raise Forbidden("you may not manage this nation's API keys")
    with nation_scope(nation):
        return ApiKey.objects.select_related("created_by", "nation").order_by("-created_at", "-id")


def api_key_get(*, nation: Nation, key_id: int) -> ApiKey | None:
    with nation_scope(nation):
        return ApiKey.objects.select_related("nation", "created_by").filter(pk=key_id).first()


def personal_tokens(*, principal: Principal) -> QuerySet[PersonalAccessToken]:
    """The person's own personal access tokens."""
    return PersonalAccessToken.objects.filter(user=principal.user).order_by("-created_at")
