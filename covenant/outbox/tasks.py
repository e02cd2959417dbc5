"""The beat's drain of the outbox."""

from __future__ import annotations

from celery import shared_task

from .services import outbox_drain


@shared_task(name="covenant.outbox.drain")
def drain() -> int:
    """Send every pending outbox message (jobs whose first send failed)."""
    return outbox_drain()
