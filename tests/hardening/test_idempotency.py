"""Idempotency-Key on every POST (CovenantAPIView): the same key and body replay the first
response, once stored; the same key with another request is a 409; concurrent duplicates are
resolved by the database. And a nation's contribution reference is used once (409)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from covenant.access.principal import SYSTEM
from covenant.api.models import IdempotencyRecord
from covenant.ledger.models import Kind, LedgerEntry
from covenant.ledger.services import pledge_post
from covenant.nations.tenancy import all_nations
from sectors.core.models import Project
from tests.conftest import assert_error, client_for, postgres_only
from tests.sectors.conftest import make_project

CONTRIBUTION = {"amount_usd": "250.00", "received_on": "2026-02-01", "reference": "WIRE-1"}


def contributions() -> int:
    with all_nations(reason="test: count every contribution"):
        return LedgerEntry.objects.filter(kind=Kind.CONTRIBUTION).count()


def post(client, path: str, body: dict, key: str | None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body, format="json", **headers)


@pytest.mark.django_db
def test_the_same_key_and_body_replay_the_first_response(cast) -> None:
    admin = client_for(cast.platform_admin)
    first = post(admin, "/api/v1/nations/KEN/contributions/", CONTRIBUTION, "pay-2026-02-01")
    again = post(admin, "/api/v1/nations/KEN/contributions/", CONTRIBUTION, "pay-2026-02-01")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert contributions() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_or_path_is_a_409(cast, kenya) -> None:
    admin = client_for(cast.platform_admin)
    assert post(admin, "/api/v1/nations/KEN/contributions/", CONTRIBUTION, "k1").status_code == 201
    other = {**CONTRIBUTION, "amount_usd": "999.00", "reference": "WIRE-2"}
    error = assert_error(post(admin, "/api/v1/nations/KEN/contributions/", other, "k1"), 409)
    assert "another request" in error["message"]
    assert_error(post(admin, "/api/v1/nations/BRA/contributions/", CONTRIBUTION, "k1"), 409)
    assert contributions() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_principal(cast) -> None:
    admin = client_for(cast.platform_admin)
    steward = client_for(cast.user("KEN", "sector_steward"))
    body = {"name": "Solar farm", "sector": "energy"}
    mine = post(admin, "/api/v1/nations/KEN/projects/", body, "same-key")
    theirs = post(steward, "/api/v1/nations/KEN/projects/", body, "same-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(cast) -> None:
    admin = client_for(cast.platform_admin)
    bad = post(
        admin, "/api/v1/nations/KEN/contributions/", {**CONTRIBUTION, "amount_usd": "x"}, "k"
    )
    assert_error(bad, 400)
    fixed = post(admin, "/api/v1/nations/KEN/contributions/", CONTRIBUTION, "k")
    assert fixed.status_code == 201 and contributions() == 1
    denied = post(client_for(cast.user("KEN", "citizen")), "/api/v1/nations/KEN/projects/",
                  {"name": "x", "sector": "energy"}, "k")  # fmt: skip
    assert_error(denied, 403)
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "a b", "é", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_400(cast, key) -> None:
    response = post(
        client_for(cast.platform_admin), "/api/v1/nations/KEN/contributions/", CONTRIBUTION, key
    )
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"Idempotency-Key"}
    assert contributions() == 0


@pytest.mark.django_db
def test_every_post_that_creates_a_record_or_moves_money_is_keyed(cast, kenya) -> None:
    admin = client_for(cast.platform_admin)
    minerals = make_project(cast.platform_admin, kenya, "minerals")
    pledge = pledge_post(nation=kenya, fiscal_year=2026, actor=SYSTEM)
    for path, body in (
        ("/api/v1/nations/KEN/projects/", {"name": "Hydro", "sector": "energy"}),
        (f"/api/v1/projects/{minerals.pk}/profit-distributions/", {"profit_usd": "10.00"}),
        (f"/api/v1/ledger/entries/{pledge.pk}/reverse/", {"reason": "wrong year"}),
        ("/api/v1/nations/KEN/roles/", {"email": "new@covenant.test", "role": "citizen"}),
        ("/api/v1/nations/KEN/contributions/", CONTRIBUTION),
    ):
        first = post(admin, path, body, f"key:{path}")
        replay = post(admin, path, body, f"key:{path}")
        assert first.status_code == 201, (path, first.content)
        assert replay.status_code == 201 and replay.content == first.content, path
    with all_nations(reason="test: count"):
        assert Project.objects.filter(name="Hydro").count() == 1
        assert LedgerEntry.objects.filter(kind=Kind.REVERSAL).count() == 1
        assert LedgerEntry.objects.filter(kind=Kind.PROFIT_DISTRIBUTION).count() == 1


@pytest.mark.django_db
def test_an_expired_key_is_processed_afresh_and_purged(cast) -> None:
    from covenant.api.tasks import purge_idempotency_records

    admin = client_for(cast.platform_admin)
    post(admin, "/api/v1/nations/KEN/contributions/", CONTRIBUTION, "old")
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = post(
        admin, "/api/v1/nations/KEN/contributions/", {**CONTRIBUTION, "reference": "W-2"}, "old"
    )
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert contributions() == 2
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_idempotency_records() == 1 and IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_second_contribution_with_the_same_reference_is_a_409(cast) -> None:
    admin = client_for(cast.platform_admin)
    assert post(admin, "/api/v1/nations/KEN/contributions/", CONTRIBUTION, None).status_code == 201
    error = assert_error(post(admin, "/api/v1/nations/KEN/contributions/", CONTRIBUTION, None), 409)
    assert error["fields"] == {"reference": ["already used for this nation"]}
    # the same reference in another nation, and contributions without one, are fine
    assert post(admin, "/api/v1/nations/BRA/contributions/", CONTRIBUTION, None).status_code == 201
    blank = {**CONTRIBUTION, "reference": ""}
    assert post(admin, "/api/v1/nations/KEN/contributions/", blank, None).status_code == 201
    assert post(admin, "/api/v1/nations/KEN/contributions/", blank, None).status_code == 201
    assert contributions() == 4


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_reference_itself(cast, kenya) -> None:
    from django.db import IntegrityError, transaction

    from covenant.nations.tenancy import nation_scope

    post(client_for(cast.platform_admin), "/api/v1/nations/KEN/contributions/", CONTRIBUTION, None)
    with nation_scope(kenya), pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            nation=kenya,
            kind=Kind.CONTRIBUTION,
            effective_on="2026-02-01",
            fiscal_year=2026,
            reference="WIRE-1",
            recorded_at=timezone.now(),
            recorded_by="p_test",
        )


def _concurrently(count: int, request) -> list:  # type: ignore[no-untyped-def]
    """`count` threads, released together, each making one request with its own client and
    its own database connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = request()
        except Exception as error:  # reported by the assertion below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_keyed_contributions_make_one_posting(cast) -> None:
    def request():  # type: ignore[no-untyped-def]
        return post(
            client_for(cast.platform_admin),
            "/api/v1/nations/KEN/contributions/",
            CONTRIBUTION,
            "concurrent-key",
        )

    responses = _concurrently(50, request)
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [201] * 50
    assert len({r.content for r in responses}) == 1  # 49 replays of the one response
    assert sum("Idempotent-Replayed" in r for r in responses) == 49
    assert contributions() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_contributions_with_one_reference_make_one_posting(cast) -> None:
    def request():  # type: ignore[no-untyped-def]
        return post(
            client_for(cast.platform_admin),
            "/api/v1/nations/KEN/contributions/",
            CONTRIBUTION,
            None,
        )

    responses = _concurrently(50, request)
    assert all(not isinstance(r, Exception) for r in responses), responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 49
    assert contributions() == 1
