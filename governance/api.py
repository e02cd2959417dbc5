"""The governance API (SPEC §5): councils, proposals and their transitions, ballots and
receipts, the live standing, the vote log for auditors, the tally bundle, the inbox. Thin:
the rules live in the services, what may be seen in the selectors."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import (
    PUBLIC,
    SIGNED_IN,
    CovenantAPIView,
    iso3_parameter,
    query_nation,
    query_text,
)
from covenant.api.schema import ErrorSerializer
from covenant.errors import Conflict, NotFound

from . import counting
from .bundle import proposal_bundle
from .models import Council, Proposal, ProposalStatus
from .selectors import (
    council_get,
    council_list,
    council_seat,
    council_seats,
    my_ballots,
    notification_list,
    notification_settings,
    proposal_get,
    proposal_list,
    proposal_standing,
    proposal_standings,
    roster_votes,
    rosters_of,
    unread_count,
    vote_log,
)
from .serializers import (
    BallotInputSerializer,
    ChairInputSerializer,
    CouncilDetailSerializer,
    CouncilSerializer,
    NotificationSerializer,
    NotificationSettingsSerializer,
    ProposalInputSerializer,
    ProposalSerializer,
    ProposalUpdateSerializer,
    ReceiptSerializer,
    SeatBallotSerializer,
    SeatSerializer,
    StandingSerializer,
    UnreadSerializer,
    VoteLogEntrySerializer,
    standing_json,
)
from .serializers import BundleSerializer as BundleSchema
from .services import (
    ProposalFields,
    ballot_cast,
    chair_set,
    notification_read,
    notification_settings_update,
    notifications_read_all,
    proposal_close,
    proposal_create,
    proposal_open,
    proposal_update,
    proposal_withdraw,
)


def _errors(*statuses: int) -> dict[int, OpenApiResponse]:
    meaning = {
        400: "invalid input (the fields are named)",
        401: "not signed in",
        403: "not allowed",
        404: "not found (or a draft you may not see)",
        409: "not allowed in the proposal's current state",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=meaning[code]) for code in statuses}


# --- Councils ------------------------------------------------------------------------------------


def _council_or_404(council_id: int) -> Council:
    council = council_get(council_id=council_id)
    if council is None:
        raise NotFound("no such council")
    return council


class CouncilListView(ListAPIView, CovenantAPIView):
    """Every council: one National Council per nation and the Global Council (public)."""

    access = {"get": PUBLIC}

    serializer_class = CouncilSerializer

    def get_queryset(self) -> Any:
        return council_list(nation=query_nation(self.request))

    @extend_schema(
        parameters=[iso3_parameter()],
        responses={200: CouncilSerializer(many=True), **_errors(400, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CouncilDetailView(CovenantAPIView):
    access = {"get": PUBLIC}

    @extend_schema(responses={200: CouncilDetailSerializer, **_errors(404)})
    def get(self, request: Request, council_id: int) -> Response:
        council = _council_or_404(council_id)
        return Response(
            CouncilDetailSerializer(council, context={"seats": council_seats(council=council)}).data
        )


class CouncilChairView(CovenantAPIView):
    """Designate a chair (or undo it): the nation's admins for its National Council, platform
    admins for the Global Council."""

    access = {"post": "roles:grant"}

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ChairInputSerializer,
        responses={200: SeatSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, council_id: int, code: str) -> Response:
        council = _council_or_404(council_id)
        body = ChairInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        seat = council_seat(council=council, code=code)
        if seat is None:
            raise NotFound("no such held seat in this council")
        chair = body.validated_data["chair"]
        seat.is_chair = chair_set(seat=seat, chair=chair, actor=self.principal).is_chair
        return Response(SeatSerializer(seat).data)


# --- Proposals -----------------------------------------------------------------------------------


def _render(proposals: list[Proposal]) -> list[dict[str, Any]]:
    context = {"standings": proposal_standings(proposals), "rosters": rosters_of(proposals)}
    return list(ProposalSerializer(proposals, many=True, context=context).data)


def _render_one(proposal: Proposal) -> dict[str, Any]:
    return _render([proposal])[0]


def _given(request: Request, key: str) -> Any:
    """A key of the request's JSON object as sent (None if absent)."""
    return request.data.get(key) if isinstance(request.data, dict) else None


