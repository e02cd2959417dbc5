"""The audit log for auditors: entries (their nations' or, for platform admins, all) and the
verification of the whole chain."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import CovenantAPIView, iso3_parameter, query_nation

from .models import AuditEntry
from .selectors import audit_chain_verify_for, audit_entry_list


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
    access = {"get": "audit:read"}

    def get_queryset(self) -> Any:
        return audit_entry_list(principal=self.principal, nation=query_nation(self.request))

    @extend_schema(parameters=[iso3_parameter()])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AuditVerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="The whole chain verifies (it is one chain).")
    entries = serializers.IntegerField(
        help_text="Entries verified: all of them for a platform admin; an auditor's nations' only."
    )
    first_bad = serializers.IntegerField(
        allow_null=True,
        help_text="Sequence of the first bad entry; for an auditor only if it is one of theirs.",
    )
    head = serializers.CharField(
        help_text="Hash of the last verified entry (an auditor's: of their nations' last one). "
        "Record it elsewhere: a truncated tail shows only against a head recorded earlier."
    )
    nations = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The nations an auditor's figures speak of; null for the whole chain.",
    )


class AuditVerifyView(CovenantAPIView):
    """Verify the audit chain. The server walks every entry; a platform admin gets the whole
    chain's count, first bad entry and head. A nation's auditor gets whether the chain as a whole
    verifies, and for their nations only: how many entries verified, which of theirs is the first
    bad one, and the hash of their last one — not the platform's count or head, which would
    reveal other nations' activity."""

    permission_classes = [IsAuthenticated]
    access = {"get": "audit:verify"}

    @extend_schema(responses=AuditVerificationSerializer)
    def get(self, request: Request) -> Response:
        result = audit_chain_verify_for(principal=self.principal)
        return Response(
            {
                "ok": result.ok,
                "entries": result.entries,
                "first_bad": result.first_bad,
                "head": result.head,
                "nations": result.nations,
            }
        )
