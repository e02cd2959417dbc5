"""The sectors' API: public reads, writes by role, profit distributions, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from covenant.audit.models import AuditEntry
from covenant.ledger.models import Kind, LedgerEntry
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, nation_scope
from sectors.core.models import Project, ProjectMetric
from sectors.minerals.models import ProfitDistribution
from tests.conftest import NATION_ROLES, Cast, assert_error, client_for

from .conftest import make_project

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int, int]:
    with all_nations(reason="test: count every row written"):
        return (
            Project.objects.count(),
            ProjectMetric.objects.count(),
            ProfitDistribution.objects.count(),
            LedgerEntry.objects.count(),
            AuditEntry.objects.count(),
        )


# --- public reads -------------------------------------------------------------------------------


def test_sector_list_and_detail(api: Any, projects: dict[str, Project]) -> None:
    body = api.get("/api/v1/sectors/").json()
    assert body["count"] == 6 and body["next"] is None
    energy = next(item for item in body["results"] if item["slug"] == "energy")
    assert energy["projects"] == 2
    assert energy["budget_usd"] == "2000000.00"
    assert energy["metrics"] == {
        "capacity_mw": "112.50",
        "reserve_mw": "22.500",
        "dispatchable_mw": "90.000",
        "renewable_share_pct": None,
    }
    assert energy["verse"]["text"]
    detail = api.get("/api/v1/sectors/energy/").json()
    regions = {row["region"]: row for row in detail["by_region"]}
    assert regions["Africa"]["projects"] == 1
    assert regions["Africa"]["metrics"]["capacity_mw"] == "100.00"
    assert regions["Americas"]["metrics"]["reserve_mw"] == "2.500"
    assert_error(api.get("/api/v1/sectors/mining/"), 404, "not_found")


def test_project_list_filters_and_detail(api: Any, projects: dict[str, Project]) -> None:
    body = api.get("/api/v1/projects/").json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 8
    assert api.get("/api/v1/projects/?sector=minerals").json()["count"] == 2
    assert api.get("/api/v1/projects/?nation=bra").json()["count"] == 2
    assert api.get("/api/v1/projects/?status=planned").json()["count"] == 8
    assert api.get("/api/v1/projects/?flagship=true").json()["count"] == 0
    assert api.get("/api/v1/projects/?sector=energy&nation=KEN").json()["count"] == 1
    project = projects["bra_energy"]
    detail = api.get(f"/api/v1/projects/{project.pk}/").json()
    assert detail["nation"] == "BRA" and detail["sector"] == "energy"
    assert detail["budget_usd"] == "1000000.00" and detail["carbon_tco2e"] == "0.00"
    assert detail["metrics"]["dispatchable_mw"] == "10.000"
    assert {"description", "start_on", "end_on", "status", "flagship"} <= set(detail)
    assert_error(api.get("/api/v1/projects/999999/"), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        "sector=mining",
        "status=dreaming",
        "flagship=perhaps",
        "nation=toolong",
        "flagship=null",
        "nation=",
        "sector=",
        "status=",
    ],
)
def test_bad_filters_are_400(api: Any, query: str) -> None:
    assert_error(api.get(f"/api/v1/projects/?{query}"), 400, "invalid")


def test_a_well_formed_code_of_no_member_nation_is_404(api: Any) -> None:
    assert_error(api.get("/api/v1/projects/?nation=XXX"), 404, "not_found")


def test_reads_take_constant_queries(api: Any, cast: Cast, kenya: Nation) -> None:
    def queries(url: str) -> int:
        from django.core.cache import cache

        from covenant.memo import clear_process_memos

        cache.clear()
        clear_process_memos()
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    urls = [
        "/api/v1/sectors/",
        "/api/v1/sectors/health/",
        "/api/v1/projects/",
        "/api/v1/nations/KEN/",
    ]
    make_project(cast.platform_admin, kenya, "health", name="First clinic")
    before = {url: queries(url) for url in urls}
    for index in range(12):
        make_project(
            cast.platform_admin,
            kenya,
            "health",
            name=f"Clinic {index}",
            metrics={"facilities": index},
        )
    assert {url: queries(url) for url in urls} == before


def test_statistics_are_cached_and_invalidated_on_write(
    api: Any, cast: Cast, kenya: Nation, django_capture_on_commit_callbacks: Any
) -> None:
    assert api.get("/api/v1/sectors/health/").json()["projects"] == 0
    with CaptureQueriesContext(connection) as captured:
        api.get("/api/v1/sectors/health/")
    assert len(captured) == 0  # served from the cache
    with django_capture_on_commit_callbacks(execute=True):
        make_project(cast.platform_admin, kenya, "health", metrics={"beneficiaries": 7})
    body = api.get("/api/v1/sectors/health/").json()
    assert body["projects"] == 1 and body["metrics"]["beneficiaries"] == 7
    assert api.get("/api/v1/covenant/").json()["projects"] == 1
    nation = api.get("/api/v1/nations/KEN/").json()
    health = next(row for row in nation["sectors"] if row["sector"] == "health")
    assert health == {
        "sector": "health",
        "name": "Health",
        "projects": 1,
        "budget_usd": "1000000.00",
        "carbon_tco2e": "0.00",
    }


# --- writes ------------------------------------------------------------------------------------

GOOD = {
    "name": "Turkana Wind Extension",
    "sector": "energy",
    "budget_usd": "2500000.50",
    "carbon_tco2e": "-1200.00",
    "start_on": "2026-01-01",
    "end_on": "2029-12-31",
    "status": "active",
    "description": "Two hundred turbines.",
    "metrics": {"capacity_mw": 300, "renewable_share_pct": "100"},
}


@pytest.mark.parametrize("who", ["nation_admin", "sector_steward", "platform_admin"])
def test_create_by_allowed_roles(cast: Cast, who: str) -> None:
    user = cast.platform_admin if who == "platform_admin" else cast.user("KEN", who)
    before = _counts()
    response = client_for(user).post("/api/v1/nations/KEN/projects/", GOOD, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["nation"] == "KEN" and body["budget_usd"] == "2500000.50"
    assert body["metrics"] == {
        "capacity_mw": "300.00",
        "reserve_mw": "60.000",
        "dispatchable_mw": "240.000",
        "renewable_share_pct": "100.00",
    }
    after = _counts()
    assert after[0] == before[0] + 1 and after[1] == before[1] + 4
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None and entry.action == "project.created"
    assert entry.target_id == str(body["id"]) and entry.nation == "KEN"
    assert "@" not in str(entry.data) and entry.actor == user.pseudonym


def test_steward_only_in_own_sector(cast: Cast) -> None:
    steward = client_for(cast.user("KEN", "sector_steward"))  # energy steward
    before = _counts()
    response = steward.post(
        "/api/v1/nations/KEN/projects/", {**GOOD, "sector": "health", "metrics": {}}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    assert _counts() == before


def test_anonymous_writes_are_401(api: Any, projects: dict[str, Project]) -> None:
    before = _counts()
    assert_error(api.post("/api/v1/nations/KEN/projects/", GOOD, format="json"), 401)
    project = projects["ken_energy"]
    assert_error(api.patch(f"/api/v1/projects/{project.pk}/", {"name": "x"}, format="json"), 401)
    assert_error(
        api.post(
            f"/api/v1/projects/{projects['ken_minerals'].pk}/profit-distributions/",
            {"profit_usd": "1.00"},
            format="json",
        ),
        401,
    )
    assert _counts() == before


@pytest.mark.parametrize("role", NATION_ROLES)
def test_other_nation_walks_every_sector_endpoint(
    cast: Cast, projects: dict[str, Project], role: str
) -> None:
    """Every role of Brazil, against Kenya's projects: 403 (or 404), nothing written."""
    client = client_for(cast.user("BRA", role))
    before = _counts()
    for sector in ("energy", "minerals", "health"):
        assert_error(
            client.post(
                "/api/v1/nations/KEN/projects/",
                {**GOOD, "sector": sector, "metrics": {}},
                format="json",
            ),
            403,
        )
    for project in projects.values():
        if project.nation.iso3 != "KEN":
            continue
        assert_error(
            client.patch(f"/api/v1/projects/{project.pk}/", {"budget_usd": "1.00"}, format="json"),
            403,
        )
    assert_error(
        client.post(
            f"/api/v1/projects/{projects['ken_minerals'].pk}/profit-distributions/",
            {"profit_usd": "100.00"},
            format="json",
        ),
        403,
    )
    assert_error(client.post("/api/v1/nations/XYZ/projects/", GOOD, format="json"), 404)
    assert_error(client.patch("/api/v1/projects/987654/", {"name": "x"}, format="json"), 404)
    assert _counts() == before


