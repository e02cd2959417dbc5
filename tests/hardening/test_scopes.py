"""Every access decision goes through may(), and a token's scopes bound it: walk each operation
of the OpenAPI schema with a token whose scopes exclude the capability the operation declares
(`x-capability`, from CovenantAPIView.access) — 403 every time — and, as the control that shows
the walk can fail, with a token that includes it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from covenant.access.models import RoleAssignment
from covenant.access.principal import SYSTEM
from covenant.access.roles import ALL_CAPABILITIES, CAPABILITIES, Role
from covenant.access.services import token_issue
from covenant.api.base import PUBLIC, SIGNED_IN
from covenant.ledger.services import pledge_post
from covenant.nations.tenancy import nation_scope
from tests.conftest import assert_error
from tests.sectors.conftest import make_project

METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_operation_declares_what_it_needs() -> None:
    undeclared = [
        f"{method.upper()} {path} ({operation['operationId']})"
        for path, method, operation in operations()
        if "x-capability" not in operation
    ]
    assert undeclared == [], (
        "declare `access = {method: capability | PUBLIC | SIGNED_IN}` on these views: "
        f"{undeclared}"
    )
    for _path, _method, operation in operations():
        capability = operation.get("x-capability")
        assert capability in (PUBLIC, SIGNED_IN) or all(
            one in ALL_CAPABILITIES for one in capability.split("|")
        ), operation


@pytest.fixture
def path_values(cast, kenya) -> dict[str, str]:
    """A value for every path parameter: Kenyan objects, so that the holder of the capability
    reaches the operation itself."""
    minerals = make_project(cast.platform_admin, kenya, "minerals")
    entry = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    with nation_scope(kenya):
        assignment = RoleAssignment.objects.filter(role="citizen").first()
    from compliance.services import Filing, privacy_request_file
    from covenant.access.principal import Principal
    from covenant.access.services import api_key_create

    key, _ = api_key_create(
        nation=kenya,
        name="walk",
        scopes=["roles:read"],
        actor=Principal(user=cast.user("KEN", "nation_admin")),
    )
    # the platform admin's own request: a signed-in person reads their own without any scope
    request = privacy_request_file(
        nation=kenya,
        filing=Filing(regime="gdpr", type="objection"),
        actor=Principal(user=cast.platform_admin),
    )
    # governance: Kenya's council, an open vote put by its council member (on the roster), a
    # seat to make chair, a notification
    from governance.models import Notification, Seat
    from tests.governance.conftest import council_of, opened

    council = council_of(kenya)
    proposal = opened(council, cast.user("KEN", "council_member"))
    with nation_scope(kenya):
        seat = Seat.objects.filter(council=council, holder__isnull=False).first()
    notification = Notification.objects.filter(proposal=proposal).first()
    return {
        "council_id": str(council.pk),
        "proposal_id": str(proposal.pk),
        "code": seat.code,
        "notification_id": str(notification.pk if notification else 1),
        "iso3": "KEN",
        "slug": "energy",
        "project_id": str(minerals.pk),
        "entry_id": str(entry.pk),
        "assignment_id": str(assignment.pk),
        "key_id": str(key.pk),
        "request_id": str(request.pk),
    }


def fill(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"add a value for the path parameter {name!r} to path_values"
        return values[name]

    return re.sub(r"{(\w+)}", value, path)


def holder(cast, capability: str):  # type: ignore[no-untyped-def]
    """Someone who holds `capability` in Kenya (or everywhere, as a platform admin)."""
    if capability in CAPABILITIES[Role.PLATFORM_ADMIN]:
        return cast.platform_admin
    for role in Role:
        if role != Role.PLATFORM_ADMIN and capability in CAPABILITIES[role]:
            return cast.user("KEN", role.value)
    raise AssertionError(f"nobody holds {capability}")


def call(client, method: str, path: str, token: str) -> Any:
    body = "{}" if method in ("post", "put", "patch") else ""
    return client.generic(
        method.upper(),
        path,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.mark.django_db
def test_each_operation_refuses_a_token_whose_scopes_exclude_its_capability(
    cast, client, path_values
) -> None:
    walked = 0
    for path, method, operation in operations():
        capability = operation["x-capability"]
        if capability in (PUBLIC, SIGNED_IN):
            continue
        # "a|b": either capability, as the object decides (a national or the Global Council);
        # the walk's objects are Kenyan, so the first alternative is the one that applies
        alternatives = capability.split("|")
        user = holder(cast, alternatives[0])
        url = fill(path, path_values)
        _, excluded = token_issue(
            user=user, actor=SYSTEM, scopes=sorted(ALL_CAPABILITIES - set(alternatives))
        )
        refused = call(client, method, url, excluded)
        error = assert_error(refused, 403)
        assert all(one in error["message"] for one in alternatives), (method, url, error)
        _, included = token_issue(user=user, actor=SYSTEM, scopes=[alternatives[0]])
        allowed = call(client, method, url, included)
        assert allowed.status_code not in (401, 403), (method, url, allowed.content[:300])
        walked += 1
    assert walked >= 14  # the core's and the sectors' protected operations, at least


@pytest.mark.django_db
def test_public_and_signed_in_operations_need_no_scope(cast, client, path_values) -> None:
    _, nothing = token_issue(user=cast.platform_admin, actor=SYSTEM, scopes=[])
    for path, method, operation in operations():
        if operation["x-capability"] not in (PUBLIC, SIGNED_IN) or method != "get":
            continue
        response = call(client, method, fill(path, path_values), nothing)
        # 200, or what the object's state answers (a bundle before the close: 409) — never a
        # refusal for want of a scope
        assert response.status_code in (200, 409), (path, response.content[:300])


@pytest.mark.django_db
def test_a_platform_admins_token_scoped_to_roles_read_cannot_read_the_audit_log(
    cast, client
) -> None:
    """The issue's reproduction: the audit API checked is_platform_admin, not may()."""
    _, token = token_issue(user=cast.platform_admin, actor=SYSTEM, scopes=["roles:read"])
    for path in ("/api/v1/audit/entries/", "/api/v1/audit/verify/", "/api/v1/ledger/entries/"):
        assert_error(client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}"), 403)
    assert (
        client.get("/api/v1/nations/KEN/roles/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
        == 200
    )


@pytest.mark.django_db
def test_the_audit_selectors_answer_through_may_not_the_admin_flag(cast) -> None:
    from covenant.access.principal import Principal
    from covenant.audit.selectors import audit_chain_verify_for, audit_entry_list
    from covenant.errors import Forbidden

    scoped = Principal(user=cast.platform_admin, scopes=frozenset({"roles:read"}), via="token")
    with pytest.raises(Forbidden):
        audit_entry_list(principal=scoped)
    with pytest.raises(Forbidden):
        audit_chain_verify_for(principal=scoped)
    auditor = Principal(user=cast.user("KEN", "auditor"), scopes=frozenset({"audit:read"}))
    assert audit_entry_list(principal=auditor) is not None
    with pytest.raises(Forbidden):  # audit:verify is not in the token's scopes
        audit_chain_verify_for(principal=auditor)
