"""Tests that need a real Redis broker and a real Celery worker (skipped without REDIS_URL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from covenant.audit.models import AuditEntry
from covenant.audit.services import audit_record
from covenant.celery import app
from covenant.tasks import ping
from tests.conftest import IS_POSTGRES

REDIS_URL = os.environ.get("REDIS_URL", "")
# The CI's second pass: PostgreSQL, Redis and a worker. (On SQLite the append-only triggers
# refuse the DELETE with which the test runner empties tables after a transactional test.)
pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (REDIS_URL and IS_POSTGRES), reason="needs a real broker (REDIS_URL) and PostgreSQL"
    ),
]


@pytest.fixture
def live_worker(settings: Any) -> Iterator[Any]:
    """A real Celery worker consuming from the real Redis broker, in a thread of this process
    (so it uses the test database), with a Redis result backend for the round trip."""
    from celery.contrib.testing.worker import start_worker

    saved = (app.conf.task_always_eager, app.conf.result_backend)
    app.conf.task_always_eager = False
    app.conf.result_backend = REDIS_URL
    app._local.__dict__.pop("backend", None)  # the app caches its backend per thread
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ) as worker:
            yield worker
    finally:
        app.conf.task_always_eager, app.conf.result_backend = saved
        app._local.__dict__.pop("backend", None)
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_task_makes_the_round_trip_through_broker_and_worker(live_worker) -> None:
    assert ping.delay().get(timeout=20) == "pong"


@pytest.mark.django_db(transaction=True)
def test_the_worker_verifies_the_audit_chain(live_worker) -> None:
    from covenant.audit.tasks import audit_verify_chain

    for number in range(3):
        audit_record(action="test.event", actor="p_test", data={"n": number})
    result = audit_verify_chain.delay().get(timeout=20)
    assert result == {"ok": True, "entries": 3, "first_bad": None}
    assert AuditEntry.objects.order_by("-sequence").first().action == "audit.verified"


@pytest.mark.django_db
def test_readiness_sees_the_real_broker(client) -> None:
    body = client.get("/readyz").json()
    assert body["checks"]["broker"] == {**body["checks"]["broker"], "ok": True, "mode": "broker"}
    assert body["checks"]["cache"]["ok"] is True
    assert body["checks"]["cache"]["backend"].endswith("RedisCache")


@pytest.mark.django_db(transaction=True)
def test_a_nation_task_runs_on_the_worker_in_its_nation(live_worker) -> None:
    from covenant.ledger.models import Kind, LedgerEntry
    from covenant.ledger.tasks import pledge_for_nation
    from covenant.nations.models import Nation
    from covenant.nations.tenancy import nation_scope

    kenya = Nation.objects.get(iso3="KEN")
    assert pledge_for_nation.delay(kenya.pk, 2031).get(timeout=20) is True
    assert pledge_for_nation.delay(kenya.pk, 2031).get(timeout=20) is False
    with nation_scope(kenya):
        assert LedgerEntry.objects.filter(kind=Kind.PLEDGE, fiscal_year=2031).count() == 1


@pytest.fixture
def throwaway_broker(settings: Any) -> Iterator[dict[str, Any]]:
    """A Redis of our own on a free port as the Celery broker, which the test can stop."""
    import shutil
    import socket
    import subprocess
    import time

    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                return process
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("throwaway redis did not start")

    state = {"process": start(), "port": port, "start": start}
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    app.conf.task_always_eager = False
    _forget_broker_connections()
    try:
        yield state
    finally:
        state["process"].terminate()
        state["process"].wait(5)
        app.conf.broker_url, app.conf.task_always_eager = saved
        _forget_broker_connections()


def _forget_broker_connections() -> None:
    """The app caches its connection and producer pools, built for the broker URL of the time."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db
def test_an_outbox_job_waits_out_a_broker_outage(
    throwaway_broker, django_capture_on_commit_callbacks
):
    import redis
    from django.db import transaction

    from covenant.outbox.services import outbox_drain, outbox_enqueue

    throwaway_broker["process"].terminate()
    throwaway_broker["process"].wait(5)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox_enqueue(task="covenant.ping", dedupe_key="outage-test")
    message.refresh_from_db()
    assert message.dispatched_at is None and message.attempts == 1  # kept, not lost
    throwaway_broker["process"] = throwaway_broker["start"]()
    _forget_broker_connections()
    assert outbox_drain() == 1
    queued = redis.Redis(port=throwaway_broker["port"]).llen("celery")
    assert queued == 1  # on the broker, for a worker to take
    message.refresh_from_db()
    assert message.dispatched_at is not None
