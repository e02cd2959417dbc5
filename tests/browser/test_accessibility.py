"""axe-core finds no serious or critical WCAG 2.2 A/AA violation on the public pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import serious_violations

PAGES = [
    "/",
    "/n/ken/",
    "/sectors/energy/",
    "/no-such-page/",
    # allauth's unstyled default (no lang, low-contrast links) until the account pages are
    # rebuilt in the portal's look (issue 8): strict, so the fix must remove this mark.
    pytest.param(
        "/accounts/login/", marks=pytest.mark.xfail(strict=True, reason="allauth's default page")
    ),
]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(live_server: Any, page: Any, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    assert serious_violations(page) == []