@pytest.mark.parametrize("role", ["council_member", "delegate", "auditor", "citizen"])
def test_home_roles_without_project_rights_are_refused(
    cast: Cast, projects: dict[str, Project], role: str
) -> None:
    client = client_for(cast.user("KEN", role))
    before = _counts()
    assert_error(client.post("/api/v1/nations/KEN/projects/", GOOD, format="json"), 403)
    assert_error(
        client.patch(
            f"/api/v1/projects/{projects['ken_energy'].pk}/", {"name": "Renamed"}, format="json"
        ),
        403,
    )
    assert_error(
        client_for(cast.outsider).post("/api/v1/nations/KEN/projects/", GOOD, format="json"), 403
    )
    assert _counts() == before


def test_token_scopes_limit_writes(cast: Cast, kenya: Nation) -> None:
    from covenant.access.principal import Principal, may

    admin = cast.user("KEN", "nation_admin")
    read_only = Principal(user=admin, scopes=frozenset({"ledger:read"}), via="token")
    assert not may(read_only, "projects:create", nation=kenya, sector="energy")
    scoped = Principal(user=admin, scopes=frozenset({"projects:*"}), via="token")
    assert may(scoped, "projects:create", nation=kenya, sector="energy")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "colour": "blue"}, "colour"),
        ({**GOOD, "name": "x" * 201}, "name"),
        ({**GOOD, "name": ""}, "name"),
        ({**GOOD, "description": "x" * 10_001}, "description"),
        ({**GOOD, "budget_usd": "-1.00"}, "budget_usd"),
        ({**GOOD, "budget_usd": "1.001"}, "budget_usd"),
        ({**GOOD, "budget_usd": "lots"}, "budget_usd"),
        ({**GOOD, "budget_usd": "NaN"}, "budget_usd"),
        ({**GOOD, "budget_usd": "Infinity"}, "budget_usd"),
        ({**GOOD, "carbon_tco2e": "1e400"}, "carbon_tco2e"),
        ({**GOOD, "start_on": "2026-02-30"}, "start_on"),
        ({**GOOD, "end_on": "2025-01-01"}, "end_on"),
        ({**GOOD, "status": "dreaming"}, "status"),
        ({**GOOD, "sector": "mining"}, "sector"),
        ({**GOOD, "metrics": {"capacity_mw": "NaN"}}, "metrics.capacity_mw"),
        ({**GOOD, "metrics": {"capacity_mw": -5}}, "metrics.capacity_mw"),
        ({**GOOD, "metrics": {"capacity_mw": 10, "reserve_mw": 3}}, "metrics.reserve_mw"),
        ({**GOOD, "metrics": {"turbines": 3}}, "metrics.turbines"),
        ({**GOOD, "metrics": "lots"}, "metrics"),
        ({**GOOD, "start_on": "1900-01-01", "end_on": None}, "start_on"),
    ],
)
def test_bad_input_is_400_naming_the_field(cast: Cast, body: dict[str, Any], field: str) -> None:
    client = client_for(cast.user("KEN", "nation_admin"))
    before = _counts()
    error = assert_error(client.post("/api/v1/nations/KEN/projects/", body, format="json"), 400)
    assert field in error["fields"], error
    assert _counts() == before


