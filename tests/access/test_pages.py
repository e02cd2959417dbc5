"""The pages of the access core: /me/, the role page (grant, approve by a second admin,
revoke; htmx in place and plain forms without JavaScript) and the API keys page."""

from __future__ import annotations

import pytest
from django.test import Client

from covenant.access.me import MePart, _parts, register_me_part
from covenant.access.models import ApiKey, RoleAssignment
from covenant.access.principal import SYSTEM
from covenant.access.services import role_grant
from covenant.audit.models import AuditEntry
from covenant.nations.tenancy import nation_scope
from tests.conftest import CAST_TOTP_SECRET, make_user

pytestmark = pytest.mark.django_db


def session_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_me_shows_nations_roles_with_sector_and_status_tokens_and_keys(cast, kenya) -> None:
    steward = cast.user("KEN", "sector_steward")
    role_grant(nation=kenya, user=steward, role="auditor", actor=SYSTEM)  # waits for approval
    page = session_for(steward).get("/me/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="en">' in html and "Skip to content" in html  # the portal's page
    assert "Kenya" in html and "Sector steward" in html and "energy" in html
    assert "Pending approval" in html and "Personal access tokens" in html
    assert "/n/ken/api-keys/" not in html  # a steward manages no keys
    admin_page = session_for(cast.user("KEN", "nation_admin")).get("/me/").content.decode()
    assert "/n/ken/roles/" in admin_page and "/n/ken/api-keys/" in admin_page
    assert Client().get("/me/").status_code == 302  # sign in first


def test_me_parts_are_registered_by_other_packages(cast) -> None:
    register_me_part(
        MePart(
            slug="test-part",
            title="A test part",
            render=lambda request, principal: "<p>Inbox: 3 unread</p>" if principal.user else None,
            order=50,
        )
    )
    try:
        html = session_for(cast.user("KEN", "citizen")).get("/me/").content.decode()
        assert 'id="test-part"' in html and "Inbox: 3 unread" in html
    finally:
        _parts.pop("test-part")


def test_the_role_page_lists_grants_and_the_second_admin_approves(cast, kenya) -> None:
    first = cast.user("KEN", "nation_admin")
    second = make_user("second-admin.ken@covenant.test")
    role_grant(nation=kenya, user=second, role="nation_admin", actor=SYSTEM, four_eyes=False)
    from covenant.access.mfa import totp_activate

    totp_activate(user=second, secret=CAST_TOTP_SECRET)
    page = session_for(first).get("/n/ken/roles/")
    html = page.content.decode()
    assert (
        page.status_code == 200 and "Roles of Kenya" in html and "citizen.ken@covenant.test" in html
    )
    # grant without JavaScript: post, then redirect with a message
    response = session_for(first).post(
        "/n/ken/roles/", {"email": "Candidate@Example.org", "role": "auditor", "sector": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/n/ken/roles/"
    with nation_scope(kenya):
        pending = RoleAssignment.objects.get(user__email="candidate@example.org")
    assert pending.status == "pending_approval"
    after = session_for(first).get("/n/ken/roles/").content.decode()
    assert "you asked: a second admin approves" in after
    # the granter cannot approve; the second admin can (through htmx, in place)
    refused = session_for(first).post(f"/n/ken/roles/{pending.pk}/approve/", follow=True)
    assert "second admin" in refused.content.decode()
    with nation_scope(kenya):
        assert RoleAssignment.objects.get(pk=pending.pk).status == "pending_approval"
    approved = session_for(second).post(
        f"/n/ken/roles/{pending.pk}/approve/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="roles"
    )
    assert approved.status_code == 200
    fragment = approved.content.decode()
    assert fragment.lstrip().startswith('<div id="roles"') and "<html" not in fragment
    assert "approved: now active" in fragment
    with nation_scope(kenya):
        assert RoleAssignment.objects.get(pk=pending.pk).status == "active"
    actions = list(
        AuditEntry.objects.filter(target_id=str(pending.pk)).values_list("action", flat=True)
    )
    assert actions == ["role.requested", "role.approved"]


def test_revoke_and_bad_grants_on_the_role_page(cast, kenya) -> None:
    client = session_for(cast.user("KEN", "nation_admin"))
    with nation_scope(kenya):
        council = RoleAssignment.objects.get(role="council_member")
    response = client.post(f"/n/ken/roles/{council.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "revoked" in response.content.decode()
    with nation_scope(kenya):
        assert RoleAssignment.objects.get(pk=council.pk).status == "revoked"
    history = client.get("/n/ken/roles/").content.decode()
    assert "Revoked (1)" in history
    for body in (
        {"email": "not-an-email", "role": "citizen"},
        {"email": "a@b.org", "role": "emperor"},
        {"email": "a@b.org", "role": "sector_steward"},
        {"email": "citizen.ken@covenant.test", "role": "citizen"},
    ):
        shown = client.post("/n/ken/roles/", body, HTTP_HX_REQUEST="true")
        assert shown.status_code == 200 and 'class="message error"' in shown.content.decode()
    assert client.post("/n/ken/roles/999999/revoke/").status_code == 404


@pytest.mark.parametrize("who", ["council_member", "delegate", "sector_steward", "citizen"])
def test_the_role_page_is_closed_to_everyone_else(cast, who) -> None:
    client = session_for(cast.user("KEN", who))
    assert client.get("/n/ken/roles/").status_code == 403
    assert client.post("/n/ken/roles/", {"email": "a@b.org", "role": "citizen"}).status_code == 403
    assert session_for(cast.user("BRA", "nation_admin")).get("/n/ken/roles/").status_code == 403
    assert session_for(cast.outsider).get("/n/ken/roles/").status_code == 403
    assert session_for(cast.user("KEN", "nation_admin")).get("/n/xyz/roles/").status_code == 404


def test_an_auditor_reads_the_role_page_without_forms(cast) -> None:
    html = session_for(cast.user("KEN", "auditor")).get("/n/ken/roles/").content.decode()
    assert "Active (" in html and 'id="grant-form"' not in html and "Revoke<" not in html


def test_a_platform_admin_acts_in_any_nation(cast, brazil) -> None:
    client = session_for(cast.platform_admin)
    response = client.post("/n/bra/roles/", {"email": "new@example.org", "role": "citizen"})
    assert response.status_code == 302
    with nation_scope(brazil):
        assert RoleAssignment.objects.filter(user__email="new@example.org").exists()


def test_the_api_keys_page_creates_shows_once_and_revokes(cast, kenya) -> None:
    client = session_for(cast.user("KEN", "nation_admin"))
    page = client.get("/n/ken/api-keys/").content.decode()
    assert "roles:*" in page and "ledger:read" not in page  # only what the admin holds
    created = client.post(
        "/n/ken/api-keys/", {"name": "Treasury", "scopes": ["roles:read"], "days": "30"}
    )
    html = created.content.decode()
    assert created.status_code == 200 and 'id="new-key"' in html and "covk_ken_" in html
    with nation_scope(kenya):
        key = ApiKey.objects.get()
    assert "covk_ken_" not in client.get("/n/ken/api-keys/").content.decode()  # once only
    wider = client.post("/n/ken/api-keys/", {"name": "x", "scopes": ["ledger:read"]}, follow=True)
    assert "wider than yours" in wider.content.decode()
    revoked = client.post(f"/n/ken/api-keys/{key.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert revoked.status_code == 200 and "revoked" in revoked.content.decode()
    with nation_scope(kenya):
        assert ApiKey.objects.get().revoked_at is not None
    assert session_for(cast.user("KEN", "auditor")).get("/n/ken/api-keys/").status_code == 403
    assert session_for(cast.user("BRA", "nation_admin")).get("/n/ken/api-keys/").status_code == 403


def test_tokens_on_me_are_created_shown_once_and_revoked(cast) -> None:
    citizen = cast.user("KEN", "citizen")
    client = session_for(citizen)
    created = client.post("/me/tokens/", {"name": "script", "scopes": "privacy:file", "days": "7"})
    assert created.status_code == 200 and 'id="new-token"' in created.content.decode()
    token = citizen.access_tokens.get()
    assert token.scopes == ["privacy:file"]
    assert "cov_" + token.prefix + "_…" in client.get("/me/").content.decode()
    bad = client.post("/me/tokens/", {"name": "x", "scopes": "ledger:steal"}, follow=True)
    assert "unknown scope" in bad.content.decode()
    revoked = client.post(f"/me/tokens/{token.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert revoked.status_code == 200 and "revoked" in revoked.content.decode()
    other = session_for(cast.user("BRA", "citizen"))
    assert other.post(f"/me/tokens/{token.pk}/revoke/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/login/code/",
    ],
)
def test_account_pages_are_in_the_portals_page(client, path) -> None:
    html = client.get(path).content.decode()
    assert '<html lang="en">' in html and 'class="site-header"' in html
    assert 'href="/"' in html and "css/access.css" in html


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/sessions/",
        "/accounts/3rdparty/",
    ],
)
def test_signed_in_account_pages_have_the_account_menu(cast, path) -> None:
    html = session_for(cast.user("KEN", "citizen")).get(path, follow=True).content.decode()
    assert 'aria-label="Your account"' in html and '<html lang="en">' in html
