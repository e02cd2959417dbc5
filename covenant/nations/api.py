"""Public API of the covenant and its nations."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import PUBLIC, CovenantAPIView, MoneyField, query_text
from covenant.errors import NotFound
from covenant.ledger.selectors import ZERO, ledger_totals_by_nation
from covenant.summary import SUMMARY_DEPENDS_ON, covenant_summary_json

from .models import Nation
from .selectors import nation_detail_parts, nation_get, nation_list


class CovenantSummarySerializer(serializers.Serializer):
    nations = serializers.IntegerField()
    contribution_rate = serializers.DecimalField(max_digits=6, decimal_places=4)
    total_gdp_usd = MoneyField(read_only=True)
    annual_pledge_usd = MoneyField(read_only=True)
    received_usd = MoneyField(read_only=True)
    disbursed_usd = MoneyField(read_only=True)
    balance_usd = MoneyField(read_only=True)
    projects = serializers.IntegerField()


class CovenantSummaryView(CovenantAPIView):
    """Public and hot: no authentication to run, and the JSON comes ready from the cache."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    access = {"get": PUBLIC}
    public_cache = SUMMARY_DEPENDS_ON

    @extend_schema(responses=CovenantSummarySerializer, summary="The covenant's totals")
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(covenant_summary_json(), content_type="application/json")


class NationSerializer(serializers.ModelSerializer):
    gdp_usd = serializers.SerializerMethodField()
    annual_pledge_usd = MoneyField(read_only=True, allow_null=True)
    received_usd = serializers.SerializerMethodField()
    pledge_missing = serializers.BooleanField()

    class Meta:
        model = Nation
        fields = [
            "iso3",
            "iso2",
            "name",
            "region",
            "subregion",
            "income_group",
            "population",
            "gdp_usd",
            "gdp_year",
            "annual_pledge_usd",
            "received_usd",
            "pledge_missing",
        ]

    @extend_schema_field(MoneyField(read_only=True, allow_null=True))
    def get_gdp_usd(self, nation: Nation) -> str | None:
        return None if nation.gdp_usd is None else f"{nation.gdp_usd}.00"

    @extend_schema_field(MoneyField(read_only=True))
    def get_received_usd(self, nation: Nation) -> str:
        totals = self.context.get("totals", {}).get(nation.pk)
        return str(totals.received_usd if totals else ZERO)


class NationListView(ListAPIView, CovenantAPIView):
    """The 195 member nations, by name (or by relevance with `q`), with their pledge and what
    they paid."""

    serializer_class = NationSerializer
    access = {"get": PUBLIC}
    public_cache = ("nations", "ledger")

    def get_queryset(self) -> Any:
        return nation_list(
            region=query_text(self.request, "region", max_length=64),
            income_group=query_text(self.request, "income_group", max_length=64),
            q=query_text(self.request, "q"),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        # every nation's totals: one cached map, whatever the page
        return {**super().get_serializer_context(), "totals": ledger_totals_by_nation()}

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str),
            OpenApiParameter("income_group", str),
            OpenApiParameter("q", str, description="search names and ISO codes"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class NationSectorSerializer(serializers.Serializer):
    sector = serializers.CharField()
    name = serializers.CharField()
    projects = serializers.IntegerField()
    budget_usd = MoneyField(read_only=True)
    carbon_tco2e = MoneyField(read_only=True, signed=True)


class NationDetailSerializer(NationSerializer):
    sectors = NationSectorSerializer(many=True, help_text="Per-sector projects and budgets.")

    class Meta(NationSerializer.Meta):
        fields = [*NationSerializer.Meta.fields, "sectors"]


class NationDetailView(CovenantAPIView):
    """One nation (ISO 3166 alpha-3 code, any case): the list's fields plus its projects per
    sector."""

    access = {"get": PUBLIC}
    public_cache = ("nations", "ledger", "projects")

    @extend_schema(responses=NationDetailSerializer)
    def get(self, request: Request, iso3: str) -> Response:
        nation = nation_get(iso3=iso3)
        if nation is None:
            raise NotFound("no such nation")
        totals = ledger_totals_by_nation(nation_ids=[nation.pk])
        data = dict(NationSerializer(nation, context={"totals": totals}).data)
        data.update(nation_detail_parts(nation))
        return Response(data)
