"""What every page's header shows of the signed-in person: their nations and roles."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest

from covenant.access.principal import principal_of_request
from covenant.access.roles import Role


def identity(request: HttpRequest) -> dict[str, Any]:
    """`identity`: [{"nation": "KEN", "roles": "Council member, Global Council delegate"}] and
    whether the person is a platform admin; nothing for anonymous visitors (no query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    principal = principal_of_request(request)
    by_nation: dict[str, list[str]] = {}
    try:
        memberships = principal.memberships
    except DatabaseError:  # the error pages render without the database, the header too
        return {}
    for membership in memberships:
        by_nation.setdefault(membership.nation_iso3, []).append(Role(membership.role).label)
    return {
        "identity": {
            "nations": [
                {"nation": iso3, "roles": ", ".join(sorted(set(roles)))}
                for iso3, roles in sorted(by_nation.items())
            ],
            "platform_admin": principal.is_platform_admin,
        }
    }
