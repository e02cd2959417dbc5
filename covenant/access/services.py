"""Every write of the access core: role grants (with the four-eyes rule), platform admins,
personal access tokens. Each runs in one transaction and writes its audit entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from covenant.accounts.models import User
from covenant.audit.services import audit_record
from covenant.errors import Conflict, Forbidden, Invalid
from covenant.nations.models import Nation
from covenant.nations.sectors import is_sector, sector_slugs
from covenant.nations.tenancy import nation_scope

from .models import ApiKey, PersonalAccessToken, RoleAssignment, RoleStatus
from .principal import Principal, may
from .roles import ALL_CAPABILITIES, FOUR_EYES_ROLES, NATION_ROLES, Role, valid_scope
from .signals import role_activated, role_revoked
from .tokens import new_api_key, new_token, token_digest

MAX_TOKEN_DAYS = 366
MAX_KEY_DAYS = 366
MAX_SCOPES = 64


def user_get_or_create(*, email: str) -> tuple[User, bool]:
    """The user with this e-mail, created (verified address, no usable password) if missing."""
    from allauth.account.models import EmailAddress

    email = get_user_model().objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    with transaction.atomic():
        user = User.objects.create_user(email=email)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, True


def _role_audit(action: str, *, actor: Principal, assignment: RoleAssignment) -> None:
    """The audit entry of a role change: pseudonyms only."""
    audit_record(
        action=action,
        actor=actor.pseudonym,
        nation=assignment.nation,
        target_type="role_assignment",
        target_id=assignment.pk,
        data={
            "subject": assignment.user.pseudonym,
            "role": assignment.role,
            "sector": assignment.sector,
        },
    )


def _validate_nation_role(role: str, sector: str) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        raise Invalid("unknown role", fields={"role": [f"'{role}' is not a role"]}) from None
    if parsed not in NATION_ROLES:
        raise Invalid(
            "platform_admin is not a nation role",
            fields={"role": ["platform admins are granted by an operator (grant_role)"]},
        )
    if parsed == Role.SECTOR_STEWARD:
        if not sector:
            raise Invalid("a sector steward needs a sector", fields={"sector": ["required"]})
        if not is_sector(sector):
            raise Invalid(
                "unknown sector",
                fields={"sector": [f"'{sector}' is not one of {', '.join(sector_slugs())}"]},
            )
    elif sector:
        raise Invalid("only sector stewards hold a sector", fields={"sector": ["must be empty"]})
    return parsed


def role_grant(
    *,
    nation: Nation,
    user: User,
    role: str,
    sector: str = "",
    actor: Principal,
    four_eyes: bool = True,
) -> RoleAssignment:
    """Grant a role. Nation admin and auditor grants wait for a second admin (`role_approve`),
    unless an operator grants with four_eyes=False from the command line."""
    parsed = _validate_nation_role(role, sector)
    if not may(actor, "roles:grant", nation=nation):
        raise Forbidden("you may not grant roles in this nation")
    needs_approval = four_eyes and parsed in FOUR_EYES_ROLES
    now = timezone.now()
    with nation_scope(nation), transaction.atomic():
        existing = (
            RoleAssignment.objects.select_for_update()
            .filter(user=user, role=parsed, sector=sector)
            .exclude(status=RoleStatus.REVOKED)
            .first()
        )
        if existing is not None:
            raise Conflict(f"{user.email} already holds or awaits this role (#{existing.pk})")
        if (
            parsed == Role.DELEGATE
            and RoleAssignment.objects.filter(role=Role.DELEGATE, status=RoleStatus.ACTIVE).exists()
        ):
            raise Conflict("this nation already has a Global Council delegate; revoke it first")
        try:
            with transaction.atomic():
                assignment = RoleAssignment.objects.create(
                    nation=nation,
                    user=user,
                    role=parsed,
                    sector=sector,
                    status=RoleStatus.PENDING_APPROVAL if needs_approval else RoleStatus.ACTIVE,
                    granted_by=actor.user,
                    created_at=now,
                    activated_at=None if needs_approval else now,
                )
        except IntegrityError:
            raise Conflict("a concurrent grant of the same role won") from None
        _role_audit(
            "role.requested" if needs_approval else "role.granted",
            actor=actor,
            assignment=assignment,
        )
        if not needs_approval:
            role_activated.send(sender=RoleAssignment, assignment=assignment, actor=actor)
    return assignment


def role_grant_by_email(
    *, nation: Nation, email: str, role: str, sector: str = "", actor: Principal
) -> RoleAssignment:
    """Grant a role to the person with this e-mail, creating the account if needed; a refused
    grant leaves no account behind."""
    _validate_nation_role(role, sector)
    if not may(actor, "roles:grant", nation=nation):
        raise Forbidden("you may not grant roles in this nation")
    try:
        validate_email(email.strip())
    except ValidationError:
        raise Invalid("not an e-mail address", fields={"email": ["a valid e-mail"]}) from None
    with transaction.atomic():
        user, _ = user_get_or_create(email=email)
        return role_grant(nation=nation, user=user, role=role, sector=sector, actor=actor)


def role_approve(*, assignment: RoleAssignment, actor: Principal) -> RoleAssignment:
    """The second pair of eyes: another admin activates a pending grant."""
    nation = assignment.nation
    if not may(actor, "roles:approve", nation=nation):
        raise Forbidden("you may not approve roles in this nation")
    with nation_scope(nation), transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status != RoleStatus.PENDING_APPROVAL:
            raise Conflict(f"this assignment is {locked.status}, not pending approval")
        if actor.user is None or locked.granted_by_id == actor.user.pk:
            raise Forbidden("the approval must come from a second admin, not the one who granted")
        if locked.user_id == actor.user.pk:
            raise Forbidden("nobody approves their own role")
        locked.status = RoleStatus.ACTIVE
        locked.approved_by = actor.user
        locked.activated_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "activated_at"])
        _role_audit("role.approved", actor=actor, assignment=locked)
        role_activated.send(sender=RoleAssignment, assignment=locked, actor=actor)
    return locked


def role_revoke(*, assignment: RoleAssignment, actor: Principal) -> RoleAssignment:
    """Revoke an active or pending assignment; the row stays as history."""
    nation = assignment.nation
    if not may(actor, "roles:revoke", nation=nation):
        raise Forbidden("you may not revoke roles in this nation")
    with nation_scope(nation), transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.status == RoleStatus.REVOKED:
            raise Conflict("this assignment is already revoked")
        if (
            locked.role == Role.NATION_ADMIN
            and locked.status == RoleStatus.ACTIVE
            and actor.user is not None
            and locked.user_id == actor.user.pk
            and not actor.is_platform_admin
            and RoleAssignment.objects.filter(role=Role.NATION_ADMIN, status=RoleStatus.ACTIVE)
            .exclude(pk=locked.pk)
            .count()
            == 0
        ):
            raise Conflict("the last nation admin cannot revoke themselves")
        was_active = locked.status == RoleStatus.ACTIVE
        locked.status = RoleStatus.REVOKED
        locked.revoked_by = actor.user
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["status", "revoked_by", "revoked_at"])
        _role_audit("role.revoked", actor=actor, assignment=locked)
        if was_active:
            role_revoked.send(sender=RoleAssignment, assignment=locked, actor=actor)
    return locked


def platform_admin_grant(*, user: User, actor: Principal) -> User:
    """Make a user a platform admin. Operators only (the grant_role command)."""
    if not may(actor, "platform_admins:grant"):
        raise Forbidden("only an operator grants platform admin (manage.py grant_role)")
    with transaction.atomic():
        if user.is_platform_admin:
            raise Conflict(f"{user.email} is already a platform admin")
        User.objects.filter(pk=user.pk).update(is_platform_admin=True, is_staff=True)
        user.is_platform_admin = True
        user.is_staff = True
        audit_record(
            action="role.granted",
            actor=actor.pseudonym,
            target_type="user",
            target_id=user.pseudonym,
            data={"subject": user.pseudonym, "role": Role.PLATFORM_ADMIN.value, "sector": ""},
        )
    return user


def _self_service_allowed(*, user: User, actor: Principal, what: str) -> None:
    """A person creates their own token or key only in a session (not with a token or key),
    and a privileged person only with a second factor. Operators (the system) always may."""
    if actor.is_system:
        return
    if actor.user is None or actor.user.pk != user.pk:
        raise Forbidden(f"a {what} is created by its owner (or an operator's issue_token)")
    if actor.via not in ("session",):
        raise Forbidden(f"a {what} is created in a signed-in session, not with a token or key")
    if actor.mfa_missing:
        raise Forbidden(f"set up two-factor authentication before you create a {what}")


def token_issue(
    *, user: User, actor: Principal, scopes: list[str] | None = None, days: int = 90, name: str = ""
) -> tuple[PersonalAccessToken, str]:
    """Create a personal access token; the clear token is returned once and never stored.
    The operator (`issue_token`) issues for anyone; a person for themselves, in a session."""
    _self_service_allowed(user=user, actor=actor, what="personal access token")
    if days < 1 or days > MAX_TOKEN_DAYS:
        raise Invalid("days out of range", fields={"days": [f"between 1 and {MAX_TOKEN_DAYS}"]})
    if scopes is not None:
        bad = [scope for scope in scopes if not valid_scope(scope)]
        if bad:
            raise Invalid(
                "unknown scopes", fields={"scopes": [f"unknown scope {s!r}" for s in bad]}
            )
    token, prefix = new_token()
    with transaction.atomic():
        record = PersonalAccessToken.objects.create(
            user=user,
            name=name[:80],
            prefix=prefix,
            token_hash=token_digest(token),
            scopes=sorted(set(scopes)) if scopes is not None else None,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            action="token.issued",
            actor=actor.pseudonym,
            target_type="personal_access_token",
            target_id=prefix,
            data={"subject": user.pseudonym, "scopes": record.scopes, "days": days},
        )
    return record, token


def token_revoke(*, token: PersonalAccessToken, actor: Principal) -> PersonalAccessToken:
    is_owner = actor.user is not None and actor.user.pk == token.user_id
    if not (is_owner or may(actor, "tokens:revoke_any")):
        raise Forbidden("only the token's owner may revoke it")
    with transaction.atomic():
        if token.revoked_at is not None:
            raise Conflict("this token is already revoked")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="token.revoked",
            actor=actor.pseudonym,
            target_type="personal_access_token",
            target_id=token.prefix,
            data={"subject": token.user.pseudonym},
        )
    return token


def privileged_login_record(*, user: User, method: str) -> None:
    """Audit a login by a platform admin, nation admin or auditor."""
    from .principal import Principal as _Principal
    from .roles import PRIVILEGED_ROLES

    principal = _Principal(user=user)
    roles = {m.role for m in principal.memberships if m.role in PRIVILEGED_ROLES}
    if user.is_platform_admin:
        roles.add(Role.PLATFORM_ADMIN)
    if not roles:
        return
    audit_record(
        action="auth.login",
        actor=user.pseudonym,
        target_type="user",
        target_id=user.pseudonym,
        data={"method": method, "roles": sorted(role.value for role in roles)},
    )


# --- API keys -------------------------------------------------------------------------------------


def _scopes_clean(scopes: Any) -> list[str]:
    if not isinstance(scopes, list | tuple) or not scopes:
        raise Invalid("a key needs scopes", fields={"scopes": ["at least one scope"]})
    if len(scopes) > MAX_SCOPES:
        raise Invalid("too many scopes", fields={"scopes": [f"at most {MAX_SCOPES}"]})
    cleaned = sorted({str(scope).strip() for scope in scopes})
    bad = [scope for scope in cleaned if not valid_scope(scope)]
    if bad:
        raise Invalid(
            "unknown scopes", fields={"scopes": [f"unknown scope {s[:64]!r}" for s in bad[:20]]}
        )
    return cleaned


def scope_capabilities(scope: str) -> set[str]:
    """The capabilities a scope names: itself, or every action of `resource:*`."""
    if scope.endswith(":*"):
        return {cap for cap in ALL_CAPABILITIES if cap.startswith(scope[:-1])}
    return {scope}


def api_key_create(
    *, nation: Nation, name: str, scopes: list[str], days: int = 90, actor: Principal
) -> tuple[ApiKey, str]:
    """Create an API key of `nation`; the clear key is returned once and never stored. Its
    scopes must lie within the creator's capabilities in that nation, now."""
    if not may(actor, "api_keys:manage", nation=nation):
        raise Forbidden("you may not manage this nation's API keys")
    if actor.user is None:
        raise Forbidden("an API key is created by a person, who answers for it")
    if actor.via == "key":
        raise Forbidden("an API key cannot create keys")
    # A session without a second factor never gets here: may() refuses privileged people then.
    name = str(name or "").strip()
    if not name or len(name) > 80:
        raise Invalid("a key needs a name", fields={"name": ["1 to 80 characters"]})
    if not isinstance(days, int) or days < 1 or days > MAX_KEY_DAYS:
        raise Invalid("days out of range", fields={"days": [f"between 1 and {MAX_KEY_DAYS}"]})
    cleaned = _scopes_clean(scopes)
    held = actor.capabilities_in(nation.pk)
    wider = [scope for scope in cleaned if not scope_capabilities(scope) <= held]
    if wider:
        raise Forbidden(
            "a key's scopes cannot be wider than yours in this nation: " + ", ".join(wider[:20])
        )
    key, prefix = new_api_key(nation.iso3)
    with nation_scope(nation), transaction.atomic():
        record = ApiKey.objects.create(
            nation=nation,
            name=name,
            prefix=prefix,
            last_four=key[-4:],
            key_hash=token_digest(key),
            scopes=cleaned,
            created_by=actor.user,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            action="api_key.created",
            actor=actor.pseudonym,
            nation=nation,
            target_type="api_key",
            target_id=prefix,
            data={"scopes": cleaned, "days": days},
        )
    return record, key


def nation_of(nation_id: int) -> Nation:
    return Nation.objects.get(pk=nation_id)


def api_key_revoke(*, key: ApiKey, actor: Principal) -> ApiKey:
    """Revoke a key (the row stays, as history). Any manager of the nation's keys may."""
    if not may(actor, "api_keys:manage", nation=key.nation_id):
        raise Forbidden("you may not manage this nation's API keys")
    with nation_scope(key.nation_id), transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            raise Conflict("this key is already revoked")
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor.user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action="api_key.revoked",
            actor=actor.pseudonym,
            nation=nation_of(locked.nation_id),
            target_type="api_key",
            target_id=locked.prefix,
            data={},
        )
    return locked
