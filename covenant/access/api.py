"""Roles of a nation (with the four-eyes rule) and `/me/`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import CovenantAPIView, NationAPIView, StrictSerializer
from covenant.errors import Forbidden, NotFound

from .models import ApiKey, ApiKeyStatus, RoleAssignment
from .principal import may
from .selectors import api_key_get, api_key_list, role_assignment_get, role_assignment_list
from .services import (
    api_key_create,
    api_key_revoke,
    role_approve,
    role_grant_by_email,
    role_revoke,
)


class CovenantErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False)  # type: ignore[assignment]


class CovenantErrorSerializer(serializers.Serializer):
    """The API's one error shape."""

    error = CovenantErrorBodySerializer()


class RoleAssignmentSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    sector = serializers.SerializerMethodField()

    class Meta:
        model = RoleAssignment
        fields = ["id", "email", "role", "sector", "status", "created_at", "activated_at"]

    def get_sector(self, assignment: RoleAssignment) -> str | None:
        return assignment.sector or None


class RoleGrantInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.CharField(max_length=32)
    sector = serializers.CharField(max_length=32, required=False, allow_blank=True, allow_null=True)


class RoleListView(ListAPIView, NationAPIView):
    """GET the nation's role assignments; POST grants one (nation admin and auditor grants wait
    for a second admin's approval)."""

    serializer_class = RoleAssignmentSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return role_assignment_list(nation=self.nation, principal=self.principal)

    @extend_schema(request=RoleGrantInput, responses={201: RoleAssignmentSerializer})
    def post(self, request: Request, iso3: str) -> Response:
        if not may(self.principal, "roles:grant", nation=self.nation):
            raise Forbidden("you may not grant roles in this nation")
        payload = RoleGrantInput(data=request.data)
        payload.is_valid(raise_exception=True)
        assignment = role_grant_by_email(
            nation=self.nation,
            email=payload.validated_data["email"],
            role=payload.validated_data["role"],
            sector=payload.validated_data.get("sector") or "",
            actor=self.principal,
        )
        return Response(RoleAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class RoleDetailView(NationAPIView):
    permission_classes = [IsAuthenticated]

    def _assignment(self, assignment_id: int) -> RoleAssignment:
        # Reading first checks the principal may see the nation's roles at all (403 otherwise).
        role_assignment_list(nation=self.nation, principal=self.principal)
        assignment = role_assignment_get(nation=self.nation, assignment_id=assignment_id)
        if assignment is None:
            raise NotFound("no such role assignment in this nation")
        return assignment

    @extend_schema(responses=RoleAssignmentSerializer)
    def get(self, request: Request, iso3: str, assignment_id: int) -> Response:
        return Response(RoleAssignmentSerializer(self._assignment(assignment_id)).data)

    @extend_schema(responses=RoleAssignmentSerializer)
    def delete(self, request: Request, iso3: str, assignment_id: int) -> Response:
        revoked = role_revoke(assignment=self._assignment(assignment_id), actor=self.principal)
        return Response(RoleAssignmentSerializer(revoked).data)


class RoleApproveView(RoleDetailView):
    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses=RoleAssignmentSerializer)
    def post(self, request: Request, iso3: str, assignment_id: int) -> Response:
        approved = role_approve(assignment=self._assignment(assignment_id), actor=self.principal)
        return Response(RoleAssignmentSerializer(approved).data)


