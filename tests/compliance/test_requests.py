"""Filing and answering requests through the API: who may file, the states and their
transitions, reason codes, the one extension with fixed dates, duplicates, overdue flags, and
audit entries that name pseudonyms only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from compliance.models import PrivacyRequest
from covenant.audit.models import AuditEntry
from covenant.nations.tenancy import nation_scope
from tests.conftest import assert_error, client_for

D = dt.date
URL = "/api/v1/privacy/requests/"


def file_own(client, **body):
    return client.post(
        URL, {"nation": "KEN", "regime": "gdpr", "type": "access", **body}, format="json"
    )


def file_behalf(admin, email, **body):
    payload = {"nation": "KEN", "regime": "gdpr", "type": "erasure", "subject_email": email}
    return admin.post(URL, {**payload, **body}, format="json")


def act(client, request_id, action, body=None):
    return client.post(f"{URL}{request_id}/{action}/", body or {}, format="json")


@pytest.mark.django_db
def test_a_person_with_no_role_files_about_themselves_with_any_nation(cast, clock) -> None:
    clock.set(D(2026, 1, 31))
    outsider = client_for(cast.outsider)
    response = outsider.post(
        URL, {"nation": "BRA", "regime": "gdpr", "type": "rectification"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {
        k: body[k] for k in ("nation", "type", "regime", "status", "received_on", "due_on")
    } == {
        "nation": "BRA",
        "type": "rectification",
        "regime": "gdpr",
        "status": "in_progress",  # filed by its signed-in subject
        "received_on": "2026-01-31",
        "due_on": "2026-02-28",
    }
    assert body["overdue"] is False and body["export_url"] is None


@pytest.mark.django_db
def test_the_nation_defaults_to_the_persons_only_nation(cast) -> None:
    response = client_for(cast.user("KEN", "citizen")).post(
        URL, {"regime": "ccpa", "type": "opt_out"}, format="json"
    )
    assert response.status_code == 201 and response.json()["nation"] == "KEN"
    error = assert_error(
        client_for(cast.outsider).post(URL, {"regime": "ccpa", "type": "know"}, format="json"),
        400,
    )
    assert "nation" in error["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("regime", "request_type"),
    [("gdpr", "opt_out"), ("gdpr", "know"), ("ccpa", "erasure"), ("ccpa", "access")],
)
def test_a_type_of_the_other_regime_is_a_400(cast, regime, request_type) -> None:
    response = client_for(cast.user("KEN", "citizen")).post(
        URL, {"nation": "KEN", "regime": regime, "type": request_type}, format="json"
    )
    error = assert_error(response, 400, "invalid")
    assert "type" in error["fields"]
    assert PrivacyRequest.objects.model._base_manager.count() == 0


@pytest.mark.django_db
def test_bad_input_is_a_400_and_nothing_is_written(cast) -> None:
    client = client_for(cast.user("KEN", "citizen"))
    for body in (
        {"nation": "KEN", "regime": "gdpr", "type": "nope"},
        {"nation": "XXX", "regime": "gdpr", "type": "access"},
        {"nation": "KEN", "regime": "gdpr", "type": "access", "surprise": 1},
        {"nation": "KEN", "regime": "gdpr", "type": "access", "details": "x" * 2001},
        {"nation": "KEN", "regime": "gdpr", "type": "access", "received_on": "2026-01-01"},
        {"nation": "KEN", "regime": "gdpr", "type": "access", "channel": "post"},
        [],
    ):
        assert_error(client.post(URL, body, format="json"), 400)
    assert PrivacyRequest.objects.model._base_manager.count() == 0
    assert_error(client_for(None).post(URL, {}, format="json"), 401)


@pytest.mark.django_db
def test_an_admin_files_on_behalf_with_the_real_date_of_receipt(cast, clock) -> None:
    clock.set(D(2026, 3, 10))
    admin = client_for(cast.user("KEN", "nation_admin"))
    response = file_behalf(
        admin, "Letter.Writer@Example.org", type="access", received_on="2026-01-31", channel="post"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received" and body["on_behalf"] is True
    assert (body["received_on"], body["due_on"]) == ("2026-01-31", "2026-02-28")
    assert body["overdue"] is True  # received by post six weeks ago: late already
    assert body["subject_email"] == "letter.writer@example.org" and body["channel"] == "post"
    # the future is refused, and so is a citizen filing for someone else
    assert_error(file_behalf(admin, "x@example.org", received_on="2026-03-11"), 400)
    citizen = client_for(cast.user("KEN", "citizen"))
    assert_error(file_behalf(citizen, "x@example.org"), 403)
    assert_error(file_behalf(client_for(cast.user("BRA", "nation_admin")), "x@example.org"), 403)


@pytest.mark.django_db
def test_a_request_on_behalf_of_an_account_holder_reaches_their_privacy_page(cast) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    created = file_behalf(admin, "COUNCIL_MEMBER.ken@covenant.test", type="objection").json()
    mine = client_for(cast.user("KEN", "council_member")).get(URL).json()
    assert [row["id"] for row in mine["results"]] == [created["id"]]


@pytest.mark.django_db
def test_the_same_open_request_twice_is_a_409_that_links_the_open_one(cast) -> None:
    client = client_for(cast.user("KEN", "citizen"))
    first = file_own(client, type="rectification").json()
    response = file_own(client, type="rectification")
    error = assert_error(response, 409, "duplicate_request")
    assert f"#{first['id']}" in error["message"]
    assert response["Location"].endswith(f"{URL}{first['id']}/")
    # another type, or another nation (another controller), is not a duplicate
    assert file_own(client, type="objection").status_code == 201
    assert file_own(client, type="rectification", nation="BRA").status_code == 201
    # and once the first is closed, the same request may be filed again
    admin = client_for(cast.user("KEN", "nation_admin"))
    assert act(admin, first["id"], "complete").status_code == 200
    assert file_own(client, type="rectification").status_code == 201


@pytest.mark.django_db
def test_the_states_received_verifying_in_progress_completed(cast) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    request_id = file_behalf(admin, "someone@example.org", type="rectification").json()["id"]
    assert_error(act(admin, request_id, "complete"), 409)  # identity first
    assert act(admin, request_id, "verify", {"outcome": "started"}).json()["status"] == "verifying"
    assert_error(act(admin, request_id, "verify", {"outcome": "started"}), 409)
    assert act(admin, request_id, "verify").json()["status"] == "in_progress"
    assert_error(act(admin, request_id, "verify"), 409)
    done = act(admin, request_id, "complete")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    bodies = {"verify": {}, "complete": {}, "reject": {"reason_code": "public_task"}}
    for action in ("verify", "complete", "reject", "extend"):
        assert_error(act(admin, request_id, action, bodies.get(action, {"reason": "x"})), 409)
    actions = list(
        AuditEntry.objects.filter(target_type="privacy_request", target_id=str(request_id))
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "privacy.request.filed",
        "privacy.request.verifying",
        "privacy.request.in_progress",
        "privacy.request.completed",
    ]


@pytest.mark.django_db
def test_a_rejection_carries_a_reason_code(cast) -> None:
    admin = client_for(cast.user("KEN", "nation_admin"))
    request_id = file_behalf(admin, "someone@example.org").json()["id"]
    assert_error(act(admin, request_id, "reject", {}), 400)
    assert_error(act(admin, request_id, "reject", {"reason_code": "because"}), 400)
    body = act(admin, request_id, "reject", {"reason_code": "identity_not_verified"}).json()
    assert (body["status"], body["reason_code"]) == ("rejected", "identity_not_verified")
    assert_error(act(admin, request_id, "reject", {"reason_code": "legal_obligation"}), 409)


@pytest.mark.django_db
def test_extension_on_the_due_date_is_allowed_once_and_the_day_after_is_a_409(cast, clock):
    clock.set(D(2026, 1, 31))
    client = client_for(cast.user("KEN", "citizen"))
    admin = client_for(cast.user("KEN", "nation_admin"))
    on_time = file_own(client, type="rectification").json()
    late = file_own(client, type="objection").json()
    assert on_time["due_on"] == late["due_on"] == "2026-02-28"
    clock.set(D(2026, 2, 28))  # the due date itself: allowed
    assert_error(act(admin, on_time["id"], "extend", {"reason": " "}), 400)
    extended = act(admin, on_time["id"], "extend", {"reason": "complex request, many systems"})
    assert extended.status_code == 200, extended.content
    assert (extended.json()["due_on"], extended.json()["extended"]) == ("2026-04-30", True)
    error = assert_error(act(admin, on_time["id"], "extend", {"reason": "again"}), 409)
    assert "already extended" in error["message"]
    clock.set(D(2026, 3, 1))  # the day after: refused
    assert_error(act(admin, late["id"], "extend", {"reason": "too late"}), 409)
    assert act(admin, late["id"], "complete").json()["overdue"] is False  # closed: not overdue
    # the person is told of the extension and its reason
    assert any("2026-04-30" in message.body for message in mail.outbox)


@pytest.mark.django_db
def test_ccpa_extension_to_90_days_and_none_for_opt_out(cast, clock) -> None:
    clock.set(D(2026, 1, 1))
    client = client_for(cast.user("KEN", "citizen"))
    admin = client_for(cast.user("KEN", "nation_admin"))
    know = file_own(client, regime="ccpa", type="correct").json()
    opt_out = file_own(client, regime="ccpa", type="opt_out").json()
    assert (know["due_on"], opt_out["due_on"]) == ("2026-02-15", "2026-01-22")
    assert act(admin, know["id"], "extend", {"reason": "r"}).json()["due_on"] == "2026-04-01"
    assert_error(act(admin, opt_out["id"], "extend", {"reason": "r"}), 409)


@pytest.mark.django_db
def test_overdue_is_flagged_on_every_list(cast, clock) -> None:
    clock.set(D(2026, 1, 5))
    client = client_for(cast.user("KEN", "citizen"))
    request_id = file_own(client, regime="ccpa", type="opt_out").json()["id"]  # due 26 January
    clock.set(D(2026, 1, 27))
    admin = client_for(cast.user("KEN", "nation_admin"))
    for reader in (client, admin):
        listed = reader.get(URL).json()["results"]
        assert [(r["id"], r["overdue"]) for r in listed] == [(request_id, True)]
        assert reader.get(f"{URL}{request_id}/").json()["overdue"] is True
    assert [r["id"] for r in admin.get(f"{URL}?overdue=true").json()["results"]] == [request_id]
    assert admin.get(f"{URL}?overdue=false").json()["count"] == 0
    assert_error(admin.get(f"{URL}?status=lost"), 400)


@pytest.mark.django_db
def test_audit_entries_name_pseudonyms_never_addresses(cast) -> None:
    citizen = cast.user("KEN", "citizen")
    admin = client_for(cast.user("KEN", "nation_admin"))
    request_id = file_own(client_for(citizen), type="objection").json()["id"]
    act(admin, request_id, "reject", {"reason_code": "public_task"})
    behalf = file_behalf(admin, "no.account@example.org").json()["id"]
    entries = AuditEntry.objects.filter(target_type="privacy_request")
    assert entries.count() >= 3
    for entry in entries:
        text = f"{entry.actor} {entry.data}"
        assert "@" not in text, text
    filed = entries.get(action="privacy.request.filed", target_id=str(request_id))
    assert filed.data["subject"] == citizen.pseudonym and filed.nation == "KEN"
    assert entries.get(action="privacy.request.filed", target_id=str(behalf)).data["subject"] == ""


@pytest.mark.django_db
def test_the_subject_sees_their_request_but_cannot_answer_it(cast, kenya) -> None:
    citizen = client_for(cast.user("KEN", "citizen"))
    request_id = file_own(citizen, type="objection").json()["id"]
    assert citizen.get(f"{URL}{request_id}/").status_code == 200
    assert_error(act(citizen, request_id, "complete"), 403)
    with nation_scope(kenya):
        assert PrivacyRequest.objects.get(pk=request_id).status == "in_progress"
