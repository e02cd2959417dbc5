"""Every write of governance: councils and seats (following role grants), chairs, proposals
and their transitions, ballots, the vote log, the allocation of a passed budget, and the
notifications. Each runs in one transaction, checks `may()` first and writes its audit entry;
jobs (notifications, e-mails) go through the outbox, sent after commit.

Concurrency: every write to a proposal (open, ballot, close, withdraw) first locks the
proposal's row (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises
writers), then re-reads its status. So the beat and a person closing at the same moment, or
a hundred ballots at once, are serialised: one close wins (the other gets a 409, the beat
shrugs), one allocation is posted, and each ballot appends to the vote log's head."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from covenant.access.models import RoleAssignment, RoleStatus
from covenant.access.principal import Principal, may
from covenant.access.roles import Role
from covenant.audit.services import audit_record
from covenant.errors import Conflict, Forbidden, Invalid, NotFound
from covenant.ledger.services import allocation_post
from covenant.money import two_places_checked
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, nation_scope, owner_scope
from covenant.outbox.services import outbox_enqueue
from sectors.core.models import Project
from sectors.core.selectors import project_get

from . import counting
from .models import (
    Ballot,
    Council,
    CouncilKind,
    Notification,
    NotificationKind,
    NotificationSettings,
    Proposal,
    ProposalKind,
    ProposalStatus,
    RosterEntry,
    Seat,
    VoteLogEntry,
)

logger = logging.getLogger("covenant.governance")

GOVERNANCE = Principal.system("governance")  # posts the allocation of a passed budget
BEAT = Principal.system("beat")
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_VOTE_DAYS = 366
REMINDER_BEFORE = dt.timedelta(hours=24)
GLOBAL_COUNCIL_NAME = "Global Council"


def national_council_name(nation: Nation) -> str:
    return f"National Council of {nation.name}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _audit(action: str, *, actor: Principal, council: Council, target: Any, data: dict) -> None:
    audit_record(
        action=action,
        actor=actor.pseudonym,
        nation=council.nation if council.nation_id is not None else "",
        target_type=target._meta.model_name,
        target_id=target.pk,
        data={"council": council.pk, **data},
    )


# --- Councils and seats ------------------------------------------------------------------------


def _council_ensure(*, nation: Nation | None, actor: Principal) -> Council:
    """The nation's National Council, or with no nation the Global Council (it belongs to no
    nation), created (and audited) the first time it is needed."""
    kind = CouncilKind.GLOBAL if nation is None else CouncilKind.NATIONAL
    with owner_scope(nation), transaction.atomic():
        council = Council.objects.filter(kind=kind).first()
        if council is not None:
            return council
        name = GLOBAL_COUNCIL_NAME if nation is None else national_council_name(nation)
        try:
            with transaction.atomic():
                council = Council.objects.create(nation=nation, kind=kind, name=name)
        except IntegrityError:  # a concurrent first grant created it
            return Council.objects.get(kind=kind)
        _audit("council.created", actor=actor, council=council, target=council, data={})
        return council


def council_national_ensure(*, nation: Nation, actor: Principal) -> Council:
    return _council_ensure(nation=nation, actor=actor)


def council_global_ensure(*, actor: Principal) -> Council:
    return _council_ensure(nation=None, actor=actor)


def seat_fill(*, assignment: RoleAssignment, actor: Principal) -> Seat:
    """Seat the holder of an active council_member or delegate grant (see membership.py)."""
    nation = assignment.nation
    now = timezone.now()
    with transaction.atomic():
        if assignment.role == Role.COUNCIL_MEMBER:
            council = council_national_ensure(nation=nation, actor=actor)
            code = f"{nation.iso3}-{assignment.pk}"
        elif assignment.role == Role.DELEGATE:
            council = council_global_ensure(actor=actor)
            code = nation.iso3
        else:
            raise Invalid(f"a {assignment.role} holds no council seat")
        with owner_scope(council.nation_id):
            seat = Seat.objects.select_for_update().filter(council=council, code=code).first()
            if seat is None:
                seat = Seat.objects.create(
                    nation_id=council.nation_id,
                    council=council,
                    member_nation=nation,
                    code=code,
                    holder=assignment,
                    filled_at=now,
                )
            elif seat.holder_id != assignment.pk:
                seat.holder = assignment
                seat.is_chair = False
                seat.filled_at = now
                seat.vacated_at = None
                seat.save(update_fields=["holder", "is_chair", "filled_at", "vacated_at"])
            else:
                return seat
            _audit(
                "council.seat_filled",
                actor=actor,
                council=council,
                target=seat,
                data={"seat": code, "holder": assignment.user.pseudonym},
            )
    return seat


def seat_vacate(*, assignment: RoleAssignment, actor: Principal) -> Seat | None:
    """The grant was revoked: its seat is vacated (and loses its chair)."""
    scope_nation = assignment.nation_id if assignment.role == Role.COUNCIL_MEMBER else None
    with owner_scope(scope_nation), transaction.atomic():
        seat = Seat.objects.select_for_update().filter(holder=assignment).first()
        if seat is None:
            return None
        seat.holder = None
        seat.is_chair = False
        seat.vacated_at = timezone.now()
        seat.save(update_fields=["holder", "is_chair", "vacated_at"])
        _audit(
            "council.seat_vacated",
            actor=actor,
            council=seat.council,
            target=seat,
            data={"seat": seat.code, "holder": assignment.user.pseudonym},
        )
    return seat


def councils_sync(*, actor: Principal) -> dict[str, int]:
    """Every nation's National Council and the Global Council exist, and every active
    council_member and delegate grant is seated (for grants made before governance ran, or
    restored from a backup). Idempotent; the seed runs it."""
    created = seated = 0
    council_global_ensure(actor=actor)
    for nation in Nation.objects.order_by("iso3"):
        with nation_scope(nation):
            existed = Council.objects.filter(kind=CouncilKind.NATIONAL).exists()
            grants = list(
                RoleAssignment.objects.filter(
                    role__in=[Role.COUNCIL_MEMBER, Role.DELEGATE], status=RoleStatus.ACTIVE
                ).select_related("nation", "user")
            )
        if not existed:
            council_national_ensure(nation=nation, actor=actor)
            created += 1
        for grant in grants:
            scope_nation = nation.pk if grant.role == Role.COUNCIL_MEMBER else None
            with owner_scope(scope_nation):
                held = Seat.objects.filter(holder=grant).exists()
            if not held:
                seat_fill(assignment=grant, actor=actor)
                seated += 1
    return {"councils_created": created, "seats_filled": seated}


def chair_set(*, seat: Seat, chair: bool, actor: Principal) -> Seat:
    """Designate (or undo) a chair. A chair opens, closes and withdraws any proposal of the
    council. Designated by who grants roles: the nation's admins for its National Council,
    platform admins for the Global Council (and for any council)."""
    council = seat.council
    if not may(actor, "roles:grant", nation=council.nation_id):
        raise Forbidden("only those who grant roles here designate the council's chairs")
    with owner_scope(council.nation_id), transaction.atomic():
        locked = Seat.objects.select_for_update().get(pk=seat.pk)
        if chair and locked.holder_id is None:
            raise Conflict("a vacant seat cannot chair the council")
        if locked.is_chair == chair:
            return locked
        locked.is_chair = chair
        locked.save(update_fields=["is_chair"])
        _audit(
            "council.chair_set" if chair else "council.chair_unset",
            actor=actor,
            council=council,
            target=locked,
            data={"seat": locked.code},
        )
    return locked


# --- Who may do what in a council --------------------------------------------------------------


def may_propose(principal: Principal, council: Council) -> bool:
    if council.is_global_council:
        return may(principal, "global_proposals:create")
    return may(principal, "proposals:create", nation=council.nation_id)


def may_read_drafts(principal: Principal, council: Council) -> bool:
    if council.is_global_council:
        return may(principal, "global_proposals:read_drafts") or may(
            principal, "proposals:read_drafts"
        )
    return may(principal, "proposals:read_drafts", nation=council.nation_id)


def _seating_grants(principal: Principal, council: Council) -> list[int]:
    """The principal's active grants that seat them in `council` (council member of its
    nation; delegate of any nation, for the Global Council)."""
    if not principal.is_authenticated:
        return []
    role = Role.DELEGATE if council.is_global_council else Role.COUNCIL_MEMBER
    return [
        m.assignment_id
        for m in principal.memberships
        if m.role == role and (council.is_global_council or m.nation_id == council.nation_id)
    ]


def seats_held(principal: Principal, council: Council) -> list[Seat]:
    """The seats of `council` the principal holds now (through their active grants)."""
    grants = _seating_grants(principal, council)
    if not grants:
        return []
    with owner_scope(council.nation_id):
        return list(
            Seat.objects.filter(council=council, holder_id__in=grants).select_related(
                "member_nation"
            )
        )


def is_chair(principal: Principal, council: Council) -> bool:
    return any(seat.is_chair for seat in seats_held(principal, council))


def may_steer(principal: Principal, proposal: Proposal) -> bool:
    """Open, close, withdraw or edit: the proposer (while still a member), a chair, or the
    system (the beat)."""
    if principal.is_system:
        return True
    council = proposal.council
    is_proposer = principal.is_authenticated and principal.pseudonym == proposal.proposer
    if is_proposer and may_propose(principal, council):
        return True
    return is_chair(principal, council)


# --- Proposals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalFields:
    """What a proposer sets; every field is checked in `_checked_fields`."""

    kind: str
    title: str
    closes_at: dt.datetime
    body: str = ""
    project: Project | None = None
    amount_usd: Decimal | None = None
    rule: counting.Rule = field(default_factory=counting.Rule)
    opens_at: dt.datetime | None = None
    secret_ballot: bool = False
    hide_results_until_close: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any], *, rule: Mapping[str, Any]) -> ProposalFields:
        """From parsed input (the API's or the page's form): the rule from its JSON, the
        project by its id; Invalid names the field at fault ("rule.quorum", "project")."""
        try:
            the_rule = counting.Rule.from_json(rule)
        except counting.RuleError as error:
            raise Invalid(
                "the rule is not valid", fields={f"rule.{error.field}": [error.message]}
            ) from None
        project = None
        if data.get("project") is not None:
            project = project_get(project_id=data["project"])
            if project is None:
                raise Invalid("no such project", fields={"project": ["no such project"]})
        return cls(
            kind=data["kind"],
            title=data["title"],
            body=data.get("body") or "",
            project=project,
            amount_usd=data.get("amount_usd"),
            rule=the_rule,
            opens_at=data.get("opens_at"),
            closes_at=data["closes_at"],
            secret_ballot=bool(data.get("secret_ballot")),
            hide_results_until_close=bool(data.get("hide_results_until_close")),
        )


def _checked_fields(council: Council, fields: ProposalFields, now: dt.datetime) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title = (fields.title or "").strip()
    if not title:
        errors["title"] = ["required"]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"at most {MAX_TITLE} characters"]
    body = fields.body or ""
    if len(body) > MAX_BODY:
        errors["body"] = [f"at most {MAX_BODY} characters"]
    if fields.kind not in ProposalKind.values:
        errors["kind"] = [f"one of {', '.join(ProposalKind.values)}"]
    amount: Decimal | None = None
    if fields.kind == ProposalKind.BUDGET:
        if fields.project is None:
            errors["project"] = ["a budget proposal names the project it funds"]
        elif not council.is_global_council and fields.project.nation_id != council.nation_id:
            errors["project"] = ["a National Council funds its own nation's projects only"]
        if fields.amount_usd is None:
            errors["amount_usd"] = ["required for a budget proposal"]
        else:
            try:
                amount = two_places_checked(fields.amount_usd, field="amount_usd", positive=True)
            except Invalid as error:
                errors.update(error.fields or {"amount_usd": [error.message]})
    elif fields.kind == ProposalKind.RESOLUTION:
        if fields.project is not None:
            errors["project"] = ["only a budget proposal names a project"]
        if fields.amount_usd is not None:
            errors["amount_usd"] = ["only a budget proposal has an amount"]
    rule = fields.rule
    if not council.is_global_council and rule.weighting != "equal":
        errors["rule.weighting"] = ["a National Council weighs every seat equally"]
    if fields.secret_ballot and rule.weighting != "equal":
        errors["secret_ballot"] = [
            "a secret ballot needs equal weights: a seat's weight would reveal how it voted"
        ]
    if fields.closes_at <= now:
        errors["closes_at"] = ["must be in the future"]
    elif fields.closes_at > now + dt.timedelta(days=MAX_VOTE_DAYS):
        errors["closes_at"] = [f"at most {MAX_VOTE_DAYS} days ahead"]
    if fields.opens_at is not None:
        if fields.opens_at < now - dt.timedelta(minutes=1):
            errors["opens_at"] = ["must not be in the past (open it by hand instead)"]
        elif fields.opens_at >= fields.closes_at:
            errors["opens_at"] = ["must be before closes_at"]
    if errors:
        raise Invalid("the proposal is not valid", fields=errors)
    return {
        "kind": fields.kind,
        "title": title,
        "body": body,
        "project": fields.project,
        "amount_usd": amount,
        "quorum": fraction_decimal(rule.quorum),
        "threshold": rule.threshold,
        "base": rule.base,
        "weighting": rule.weighting,
        "double_majority": (
            None if rule.double_majority is None else fraction_decimal(rule.double_majority)
        ),
        "secret_ballot": fields.secret_ballot,
        "hide_results_until_close": fields.hide_results_until_close,
        "opens_at": fields.opens_at,
        "closes_at": fields.closes_at,
    }


def _rule_fits_the_columns(rule: counting.Rule) -> None:
    """Quorum and double majority are stored with six decimal places: refuse more."""
    for name, value in (("quorum", rule.quorum), ("double_majority", rule.double_majority)):
        if value is not None and (value * counting.MICRO).denominator != 1:
            raise Invalid("too precise", fields={f"rule.{name}": ["at most six decimal places"]})


def proposal_create(*, council: Council, fields: ProposalFields, actor: Principal) -> Proposal:
    """A council member drafts a proposal; it opens by hand or at `opens_at`."""
    if not may_propose(actor, council):
        raise Forbidden("only the council's members draft its proposals")
    _rule_fits_the_columns(fields.rule)
    now = timezone.now()
    values = _checked_fields(council, fields, now)
    with owner_scope(council.nation_id), transaction.atomic():
        proposal = Proposal.objects.create(
            nation_id=council.nation_id,
            council=council,
            proposer=actor.pseudonym,
            created_at=now,
            updated_at=now,
            **values,
        )
        _audit(
            "proposal.created",
            actor=actor,
            council=council,
            target=proposal,
            data={"kind": proposal.kind, "rule": proposal.rule.to_json()},
        )
    return proposal


def proposal_update(*, proposal: Proposal, fields: ProposalFields, actor: Principal) -> Proposal:
    """Edit a draft (its text, its rule, its dates): a rule is set until the proposal opens."""
    _rule_fits_the_columns(fields.rule)
    council = proposal.council
    with owner_scope(proposal.nation_id), transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if not may_steer(actor, locked):
            raise Forbidden("only the proposer or a chair edits this proposal")
        if locked.status != ProposalStatus.DRAFT:
            raise Conflict(f"the proposal is {locked.status}: its text and rule are frozen")
        now = timezone.now()
        values = _checked_fields(council, fields, now)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.updated_at = now
        locked.save(update_fields=[*values, "updated_at"])
        _audit(
            "proposal.updated",
            actor=actor,
            council=council,
            target=locked,
            data={"kind": locked.kind, "rule": locked.rule.to_json()},
        )
    return locked


def _lock(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("council__nation", "project")
        .get(pk=proposal.pk)
    )


def _log_append(
    proposal: Proposal, event: str, fields: dict[str, Any], *, choice: str = "", salt: str = ""
) -> VoteLogEntry:
    """Append one event to the proposal's vote log; the caller holds the proposal's row lock
    and saves `log_head` / `log_length`, which this updates in memory."""
    now = timezone.now()
    sequence = proposal.log_length + 1
    prev_hash = proposal.log_head or counting.GENESIS_HASH
    body = {
        "event": event,
        "proposal": proposal.pk,
        "sequence": sequence,
        "recorded_at": _iso(now),
        **fields,
    }
    text = counting.canonical_json(body)
    entry = VoteLogEntry.objects.create(
        nation_id=proposal.nation_id,
        proposal=proposal,
        sequence=sequence,
        event=event,
        seat_code=str(fields.get("seat", "")),
        body=text,
        prev_hash=prev_hash,
        hash=counting.chain_hash(prev_hash, text),
        recorded_at=now,
        choice=choice,
        salt=salt,
    )
    proposal.log_head = entry.hash
    proposal.log_length = sequence
    return entry


def _roster_rows(proposal: Proposal) -> list[RosterEntry]:
    """The council's seats held now, with their weights under the proposal's rule."""
    seats = list(
        Seat.objects.filter(council=proposal.council, holder__status=RoleStatus.ACTIVE)
        .select_related("holder__user", "member_nation")
        .order_by("code")
    )
    rows = []
    for seat in seats:
        holder = seat.holder
        assert holder is not None
        pledge = (
            seat.member_nation.annual_pledge_usd if proposal.council.is_global_council else None
        )
        rows.append(
            RosterEntry(
                nation_id=proposal.nation_id,
                proposal=proposal,
                seat=seat,
                seat_code=seat.code,
                holder=holder.user.pseudonym,
                weight_micro=counting.weight_micro_for(proposal.weighting, pledge),
                pledge_usd=pledge if proposal.weighting != "equal" else None,
            )
        )
    return rows


def proposal_open(*, proposal: Proposal, actor: Principal) -> Proposal:
    """Open the vote: freeze the roster (seats held now, their holders' pseudonyms, weights
    snapshotted to six places), publish its SHA-256, start the vote log, tell the members."""
    with owner_scope(proposal.nation_id), transaction.atomic():
        locked = _lock(proposal)
        if not may_steer(actor, locked):
            raise Forbidden("only the proposer or a chair opens this proposal")
        if locked.status != ProposalStatus.DRAFT:
            raise Conflict(f"the proposal is already {locked.status}")
        now = timezone.now()
        if locked.closes_at <= now:
            raise Conflict("its closing time has passed: edit the draft's closes_at first")
        rows = _roster_rows(locked)
        if not rows:
            raise Conflict("the council has no seated member: nobody could vote")
        RosterEntry.objects.bulk_create(rows)
        roster = [
            {"seat": row.seat_code, "holder": row.holder, "weight": row.weight_text} for row in rows
        ]
        locked.roster_hash = counting.roster_hash(roster)
        locked.roster_seats = len(rows)
        locked.roster_weight_micro = sum(row.weight_micro for row in rows)
        locked.status = ProposalStatus.OPEN
        locked.opened_at = now
        locked.save(
            update_fields=[
                "roster_hash",
                "roster_seats",
                "roster_weight_micro",
                "status",
                "opened_at",
            ]
        )
        _log_append(
            locked,
            "open",
            {
                "council": locked.council_id,
                "kind": locked.kind,
                "title": locked.title,
                "project": locked.project_id,
                "amount_usd": None if locked.amount_usd is None else str(locked.amount_usd),
                "rule": locked.rule.to_json(),
                "secret_ballot": locked.secret_ballot,
                "hide_results_until_close": locked.hide_results_until_close,
                "closes_at": _iso(locked.closes_at),
                "roster_hash": locked.roster_hash,
                "roster_seats": locked.roster_seats,
                "roster_weight": counting.weight_text(locked.roster_weight),
            },
        )
        locked.save(update_fields=["log_head", "log_length"])
        _audit(
            "proposal.opened",
            actor=actor,
            council=locked.council,
            target=locked,
            data={"roster_hash": locked.roster_hash, "seats": locked.roster_seats},
        )
        _notify_later(locked, NotificationKind.OPENED)
    return locked


@dataclass(frozen=True)
class CastBallot:
    """What the voter gets back: the receipt (the hash of the vote-log entry) and, for a
    committed ballot, what opens the commitment (tracker and salt: keep them)."""

    ballot: Ballot
    created: bool  # the seat's first ballot on this proposal
    changed: bool  # a new vote-log entry was appended (False: the same choice again)
    committed: bool  # the vote log holds a commitment, not the choice

    @property
    def receipt(self) -> str:
        return self.ballot.receipt


def _roster_entries_of(principal: Principal, proposal: Proposal) -> list[RosterEntry]:
    """The roster entries whose seat the principal holds now and may vote for (one query)."""
    council = proposal.council
    grants = _seating_grants(principal, council)
    if not grants:
        return []
    entries = list(
        RosterEntry.objects.filter(proposal=proposal, seat__holder_id__in=grants).select_related(
            "seat"
        )
    )
    allowed = []
    for entry in entries:
        if council.is_global_council:
            ok = may(principal, "global_ballots:cast", nation=entry.seat.member_nation_id)
        else:
            ok = may(principal, "ballots:cast", nation=council.nation_id)
        if ok:
            allowed.append(entry)
    return allowed


def ballot_cast(
    *, proposal: Proposal, choice: str, actor: Principal, seat_code: str | None = None
) -> CastBallot:
    """Cast or change the ballot of the actor's seat (the last one counts). The same choice
    again changes nothing and returns the same receipt (a retry is harmless)."""
    if choice not in counting.CHOICES:
        raise Invalid("not a choice", fields={"choice": [f"one of {', '.join(counting.CHOICES)}"]})
    if not actor.is_authenticated:
        raise Forbidden("sign in to vote")
    with owner_scope(proposal.nation_id), transaction.atomic():
        # Who may vote for which seat is decided before taking the proposal's lock (the roster
        # is frozen): the lock, which serialises the proposal's ballots, is held only for the
        # few statements that must be (status, the seat's ballot, the log, the counters).
        entries = _roster_entries_of(actor, proposal)
        if not entries:
            current = Proposal.objects.select_related("council").get(pk=proposal.pk)
            if seats_held(actor, current.council) and current.status != ProposalStatus.OPEN:
                raise Conflict(f"the vote is not open: the proposal is {current.status}")
            raise Forbidden("you hold no seat on this proposal's roster (frozen when it opened)")
        if seat_code:
            entries = [entry for entry in entries if entry.seat_code == seat_code]
            if not entries:
                raise Forbidden(f"you do not hold seat {seat_code[:24]} on this roster")
        elif len(entries) > 1:
            raise Invalid(
                "you hold several seats",
                fields={"seat": [f"name one of {', '.join(e.seat_code for e in entries)}"]},
            )
        locked = _lock(proposal)
        if locked.status != ProposalStatus.OPEN:
            raise Conflict(f"the vote is not open: the proposal is {locked.status}")
        entry = entries[0]
        now = timezone.now()
        if now >= locked.closes_at:
            raise Conflict(f"the vote closed at {_iso(locked.closes_at)}")
        existing = Ballot.objects.filter(proposal=locked, seat_code=entry.seat_code).first()
        committed = locked.secret_ballot or locked.hide_results_until_close
        if existing is not None and existing.choice == choice:
            return CastBallot(existing, created=False, changed=False, committed=committed)
        salt = secrets.token_hex(16) if committed else ""
        tracker = ""
        if locked.secret_ballot:
            tracker = existing.tracker if existing is not None else secrets.token_hex(16)
        fields: dict[str, Any] = {"seat": entry.seat_code, "holder": actor.pseudonym}
        if committed:
            fields["commitment"] = counting.ballot_commitment(
                proposal=locked.pk, seat=entry.seat_code, choice=choice, salt=salt, tracker=tracker
            )
        else:
            fields["choice"] = choice
        log_entry = _log_append(
            locked, "ballot", fields, choice=choice if committed else "", salt=salt
        )
        weight = entry.weight_micro
        if existing is not None:
            _count(locked, existing.choice, -existing.weight_micro, -1)
        _count(locked, choice, weight, 1)
        if existing is None:
            ballot = Ballot.objects.create(
                nation_id=locked.nation_id,
                proposal=locked,
                seat_code=entry.seat_code,
                choice=choice,
                weight_micro=weight,
                cast_by=actor.pseudonym,
                cast_at=now,
                receipt=log_entry.hash,
                sequence=log_entry.sequence,
                tracker=tracker,
                salt=salt,
            )
        else:
            ballot = existing
            ballot.choice = choice
            ballot.cast_by = actor.pseudonym
            ballot.cast_at = now
            ballot.receipt = log_entry.hash
            ballot.sequence = log_entry.sequence
            ballot.changes = existing.changes + 1
            ballot.salt = salt
            ballot.save(
                update_fields=[
                    "choice",
                    "cast_by",
                    "cast_at",
                    "receipt",
                    "sequence",
                    "changes",
                    "salt",
                ]
            )
        locked.save(update_fields=[*COUNTER_FIELDS, "log_head", "log_length"])
        _audit(
            "ballot.cast",
            actor=actor,
            council=locked.council,
            target=locked,
            data={
                "seat": entry.seat_code,
                "receipt": log_entry.hash,
                "sequence": log_entry.sequence,
                "changed": existing is not None,
            },
        )
    return CastBallot(ballot, created=existing is None, changed=True, committed=committed)


COUNTER_FIELDS = (
    "yes_micro",
    "no_micro",
    "abstain_micro",
    "yes_seats",
    "no_seats",
    "abstain_seats",
)


def _count(proposal: Proposal, choice: str, weight_micro: int, seats: int) -> None:
    setattr(proposal, f"{choice}_micro", getattr(proposal, f"{choice}_micro") + weight_micro)
    setattr(proposal, f"{choice}_seats", getattr(proposal, f"{choice}_seats") + seats)


def tally_recount(proposal: Proposal) -> counting.Tally:
    """The tally from the ballot rows: one aggregate over the proposal's ballots (an
    index-only scan of (proposal, choice) including the weight, on PostgreSQL)."""
    with owner_scope(proposal.nation_id):
        rows = list(
            Ballot.objects.filter(proposal_id=proposal.pk)
            .order_by()
            .values("choice")
            .annotate(weight=Sum("weight_micro"), seats=Count("*"))
        )
    tally = counting.Tally()
    for row in rows:
        tally = tally.plus(
            row["choice"], counting.weight_from_micro(int(row["weight"] or 0)), seats=row["seats"]
        )
    return tally


def _set_counters(proposal: Proposal, tally: counting.Tally) -> None:
    for choice in counting.CHOICES:
        weight = getattr(tally, choice) * counting.MICRO
        setattr(proposal, f"{choice}_micro", int(weight))
        setattr(proposal, f"{choice}_seats", getattr(tally, f"{choice}_seats"))


def proposal_close(*, proposal: Proposal, actor: Principal) -> Proposal:
    """Close the vote: recount the ballots, decide the outcome by the rule, seal the vote log,
    and, for a passed budget proposal, post its allocation to the ledger, once."""
    with owner_scope(proposal.nation_id), transaction.atomic():
        locked = _lock(proposal)
        if not may_steer(actor, locked):
            raise Forbidden("only the proposer or a chair closes this proposal")
        if locked.status != ProposalStatus.OPEN:
            raise Conflict(f"the proposal is {locked.status}, not open")
        tally = tally_recount(locked)
        if tally != locked.live_tally:  # cannot happen through the services; say so if it does
            logger.error("proposal %s: live tally differed from the recount", locked.pk)
        result = counting.outcome(locked.rule, tally, locked.roster_weight, locked.roster_seats)
        now = timezone.now()
        _log_append(
            locked,
            "close",
            {
                "outcome": result,
                "tally": tally.to_json(),
                "roster_seats": locked.roster_seats,
                "roster_weight": counting.weight_text(locked.roster_weight),
            },
        )
        _set_counters(locked, tally)
        locked.status = ProposalStatus.CLOSED
        locked.outcome = result
        locked.closed_at = now
        locked.save(
            update_fields=[
                *COUNTER_FIELDS,
                "status",
                "outcome",
                "closed_at",
                "log_head",
                "log_length",
            ]
        )
        _audit(
            "proposal.closed",
            actor=actor,
            council=locked.council,
            target=locked,
            data={"outcome": result, "tally": tally.to_json(), "head": locked.log_head},
        )
        if result == counting.PASSED and locked.kind == ProposalKind.BUDGET:
            _allocate(locked, on=now.date())
        _notify_later(locked, NotificationKind.OUTCOME)
    return locked


def _allocate(proposal: Proposal, *, on: dt.date) -> None:
    """Post the passed budget's allocation, once per proposal (the ledger's idempotency key
    `allocation:proposal:<id>` refuses a second posting; a retry finds the first)."""
    project = proposal.project
    assert project is not None and proposal.amount_usd is not None
    project_nation = Nation.objects.get(pk=project.nation_id)
    try:
        with transaction.atomic():
            allocation_post(
                nation=project_nation,
                amount_usd=proposal.amount_usd,
                source=f"proposal:{proposal.pk}",
                reference=f"project:{project.pk}",
                actor=GOVERNANCE,
                on=on,
            )
    except Conflict:
        logger.warning("proposal %s: its allocation was already posted", proposal.pk)


def proposal_withdraw(*, proposal: Proposal, actor: Principal) -> Proposal:
    """Withdraw a draft or an open proposal (the vote log records it; no outcome)."""
    with owner_scope(proposal.nation_id), transaction.atomic():
        locked = _lock(proposal)
        if not may_steer(actor, locked):
            raise Forbidden("only the proposer or a chair withdraws this proposal")
        if locked.status not in (ProposalStatus.DRAFT, ProposalStatus.OPEN):
            raise Conflict(f"the proposal is {locked.status}")
        update = ["status", "withdrawn_at"]
        if locked.status == ProposalStatus.OPEN:
            _log_append(locked, "withdraw", {})
            update += ["log_head", "log_length"]
        locked.status = ProposalStatus.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=update)
        _audit("proposal.withdrawn", actor=actor, council=locked.council, target=locked, data={})
    return locked


# --- The beat ----------------------------------------------------------------------------------


def proposals_due(*, now: dt.datetime) -> dict[str, list[tuple[int, int | None]]]:
    """(id, owner nation id) of the proposals the schedule acts on now."""
    with all_nations(reason="the beat's schedule across every council's proposals"):
        base = Proposal.objects.order_by("id").values_list("id", "nation_id")
        return {
            "open": list(
                base.filter(status=ProposalStatus.DRAFT, opens_at__lte=now, closes_at__gt=now)[:500]
            ),
            "close": list(base.filter(status=ProposalStatus.OPEN, closes_at__lte=now)[:500]),
            "remind": list(
                base.filter(
                    status=ProposalStatus.OPEN,
                    reminded_at__isnull=True,
                    closes_at__gt=now,
                    closes_at__lte=now + REMINDER_BEFORE,
                    opened_at__lt=F("closes_at") - REMINDER_BEFORE,
                )[:500]
            ),
        }


def proposals_tick(*, now: dt.datetime | None = None, actor: Principal = BEAT) -> dict[str, int]:
    """The beat, every minute: open what is scheduled to open, close what is due, queue the
    24-hour reminders. Safe beside people acting at the same moment: each transition locks
    the proposal and re-checks its status; a Conflict means someone was first."""
    if not actor.is_system:
        raise Forbidden("the schedule is kept by the system (the beat, an operator)")
    now = now or timezone.now()
    due = proposals_due(now=now)
    done = {"opened": 0, "closed": 0, "reminded": 0, "skipped": 0}
    for action, service, counter in (
        ("open", proposal_open, "opened"),
        ("close", proposal_close, "closed"),
    ):
        for proposal_id, nation_id in due[action]:
            with owner_scope(nation_id):
                proposal = Proposal.objects.filter(pk=proposal_id).first()
            if proposal is None:
                continue
            try:
                service(proposal=proposal, actor=actor)
                done[counter] += 1
            except Conflict:
                done["skipped"] += 1
    for proposal_id, nation_id in due["remind"]:
        with owner_scope(nation_id), transaction.atomic():
            claimed = Proposal.objects.filter(
                pk=proposal_id, status=ProposalStatus.OPEN, reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed:
                proposal = Proposal.objects.get(pk=proposal_id)
                _notify_later(proposal, NotificationKind.REMINDER)
                done["reminded"] += 1
    return done


# --- Notifications -----------------------------------------------------------------------------


def _notify_later(proposal: Proposal, kind: str) -> None:
    """Queue the notifications of an event (in the caller's transaction; sent after commit)."""
    outbox_enqueue(
        task="governance.notify",
        args=[proposal.nation_id, proposal.pk, kind],
        dedupe_key=f"governance:notify:{proposal.pk}:{kind}",
    )


_MESSAGES = {
    NotificationKind.OPENED: (
        "Vote open: {title}",
        "The {council} votes on “{title}” until {closes}. Your seat is on its roster.",
    ),
    NotificationKind.REMINDER: (
        "24 hours left to vote: {title}",
        "The vote of the {council} on “{title}” closes at {closes}, and your seat has not "
        "voted yet.",
    ),
    NotificationKind.OUTCOME: (
        "Vote closed ({outcome}): {title}",
        "The vote of the {council} on “{title}” closed: {outcome}.",
    ),
}


def notifications_create(*, proposal: Proposal, kind: str) -> int:
    """Tell the holders of the roster's seats (for a reminder: those whose seat has not voted)
    in their inbox, and queue their e-mails; people who muted governance are skipped. Runs in
    the notify job (idempotent: one notification per person, proposal and kind)."""
    with owner_scope(proposal.nation_id), transaction.atomic():
        entries = RosterEntry.objects.filter(
            proposal=proposal, seat__holder__status=RoleStatus.ACTIVE
        ).select_related("seat__holder__user")
        if kind == NotificationKind.REMINDER:
            voted = Ballot.objects.filter(proposal=proposal).values("seat_code")
            entries = entries.exclude(seat_code__in=voted)
        users = {}
        for entry in entries:
            holder = entry.seat.holder
            if holder is not None and holder.user.is_active:
                users[holder.user_id] = holder.user
        if not users:
            return 0
        settings_by_user = {
            s.user_id: s for s in NotificationSettings.objects.filter(user_id__in=list(users))
        }
        subject, text = _MESSAGES[NotificationKind(kind)]
        values = {
            "title": proposal.title,
            "council": proposal.council.name,
            "closes": proposal.closes_at.strftime("%d %b %Y %H:%M UTC"),
            "outcome": (proposal.outcome or "").replace("_", " "),
        }
        created = 0
        for user_id, user in users.items():
            settings = settings_by_user.get(user_id)
            if settings is not None and settings.muted:
                continue
            notification, was_created = Notification.objects.get_or_create(
                user=user,
                proposal=proposal,
                kind=kind,
                defaults={
                    "title": subject.format(**values)[:240],
                    "text": text.format(**values),
                    "url": f"/proposals/{proposal.pk}/",
                    "email_wanted": not (settings is not None and settings.email_muted),
                },
            )
            if was_created:
                created += 1
                if notification.email_wanted:
                    outbox_enqueue(
                        task="governance.email_notification",
                        args=[notification.pk],
                        dedupe_key=f"governance:email:{notification.pk}",
                    )
    return created


def notification_email_send(*, notification_id: int) -> bool:
    """Send one notification's e-mail, at most once per success (the row is locked while
    sending; a failed send leaves it unsent, and the outbox tries again)."""
    from django.conf import settings
    from django.core.mail import send_mail

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        user = notification.user
        muted = NotificationSettings.objects.filter(
            Q(muted=True) | Q(email_muted=True), user=user
        ).exists()
        if not notification.email_wanted or muted or not user.is_active or not user.email:
            return False
        portal = settings.PORTAL_URL
        send_mail(
            subject=f"[Covenant] {notification.title}",
            message=f"{notification.text}\n\n{portal}{notification.url}\n\n"
            f"Mute these messages in the portal: {portal}/notifications/",
            from_email=None,
            recipient_list=[user.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notification_read(*, notification: Notification, actor: Principal) -> Notification:
    if actor.user is None or notification.user_id != actor.user.pk:
        raise NotFound("no such notification")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_read_all(*, actor: Principal) -> int:
    if actor.user is None:
        raise Forbidden("sign in first")
    return Notification.objects.filter(user=actor.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_settings_update(
    *, actor: Principal, muted: bool | None = None, email_muted: bool | None = None
) -> NotificationSettings:
    """Mute governance notifications altogether, or only their e-mails."""
    if actor.user is None:
        raise Forbidden("sign in first")
    with transaction.atomic():
        settings, _ = NotificationSettings.objects.select_for_update().get_or_create(
            user=actor.user
        )
        if muted is not None:
            settings.muted = muted
        if email_muted is not None:
            settings.email_muted = email_muted
        settings.updated_at = timezone.now()
        settings.save()
    return settings


def fraction_decimal(value: Fraction) -> Decimal:
    """A fraction of the rule as the Decimal stored in its column (six places at most)."""
    return Decimal(value.numerator) / Decimal(value.denominator)
