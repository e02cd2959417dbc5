"""Every write of compliance: filing a request and each of its transitions, legal holds. Each
runs in one transaction, checks `may()` first and writes its audit entry (pseudonyms only);
jobs and e-mails go through the outbox, after commit."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from covenant.access.principal import Principal, may
from covenant.accounts.models import User
from covenant.audit.services import audit_record
from covenant.errors import Conflict, Forbidden, Invalid, NotFound
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope
from covenant.outbox.services import outbox_enqueue

from . import deadlines
from .models import (
    OPEN_STATUSES,
    TYPES_OF_REGIME,
    Channel,
    ExportState,
    LegalHold,
    PrivacyExport,
    PrivacyRequest,
    ReasonCode,
    Regime,
    Status,
)

logger = logging.getLogger("covenant.compliance")
MAX_DETAILS = 2000
MAX_REASON = 500
# How far back an admin may date a request received by post or e-mail.
MAX_BACKDATE_DAYS = 365


class DuplicateRequest(Conflict):
    """The same person already has an open request of this type with this nation."""

    code = "duplicate_request"

    def __init__(self, existing: PrivacyRequest) -> None:
        super().__init__(
            f"an open {existing.type} request about this person already exists: "
            f"#{existing.pk}, due {existing.due_on.isoformat()} "
            f"(/api/v1/privacy/requests/{existing.pk}/)"
        )
        self.existing_id = existing.pk


class LegalHoldConflict(Conflict):
    code = "legal_hold"


def _audit(action: str, *, actor: str, request: PrivacyRequest, **data: object) -> None:
    audit_record(
        action=action,
        actor=actor,
        nation=request.nation.iso3 if request.nation_id else "",
        target_type="privacy_request",
        target_id=request.pk,
        data={"subject": request.subject_pseudonym, "type": request.type, **data},
    )


def notify_subject_later(*, request: PrivacyRequest, event: str) -> None:
    """E-mail the person about their request, through the outbox (ids only in the job)."""
    outbox_enqueue(
        task="compliance.notify_subject",
        args=[request.nation_id, request.pk, event],
        dedupe_key=f"privacy-notify:{request.pk}:{event}",
    )


def request_close(*, request: PrivacyRequest, status: str, actor_pseudonym: str) -> None:
    """Close a locked, open request (completed or rejected); the caller holds the lock."""
    now = timezone.now()
    request.status = status
    request.closed_at = now
    request.updated_at = now
    request.save(update_fields=["status", "reason_code", "closed_at", "updated_at"])
    _audit(
        f"privacy.request.{status}",
        actor=actor_pseudonym,
        request=request,
        reason_code=request.reason_code,
        overdue=deadlines.is_overdue(due_on=request.due_on, is_open=True),
    )


def _check_type(regime: str, request_type: str) -> None:
    if regime not in TYPES_OF_REGIME:
        raise Invalid("unknown regime", fields={"regime": [f"'{regime}' is not one of gdpr, ccpa"]})
    if request_type not in TYPES_OF_REGIME[regime]:
        other = "ccpa" if regime == Regime.GDPR else "gdpr"
        belongs = (
            " (a " + other.upper() + " type)" if request_type in TYPES_OF_REGIME[other] else ""
        )
        raise Invalid(
            f"'{request_type}' is not a {regime.upper()} request type{belongs}",
            fields={
                "type": [f"one of {', '.join(sorted(TYPES_OF_REGIME[regime]))} under {regime}"]
            },
        )


@dataclass(frozen=True)
class Filing:
    """What a request says; `subject_email` and `received_on` only when filed on behalf."""

    regime: str
    type: str
    details: str = ""
    subject_email: str | None = None
    received_on: dt.date | None = None
    channel: str | None = None


def privacy_request_file(*, nation: Nation, filing: Filing, actor: Principal) -> PrivacyRequest:
    """File a request: about oneself (any signed-in person, with any member nation), or on a
    subject's behalf (that nation's admins, with the real date of receipt)."""
    _check_type(filing.regime, filing.type)
    details = (filing.details or "").strip()
    if len(details) > MAX_DETAILS:
        raise Invalid("details too long", fields={"details": [f"at most {MAX_DETAILS} characters"]})
    today = deadlines.utc_today()
    on_behalf = filing.subject_email is not None
    subject: User | None
    subject_email = ""
    if on_behalf:
        if not may(actor, "privacy:manage", nation=nation):
            raise Forbidden("only this nation's admins file a request on someone's behalf")
        received_on = filing.received_on or today
        if received_on > today:
            raise Invalid(
                "received_on is in the future", fields={"received_on": ["not after today"]}
            )
        if (today - received_on).days > MAX_BACKDATE_DAYS:
            raise Invalid(
                "received_on is too far back",
                fields={"received_on": [f"at most {MAX_BACKDATE_DAYS} days ago"]},
            )
        email = (filing.subject_email or "").strip().lower()
        if not email or "@" not in email:
            raise Invalid("who is it about?", fields={"subject_email": ["an e-mail address"]})
        subject = User.objects.filter(email__iexact=email).first()
        if subject is None:
            subject_email = email
        channel = filing.channel or Channel.EMAIL
        if channel == Channel.PORTAL:  # the portal's own filings are the subject's
            raise Invalid(
                "a request on someone's behalf was received by post, e-mail or telephone",
                fields={"channel": ["not the portal: a subject files there themselves"]},
            )
        status = Status.RECEIVED
    else:
        if actor.user is None or not may(actor, "privacy:file", nation=nation):
            raise Forbidden("sign in to file a request about yourself")
        for name in ("received_on", "channel"):
            if getattr(filing, name) is not None:
                raise Invalid(
                    f"{name} is set only on requests filed on someone's behalf",
                    fields={name: ["not allowed when filing about yourself"]},
                )
        subject = actor.user
        received_on = today
        channel = Channel.PORTAL
        status = Status.IN_PROGRESS  # signed in: the identity is verified
    if channel not in Channel.values:
        raise Invalid(
            "unknown channel", fields={"channel": [f"one of {', '.join(Channel.values)}"]}
        )
    due_on = deadlines.due_on_for(
        regime=filing.regime, request_type=filing.type, received_on=received_on
    )
    now = timezone.now()
    with nation_scope(nation), transaction.atomic():
        existing = PrivacyRequest.objects.filter(type=filing.type, status__in=OPEN_STATUSES)
        existing = (
            existing.filter(subject=subject)
            if subject is not None
            else existing.filter(subject__isnull=True, subject_email=subject_email)
        )
        duplicate = existing.first()
        if duplicate is not None:
            raise DuplicateRequest(duplicate)
        try:
            with transaction.atomic():
                request = PrivacyRequest.objects.create(
                    nation=nation,
                    subject=subject,
                    subject_email=subject_email,
                    subject_pseudonym=subject.pseudonym if subject is not None else "",
                    regime=filing.regime,
                    type=filing.type,
                    status=status,
                    details=details,
                    channel=channel,
                    on_behalf=on_behalf,
                    filed_by=actor.pseudonym,
                    received_on=received_on,
                    due_on=due_on,
                    created_at=now,
                    updated_at=now,
                    verified_at=now if status == Status.IN_PROGRESS else None,
                )
        except IntegrityError:
            duplicate = existing.first()
            if duplicate is not None:
                raise DuplicateRequest(duplicate) from None
            raise
        request.nation = nation
        _audit(
            "privacy.request.filed",
            actor=actor.pseudonym,
            request=request,
            regime=request.regime,
            status=request.status,
            received_on=received_on.isoformat(),
            due_on=due_on.isoformat(),
            on_behalf=on_behalf,
            channel=channel,
        )
        notify_subject_later(request=request, event="received")
        _start_work(request)
    return request


def _start_work(request: PrivacyRequest) -> None:
    """A request that enters `in_progress`: an access export starts at once."""
    from .exports import export_start

    if request.status == Status.IN_PROGRESS and request.builds_export and request.subject_id:
        export_start(request=request)


def _locked(request: PrivacyRequest, actor: Principal, capability: str) -> PrivacyRequest:
    """The request, locked, for one of its nation's admins; NotFound for anybody else (a
    request is invisible to who may not read it)."""
    if not may(actor, capability, nation=request.nation_id):
        is_subject = actor.user is not None and request.subject_id == actor.user.pk
        if is_subject or may(actor, "privacy:read", nation=request.nation_id):
            raise Forbidden("you may not act on this nation's requests")
        raise NotFound("no such privacy request")
    locked = (
        PrivacyRequest.objects.select_for_update(of=("self",))
        .select_related("nation", "subject")
        .get(pk=request.pk)
    )
    return locked


def privacy_request_verify(
    *, request: PrivacyRequest, actor: Principal, outcome: str = "verified"
) -> PrivacyRequest:
    """`started`: received → verifying (identity checks under way); `verified`: received or
    verifying → in_progress (an access export then starts at once)."""
    if outcome not in ("started", "verified"):
        raise Invalid("unknown outcome", fields={"outcome": ["started or verified"]})
    with nation_scope(request.nation_id), transaction.atomic():
        locked = _locked(request, actor, "privacy:manage")
        if outcome == "started":
            if locked.status != Status.RECEIVED:
                raise Conflict(f"verification starts from received, not {locked.status}")
            locked.status = Status.VERIFYING
        else:
            if locked.status not in (Status.RECEIVED, Status.VERIFYING):
                raise Conflict(f"a {locked.status} request is past verification")
            locked.status = Status.IN_PROGRESS
            locked.verified_at = timezone.now()
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "verified_at", "updated_at"])
        _audit(f"privacy.request.{locked.status}", actor=actor.pseudonym, request=locked)
        _start_work(locked)
    return locked


def extension_refusal(request: PrivacyRequest, *, today: dt.date) -> str | None:
    """Why the request cannot be extended today; None when it can (the one extension the law
    allows, on or before the due date)."""
    if not request.is_open:
        return f"a {request.status} request cannot be extended"
    if not deadlines.extendable(request.type):
        return f"a {request.type} request has 15 business days and no extension"
    if request.extended_on is not None:
        return f"this request was already extended on {request.extended_on}"
    if today > request.due_on:
        return f"the due date ({request.due_on}) has passed: an extension is made on or before it"
    return None


def privacy_request_extend(
    *, request: PrivacyRequest, reason: str, actor: Principal
) -> PrivacyRequest:
    """The one extension the law allows, on or before the due date, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("an extension needs a reason", fields={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise Invalid("reason too long", fields={"reason": [f"at most {MAX_REASON} characters"]})
    today = deadlines.utc_today()
    with nation_scope(request.nation_id), transaction.atomic():
        locked = _locked(request, actor, "privacy:manage")
        refusal = extension_refusal(locked, today=today)
        if refusal is not None:
            raise Conflict(refusal)
        previous = locked.due_on
        locked.due_on = deadlines.extended_due_on_for(
            regime=locked.regime, request_type=locked.type, received_on=locked.received_on
        )
        locked.extended_on = today
        locked.extension_reason = reason
        locked.updated_at = timezone.now()
        locked.save(update_fields=["due_on", "extended_on", "extension_reason", "updated_at"])
        _audit(
            "privacy.request.extended",
            actor=actor.pseudonym,
            request=locked,
            previous_due_on=previous.isoformat(),
            due_on=locked.due_on.isoformat(),
        )
        notify_subject_later(request=locked, event="extended")
    return locked


@dataclass(frozen=True)
class Completion:
    request: PrivacyRequest
    accepted: bool  # True: the work is under way (an export), the request completes itself


def privacy_request_complete(*, request: PrivacyRequest, actor: Principal) -> Completion:
    """Complete an in-progress request. An erasure is carried out here, in the same
    transaction; an access request completes itself when its export is ready (this (re)starts
    a failed or expired export)."""
    from .erasure import erase_subject
    from .exports import export_start

    with nation_scope(request.nation_id), transaction.atomic():
        locked = _locked(request, actor, "privacy:manage")
        if locked.status != Status.IN_PROGRESS:
            if locked.is_open:
                raise Conflict(
                    f"verify the person's identity first (the request is {locked.status})"
                )
            raise Conflict(f"the request is already {locked.status}")
        if locked.builds_export and locked.subject_id is not None:
            export = PrivacyExport.objects.filter(request=locked).first()
            if export is None or export.state in (ExportState.FAILED, ExportState.EXPIRED):
                export_start(request=locked)
                _audit("privacy.export.restarted", actor=actor.pseudonym, request=locked)
            return Completion(locked, accepted=True)
        if locked.erases and locked.subject_id is not None:
            if LegalHold.objects.filter(subject_id=locked.subject_id, released_at__isnull=True):
                raise LegalHoldConflict(
                    "the person's data is under a legal hold: reject the request with "
                    "reason_code legal_hold, or release the hold first"
                )
            assert locked.subject is not None
            address = locked.subject.email
            counts = erase_subject(user=locked.subject, request=locked)
            _audit(
                "privacy.erasure.carried_out",
                actor=actor.pseudonym,
                request=locked,
                rows={label: count for label, count in counts.items() if count},
            )
            request_close(request=locked, status=Status.COMPLETED, actor_pseudonym=actor.pseudonym)
            # The confirmation goes once, straight after commit: it cannot wait in the outbox,
            # which would have to keep the erased address.
            transaction.on_commit(lambda: _send_erasure_confirmation(address, locked.pk))
            return Completion(locked, accepted=False)
        request_close(request=locked, status=Status.COMPLETED, actor_pseudonym=actor.pseudonym)
        notify_subject_later(request=locked, event="completed")
    return Completion(locked, accepted=False)


def _send_erasure_confirmation(address: str, request_id: int) -> None:
    try:
        send_mail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your data has been erased",
            message=(
                f"Your erasure request #{request_id} is complete: your account is closed and "
                "your personal data was deleted or anonymised. Records the covenant must keep "
                "(ledger postings, votes cast in office, the audit log) now carry only a "
                "pseudonym that no longer leads to you.\n"
            ),
            from_email=None,
            recipient_list=[address],
        )
    except Exception:  # the erasure stands; the address is gone, so there is no retry
        logger.exception("erasure confirmation of request %s not sent", request_id)


def privacy_request_reject(
    *, request: PrivacyRequest, reason_code: str, actor: Principal
) -> PrivacyRequest:
    """Reject an open request with a reason code."""
    if reason_code not in ReasonCode.values:
        raise Invalid(
            "unknown reason code",
            fields={"reason_code": [f"one of {', '.join(ReasonCode.values)}"]},
        )
    with nation_scope(request.nation_id), transaction.atomic():
        locked = _locked(request, actor, "privacy:manage")
        if not locked.is_open:
            raise Conflict(f"the request is already {locked.status}")
        locked.reason_code = reason_code
        request_close(request=locked, status=Status.REJECTED, actor_pseudonym=actor.pseudonym)
        notify_subject_later(request=locked, event="rejected")
    return locked


def export_downloaded(*, export: PrivacyExport, actor: Principal) -> None:
    """Record a download of an export by its subject (the view has checked who asks)."""
    with transaction.atomic():
        PrivacyExport.objects.filter(pk=export.pk).update(downloads=F("downloads") + 1)
        audit_record(
            action="privacy.export.downloaded",
            actor=actor.pseudonym,
            nation=export.nation.iso3,
            target_type="privacy_request",
            target_id=export.request_id,
            data={"manifest_sha256": export.manifest_sha256},
        )


# --- legal holds --------------------------------------------------------------------------------


def legal_hold_place(*, nation: Nation, subject: User, reason: str, actor: Principal) -> LegalHold:
    """Keep a person's data (legal proceedings): erasure is refused while the hold is active."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a legal hold needs a reason", fields={"reason": ["required"]})
    if not may(actor, "privacy:manage", nation=nation):
        raise Forbidden("only this nation's admins place legal holds")
    with nation_scope(nation), transaction.atomic():
        hold = LegalHold.objects.create(
            nation=nation, subject=subject, reason=reason[:300], placed_by=actor.pseudonym
        )
        audit_record(
            action="privacy.legal_hold.placed",
            actor=actor.pseudonym,
            nation=nation,
            target_type="legal_hold",
            target_id=hold.pk,
            data={"subject": subject.pseudonym},
        )
    return hold


def legal_hold_release(*, hold: LegalHold, actor: Principal) -> LegalHold:
    if not may(actor, "privacy:manage", nation=hold.nation_id):
        raise Forbidden("only this nation's admins release legal holds")
    with nation_scope(hold.nation_id), transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.released_at is not None:
            raise Conflict("this hold is already released")
        locked.released_at = timezone.now()
        locked.released_by = actor.pseudonym
        locked.save(update_fields=["released_at", "released_by"])
        audit_record(
            action="privacy.legal_hold.released",
            actor=actor.pseudonym,
            nation=locked.nation.iso3,
            target_type="legal_hold",
            target_id=locked.pk,
            data={},
        )
    return locked
