"""A new nation admin signs in, is sent to set up two-factor authentication before the role
page opens, adds a security key (Chromium's virtual authenticator, over the DevTools protocol),
signs out, and signs in again with the password and the security key.

WebAuthn needs a secure context: the live server is http://localhost:<port>, which Chromium
and fido2 both treat as one, and allauth takes the RP id from the request's host (`localhost`),
so no insecure-origin setting is needed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from covenant.access.principal import SYSTEM
from covenant.access.services import role_grant
from tests.browser.axe import serious_violations
from tests.browser.test_identity import PASSWORD, sign_in
from tests.conftest import make_user


def virtual_authenticator(page: Any) -> tuple[Any, str]:
    """A USB security key with user verification, attached to the page's browser context."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_sign_in_add_security_key_and_sign_in_with_it(
    live_server: Any, page: Any, kenya: Any, append_only_flushable: None
) -> None:
    from allauth.mfa.models import Authenticator

    base = live_server.url
    assert base.startswith("http://localhost:"), base  # a secure context for WebAuthn
    newcomer = make_user("key-admin.ken@covenant.test", PASSWORD)
    role_grant(nation=kenya, user=newcomer, role="nation_admin", actor=SYSTEM, four_eyes=False)
    cdp, authenticator_id = virtual_authenticator(page)

    # sign in: the role page sends them to set up two-factor authentication first
    sign_in(page, base, newcomer.email)
    page.wait_for_url("**/me/")
    page.goto(f"{base}/n/ken/roles/")
    page.wait_for_url("**/accounts/2fa/**")
    expect(page.locator(".messages")).to_contain_text("security key")

    # add a security key (allauth may ask for the password again first)
    page.locator("main a[href='/accounts/2fa/webauthn/add/']").first.click()
    page.wait_for_url(lambda url: "/reauthenticate/" in url or "/webauthn/add/" in url)
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/accounts/2fa/webauthn/add/")
    expect(page.locator("h1")).to_contain_text("Security Key")
    assert serious_violations(page) == []
    page.fill("input[name=name]", "Desk key")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")  # the key comes with recovery codes
    expect(page.locator(".messages")).to_contain_text("Security key added.")
    key = Authenticator.objects.get(user=newcomer, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Desk key"
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1

    # the role page opens now
    page.goto(f"{base}/n/ken/roles/")
    expect(page.locator("h1")).to_have_text("Roles of Kenya")

    # sign out, sign in again: the password, then the security key
    page.goto(f"{base}/accounts/logout/")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/logout/" not in url)
    page.goto(f"{base}/n/ken/roles/")
    page.wait_for_url("**/accounts/login/**")
    sign_in(page, base, newcomer.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    assert serious_violations(page) == []
    page.locator("#mfa_webauthn_authenticate").click()
    page.wait_for_url("**/me/")
    page.goto(f"{base}/n/ken/roles/")
    expect(page.locator("h1")).to_have_text("Roles of Kenya")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert credentials["credentials"][0]["signCount"] >= 1
    key.refresh_from_db()
    assert key.last_used_at is not None

    assert page.console_errors == []