class MeView(CovenantAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "email": serializers.EmailField(),
                "display_name": serializers.CharField(),
                "is_platform_admin": serializers.BooleanField(),
                "memberships": serializers.ListField(),
                "capabilities": serializers.DictField(),
                "token_scopes": serializers.ListField(allow_null=True),
                "via": serializers.ChoiceField(choices=["session", "token", "key"]),
                "key_nation": serializers.CharField(
                    allow_null=True, help_text="an API key's nation: it acts there only"
                ),
            },
        )
    )
    def get(self, request: Request) -> Response:
        principal = self.principal
        user = principal.user
        assert user is not None
        memberships = [
            {
                "id": m.assignment_id,
                "nation": m.nation_iso3,
                "role": m.role.value,
                "sector": m.sector or None,
            }
            for m in principal.memberships
        ]
        capabilities: dict[str, list[str]] = {}
        if principal.is_platform_admin:
            capabilities["*"] = sorted(principal.capabilities_in(-1))
        for m in principal.memberships:
            caps = principal.capabilities_in(m.nation_id)
            capabilities[m.nation_iso3] = sorted(caps)
        return Response(
            {
                "email": user.email,
                "display_name": user.display_name,
                "is_platform_admin": principal.is_platform_admin,
                "memberships": memberships,
                "capabilities": capabilities,
                "token_scopes": None if principal.scopes is None else sorted(principal.scopes),
                "via": principal.via,
                "key_nation": getattr(getattr(request.auth, "nation", None), "iso3", None)
                if principal.via == "key"
                else None,
            }
        )


# --- API keys -------------------------------------------------------------------------------------


class ApiKeySerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.iso3")
    status = serializers.ChoiceField(choices=ApiKeyStatus.choices)
    scopes = serializers.ListField(child=serializers.CharField())
    created_by = serializers.EmailField(source="created_by.email")

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "nation",
            "prefix",
            "last_four",
            "scopes",
            "status",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="the key itself: shown once, never again")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateInput(StrictSerializer):
    name = serializers.CharField(max_length=80)
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=64
    )
    days = serializers.IntegerField(min_value=1, max_value=366, required=False, default=90)


ERRORS = {
    400: CovenantErrorSerializer,
    401: CovenantErrorSerializer,
    403: CovenantErrorSerializer,
    404: CovenantErrorSerializer,
    409: CovenantErrorSerializer,
    429: CovenantErrorSerializer,
}


class ApiKeyListView(ListAPIView, NationAPIView):
    """GET the nation's API keys; POST creates one (its key is in the answer, once)."""

    serializer_class = ApiKeySerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return api_key_list(nation=self.nation, principal=self.principal)

    @extend_schema(
        responses={
            200: ApiKeySerializer(many=True),
            **{k: v for k, v in ERRORS.items() if k != 409},
        }
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ApiKeyCreateInput, responses={201: ApiKeyCreatedSerializer, **ERRORS})
    def post(self, request: Request, iso3: str) -> Response:
        if not may(self.principal, "api_keys:manage", nation=self.nation):
            raise Forbidden("you may not manage this nation's API keys")
        payload = ApiKeyCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        record, key = api_key_create(
            nation=self.nation,
            name=payload.validated_data["name"],
            scopes=payload.validated_data["scopes"],
            days=payload.validated_data["days"],
            actor=self.principal,
        )
        data = dict(ApiKeySerializer(record).data)
        data["key"] = key
        return Response(data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(NationAPIView):
    permission_classes = [IsAuthenticated]

    def _key(self, key_id: int) -> ApiKey:
        api_key_list(nation=self.nation, principal=self.principal)  # 403 unless a manager
        key = api_key_get(nation=self.nation, key_id=key_id)
        if key is None:
            raise NotFound("no such API key in this nation")
        return key

    @extend_schema(responses={200: ApiKeySerializer, **ERRORS})
    def get(self, request: Request, iso3: str, key_id: int) -> Response:
        return Response(ApiKeySerializer(self._key(key_id)).data)

    @extend_schema(
        responses={200: ApiKeySerializer, **ERRORS}, summary="Revoke the key (kept as history)"
    )
    def delete(self, request: Request, iso3: str, key_id: int) -> Response:
        return Response(
            ApiKeySerializer(api_key_revoke(key=self._key(key_id), actor=self.principal)).data
        )


class ApiKeyRevokeView(ApiKeyDetailView):
    http_method_names = ["post", "options"]

    @extend_schema(
        request=None, responses={200: ApiKeySerializer, **ERRORS}, summary="Revoke the key"
    )
    def post(self, request: Request, iso3: str, key_id: int) -> Response:
        return Response(
            ApiKeySerializer(api_key_revoke(key=self._key(key_id), actor=self.principal)).data
        )
