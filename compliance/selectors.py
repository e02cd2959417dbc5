"""Reads of compliance, already filtered to what the principal may see: a person sees their own
requests (in whichever nation they filed), a nation's admins see that nation's queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from covenant.access.principal import Principal, may
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, nation_scope
from covenant.personal_data import Subject, declarations

from . import deadlines
from .models import OPEN_STATUSES, PrivacyRequest


def _overdue() -> Q:
    """Open requests past their due date (as `deadlines.is_overdue`, in the database)."""
    return Q(status__in=OPEN_STATUSES, due_on__lt=deadlines.utc_today())


def _visible(principal: Principal) -> Q | None:
    """Which requests the principal may read, as one condition; None when none at all."""
    if not principal.is_authenticated:
        return None
    condition = Q(subject=principal.user)
    managed = principal.nation_ids_with("privacy:read")
    if managed:
        condition |= Q(nation_id__in=sorted(managed))
    return condition


def privacy_request_list(
    *,
    principal: Principal,
    nation: Nation | None = None,
    status: str | None = None,
    overdue: bool | None = None,
) -> QuerySet[PrivacyRequest]:
    """The requests the principal may see — their own and their nations' queues — by due date.
    (Built in the cross-nation scope; the condition keeps it to what the principal may see.)"""
    condition = _visible(principal)
    with privacy_scope():
        if condition is None:
            return PrivacyRequest.objects.none()
        rows = PrivacyRequest.objects.filter(condition).select_related("nation", "export")
    if nation is not None:
        rows = rows.filter(nation=nation)
    if status:
        rows = rows.filter(status=status)
    if overdue is not None:
        rows = rows.filter(_overdue()) if overdue else rows.exclude(_overdue())
    return rows.order_by("due_on", "id")


def privacy_scope() -> Any:
    """The scope in which a person's requests are read: every nation, since a person may file
    with any of them (the selector's condition keeps it to what they may see)."""
    return all_nations(reason="a person's own privacy requests and their nations' queues")


def open_request_count(*, user: Any) -> int:
    """How many of the person's own requests are still open (in every nation)."""
    with privacy_scope():
        return PrivacyRequest.objects.filter(subject=user, status__in=OPEN_STATUSES).count()


def privacy_request_get(*, principal: Principal, request_id: int) -> PrivacyRequest | None:
    """One request, if the principal may see it (else None: the caller answers 404)."""
    return privacy_request_list(principal=principal).filter(pk=request_id).first()


def nation_queue(*, principal: Principal, nation: Nation) -> QuerySet[PrivacyRequest]:
    """A nation's queue for its admins (None of it for anybody else): open first, by due date."""
    with nation_scope(nation):
        if not may(principal, "privacy:read", nation=nation):
            return PrivacyRequest.objects.none()
        return PrivacyRequest.objects.select_related("nation", "export", "subject").order_by(
            "due_on", "id"
        )


def overdue_for_admin(principal: Principal) -> list[PrivacyRequest]:
    """Overdue open requests of every nation where the principal answers requests."""
    if not principal.is_authenticated:
        return []
    nation_ids = principal.nation_ids_with("privacy:manage")
    if not nation_ids:
        return []
    with privacy_scope():
        return list(
            PrivacyRequest.objects.filter(_overdue(), nation_id__in=sorted(nation_ids))
            .select_related("nation")
            .order_by("due_on", "id")[:50]
        )


def overdue_dashboard_part(principal: Principal) -> dict[str, Any] | None:
    """The governance dashboard's "overdue privacy requests" for admins (None for others)."""
    if not principal.nation_ids_with("privacy:manage"):
        return None
    overdue = overdue_for_admin(principal)
    return {
        "title": "Overdue privacy requests",
        "count": len(overdue),
        "items": [
            {
                "id": request.pk,
                "nation": request.nation.iso3,
                "type": request.type,
                "due_on": request.due_on.isoformat(),
                "days_late": -deadlines.days_left(request.due_on),
                "url": reverse("privacy-queue", args=[request.nation.iso3.lower()])
                + f"#request-{request.pk}",
            }
            for request in overdue
        ],
    }


@dataclass(frozen=True)
class HeldCategory:
    category: str
    model: str
    purpose: str
    strategy: str
    legal_basis: str
    rows: int | None  # None: not counted on the page (`note` says why)
    note: str = ""


def what_we_hold(*, user: Any) -> list[HeldCategory]:
    """What the portal holds about this person, per declaration, with why (for /privacy/).
    Rows found through the account are counted (indexed links); rows found only by pseudonym
    (the audit log, the ledger) are not counted on a page view — a scan of those large tables
    is the export's job."""
    subject = Subject.of(user)
    held: list[HeldCategory] = []
    with all_nations(reason="what the portal holds about a person, for that person"):
        for declaration in declarations():
            if not declaration.exported and declaration.rows is None:
                continue
            by_account = bool(declaration.subject_fields or declaration.email_fields)
            rows: int | None = None
            note = ""
            if not declaration.exported:
                note = "Not part of exports"
            elif by_account:
                rows = declaration.rows_of(subject).count()
            else:
                note = "Under your pseudonym: listed in your export"
            held.append(
                HeldCategory(
                    declaration.category,
                    declaration.model,
                    declaration.purpose,
                    declaration.strategy.label,
                    declaration.legal_basis,
                    rows,
                    note,
                )
            )
    return held


def queue_counts(*, nation: Nation) -> dict[str, int]:
    with nation_scope(nation):
        counts = dict(
            PrivacyRequest.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        counts["overdue"] = PrivacyRequest.objects.filter(_overdue()).count()
    return counts


def member_nations() -> Iterable[Nation]:
    return Nation.objects.order_by("name").only("id", "iso3", "name")
