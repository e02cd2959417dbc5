"""Roles of a nation (with the four-eyes rule) and `/me/`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import SIGNED_IN, CovenantAPIView, NationAPIView, StrictSerializer
from covenant.api.schema import ErrorSerializer
from covenant.errors import Forbidden, NotFound
from covenant.nations.sectors import sector_slugs

from .models import NATION_ROLE_CHOICES, ApiKey, ApiKeyStatus, RoleAssignment
from .principal import may
from .selectors import api_key_get, api_key_list, role_assignment_get, role_assignment_list
from .services import (
    api_key_create,
    api_key_revoke,
    role_approve,
    role_grant_by_email,
    role_revoke,
)


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
    role = serializers.ChoiceField(choices=NATION_ROLE_CHOICES)
    sector = serializers.ChoiceField(
        choices=[],
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Sector stewards only (required for them).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = sector_slugs()  # type: ignore[attr-defined]


class RoleListView(ListAPIView, NationAPIView):
    """GET the nation's role assignments; POST grants one (nation admin and auditor grants wait
    for a second admin's approval)."""

    serializer_class = RoleAssignmentSerializer
    permission_classes = [IsAuthenticated]
    access = {"get": "roles:read", "post": "roles:grant"}

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
    """One role assignment of the nation; DELETE revokes it (the row stays, as history, and the
    answer is the revoked assignment)."""

    permission_classes = [IsAuthenticated]
    access = {"get": "roles:read", "delete": "roles:revoke"}

    def _assignment(self, assignment_id: int) -> RoleAssignment:
        # First: may the principal do this (read, revoke, approve) in this nation at all? A 403
        # before a 404, so that nothing about another nation's assignments leaks.
        capability = self.access[(self.request.method or "get").lower()]
        if not may(self.principal, capability, nation=self.nation):
            raise Forbidden("you may not manage this nation's roles")
        assignment = role_assignment_get(nation=self.nation, assignment_id=assignment_id)
        if assignment is None:
            raise NotFound("no such role assignment in this nation")
        return assignment

    @extend_schema(responses=RoleAssignmentSerializer)
    def get(self, request: Request, iso3: str, assignment_id: int) -> Response:
        return Response(RoleAssignmentSerializer(self._assignment(assignment_id)).data)

    @extend_schema(responses={200: RoleAssignmentSerializer})
    def delete(self, request: Request, iso3: str, assignment_id: int) -> Response:
        revoked = role_revoke(assignment=self._assignment(assignment_id), actor=self.principal)
        return Response(RoleAssignmentSerializer(revoked).data)


class RoleApproveView(RoleDetailView):
    """A second admin approves a pending nation admin or auditor grant (four-eyes rule)."""

    http_method_names = ["post", "options"]
    access = {"post": "roles:approve"}

    @extend_schema(request=None, responses=RoleAssignmentSerializer)
    def post(self, request: Request, iso3: str, assignment_id: int) -> Response:
        approved = role_approve(assignment=self._assignment(assignment_id), actor=self.principal)
        return Response(RoleAssignmentSerializer(approved).data)


class MeView(CovenantAPIView):
    """The signed-in person: memberships and capabilities per nation, and a token's scopes."""

    permission_classes = [IsAuthenticated]
    access = {"get": SIGNED_IN}

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
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    409: ErrorSerializer,
    429: ErrorSerializer,
}


class ApiKeyListView(ListAPIView, NationAPIView):
    """GET the nation's API keys; POST creates one (its key is in the answer, once)."""

    access = {"get": "api_keys:manage", "post": "api_keys:manage"}

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
    access = {"get": "api_keys:manage", "delete": "api_keys:manage"}

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
    access = {"post": "api_keys:manage"}

    http_method_names = ["post", "options"]

    @extend_schema(
        request=None, responses={200: ApiKeySerializer, **ERRORS}, summary="Revoke the key"
    )
    def post(self, request: Request, iso3: str, key_id: int) -> Response:
        return Response(
            ApiKeySerializer(api_key_revoke(key=self._key(key_id), actor=self.principal)).data
        )
