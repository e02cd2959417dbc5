"""Reads of governance, scoped and filtered to what the principal may see.

Councils and proposals are public (drafts only to the council's members, its chairs and the
admins who read drafts); they are read across councils through reviewed escape hatches,
since a directory of every council is public by nature. Tallies are shown only when the
proposal's results are visible (not hidden until close); how each seat voted is shown only
for proposals whose ballot is not secret."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from covenant.access.models import RoleStatus
from covenant.access.principal import Principal, may
from covenant.access.roles import Role
from covenant.accounts.models import User
from covenant.errors import Forbidden, NotFound
from covenant.nations.models import Nation
from covenant.nations.tenancy import all_nations, owner_scope

from . import counting
from .models import (
    Ballot,
    Choice,
    Council,
    CouncilKind,
    Notification,
    NotificationSettings,
    Proposal,
    ProposalStatus,
    RosterEntry,
    Seat,
    VoteLogEntry,
)
from .services import may_read_drafts, seats_held

# --- Councils ----------------------------------------------------------------------------------


def council_list(*, nation: Nation | None = None) -> QuerySet[Council]:
    """Every council (the Global Council first, then by nation), with its held seats counted."""
    with all_nations(reason="the public directory of councils"):
        councils = Council.objects.select_related("nation").annotate(
            seat_count=Count("seats", filter=Q(seats__holder__status=RoleStatus.ACTIVE))
        )
    if nation is not None:
        councils = councils.filter(nation=nation)
    return councils.order_by("kind", "nation__name", "id")  # "global" sorts first


def council_get(*, council_id: int) -> Council | None:
    return council_list().filter(pk=council_id).first()


def national_council(nation: Nation) -> Council | None:
    return council_list(nation=nation).first()


def global_council() -> Council | None:
    return council_list().filter(kind=CouncilKind.GLOBAL).first()


def council_seats(*, council: Council) -> list[Seat]:
    """The council's held seats, in code order."""
    with owner_scope(council.nation_id):
        return list(
            Seat.objects.filter(council=council, holder__status=RoleStatus.ACTIVE)
            .select_related("member_nation", "holder__user")
            .order_by("code")
        )


def council_seat(*, council: Council, code: str) -> Seat | None:
    """One held seat of the council, by its code."""
    with owner_scope(council.nation_id):
        return (
            Seat.objects.filter(council=council, code=code, holder__status=RoleStatus.ACTIVE)
            .select_related("member_nation", "holder__user")
            .first()
        )


def councils_of(principal: Principal) -> list[Council]:
    """The councils the principal sits on now (their council_member and delegate grants)."""
    if not principal.is_authenticated:
        return []
    nation_ids = {m.nation_id for m in principal.memberships if m.role == Role.COUNCIL_MEMBER}
    delegate = any(m.role == Role.DELEGATE for m in principal.memberships)
    query = Q(kind=CouncilKind.NATIONAL, nation_id__in=nation_ids)
    if delegate:
        query |= Q(kind=CouncilKind.GLOBAL)
    if not nation_ids and not delegate:
        return []
    return list(council_list().filter(query))


# --- Proposals ---------------------------------------------------------------------------------


def _drafts_visible(principal: Principal) -> Q | None:
    """The drafts this principal may see, as a filter (None: every draft)."""
    if principal.is_platform_admin and may(principal, "proposals:read_drafts"):
        return None
    nations = principal.nation_ids_with("proposals:read_drafts")
    visible = Q(pk__in=[])  # nothing, unless one of the below
    if nations:
        visible |= Q(council__kind=CouncilKind.NATIONAL, nation_id__in=nations)
    if principal.nation_ids_with("global_proposals:read_drafts"):
        visible |= Q(council__kind=CouncilKind.GLOBAL)
    return visible


def proposal_list(
    *, principal: Principal, council: Council | None = None, status: str | None = None
) -> QuerySet[Proposal]:
    """Proposals of every council (or one), newest first; drafts only where the principal may
    read them."""
    with all_nations(reason="the public list of every council's proposals"):
        proposals = Proposal.objects.select_related("council", "council__nation", "project")
    drafts = _drafts_visible(principal)
    if drafts is not None:
        proposals = proposals.filter(~Q(status=ProposalStatus.DRAFT) | drafts)
    if council is not None:
        proposals = proposals.filter(council=council)
    if status:
        proposals = proposals.filter(status=status)
    return proposals.order_by("-created_at", "-id")


