"""Shared fixtures: the 195 nations (loaded once per test database), and for two nations, Kenya
and Brazil, one named person per role, so every test can ask "and from the other nation?"."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from covenant.access.mfa import totp_activate
from covenant.access.principal import SYSTEM, Principal
from covenant.access.services import platform_admin_grant, role_grant, user_get_or_create
from covenant.accounts.models import User
from covenant.nations.loader import nations_load
from covenant.nations.models import Nation

IS_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
HOME, OTHER = "KEN", "BRA"
STEWARD_SECTOR = "energy"
# The cast's privileged people (platform admin, nation admins, auditors) have a TOTP
# authenticator with this secret, as MFA requires of them in a web session.
CAST_TOTP_SECRET = "CASTTOTPSECRETFORTHETESTSUITEAAA"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        nations_load()


@pytest.fixture(autouse=True)
def _nations_present(request: Any) -> None:
    """A transactional test empties every table when it ends; put the nations back."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_helper")
    if Nation.objects.count() != 195:
        nations_load()


APPEND_ONLY_TABLES = ("audit_auditentry", "ledger_ledgerentry", "ledger_ledgerline")


@pytest.fixture(autouse=True)
def _append_only_present(request: Any) -> None:
    """On SQLite a transactional test that wrote audit or ledger rows lets the runner's flush
    (DELETE) through by dropping the append-only triggers (`append_only_flushable`); put them
    back before the next test."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_delete'"
        )
        present = cursor.fetchone()[0]
        if present < len(APPEND_ONLY_TABLES):
            from covenant.db.append_only import _backward_sql, _forward_sql

            for table in APPEND_ONLY_TABLES:
                for statement in [*_backward_sql("sqlite", table), *_forward_sql("sqlite", table)]:
                    cursor.execute(statement)


@pytest.fixture
def append_only_flushable(transactional_db: Any) -> Iterator[None]:
    """For a live-server (transactional) test that writes audit or ledger rows: on SQLite, drop
    the append-only triggers when it ends so that the flush can empty the tables (PostgreSQL
    truncates, which the triggers do not trap); `_append_only_present` restores them."""
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        from covenant.db.append_only import drop_append_only_sql

        with connection.cursor() as cursor:
            for table in APPEND_ONLY_TABLES:
                for statement in drop_append_only_sql("sqlite", table):
                    cursor.execute(statement)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    from covenant.memo import clear_process_memos

    cache.clear()
    clear_process_memos()  # and the per-process memos
    yield
    cache.clear()
    clear_process_memos()


@pytest.fixture
def kenya(db: Any) -> Nation:
    return Nation.objects.get(iso3=HOME)


@pytest.fixture
def brazil(db: Any) -> Nation:
    return Nation.objects.get(iso3=OTHER)


NATION_ROLES = (
    "nation_admin",
    "council_member",
    "delegate",
    "sector_steward",
    "auditor",
    "citizen",
)


@dataclass
class Cast:
    """One person per role in each of the two nations, plus a platform admin and an outsider."""

    platform_admin: User
    outsider: User  # logged in, no role anywhere
    by_nation: dict[str, dict[str, User]]

    def user(self, iso3: str, role: str) -> User:
        return self.by_nation[iso3][role]

    def principal(self, iso3: str, role: str) -> Principal:
        return Principal(user=self.user(iso3, role))


def make_user(email: str, password: str | None = None) -> User:
    user, _ = user_get_or_create(email=email)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@pytest.fixture
def cast(kenya: Nation, brazil: Nation) -> Cast:
    admin = make_user("platform@covenant.test")
    platform_admin_grant(user=admin, actor=SYSTEM)
    totp_activate(user=admin, secret=CAST_TOTP_SECRET)
    by_nation: dict[str, dict[str, User]] = {}
    for nation in (kenya, brazil):
        people: dict[str, User] = {}
        for role in NATION_ROLES:
            user = make_user(f"{role}.{nation.iso3.lower()}@covenant.test")
            role_grant(
                nation=nation,
                user=user,
                role=role,
                sector=STEWARD_SECTOR if role == "sector_steward" else "",
                actor=SYSTEM,
                four_eyes=False,
            )
            if role in ("nation_admin", "auditor"):
                totp_activate(user=user, secret=CAST_TOTP_SECRET)
            people[role] = user
        by_nation[nation.iso3] = people
    return Cast(
        platform_admin=admin, outsider=make_user("outsider@covenant.test"), by_nation=by_nation
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The API's error shape: {"error": {"code", "message", "fields"?}}."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["code"], str)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")
