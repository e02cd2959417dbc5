"""Public reads served from cache, in front of the middleware stack, with every header and check
of the full path.

A view opts in by naming the data generations its public GET answer depends on
(`public_cache = ("projects",)`, see covenant.caching). The first anonymous request for an
address goes through the whole stack; its answer — status, body and every header the stack set
(Content-Security-Policy, X-Frame-Options, Vary, …) — is kept under the address and the current
generations, in this process and in the shared cache. The next anonymous request for the same
address, while the data has not changed, gets that answer replayed byte for byte, without the
session, authentication, CSRF, DRF negotiation and rendering it would not use anyway.

Kept on the fast path: SecurityMiddleware (it runs before this one: HTTPS redirect, HSTS,
nosniff, referrer policy), the host check (ALLOWED_HOSTS), the view's throttles (DRF's
`throttle_classes`, asked exactly as DRF would; a refusal falls through to the full path, which
answers the 429). Only what cannot differ from the stored answer is served from it: GET or HEAD,
no credentials (no Authorization header, no cookies), a JSON (or unspecified) Accept, no
`format` parameter, an answer that set no cookie. A write changes the generations in its own
transaction (covenant.caching.data_changed): no stale answer is served after it commits, on
any instance (within the generations' one-second memo), with or without Redis."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver

from covenant.caching.generations import generation_key
from covenant.memo import ProcessMemo

CACHE_TTL_SECONDS = 600
MEMO_ENTRIES = 512
MEMO_SECONDS = 5.0  # keyed by generation: a changed generation is a new key at once
_SKIPPED_HEADERS = {"content-length", "date", "set-cookie", "connection"}
_JSON_ACCEPTS = {"", "*/*", "application/json", "application/*"}


class _BoundedMemo(ProcessMemo[tuple[int, list[tuple[str, str]], bytes]]):
    """The process's copy of recent answers, at most MEMO_ENTRIES of them (cleared with every
    other memo of the process by clear_process_memos)."""

    def __init__(self) -> None:
        super().__init__(MEMO_SECONDS)

    def lookup(self, key: Any) -> tuple[int, list[tuple[str, str]], bytes] | None:
        held = self._values.get(key)
        if held is not None and time.monotonic() - held[0] < self.seconds:
            return held[1]
        return None

    def put(self, key: Any, value: tuple[int, list[tuple[str, str]], bytes]) -> None:
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = (time.monotonic(), value)  # dicts keep insertion order
            while len(self._values) > MEMO_ENTRIES:
                self._values.pop(next(iter(self._values)))


_answers = _BoundedMemo()


@lru_cache(maxsize=2048)
def _view_of(path: str) -> tuple[Any, tuple[str, ...]] | None:
    """The view class behind `path` and the generations it depends on, if it opts in."""
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return None
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    depends_on = getattr(view_class, "public_cache", None)
    if not depends_on:
        return None
    return view_class, tuple(depends_on)


def _servable(request: HttpRequest) -> bool:
    meta = request.META
    return (
        request.method in ("GET", "HEAD")
        and request.path.startswith("/api/")
        and "HTTP_AUTHORIZATION" not in meta
        and not meta.get("HTTP_COOKIE")
        and meta.get("HTTP_ACCEPT", "").split(";")[0].strip() in _JSON_ACCEPTS
        and "format" not in request.GET
    )


def _throttled(view_class: Any, request: HttpRequest) -> bool:
    """Whether one of the view's DRF throttles refuses this request (asked as DRF would)."""
    throttles = getattr(view_class, "throttle_classes", None) or []
    if not throttles:
        return False
    from rest_framework.request import Request

    view = view_class()
    drf_request = Request(request)
    view.request = drf_request
    return any(not throttle().allow_request(drf_request, view) for throttle in throttles)


def _replay(stored: tuple[int, list[tuple[str, str]], bytes], method: str) -> HttpResponse:
    status, headers, body = stored
    response = HttpResponse(b"" if method == "HEAD" else body, status=status)
    for name, value in headers:
        response[name] = value
    response["Content-Length"] = str(len(body))
    return response


class PublicReadCacheMiddleware:
    """Right after SecurityMiddleware (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _servable(request):
            return self.get_response(request)
        target = _view_of(request.path_info)
        if target is None:
            return self.get_response(request)
        view_class, depends_on = target
        # the full path would check the host in CommonMiddleware; DisallowedHost is a 400
        key = (
            request.scheme or "http",
            request.get_host(),
            request.get_full_path(),
            generation_key(*depends_on),
        )
        # addresses can be long (up to 4 KB): the shared key is their digest
        shared_key = "api:public:" + hashlib.sha256("|".join(key).encode()).hexdigest()
        stored = _answers.lookup(key)
        if stored is None:
            stored = cache.get(shared_key)
            if stored is not None:
                _answers.put(key, stored)
        if stored is not None and not _throttled(view_class, request):
            return _replay(stored, request.method or "GET")
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "Set-Cookie" not in response
        ):
            headers = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in _SKIPPED_HEADERS
            ]
            answer = (response.status_code, headers, bytes(response.content))
            _answers.put(key, answer)
            cache.set(shared_key, answer, CACHE_TTL_SECONDS)
        return response
