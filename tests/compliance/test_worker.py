"""Robustness against a real broker and real workers (the PostgreSQL + Redis pass): with the
broker down when a request is filed or completed, the web request succeeds and the job runs
once the broker is back (the outbox's drain); a worker killed with SIGKILL in the middle of an
export → the export completes, exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from compliance.exports import export_path
from compliance.models import ExportState, PrivacyExport, PrivacyRequest
from covenant.audit.models import AuditEntry
from covenant.celery import app
from covenant.nations.tenancy import nation_scope
from covenant.outbox.models import OutboxMessage
from covenant.outbox.services import outbox_drain
from tests.conftest import IS_POSTGRES, client_for

REDIS_URL = os.environ.get("REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]
URL = "/api/v1/privacy/requests/"
pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (REDIS_URL and IS_POSTGRES), reason="needs a real broker (REDIS_URL) and PostgreSQL"
    ),
]


def wait_for(condition: Any, *, seconds: float, what: str) -> Any:
    """Poll (a real worker in another thread or process works at its own pace), bounded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def reset_producers() -> None:
    """Forget pooled broker connections, so that the next send uses `broker_url` as it is now."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def real_broker(settings: Any) -> Any:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.control.purge()  # messages left by earlier tests of this pass
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    reset_producers()


@pytest.mark.django_db(transaction=True)
def test_the_broker_down_loses_no_job(cast, kenya, real_broker) -> None:
    from celery.contrib.testing.worker import start_worker

    citizen = cast.user("KEN", "citizen")
    admin = client_for(cast.user("KEN", "nation_admin"))
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there: the broker is down
    reset_producers()
    filed = client_for(citizen).post(
        URL, {"nation": "KEN", "regime": "gdpr", "type": "access"}, format="json"
    )
    assert filed.status_code == 201 and filed.json()["status"] == "in_progress"
    other = admin.post(
        URL, {"nation": "KEN", "regime": "gdpr", "type": "rectification",
              "subject_email": citizen.email}, format="json",
    ).json()  # fmt: skip
    admin.post(f"{URL}{other['id']}/verify/", {}, format="json")
    completed = admin.post(f"{URL}{other['id']}/complete/", {}, format="json")
    assert completed.status_code == 200 and completed.json()["status"] == "completed"
    pending = list(OutboxMessage.objects.filter(dispatched_at__isnull=True))
    assert {m.task for m in pending} == {"compliance.build_export", "compliance.notify_subject"}
    assert all(m.attempts == 1 and m.last_error for m in pending)
    # the broker is back, and a worker: the beat's drain sends what waited
    app.conf.broker_url = REDIS_URL
    reset_producers()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert outbox_drain() == len(pending)
        with nation_scope(kenya):
            wait_for(
                lambda: PrivacyRequest.objects.get(pk=filed.json()["id"]).status == "completed",
                seconds=30,
                what="the export built by the worker",
            )
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
    connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_finishes_it_exactly_once(cast, kenya, real_broker, settings):
    citizen = cast.user("KEN", "citizen")
    # enough of the person's rows that the slowed export takes a few seconds
    start = 1_000_000
    AuditEntry.objects.bulk_create(
        AuditEntry(
            sequence=start + n, recorded_at=timezone.now(), action="test.activity",
            actor=citizen.pseudonym, data={"n": n}, prev_hash=f"{start + n:064x}",
            hash=f"{start + n + 1:064x}",
        )
        for n in range(1500)
    )  # fmt: skip
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "covenant.settings.test",
        "DATABASE_URL": f"postgresql://{database['USER']}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
        "REDIS_URL": REDIS_URL,
        "COMPLIANCE_PRIVATE_ROOT": settings.COMPLIANCE_PRIVATE_ROOT,
        "SLOW_EXPORT_CHUNK": "50",
        "SLOW_EXPORT_PAUSE": "0.05",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "compliance" / "slow_worker.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        filed = client_for(citizen).post(
            URL, {"nation": "KEN", "regime": "gdpr", "type": "access"}, format="json"
        )
        assert filed.status_code == 201
        request_id = filed.json()["id"]
        with nation_scope(kenya):
            export = PrivacyExport.objects.get(request_id=request_id)
            building = wait_for(
                lambda: (
                    PrivacyExport.objects.filter(
                        pk=export.pk, state=ExportState.BUILDING, attempts=1
                    )
                    .exclude(worker="")
                    .first()
                ),
                seconds=60,
                what="the worker to start the export",
            )
            child = int(building.worker.rsplit(":", 1)[1])
            assert child != worker.pid  # the pool's child process runs the task
            os.kill(child, signal.SIGKILL)  # killed in the middle of the export
            done = wait_for(
                lambda: PrivacyExport.objects.filter(pk=export.pk, state=ExportState.READY).first(),
                seconds=120,
                what="the export to complete after the kill",
            )
            request = PrivacyRequest.objects.get(pk=request_id)
        assert done.attempts == 2  # the killed build, and the one that finished
        assert request.status == "completed"
        assert AuditEntry.objects.filter(action="privacy.export.ready").count() == 1
        assert (
            AuditEntry.objects.filter(
                action="privacy.request.completed", target_id=str(request_id)
            ).count()
            == 1
        )
        with zipfile.ZipFile(export_path(done)) as archive:
            assert archive.testzip() is None
            rows = archive.read("audit-auditentry.json").count(b'"test.activity"')
        assert rows == 1500
        folder = export_path(done).parent
        assert [p.name for p in folder.iterdir() if p.suffix == ".zip"] == [f"{export.pk}.zip"]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
