"""The transactional outbox: a job is sent only if its transaction commits, and a job whose send
failed stays pending until the drain sends it."""

from __future__ import annotations

from typing import Any

import pytest
from celery import shared_task
from django.core.management import call_command
from django.db import transaction

from covenant.outbox.models import OutboxMessage
from covenant.outbox.services import outbox_drain, outbox_enqueue

RAN: list[tuple[Any, ...]] = []
BROKEN = {"on": False}


@shared_task(name="tests.outbox.record")
def record(*args: Any) -> None:
    if BROKEN["on"]:
        raise ConnectionError("the downstream is down")
    RAN.append(args)


@pytest.fixture(autouse=True)
def _reset(settings: Any) -> None:
    RAN.clear()
    BROKEN["on"] = False
    # These tests run the jobs in this process (eager), on the PostgreSQL + Redis pass too,
    # where the settings would otherwise send them to a broker that no worker here consumes.
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.mark.django_db
def test_a_job_runs_after_commit_and_is_marked_sent(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox_enqueue(task="tests.outbox.record", args=[1, "a"])
        assert RAN == []  # not before the commit
    assert RAN == [(1, "a")]
    message.refresh_from_db()
    assert message.dispatched_at is not None and message.attempts == 1


@pytest.mark.django_db
def test_a_rolled_back_write_sends_nothing(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_enqueue(task="tests.outbox.record", args=[2])
            raise RuntimeError("the write failed")
    assert RAN == [] and OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_failed_send_stays_pending_until_the_drain(django_capture_on_commit_callbacks) -> None:
    BROKEN["on"] = True
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox_enqueue(task="tests.outbox.record", args=[3])
    message.refresh_from_db()
    assert message.dispatched_at is None and message.attempts == 1
    assert "the downstream is down" in message.last_error
    assert outbox_drain() == 0  # still down: still pending, attempts counted
    BROKEN["on"] = False
    call_command("outbox_drain")
    message.refresh_from_db()
    assert RAN == [(3,)] and message.dispatched_at is not None and message.attempts == 3
    assert outbox_drain() == 0  # sent once


@pytest.mark.django_db
def test_the_same_key_is_enqueued_once(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox_enqueue(task="tests.outbox.record", args=[4], dedupe_key="job:4")
        second = outbox_enqueue(task="tests.outbox.record", args=[4], dedupe_key="job:4")
    assert first.pk == second.pk and RAN == [(4,)]
