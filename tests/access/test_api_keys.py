"""API keys: bound to one nation, scopes no wider than the creator's, hashed, shown once,
expiring, revocable, last use tracked, audited — and never reaching another nation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from covenant.access.models import ApiKey, RoleAssignment
from covenant.access.principal import SYSTEM, Principal, may
from covenant.access.roles import ALL_CAPABILITIES, CAPABILITIES, Role
from covenant.access.services import api_key_create, role_revoke, token_issue
from covenant.access.tokens import token_digest
from covenant.audit.models import AuditEntry
from covenant.errors import Forbidden, Invalid
from covenant.ledger.models import LedgerEntry
from covenant.ledger.services import pledge_post
from covenant.nations.tenancy import all_nations, nation_scope
from sectors.core.models import Project
from tests.conftest import assert_error, client_for
from tests.core.test_access import EXPECTED
from tests.sectors.conftest import make_project

KEYS = "/api/v1/nations/{}/api-keys/"


def key_client(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")


def make_key(creator: Any, nation: Any, scopes: list[str], **kwargs: Any) -> tuple[ApiKey, str]:
    return api_key_create(
        nation=nation, name="integration", scopes=scopes, actor=Principal(user=creator), **kwargs
    )


# --- the table, extended to keys: a key's scope × the capability asked -------------------------


SCOPES = sorted(ALL_CAPABILITIES) + sorted({f"{c.split(':')[0]}:*" for c in ALL_CAPABILITIES})


KEN_ID, BRA_ID = 1001, 1002  # the table needs no database: memberships are given


def key_of(role: str, scopes: set[str], *, also_in_brazil: bool = False) -> Principal:
    """A key of Kenya made by a person holding `role` in Kenya (and nation admin in Brazil)."""
    from covenant.access.principal import Membership
    from covenant.accounts.models import User

    memberships = [
        Membership(1, KEN_ID, "KEN", Role(role), "energy" if role == "sector_steward" else "")
    ]
    if also_in_brazil:
        memberships.append(Membership(2, BRA_ID, "BRA", Role.NATION_ADMIN, ""))
    return Principal(
        user=User(email=f"{role}@example.org", is_active=True),
        scopes=frozenset(scopes),
        via="key",
        nation_binding=KEN_ID,
        _memberships=memberships,
    )


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("capability", sorted(ALL_CAPABILITIES))
def test_key_scope_times_capability_cell(scope, capability) -> None:
    """A nation admin's key of Kenya with one scope: it may exactly what the scope names and
    the nation admin holds, in Kenya; nothing in Brazil, nothing without a nation."""
    key = key_of("nation_admin", {scope}, also_in_brazil=True)
    resource = capability.split(":", 1)[0]
    covered = scope in (capability, f"{resource}:*")
    expected = covered and capability in EXPECTED["nation_admin"]
    assert may(key, capability, nation=KEN_ID) is expected
    assert may(key, capability, nation=BRA_ID) is False
    assert may(key, capability) is False


@pytest.mark.parametrize("role", [r for r in EXPECTED if r != "platform_admin"])
@pytest.mark.parametrize("capability", sorted(ALL_CAPABILITIES))
def test_a_key_acts_as_its_creators_roles_in_its_nation_only(role, capability) -> None:
    """Every role, a key with every scope: the role's row of the table, in Kenya only."""
    key = key_of(role, set(SCOPES), also_in_brazil=True)
    sector = "energy" if role == "sector_steward" else None
    assert may(key, capability, nation=KEN_ID, sector=sector) is (capability in EXPECTED[role])
    assert may(key, capability, nation=BRA_ID, sector=sector) is False
    assert may(key, capability) is False  # no "in any nation" question for a key


@pytest.mark.django_db
def test_a_platform_admins_key_is_a_platform_admin_in_its_nation_only(cast, kenya, brazil):
    key = Principal(
        user=cast.platform_admin, scopes=frozenset(SCOPES), via="key", nation_binding=kenya.pk
    )
    assert not key.is_platform_admin  # no global reach through a key
    for capability in CAPABILITIES[Role.PLATFORM_ADMIN]:
        assert may(key, capability, nation=kenya)
        assert not may(key, capability, nation=brazil)
        assert not may(key, capability)
    assert key.nation_ids_with("ledger:read") == {kenya.pk}
    assert key.capabilities_in(brazil.pk) == set()