def test_non_json_and_nan_literals_are_400(cast: Cast) -> None:
    client = client_for(cast.user("KEN", "nation_admin"))
    before = _counts()
    for raw in ('{"name": "x", "sector": "energy", "budget_usd": NaN}', "[1, 2]", "not json"):
        response = client.post(
            "/api/v1/nations/KEN/projects/", raw, content_type="application/json"
        )
        assert_error(response, 400)
    assert _counts() == before


def test_patch_merges_metrics_and_rederives(cast: Cast, projects: dict[str, Project]) -> None:
    project = projects["ken_energy"]
    client = client_for(cast.user("KEN", "sector_steward"))
    response = client.patch(
        f"/api/v1/projects/{project.pk}/",
        {"metrics": {"renewable_share_pct": 80}, "status": "active"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["metrics"]["capacity_mw"] == "100.00"
    response = client.patch(
        f"/api/v1/projects/{project.pk}/", {"metrics": {"capacity_mw": "250.5"}}, format="json"
    )
    assert response.json()["metrics"] == {
        "capacity_mw": "250.50",
        "reserve_mw": "50.100",
        "dispatchable_mw": "200.400",
        "renewable_share_pct": "80.00",
    }
    with nation_scope(project.nation):
        rows = dict(ProjectMetric.objects.filter(project=project).values_list("key", "units"))
    assert rows["reserve_mw"] == 50100 and rows["capacity_mw"] == 25050
    assert (
        AuditEntry.objects.filter(action="project.updated", target_id=str(project.pk)).count() == 2
    )
    before = _counts()
    for bad in (
        {"metrics": {"reserve_mw": 1}},
        {"end_on": "2000-01-01", "start_on": "2001-01-01"},
        {"sector": "health"},
        {"flagship": True},
    ):
        response = client.patch(f"/api/v1/projects/{project.pk}/", bad, format="json")
        assert response.status_code in (400, 403), (bad, response.content)
    assert _counts() == before


def test_patch_end_before_stored_start_is_400(cast: Cast, kenya: Nation) -> None:
    project = make_project(
        cast.platform_admin, kenya, start_on=__import__("datetime").date(2026, 5, 1)
    )
    client = client_for(cast.user("KEN", "nation_admin"))
    error = assert_error(
        client.patch(f"/api/v1/projects/{project.pk}/", {"end_on": "2026-04-30"}, format="json"),
        400,
    )
    assert "end_on" in error["fields"]


# --- profit distributions -----------------------------------------------------------------------


def test_profit_distribution_splits_and_posts_the_fund_share(
    cast: Cast, projects: dict[str, Project]
) -> None:
    project = projects["ken_minerals"]
    client = client_for(cast.user("KEN", "nation_admin"))
    response = client.post(
        f"/api/v1/projects/{project.pk}/profit-distributions/",
        {"profit_usd": "1234.57"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["community_usd"], body["fund_usd"], body["reinvestment_usd"]) == (
        "617.29",
        "370.37",
        "246.91",
    )
    with nation_scope(project.nation):
        entry = LedgerEntry.objects.get(pk=body["ledger_entry"])
    assert entry.kind == Kind.PROFIT_DISTRIBUTION and entry.source == f"project:{project.pk}"
    assert AuditEntry.objects.filter(action="project.profit_distributed").count() == 1
    assert client.get("/api/v1/covenant/").json()["balance_usd"] == "370.37"


def test_profit_distribution_minerals_only_and_valid(
    cast: Cast, projects: dict[str, Project]
) -> None:
    client = client_for(cast.user("KEN", "nation_admin"))
    before = _counts()
    url = f"/api/v1/projects/{projects['ken_energy'].pk}/profit-distributions/"
    assert_error(client.post(url, {"profit_usd": "10.00"}, format="json"), 409, "conflict")
    url = f"/api/v1/projects/{projects['ken_minerals'].pk}/profit-distributions/"
    for bad in (
        {"profit_usd": "0.00"},
        {"profit_usd": "-3"},
        {"profit_usd": "1.001"},
        {},
        {"profit_usd": "x"},
        {"profit_usd": "1.00", "x": 1},
    ):
        assert_error(client.post(url, bad, format="json"), 400)
    steward = client_for(cast.user("KEN", "sector_steward"))  # an energy steward
    assert_error(steward.post(url, {"profit_usd": "10.00"}, format="json"), 403)
    assert _counts() == before


def test_one_cent_profit_posts_nothing_to_the_fund(
    cast: Cast, projects: dict[str, Project]
) -> None:
    client = client_for(cast.platform_admin)
    url = f"/api/v1/projects/{projects['bra_minerals'].pk}/profit-distributions/"
    body = client.post(url, {"profit_usd": "0.01"}, format="json").json()
    assert body["community_usd"] == "0.01" and body["fund_usd"] == "0.00"
    assert body["ledger_entry"] is None


@pytest.mark.django_db
def test_the_project_list_count_comes_from_the_statistics_and_matches_the_table(
    client, projects
) -> None:
    from sectors.core.models import Project
    from sectors.core.services import sector_statistics_changed

    sector_statistics_changed()
    with all_nations(reason="test: the true counts"):
        every = Project.objects.count()
        energy = Project.objects.filter(sector="energy").count()
        not_flagship = Project.objects.filter(flagship=False).count()
    assert client.get("/api/v1/projects/").json()["count"] == every
    assert client.get("/api/v1/projects/?sector=energy").json()["count"] == energy == 2
    assert client.get("/api/v1/projects/?flagship=false").json()["count"] == not_flagship
    assert client.get("/api/v1/projects/?sector=energy&nation=KEN").json()["count"] == 1
