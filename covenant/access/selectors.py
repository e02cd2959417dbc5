"""Reads of the access core, already scoped and filtered to what the principal may see."""

from __future__ import annotations

from django.db.models import QuerySet

from covenant.errors import Forbidden
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope

from .models import RoleAssignment, RoleStatus
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
