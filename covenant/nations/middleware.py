"""The Django admin is the platform admins' cross-nation tool: it runs in the escape hatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from .tenancy import all_nations


class AdminNationScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/"):
            user: Any = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.is_platform_admin:
                with all_nations(reason="Django admin, platform admin"):
                    return self.get_response(request)
        return self.get_response(request)
