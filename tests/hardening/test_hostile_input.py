"""Hostile input gets a 4xx in the error shape, never a 500 (SPEC §7), and nothing half-written:
NUL in path segments, lone surrogates, deep JSON, inexact money, invisible names, over-long
addresses, malformed pagination. Each case was a 500 or a silent acceptance before."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from covenant.ledger.models import LedgerEntry
from covenant.nations.tenancy import all_nations
from sectors.core.models import Project
from sectors.minerals.models import ProfitDistribution
from tests.conftest import assert_error, client_for
from tests.sectors.conftest import make_project

NUL_PATHS = [
    "/api/v1/nations/%00%00%00/",
    "/api/v1/nations/A%00B/esg.csv",
    "/api/v1/nations/%00%00%00/roles/",
    "/api/v1/nations/KE%00/contributions/",
    "/api/v1/nations/%00%00%00/projects/",
    "/api/v1/sectors/ener%00gy/",
]


def rows() -> tuple[int, int, int]:
    with all_nations(reason="test: count every row"):
        return (
            Project.objects.count(),
            LedgerEntry.objects.count(),
            ProfitDistribution.objects.count(),
        )


@pytest.mark.django_db
@pytest.mark.parametrize("path", NUL_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["anonymous", "platform_admin"])
def test_a_nul_in_an_api_path_is_a_400_in_the_error_shape(cast, path, method, who) -> None:
    client = client_for(cast.platform_admin if who == "platform_admin" else None)
    response = getattr(client, method)(path, {"name": "x"}, format="json")
    error = assert_error(response, 400, "bad_request")
    assert "control characters" in error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/n/%00%00%00/", "/sectors/ener%00gy/", "/projects/1%00/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_nul_in_a_page_path_is_the_portals_own_400_page(client, path, method) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Bad request" in html and "control characters" in html and "<html" in html
    assert "Content-Security-Policy" in response.headers  # every security header kept


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    ['{"\\ud800": 1}', '{"name": "\\udfff"}', '{"metrics": {"\\ud800": 1}}'],
    ids=["key", "value", "nested-key"],
)
@pytest.mark.parametrize("role", ["platform_admin", "sector_steward", "citizen"])
def test_a_lone_surrogate_in_json_is_a_400(cast, body, role) -> None:
    user = cast.platform_admin if role == "platform_admin" else cast.user("KEN", role)
    before = rows()
    response = client_for(user).generic(
        "POST", "/api/v1/nations/KEN/projects/", body, content_type="application/json"
    )
    error = assert_error(response, 400, "parse_error")
    assert "surrogate" in error["message"]
    assert rows() == before


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


WRITES = [
    ("post", "/api/v1/nations/KEN/projects/"),
    ("post", "/api/v1/nations/KEN/contributions/"),
    ("post", "/api/v1/nations/KEN/roles/"),
    ("post", "/api/v1/ledger/entries/{entry}/reverse/"),
    ("post", "/api/v1/projects/{project}/profit-distributions/"),
    ("patch", "/api/v1/projects/{project}/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_json_nested_deeply_is_a_400_on_every_write(cast, kenya, method, path, depth) -> None:
    from covenant.access.principal import SYSTEM
    from covenant.ledger.services import pledge_post

    project = make_project(cast.platform_admin, kenya, "minerals")
    entry = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    body = '{"name": ' + nested(depth) + "}"
    response = client_for(cast.platform_admin).generic(
        method.upper(),
        path.format(project=project.pk, entry=entry.pk),
        body,
        content_type="application/json",
    )
    error = assert_error(response, 400, "parse_error")
    assert "nested deeper than 32 levels" in error["message"]


@pytest.mark.django_db
def test_json_nested_32_deep_is_parsed(cast) -> None:
    body = '{"name": ' + nested(31) + "}"
    response = client_for(cast.platform_admin).generic(
        "POST", "/api/v1/nations/KEN/projects/", body, content_type="application/json"
    )
    error = assert_error(response, 400, "invalid")  # parsed, then refused as not a name
    assert set(error["fields"]) >= {"name", "sector"}


@pytest.mark.django_db
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_outside_the_standard_are_refused(cast, constant) -> None:
    response = client_for(cast.platform_admin).generic(
        "POST",
        "/api/v1/nations/KEN/contributions/",
        '{"amount_usd": ' + constant + "}",
        content_type="application/json",
    )
    assert_error(response, 400, "parse_error")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "profit", ["99999.99", "0.01", "0.07", "999999999999.99", "12345678.91", "000.10"]
)
def test_a_profit_distribution_sums_exactly_on_every_database(cast, kenya, profit) -> None:
    """SQLite compared the CHECK's sums as floats: 99999.99 was a 500 there."""
    project = make_project(cast.platform_admin, kenya, "minerals")
    response = client_for(cast.platform_admin).post(
        f"/api/v1/projects/{project.pk}/profit-distributions/",
        {"profit_usd": profit},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    parts = [Decimal(body[key]) for key in ("community_usd", "fund_usd", "reinvestment_usd")]
    assert sum(parts) == Decimal(profit) == Decimal(body["profit_usd"])
    too_big = client_for(cast.platform_admin).post(
        f"/api/v1/projects/{project.pk}/profit-distributions/",
        {"profit_usd": "1000000000000.00"},
        format="json",
    )
    assert assert_error(too_big, 400)["fields"] == {
        "profit_usd": ["at most 12 digits before the decimal point"]
    }


@pytest.mark.django_db
def test_the_parts_sum_check_refuses_an_inexact_row_in_the_database(cast, kenya) -> None:
    from django.db import IntegrityError, transaction

    from covenant.nations.tenancy import nation_scope

    project = make_project(cast.platform_admin, kenya, "minerals")
    with nation_scope(kenya), pytest.raises(IntegrityError), transaction.atomic():
        ProfitDistribution.objects.create(
            nation=kenya,
            project=project,
            profit_usd=Decimal("99999.99"),
            community_usd=Decimal("49999.99"),
            fund_usd=Decimal("29999.99"),
            reinvestment_usd=Decimal("20000.00"),  # one cent short
            distributed_on="2026-01-01",
            recorded_by="p_test",
        )


NOT_MONEY = ["١٢٣", "1_000", " 5.00 ", "1e2", "5.", ".5", "1.001", "+5", "0x10", "５", "", "-"]
NOT_MONEY_JSON = [12, 12.5, True, None, [], {}]


@pytest.mark.django_db
@pytest.mark.parametrize("amount", NOT_MONEY + NOT_MONEY_JSON, ids=repr)
def test_money_is_only_digits_with_at_most_two_decimals_as_text(cast, kenya, amount) -> None:
    admin = client_for(cast.platform_admin)
    minerals = make_project(cast.platform_admin, kenya, "minerals")
    before = rows()
    for path, body, field in (
        (
            "/api/v1/nations/KEN/contributions/",
            {"amount_usd": amount, "received_on": "2026-01-02", "reference": "r"},
            "amount_usd",
        ),
        (
            "/api/v1/nations/KEN/projects/",
            {"name": "Solar", "sector": "energy", "budget_usd": amount},
            "budget_usd",
        ),
        (
            "/api/v1/nations/KEN/projects/",
            {"name": "Solar", "sector": "energy", "carbon_tco2e": amount},
            "carbon_tco2e",
        ),
        (f"/api/v1/projects/{minerals.pk}/profit-distributions/", {"profit_usd": amount}, None),
    ):
        error = assert_error(admin.post(path, body, format="json"), 400, "invalid")
        assert set(error["fields"]) == {field or "profit_usd"}, (path, error)
    assert rows() == before


@pytest.mark.django_db
def test_a_sign_only_where_a_field_allows_negatives(cast) -> None:
    admin = client_for(cast.platform_admin)
    avoided = admin.post(
        "/api/v1/nations/KEN/projects/",
        {"name": "Wind", "sector": "energy", "carbon_tco2e": "-120.50", "budget_usd": "10"},
        format="json",
    )
    assert avoided.status_code == 201, avoided.content
    assert avoided.json()["carbon_tco2e"] == "-120.50" and avoided.json()["budget_usd"] == "10.00"
    negative = admin.post(
        "/api/v1/nations/KEN/projects/",
        {"name": "Wind", "sector": "energy", "budget_usd": "-1.00"},
        format="json",
    )
    assert assert_error(negative, 400)["fields"] == {"budget_usd": ["must not be negative"]}
    too_big = admin.post(
        "/api/v1/nations/KEN/contributions/",
        {"amount_usd": "99999999999999", "received_on": "2026-01-02"},
        format="json",
    )
    assert "at most 12 digits" in assert_error(too_big, 400)["fields"]["amount_usd"][0]
    zero = admin.post(
        "/api/v1/nations/KEN/contributions/",
        {"amount_usd": "0.00", "received_on": "2026-01-02"},
        format="json",
    )
    assert assert_error(zero, 400)["fields"] == {"amount_usd": ["must be greater than 0"]}


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["1_000", "١٢٣", " 5 ", "1e2"])
def test_metrics_read_only_ascii_numbers_from_text(cast, raw) -> None:
    response = client_for(cast.platform_admin).post(
        "/api/v1/nations/KEN/projects/",
        {"name": "Grid", "sector": "energy", "metrics": {"capacity_mw": raw}},
        format="json",
    )
    assert set(assert_error(response, 400)["fields"]) == {"metrics.capacity_mw"}


