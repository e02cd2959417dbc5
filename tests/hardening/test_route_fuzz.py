"""Hostile input thrown at every route of the URLconf, found by walking the resolver: a new
endpoint (of any package) is covered without being listed. Whatever comes in — NUL or odd bytes
in path segments, malformed pagination, control characters in filters, deep or invalid JSON,
lone surrogates, numbers where text belongs — the answer is a 4xx (or a 2xx/3xx), never a
500; under /api/ an error is always in the error shape."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from covenant.access.principal import SYSTEM
from covenant.access.services import platform_admin_grant
from covenant.ledger.services import pledge_post
from tests.conftest import client_for, make_user
from tests.sectors.conftest import make_project

# Per converter: a valid-looking value first, then hostile ones.
SEGMENTS = {
    "str": ["KEN", "%00%00%00", "A%00B", "%ff%fe%fd", "x" * 300, "..%2F..%2Fetc", "%F0%9F%92%A9"],
    "slug": ["energy", "ener%00gy", "-" * 200],
    "int": ["1", "99999999999999999999", "0"],
    "path": ["x", "%00", "a/" * 100],
}
QUERIES = [
    "page=0",
    "page=-1",
    "page=abc",
    "page_size=abc",
    "page_size=1000000",
    "q=%00%00",
    "q=%ED%A0%80",  # an encoded lone surrogate
    "nation=%00KE",
    "sector[]=x&status[]=y",
    "flagship=maybe",
    "kind=%27%3B--",
    "region=" + "é" * 600,
]
BODIES: list[tuple[str, str]] = [
    ('{"a": ' + "[" * 1000 + "]" * 1000 + "}", "application/json"),
    ('{"\\ud800": 1, "name": "\\udfff"}', "application/json"),
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('{"amount_usd": 1e308, "budget_usd": NaN, "profit_usd": -Infinity}', "application/json"),
    ('{"amount_usd": "١٢٣", "name": "\\u200b", "email": "\\u0000@x"}', "application/json"),
    ('{"page": 1' + ', "x": 1' * 2000 + "}", "application/json"),
    ("1" * 5000, "application/json"),
    ("name=x&amount_usd=1", "application/x-www-form-urlencoded"),
]
SKIPPED_PREFIXES = ("/static/", "/media/")


def routes(resolver: Any = None, prefix: str = "") -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(route with {name} placeholders, [(name, converter)]) for every pattern of the URLconf."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern.pattern, RoutePattern):
            route = str(pattern.pattern)
        else:  # a regex pattern: only those without groups can be built
            regex = pattern.pattern.regex.pattern
            if "(" in regex:
                continue
            route = regex.lstrip("^").rstrip("$").replace("\\", "")
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            full = prefix + route
            params = re.findall(r"<(?:(\w+):)?(\w+)>", full)
            template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", full)
            yield "/" + template, [(name, converter or "str") for converter, name in params]


ROUTES = sorted(set((template, tuple(params)) for template, params in routes()))


def concrete(template: str, params: tuple[tuple[str, str], ...], known: dict[str, str]) -> str:
    values = {name: known.get(name, SEGMENTS.get(conv, ["x"])[0]) for name, conv in params}
    return template.format(**values)


def hostile_paths(template: str, params: tuple[tuple[str, str], ...], known: dict[str, str]):
    for index, (_name, converter) in enumerate(params):
        for bad in SEGMENTS.get(converter, SEGMENTS["str"])[1:]:
            values = {
                n: (bad if i == index else known.get(n, SEGMENTS.get(c, ["x"])[0]))
                for i, (n, c) in enumerate(params)
            }
            yield template.format(**values)


def check(response: Any, path: str, what: str) -> None:
    assert response.status_code < 500, (what, path, response.status_code, response.content[:300])
    if path.startswith("/api/") and response.status_code >= 400:
        if "/api/v1/docs/" in path or "/api/v1/schema/" in path:
            return  # the schema's own views
        body = json.loads(response.content)
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], (
            what,
            path,
            body,
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("template", "params"), ROUTES, ids=[t for t, _ in ROUTES])
def test_hostile_input_at_every_route_is_never_a_500(kenya, template, params) -> None:
    if template.startswith(SKIPPED_PREFIXES):
        pytest.skip("static files")
    admin_user = make_user("fuzz-admin@covenant.test")  # one person: lighter than the cast
    platform_admin_grant(user=admin_user, actor=SYSTEM)
    known = {"iso3": "KEN"}
    if "{project_id}" in template:  # real objects, so that bodies reach the views
        known["project_id"] = str(make_project(admin_user, kenya, "minerals").pk)
    if "{entry_id}" in template:
        known["entry_id"] = str(pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM).pk)
    admin = client_for(admin_user)
    admin.raise_request_exception = False
    anonymous = client_for(None)
    anonymous.raise_request_exception = False
    path = concrete(template, params, known)
    # The admin's many generic model pages get a lighter walk; ours get all of it.
    generic = template.startswith(("/admin/", "/accounts/"))
    methods = ("get",) if generic else ("get", "post", "delete")
    queries = QUERIES[:3] if generic else QUERIES
    bodies = BODIES[:2] if generic else BODIES

    for bad_path in hostile_paths(template, params, known):
        for method in methods:
            check(getattr(admin, method)(bad_path), bad_path, method)
        check(anonymous.get(bad_path), bad_path, "anonymous get")
    for query in queries:
        check(admin.get(f"{path}?{query}"), path, query)
    check(anonymous.get(f"{path}?{'q=' + 'a' * 5000}"), path, "long query")
    for number, (body, content_type) in enumerate(bodies):
        for method in ("POST", "PATCH", "PUT") if number < 2 else ("POST",):
            response = admin.generic(method, path, body, content_type=content_type)
            check(response, path, f"{method} {body[:40]}")
        check(anonymous.generic("POST", path, body, content_type=content_type), path, "anon body")


def test_the_walk_finds_the_core_and_sector_routes() -> None:
    templates = {template for template, _ in ROUTES}
    assert {
        "/api/v1/nations/{iso3}/contributions/",
        "/api/v1/projects/{project_id}/profit-distributions/",
        "/n/{iso3}/",
        "/sectors/{slug}/",
    } <= templates
    assert len(templates) > 30
