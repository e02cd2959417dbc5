"""Pages of the access core: `/me/` (nations, roles, tokens, keys and the parts other packages
register), `/n/<iso3>/roles/` (role management, four-eyes) and `/n/<iso3>/api-keys/`. Thin:
the rules live in the services; htmx swaps the managed section in place, and every form works
without JavaScript (post, then redirect with a message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from covenant.errors import DomainError, Forbidden
from covenant.nations.models import Nation
from covenant.nations.sectors import sector_slugs
from covenant.nations.selectors import nation_get

from .me import me_parts
from .mfa import has_second_factor
from .models import NATION_ROLE_CHOICES, PersonalAccessToken, RoleStatus
from .principal import Principal, may, principal_of_request
from .roles import ALL_CAPABILITIES, FOUR_EYES_ROLES
from .selectors import (
    api_key_get,
    api_key_list,
    my_role_assignments,
    personal_tokens,
    role_assignment_get,
    role_assignments_by_status,
)
from .services import (
    api_key_create,
    api_key_revoke,
    role_approve,
    role_grant_by_email,
    role_revoke,
    scope_capabilities,
    token_issue,
    token_revoke,
)

MAX_FIELD = 254


def _nation_or_404(iso3: str) -> Nation:
    nation = nation_get(iso3=iso3)
    if nation is None:
        raise Http404("no such nation")
    return nation


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "access/forbidden.html", {"message": message}, status=403)


def _nation_guarded(
    request: HttpRequest, iso3: str, capability: str, what: str
) -> tuple[Nation, Principal, HttpResponse | None]:
    """The nation of the URL (404 if unknown), who asks, and a 403 page unless they hold
    `capability` there (the MFA middleware turns a missing second factor into its setup)."""
    nation = _nation_or_404(iso3)
    principal = principal_of_request(request)
    if not may(principal, capability, nation=nation):
        return nation, principal, _forbidden(request, f"You may not {what} of {nation.name}.")
    return nation, principal, None


def _field(request: HttpRequest, name: str, max_length: int = MAX_FIELD) -> str:
    return str(request.POST.get(name, "")).replace("\x00", "").strip()[:max_length]


def _int_field(request: HttpRequest, name: str, default: int) -> int:
    try:
        return int(_field(request, name, 8) or default)
    except ValueError:
        return -1


def _error_text(error: DomainError) -> str:
    details = [
        f"{name}: {', '.join(map(str, msgs))}" for name, msgs in (error.fields or {}).items()
    ]
    return error.message + (f" ({'; '.join(details)})" if details else "")


def _done(
    request: HttpRequest,
    *,
    redirect_to: str,
    partial: Callable[[], HttpResponse],
    ok: str | None = None,
    error: DomainError | None = None,
) -> HttpResponse:
    """After a form: htmx gets the section again (with the message), a plain browser a
    redirect (post/redirect/get) with the message in the session."""
    if error is not None:
        messages.error(request, _error_text(error))
    elif ok:
        messages.success(request, ok)
    if getattr(request, "htmx", False):
        return partial()
    return HttpResponseRedirect(redirect_to)


# --- /me/ ----------------------------------------------------------------------------------------


def _me_context(request: HttpRequest, principal: Principal) -> dict[str, Any]:
    assignments = my_role_assignments(principal=principal)
    nations: dict[int, dict[str, Any]] = {}
    for assignment in assignments:
        entry = nations.setdefault(
            assignment.nation_id, {"nation": assignment.nation, "assignments": []}
        )
        entry["assignments"].append(assignment)
    for entry in nations.values():
        nation = entry["nation"]
        entry["may_manage_roles"] = may(principal, "roles:read", nation=nation)
        entry["may_manage_keys"] = may(principal, "api_keys:manage", nation=nation)
    key_nations = [entry["nation"] for entry in nations.values() if entry["may_manage_keys"]]
    keys = {
        nation.iso3: list(api_key_list(nation=nation, principal=principal)[:20])
        for nation in key_nations
    }
    return {
        "principal": principal,
        "nations": sorted(nations.values(), key=lambda entry: entry["nation"].name),
        "has_second_factor": has_second_factor(principal.user),
        "needs_second_factor": principal.is_privileged,
        "tokens": list(personal_tokens(principal=principal)[:50]),
        "keys": keys,
        "parts": me_parts(request, principal),
        "all_capabilities": sorted(ALL_CAPABILITIES),
    }


@login_required
def me_page(request: HttpRequest) -> HttpResponse:
    principal = principal_of_request(request)
    return render(request, "access/me.html", _me_context(request, principal))


def _tokens_partial(request: HttpRequest, new_token: str | None = None) -> HttpResponse:
    principal = principal_of_request(request)
    return render(
        request,
        "access/_tokens.html",
        {"tokens": list(personal_tokens(principal=principal)[:50]), "new_token": new_token},
    )


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    principal = principal_of_request(request)
    raw_scopes = _field(request, "scopes", 2000)
    scopes = [s.strip() for s in raw_scopes.replace(" ", ",").split(",") if s.strip()] or None
    try:
        _, token = token_issue(
            user=principal.user,  # type: ignore[arg-type]
            actor=principal,
            scopes=scopes,
            days=_int_field(request, "days", 90),
            name=_field(request, "name", 80),
        )
    except DomainError as error:
        return _done(
            request,
            redirect_to=reverse("me") + "#tokens",
            partial=lambda: _tokens_partial(request),
            error=error,
        )
    messages.success(request, "Your new token is below. Copy it now: it is shown only once.")
    if getattr(request, "htmx", False):
        return _tokens_partial(request, new_token=token)
    context = _me_context(request, principal)
    context["new_token"] = token
    return render(request, "access/me.html", context)


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    principal = principal_of_request(request)
    token = PersonalAccessToken.objects.filter(pk=token_id, user=principal.user).first()
    if token is None:
        raise Http404("no such token")
    try:
        token_revoke(token=token, actor=principal)
    except DomainError as error:
        return _done(
            request,
            redirect_to=reverse("me") + "#tokens",
            partial=lambda: _tokens_partial(request),
            error=error,
        )
    return _done(
        request,
        redirect_to=reverse("me") + "#tokens",
        partial=lambda: _tokens_partial(request),
        ok=f"Token {token.prefix}… revoked.",
    )


# --- /n/<iso3>/roles/ ----------------------------------------------------------------------------


def _roles_context(request: HttpRequest, nation: Nation, principal: Principal) -> dict[str, Any]:
    grouped = role_assignments_by_status(nation=nation, principal=principal)
    me = principal.user
    return {
        "nation": nation,
        "pending": grouped[RoleStatus.PENDING_APPROVAL],
        "active": grouped[RoleStatus.ACTIVE],
        "revoked": grouped[RoleStatus.REVOKED],
        "may_grant": may(principal, "roles:grant", nation=nation),
        "may_approve": may(principal, "roles:approve", nation=nation),
        "may_revoke": may(principal, "roles:revoke", nation=nation),
        "me_id": me.pk if me is not None else None,
        "role_choices": NATION_ROLE_CHOICES,
        "four_eyes_roles": sorted(role.value for role in FOUR_EYES_ROLES),
        "sectors": sector_slugs(),
    }


def _roles_partial(request: HttpRequest, nation: Nation) -> HttpResponse:
    principal = principal_of_request(request)
    return render(request, "access/_roles.html", _roles_context(request, nation, principal))


@login_required
@require_http_methods(["GET", "POST"])
def roles_page(request: HttpRequest, iso3: str) -> HttpResponse:
    nation, principal, refused = _nation_guarded(request, iso3, "roles:read", "see the roles")
    if refused is not None:
        return refused
    url = reverse("nation-roles", args=[nation.iso3.lower()])
    if request.method == "POST":
        try:
            assignment = role_grant_by_email(
                nation=nation,
                email=_field(request, "email"),
                role=_field(request, "role", 32),
                sector=_field(request, "sector", 32),
                actor=principal,
            )
        except DomainError as error:
            return _done(
                request,
                redirect_to=url,
                partial=lambda: _roles_partial(request, nation),
                error=error,
            )
        waiting = assignment.status == RoleStatus.PENDING_APPROVAL
        ok = (
            f"{assignment.get_role_display()} requested for {assignment.user.email}: it waits for "
            "a second admin's approval."
            if waiting
            else f"{assignment.get_role_display()} granted to {assignment.user.email}."
        )
        return _done(
            request, redirect_to=url, partial=lambda: _roles_partial(request, nation), ok=ok
        )
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "roles":
        return _roles_partial(request, nation)
    return render(request, "access/roles.html", _roles_context(request, nation, principal))


def _role_action(request: HttpRequest, iso3: str, assignment_id: int, action: str) -> HttpResponse:
    nation, principal, refused = _nation_guarded(request, iso3, "roles:read", "manage the roles")
    if refused is not None:
        return refused
    assignment = role_assignment_get(nation=nation, assignment_id=assignment_id)
    if assignment is None:
        raise Http404("no such role assignment in this nation")
    url = reverse("nation-roles", args=[nation.iso3.lower()])
    try:
        if action == "approve":
            done = role_approve(assignment=assignment, actor=principal)
            ok = f"{done.get_role_display()} of {done.user.email} approved: now active."
        else:
            done = role_revoke(assignment=assignment, actor=principal)
            ok = f"{done.get_role_display()} of {done.user.email} revoked."
    except DomainError as error:
        if isinstance(error, Forbidden) and not getattr(request, "htmx", False):
            messages.error(request, error.message)
            return HttpResponseRedirect(url)
        return _done(
            request, redirect_to=url, partial=lambda: _roles_partial(request, nation), error=error
        )
    return _done(request, redirect_to=url, partial=lambda: _roles_partial(request, nation), ok=ok)


@login_required
@require_POST
def role_approve_view(request: HttpRequest, iso3: str, assignment_id: int) -> HttpResponse:
    return _role_action(request, iso3, assignment_id, "approve")


@login_required
@require_POST
def role_revoke_view(request: HttpRequest, iso3: str, assignment_id: int) -> HttpResponse:
    return _role_action(request, iso3, assignment_id, "revoke")


# --- /n/<iso3>/api-keys/ -------------------------------------------------------------------------


def _grantable_scopes(principal: Principal, nation: Nation) -> list[str]:
    """The scopes this person may put on a key of this nation: what they hold there, and
    `resource:*` where they hold every action of the resource."""
    held = principal.capabilities_in(nation.pk)
    resources = sorted({cap.split(":", 1)[0] for cap in held})
    wildcards = [f"{r}:*" for r in resources if scope_capabilities(f"{r}:*") <= held]
    return wildcards + sorted(held)


def _keys_context(
    request: HttpRequest, nation: Nation, principal: Principal, new_key: str | None = None
) -> dict[str, Any]:
    return {
        "nation": nation,
        "keys": list(api_key_list(nation=nation, principal=principal)[:200]),
        "scopes": _grantable_scopes(principal, nation),
        "new_key": new_key,
    }


@login_required
@require_http_methods(["GET", "POST"])
def api_keys_page(request: HttpRequest, iso3: str) -> HttpResponse:
    nation, principal, refused = _nation_guarded(
        request, iso3, "api_keys:manage", "manage the API keys"
    )
    if refused is not None:
        return refused
    url = reverse("nation-api-keys", args=[nation.iso3.lower()])
    if request.method == "POST":
        try:
            _, key = api_key_create(
                nation=nation,
                name=_field(request, "name", 80),
                scopes=[s[:64] for s in request.POST.getlist("scopes")[:64]],
                days=_int_field(request, "days", 90),
                actor=principal,
            )
        except DomainError as error:
            return _done(
                request,
                redirect_to=url,
                partial=lambda: render(
                    request, "access/_api_keys.html", _keys_context(request, nation, principal)
                ),
                error=error,
            )
        messages.success(request, "The new key is below. Copy it now: it is shown only once.")
        context = _keys_context(request, nation, principal, new_key=key)
        template = "access/_api_keys.html" if getattr(request, "htmx", False) else None
        return render(request, template or "access/api_keys.html", context)
    return render(request, "access/api_keys.html", _keys_context(request, nation, principal))


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, iso3: str, key_id: int) -> HttpResponse:
    nation, principal, refused = _nation_guarded(
        request, iso3, "api_keys:manage", "manage the API keys"
    )
    if refused is not None:
        return refused
    key = api_key_get(nation=nation, key_id=key_id)
    if key is None:
        raise Http404("no such key in this nation")
    url = reverse("nation-api-keys", args=[nation.iso3.lower()])

    def partial() -> HttpResponse:
        return render(request, "access/_api_keys.html", _keys_context(request, nation, principal))

    try:
        api_key_revoke(key=key, actor=principal)
    except DomainError as error:
        return _done(request, redirect_to=url, partial=partial, error=error)
    return _done(request, redirect_to=url, partial=partial, ok=f"Key {key.name} revoked.")


@login_required
@require_POST
def object_share(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    """Share one object's capability with a named person, or take it back (`action` grant or
    revoke); then back to the object's page. The service decides who may (the object's nation's
    admins) and audits it."""
    from django.utils.http import url_has_allowed_host_and_scheme

    from covenant.accounts.models import User
    from covenant.nations.tenancy import all_nations

    from .object_grants import object_grant, object_revoke, object_sharing, shareable_model

    model = shareable_model(label)
    if model is None:
        raise Http404("nothing of this kind is shared")
    with all_nations(reason="one shared object, by id, before its nation's admin check"):
        obj = model._default_manager.filter(pk=pk).first()
    principal = principal_of_request(request)
    if obj is None or object_sharing(principal, obj) is None:
        raise Http404("no such object")  # nor one this person may share: nothing to learn
    back = str(request.POST.get("next", ""))
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    email = _field(request, "email").lower()
    capability = _field(request, "capability", 64)
    user = User.objects.filter(email=email).first() if email else None
    try:
        if user is None:
            raise DomainError("no account has this e-mail address: the person signs up first")
        if request.POST.get("action") == "revoke":
            object_revoke(obj=obj, user=user, capability=capability, actor=principal)
            messages.success(request, f"{capability} on this one record taken back from {email}.")
        else:
            object_grant(obj=obj, user=user, capability=capability, actor=principal)
            messages.success(request, f"{email} may now {capability} on this one record.")
    except DomainError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(back)
