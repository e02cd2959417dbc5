"""Rate limits: the API per key, token, person and address (429, Retry-After, the error
shape), failing open when Redis is down; allauth's limits on sign-in, codes and resets."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from rest_framework.test import APIClient

from covenant.access import throttling
from covenant.access.principal import SYSTEM, Principal
from covenant.access.services import api_key_create, token_issue
from tests.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db

RATES = {"key": "3/min", "token": "3/min", "user": "4/min", "anon": "5/min"}


@pytest.fixture
def limits(settings):
    settings.COVENANT_THROTTLE_RATES = RATES
    yield
    throttling.throttle_reset()


def test_an_over_eager_key_gets_429_with_retry_after(limits, cast, kenya) -> None:
    _, key = api_key_create(
        nation=kenya, name="eager", scopes=["roles:read"],
        actor=Principal(user=cast.user("KEN", "nation_admin")),
    )  # fmt: skip
    _, other = api_key_create(
        nation=kenya, name="calm", scopes=["roles:read"],
        actor=Principal(user=cast.user("KEN", "nation_admin")),
    )  # fmt: skip
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    for _ in range(3):
        assert client.get("/api/v1/nations/KEN/roles/").status_code == 200
    refused = client.get("/api/v1/nations/KEN/roles/")
    error = assert_error(refused, 429, "throttled")
    assert "throttled" in error["message"].lower()
    assert 1 <= int(refused["Retry-After"]) <= 60
    # per key: another key of the same creator is not slowed down
    calm = APIClient(HTTP_AUTHORIZATION=f"Bearer {other}")
    assert calm.get("/api/v1/nations/KEN/roles/").status_code == 200


def test_tokens_people_and_addresses_have_their_own_buckets(limits, cast) -> None:
    _, token = token_issue(user=cast.user("KEN", "auditor"), actor=SYSTEM)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    person = client_for(cast.user("KEN", "citizen"))
    assert [person.get("/api/v1/me/").status_code for _ in range(5)] == [200] * 4 + [429]
    here, there = APIClient(REMOTE_ADDR="10.9.8.7"), APIClient(REMOTE_ADDR="10.9.8.6")
    assert [here.get("/api/v1/covenant/").status_code for _ in range(6)] == [200] * 5 + [429]
    assert there.get("/api/v1/covenant/").status_code == 200
    assert_error(here.get("/api/v1/nations/"), 429, "throttled")


def test_no_rates_no_throttle(cast) -> None:
    client = APIClient(REMOTE_ADDR="10.1.1.1")
    assert {client.get("/api/v1/covenant/").status_code for _ in range(50)} == {200}


def test_redis_down_fails_open_never_500(limits, settings, cast, kenya) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    _, token = token_issue(user=cast.user("KEN", "auditor"), actor=SYSTEM)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert throttling.shared_window_wait("token", "x", 3, 60) == 0.0  # fails open
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the per-process bucket still limits


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_the_shared_counter_limits_across_processes(limits, cast) -> None:
    _, token = token_issue(user=cast.user("KEN", "auditor"), actor=SYSTEM)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    statuses = []
    for _ in range(4):
        throttling.throttle_reset()  # as if each request reached another worker process
        statuses.append(client.get("/api/v1/me/").status_code)
    assert statuses == [200, 200, 200, 429]


def test_busy_keys_are_counted_in_batches(monkeypatch) -> None:
    """At 1,200/min a key syncs with Redis every 10 requests, not every request."""
    calls: list[int] = []
    totals = {"n": 0}

    def incr(key: str, amount: int, period: int) -> int:
        calls.append(amount)
        totals["n"] += amount + 5  # five more from other processes each time
        return totals["n"]

    monkeypatch.setattr(throttling, "_shared_incr", incr)
    throttling.throttle_reset()
    waits = [throttling.shared_window_wait("key", "k", 1200, 60) for _ in range(30)]
    assert waits == [0.0] * 30
    assert calls[0] == 1 and all(amount == 10 for amount in calls[1:])  # first sync at once
    assert len(calls) == 3
    totals["n"] = 1195  # nearly full: the estimate (shared total + pending) refuses in time
    waits = [throttling.shared_window_wait("key", "k", 1200, 60) for _ in range(15)]
    assert waits[-1] > 0


def test_parse_rate() -> None:
    assert throttling.parse_rate("600/min") == (600, 60)
    assert throttling.parse_rate("5/s") == (5, 1)
    for bad in ("x/min", "5/fortnight", "0/min"):
        with pytest.raises(ValueError):
            throttling.parse_rate(bad)


def test_buckets_refill_and_stay_bounded(monkeypatch) -> None:
    buckets = throttling.TokenBuckets()
    now = [1000.0]
    monkeypatch.setattr(throttling.time, "monotonic", lambda: now[0])
    assert [buckets.take(("anon", "a"), 2, 60) for _ in range(2)] == [0.0, 0.0]
    assert buckets.take(("anon", "a"), 2, 60) == pytest.approx(30.0)
    now[0] += 30
    assert buckets.take(("anon", "a"), 2, 60) == 0.0
    monkeypatch.setattr(throttling, "MAX_BUCKETS", 3)
    for index in range(10):
        buckets.take(("anon", str(index)), 2, 60)
    assert len(buckets._buckets) == 3


# --- allauth's limits (turned on here: the test settings turn them off) ---------------------


def test_repeated_failed_logins_get_429(settings, cast) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/5m/key"}
    client = Client()
    body = {"login": "citizen.ken@covenant.test", "password": "wrong-password-0"}
    statuses = [client.post("/accounts/login/", body).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
    page = client.post("/accounts/login/", body)
    assert page.status_code == 429 and "Too many attempts" in page.content.decode()
    assert '<html lang="en">' in page.content.decode()


def test_login_codes_and_password_resets_are_limited(settings, cast, mailoutbox) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"request_login_code": "2/m/key", "reset_password": "2/m/ip"}
    codes = [  # each from a new browser: codes for one address are limited whoever asks
        Client().post("/accounts/login/code/", {"email": "citizen.ken@covenant.test"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]
    assert len(mailoutbox) == 2
    client = Client()
    resets = [
        client.post("/accounts/password/reset/", {"email": "citizen.ken@covenant.test"}).status_code
        for _ in range(3)
    ]
    assert resets == [302, 302, 429]


def test_the_admin_login_shares_the_sign_in_limits(settings, cast) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "2/m/ip"}
    client = Client()
    assert client.get("/admin/login/")["Location"].startswith("/accounts/login/")
    body = {"login": "platform@covenant.test", "password": "nope-nope-nope"}
    statuses = [client.post("/accounts/login/?next=/admin/", body).status_code for _ in range(4)]
    assert statuses[-1] == 429
