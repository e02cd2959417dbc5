"""The governance API's shapes. Input serializers only parse (the rules live in the services);
output serializers render what the selectors decided may be shown."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from covenant.api.base import MoneyField, StrictSerializer

from . import counting
from .models import Base as RuleBase
from .models import (
    Choice,
    CouncilKind,
    NotificationKind,
    Outcome,
    ProposalKind,
    ProposalStatus,
    Threshold,
    Weighting,
)
from .selectors import Standing
from .services import MAX_BODY

WEIGHT_HELP = "a weight or a sum of weights: a decimal string with six places"


# --- Councils ------------------------------------------------------------------------------------


class CouncilSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=CouncilKind.choices)
    nation = serializers.CharField(allow_null=True, help_text="ISO3; null for the Global Council")
    seats = serializers.IntegerField(help_text="seats held now")

    def to_representation(self, council: Any) -> dict[str, Any]:
        return {
            "id": council.pk,
            "name": council.name,
            "kind": council.kind,
            "nation": council.nation.iso3 if council.nation is not None else None,
            "seats": getattr(council, "seat_count", 0),
        }


class SeatSerializer(serializers.Serializer):
    seat = serializers.CharField(help_text="ISO3 in the Global Council; NATION-id otherwise")
    nation = serializers.CharField(help_text="the member nation of the seat (ISO3)")
    holder = serializers.CharField(help_text="the holder's pseudonym")
    chair = serializers.BooleanField()

    def to_representation(self, seat: Any) -> dict[str, Any]:
        return {
            "seat": seat.code,
            "nation": seat.member_nation.iso3,
            "holder": seat.holder.user.pseudonym,
            "chair": seat.is_chair,
        }


class CouncilDetailSerializer(CouncilSerializer):
    seat_list = SeatSerializer(many=True)

    def to_representation(self, council: Any) -> dict[str, Any]:
        data = super().to_representation(council)
        data["seat_list"] = SeatSerializer(self.context["seats"], many=True).data
        return data


class ChairInputSerializer(StrictSerializer):
    chair = serializers.BooleanField()


# --- Proposals -----------------------------------------------------------------------------------


class FractionTextField(serializers.CharField):
    """A fraction as a decimal string ("0.5"): JSON numbers are refused (no binary floats)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError('a decimal string such as "0.5"')
        return str(super().to_internal_value(data))


class RuleSerializer(StrictSerializer):
    """The counting rule; fractions are decimal strings ("0.5")."""

    quorum = FractionTextField(max_length=16, default="0.5", help_text='a fraction, e.g. "0.5"')
    threshold = serializers.ChoiceField(choices=Threshold.choices, default="simple")
    base = serializers.ChoiceField(choices=RuleBase.choices, default="cast")
    weighting = serializers.ChoiceField(choices=Weighting.choices, default="equal")
    double_majority = FractionTextField(
        max_length=16, allow_null=True, default=None, help_text="a fraction, or null"
    )


class ProposalInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=MAX_BODY, allow_blank=True, required=False, default="")
    project = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    amount_usd = MoneyField(
        positive=True, whole_digits=13, required=False, allow_null=True, default=None
    )
    rule = RuleSerializer(required=False)
    opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    closes_at = serializers.DateTimeField()
    secret_ballot = serializers.BooleanField(required=False, default=False)
    hide_results_until_close = serializers.BooleanField(required=False, default=False)