def proposal_get(*, principal: Principal, proposal_id: int) -> Proposal:
    """One proposal, or NotFound (a draft the principal may not read is not found either)."""
    with all_nations(reason="a public proposal found by its id"):
        proposal = (
            Proposal.objects.select_related("council", "council__nation", "project__nation")
            .filter(pk=proposal_id)
            .first()
        )
    if proposal is None:
        raise NotFound("no such proposal")
    if proposal.status == ProposalStatus.DRAFT and not may_read_drafts(principal, proposal.council):
        raise NotFound("no such proposal")
    return proposal


def roster_of(proposal: Proposal) -> list[RosterEntry]:
    with owner_scope(proposal.nation_id):
        return list(RosterEntry.objects.filter(proposal=proposal).order_by("seat_code"))


def rosters_of(proposals: list[Proposal]) -> dict[int, list[RosterEntry]]:
    """The frozen rosters of listed proposals (public), in one query."""
    ids = [p.pk for p in proposals if p.status != ProposalStatus.DRAFT]
    rosters: dict[int, list[RosterEntry]] = {pk: [] for pk in ids}
    if ids:
        with all_nations(reason="the frozen rosters of listed public proposals"):
            rows = list(RosterEntry.objects.filter(proposal_id__in=ids).order_by("seat_code"))
        for row in rows:
            rosters[row.proposal_id].append(row)
    return rosters


def ballots_of(proposal: Proposal) -> dict[str, Ballot]:
    """The current ballot of each seat, by seat code (callers decide what may be shown)."""
    with owner_scope(proposal.nation_id):
        return {b.seat_code: b for b in Ballot.objects.filter(proposal=proposal)}


@dataclass(frozen=True)
class SeatVote:
    """A seat of the frozen roster: whether it voted (public) and, where that is public, how."""

    entry: RosterEntry
    voted: bool
    choice: str | None

    @property
    def choice_label(self) -> str | None:
        return None if self.choice is None else Choice(self.choice).label


def roster_votes(proposal: Proposal, ballots: dict[str, Ballot] | None = None) -> list[SeatVote]:
    """The frozen roster, seat by seat: who voted, and how once the results are visible,
    unless the ballot is secret. `ballots`: the proposal's `ballots_of`, if the caller has
    them already."""
    if proposal.status == ProposalStatus.DRAFT:  # no roster until the vote opens
        return []
    if ballots is None:
        ballots = ballots_of(proposal)
    shown = proposal.results_visible and not proposal.secret_ballot
    return [
        SeatVote(
            entry=entry,
            voted=entry.seat_code in ballots,
            choice=ballots[entry.seat_code].choice
            if shown and entry.seat_code in ballots
            else None,
        )
        for entry in roster_of(proposal)
    ]


def my_ballots(*, principal: Principal, proposal: Proposal) -> list[Ballot]:
    """The ballots of the roster seats the principal holds now (their own, in full)."""
    seats = [seat.code for seat in seats_held(principal, proposal.council)]
    if not seats or proposal.status == ProposalStatus.DRAFT:
        return []
    with owner_scope(proposal.nation_id):
        return list(Ballot.objects.filter(proposal=proposal, seat_code__in=seats))


def my_roster_seats(*, principal: Principal, proposal: Proposal) -> list[str]:
    """The codes of the roster seats the principal holds now (those they vote for)."""
    seats = seats_held(principal, proposal.council)
    if not seats or proposal.status == ProposalStatus.DRAFT:
        return []
    with owner_scope(proposal.nation_id):
        return list(
            RosterEntry.objects.filter(proposal=proposal, seat__in=seats)
            .order_by("seat_code")
            .values_list("seat_code", flat=True)
        )


