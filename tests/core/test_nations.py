"""The 195 nations, their pledges and the covenant's totals, checked against the CSV itself."""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from covenant.nations.loader import nations_load
from covenant.nations.models import Nation, annual_pledge_for

CSV = Path(__file__).resolve().parents[2] / "fixtures" / "countries.csv"


def csv_rows() -> list[dict[str, str]]:
    with CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_fixture_carries_its_attribution() -> None:
    sources = (CSV.parent / "SOURCES.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in sources
    assert "World Bank" in sources


@pytest.mark.django_db
def test_195_nations_are_loaded_and_loading_again_changes_nothing() -> None:
    assert Nation.objects.count() == 195
    assert nations_load() == (0, 0)
    assert Nation.objects.count() == 195
    namibia = Nation.objects.get(iso3="NAM")
    assert namibia.iso2 == "NA"  # not a missing value
    assert Nation.objects.filter(iso3__in=["VAT", "PSE"]).count() == 2


@pytest.mark.parametrize(
    ("gdp", "pledge"),
    [
        (29_298_013_000_000, Decimal("2929801300.00")),
        (120_397_537_850, Decimal("12039753.78")),  # 12,039,753.785 → half-even → .78
        (62_280_312, Decimal("6228.03")),
        (125, Decimal("0.01")),  # 0.0125 → .01
        (135, Decimal("0.01")),  # 0.0135 → .01 (half-even, not .02)
        (150, Decimal("0.02")),  # 0.0150 → .02 (the even neighbour)
        (250, Decimal("0.02")),  # 0.0250 → .02 (the even neighbour)
        (0, Decimal("0.00")),
        (None, None),
    ],
)
def test_annual_pledge_is_a_basis_point_of_gdp_rounded_half_even(gdp, pledge) -> None:
    assert annual_pledge_for(gdp) == pledge


@pytest.mark.django_db
def test_every_nation_pledge_follows_the_rule_and_missing_gdp_is_flagged() -> None:
    rows = {row["iso3"]: row for row in csv_rows()}
    for nation in Nation.objects.all():
        gdp = rows[nation.iso3]["gdp_usd"]
        if gdp:
            expected = (Decimal(gdp) * Decimal("0.0001")).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_EVEN
            )
            assert nation.annual_pledge_usd == expected, nation.iso3
            assert not nation.pledge_missing
        else:
            assert nation.annual_pledge_usd is None
            assert nation.pledge_missing
    assert set(Nation.objects.filter(gdp_usd__isnull=True).values_list("iso3", flat=True)) == {
        "PRK",
        "VAT",
    }


@pytest.mark.django_db
def test_covenant_endpoint_shows_195_nations_and_the_exact_sum_of_rounded_pledges(api) -> None:
    rows = csv_rows()
    expected_pledges = sum(
        (
            (Decimal(row["gdp_usd"]) * Decimal("0.0001")).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_EVEN
            )
            for row in rows
            if row["gdp_usd"]
        ),
        Decimal("0"),
    )
    expected_gdp = sum(Decimal(row["gdp_usd"]) for row in rows if row["gdp_usd"])
    body = api.get("/api/v1/covenant/").json()
    assert body["nations"] == 195
    assert body["contribution_rate"] == "0.0001"
    assert body["annual_pledge_usd"] == f"{expected_pledges:.2f}"
    assert body["total_gdp_usd"] == f"{expected_gdp:.2f}"
    assert body["received_usd"] == body["disbursed_usd"] == body["balance_usd"] == "0.00"
    assert isinstance(body["projects"], int)


@pytest.mark.django_db
def test_nation_list_filters_and_search(api) -> None:
    everyone = api.get("/api/v1/nations/?page_size=200").json()
    assert everyone["count"] == 195 and len(everyone["results"]) == 195
    africa = api.get("/api/v1/nations/?region=Africa&page_size=200").json()
    assert africa["count"] == 54
    assert {row["region"] for row in africa["results"]} == {"Africa"}
    low = api.get("/api/v1/nations/?income_group=Low income&page_size=200").json()
    assert low["count"] > 0 and all(r["income_group"] == "Low income" for r in low["results"])
    found = api.get("/api/v1/nations/?q=kenya").json()
    assert [row["iso3"] for row in found["results"]] == ["KEN"]
    assert api.get("/api/v1/nations/?q=BRA").json()["results"][0]["name"] == "Brazil"
    kenya = found["results"][0]
    assert kenya == {
        "iso3": "KEN",
        "iso2": "KE",
        "name": "Kenya",
        "region": "Africa",
        "subregion": "Sub-Saharan Africa",
        "income_group": "Lower middle income",
        "population": 56432944,
        "gdp_usd": "120397537850.00",
        "gdp_year": 2024,
        "annual_pledge_usd": "12039753.78",
        "received_usd": "0.00",
        "pledge_missing": False,
    }


@pytest.mark.django_db
def test_nation_detail_and_unknown_nation(api) -> None:
    body = api.get("/api/v1/nations/KEN/").json()
    assert body["iso3"] == "KEN" and body["annual_pledge_usd"] == "12039753.78"
    assert api.get("/api/v1/nations/ken/").json()["iso3"] == "KEN"
    prk = api.get("/api/v1/nations/PRK/").json()
    assert prk["annual_pledge_usd"] is None and prk["pledge_missing"] is True
    missing = api.get("/api/v1/nations/XXX/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


SEARCHES = {
    "kenya": {"KEN"},
    "ken": {"KEN"},
    "new": {"NZL", "PNG", "AUS"},  # Australia: sub-region "Australia and New Zealand"
    "guinea": {"GIN", "GNB", "GNQ", "PNG"},
    "united": {"ARE", "GBR", "TZA", "USA"},
    "saint": {"KNA", "LCA", "VCT"},
    "republic korea": {"KOR", "PRK"},
    "plurinational": {"BOL"},
    "ivoire": {"CIV"},
    "BRA": {"BRA"},
    "de": {"COD", "DEU", "DNK", "LAO", "PRK"},  # Democratic…, Denmark; ISO2 "DE" is Germany
    "enya": set(),  # words are matched from their start
    "zzz": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("q", "expected"), list(SEARCHES.items()))
def test_nation_search_matches_words_from_their_start(api, q, expected) -> None:
    body = api.get("/api/v1/nations/", {"q": q, "page_size": 200}).json()
    assert {row["iso3"] for row in body["results"]} == expected