class ProposalUpdateSerializer(ProposalInputSerializer):
    """Every field optional: what is given replaces the draft's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            if name != "rule":
                field.default = serializers.empty


class RosterEntrySerializer(serializers.Serializer):
    seat = serializers.CharField()
    holder = serializers.CharField(help_text="the holder's pseudonym when the vote opened")
    weight = serializers.CharField(help_text=WEIGHT_HELP)


class TallySerializer(serializers.Serializer):
    yes = serializers.CharField(help_text=WEIGHT_HELP)
    no = serializers.CharField(help_text=WEIGHT_HELP)
    abstain = serializers.CharField(help_text=WEIGHT_HELP)
    seats_voted = serializers.IntegerField()
    yes_seats = serializers.IntegerField()
    no_seats = serializers.IntegerField()
    abstain_seats = serializers.IntegerField()


class ProspectSerializer(serializers.Serializer):
    """What it still takes to pass an open vote, if the seats that have not voted vote yes
    (the heaviest first)."""

    outcome_now = serializers.ChoiceField(choices=Outcome.choices, help_text="if it closed now")
    yes_seats_needed = serializers.IntegerField(
        allow_null=True, help_text="0: passing now; null: the seats left cannot pass it alone"
    )
    yes_weight_needed = serializers.CharField(allow_null=True, help_text=WEIGHT_HELP)
    quorum_weight_needed = serializers.CharField(help_text=WEIGHT_HELP)
    seats_left = serializers.IntegerField()


class ParticipationSerializer(serializers.Serializer):
    seats = serializers.IntegerField(help_text="seats on the frozen roster")
    seats_voted = serializers.IntegerField()


class StandingSerializer(serializers.Serializer):
    """Where a vote stands: participation always, the tally only when results are visible."""

    status = serializers.ChoiceField(choices=ProposalStatus.choices)
    results_visible = serializers.BooleanField()
    participation = ParticipationSerializer()
    tally = TallySerializer(allow_null=True)
    to_pass = ProspectSerializer(allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)


def standing_json(standing: Standing) -> dict[str, Any]:
    prospect = standing.prospect
    return {
        "status": standing.status,
        "results_visible": standing.visible,
        "participation": {"seats": standing.seats, "seats_voted": standing.seats_voted},
        "tally": None if standing.tally is None else standing.tally.to_json(),
        "to_pass": (
            None
            if prospect is None
            else {
                "outcome_now": prospect.outcome_now,
                "yes_seats_needed": prospect.yes_seats_needed,
                "yes_weight_needed": (
                    None
                    if prospect.yes_weight_needed is None
                    else counting.weight_text(prospect.yes_weight_needed)
                ),
                "quorum_weight_needed": counting.weight_text(prospect.quorum_weight_needed),
                "seats_left": prospect.seats_left,
            }
        ),
        "outcome": standing.outcome,
    }


@extend_schema_field(RuleSerializer)
class RuleOutField(serializers.Field):
    def to_representation(self, value: counting.Rule) -> dict[str, Any]:
        return value.to_json()


class ProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    council = serializers.IntegerField()
    council_name = serializers.CharField()
    nation = serializers.CharField(allow_null=True, help_text="ISO3; null: the Global Council")
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    title = serializers.CharField()
    body = serializers.CharField()
    project = serializers.IntegerField(allow_null=True)
    amount_usd = MoneyField(read_only=True, allow_null=True)
    rule = RuleSerializer()
    secret_ballot = serializers.BooleanField()
    hide_results_until_close = serializers.BooleanField()
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=ProposalStatus.choices)
    proposer = serializers.CharField(help_text="the proposer's pseudonym")
    created_at = serializers.DateTimeField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    roster = RosterEntrySerializer(many=True, help_text="frozen when the vote opened")
    roster_hash = serializers.CharField(allow_null=True, help_text="SHA-256 of the roster")
    log_head = serializers.CharField(allow_null=True, help_text="the vote log's last hash")
    tally = TallySerializer(allow_null=True, help_text="null while results are hidden")
    participation = ParticipationSerializer()
    to_pass = ProspectSerializer(allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    bundle = serializers.CharField(allow_null=True, help_text="URL of the tally bundle (closed)")
    page = serializers.CharField(help_text="the proposal's page in the portal")

    def to_representation(self, proposal: Any) -> dict[str, Any]:
        standing: Standing = self.context["standings"][proposal.pk]
        roster = self.context.get("rosters", {}).get(proposal.pk, [])
        council = proposal.council
        state = standing_json(standing)
        return {
            "id": proposal.pk,
            "council": council.pk,
            "council_name": council.name,
            "nation": council.nation.iso3 if council.nation is not None else None,
            "kind": proposal.kind,
            "title": proposal.title,
            "body": proposal.body,
            "project": proposal.project_id,
            "amount_usd": None if proposal.amount_usd is None else str(proposal.amount_usd),
            "rule": proposal.rule.to_json(),
            "secret_ballot": proposal.secret_ballot,
            "hide_results_until_close": proposal.hide_results_until_close,
            "opens_at": _iso(proposal.opens_at),
            "closes_at": _iso(proposal.closes_at),
            "status": proposal.status,
            "proposer": proposal.proposer,
            "created_at": _iso(proposal.created_at),
            "opened_at": _iso(proposal.opened_at),
            "closed_at": _iso(proposal.closed_at),
            "withdrawn_at": _iso(proposal.withdrawn_at),
            "roster": [
                {"seat": entry.seat_code, "holder": entry.holder, "weight": entry.weight_text}
                for entry in roster
            ],
            "roster_hash": proposal.roster_hash or None,
            "log_head": proposal.log_head or None,
            "tally": state["tally"],
            "participation": state["participation"],
            "to_pass": state["to_pass"],
            "outcome": proposal.outcome,
            "bundle": (
                reverse("api-proposal-bundle", args=[proposal.pk])
                if proposal.status == ProposalStatus.CLOSED
                else None
            ),
            "page": reverse("proposal", args=[proposal.pk]),
        }


def _iso(value: Any) -> str | None:
    return None if value is None else serializers.DateTimeField().to_representation(value)


# --- Ballots -------------------------------------------------------------------------------------


class BallotInputSerializer(StrictSerializer):
    choice = serializers.ChoiceField(choices=Choice.choices)
    seat = serializers.CharField(
        max_length=24, required=False, help_text="only if you hold several seats on the roster"
    )


class ReceiptSerializer(serializers.Serializer):
    """The voter's receipt: the hash of the ballot's vote-log entry. For a secret or hidden
    ballot, `salt` (and `tracker`, secret) open its commitment: keep them with the receipt."""

    receipt = serializers.CharField()
    proposal = serializers.IntegerField()
    seat = serializers.CharField()
    choice = serializers.ChoiceField(choices=Choice.choices)
    sequence = serializers.IntegerField(help_text="the entry's position in the vote log")
    cast_at = serializers.DateTimeField()
    changed = serializers.BooleanField(help_text="false: the same choice again, nothing new")
    tracker = serializers.CharField(allow_null=True)
    salt = serializers.CharField(allow_null=True)
    verify = serializers.CharField()

    def to_representation(self, ballot: Any) -> dict[str, Any]:
        return {
            "receipt": ballot.receipt,
            "proposal": ballot.proposal_id,
            "seat": ballot.seat_code,
            "choice": ballot.choice,
            "sequence": ballot.sequence,
            "cast_at": _iso(ballot.cast_at),
            "changed": self.context.get("changed", True),
            "tracker": ballot.tracker or None,
            "salt": ballot.salt or None,
            "verify": (
                f"after close: python3 governance/recount.py bundle.json --receipt {ballot.receipt}"
            ),
        }


class SeatBallotSerializer(serializers.Serializer):
    """Who voted (public); how, when the results are visible and the ballot is not secret."""

    seat = serializers.CharField()
    voted = serializers.BooleanField()
    choice = serializers.ChoiceField(choices=Choice.choices, allow_null=True)


class VoteLogEntrySerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    event = serializers.ChoiceField(choices=[(e, e) for e in counting.EVENTS])
    seat = serializers.CharField(allow_null=True)
    prev_hash = serializers.CharField()
    hash = serializers.CharField()
    body = serializers.CharField(help_text="the canonical JSON text that is hashed")
    recorded_at = serializers.DateTimeField()

    def to_representation(self, entry: Any) -> dict[str, Any]:
        return {
            "sequence": entry.sequence,
            "event": entry.event,
            "seat": entry.seat_code or None,
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
            "body": entry.body,
            "recorded_at": _iso(entry.recorded_at),
        }


# --- Notifications -------------------------------------------------------------------------------


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    proposal = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()

    def to_representation(self, notification: Any) -> dict[str, Any]:
        return {
            "id": notification.pk,
            "kind": notification.kind,
            "proposal": notification.proposal_id,
            "title": notification.title,
            "text": notification.text,
            "url": notification.url,
            "created_at": _iso(notification.created_at),
            "read": notification.read_at is not None,
        }


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class NotificationSettingsSerializer(StrictSerializer):
    muted = serializers.BooleanField(required=False, help_text="no governance notifications")
    email_muted = serializers.BooleanField(required=False, help_text="in the portal only")


# --- The bundle (documentation of its shape; the view renders governance.bundle's dict) ------


class BundleCouncilSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    nation = serializers.CharField(allow_null=True)


class BundleProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    council = BundleCouncilSerializer()
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    title = serializers.CharField()
    project = serializers.IntegerField(allow_null=True)
    amount_usd = serializers.CharField(allow_null=True)
    secret_ballot = serializers.BooleanField()
    hide_results_until_close = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField()


class BundleWeightBasisSerializer(serializers.Serializer):
    seat = serializers.CharField()
    pledge_usd = serializers.CharField(allow_null=True)


class BundleWeightsSerializer(serializers.Serializer):
    weighting = serializers.ChoiceField(choices=Weighting.choices)
    basis = BundleWeightBasisSerializer(many=True, help_text="pledges behind weighted seats")


class ChainEntrySerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()
    body = serializers.CharField(help_text="canonical JSON; hash = SHA-256(prev_hash ‖ body)")


class BundleBallotSerializer(serializers.Serializer):
    seat = serializers.CharField(required=False, help_text="open ballots: the seat")
    tracker = serializers.CharField(required=False, help_text="secret ballots: the tracker")
    choice = serializers.ChoiceField(choices=Choice.choices)
    weight = serializers.CharField(help_text=WEIGHT_HELP)
    receipt = serializers.CharField(required=False, help_text="open ballots: the receipt")


class BundleOpeningSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    choice = serializers.ChoiceField(choices=Choice.choices)
    salt = serializers.CharField()


class BundleResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    tally = TallySerializer()
    roster_seats = serializers.IntegerField()
    roster_weight = serializers.CharField(help_text=WEIGHT_HELP)


class BundleSerializer(serializers.Serializer):
    """Everything to recount a closed vote offline (governance/recount.py)."""

    format = serializers.CharField(help_text=counting.BUNDLE_FORMAT)
    proposal = BundleProposalSerializer()
    rule = RuleSerializer()
    roster = RosterEntrySerializer(many=True)
    roster_hash = serializers.CharField()
    weights = BundleWeightsSerializer()
    chain = ChainEntrySerializer(many=True)
    head = serializers.CharField()
    ballots = BundleBallotSerializer(many=True)
    openings = BundleOpeningSerializer(
        many=True, required=False, help_text="results hidden until close, ballot not secret"
    )
    result = BundleResultSerializer()
    verify = serializers.CharField()
