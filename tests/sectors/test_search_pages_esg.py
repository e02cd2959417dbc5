"""Search (full text on PostgreSQL, substrings on SQLite), the pages and the ESG reports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from covenant.nations.models import Nation
from sectors.core.models import Project
from tests.conftest import Cast, assert_error, postgres_only

from .conftest import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def searchable(cast: Cast, kenya: Nation, brazil: Nation) -> dict[str, Project]:
    admin = cast.platform_admin
    return {
        "solar": make_project(
            admin,
            kenya,
            "energy",
            name="Lake Turkana Solar Park",
            description="Photovoltaic arrays and storage near the lake.",
        ),
        "wind": make_project(
            admin,
            brazil,
            "energy",
            name="Bahia Wind Corridor",
            description="Wind farms with solar hybrid inverters on the coast.",
        ),
        "clinic": make_project(
            admin,
            brazil,
            "health",
            name="Amazon River Clinics",
            description="Floating clinics for riverine communities.",
        ),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("solar", {"solar", "wind"}),
        ("Turkana", {"solar"}),
        ("clinics", {"clinic"}),
        ("floating clinics", {"clinic"}),
        ("wind coast", {"wind"}),
        ("geothermal", set()),
    ],
)
def test_search_plain_words(
    api: Any, searchable: dict[str, Project], q: str, expected: set[str]
) -> None:
    """The same results on SQLite (substrings) and PostgreSQL (full text)."""
    ids = {project.pk: key for key, project in searchable.items()}
    body = api.get("/api/v1/projects/", {"q": q}).json()
    assert {ids[row["id"]] for row in body["results"]} == expected


def test_search_ranks_name_matches(api: Any, searchable: dict[str, Project]) -> None:
    results = api.get("/api/v1/projects/", {"q": "solar"}).json()["results"]
    assert results[0]["id"] == searchable["solar"].pk


@postgres_only
def test_postgres_search_uses_the_gin_index(searchable: dict[str, Project]) -> None:
    from sectors.core.selectors import project_list

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'project_search_gin'")
        (definition,) = cursor.fetchone()
        assert "gin" in definition.lower() and "to_tsvector" in definition
        cursor.execute("SET enable_seqscan = off")
    plan = project_list(q="solar").explain()
    assert "project_search_gin" in plan


def test_sector_page(searchable: dict[str, Project]) -> None:
    client = Client()
    response = client.get("/sectors/energy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and '<title id="chart-title">Energy: budget by region</title>' in html
    assert '<desc id="chart-desc">' in html and "Africa" in html
    assert "Lake Turkana Solar Park" in html and "Bahia Wind Corridor" in html
    assert 'hx-get="/sectors/energy/"' in html and 'hx-target="#projects-list"' in html
    assert "/api/v1/sectors/energy/esg.csv" in html
    assert "style=" not in html and "<script>" not in html
    assert client.get("/sectors/mining/").status_code == 404


def test_sector_page_filters_without_and_with_htmx(searchable: dict[str, Project]) -> None:
    client = Client()
    html = client.get("/sectors/energy/", {"nation": "BRA"}).content.decode()
    assert "Bahia Wind Corridor" in html and "Lake Turkana Solar Park" not in html
    partial = client.get(
        "/sectors/energy/", {"q": "turkana"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="projects-list"
    ).content.decode()
    assert partial.startswith('<div id="projects-list"') and "<html" not in partial
    assert "Lake Turkana Solar Park" in partial and "Bahia" not in partial
    assert client.get("/sectors/energy/", {"status": "bogus", "page": "x"}).status_code == 200


def test_home_shows_six_sector_cards(searchable: dict[str, Project]) -> None:
    html = Client().get("/").content.decode()
    for name in ("Agriculture", "Minerals", "Energy", "Technology", "Health", "Education"):
        assert f'href="/sectors/{name.lower()}/">{name}</a>' in html
    assert html.count('class="verse"') >= 6


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_esg_reports(cast: Cast, kenya: Nation, brazil: Nation) -> None:
    admin = cast.platform_admin
    make_project(
        admin,
        kenya,
        "health",
        name="=HYPERLINK(1)",
        budget_usd=__import__("decimal").Decimal("10.50"),
        carbon_tco2e=__import__("decimal").Decimal("-2.25"),
        metrics={"beneficiaries": 100},
    )
    make_project(admin, kenya, "energy", metrics={"capacity_mw": 5})
    make_project(admin, brazil, "health", metrics={"beneficiaries": 7})
    client = Client()
    rows = _csv(client.get("/api/v1/nations/KEN/esg.csv"))
    assert rows[0] == [
        "project_id",
        "project",
        "nation",
        "sector",
        "status",
        "budget_usd",
        "beneficiaries",
        "carbon_tco2e",
    ]
    assert len(rows) == 4 and rows[1][1] == "'=HYPERLINK(1)"
    assert rows[-1][1] == "TOTAL (2 projects)" and rows[-1][5] == "1000010.50"
    assert rows[-1][6] == "100" and rows[-1][7] == "-2.25"
    rows = _csv(client.get("/api/v1/sectors/health/esg.csv"))
    assert rows[-1][1] == "TOTAL (2 projects)" and rows[-1][6] == "107"
    assert_error(client.get("/api/v1/nations/XYZ/esg.csv"), 404)
    assert_error(client.get("/api/v1/sectors/mining/esg.csv"), 404)