# --- creating keys --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_nation_admin_creates_a_key_shown_once_and_stored_hashed(cast, kenya) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    # `projects:*` would include marking flagships, which only platform admins do: wider than
    # a nation admin, refused
    wide = admin.post(
        KEYS.format("KEN"), {"name": "Too wide", "scopes": ["projects:*"]}, format="json"
    )
    assert wide.status_code == 403 and "projects:*" in wide.json()["error"]["message"]
    response = admin.post(
        KEYS.format("KEN"),
        {"name": "Treasury bridge", "scopes": ["roles:*", "projects:update"], "days": 30},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    key = body.pop("key")
    assert key.startswith("covk_ken_")
    assert body["nation"] == "KEN" and body["status"] == "active"
    assert body["scopes"] == ["projects:update", "roles:*"]
    assert body["last_four"] == key[-4:] and key.split("_")[2] == body["prefix"]
    with nation_scope(kenya):
        record = ApiKey.objects.get(pk=body["id"])
    assert record.key_hash == token_digest(key) and key not in (record.prefix, record.key_hash)
    assert dt.timedelta(days=29) < record.expires_at - timezone.now() <= dt.timedelta(days=30)
    listed = admin.get(KEYS.format("KEN")).json()
    assert listed["count"] == 1 and "key" not in listed["results"][0]  # never shown again
    assert key not in admin.get(KEYS.format("KEN") + f"{record.pk}/").content.decode()
    entry = AuditEntry.objects.filter(action="api_key.created").get()
    assert entry.nation == "KEN" and entry.target_id == record.prefix
    assert "@" not in str(entry.data) and key not in str(entry.data)


@pytest.mark.parametrize(
    ("scopes", "status", "field"),
    [
        (["ledger:read"], 403, None),  # a nation admin does not read the ledger
        (["roles:*", "ledger:*"], 403, None),
        (["contributions:create"], 403, None),
        (["ledger:steal"], 400, "scopes"),
        (["nothing:*"], 400, "scopes"),
        ([], 400, "scopes"),
        ("roles:read", 400, "scopes"),
    ],
)
@pytest.mark.django_db
def test_a_key_is_never_wider_than_its_creator(cast, scopes, status, field) -> None:
    before = AuditEntry.objects.count()
    error = assert_error(
        client_for(cast.user("KEN", "nation_admin")).post(
            KEYS.format("KEN"), {"name": "x", "scopes": scopes}, format="json"
        ),
        status,
    )
    if field:
        assert field in error["fields"]
    assert AuditEntry.objects.count() == before
    with all_nations(reason="test: no key written"):
        assert ApiKey.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "scopes": ["roles:read"]},
        {"name": "x" * 81, "scopes": ["roles:read"]},
        {"name": "x", "scopes": ["roles:read"], "days": 0},
        {"name": "x", "scopes": ["roles:read"], "days": 367},
        {"name": "x", "scopes": ["roles:read"], "nation": "BRA"},
        {"name": "x", "scopes": ["a" * 65]},
        {"name": "x", "scopes": ["roles:read"] * 65},
        [],
    ],
)
@pytest.mark.django_db
def test_bad_key_requests_are_400(cast, body) -> None:
    assert_error(
        client_for(cast.user("KEN", "nation_admin")).post(KEYS.format("KEN"), body, format="json"),
        400,
    )


@pytest.mark.parametrize(
    "role", ["council_member", "delegate", "sector_steward", "auditor", "citizen"]
)
@pytest.mark.django_db
def test_only_key_managers_list_or_create_keys(cast, role) -> None:
    client = client_for(cast.user("KEN", role))
    assert_error(client.get(KEYS.format("KEN")), 403)
    assert_error(
        client.post(KEYS.format("KEN"), {"name": "x", "scopes": ["roles:read"]}, format="json"), 403
    )


@pytest.mark.django_db
def test_a_key_cannot_create_keys_and_a_token_can(cast, kenya) -> None:
    _, key = make_key(cast.user("KEN", "nation_admin"), kenya, ["api_keys:manage"])
    assert_error(
        key_client(key).post(
            KEYS.format("KEN"), {"name": "x", "scopes": ["roles:read"]}, format="json"
        ),
        403,
    )
    _, token = token_issue(user=cast.user("KEN", "nation_admin"), actor=SYSTEM)
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        KEYS.format("KEN"), {"name": "x", "scopes": ["roles:read"]}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_scoped_tokens_key_is_no_wider_than_the_token(cast) -> None:
    _, token = token_issue(
        user=cast.user("KEN", "nation_admin"),
        actor=SYSTEM,
        scopes=["api_keys:manage", "roles:read"],
    )
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(
        client.post(KEYS.format("KEN"), {"name": "x", "scopes": ["roles:grant"]}, format="json"),
        403,
    )
    assert (
        client.post(
            KEYS.format("KEN"), {"name": "x", "scopes": ["roles:read"]}, format="json"
        ).status_code
        == 201
    )


