"""A new nation admin signs in, is sent to set up two-factor authentication before the role
page opens, sets up TOTP, asks for an auditor (htmx, in place), and a second admin approves it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from covenant.access.mfa import totp_code
from covenant.access.principal import SYSTEM
from covenant.access.services import role_grant
from covenant.nations.tenancy import nation_scope
from tests.browser.axe import serious_violations
from tests.conftest import CAST_TOTP_SECRET, make_user

PASSWORD = "a-long-password-1"


def sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()


def test_sign_in_set_up_totp_grant_and_approve(
    live_server: Any, page: Any, browser: Any, cast: Any, kenya: Any, append_only_flushable: None
) -> None:
    base = live_server.url
    newcomer = make_user("new-admin.ken@covenant.test", PASSWORD)
    role_grant(nation=kenya, user=newcomer, role="nation_admin", actor=SYSTEM, four_eyes=False)

    # sign in: the profile says MFA is required, the role page sends them to set it up
    sign_in(page, base, newcomer.email)
    page.wait_for_url("**/me/")
    expect(page.locator("main")).to_contain_text("Required for your role: off")
    page.goto(f"{base}/n/ken/roles/")
    page.wait_for_url("**/accounts/2fa/**")
    expect(page.locator(".messages")).to_contain_text("two-factor authentication")
    assert serious_violations(page) == []

    # set up TOTP (allauth asks for the password again first)
    page.locator("main a[href='/accounts/2fa/totp/activate/']").click()
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert serious_violations(page) == []
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)

    # the role page opens now; ask for an auditor, in place
    page.goto(f"{base}/n/ken/roles/")
    expect(page.locator("h1")).to_have_text("Roles of Kenya")
    assert serious_violations(page) == []
    page.evaluate("window.__marker = 'same page'")
    page.fill("#grant-email", "candidate@example.org")
    page.select_option("#grant-role", "auditor")
    page.click("#grant-form button[type=submit]")
    pending = page.locator("#pending-roles")
    expect(pending).to_contain_text("candidate@example.org")
    expect(pending).to_contain_text("you asked: a second admin approves")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped the section

    # the second admin signs in (password, then the TOTP code) and approves
    second = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    other = second.new_page()
    admin = cast.user("KEN", "nation_admin")
    admin.set_password(PASSWORD)
    admin.save(update_fields=["password"])
    sign_in(other, base, admin.email)
    other.wait_for_url("**/accounts/2fa/authenticate/")
    other.fill("input[name=code]", totp_code(CAST_TOTP_SECRET))
    other.locator("main form button[type=submit]").first.click()
    other.wait_for_url("**/me/")
    other.goto(f"{base}/n/ken/roles/")
    other.evaluate("window.__marker = 'same page'")
    row = other.locator("#pending-roles tr", has_text="candidate@example.org")
    row.get_by_role("button", name="Approve").click()
    expect(other.locator("#active-roles")).to_contain_text("candidate@example.org")
    expect(other.locator(".messages")).to_contain_text("approved: now active")
    assert other.evaluate("window.__marker") == "same page"
    assert serious_violations(other) == []
    # readable on a phone: nothing wider than the screen but the scrolled tables
    wide = other.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391)
            .map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 15)"""
    )
    assert other.evaluate("document.documentElement.scrollWidth") <= 390 + 1, wide
    second.close()

    from covenant.access.models import RoleAssignment

    with nation_scope(kenya):
        assert RoleAssignment.objects.get(user__email="candidate@example.org").status == "active"
    assert page.console_errors == []
