"""Requests refused before any view sees them, in the error shape (JSON under /api/, the
portal's own page elsewhere): an over-long request line (414) and control characters in the
path (400; PostgreSQL refuses NUL in a query, so a NUL in a nation code would otherwise be a
500 in every view that looks it up)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from covenant.api.errors import error_body

MAX_REQUEST_URI = 4096  # bytes of path and query, as sent (gunicorn's default line limit)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def request_uri_length(request: HttpRequest) -> int:
    raw = request.META.get("RAW_URI")  # gunicorn: the target exactly as it was sent
    if raw:
        return len(raw)
    query = request.META.get("QUERY_STRING", "")
    return len(quote(request.path, safe="/%:@&=+$,;~!*'()")) + (len(query) + 1 if query else 0)


def refusal(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message), status=status)
    return render(request, "pages/400.html", {"message": message}, status=status)


class RequestGuardMiddleware:
    """Innermost middleware: the responses it refuses with still get every security header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_uri_length(request) > MAX_REQUEST_URI:
            return refusal(
                request,
                414,
                "uri_too_long",
                f"the address is longer than {MAX_REQUEST_URI} characters",
            )
        if _CONTROL.search(request.path):
            return refusal(
                request, 400, "bad_request", "the address holds control characters (such as NUL)"
            )
        return self.get_response(request)
