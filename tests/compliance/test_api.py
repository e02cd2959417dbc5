"""The privacy API's isolation (a request is seen by its subject and its nation's admins only:
everyone else gets a 404, nothing written) and its OpenAPI schema (enums, every status)."""

from __future__ import annotations

import pytest

from compliance.models import ExportState, PrivacyExport, PrivacyRequest
from covenant.access.principal import SYSTEM
from covenant.access.services import role_grant
from covenant.audit.models import AuditEntry
from covenant.nations.tenancy import all_nations
from tests.conftest import NATION_ROLES, client_for, make_user

URL = "/api/v1/privacy/requests/"


def kenyan_requests(cast) -> tuple[int, int]:
    """A Kenyan citizen's completed access request (with an export) and an erasure on behalf."""
    citizen = client_for(cast.user("KEN", "citizen"))
    own = citizen.post(URL, {"nation": "KEN", "regime": "gdpr", "type": "access"}, format="json")
    admin = client_for(cast.user("KEN", "nation_admin"))
    behalf = admin.post(
        URL,
        {"nation": "KEN", "regime": "gdpr", "type": "erasure",
         "subject_email": cast.user("KEN", "council_member").email},
        format="json",
    )  # fmt: skip
    return own.json()["id"], behalf.json()["id"]


def endpoints(request_ids: tuple[int, int]) -> list[tuple[str, str, dict | None]]:
    calls: list[tuple[str, str, dict | None]] = []
    for request_id in request_ids:
        calls += [
            ("get", f"{URL}{request_id}/", None),
            ("post", f"{URL}{request_id}/verify/", {}),
            ("post", f"{URL}{request_id}/extend/", {"reason": "x"}),
            ("post", f"{URL}{request_id}/complete/", {}),
            ("post", f"{URL}{request_id}/reject/", {"reason_code": "public_task"}),
        ]
    return calls


def snapshot() -> tuple:
    with all_nations(reason="test: count every row"):
        return (
            list(PrivacyRequest.objects.order_by("pk").values_list("status", "due_on")),
            PrivacyExport.objects.filter(state=ExportState.READY).count(),
            AuditEntry.objects.count(),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", [*NATION_ROLES, "outsider", "another_citizen", "anonymous", "platform_admin"]
)
def test_nobody_else_sees_or_touches_a_request(cast, kenya, who) -> None:
    ids = kenyan_requests(cast)
    if who == "anonymous":
        user = None
    elif who == "platform_admin":  # the platform runs the portal, not Kenya's requests
        user = cast.platform_admin
    elif who == "outsider":
        user = cast.outsider
    elif who == "another_citizen":  # a Kenyan citizen who is not the subject
        user = make_user("another.citizen.ken@covenant.test")
        role_grant(nation=kenya, user=user, role="citizen", actor=SYSTEM, four_eyes=False)
    else:
        user = cast.user("BRA", who)
    client = client_for(user)
    before = snapshot()
    for method, url, body in endpoints(ids):
        response = getattr(client, method)(url, body, format="json")
        expected = 401 if user is None else 404
        assert response.status_code == expected, (who, method, url, response.status_code)
        assert set(response.json()) == {"error"}
    listed = client.get(URL)
    if user is not None:
        assert listed.status_code == 200
        assert {row["id"] for row in listed.json()["results"]}.isdisjoint(ids)
        assert client.get(f"{URL}?nation=KEN").json()["count"] == 0
        behalf = client.post(
            URL, {"nation": "KEN", "regime": "gdpr", "type": "access",
                  "subject_email": cast.user("KEN", "citizen").email}, format="json",
        )  # fmt: skip
        assert behalf.status_code == 403
    assert snapshot() == before, who


@pytest.mark.django_db
@pytest.mark.parametrize("role", NATION_ROLES)
def test_at_home_only_the_admins_and_the_subject_see_a_request(cast, role) -> None:
    own, behalf = kenyan_requests(cast)
    client = client_for(cast.user("KEN", role))
    for request_id in (own, behalf):
        response = client.get(f"{URL}{request_id}/")
        subject = {own: "citizen", behalf: "council_member"}[request_id]
        expected = 200 if role in ("nation_admin", subject) else 404
        assert response.status_code == expected, (role, request_id)
        if expected == 200:
            url = response.json()["export_url"]
            assert (url is not None) == (role == "citizen" and request_id == own)


@pytest.mark.django_db
def test_the_schema_tells_the_truth(api) -> None:
    schema = api.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    listing = paths["/api/v1/privacy/requests/"]
    # (the core's schema adds every error status an API operation can answer: 404, 413, 429…)
    assert set(listing["post"]["responses"]) >= {"201", "400", "401", "403", "409"}
    assert set(listing["get"]["responses"]) >= {"200", "400", "401"}
    detail = "/api/v1/privacy/requests/{request_id}/"
    assert set(paths[detail]["get"]["responses"]) >= {"200", "401", "404"}
    for action in ("verify", "extend", "reject"):
        operation = paths[f"{detail}{action}/"]["post"]
        assert set(operation["responses"]) >= {"200", "400", "401", "403", "404", "409"}, action
    complete = paths[f"{detail}complete/"]["post"]["responses"]
    assert set(complete) >= {"200", "202", "400", "401", "403", "404", "409"}
    components = schema["components"]["schemas"]
    output = components["PrivacyRequest"]["properties"]
    for field in ("overdue", "export_url", "due_on", "received_on", "status", "reason_code"):
        assert field in output, field

    def enum_of(prop: dict) -> set:
        ref = prop.get("$ref") or next(
            (p["$ref"] for p in prop.get("oneOf", prop.get("allOf", [])) if "$ref" in p), None
        )
        target = components[ref.rsplit("/", 1)[-1]] if ref else prop
        return {value for value in target.get("enum", []) if value not in ("", None)}

    assert enum_of(output["type"]) == {
        "access", "portability", "erasure", "rectification", "restriction", "objection",
        "know", "delete", "correct", "opt_out", "limit_sensitive",
    }  # fmt: skip
    assert enum_of(output["regime"]) == {"gdpr", "ccpa"}
    assert enum_of(output["status"]) == {
        "received", "verifying", "in_progress", "completed", "rejected",
    }  # fmt: skip
    assert "legal_hold" in enum_of(output["reason_code"])
    assert "identity_not_verified" in enum_of(output["reason_code"])
    error = components["Error"]["properties"]["error"]
    assert error["$ref"].endswith("/ErrorDetail")
