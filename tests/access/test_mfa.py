"""MFA: platform admins, nation admins and auditors hold nothing in a web session until they
have a second factor — on every page and API call that asks may(), and in the Django admin —
while public pages stay open; citizens need none. Tokens and keys are not sessions."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client

from covenant.access.mfa import DEMO_TOTP_SECRET, has_second_factor, totp_activate, totp_code
from covenant.access.principal import SYSTEM, Principal, may
from covenant.access.services import role_grant, token_issue
from covenant.accounts.models import User
from covenant.errors import Forbidden
from tests.conftest import CAST_TOTP_SECRET, assert_error, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_admin(kenya) -> User:
    """A nation admin of Kenya without a second factor yet."""
    user = make_user("fresh-admin.ken@covenant.test", "a-long-password-1")
    role_grant(nation=kenya, user=user, role="nation_admin", actor=SYSTEM, four_eyes=False)
    return user


def session_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_privileged_session_without_mfa_holds_nothing(cast, kenya, fresh_admin) -> None:
    session = Principal(user=fresh_admin, mfa_enforced=True)
    assert session.is_privileged and session.mfa_missing
    assert not may(session, "roles:read", nation=kenya)
    assert session.capabilities_in(kenya.pk) == set()
    assert may(Principal(user=fresh_admin), "roles:read", nation=kenya)  # not a web session
    totp_activate(user=fresh_admin, secret=DEMO_TOTP_SECRET)
    assert may(Principal(user=fresh_admin, mfa_enforced=True), "roles:read", nation=kenya)
    citizen = Principal(user=cast.user("KEN", "citizen"), mfa_enforced=True)
    assert not citizen.mfa_missing and may(citizen, "privacy:file", nation=kenya)


def test_pages_redirect_to_mfa_setup_and_the_api_says_mfa_required(fresh_admin) -> None:
    client = session_for(fresh_admin)
    response = client.get("/n/ken/roles/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/?next=%2Fn%2Fken%2Froles%2F"
    # a page that hides itself from those who may not see it (404) redirects the same way
    hidden = client.get("/n/ken/privacy/")
    assert hidden.status_code == 302 and hidden["Location"].startswith("/accounts/2fa/?next=")
    assert client.get("/accounts/2fa/").status_code == 200
    error = assert_error(client.get("/api/v1/nations/KEN/roles/"), 403, "mfa_required")
    assert "/accounts/2fa/" in error["message"]
    assert_error(
        client.post(
            "/api/v1/nations/KEN/roles/",
            {"email": "x@example.org", "role": "citizen"},
            content_type="application/json",
        ),
        403,
        "mfa_required",
    )
    htmx = client.post(
        "/n/ken/roles/", {"email": "x@example.org", "role": "citizen"}, HTTP_HX_REQUEST="true"
    )
    assert htmx.status_code == 403 and htmx["HX-Redirect"] == "/accounts/2fa/"
    assert not User.objects.filter(email="x@example.org").exists()
    for public in ("/", "/n/ken/", "/sectors/energy/", "/api/v1/covenant/", "/me/"):
        assert client.get(public).status_code == 200, public


def test_the_django_admin_needs_a_second_factor(kenya) -> None:
    root = make_user("root@covenant.test")
    from covenant.access.services import platform_admin_grant

    platform_admin_grant(user=root, actor=SYSTEM)
    client = session_for(root)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    totp_activate(user=root, secret=DEMO_TOTP_SECRET)
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_is_allauths(client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_with_a_second_factor_the_role_page_opens(cast) -> None:
    client = session_for(cast.user("KEN", "nation_admin"))  # the cast has TOTP
    assert client.get("/n/ken/roles/").status_code == 200


def test_setting_up_totp_through_allauth_opens_the_pages(fresh_admin) -> None:
    client = Client()
    login = client.post(
        "/accounts/login/", {"login": fresh_admin.email, "password": "a-long-password-1"}
    )
    assert login.status_code == 302
    reauth = client.get("/accounts/2fa/totp/activate/")  # allauth asks for the password again
    assert reauth.status_code == 302 and reauth["Location"].startswith("/accounts/reauthenticate/")
    client.post(reauth["Location"], {"password": "a-long-password-1"})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for manual entry beside the QR code
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302, done.content[:500]
    assert has_second_factor(fresh_admin)
    assert client.get("/n/ken/roles/").status_code == 200


def test_recovery_codes_alone_are_not_a_second_factor(fresh_admin) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(fresh_admin)
    assert not has_second_factor(fresh_admin)
    Authenticator.objects.create(user=fresh_admin, type="webauthn", data={"credential": {}})
    assert has_second_factor(fresh_admin)


def test_creating_ones_own_token_needs_mfa_and_a_session(cast, fresh_admin) -> None:
    with pytest.raises(Forbidden):
        token_issue(user=fresh_admin, actor=Principal(user=fresh_admin, mfa_enforced=True))
    with pytest.raises(Forbidden):  # someone else's
        token_issue(user=fresh_admin, actor=Principal(user=cast.user("KEN", "nation_admin")))
    token_user = cast.user("KEN", "nation_admin")
    with pytest.raises(Forbidden):  # with a token
        token_issue(user=token_user, actor=Principal(user=token_user, via="token"))
    client = session_for(fresh_admin)
    response = client.post("/me/tokens/", {"name": "laptop", "days": "30"}, follow=True)
    assert "two-factor authentication" in response.content.decode()
    assert not fresh_admin.access_tokens.exists()
    citizen = session_for(cast.user("KEN", "citizen"))
    created = citizen.post("/me/tokens/", {"name": "laptop", "days": "30"})
    assert created.status_code == 200 and "cov_" in created.content.decode()
    # the operator's issue_token stays the bootstrap, MFA or not
    _, token = token_issue(user=fresh_admin, actor=SYSTEM)
    assert token.startswith("cov_")


def test_the_demo_accounts_have_the_printed_totp_secret(kenya, brazil) -> None:
    out = StringIO()
    call_command("seed", "--demo", stdout=out)
    assert DEMO_TOTP_SECRET in out.getvalue()
    for email in (
        "admin@covenant.test",
        "nation-admin.ken@covenant.test",
        "auditor.bra@covenant.test",
    ):
        assert has_second_factor(User.objects.get(email=email)), email
    assert not has_second_factor(User.objects.get(email="citizen.ken@covenant.test"))
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"login": "nation-admin.ken@covenant.test", "password": "covenant-demo-2026"},
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(DEMO_TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/n/ken/roles/").status_code == 200
    code = StringIO()
    call_command("totp_code", stdout=code)
    assert code.getvalue().strip().isdigit() and len(code.getvalue().strip()) == 6


def test_a_citizen_signs_in_by_e_mailed_code(cast, mailoutbox) -> None:
    client = Client()
    response = client.post("/accounts/login/code/", {"email": "citizen.ken@covenant.test"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    import re

    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mailoutbox[0].body, re.M)
    assert code is not None, mailoutbox[0].body
    confirmed = client.post(response["Location"], {"code": code.group(1)})
    assert confirmed.status_code == 302
    assert client.get("/me/").status_code == 200
    assert "citizen.ken@covenant.test" in client.get("/me/").content.decode()


def test_cast_secret_is_in_use(cast) -> None:
    assert has_second_factor(cast.user("BRA", "auditor"))
    assert CAST_TOTP_SECRET != DEMO_TOTP_SECRET


def test_webauthn_and_recovery_codes_pages_are_offered(fresh_admin) -> None:
    client = Client()
    client.post("/accounts/login/", {"login": fresh_admin.email, "password": "a-long-password-1"})
    client.post("/accounts/reauthenticate/", {"password": "a-long-password-1"})
    index = client.get("/accounts/2fa/").content.decode()
    assert "/accounts/2fa/totp/activate/" in index and "/accounts/2fa/webauthn/add/" in index
    add_key = client.get("/accounts/2fa/webauthn/add/")
    html = add_key.content.decode()
    assert add_key.status_code == 200 and '<html lang="en">' in html
    assert "mfa/js/webauthn.js" in html and "<script>" not in html  # CSP: no inline script
