"""Public reads replayed in front of the middleware (covenant.api.fastpath): the same bytes and
headers as the full path, never stale after a write, never for a request that carries
credentials or asks for something else, and the host check and throttles still apply."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import BaseThrottle

from sectors.core.api import ProjectListView
from tests.conftest import assert_error, client_for
from tests.sectors.conftest import make_project

PATHS = [
    "/api/v1/covenant/",
    "/api/v1/nations/",
    "/api/v1/nations/?region=Africa&page=2&page_size=10",
    "/api/v1/nations/KEN/",
    "/api/v1/sectors/",
    "/api/v1/sectors/energy/",
    "/api/v1/projects/",
    "/api/v1/projects/?sector=energy",
]
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def headers(response: Any) -> dict[str, str]:
    return {name: value for name, value in response.items() if name not in {"Date"}}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_replayed_answer_is_the_full_paths_byte_for_byte(client, cast, kenya, path) -> None:
    make_project(cast.platform_admin, kenya, "energy")
    first = client.get(path)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(path)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert headers(second) == headers(first)
    assert len(queries) == 0  # served from the process's memo: no view, no query
    for name in SECURITY_HEADERS:
        assert name in second, name


@pytest.mark.django_db
def test_a_write_changes_what_is_served_at_once(client, cast, kenya) -> None:
    before = client.get("/api/v1/projects/?sector=energy").json()
    make_project(cast.platform_admin, kenya, "energy", name="Fresh")
    after = client.get("/api/v1/projects/?sector=energy").json()
    assert after["count"] == before["count"] + 1
    assert "Fresh" in [row["name"] for row in after["results"]]
    summary = client.get("/api/v1/covenant/").json()
    assert summary["projects"] == after["count"]


@pytest.mark.django_db
def test_credentials_always_take_the_full_path(client, cast) -> None:
    client.get("/api/v1/projects/")  # cached now
    assert_error(client.get("/api/v1/projects/", HTTP_AUTHORIZATION="Bearer cov_bad"), 401)
    client.cookies["sessionid"] = "forged"
    assert client.get("/api/v1/projects/").status_code == 200


@pytest.mark.django_db
def test_other_representations_take_the_full_path(client) -> None:
    client.get("/api/v1/projects/")
    html = client.get("/api/v1/projects/", HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert client.get("/api/v1/projects/?format=api").status_code == 200


@pytest.mark.django_db
def test_the_host_is_still_checked(client) -> None:
    client.get("/api/v1/projects/")
    client.raise_request_exception = False
    assert client.get("/api/v1/projects/", HTTP_HOST="evil.example").status_code == 400


class RefuseAll(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        return False

    def wait(self) -> float:
        return 7.0


@pytest.mark.django_db
def test_the_views_throttles_still_apply(client, monkeypatch) -> None:
    assert client.get("/api/v1/projects/").status_code == 200  # cached now
    monkeypatch.setattr(ProjectListView, "throttle_classes", [RefuseAll])
    refused = client.get("/api/v1/projects/")
    assert_error(refused, 429, "throttled")
    assert refused["Retry-After"] == "7"


@pytest.mark.django_db
def test_head_gets_the_headers_without_the_body(client) -> None:
    full = client.get("/api/v1/nations/")
    head = client.head("/api/v1/nations/")
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(full.content))


@pytest.mark.django_db
def test_errors_and_writes_are_never_replayed(client, cast) -> None:
    assert_error(client.get("/api/v1/projects/?sector=mining"), 400)
    assert_error(client.get("/api/v1/projects/?sector=mining"), 400)
    admin = client_for(cast.platform_admin)
    body = {"name": "Solar", "sector": "energy"}
    assert admin.post("/api/v1/nations/KEN/projects/", body, format="json").status_code == 201
    assert admin.post("/api/v1/nations/KEN/projects/", body, format="json").status_code == 201