# --- using keys -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_acts_within_its_scopes_and_tracks_its_last_use(cast, kenya) -> None:
    record, key = make_key(cast.user("KEN", "nation_admin"), kenya, ["roles:read"])
    client = key_client(key)
    assert client.get("/api/v1/nations/KEN/roles/").status_code == 200
    assert_error(
        client.post(
            "/api/v1/nations/KEN/roles/", {"email": "a@b.org", "role": "citizen"}, format="json"
        ),
        403,
    )
    me = client.get("/api/v1/me/").json()
    assert me["via"] == "key" and me["key_nation"] == "KEN"
    assert me["token_scopes"] == ["roles:read"] and [m["nation"] for m in me["memberships"]] == [
        "KEN"
    ]
    with nation_scope(kenya):
        first = ApiKey.objects.get(pk=record.pk).last_used_at
    assert first is not None
    client.get("/api/v1/nations/KEN/roles/")
    with nation_scope(kenya):  # writes are rate-limited: once per 5 minutes
        assert ApiKey.objects.get(pk=record.pk).last_used_at == first


@pytest.mark.django_db
def test_expired_revoked_and_forged_keys_get_401(cast, kenya) -> None:
    admin = cast.user("KEN", "nation_admin")
    record, key = make_key(admin, kenya, ["roles:read"])
    url = "/api/v1/nations/KEN/roles/"
    assert key_client(key).get(url).status_code == 200
    for forged in (
        key[:-1] + ("A" if key[-1] != "A" else "B"),
        key.replace("covk_ken_", "covk_bra_"),
        key.replace("covk_ken_", "covk_zzz_"),
        "covk_ken_short_x",
        "covk_" + "x" * 300,
    ):
        assert_error(key_client(forged).get(url), 401)
    with nation_scope(kenya):
        ApiKey.objects.filter(pk=record.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    assert_error(key_client(key).get(url), 401)
    record2, key2 = make_key(admin, kenya, ["roles:read"])
    response = client_for(admin).delete(KEYS.format("KEN") + f"{record2.pk}/")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert_error(key_client(key2).get(url), 401)
    assert_error(client_for(admin).post(KEYS.format("KEN") + f"{record2.pk}/revoke/"), 409)
    assert (
        AuditEntry.objects.filter(action="api_key.revoked", target_id=record2.prefix).count() == 1
    )


@pytest.mark.django_db
def test_a_creator_who_loses_the_role_disarms_the_key(cast, kenya) -> None:
    admin = cast.user("KEN", "nation_admin")
    _, key = make_key(admin, kenya, ["roles:read"])
    assert key_client(key).get("/api/v1/nations/KEN/roles/").status_code == 200
    with nation_scope(kenya):
        mine = RoleAssignment.objects.get(user=admin, role="nation_admin")
    role_revoke(assignment=mine, actor=Principal(user=cast.platform_admin))
    assert_error(key_client(key).get("/api/v1/nations/KEN/roles/"), 403)


@pytest.mark.django_db
def test_a_brazilian_admin_cannot_see_or_revoke_kenyan_keys(cast, kenya) -> None:
    record, _ = make_key(cast.user("KEN", "nation_admin"), kenya, ["roles:read"])
    brazilian = client_for(cast.user("BRA", "nation_admin"))
    assert_error(brazilian.get(KEYS.format("KEN")), 403)
    assert brazilian.get(KEYS.format("BRA")).json()["count"] == 0
    assert_error(brazilian.delete(KEYS.format("BRA") + f"{record.pk}/"), 404)
    assert_error(brazilian.post(KEYS.format("BRA") + f"{record.pk}/revoke/"), 404)


# --- the walk: a Kenyan key against every Brazilian endpoint --------------------------------------


def brazilian_endpoints(cast, brazil) -> list[tuple[str, str, Any]]:
    admin = cast.platform_admin
    entry = pledge_post(nation=brazil, fiscal_year=2026, actor=SYSTEM)
    energy = make_project(admin, brazil, "energy", metrics={"capacity_mw": 10})
    minerals = make_project(admin, brazil, "minerals", metrics={"profit_usd": "10.00"})
    with nation_scope(brazil):
        council = RoleAssignment.objects.filter(role="council_member").first()
    brazil_key, _ = make_key(cast.user("BRA", "nation_admin"), brazil, ["roles:read"])
    return [
        ("get", "/api/v1/nations/BRA/roles/", None),
        ("post", "/api/v1/nations/BRA/roles/", {"email": "mole@x.org", "role": "citizen"}),
        ("get", f"/api/v1/nations/BRA/roles/{council.pk}/", None),
        ("delete", f"/api/v1/nations/BRA/roles/{council.pk}/", None),
        ("post", f"/api/v1/nations/BRA/roles/{council.pk}/approve/", None),
        ("get", "/api/v1/nations/BRA/contributions/", None),
        (
            "post",
            "/api/v1/nations/BRA/contributions/",
            {"amount_usd": "1.00", "received_on": "2026-01-02", "reference": "x"},
        ),
        ("get", "/api/v1/ledger/entries/?nation=BRA", None),
        ("get", f"/api/v1/ledger/entries/{entry.pk}/", None),
        ("post", f"/api/v1/ledger/entries/{entry.pk}/reverse/", {"reason": "x"}),
        ("get", "/api/v1/audit/entries/?nation=BRA", None),
        ("get", "/api/v1/nations/BRA/api-keys/", None),
        ("post", "/api/v1/nations/BRA/api-keys/", {"name": "x", "scopes": ["roles:read"]}),
        ("get", f"/api/v1/nations/BRA/api-keys/{brazil_key.pk}/", None),
        ("delete", f"/api/v1/nations/BRA/api-keys/{brazil_key.pk}/", None),
        ("post", f"/api/v1/nations/BRA/api-keys/{brazil_key.pk}/revoke/", None),
        ("post", "/api/v1/nations/BRA/projects/", {"name": "x", "sector": "energy"}),
        ("patch", f"/api/v1/projects/{energy.pk}/", {"budget_usd": "1.00"}),
        (
            "post",
            f"/api/v1/projects/{minerals.pk}/profit-distributions/",
            {"profit_usd": "100.00"},
        ),
    ]


def counts() -> tuple[int, ...]:
    with all_nations(reason="test: count every row"):
        return (
            RoleAssignment.objects.count(),
            RoleAssignment.objects.filter(status="active").count(),
            LedgerEntry.objects.count(),
            AuditEntry.objects.count(),
            ApiKey.objects.count(),
            ApiKey.objects.filter(revoked_at__isnull=True).count(),
            Project.objects.count(),
            sum(Project.objects.values_list("budget_usd", flat=True), Decimal(0)),
        )


@pytest.mark.django_db
@pytest.mark.parametrize("creator", ["nation_admin", "platform_admin"])
def test_a_kenyan_key_never_reaches_brazil(cast, kenya, brazil, creator) -> None:
    user = cast.platform_admin if creator == "platform_admin" else cast.user("KEN", "nation_admin")
    with nation_scope(brazil):  # the creator is a nation admin of Brazil too
        RoleAssignment.objects.create(nation=brazil, user=user, role="nation_admin")
    held = Principal(user=user).capabilities_in(kenya.pk)
    _, key = make_key(user, kenya, sorted(held))
    client = key_client(key)
    endpoints = brazilian_endpoints(cast, brazil)
    before = counts()
    for method, url, body in endpoints:
        call = getattr(client, method)
        response = call(url, body, format="json") if body is not None else call(url)
        assert response.status_code in (403, 404), (method, url, response.status_code)
        assert response.json()["error"]["code"]
        if response.status_code == 200:  # pragma: no cover - the assert above forbids it
            raise AssertionError(url)
    assert counts() == before
    # and at home the same key works
    assert client.get("/api/v1/nations/KEN/roles/").status_code == 200


@pytest.mark.django_db
def test_the_service_refuses_keys_of_another_nation_and_without_rights(cast, kenya, brazil):
    with pytest.raises(Forbidden):
        make_key(cast.user("KEN", "nation_admin"), brazil, ["roles:read"])
    with pytest.raises(Invalid):
        make_key(cast.user("KEN", "nation_admin"), kenya, ["roles:read"], days=400)
