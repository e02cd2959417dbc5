"""Tenant isolation, the first security property: walk every nation-owned endpoint of Kenya as
every person of Brazil (and as an outsider and anonymously) — 401/403/404 each time, and nothing
written."""

from __future__ import annotations

import pytest

from covenant.access.models import ApiKey, PersonalAccessToken, RoleAssignment
from covenant.access.principal import SYSTEM, Principal
from covenant.access.services import api_key_create
from covenant.accounts.models import User
from covenant.audit.models import AuditEntry
from covenant.ledger.models import LedgerEntry, LedgerLine
from covenant.ledger.services import pledge_post
from covenant.nations.tenancy import all_nations, nation_scope
from tests.conftest import NATION_ROLES, client_for


def snapshot() -> tuple[int, ...]:
    with all_nations(reason="test: count every row"):
        return (
            RoleAssignment.objects.count(),
            RoleAssignment.objects.filter(status="active").count(),
            LedgerEntry.objects.count(),
            LedgerLine.objects.count(),
            AuditEntry.objects.count(),
            User.objects.count(),
            PersonalAccessToken.objects.count(),
            ApiKey.objects.count(),
            ApiKey.objects.filter(revoked_at__isnull=True).count(),
        )


def kenyan_endpoints(kenya) -> list[tuple[str, str, dict | None]]:
    """Every endpoint that reads or writes Kenya's tenant data."""
    entry = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    with nation_scope(kenya):
        assignment = RoleAssignment.objects.filter(role="council_member").first()
        admin_grant = RoleAssignment.objects.filter(role="nation_admin").first()
        kenyan_admin = admin_grant.user
    key, _ = api_key_create(
        nation=kenya, name="kenyan", scopes=["roles:read"], actor=Principal(user=kenyan_admin)
    )
    return [
        ("get", "/api/v1/nations/KEN/roles/", None),
        ("post", "/api/v1/nations/KEN/roles/", {"email": "mole@x.org", "role": "nation_admin"}),
        ("post", "/api/v1/nations/KEN/roles/", {"email": "mole@x.org", "role": "citizen"}),
        ("get", f"/api/v1/nations/KEN/roles/{assignment.pk}/", None),
        ("delete", f"/api/v1/nations/KEN/roles/{assignment.pk}/", None),
        ("delete", f"/api/v1/nations/KEN/roles/{admin_grant.pk}/", None),
        ("post", f"/api/v1/nations/KEN/roles/{assignment.pk}/approve/", None),
        ("get", "/api/v1/nations/KEN/contributions/", None),
        (
            "post",
            "/api/v1/nations/KEN/contributions/",
            {"amount_usd": "1.00", "received_on": "2026-01-02", "reference": "x"},
        ),
        ("get", "/api/v1/ledger/entries/?nation=KEN", None),
        ("get", f"/api/v1/ledger/entries/{entry.pk}/", None),
        ("post", f"/api/v1/ledger/entries/{entry.pk}/reverse/", {"reason": "x"}),
        ("get", "/api/v1/audit/entries/?nation=KEN", None),
        ("get", "/api/v1/nations/KEN/api-keys/", None),
        ("post", "/api/v1/nations/KEN/api-keys/", {"name": "mole", "scopes": ["roles:read"]}),
        ("get", f"/api/v1/nations/KEN/api-keys/{key.pk}/", None),
        ("delete", f"/api/v1/nations/KEN/api-keys/{key.pk}/", None),
        ("post", f"/api/v1/nations/KEN/api-keys/{key.pk}/revoke/", None),
    ]


def call(client, method: str, url: str, body: dict | None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("who", [*NATION_ROLES, "outsider", "anonymous"])
def test_nobody_from_another_nation_reaches_kenyan_data(cast, kenya, who) -> None:
    endpoints = kenyan_endpoints(kenya)
    if who == "outsider":
        user = cast.outsider
    elif who == "anonymous":
        user = None
    else:
        user = cast.user("BRA", who)
    client = client_for(user)
    before = snapshot()
    for method, url, body in endpoints:
        response = call(client, method, url, body)
        assert response.status_code in (401, 403, 404), (who, method, url, response.status_code)
        error = response.json()["error"]
        assert error["code"] and error["message"]
        if method == "get" and user is not None:
            assert "KEN" not in response.content.decode() or response.status_code != 200
    assert snapshot() == before, who


@pytest.mark.django_db
@pytest.mark.parametrize("role", NATION_ROLES)
def test_kenyan_roles_get_only_what_the_table_allows_at_home(cast, kenya, role) -> None:
    """The same walk as Kenyans: only nation admins (roles) and auditors (ledger reads, roles
    read) get through; everybody else is refused."""
    endpoints = kenyan_endpoints(kenya)
    client = client_for(cast.user("KEN", role))
    allowed = {
        "nation_admin": {"/api/v1/nations/KEN/roles/"},
        "auditor": {"/api/v1/nations/KEN/roles/", "/api/v1/ledger/entries/?nation=KEN"},
    }.get(role, set())
    for method, url, body in endpoints:
        if method != "get":
            continue
        response = call(client, method, url, body)
        expected_ok = (
            url in allowed
            or (role in ("nation_admin", "auditor") and "/roles/" in url)
            or (role == "nation_admin" and "/api-keys/" in url)
            or (role == "auditor" and url.startswith(("/api/v1/ledger/entries/", "/api/v1/audit/")))
        )
        assert (response.status_code == 200) == expected_ok, (role, url, response.status_code)


@pytest.mark.django_db
def test_a_brazilian_admin_manages_brazil_but_cannot_touch_a_kenyan_assignment_via_brazil(
    cast, kenya
) -> None:
    with nation_scope(kenya):
        kenyan = RoleAssignment.objects.filter(role="citizen").first()
    admin = client_for(cast.user("BRA", "nation_admin"))
    # the Kenyan assignment's id under Brazil's URL is simply not found
    assert admin.get(f"/api/v1/nations/BRA/roles/{kenyan.pk}/").status_code == 404
    assert admin.delete(f"/api/v1/nations/BRA/roles/{kenyan.pk}/").status_code == 404
    assert admin.post(f"/api/v1/nations/BRA/roles/{kenyan.pk}/approve/").status_code == 404
    with nation_scope(kenya):
        assert RoleAssignment.objects.get(pk=kenyan.pk).status == "active"
    assert admin.get("/api/v1/nations/BRA/roles/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("creator", ["nation_admin", "platform_admin"])
def test_no_brazilian_key_reaches_kenyan_data(cast, kenya, brazil, creator) -> None:
    """The same walk with an API key of Brazil holding every scope its creator may give it
    (a platform admin's key included: a key is bound to its nation)."""
    from rest_framework.test import APIClient

    user = cast.platform_admin if creator == "platform_admin" else cast.user("BRA", "nation_admin")
    held = Principal(user=user).capabilities_in(brazil.pk)
    _, secret = api_key_create(
        nation=brazil, name="brazilian", scopes=sorted(held), actor=Principal(user=user)
    )
    endpoints = kenyan_endpoints(kenya)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    before = snapshot()
    for method, url, body in endpoints:
        response = call(client, method, url, body)
        assert response.status_code in (403, 404), (creator, method, url, response.status_code)
        assert response.json()["error"]["code"]
    assert snapshot() == before
