"""Root URLs: pages, accounts, the API v1, health probes, the admin."""

import os
from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.module_loading import import_string

from covenant import health
from covenant.api.errors import json_error_view
from covenant.pages import views as pages

# The Django admin signs in through allauth's login: its rate limits, MFA and SSO apply.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", pages.home, name="home"),
    path("n/<str:iso3>/", pages.nation_page, name="nation"),
    path("accounts/", include("allauth.urls")),
    path("", include("covenant.access.urls")),
    path("", include("sectors.core.urls")),
    path("", include("governance.urls")),
    path("", include("compliance.urls")),
    path("api/v1/", include("sectors.core.api_urls")),
    path("api/v1/", include("governance.api_urls")),
    path("api/v1/", include("covenant.api.urls")),
    path("api/v1/", include("compliance.api_urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]

if os.environ.get("COVENANT_BENCH") == "1":  # `make bench` only: the stack's ceiling, no DB
    urlpatterns.append(path("bench/bare/", import_string("benchmarks.bare.bare_json")))


def handler404(request: Any, exception: Any = None) -> Any:
    if request.path.startswith("/api/"):
        return json_error_view(404, "not_found", "no such resource")(request)
    return pages.not_found(request, exception)


def handler400(request: Any, exception: Any = None) -> Any:
    if request.path.startswith("/api/"):
        return json_error_view(400, "bad_request", "the request could not be read")(request)
    return pages.bad_request(request, exception)


def handler403(request: Any, exception: Any = None) -> Any:
    if request.path.startswith("/api/"):
        return json_error_view(403, "permission_denied", "forbidden")(request)
    return pages.forbidden(request, exception)


def handler500(request: Any) -> Any:
    if request.path.startswith("/api/"):
        return json_error_view(500, "server_error", "internal error")(request)
    return pages.server_error(request)
