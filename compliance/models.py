"""Data-subject requests (GDPR and CCPA), their exports, legal holds, reminders and archives."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from covenant.nations.tenancy import NationOwned


class Regime(models.TextChoices):
    GDPR = "gdpr", "GDPR"
    CCPA = "ccpa", "CCPA"


class RequestType(models.TextChoices):
    # GDPR
    ACCESS = "access", "Access (Art. 15)"
    PORTABILITY = "portability", "Portability (Art. 20)"
    ERASURE = "erasure", "Erasure (Art. 17)"
    RECTIFICATION = "rectification", "Rectification (Art. 16)"
    RESTRICTION = "restriction", "Restriction of processing (Art. 18)"
    OBJECTION = "objection", "Objection (Art. 21)"
    # CCPA
    KNOW = "know", "Right to know"
    DELETE = "delete", "Right to delete"
    CORRECT = "correct", "Right to correct"
    OPT_OUT = "opt_out", "Opt out of sale or sharing"
    LIMIT_SENSITIVE = "limit_sensitive", "Limit use of sensitive personal information"


TYPES_OF_REGIME: dict[str, frozenset[str]] = {
    Regime.GDPR: frozenset({"access", "portability", "erasure", "rectification", "restriction",
                            "objection"}),
    Regime.CCPA: frozenset({"know", "delete", "correct", "opt_out", "limit_sensitive"}),
}  # fmt: skip
EXPORT_TYPES = frozenset({"access", "portability", "know"})
ERASURE_TYPES = frozenset({"erasure", "delete"})
# CCPA opt-out and limit requests: 15 business days, no extension.
BUSINESS_DAY_TYPES = frozenset({"opt_out", "limit_sensitive"})


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    VERIFYING = "verifying", "Verifying identity"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"


OPEN_STATUSES = (Status.RECEIVED, Status.VERIFYING, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.COMPLETED, Status.REJECTED)


class ReasonCode(models.TextChoices):
    IDENTITY_NOT_VERIFIED = "identity_not_verified", "Identity could not be verified"
    MANIFESTLY_UNFOUNDED = (
        "manifestly_unfounded_or_excessive",
        "Manifestly unfounded or excessive",
    )
    LEGAL_OBLIGATION = "legal_obligation", "Processing required by a legal obligation"
    PUBLIC_TASK = "public_task", "Processing necessary for a task in the public interest"
    LEGAL_HOLD = "legal_hold", "Data under a legal hold"
    LEGAL_CLAIMS = "legal_claims", "Needed for legal claims"
    NO_DATA = "no_personal_data_held", "No personal data held about the subject"
    DUPLICATE = "duplicate", "Duplicate of another request"
    WITHDRAWN = "withdrawn_by_subject", "Withdrawn by the subject"


class Channel(models.TextChoices):
    PORTAL = "portal", "This portal"
    EMAIL = "email", "E-mail"
    POST = "post", "Post"
    PHONE = "phone", "Telephone"
    IN_PERSON = "in_person", "In person"


class PrivacyRequest(NationOwned):
    """A GDPR or CCPA request about one person, answered by one nation's admins. Filed by the
    person (`subject`) or on their behalf by an admin (then `received_on` is the real date of
    receipt and, for a person with no account, `subject_email` is who it is about)."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="privacy_requests",
    )
    subject_email = models.EmailField(max_length=254, blank=True)  # only when no account
    subject_pseudonym = models.CharField(max_length=24, blank=True)  # at filing, for the record
    regime = models.CharField(max_length=8, choices=Regime.choices)
    type = models.CharField(max_length=20, choices=RequestType.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason_code = models.CharField(max_length=40, choices=ReasonCode.choices, blank=True)
    details = models.TextField(blank=True, max_length=2000)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    on_behalf = models.BooleanField(default=False)
    filed_by = models.CharField(max_length=80)  # a pseudonym
    received_on = models.DateField()
    due_on = models.DateField()
    extended_on = models.DateField(null=True, blank=True)
    extension_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    minimised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["nation", "subject", "type"],
                condition=Q(status__in=["received", "verifying", "in_progress"])
                & Q(subject__isnull=False),
                name="privacy_one_open_request_per_subject_and_type",
            ),
            models.UniqueConstraint(
                fields=["nation", "subject_email", "type"],
                condition=Q(status__in=["received", "verifying", "in_progress"])
                & Q(subject__isnull=True)
                & ~Q(subject_email=""),
                name="privacy_one_open_request_per_email_and_type",
            ),
            models.CheckConstraint(
                condition=Q(status="rejected", reason_code__gt="")
                | (~Q(status="rejected") & Q(reason_code="")),
                name="privacy_reason_code_iff_rejected",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("received_on")), name="privacy_due_after_receipt"
            ),
        ]
        indexes = [
            models.Index(fields=["nation", "status", "due_on"], name="privacy_queue"),
            models.Index(fields=["subject", "status"], name="privacy_subject_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} request #{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def builds_export(self) -> bool:
        return self.type in EXPORT_TYPES

    @property
    def erases(self) -> bool:
        return self.type in ERASURE_TYPES


class ExportState(models.TextChoices):
    PENDING = "pending", "Queued"
    BUILDING = "building", "Being built"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired and purged"


class PrivacyExport(NationOwned):
    """The ZIP of an access or portability request. A small state machine: pending → building
    → ready → expired (or failed after MAX_ATTEMPTS); a build writes a temp file and renames
    it into place under the row's lock, so a build that runs twice (a worker killed mid-way,
    the message delivered again) still completes exactly once."""

    request = models.OneToOneField(PrivacyRequest, on_delete=models.PROTECT, related_name="export")
    state = models.CharField(max_length=12, choices=ExportState.choices, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)  # a build's heartbeat
    worker = models.CharField(max_length=120, blank=True)  # host:pid of the last build
    last_error = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # under the private export root
    size_bytes = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)  # of the ZIP
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "lease_until"], name="privacy_export_state")]

    def __str__(self) -> str:
        return f"export of request #{self.request_id} ({self.state})"


class LegalHold(NationOwned):
    """A person's data must be kept (litigation, an investigation): erasure is refused while a
    hold is active, and the request is rejected with reason `legal_hold`."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.CharField(max_length=300)
    placed_by = models.CharField(max_length=80)  # a pseudonym
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.CharField(max_length=80, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"legal hold #{self.pk}"


class ReminderKind(models.TextChoices):
    DUE_IN_7 = "due_in_7", "Due within 7 days"
    DUE_IN_3 = "due_in_3", "Due within 3 days"
    OVERDUE = "overdue", "Overdue"


class PrivacyReminder(NationOwned):
    """One reminder of one request to the nation's admins: due in 7 days and in 3 days once
    each, overdue once a day. The unique key makes the daily sweep idempotent."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    sent_on = models.DateField()
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "sent_on"], name="privacy_reminder_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder of #{self.request_id} on {self.sent_on}"


class Archive(models.Model):
    """An archive written by a retention rule: gzip NDJSON with a manifest and its SHA-256.
    Platform data, not a nation's (one archive may hold rows of many nations)."""

    rule = models.CharField(max_length=80)
    model = models.CharField(max_length=100)
    path = models.CharField(max_length=300, unique=True)  # relative to the archive root
    rows = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)  # of the .ndjson.gz file
    manifest_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    deleted_rows = models.PositiveIntegerField(default=0)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.path