def may_read_vote_log(principal: Principal, proposal: Proposal) -> bool:
    """Auditors (votes:read_log) of the council's nation; for the Global Council, the auditors
    of any member nation; platform admins everywhere; and a person the nation's admins shared
    this one proposal's log with (an object grant: covenant.access.object_grants)."""
    if proposal.council.is_global_council:
        return bool(principal.nation_ids_with("votes:read_log")) or may(principal, "votes:read_log")
    return may(principal, "votes:read_log", nation=proposal.nation_id, obj=proposal)


def vote_log(*, principal: Principal, proposal: Proposal) -> QuerySet[VoteLogEntry]:
    """The proposal's vote log for those who audit votes. It reveals nothing a hidden or
    secret ballot keeps: such ballots are logged as commitments."""
    if not may_read_vote_log(principal, proposal):
        raise Forbidden("only auditors read the vote log before it is published")
    with owner_scope(proposal.nation_id):
        return VoteLogEntry.objects.filter(proposal=proposal).order_by("sequence")


# --- Where a vote stands -----------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What may be shown of a vote now: participation always (who voted is public), the tally
    only when the results are visible, and, for an open vote, what it still takes to pass."""

    status: str
    visible: bool
    seats: int
    seats_voted: int
    tally: counting.Tally | None
    roster_weight: Fraction
    prospect: counting.Prospect | None
    outcome: str | None


def _needs_weights_left(proposal: Proposal) -> bool:
    return (
        proposal.results_visible
        and proposal.status == ProposalStatus.OPEN
        and proposal.weighting != "equal"
    )


def _standing(proposal: Proposal, weights_left: list[int] | None) -> Standing:
    tally = proposal.live_tally
    visible = proposal.results_visible
    prospect = None
    if visible and proposal.status == ProposalStatus.OPEN:
        if proposal.weighting == "equal":
            prospect = counting.prospect(
                proposal.rule,
                tally,
                proposal.roster_weight,
                proposal.roster_seats,
                seats_left=proposal.roster_seats - tally.seats_voted,
                uniform_weight=Fraction(1),
            )
        else:
            prospect = counting.prospect(
                proposal.rule,
                tally,
                proposal.roster_weight,
                proposal.roster_seats,
                weights_left=[counting.weight_from_micro(micro) for micro in weights_left or []],
            )
    return Standing(
        status=proposal.status,
        visible=visible,
        seats=proposal.roster_seats,
        seats_voted=tally.seats_voted,
        tally=tally if visible else None,
        roster_weight=proposal.roster_weight,
        prospect=prospect,
        outcome=proposal.outcome,
    )


def proposal_standing(proposal: Proposal) -> Standing:
    """One row read (the live counters), plus, for a weighted open vote, the weights of the
    seats that have not voted (at most one per member nation)."""
    weights_left = None
    if _needs_weights_left(proposal):
        with owner_scope(proposal.nation_id):
            voted = Ballot.objects.filter(proposal=proposal).values("seat_code")
            left = RosterEntry.objects.filter(proposal=proposal).exclude(seat_code__in=voted)
            weights_left = list(left.values_list("weight_micro", flat=True))
    return _standing(proposal, weights_left)


def proposal_standings(proposals: list[Proposal]) -> dict[int, Standing]:
    """The standings of listed proposals in at most one query (the weights still out of the
    weighted open votes, which are Global Council votes: a seat per nation at most)."""
    weighted = [p.pk for p in proposals if _needs_weights_left(p)]
    left: dict[int, list[int]] = {pk: [] for pk in weighted}
    if weighted:
        with all_nations(reason="the weights still out of listed public weighted votes"):
            voted = Ballot.objects.filter(
                proposal_id=OuterRef("proposal_id"), seat_code=OuterRef("seat_code")
            )
            rows = (
                RosterEntry.objects.filter(proposal_id__in=weighted)
                .exclude(Exists(voted))
                .values_list("proposal_id", "weight_micro")
            )
            for proposal_id, micro in rows:
                left[proposal_id].append(micro)
    return {p.pk: _standing(p, left.get(p.pk)) for p in proposals}


# --- Notifications -----------------------------------------------------------------------------


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_settings(*, user: User) -> NotificationSettings:
    found = NotificationSettings.objects.filter(user=user).first()
    return found if found is not None else NotificationSettings(user=user)
