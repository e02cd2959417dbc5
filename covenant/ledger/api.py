"""The ledger's API: postings for auditors and platform admins, contributions, reversals."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.access.principal import may
from covenant.api.base import (
    CleanTextField,
    CovenantAPIView,
    MoneyField,
    NationAPIView,
    StrictSerializer,
    iso3_parameter,
    query_choice,
    query_nation,
)
from covenant.errors import Forbidden, NotFound
from covenant.nations.tenancy import all_nations, nation_scope

from .models import Kind, LedgerEntry, LedgerLine
from .selectors import ledger_entry_list
from .services import contribution_post, entry_reverse


class LedgerLineSerializer(serializers.ModelSerializer):
    debit = MoneyField(read_only=True)
    credit = MoneyField(read_only=True)

    class Meta:
        model = LedgerLine
        fields = ["account", "debit", "credit"]


class LedgerEntrySerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.iso3")
    amount_usd = MoneyField(read_only=True)
    lines = LedgerLineSerializer(many=True)
    reverses = serializers.IntegerField(source="reverses_id", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "nation",
            "kind",
            "amount_usd",
            "effective_on",
            "fiscal_year",
            "reference",
            "memo",
            "source",
            "reverses",
            "recorded_at",
            "lines",
        ]


class LedgerEntryListView(ListAPIView, CovenantAPIView):
    """Postings, newest first: auditors see their nations', platform admins all. Read-only:
    PUT, PATCH and DELETE answer 405."""

    serializer_class = LedgerEntrySerializer
    access = {"get": "ledger:read"}

    def get_queryset(self) -> Any:
        nation = query_nation(self.request)
        kind = query_choice(self.request, "kind", list(Kind.values))
        return ledger_entry_list(principal=self.principal, nation=nation, kind=kind)

    @extend_schema(
        parameters=[iso3_parameter(), OpenApiParameter("kind", str, enum=list(Kind.values))]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class LedgerEntryDetailView(CovenantAPIView):
    """One posting with its lines."""

    access = {"get": "ledger:read"}

    @extend_schema(responses=LedgerEntrySerializer)
    def get(self, request: Request, entry_id: int) -> Response:
        entry = ledger_entry_list(principal=self.principal).filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("no such posting")
        return Response(LedgerEntrySerializer(entry).data)


class ReversalInput(StrictSerializer):
    reason = CleanTextField(max_length=180)


class LedgerEntryReverseView(CovenantAPIView):
    """Correct a posting by a mirror posting (once per posting; a reversal is not reversed)."""

    access = {"post": "ledger:reverse"}

    @extend_schema(request=ReversalInput, responses={201: LedgerEntrySerializer})
    def post(self, request: Request, entry_id: int) -> Response:
        if not may(self.principal, "ledger:reverse"):
            raise Forbidden("only a platform admin reverses postings")
        payload = ReversalInput(data=request.data)
        payload.is_valid(raise_exception=True)
        with all_nations(reason="platform admin reversing a posting by id"):
            entry = LedgerEntry.objects.select_related("nation").filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("no such posting")
        reversal = entry_reverse(
            entry=entry, reason=payload.validated_data["reason"], actor=self.principal
        )
        with nation_scope(reversal.nation):
            body = LedgerEntrySerializer(reversal).data
        return Response(body, status=status.HTTP_201_CREATED)


class ContributionInput(StrictSerializer):
    amount_usd = MoneyField(positive=True)
    received_on = serializers.DateField()
    reference = CleanTextField(max_length=120, allow_blank=True, default="")


class ContributionListView(ListAPIView, NationAPIView):
    """A nation's contributions (platform admin); POST records one. A `reference` already used
    for the nation is a 409."""

    serializer_class = LedgerEntrySerializer
    access = {"get": "contributions:read", "post": "contributions:create"}

    def get_queryset(self) -> Any:
        if not may(self.principal, "contributions:read", nation=self.nation):
            raise Forbidden("only a platform admin reads contributions here")
        return (
            LedgerEntry.objects.filter(kind=Kind.CONTRIBUTION)
            .select_related("nation")
            .prefetch_related("lines")
            .order_by("-effective_on", "-id")
        )

    @extend_schema(request=ContributionInput, responses={201: LedgerEntrySerializer})
    def post(self, request: Request, iso3: str) -> Response:
        if not may(self.principal, "contributions:create", nation=self.nation):
            raise Forbidden("only a platform admin records contributions")
        payload = ContributionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = contribution_post(
            nation=self.nation,
            amount_usd=payload.validated_data["amount_usd"],
            received_on=payload.validated_data["received_on"],
            reference=payload.validated_data["reference"],
            actor=self.principal,
        )
        return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
