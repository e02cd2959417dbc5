"""SSO end to end, without the internet, against a real OpenID Connect provider running in the
test (django-oauth-toolkit with OIDC, an RSA key made here, PKCE required), served by the live
server on another host name (127.0.0.1) than the portal (localhost), so their cookies differ.
allauth really fetches the discovery document, sends the person to the provider with a PKCE
challenge, exchanges the code with the verifier and validates the ID token (issuer, audience,
expiry) — and the person lands as a citizen of Kenya and nothing more."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from covenant.access.models import NationIdentityProvider, RoleAssignment, SSORoleMapping
from covenant.access.principal import SYSTEM, Principal, may
from covenant.access.sso import sso_provider_save
from covenant.accounts.models import User
from covenant.audit.models import AuditEntry
from covenant.errors import Forbidden, Invalid
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations
from tests.access.oidc_provider import IDP_CLAIMS

oauth2_provider = pytest.importorskip("oauth2_provider")

CLIENT_ID = "covenant-portal-ken"
CLIENT_SECRET = "a-client-secret-for-the-test-0123456789"


def rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def idp(
    live_server: Any, settings: Any, transactional_db: Any, append_only_flushable: None
) -> dict[str, Any]:
    """Kenya's identity provider at http://127.0.0.1:<port>/o, the portal at localhost."""
    from oauth2_provider.models import Application

    port = urlparse(live_server.url).port
    issuer = f"http://127.0.0.1:{port}/o"
    portal = f"http://localhost:{port}"
    settings.ROOT_URLCONF = "tests.access.oidc_urls"
    settings.OAUTH2_PROVIDER = {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": rsa_private_key_pem(),
        "OIDC_ISS_ENDPOINT": issuer,
        "PKCE_REQUIRED": True,
        "OAUTH2_VALIDATOR_CLASS": "tests.access.oidc_provider.NationIdPValidator",
        "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "E-mail"},
    }
    Application.objects.create(
        name="Covenant portal",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{portal}/accounts/oidc/ken/login/callback/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    kenya = Nation.objects.get(iso3="KEN")
    provider = sso_provider_save(
        nation=kenya,
        name="eCitizen Kenya",
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        actor=SYSTEM,
    )
    yield {"issuer": issuer, "portal": portal, "provider": provider, "port": port}
    IDP_CLAIMS.clear()


def idp_person(idp: dict[str, Any], login: str, claims: dict[str, Any]) -> requests.Session:
    """A browser already signed in at the provider as `login` (the provider's own account)."""
    user = User.objects.create_user(email=login, password=None)
    IDP_CLAIMS[login] = claims
    signed_in = Client()
    signed_in.force_login(user)
    browser = requests.Session()
    browser.trust_env = False
    browser.cookies.set("sessionid", signed_in.cookies["sessionid"].value, domain="127.0.0.1")
    return browser


def sign_in_through_the_provider(
    browser: requests.Session, idp: dict[str, Any]
) -> requests.Response:
    portal = idp["portal"]
    login_page = browser.get(f"{portal}/accounts/login/", timeout=10)
    assert "Sign in with eCitizen Kenya" in login_page.text
    assert "/accounts/oidc/ken/login/" in login_page.text
    confirm = browser.get(f"{portal}/accounts/oidc/ken/login/", timeout=10)
    csrf = browser.cookies.get("csrftoken", domain="localhost.local") or browser.cookies.get(
        "csrftoken"
    )
    assert csrf, confirm.text[:500]
    to_provider = browser.post(
        f"{portal}/accounts/oidc/ken/login/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=10,
    )
    assert to_provider.status_code == 302, to_provider.text[:500]
    authorize = urlparse(to_provider.headers["Location"])
    query = parse_qs(authorize.query)
    # discovery was fetched: the authorization endpoint is the provider's
    assert (
        f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == idp["issuer"] + "/authorize/"
    )
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert "openid" in query["scope"][0].split()
    back = browser.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:500]
    callback = urlparse(back.headers["Location"])
    assert callback.path == "/accounts/oidc/ken/login/callback/" and "code=" in callback.query
    return browser.get(back.headers["Location"], allow_redirects=True, timeout=20)


@pytest.mark.django_db(transaction=True)
def test_a_first_login_through_kenyas_provider_makes_a_citizen_of_kenya_only(idp) -> None:
    browser = idp_person(
        idp,
        "login-4411@idp.ke.invalid",
        {
            "sub": "KE-4411",
            "email": "amani.wanjiru@example.ke",
            "email_verified": True,
            "name": "Amani Wanjiru",
            "groups": ["ken-energy-stewards", "ken-admins"],  # never read without a mapping
        },
    )
    landed = sign_in_through_the_provider(browser, idp)
    assert landed.status_code == 200, landed.text[:1000]
    assert urlparse(landed.url).path == "/me/"
    assert "amani.wanjiru@example.ke" in landed.text and "Citizen" in landed.text

    person = User.objects.get(email="amani.wanjiru@example.ke")
    assert person.socialaccount_set.get().provider == "ken"
    assert person.socialaccount_set.get().uid == "KE-4411"
    assert person.emailaddress_set.get().verified
    with all_nations(reason="test: every role of the new person"):
        roles = list(
            RoleAssignment.objects.filter(user=person).values_list("nation__iso3", "role", "status")
        )
    assert roles == [("KEN", "citizen", "active")]
    assert not Principal(user=person).is_privileged
    kenya = Nation.objects.get(iso3="KEN")
    assert may(Principal(user=person), "privacy:file", nation=kenya)
    assert not may(Principal(user=person), "projects:create", nation=kenya, sector="energy")
    entry = AuditEntry.objects.get(action="role.granted", data__subject=person.pseudonym)
    assert entry.actor == "system:sso" and entry.nation == "KEN" and entry.data["role"] == "citizen"

    # a second login is the same person, still a citizen only
    browser.post(
        f"{idp['portal']}/accounts/logout/",
        data={
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", domain="localhost.local")
            or browser.cookies.get("csrftoken")
        },
        timeout=10,
    )
    again = sign_in_through_the_provider(browser, idp)
    assert again.status_code == 200 and urlparse(again.url).path == "/me/"
    assert User.objects.filter(email="amani.wanjiru@example.ke").count() == 1
    with all_nations(reason="test"):
        assert RoleAssignment.objects.filter(user=person).count() == 1


