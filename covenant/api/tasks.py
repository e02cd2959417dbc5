"""The API's housekeeping."""

from __future__ import annotations

from celery import shared_task

from .idempotency import idempotency_purge


@shared_task(name="covenant.api.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Forget Idempotency-Key records past their 24 hours."""
    return idempotency_purge()
