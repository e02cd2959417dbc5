"""Councils, their seats, proposals, the frozen roster, ballots and the hash-chained vote log.

Ownership (covenant/nations/tenancy.py): a National Council and everything of it belongs to its
nation (`nation` = that nation); the Global Council and everything of it belongs to no nation
(`nation` null), read in `global_scope()`. Records that must stay verifiable (roster, ballots,
vote log) hold seat codes and holder pseudonyms, never a user; the database refuses to change
the roster and the vote log, to change a rule once a proposal is open, to write a ballot of a
proposal that is not open, and to move a proposal backwards (migration 0002)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from covenant.nations.tenancy import NationOrGlobalOwned

from . import counting


class CouncilKind(models.TextChoices):
    NATIONAL = "national", "National Council"
    GLOBAL = "global", "Global Council"


class Council(NationOrGlobalOwned):
    """One National Council per nation (nation = it) and one Global Council (nation null)."""

    kind = models.CharField(max_length=16, choices=CouncilKind.choices)
    name = models.CharField(max_length=160)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="national") & Q(nation__isnull=False))
                | (Q(kind="global") & Q(nation__isnull=True)),
                name="council_national_iff_nation",
            ),
            models.UniqueConstraint(
                fields=["nation"], condition=Q(kind="national"), name="one_council_per_nation"
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="global"), name="one_global_council"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_global_council(self) -> bool:
        return self.kind == CouncilKind.GLOBAL


class Seat(NationOrGlobalOwned):
    """A seat of a council and who holds it now. National Council: one seat per council-member
    grant (code `KEN-42`, the grant's id); the seat ends when the grant is revoked. Global
    Council: one seat per member nation (code = its ISO3), held by the nation's active delegate
    and vacant while it has none. Membership follows the role grants (see membership.py)."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="seats")
    member_nation = models.ForeignKey("nations.Nation", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=24)
    holder = models.ForeignKey(
        "access.RoleAssignment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_chair = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    filled_at = models.DateTimeField(null=True, blank=True)
    vacated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["council_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["council", "code"], name="seat_code_unique"),
            models.UniqueConstraint(
                fields=["holder"], condition=Q(holder__isnull=False), name="one_seat_per_grant"
            ),
            models.CheckConstraint(
                condition=Q(is_chair=False) | Q(holder__isnull=False), name="a_chair_is_held"
            ),
        ]
        indexes = [models.Index(fields=["council", "holder"], name="seat_council_holder")]

    def __str__(self) -> str:
        return f"seat {self.code}"

    @property
    def is_held(self) -> bool:
        return self.holder_id is not None


class ProposalKind(models.TextChoices):
    RESOLUTION = "resolution", "Resolution"
    BUDGET = "budget", "Budget allocation"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Threshold(models.TextChoices):
    SIMPLE = "simple", "Simple majority (more than half)"
    THREE_FIFTHS = "three_fifths", "Three fifths"
    TWO_THIRDS = "two_thirds", "Two thirds"
    UNANIMOUS = "unanimous", "Unanimous (no vote against)"


class Base(models.TextChoices):
    CAST = "cast", "Yes and no ballots"
    CAST_WITH_ABSTAIN = "cast_with_abstain", "Yes, no and abstain ballots"
    ROSTER = "roster", "The whole roster"


class Weighting(models.TextChoices):
    EQUAL = "equal", "One seat, one vote"
    PLEDGE = "pledge", "Weighted by annual pledge"
    PENROSE = "penrose", "Weighted by the square root of the pledge (Penrose)"


class Outcome(models.TextChoices):
    PASSED = "passed", "Passed"
    REJECTED = "rejected", "Rejected"
    NO_QUORUM = "no_quorum", "No quorum"


class Choice(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    ABSTAIN = "abstain", "Abstain"


assert tuple(Threshold.values) == counting.THRESHOLDS
assert tuple(Base.values) == counting.BASES
assert tuple(Weighting.values) == counting.WEIGHTINGS
assert tuple(Outcome.values) == counting.OUTCOMES
assert tuple(Choice.values) == counting.CHOICES

RULE_FIELDS = ("quorum", "threshold", "base", "weighting", "double_majority")
FRACTION: dict[str, Any] = {"max_digits": 7, "decimal_places": 6}


class Proposal(NationOrGlobalOwned):
    """A resolution or a budget allocation put to a council. Its rule is set at creation, may
    be edited while it is a draft, and is frozen (by the database too) once it opens."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="proposals")
    kind = models.CharField(max_length=16, choices=ProposalKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    project = models.ForeignKey(
        "sectors_core.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_usd = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    # the rule
    quorum = models.DecimalField(**FRACTION, default=Decimal("0.5"))
    threshold = models.CharField(max_length=16, choices=Threshold.choices, default="simple")
    base = models.CharField(max_length=20, choices=Base.choices, default="cast")
    weighting = models.CharField(max_length=16, choices=Weighting.choices, default="equal")
    double_majority = models.DecimalField(**FRACTION, null=True, blank=True)
    secret_ballot = models.BooleanField(default=False)
    hide_results_until_close = models.BooleanField(default=False)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField()
    # the life of the proposal
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    proposer = models.CharField(max_length=40)  # the proposer's pseudonym
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)  # the 24 h reminder was queued
    # frozen at opening
    roster_hash = models.CharField(max_length=64, blank=True)
    roster_seats = models.PositiveIntegerField(default=0)
    roster_weight_micro = models.BigIntegerField(default=0)
    # the live tally: kept by each ballot under the proposal's row lock, so reading it costs
    # one row whatever the number of ballots; recounted from the ballots at close
    yes_micro = models.BigIntegerField(default=0)
    no_micro = models.BigIntegerField(default=0)
    abstain_micro = models.BigIntegerField(default=0)
    yes_seats = models.PositiveIntegerField(default=0)
    no_seats = models.PositiveIntegerField(default=0)
    abstain_seats = models.PositiveIntegerField(default=0)
    log_head = models.CharField(max_length=64, blank=True)
    log_length = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # object grants (covenant.access.object_grants): one proposal's vote log, shared
        permissions = [("votes__read_log", "May read this one proposal's vote log (object grant)")]
        indexes = [
            models.Index(fields=["council", "status"], name="proposal_council_status"),
            models.Index(fields=["status", "opens_at"], name="proposal_status_opens"),
            models.Index(fields=["status", "closes_at"], name="proposal_status_closes"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProposalKind.values), name="proposal_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="budget", project__isnull=False, amount_usd__gt=0)
                    | Q(kind="resolution", project__isnull=True, amount_usd__isnull=True)
                ),
                name="proposal_budget_iff_project_and_amount",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(threshold__in=Threshold.values), name="proposal_threshold_valid"
            ),
            models.CheckConstraint(condition=Q(base__in=Base.values), name="proposal_base_valid"),
            models.CheckConstraint(
                condition=Q(weighting__in=Weighting.values), name="proposal_weighting_valid"
            ),
            models.CheckConstraint(
                condition=Q(quorum__gte=0, quorum__lte=1), name="proposal_quorum_fraction"
            ),
            models.CheckConstraint(
                condition=Q(double_majority__isnull=True)
                | Q(double_majority__gt=0, double_majority__lte=1),
                name="proposal_double_majority_fraction",
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="proposal_closes_after_it_opens",
            ),
            models.CheckConstraint(
                condition=(Q(status="closed") & Q(outcome__in=Outcome.values))
                | (~Q(status="closed") & Q(outcome__isnull=True)),
                name="proposal_outcome_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(status="withdrawn", opened_at__isnull=True)
                | ~Q(roster_hash=""),
                name="proposal_opened_with_a_roster",
            ),
            models.CheckConstraint(
                condition=Q(secret_ballot=False) | Q(weighting="equal"),
                name="proposal_secret_ballot_is_unweighted",
            ),
            models.CheckConstraint(
                condition=Q(yes_micro__gte=0, no_micro__gte=0, abstain_micro__gte=0),
                name="proposal_tally_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def rule(self) -> counting.Rule:
        return counting.Rule(
            quorum=Fraction(self.quorum),
            threshold=self.threshold,
            base=self.base,
            weighting=self.weighting,
            double_majority=(
                None if self.double_majority is None else Fraction(self.double_majority)
            ),
        )

    @property
    def live_tally(self) -> counting.Tally:
        return counting.Tally(
            yes=counting.weight_from_micro(self.yes_micro),
            no=counting.weight_from_micro(self.no_micro),
            abstain=counting.weight_from_micro(self.abstain_micro),
            yes_seats=self.yes_seats,
            no_seats=self.no_seats,
            abstain_seats=self.abstain_seats,
        )

    @property
    def roster_weight(self) -> Fraction:
        return counting.weight_from_micro(self.roster_weight_micro)

    @property
    def results_visible(self) -> bool:
        """Tallies are shown once closed, or all along unless hidden until close."""
        if self.status == ProposalStatus.DRAFT:
            return False
        return self.status == ProposalStatus.CLOSED or not self.hide_results_until_close


class RosterEntry(NationOrGlobalOwned):
    """A seat of the roster frozen at opening: its code, its holder's pseudonym then, and its
    weight in micro-units (six places). Append-only (database triggers)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="roster")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    seat_code = models.CharField(max_length=24)
    holder = models.CharField(max_length=40)  # pseudonym
    weight_micro = models.BigIntegerField()
    # the basis of a pledge or Penrose weight, published so the weight can be re-derived
    pledge_usd = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["proposal_id", "seat_code"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "seat_code"], name="roster_seat_once"),
            models.UniqueConstraint(fields=["proposal", "seat"], name="roster_seat_row_once"),
            models.CheckConstraint(
                condition=Q(weight_micro__gte=0), name="roster_weight_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat_code} ({self.weight_text})"

    @property
    def weight_text(self) -> str:
        return counting.weight_text(counting.weight_from_micro(self.weight_micro))


class Ballot(NationOrGlobalOwned):
    """The current ballot of one seat on one proposal (the last counts): one row per seat by a
    unique constraint. Every ballot event is also in the vote log. `tracker` (secret ballots)
    is the seat's unlinkable name in the published bundle; `salt` opens the commitment of the
    last event. Neither is ever shown to anyone but the seat's holder."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="ballots")
    seat_code = models.CharField(max_length=24)
    choice = models.CharField(max_length=8, choices=Choice.choices)
    weight_micro = models.BigIntegerField()
    cast_by = models.CharField(max_length=40)  # the pseudonym of the holder who cast it
    cast_at = models.DateTimeField()
    receipt = models.CharField(max_length=64)  # the hash of the vote-log entry of that ballot
    sequence = models.PositiveIntegerField()
    changes = models.PositiveIntegerField(default=0)
    tracker = models.CharField(max_length=32, blank=True)
    salt = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["proposal_id", "seat_code"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "seat_code"], name="one_ballot_per_seat"),
            models.CheckConstraint(
                condition=Q(choice__in=Choice.values), name="ballot_choice_valid"
            ),
            models.CheckConstraint(
                condition=Q(weight_micro__gte=0), name="ballot_weight_not_negative"
            ),
            models.UniqueConstraint(
                fields=["proposal", "tracker"],
                condition=~Q(tracker=""),
                name="ballot_tracker_unique",
            ),
        ]
        indexes = [
            # the tally's aggregate reads this index only (an index-only scan on PostgreSQL):
            # the nation too, since the tenancy manager filters on it
            models.Index(
                fields=["proposal", "nation", "choice", "weight_micro"], name="ballot_tally_scoped"
            )
        ]

    def __str__(self) -> str:
        return f"ballot of {self.seat_code} on #{self.proposal_id}"


class VoteLogEntry(NationOrGlobalOwned):
    """One event of a proposal's vote log (open, ballot, close, withdraw), hash-chained:
    hash = SHA-256(prev_hash ‖ body), body the canonical JSON of the event. prev_hash is unique
    per proposal, so the chain cannot fork; the table is append-only. `choice` and `salt` are
    the private opening of a committed ballot (hidden results, secret ballot): never part of
    the hash, published after close only when the ballot was not secret."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="log")
    sequence = models.PositiveIntegerField()
    event = models.CharField(max_length=12)
    seat_code = models.CharField(max_length=24, blank=True)
    body = models.TextField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    recorded_at = models.DateTimeField()
    choice = models.CharField(max_length=8, blank=True)
    salt = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["proposal_id", "sequence"]
        verbose_name_plural = "vote log entries"
        constraints = [
            models.UniqueConstraint(fields=["proposal", "sequence"], name="vote_log_sequence"),
            models.UniqueConstraint(fields=["proposal", "prev_hash"], name="vote_log_no_fork"),
            models.CheckConstraint(
                condition=Q(event__in=counting.EVENTS), name="vote_log_event_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.event} of proposal {self.proposal_id}"


class NotificationKind(models.TextChoices):
    OPENED = "opened", "A vote opened"
    REMINDER = "reminder", "A vote closes in 24 hours"
    OUTCOME = "outcome", "A vote closed"


class Notification(models.Model):
    """A message to one person about a proposal of a council they sit on: the in-portal inbox,
    and the e-mail sent for it. Personal data (a user's own), not a tenant's record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="governance_notifications"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    title = models.CharField(max_length=240)
    text = models.TextField()
    url = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_wanted = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "proposal", "kind"], name="one_notification_per_event"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} of proposal {self.proposal_id}"


class NotificationSettings(models.Model):
    """A person's choice: governance notifications muted altogether, or only their e-mails."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="governance_settings"
    )
    muted = models.BooleanField(default=False)
    email_muted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"notification settings of user {self.user_id}"


class ProposalUserObjectPermission(UserObjectPermissionBase):
    """Object grants on one proposal (django-guardian's direct foreign-key table): its vote log
    shared with a named person, say an auditor from elsewhere."""

    content_object = models.ForeignKey(Proposal, on_delete=models.CASCADE)