@pytest.mark.django_db(transaction=True)
def test_roles_come_from_claims_only_through_an_admins_mapping(idp) -> None:
    SSORoleMapping.objects.create(
        provider=idp["provider"], claim="groups", value="ken-energy-stewards",
        role="sector_steward", sector="energy",
    )  # fmt: skip
    browser = idp_person(
        idp,
        "login-77@idp.ke.invalid",
        {"sub": "KE-77", "email": "otieno@example.ke", "email_verified": True,
         "groups": ["ken-energy-stewards"]},
    )  # fmt: skip
    landed = sign_in_through_the_provider(browser, idp)
    assert landed.status_code == 200
    person = User.objects.get(email="otieno@example.ke")
    with all_nations(reason="test"):
        roles = sorted(
            RoleAssignment.objects.filter(user=person).values_list("role", "sector", "status")
        )
    assert roles == [("citizen", "", "active"), ("sector_steward", "energy", "active")]


@pytest.mark.django_db(transaction=True)
def test_a_disabled_provider_is_not_offered_and_its_login_is_404(idp) -> None:
    provider = idp["provider"]
    NationIdentityProvider.objects.filter(pk=provider.pk).update(enabled=False)
    browser = requests.Session()
    browser.trust_env = False
    page = browser.get(f"{idp['portal']}/accounts/login/", timeout=10)
    assert "eCitizen Kenya" not in page.text
    assert browser.get(f"{idp['portal']}/accounts/oidc/ken/login/", timeout=10).status_code == 404


@pytest.mark.django_db
def test_only_platform_admins_configure_providers_and_mappings_refuse_elevated_roles(cast, kenya):
    from django.db import IntegrityError, transaction

    with pytest.raises(Forbidden):
        sso_provider_save(
            nation=kenya, name="x", issuer="https://id.example.ke", client_id="c",
            actor=Principal(user=cast.user("KEN", "nation_admin")),
        )  # fmt: skip
    with pytest.raises(Invalid):
        sso_provider_save(
            nation=kenya, name="x", issuer="ftp://id.example.ke", client_id="c", actor=SYSTEM
        )
    provider = sso_provider_save(
        nation=kenya, name="eCitizen", issuer="https://id.example.ke/", client_id="c",
        client_secret="s", actor=Principal(user=cast.platform_admin),
    )  # fmt: skip
    assert provider.social_app.provider_id == "ken"
    assert provider.social_app.settings == {
        "server_url": "https://id.example.ke", "oauth_pkce_enabled": True,
    }  # fmt: skip
    entry = AuditEntry.objects.get(action="sso.configured")
    assert "s" not in entry.data.values() and entry.nation == "KEN"
    for role in ("nation_admin", "auditor", "delegate"):
        with pytest.raises(IntegrityError), transaction.atomic():
            SSORoleMapping.objects.create(provider=provider, claim="groups", value="x", role=role)
    assert re.fullmatch(r"[a-z]{3}", provider.provider_id)


@pytest.mark.django_db
def test_platform_admins_configure_a_nations_provider_in_the_admin(cast, kenya) -> None:
    client = Client()
    client.force_login(cast.platform_admin)  # the cast's platform admin has TOTP
    form = {
        "nation": kenya.pk,
        "name": "eCitizen Kenya",
        "issuer": "https://accounts.ecitizen.example.ke",
        "client_id": "portal",
        "client_secret": "s3cret-value",
        "enabled": "on",
        "role_mappings-TOTAL_FORMS": "1",
        "role_mappings-INITIAL_FORMS": "0",
        "role_mappings-0-claim": "groups",
        "role_mappings-0-value": "ken-council",
        "role_mappings-0-role": "council_member",
        "role_mappings-0-sector": "",
    }
    response = client.post("/admin/access/nationidentityprovider/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = NationIdentityProvider.objects.get(nation=kenya)
    assert (
        provider.social_app.client_id == "portal" and provider.social_app.secret == "s3cret-value"
    )
    assert provider.role_mappings.get().role == "council_member"
    assert AuditEntry.objects.filter(action="sso.configured").count() == 1
    nation_admin = Client()
    nation_admin.force_login(cast.user("KEN", "nation_admin"))
    assert nation_admin.get("/admin/access/nationidentityprovider/").status_code in (302, 403)
