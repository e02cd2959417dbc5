"""Enqueue a job with the write that needs it; send it after commit; re-send what is pending.

    with transaction.atomic():
        request = ...save()
        outbox_enqueue(task="compliance.export_build", args=[nation_id, request.pk],
                       dedupe_key=f"export:{request.pk}")

If the transaction rolls back, nothing is sent. If the broker is down when it commits, the web
request still succeeds; the message stays pending and `outbox_drain` (beat, every minute, or
`manage.py outbox_drain`) sends it when the broker is back. In eager mode (the embedded default)
the job runs right after commit; a job that fails there stays pending too."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger("covenant.outbox")
CLAIM_SECONDS = 60
DRAIN_BATCH = 200


def outbox_enqueue(
    *,
    task: str,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxMessage:
    """Record a job in the current transaction; it is sent once the transaction commits."""
    fields = {
        "task": task,
        "args": list(args),
        "kwargs": dict(kwargs or {}),
        "not_before": not_before or timezone.now(),
    }
    if dedupe_key is not None:
        existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(dedupe_key=dedupe_key, **fields)
        except IntegrityError:  # a concurrent enqueue of the same key won
            return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    else:
        message = OutboxMessage.objects.create(**fields)
    if message.not_before <= timezone.now():
        transaction.on_commit(lambda: outbox_dispatch(message_ids=[message.pk]))
    return message


def _claim(message_id: int, now: dt.datetime) -> bool:
    """Take the message for CLAIM_SECONDS; False if it was sent or another sender holds it."""
    claimed = OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id,
        dispatched_at__isnull=True,
    ).update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
    return claimed == 1


def _send(message: OutboxMessage) -> None:
    from covenant.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        app.tasks[message.task].apply(args=message.args, kwargs=message.kwargs, throw=True)
    else:
        # retry=False: with the broker down, fail at once and leave the message for the drain.
        app.send_task(message.task, args=message.args, kwargs=message.kwargs, retry=False)


def outbox_dispatch(*, message_ids: Sequence[int]) -> int:
    """Send these messages (those still pending and not claimed); returns how many were sent.
    Never raises: a failure is recorded on the message and left to the drain."""
    sent = 0
    for message_id in message_ids:
        now = timezone.now()
        try:
            if not _claim(message_id, now):
                continue
            message = OutboxMessage.objects.get(pk=message_id)
        except Exception:  # the database itself is unreachable: the drain will come back
            logger.exception("outbox: could not claim message %s", message_id)
            continue
        try:
            _send(message)
        except Exception as error:
            logger.warning("outbox: %s #%s not sent: %s", message.task, message.pk, error)
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=message.attempts + 1,
                last_error=f"{type(error).__name__}: {error}"[:300],
                claimed_until=None,
            )
            continue
        OutboxMessage.objects.filter(pk=message.pk).update(
            dispatched_at=timezone.now(), attempts=message.attempts + 1, last_error=""
        )
        sent += 1
    return sent


def outbox_pending_ids(*, limit: int = DRAIN_BATCH) -> list[int]:
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(dispatched_at__isnull=True, not_before__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("not_before", "id")
        .values_list("id", flat=True)[:limit]
    )


def outbox_drain(*, limit: int = DRAIN_BATCH) -> int:
    """Send what is pending (the beat calls this every minute); returns how many were sent."""
    return outbox_dispatch(message_ids=outbox_pending_ids(limit=limit))