def _fields(
    data: dict[str, Any], raw_rule: Any, base: counting.Rule | None = None
) -> ProposalFields:
    """ProposalFields from validated input; the rule's given keys replace the base rule's."""
    rule_json = (base or counting.Rule()).to_json()
    if isinstance(raw_rule, dict):
        rule_json.update({key: data["rule"][key] for key in raw_rule if key in data["rule"]})
    return ProposalFields.of(data, rule=rule_json)


class _WritesNeedLogin(CovenantAPIView):
    """Reads are public; writes (POST, PATCH) need a signed-in principal (401 otherwise)."""

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return []
        return [IsAuthenticated()]


class _ProposalPage(GenericAPIView, _WritesNeedLogin):
    serializer_class = ProposalSerializer

    def proposals_response(self, *, council: Council | None) -> Response:
        state = query_text(self.request, "status", max_length=16)
        if state and state not in ProposalStatus.values:
            raise serializers.ValidationError(
                {"status": [f"one of {', '.join(ProposalStatus.values)}"]}
            )
        proposals = proposal_list(principal=self.principal, council=council, status=state or None)
        page = self.paginate_queryset(proposals)
        return self.get_paginated_response(_render(list(page or [])))


class ProposalListView(_ProposalPage):
    """Every council's proposals, newest first (drafts only for their councils' members)."""

    access = {"get": PUBLIC}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "council",
                {"type": "integer", "minimum": 1, "maximum": 10**12 - 1},
                description="a council's id (404 if none has it)",
            ),
            OpenApiParameter("status", str, enum=ProposalStatus.values),
        ],
        responses={200: ProposalSerializer(many=True), **_errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        council = None
        raw_council = request.query_params.get("council")
        if raw_council is not None:
            if not (raw_council.isascii() and raw_council.isdigit()) or len(raw_council) > 12:
                raise serializers.ValidationError({"council": ["a council id (digits)"]})
            council = _council_or_404(int(raw_council))
        return self.proposals_response(council=council)


class CouncilProposalsView(_ProposalPage):
    """GET the council's proposals (drafts only for its members); POST drafts one."""

    access = {"get": PUBLIC, "post": "proposals:create|global_proposals:create"}

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ProposalStatus.values)],
        responses={200: ProposalSerializer(many=True), **_errors(400, 404)},
    )
    def get(self, request: Request, council_id: int) -> Response:
        return self.proposals_response(council=_council_or_404(council_id))

    @extend_schema(
        request=ProposalInputSerializer,
        responses={201: ProposalSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, council_id: int) -> Response:
        council = _council_or_404(council_id)
        body = ProposalInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = _fields(body.validated_data, _given(request, "rule"))
        proposal = proposal_create(council=council, fields=fields, actor=self.principal)
        proposal = proposal_get(principal=self.principal, proposal_id=proposal.pk)
        return Response(_render_one(proposal), status=status.HTTP_201_CREATED)


class ProposalDetailView(_WritesNeedLogin):
    access = {"get": PUBLIC, "patch": "proposals:create|global_proposals:create"}

    @extend_schema(responses={200: ProposalSerializer, **_errors(404)})
    def get(self, request: Request, proposal_id: int) -> Response:
        return Response(
            _render_one(proposal_get(principal=self.principal, proposal_id=proposal_id))
        )

    @extend_schema(
        request=ProposalUpdateSerializer,
        responses={200: ProposalSerializer, **_errors(400, 401, 403, 404, 409)},
        summary="Edit a draft (its text, rule and dates); frozen once it opens",
    )
    def patch(self, request: Request, proposal_id: int) -> Response:
        proposal = proposal_get(principal=self.principal, proposal_id=proposal_id)
        body = ProposalUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        current = {
            "kind": proposal.kind,
            "title": proposal.title,
            "body": proposal.body,
            "project": proposal.project_id,
            "amount_usd": proposal.amount_usd,
            "opens_at": proposal.opens_at,
            "closes_at": proposal.closes_at,
            "secret_ballot": proposal.secret_ballot,
            "hide_results_until_close": proposal.hide_results_until_close,
        }
        given = {k: v for k, v in body.validated_data.items() if k in request.data}
        current.update({k: v for k, v in given.items() if k != "rule"})
        current["rule"] = given.get("rule", {})
        fields = _fields(current, _given(request, "rule"), base=proposal.rule)
        proposal = proposal_update(proposal=proposal, fields=fields, actor=self.principal)
        return Response(
            _render_one(proposal_get(principal=self.principal, proposal_id=proposal.pk))
        )


class _TransitionView(CovenantAPIView):
    access = {"post": "proposals:create|global_proposals:create"}

    permission_classes = [IsAuthenticated]
    service: Any = None

    def post(self, request: Request, proposal_id: int) -> Response:
        proposal = proposal_get(principal=self.principal, proposal_id=proposal_id)
        type(self).service(proposal=proposal, actor=self.principal)
        return Response(
            _render_one(proposal_get(principal=self.principal, proposal_id=proposal_id))
        )


_TRANSITION_SCHEMA: dict[str, Any] = {
    "request": None,
    "responses": {200: ProposalSerializer, **_errors(401, 403, 404, 409)},
}


class ProposalOpenView(_TransitionView):
    service = staticmethod(proposal_open)

    @extend_schema(summary="Open the vote: freeze and hash the roster", **_TRANSITION_SCHEMA)
    def post(self, request: Request, proposal_id: int) -> Response:
        return super().post(request, proposal_id)


class ProposalCloseView(_TransitionView):
    service = staticmethod(proposal_close)

    @extend_schema(
        summary="Close the vote: count, decide, allocate a passed budget", **_TRANSITION_SCHEMA
    )
    def post(self, request: Request, proposal_id: int) -> Response:
        return super().post(request, proposal_id)


class ProposalWithdrawView(_TransitionView):
    service = staticmethod(proposal_withdraw)

    @extend_schema(summary="Withdraw a draft or an open vote", **_TRANSITION_SCHEMA)
    def post(self, request: Request, proposal_id: int) -> Response:
        return super().post(request, proposal_id)


# --- Ballots, standing, log, bundle --------------------------------------------------------------


class BallotView(_WritesNeedLogin):
    """GET: who voted (and how, when that is public); POST: cast or change your seat's ballot."""

    access = {"get": PUBLIC, "post": "ballots:cast|global_ballots:cast"}

    @extend_schema(responses={200: SeatBallotSerializer(many=True), **_errors(404)})
    def get(self, request: Request, proposal_id: int) -> Response:
        proposal = proposal_get(principal=self.principal, proposal_id=proposal_id)
        return Response(
            [
                {"seat": row.entry.seat_code, "voted": row.voted, "choice": row.choice}
                for row in roster_votes(proposal)
            ]
        )

    @extend_schema(
        request=BallotInputSerializer,
        responses={
            201: OpenApiResponse(ReceiptSerializer, description="the seat's first ballot"),
            200: OpenApiResponse(ReceiptSerializer, description="a changed (or the same) ballot"),
            **_errors(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, proposal_id: int) -> Response:
        proposal = proposal_get(principal=self.principal, proposal_id=proposal_id)
        body = BallotInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = ballot_cast(
            proposal=proposal,
            choice=body.validated_data["choice"],
            seat_code=body.validated_data.get("seat"),
            actor=self.principal,
        )
        data = ReceiptSerializer(result.ballot, context={"changed": result.changed}).data
        return Response(
            data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


class MyBallotsView(CovenantAPIView):
    access = {"get": SIGNED_IN}

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: ReceiptSerializer(many=True), **_errors(401, 404)},
        summary="Your seats' ballots on this proposal, with their receipts",
    )
    def get(self, request: Request, proposal_id: int) -> Response:
        proposal = proposal_get(principal=self.principal, proposal_id=proposal_id)
        ballots = my_ballots(principal=self.principal, proposal=proposal)
        return Response(ReceiptSerializer(ballots, many=True, context={"changed": True}).data)


class StandingView(CovenantAPIView):
    """The live standing of a vote: one row read, whatever the number of ballots."""

    access = {"get": PUBLIC}

    @extend_schema(responses={200: StandingSerializer, **_errors(404)})
    def get(self, request: Request, proposal_id: int) -> Response:
        proposal = proposal_get(principal=self.principal, proposal_id=proposal_id)
        return Response(standing_json(proposal_standing(proposal)))


class VoteLogView(ListAPIView, CovenantAPIView):
    """The vote log, for auditors (votes:read_log) before it is published in the bundle."""

    access = {"get": "votes:read_log"}

    serializer_class = VoteLogEntrySerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        proposal = proposal_get(principal=self.principal, proposal_id=self.kwargs["proposal_id"])
        return vote_log(principal=self.principal, proposal=proposal)

    @extend_schema(responses={200: VoteLogEntrySerializer(many=True), **_errors(401, 403, 404)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class BundleView(CovenantAPIView):
    access = {"get": PUBLIC}

    @extend_schema(
        responses={
            200: BundleSchema,
            **_errors(404),
            409: OpenApiResponse(ErrorSerializer, description="the vote has not closed yet"),
        },
        summary="The tally bundle (public once the vote closes): recount it offline",
    )
    def get(self, request: Request, proposal_id: int) -> Any:
        proposal = proposal_get(principal=self.principal, proposal_id=proposal_id)
        if proposal.status != ProposalStatus.CLOSED:
            raise Conflict(
                f"the bundle is published when the vote closes (it is {proposal.status})"
            )
        response = JsonResponse(proposal_bundle(proposal), json_dumps_params={"indent": 1})
        response["Content-Disposition"] = f'inline; filename="proposal-{proposal.pk}-bundle.json"'
        return response


# --- Notifications -------------------------------------------------------------------------------


class NotificationListView(ListAPIView, CovenantAPIView):
    """Your governance notifications, newest first."""

    access = {"get": SIGNED_IN}

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        assert self.principal.user is not None
        return notification_list(user=self.principal.user)

    @extend_schema(responses={200: NotificationSerializer(many=True), **_errors(401)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class UnreadView(CovenantAPIView):
    access = {"get": SIGNED_IN}

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UnreadSerializer, **_errors(401)})
    def get(self, request: Request) -> Response:
        assert self.principal.user is not None
        return Response({"unread": unread_count(user=self.principal.user)})


class NotificationReadView(CovenantAPIView):
    access = {"post": SIGNED_IN}

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: NotificationSerializer, **_errors(401, 404)})
    def post(self, request: Request, notification_id: int) -> Response:
        assert self.principal.user is not None
        notification = (
            notification_list(user=self.principal.user).filter(pk=notification_id).first()
        )
        if notification is None:
            raise NotFound("no such notification")
        notification = notification_read(notification=notification, actor=self.principal)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(CovenantAPIView):
    access = {"post": SIGNED_IN}

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: UnreadSerializer, **_errors(401)})
    def post(self, request: Request) -> Response:
        notifications_read_all(actor=self.principal)
        return Response({"unread": 0})


class NotificationSettingsView(CovenantAPIView):
    access = {"get": SIGNED_IN, "patch": SIGNED_IN}

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: NotificationSettingsSerializer, **_errors(401)})
    def get(self, request: Request) -> Response:
        assert self.principal.user is not None
        current = notification_settings(user=self.principal.user)
        return Response({"muted": current.muted, "email_muted": current.email_muted})

    @extend_schema(
        request=NotificationSettingsSerializer,
        responses={200: NotificationSettingsSerializer, **_errors(400, 401)},
    )
    def patch(self, request: Request) -> Response:
        body = NotificationSettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = notification_settings_update(actor=self.principal, **body.validated_data)
        return Response({"muted": updated.muted, "email_muted": updated.email_muted})
