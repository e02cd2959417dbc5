"""Public pages: the overview with totals and the nations table (htmx filter), a nation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from covenant.access.principal import SYSTEM, Principal
from covenant.ledger.services import contribution_post, pledge_post


@pytest.mark.django_db
def test_overview_shows_the_totals_and_all_195_nations(client) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "$11,014,731,584.50" in html  # the sum of the 193 rounded pledges
    assert html.count('<th scope="row">') == 195
    assert 'hx-get="/"' in html and "htmx-2.0.8.min.js" in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    assert "Content-Security-Policy" in response.headers
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_region_filter_works_with_and_without_htmx(client) -> None:
    plain = client.get("/?region=Oceania").content.decode()
    assert plain.count('<th scope="row">') == 14 and "<html" in plain
    partial = client.get("/?region=Oceania", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="nations-table")
    fragment = partial.content.decode()
    assert "<html" not in fragment and fragment.strip().startswith('<div id="nations-table"')
    assert fragment.count('<th scope="row">') == 14
    assert "Fiji" in fragment and "Kenya" not in fragment


@pytest.mark.django_db
def test_nation_page_shows_pledge_and_payments(client, cast, kenya) -> None:
    pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    contribution_post(
        nation=kenya,
        amount_usd=Decimal("1000.00"),
        received_on=dt.date(2026, 5, 1),
        reference="x",
        actor=Principal(user=cast.platform_admin),
    )
    html = client.get("/n/ken/").content.decode()
    assert "Kenya" in html and "$12,039,753.78" in html and "$1,000.00" in html
    assert "$12,038,753.78" in html  # outstanding
    assert client.get("/n/KEN/").status_code == 200


@pytest.mark.django_db
def test_nations_without_gdp_are_flagged_and_unknown_ones_are_404(client) -> None:
    assert "no pledge can be computed" in client.get("/n/prk/").content.decode()
    missing = client.get("/n/xyz/")
    assert missing.status_code == 404 and "Not found" in missing.content.decode()


@pytest.mark.django_db
def test_login_page_and_static_assets_are_served(client) -> None:
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/signup/").status_code == 200
    assert client.get("/accounts/password/reset/").status_code == 200


@pytest.mark.django_db
def test_the_admin_shows_core_records_read_only_to_platform_admins(client, cast) -> None:
    from covenant.ledger.services import pledge_post
    from covenant.nations.models import Nation

    pledge_post(nation=Nation.objects.get(iso3="KEN"), fiscal_year=2026, actor=SYSTEM)
    client.force_login(cast.platform_admin)
    for url in (
        "/admin/nations/nation/",
        "/admin/access/roleassignment/",
        "/admin/ledger/ledgerentry/",
        "/admin/audit/auditentry/",
        "/admin/accounts/user/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Add" not in response.content.decode().split("<h1>")[-1][:200]
    assert client.get("/admin/ledger/ledgerentry/add/").status_code == 403
