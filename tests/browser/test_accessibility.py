"""axe-core finds no serious or critical WCAG 2.2 A/AA violation on the public pages, the
account pages (signed out and signed in), /me/, the role page and the API keys page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import serious_violations

PAGES = [
    "/",
    "/n/ken/",
    "/sectors/energy/",
    "/no-such-page/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/login/code/",
]
# Signed in as Kenya's nation admin (who has a second factor, as the role requires).
SIGNED_IN_PAGES = [
    "/me/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/2fa/recovery-codes/",
    "/accounts/sessions/",
    "/accounts/3rdparty/",
    "/n/ken/roles/",
    "/n/ken/api-keys/",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(live_server: Any, page: Any, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_no_serious_accessibility_violation_signed_in(
    live_server: Any, page: Any, cast: Any, append_only_flushable: None, path: str
) -> None:
    from django.test import Client

    from covenant.access.principal import Principal
    from covenant.access.services import api_key_create, role_grant

    admin = cast.user("KEN", "nation_admin")
    admin.set_password("a-long-password-1")
    admin.save(update_fields=["password"])
    kenya = cast.principal("KEN", "nation_admin").memberships[0].nation_id
    from covenant.nations.models import Nation

    nation = Nation.objects.get(pk=kenya)
    role_grant(nation=nation, user=cast.outsider, role="auditor", actor=Principal(user=admin))
    api_key_create(
        nation=nation, name="Treasury", scopes=["roles:read"], actor=Principal(user=admin)
    )
    client = Client()
    client.force_login(admin)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, (path, page.url)
    assert serious_violations(page) == []
