"""Object-level grants (django-guardian, direct foreign-key tables): one object shared with a
named person — one project's write access with a steward of another sector, one proposal's vote
log with an auditor. `may(principal, capability, obj=...)` consults them after the roles.

Never used to build lists: selectors filter by roles; a grant only answers "may this person do
this to this one object?". A key's nation binding, its scopes and MFA still apply (may()
checks them first), and the object's nation is the nation of the question.

To share objects of a model of your own (governance's proposals, say):
1. a direct FK table next to the model::

       class ProposalUserObjectPermission(UserObjectPermissionBase):
           content_object = models.ForeignKey(Proposal, on_delete=models.CASCADE)

2. the permission on the model: `Meta.permissions = [(capability_codename("votes:read_log"),
   "…")]`, i.e. `("votes__read_log", "…")`;
3. `register_object_capability(Proposal, "votes:read_log")` in your AppConfig.ready();
4. `may(principal, "votes:read_log", obj=proposal)` where you check access to that object.
Grants are made with `object_grant(...)` / `object_revoke(...)` (audited)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from covenant.audit.services import audit_record
from covenant.errors import Conflict, Forbidden, Invalid

from .principal import Principal, may

_capabilities: dict[str, set[str]] = {}  # model label → capabilities it may share


def capability_codename(capability: str) -> str:
    """The Django permission codename of a capability: `projects:update` → `projects__update`."""
    return capability.replace(":", "__")


def register_object_capability(model: type[models.Model], capability: str) -> None:
    _capabilities.setdefault(model._meta.label, set()).add(capability)


def shareable_capabilities(model: type[models.Model] | models.Model) -> set[str]:
    return set(_capabilities.get(model._meta.label, set()))


def _table(obj: models.Model) -> Any:
    from guardian.utils import get_user_obj_perms_model

    table: Any = get_user_obj_perms_model(obj)
    if table.objects.is_generic():
        raise Invalid(f"{obj._meta.label} has no direct object-permission table")
    return table


def object_grant_held(user: Any, capability: str, obj: models.Model) -> bool:
    """Has `user` been given `capability` on this one object?"""
    if user is None or obj.pk is None or capability not in shareable_capabilities(obj):
        return False
    return bool(
        _table(obj)
        .objects.filter(
            user_id=user.pk,
            content_object=obj,
            permission__codename=capability_codename(capability),
        )
        .exists()
    )


def _check(obj: models.Model, capability: str, actor: Principal) -> None:
    if capability not in shareable_capabilities(obj):
        raise Invalid(
            "this capability cannot be shared on this object",
            fields={"capability": [f"one of {sorted(shareable_capabilities(obj))}"]},
        )
    nation_id = getattr(obj, "nation_id", None)
    if nation_id is None or not may(actor, "roles:grant", nation=nation_id):
        raise Forbidden("only an admin of the object's nation shares it")


def _audit(action: str, *, obj: models.Model, user: Any, capability: str, actor: Principal) -> None:
    from covenant.nations.models import Nation

    audit_record(
        action=action,
        actor=actor.pseudonym,
        nation=Nation.objects.get(pk=obj.nation_id),  # type: ignore[attr-defined]
        target_type=obj._meta.model_name or "",
        target_id=obj.pk,
        data={"subject": user.pseudonym, "capability": capability},
    )


def object_grant(*, obj: models.Model, user: Any, capability: str, actor: Principal) -> None:
    """Share `capability` on `obj` with `user` (an admin of the object's nation; audited)."""
    from guardian.shortcuts import assign_perm

    _check(obj, capability, actor)
    with transaction.atomic():
        if object_grant_held(user, capability, obj):
            raise Conflict("this person already holds that grant on this object")
        assign_perm(capability_codename(capability), user, obj)
        _audit("object_grant.granted", obj=obj, user=user, capability=capability, actor=actor)


def object_revoke(*, obj: models.Model, user: Any, capability: str, actor: Principal) -> None:
    """Take the grant back (audited)."""
    from guardian.shortcuts import remove_perm

    _check(obj, capability, actor)
    with transaction.atomic():
        if not object_grant_held(user, capability, obj):
            raise Conflict("this person holds no such grant on this object")
        remove_perm(capability_codename(capability), user, obj)
        _audit("object_grant.revoked", obj=obj, user=user, capability=capability, actor=actor)


def object_grants_on(obj: models.Model) -> list[tuple[Any, str]]:
    """(person, capability) of every grant on this one object, for its page."""
    codenames = {capability_codename(cap): cap for cap in shareable_capabilities(obj)}
    rows = (
        _table(obj)
        .objects.filter(content_object=obj, permission__codename__in=codenames)
        .select_related("user", "permission")
        .order_by("user__email")
    )
    return [(row.user, codenames[row.permission.codename]) for row in rows]


def shareable_model(label: str) -> type[models.Model] | None:
    """The model registered under `label` ("governance.Proposal"), if it shares anything."""
    from django.apps import apps

    for registered in _capabilities:
        if registered.lower() == label.lower():
            return apps.get_model(registered)
    return None


def object_sharing(principal: Principal, obj: models.Model) -> dict[str, Any] | None:
    """What an object's page shows of its grants, to an admin of its nation (who may share it);
    None for everyone else."""
    nation_id = getattr(obj, "nation_id", None)
    capabilities = sorted(shareable_capabilities(obj))
    if nation_id is None or not capabilities or not may(principal, "roles:grant", nation=nation_id):
        return None
    return {
        "label": obj._meta.label,
        "pk": obj.pk,
        "capabilities": capabilities,
        "grants": [
            {"email": user.email, "capability": capability}
            for user, capability in object_grants_on(obj)
        ],
    }
