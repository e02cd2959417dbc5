"""Roles and the role → capability table. Capabilities are `<resource>:<action>` strings."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", "Platform admin"
    NATION_ADMIN = "nation_admin", "Nation admin"
    COUNCIL_MEMBER = "council_member", "Council member"
    DELEGATE = "delegate", "Global Council delegate"
    SECTOR_STEWARD = "sector_steward", "Sector steward"
    AUDITOR = "auditor", "Auditor"
    CITIZEN = "citizen", "Citizen"


NATION_ROLES = frozenset(role for role in Role if role != Role.PLATFORM_ADMIN)
# Granting these needs a second admin's approval (the four-eyes rule).
FOUR_EYES_ROLES = frozenset({Role.NATION_ADMIN, Role.AUDITOR})
# Roles whose capabilities hold only inside the sector of the assignment.
SECTOR_BOUND_ROLES = frozenset({Role.SECTOR_STEWARD})
# Roles whose holders log in with extra care: their logins are audited (and will need MFA).
PRIVILEGED_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.NATION_ADMIN, Role.AUDITOR})

_PROJECT_WRITE = {"projects:create", "projects:update", "projects:distribute_profit"}

CAPABILITIES: dict[Role, frozenset[str]] = {
    Role.NATION_ADMIN: frozenset(
        {
            "roles:read",
            "roles:grant",
            "roles:approve",
            "roles:revoke",
            *_PROJECT_WRITE,
            "privacy:read",
            "privacy:manage",
            "api_keys:manage",
            "webhooks:manage",
            "proposals:read_drafts",
        }
    ),
    Role.COUNCIL_MEMBER: frozenset({"proposals:create", "proposals:read_drafts", "ballots:cast"}),
    Role.DELEGATE: frozenset(
        {"global_proposals:create", "global_proposals:read_drafts", "global_ballots:cast"}
    ),
    Role.SECTOR_STEWARD: frozenset(_PROJECT_WRITE),
    Role.AUDITOR: frozenset(
        {"ledger:read", "audit:read", "audit:verify", "votes:read_log", "roles:read"}
    ),
    Role.CITIZEN: frozenset({"privacy:file"}),
    Role.PLATFORM_ADMIN: frozenset(
        {
            "roles:read",
            "roles:grant",
            "roles:approve",
            "roles:revoke",
            *_PROJECT_WRITE,
            "projects:mark_flagship",
            "ledger:read",
            "ledger:reverse",
            "contributions:create",
            "contributions:read",
            "audit:read",
            "audit:verify",
            "votes:read_log",
            # not privacy:read / privacy:manage: a nation's data-subject requests are seen by
            # the subject and that nation's admins only (SPEC §3), not by the platform's
            "api_keys:manage",
            "webhooks:manage",
            "proposals:read_drafts",
        }
    ),
}

ALL_CAPABILITIES = frozenset().union(*CAPABILITIES.values())

# Held by every signed-in person, about themselves, in every member nation: a data subject needs
# no role to file a GDPR/CCPA request (a person who signs up holds none). The service checks
# that the request is about the person filing it; filing for someone else is `privacy:manage`.
PERSONAL_CAPABILITIES = frozenset({"privacy:file"})

# Held by the system actor only (trusted code: operators' commands, the beat, the seed, a
# council's passed vote); no role holds them.
SYSTEM_ONLY_CAPABILITIES = frozenset(
    {
        "ledger:post_pledge",  # the year's pledges (beat, seed)
        "ledger:post_allocation",  # money leaves the fund: only a passed budget proposal
        "platform_admins:grant",  # the operator's grant_role
        "tokens:revoke_any",  # the operator revokes anyone's token
    }
)
SYSTEM_CAPABILITIES = ALL_CAPABILITIES | SYSTEM_ONLY_CAPABILITIES


def is_global_capability(capability: str) -> bool:
    """Exercised in the Global Council (no nation), held through a role in a nation."""
    return capability.startswith("global_")


def scope_allows(scopes: frozenset[str] | None, capability: str) -> bool:
    """A token's scopes: None means unrestricted; `resource:*` allows every action on it."""
    if scopes is None:
        return True
    resource = capability.split(":", 1)[0]
    return capability in scopes or f"{resource}:*" in scopes


def valid_scope(scope: str) -> bool:
    if scope.endswith(":*"):
        return any(cap.startswith(scope[:-1]) for cap in ALL_CAPABILITIES)
    return scope in ALL_CAPABILITIES
