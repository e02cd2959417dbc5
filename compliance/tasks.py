"""Celery entry points of compliance (thin: the work is in exports, reminders and retention).
Nation tasks take the nation's id first (`in_nation_scope`); all are idempotent and acks_late."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task

from covenant.nations.tenancy import in_nation_scope


@shared_task(name="compliance.build_export", acks_late=True, reject_on_worker_lost=True)
@in_nation_scope
def build_export(nation_id: int, export_id: int) -> str:
    """Build one export (idempotent: ready is ready); returns the export's state."""
    from .exports import export_build

    return export_build(export_id=export_id)


@shared_task(name="compliance.notify_subject", acks_late=True)
@in_nation_scope
def notify_subject(nation_id: int, request_id: int, event: str) -> bool:
    """E-mail the person about their request (the message names no personal data)."""
    from .notifications import subject_notify

    return subject_notify(request_id=request_id, event=event)


@shared_task(name="compliance.remind_admins", acks_late=True)
@in_nation_scope
def remind_admins(nation_id: int, on: str) -> int:
    """Send the nation's admins the day's digest of reminders recorded by the sweep."""
    from .notifications import admins_remind

    return admins_remind(nation_id=nation_id, on=dt.date.fromisoformat(on))


@shared_task(name="compliance.sweep_deadlines", acks_late=True)
def sweep_deadlines() -> dict[str, int]:
    """Daily (beat): record due-in-7, due-in-3 and overdue reminders, one digest per nation."""
    from .notifications import deadlines_sweep

    return deadlines_sweep()


@shared_task(name="compliance.sweep_exports", acks_late=True)
def sweep_exports() -> int:
    """Every few minutes (beat): re-queue exports whose build stopped (a lost message, a dead
    worker whose lease ran out), so no request stays stuck."""
    from .notifications import exports_sweep

    return exports_sweep()


@shared_task(name="compliance.run_retention", acks_late=True)
def run_retention() -> list[dict[str, Any]]:
    """Daily (beat): the retention rules (archive, minimise, purge)."""
    from .retention import retention_run

    return [outcome.as_dict() for outcome in retention_run(dry_run=False)]
