"""The privacy requests API (SPEC §5): file, list, read, and the admins' transitions. Thin: the
rules live in the services; these views parse and translate."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import (
    SIGNED_IN,
    CovenantAPIView,
    StrictSerializer,
    iso3_parameter,
    query_choice,
    query_nation,
)
from covenant.api.errors import error_body
from covenant.api.schema import ErrorSerializer
from covenant.errors import Invalid, NotFound
from covenant.nations.models import Nation

from . import deadlines
from .exports import export_download_path
from .models import (
    Channel,
    ExportState,
    PrivacyRequest,
    ReasonCode,
    Regime,
    RequestType,
    Status,
)
from .selectors import privacy_request_get, privacy_request_list
from .services import (
    DuplicateRequest,
    Filing,
    privacy_request_complete,
    privacy_request_extend,
    privacy_request_file,
    privacy_request_reject,
    privacy_request_verify,
)


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    meaning = {
        400: "invalid input (the fields say which)",
        401: "not signed in",
        403: "signed in, but may not do this",
        404: "no such request, or not one you may see",
        409: "not allowed in the request's state, a duplicate, a second or late extension",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=meaning[code]) for code in codes}


class PrivacyRequestSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.iso3")
    type = serializers.ChoiceField(choices=RequestType.choices)
    regime = serializers.ChoiceField(choices=Regime.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    reason_code = serializers.ChoiceField(choices=ReasonCode.choices, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    subject_email = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    extended = serializers.SerializerMethodField()
    export_state = serializers.SerializerMethodField()
    export_url = serializers.SerializerMethodField()
    export_expires_at = serializers.SerializerMethodField()

    class Meta:
        model = PrivacyRequest
        fields = [
            "id",
            "nation",
            "type",
            "regime",
            "status",
            "reason_code",
            "received_on",
            "due_on",
            "overdue",
            "extended",
            "extended_on",
            "extension_reason",
            "on_behalf",
            "channel",
            "subject_email",
            "details",
            "export_state",
            "export_url",
            "export_expires_at",
            "created_at",
            "closed_at",
        ]

    def to_representation(self, instance: PrivacyRequest) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["reason_code"] = instance.reason_code or None
        return data

    def _viewer_id(self) -> int | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return getattr(user, "pk", None)

    def get_subject_email(self, obj: PrivacyRequest) -> str:
        if obj.subject_id is not None:
            return obj.subject.email if obj.subject is not None else ""
        return obj.subject_email

    def get_overdue(self, obj: PrivacyRequest) -> bool:
        return deadlines.is_overdue(due_on=obj.due_on, is_open=obj.is_open)

    def get_extended(self, obj: PrivacyRequest) -> bool:
        return obj.extended_on is not None

    @extend_schema_field(serializers.ChoiceField(choices=ExportState.choices, allow_null=True))
    def get_export_state(self, obj: PrivacyRequest) -> str | None:
        export = getattr(obj, "export", None)
        return export.state if export is not None else None

    def get_export_url(self, obj: PrivacyRequest) -> str | None:
        """The signed download link: for the subject only, while the export is ready."""
        path = export_download_path(obj, viewer_id=self._viewer_id())
        request = self.context.get("request")
        if path is None or request is None:
            return path
        return request.build_absolute_uri(path)

    def get_export_expires_at(self, obj: PrivacyRequest) -> str | None:
        export = getattr(obj, "export", None)
        if export is None or export.state != ExportState.READY or export.expires_at is None:
            return None
        return export.expires_at.isoformat()


class PrivacyRequestCreateInput(StrictSerializer):
    nation = serializers.CharField(
        max_length=3, required=False, help_text="ISO3 of the nation; default: your nation"
    )
    type = serializers.ChoiceField(choices=RequestType.choices)
    regime = serializers.ChoiceField(choices=Regime.choices)
    details = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    subject_email = serializers.EmailField(
        max_length=254, required=False, help_text="on behalf (nation admins): who it is about"
    )
    received_on = serializers.DateField(
        required=False, help_text="on behalf: the real date of receipt (UTC)"
    )
    channel = serializers.ChoiceField(
        choices=[c for c in Channel.choices if c[0] != Channel.PORTAL],
        required=False,
        help_text="on behalf: how it was received",
    )


class VerifyInput(StrictSerializer):
    outcome = serializers.ChoiceField(
        choices=[("started", "Verification started"), ("verified", "Identity verified")],
        required=False,
        default="verified",
    )


class ExtendInput(StrictSerializer):
    reason = serializers.CharField(max_length=500)


class RejectInput(StrictSerializer):
    reason_code = serializers.ChoiceField(choices=ReasonCode.choices)


class EmptyInput(StrictSerializer):
    pass


def _nation_for(principal: Any, iso3: str | None) -> Nation:
    if iso3:
        nation = Nation.objects.filter(iso3=iso3.upper()).first()
        if nation is None:
            raise Invalid("unknown nation", fields={"nation": [f"'{iso3}' is not a member nation"]})
        return nation
    nation_ids = {m.nation_id for m in principal.memberships}
    if len(nation_ids) == 1:
        return Nation.objects.get(pk=nation_ids.pop())
    raise Invalid(
        "which nation is the request for?",
        fields={"nation": ["required: the ISO3 code of the nation you file with"]},
    )


class PrivacyRequestListView(ListAPIView, CovenantAPIView):
    """GET your requests and, for nation admins, their nations' queues (by due date, overdue
    flagged); POST files a request about yourself, or on someone's behalf (nation admins)."""

    access = {"get": SIGNED_IN, "post": "privacy:file"}

    serializer_class = PrivacyRequestSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        nation = query_nation(self.request)
        status_filter = query_choice(self.request, "status", list(Status.values))
        overdue_text = query_choice(self.request, "overdue", ["true", "false"])
        overdue = None if overdue_text is None else overdue_text == "true"
        return privacy_request_list(
            principal=self.principal, nation=nation, status=status_filter, overdue=overdue
        ).select_related("subject")

    @extend_schema(
        parameters=[
            iso3_parameter(),
            OpenApiParameter("status", str, enum=Status.values),
            OpenApiParameter("overdue", bool),
        ],
        responses={200: PrivacyRequestSerializer(many=True), **_errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PrivacyRequestCreateInput,
        responses={201: PrivacyRequestSerializer, **_errors(400, 401, 403, 409)},
    )
    def post(self, request: Request) -> Response:
        payload = PrivacyRequestCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        nation = _nation_for(self.principal, data.get("nation"))
        try:
            created = privacy_request_file(
                nation=nation,
                filing=Filing(
                    regime=data["regime"],
                    type=data["type"],
                    details=data.get("details", ""),
                    subject_email=data.get("subject_email"),
                    received_on=data.get("received_on"),
                    channel=data.get("channel"),
                ),
                actor=self.principal,
            )
        except DuplicateRequest as duplicate:
            location = reverse("api-privacy-request", kwargs={"request_id": duplicate.existing_id})
            return Response(
                error_body(duplicate.code, duplicate.message),
                status=status.HTTP_409_CONFLICT,
                headers={"Location": request.build_absolute_uri(location)},
            )
        found = privacy_request_get(principal=self.principal, request_id=created.pk) or created
        return Response(
            PrivacyRequestSerializer(found, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class PrivacyRequestDetailView(CovenantAPIView):
    access = {"get": SIGNED_IN}

    permission_classes = [IsAuthenticated]

    def _request(self, request_id: int) -> PrivacyRequest:
        found = privacy_request_get(principal=self.principal, request_id=request_id)
        if found is None:
            raise NotFound("no such privacy request")
        return found

    def _answer(self, request_id: int, http_status: int = status.HTTP_200_OK) -> Response:
        return Response(
            PrivacyRequestSerializer(
                self._request(request_id), context={"request": self.request}
            ).data,
            status=http_status,
        )

    @extend_schema(responses={200: PrivacyRequestSerializer, **_errors(401, 404)})
    def get(self, request: Request, request_id: int) -> Response:
        return self._answer(request_id)


class PrivacyRequestTransitionView(PrivacyRequestDetailView):
    # The base of the admins' transitions: POST the input, get the request back.
    access = {"post": "privacy:manage"}

    http_method_names = ["post", "options"]

    def _input(self, serializer_class: type[StrictSerializer]) -> Any:
        body = self.request.data
        payload = serializer_class(data=body if body not in (None, "") else {})
        payload.is_valid(raise_exception=True)
        return payload.validated_data


TRANSITION_ERRORS = _errors(400, 401, 403, 404, 409)


class PrivacyRequestVerifyView(PrivacyRequestTransitionView):
    @extend_schema(
        summary="Verification started (received → verifying) or identity verified (→ in_progress)",
        request=VerifyInput,
        responses={200: PrivacyRequestSerializer, **TRANSITION_ERRORS},
    )
    def post(self, request: Request, request_id: int) -> Response:
        data = self._input(VerifyInput)
        privacy_request_verify(
            request=self._request(request_id),
            actor=self.principal,
            outcome=data.get("outcome", "verified"),
        )
        return self._answer(request_id)


class PrivacyRequestExtendView(PrivacyRequestTransitionView):
    @extend_schema(
        summary="The one extension (on or before the due date, with a reason)",
        request=ExtendInput,
        responses={200: PrivacyRequestSerializer, **TRANSITION_ERRORS},
    )
    def post(self, request: Request, request_id: int) -> Response:
        data = self._input(ExtendInput)
        privacy_request_extend(
            request=self._request(request_id),
            reason=data["reason"],
            actor=self.principal,
        )
        return self._answer(request_id)


class PrivacyRequestCompleteView(PrivacyRequestTransitionView):
    @extend_schema(
        summary="Complete (an erasure is carried out now; an access export completes itself)",
        request=EmptyInput,
        responses={
            200: PrivacyRequestSerializer,
            202: OpenApiResponse(
                PrivacyRequestSerializer,
                description="an access or portability export is being built; the request "
                "completes itself when it is ready",
            ),
            **TRANSITION_ERRORS,
        },
    )
    def post(self, request: Request, request_id: int) -> Response:
        self._input(EmptyInput)
        completion = privacy_request_complete(
            request=self._request(request_id), actor=self.principal
        )
        return self._answer(
            request_id,
            status.HTTP_202_ACCEPTED if completion.accepted else status.HTTP_200_OK,
        )


class PrivacyRequestRejectView(PrivacyRequestTransitionView):
    @extend_schema(
        summary="Reject with a reason code",
        request=RejectInput,
        responses={200: PrivacyRequestSerializer, **TRANSITION_ERRORS},
    )
    def post(self, request: Request, request_id: int) -> Response:
        data = self._input(RejectInput)
        privacy_request_reject(
            request=self._request(request_id),
            reason_code=data["reason_code"],
            actor=self.principal,
        )
        return self._answer(request_id)