INVISIBLE = ["\u200b", "\u200b\u200c\u2060", "\ufeff", " \u00a0 ", "\u3000", "\u0301", "\u00ad"]
CONTROL = ["a\x00b", "a\x07b", "line\nbreak", "\u202eevil", "a\u2066b", "\x85"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", INVISIBLE + CONTROL, ids=repr)
def test_names_of_invisible_or_control_characters_are_refused(cast, kenya, name) -> None:
    admin = client_for(cast.platform_admin)
    before = rows()
    created = admin.post(
        "/api/v1/nations/KEN/projects/", {"name": name, "sector": "energy"}, format="json"
    )
    assert set(assert_error(created, 400, "invalid")["fields"]) == {"name"}
    project = make_project(cast.platform_admin, kenya, "energy", name="Good name")
    renamed = admin.patch(f"/api/v1/projects/{project.pk}/", {"name": name}, format="json")
    assert set(assert_error(renamed, 400, "invalid")["fields"]) == {"name"}
    if name.strip():  # a reference may be blank: only whitespace is blank, not an error
        contribution = admin.post(
            "/api/v1/nations/KEN/contributions/",
            {"amount_usd": "1.00", "received_on": "2026-01-02", "reference": name},
            format="json",
        )
        assert set(assert_error(contribution, 400, "invalid")["fields"]) == {"reference"}
    assert rows()[0] == before[0] + 1 and rows()[1:] == before[1:]


@pytest.mark.django_db
def test_the_text_rule_lives_in_the_services_too(cast, kenya) -> None:
    from covenant.errors import Invalid

    with pytest.raises(Invalid) as refused:
        make_project(cast.platform_admin, kenya, "energy", name="\u200b\u2060")
    assert refused.value.fields == {"name": ["must contain visible characters"]}
    kept = make_project(cast.platform_admin, kenya, "energy", name="  Cafe\u0301 solar  ")
    assert kept.name == "Café solar"  # trimmed and NFC-normalised


@pytest.mark.django_db
def test_real_names_in_every_script_are_kept(cast) -> None:
    admin = client_for(cast.platform_admin)
    names = ("Mombasa–Nairobi", "محطة الطاقة الشمسية", "太阳能", "नवीकरणीय ऊर्जा", "O'Brien 👩‍🔬")
    for name in names:
        response = admin.post(
            "/api/v1/nations/KEN/projects/", {"name": name, "sector": "energy"}, format="json"
        )
        assert response.status_code == 201, (name, response.content)
        assert response.json()["name"] == name


@pytest.mark.django_db
@pytest.mark.parametrize("length", [4_100, 8_000, 20_000])
def test_an_address_over_4_kb_is_a_414_in_the_error_shape(client, length) -> None:
    path = "/api/v1/projects/?q=" + "a" * length
    assert_error(client.get(path), 414, "uri_too_long")
    page = client.get("/?q=" + "a" * length)
    assert page.status_code == 414 and "longer than 4096" in page.content.decode()
    assert client.get("/api/v1/nations/?region=" + "a" * 4_000).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nations/", "/api/v1/projects/"])
@pytest.mark.parametrize(
    ("query", "field", "why"),
    [
        ("page_size=abc", "page_size", "a whole number from 1 to 200"),
        ("page_size=0", "page_size", "a whole number from 1 to 200"),
        ("page_size=201", "page_size", "a whole number from 1 to 200"),
        ("page_size=-5", "page_size", "a whole number from 1 to 200"),
        ("page_size=1.5", "page_size", "a whole number from 1 to 200"),
        ("page=0", "page", "a whole number from 1 to 10000000"),
        ("page=abc", "page", "a whole number from 1 to 10000000"),
        ("page=last", "page", "a whole number from 1 to 10000000"),
        ("page=%00", "page", "a whole number from 1 to 10000000"),
    ],
)
def test_malformed_pagination_is_a_400_that_says_why(api, path, query, field, why) -> None:
    error = assert_error(api.get(f"{path}?{query}"), 400, "invalid")
    assert error["fields"] == {field: [why]}


@pytest.mark.django_db
def test_a_page_past_the_last_is_a_404_and_valid_pages_work(api) -> None:
    assert_error(api.get("/api/v1/nations/?page=99"), 404, "not_found")
    body = api.get("/api/v1/nations/?page=4&page_size=50").json()
    assert len(body["results"]) == 45 and body["next"] is None


@pytest.mark.django_db
def test_bodies_that_are_not_json_objects(cast) -> None:
    admin = client_for(cast.platform_admin)
    for body, content_type, status in (
        ("[1, 2]", "application/json", 400),
        ('"text"', "application/json", 400),
        ("{not json", "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        ("name=x", "application/x-www-form-urlencoded", 415),
        (json.dumps({"name": "x" * 2_000_000}), "application/json", 413),
    ):
        response = admin.generic(
            "POST", "/api/v1/nations/KEN/projects/", body, content_type=content_type
        )
        assert_error(response, status)
