"""Input bodies are read with the JSON types the schema states: a boolean is true or false (not
0, 1, "yes"), an integer is a JSON integer (not "12", not 12.0, not true)."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error, client_for


@pytest.mark.django_db
@pytest.mark.parametrize("muted", [0, 1, "true", "yes", 1.0])
def test_a_boolean_is_a_json_boolean(cast, muted) -> None:
    client = client_for(cast.user("KEN", "council_member"))
    error = assert_error(
        client.patch("/api/v1/notifications/settings/", {"muted": muted}, format="json"),
        400,
        "invalid",
    )
    assert "muted" in error["fields"]
    ok = client.patch("/api/v1/notifications/settings/", {"muted": True}, format="json")
    assert ok.status_code == 200 and ok.json()["muted"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("project", ["12", 12.0, True])
def test_an_integer_is_a_json_integer(cast, kenya, project) -> None:
    from tests.governance.conftest import council_of

    council = council_of(kenya)
    client = client_for(cast.user("KEN", "council_member"))
    body = {
        "kind": "budget", "title": "Solar for clinics", "project": project,
        "amount_usd": "1000.00", "closes_at": "2030-01-01T00:00:00Z",
    }  # fmt: skip
    error = assert_error(
        client.post(f"/api/v1/councils/{council.pk}/proposals/", body, format="json"),
        400,
        "invalid",
    )
    assert "project" in error["fields"]
