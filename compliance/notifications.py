"""E-mails about requests (to the person, and the admins' daily digest), the deadline sweep and
the sweep that keeps exports from getting stuck."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from covenant.access.models import RoleAssignment, RoleStatus
from covenant.access.roles import Role
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, nation_scope

from . import deadlines
from .exports import LEASE, export_enqueue, export_root
from .models import (
    OPEN_STATUSES,
    ExportState,
    PrivacyExport,
    PrivacyReminder,
    PrivacyRequest,
    ReminderKind,
)

logger = logging.getLogger("covenant.compliance")
STALE_PART_SECONDS = 24 * 3600


def portal_url(path: str) -> str:
    return getattr(settings, "PORTAL_URL", "http://127.0.0.1:8000").rstrip("/") + path


SUBJECT_MESSAGES = {
    "received": (
        "We received your privacy request",
        "Your {type} request #{id} was received on {received_on}. It is due by {due_on}.",
    ),
    "extended": (
        "Your privacy request needs more time",
        "Your {type} request #{id} was extended, as the law allows once: it is now due by "
        "{due_on}. The reason: {reason}",
    ),
    "export_ready": (
        "Your data is ready to download",
        "The export of your {type} request #{id} is ready. Sign in and download it from your "
        "privacy page within 7 days: {url}",
    ),
    "completed": ("Your privacy request is complete", "Your {type} request #{id} is complete."),
    "rejected": (
        "Your privacy request was declined",
        "Your {type} request #{id} was declined ({reason_code}). You may lodge a complaint "
        "with a supervisory authority.",
    ),
}


def subject_notify(*, request_id: int, event: str) -> bool:
    """E-mail the person about their request; False when there is nobody to tell."""
    request = PrivacyRequest.objects.select_related("subject").filter(pk=request_id).first()
    if request is None or event not in SUBJECT_MESSAGES:
        return False
    if request.subject is not None:
        address = request.subject.email if request.subject.is_active else ""
    else:
        address = request.subject_email
    if not address:
        return False
    title, body = SUBJECT_MESSAGES[event]
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{title}",
        message=body.format(
            type=request.get_type_display(),
            id=request.pk,
            received_on=request.received_on,
            due_on=request.due_on,
            reason=request.extension_reason,
            reason_code=request.get_reason_code_display(),
            url=portal_url("/privacy/"),
        )
        + "\n",
        from_email=None,
        recipient_list=[address],
    )
    return True


def _kind_due(days_left: int) -> str | None:
    if days_left < 0:
        return ReminderKind.OVERDUE
    if days_left <= 3:
        return ReminderKind.DUE_IN_3
    if days_left <= 7:
        return ReminderKind.DUE_IN_7
    return None


def deadlines_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Record the day's reminders (due within 7 days and within 3 days once each, overdue once
    a day) and queue one digest per nation. Idempotent: a second run the same day adds nothing."""
    from covenant.outbox.services import outbox_enqueue

    today = today or deadlines.utc_today()
    # Reviewed cross-nation read: the beat's daily sweep over every nation's open requests.
    with all_nations(reason="the daily deadline sweep over every nation's open requests"):
        due = list(
            PrivacyRequest.objects.filter(
                status__in=OPEN_STATUSES, due_on__lte=today + dt.timedelta(days=7)
            ).values_list("id", "nation_id", "due_on")
        )
    by_nation: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    for request_id, nation_id, due_on in due:
        by_nation[nation_id].append((request_id, due_on))
    recorded = 0
    for nation_id, requests in sorted(by_nation.items()):
        with nation_scope(nation_id), transaction.atomic():
            new = 0
            for request_id, due_on in requests:
                kind = _kind_due((due_on - today).days)
                if kind is None:
                    continue
                already = PrivacyReminder.objects.filter(request_id=request_id, kind=kind)
                if kind == ReminderKind.OVERDUE:
                    already = already.filter(sent_on=today)
                if already.exists():
                    continue
                try:
                    with transaction.atomic():
                        PrivacyReminder.objects.create(
                            nation_id=nation_id, request_id=request_id, kind=kind, sent_on=today
                        )
                except IntegrityError:  # a concurrent sweep recorded it
                    continue
                new += 1
            if new:
                outbox_enqueue(
                    task="compliance.remind_admins",
                    args=[nation_id, today.isoformat()],
                    dedupe_key=f"privacy-reminders:{nation_id}:{today.isoformat()}",
                )
            recorded += new
    return {"nations": len(by_nation), "reminders": recorded}


def admins_remind(*, nation_id: int, on: dt.date) -> int:
    """Mail the nation's admins the reminders not yet mailed (one digest each); returns how
    many reminders it carried."""
    nation = Nation.objects.get(pk=nation_id)
    with transaction.atomic():
        reminders = list(
            PrivacyReminder.objects.select_for_update(of=("self",))
            .select_related("request")
            .filter(sent_on__lte=on, mailed_at__isnull=True)
            .order_by("request__due_on", "id")
        )
        if not reminders:
            return 0
        admins = list(
            RoleAssignment.objects.filter(
                role=Role.NATION_ADMIN, status=RoleStatus.ACTIVE, user__is_active=True
            )
            .select_related("user")
            .values_list("user__email", flat=True)
        )
        labels = dict(ReminderKind.choices)
        lines = [
            f"- #{reminder.request_id} {reminder.request.get_type_display()}: due "
            f"{reminder.request.due_on} ({labels[reminder.kind].lower()})"
            for reminder in reminders
            if reminder.request.is_open
        ]
        if admins and lines:
            send_mail(
                subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Privacy requests of "
                f"{nation.name} due soon or overdue",
                message="\n".join(
                    [
                        "These requests need an answer within the law's deadlines:",
                        "",
                        *lines,
                        "",
                        f"The queue: {portal_url(f'/n/{nation.iso3.lower()}/privacy/')}",
                    ]
                )
                + "\n",
                from_email=None,
                recipient_list=sorted(set(admins)),
            )
        PrivacyReminder.objects.filter(pk__in=[r.pk for r in reminders]).update(
            mailed_at=timezone.now()
        )
    return len(lines)


def exports_sweep() -> int:
    """Re-queue every export whose build stopped (lease run out); remove stale temp files."""
    now = timezone.now()
    is_stuck = Q(state__in=[ExportState.PENDING, ExportState.BUILDING]) & (
        Q(lease_until__lt=now) | Q(lease_until__isnull=True)
    )
    with all_nations(reason="the sweep that re-queues stuck exports of every nation"):
        stuck = list(PrivacyExport.objects.filter(is_stuck).values_list("pk", "nation_id"))
    requeued = 0
    for export_id, nation_id in stuck:
        with nation_scope(nation_id), transaction.atomic():
            export = (
                PrivacyExport.objects.select_for_update().filter(is_stuck, pk=export_id).first()
            )
            if export is None:
                continue
            export.state = ExportState.PENDING
            export.lease_until = now + LEASE
            export.save(update_fields=["state", "lease_until"])
            export_enqueue(export, round_key=f"sweep:{now:%Y%m%d%H%M%S}")
            requeued += 1
    root = export_root()
    if root.exists():
        for part in root.glob("*/*.zip.part"):
            try:
                if time.time() - part.stat().st_mtime > STALE_PART_SECONDS:
                    part.unlink(missing_ok=True)
            except OSError:
                continue
    return requeued
