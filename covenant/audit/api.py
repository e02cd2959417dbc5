"""The audit log for auditors: entries (their nations' or, for platform admins, all) and the
verification of the whole chain."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import CovenantAPIView, query_text
from covenant.errors import Forbidden, NotFound
from covenant.nations.selectors import nation_get

from .models import AuditEntry
from .selectors import audit_chain_verify, audit_entry_list


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "sequence",
            "recorded_at",
            "action",
            "actor",
            "nation",
            "target_type",
            "target_id",
            "data",
            "prev_hash",
            "hash",
        ]


class AuditEntryListView(ListAPIView, CovenantAPIView):
    """Entries in chain order. Auditors see their nations' entries; platform admins all."""

    serializer_class = AuditEntrySerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        iso3 = query_text(self.request, "nation", max_length=8).upper()
        nation = None
        if iso3:
            nation = nation_get(iso3=iso3)
            if nation is None:
                raise NotFound("no such nation")
        return audit_entry_list(principal=self.principal, nation=nation)

    @extend_schema(parameters=[OpenApiParameter("nation", str)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AuditVerifyView(CovenantAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "AuditVerification",
            {
                "ok": serializers.BooleanField(),
                "entries": serializers.IntegerField(),
                "first_bad": serializers.IntegerField(allow_null=True),
                "head": serializers.CharField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        principal = self.principal
        if not (principal.is_platform_admin or principal.nation_ids_with("audit:verify")):
            raise Forbidden("only auditors and platform admins verify the audit log")
        result = audit_chain_verify()
        return Response(
            {
                "ok": result.ok,
                "entries": result.entries,
                "first_bad": result.first_bad,
                "head": result.head,
            }
        )
