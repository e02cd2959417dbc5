"""MFA before any privileged page or action on the web, for every app, centrally.

`may()` already refuses everything to a privileged person in a web session without a second
factor (`Principal.mfa_missing`), so every page and API call that asks `may()` refuses them.
This middleware turns those refusals into something a person can act on: a page answering 403
(or 404, which pages that hide what a person may not see answer) redirects to the MFA setup
(with a message), an API answer says `mfa_required`; and the
Django admin, which does not ask `may()`, is closed to them outright. Public pages stay open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from covenant.api.errors import error_body

from .principal import Principal, principal_for

MFA_SETUP_URL = "/accounts/2fa/"
MFA_MESSAGE = (
    "Your role needs two-factor authentication: set up an authenticator app or a security "
    "key before you continue."
)
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz", "/media/")


def _principal(request: HttpRequest) -> Principal | None:
    """The principal the view used, or (no view asked) the session's."""
    cached = getattr(request, "_covenant_principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    from .principal import _signed_in_by_session

    return principal_for(user, web_session=_signed_in_by_session(request))


def mfa_setup_redirect(request: HttpRequest) -> HttpResponse:
    messages.warning(request, MFA_MESSAGE)
    return HttpResponseRedirect(f"{MFA_SETUP_URL}?{urlencode({'next': request.get_full_path()})}")


class PrivilegedMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        if path.startswith("/admin/"):
            user: Any = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.is_staff:
                principal = _principal(request)
                if principal is not None and principal.mfa_missing:
                    return mfa_setup_redirect(request)
            return self.get_response(request)
        response = self.get_response(request)
        is_api = path.startswith("/api/")
        if response.status_code != 403 and (is_api or response.status_code != 404):
            return response
        principal = _principal(request)
        if principal is None or not principal.mfa_missing:
            return response
        if is_api:
            return JsonResponse(
                error_body(
                    "mfa_required",
                    "your role needs two-factor authentication in a web session: set it up at "
                    f"{MFA_SETUP_URL} (or use a personal access token)",
                ),
                status=403,
                json_dumps_params={"separators": (",", ":")},
            )
        if request.headers.get("HX-Request"):
            refused = HttpResponse(status=403)
            refused["HX-Redirect"] = MFA_SETUP_URL
            return refused
        return mfa_setup_redirect(request)
