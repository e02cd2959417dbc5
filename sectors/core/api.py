"""The sectors' REST API: sectors with their totals, the public project catalogue, project
writes, minerals profit distributions and the ESG CSV reports. Thin: rules live in services."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from covenant.api.base import (
    ISO3_PATTERN,
    MAX_TEXT,
    PUBLIC,
    CleanTextField,
    CovenantAPIView,
    MoneyField,
    NationAPIView,
    StrictSerializer,
    iso3_parameter,
    query_nation,
)
from covenant.errors import Conflict, NotFound
from covenant.memo import ProcessMemo
from covenant.nations.selectors import nation_get
from covenant.summary import PROCESS_MEMO_SECONDS

from .esg import esg_csv_lines
from .models import Project, ProjectStatus
from .registry import sector_spec, sector_specs
from .selectors import (
    project_count,
    project_get,
    project_list,
    sector_detail,
    sector_overviews,
    sector_statistics,
)
from .services import project_create, project_update


def _sector_choices() -> list[str]:
    return [spec.slug for spec in sector_specs()]


class ProjectSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.iso3", help_text="ISO 3166 alpha-3")
    sector = serializers.ChoiceField(choices=[])
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    budget_usd = MoneyField(read_only=True)
    carbon_tco2e = MoneyField(read_only=True, signed=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "sector",
            "nation",
            "status",
            "flagship",
            "budget_usd",
            "metrics",
            "carbon_tco2e",
            "description",
            "start_on",
            "end_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = _sector_choices()  # type: ignore[attr-defined]


class ProjectWriteSerializer(StrictSerializer):
    name = CleanTextField(max_length=200)
    description = CleanTextField(
        multiline=True, max_length=MAX_TEXT, allow_blank=True, required=False
    )
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)
    budget_usd = MoneyField(required=False)  # below 10^12 (MAX_BUDGET)
    carbon_tco2e = MoneyField(signed=True, whole_digits=11, required=False)  # |x| < MAX_CARBON
    start_on = serializers.DateField(required=False, allow_null=True)
    end_on = serializers.DateField(required=False, allow_null=True)
    flagship = serializers.BooleanField(required=False)
    metrics = serializers.JSONField(required=False)
    # The rules (status values, end after start, metrics per sector) live in the services.


class ProjectCreateSerializer(ProjectWriteSerializer):
    sector = serializers.ChoiceField(choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = _sector_choices()  # type: ignore[attr-defined]


class ProjectUpdateSerializer(ProjectWriteSerializer):
    name = CleanTextField(max_length=200, required=False)


class ProfitDistributionInSerializer(StrictSerializer):
    profit_usd = MoneyField(positive=True)


class ProfitDistributionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField()
    profit_usd = MoneyField(read_only=True)
    community_usd = MoneyField(read_only=True)
    fund_usd = MoneyField(read_only=True)
    reinvestment_usd = MoneyField(read_only=True)
    distributed_on = serializers.DateField()
    ledger_entry = serializers.IntegerField(allow_null=True)


class SectorSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    summary = serializers.CharField()
    projects = serializers.IntegerField()
    budget_usd = MoneyField(read_only=True)
    carbon_tco2e = MoneyField(read_only=True, signed=True)
    metrics = serializers.DictField()
    verse = serializers.DictField(allow_null=True)


class SectorRegionSerializer(serializers.Serializer):
    region = serializers.CharField()
    projects = serializers.IntegerField()
    budget_usd = MoneyField(read_only=True)
    carbon_tco2e = MoneyField(read_only=True, signed=True)
    metrics = serializers.DictField()


class SectorDetailSerializer(SectorSerializer):
    by_region = SectorRegionSerializer(many=True)


class SectorPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = SectorSerializer(many=True)


class ProjectFilterSerializer(serializers.Serializer):
    sector = serializers.ChoiceField(choices=[], required=False)
    nation = serializers.RegexField(ISO3_PATTERN, required=False)
    status = serializers.ChoiceField(choices=ProjectStatus.values, required=False)
    flagship = serializers.ChoiceField(choices=["true", "false"], required=False)
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = _sector_choices()  # type: ignore[attr-defined]


def _slug_parameter() -> OpenApiParameter:
    return OpenApiParameter("slug", str, OpenApiParameter.PATH, enum=_sector_choices())


def _require_login(view: CovenantAPIView) -> None:
    if not view.principal.is_authenticated:
        raise exceptions.NotAuthenticated()


def _listing(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(data), "next": None, "previous": None, "results": data}


# The sector summaries are public and hot: rendered once, then served from this process for a
# couple of seconds (a project write clears it at once here; see covenant.memo).
_rendered: ProcessMemo[bytes | None] = ProcessMemo(PROCESS_MEMO_SECONDS)


def _json(data: Any) -> bytes:
    return bytes(JSONRenderer().render(data))


class SectorListView(CovenantAPIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    access = {"get": PUBLIC}
    public_cache = ("projects",)

    @extend_schema(
        operation_id="sectors_list",
        responses=SectorPageSerializer,
        summary="The six sectors with their totals and a Codex verse",
    )
    def get(self, request: Request) -> HttpResponse:
        body = _rendered.get("sectors", lambda: _json(_listing(sector_overviews())))
        return HttpResponse(body, content_type="application/json")


class SectorDetailView(CovenantAPIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    access = {"get": PUBLIC}
    public_cache = ("projects",)

    @extend_schema(
        parameters=[_slug_parameter()],
        operation_id="sectors_retrieve",
        responses=SectorDetailSerializer,
        summary="One sector's totals, and the same by region",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        def render() -> bytes | None:
            detail = sector_detail(slug)
            return None if detail is None else _json(detail)

        body = _rendered.get(("sector", slug[:40]), render)
        if body is None:
            raise NotFound("no such sector")
        return HttpResponse(body, content_type="application/json")


class ProjectListView(ListAPIView, CovenantAPIView):
    """The public project catalogue: flagships first, then by name (by relevance with `q`)."""

    serializer_class = ProjectSerializer
    access = {"get": PUBLIC}
    public_cache = ("projects",)

    _filters: dict[str, Any]

    def get_queryset(self) -> Any:
        empty = [
            name
            for name in ("sector", "nation", "status", "flagship")
            if self.request.query_params.get(name) == ""
        ]
        if empty:  # DRF would skip an empty query value; an empty filter is no valid value
            raise serializers.ValidationError({name: ["may not be empty"] for name in empty})
        filters = ProjectFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        params = self._filters = {
            key: value for key, value in filters.validated_data.items() if value not in (None, "")
        }
        if "flagship" in params:
            params["flagship"] = params["flagship"] == "true"
        nation = query_nation(self.request) if params.get("nation") else None
        return project_list(
            sector=params.get("sector"),
            nation=nation,
            status=params.get("status"),
            flagship=params.get("flagship"),
            q=params.get("q"),
        )

    def known_count(self) -> int | None:
        """Unfiltered or by sector only: the count is in the cached statistics."""
        if not set(self._filters) <= {"sector"}:
            return None
        if "sector" in self._filters:
            totals = sector_statistics().get(self._filters["sector"])
            return totals.projects if totals is not None else 0
        return project_count()

    @extend_schema(
        parameters=[
            OpenApiParameter("sector", str, enum=_sector_choices()),
            iso3_parameter(),
            OpenApiParameter("status", str, enum=list(ProjectStatus.values)),
            OpenApiParameter("flagship", bool, description="`true` or `false`"),
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": 200},
                description="full-text search of names and descriptions",
            ),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _project_or_404(project_id: int) -> Project:
    project = project_get(project_id=project_id)
    if project is None:
        raise NotFound("no such project")
    return project


class ProjectDetailView(CovenantAPIView):
    access = {"get": PUBLIC, "patch": "projects:update"}
    public_cache = ("projects",)  # GET only

    @extend_schema(responses=ProjectSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        return Response(ProjectSerializer(_project_or_404(project_id)).data)

    @extend_schema(request=ProjectUpdateSerializer, responses=ProjectSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        """Change a project (its sector's stewards in its nation, its nation's admins, platform
        admins). Metrics merge into the current ones; `null` removes one."""
        _require_login(self)
        project = _project_or_404(project_id)
        body = ProjectUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        project = project_update(
            project=project, fields=dict(body.validated_data), actor=self.principal
        )
        return Response(ProjectSerializer(project).data)


class NationProjectListView(NationAPIView):
    access = {"post": "projects:create"}

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def post(self, request: Request, iso3: str) -> Response:
        """Create a project of the nation (the sector's stewards in the nation, its admins,
        platform admins); metrics are checked against the sector's declaration."""
        _require_login(self)
        body = ProjectCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        sector = fields.pop("sector")
        project = project_create(
            nation=self.nation, sector=sector, fields=fields, actor=self.principal
        )
        return Response(ProjectSerializer(project).data, status=201)


class ProfitDistributionView(CovenantAPIView):
    """Minerals only: the profit splits 50/30/20 to the cent (largest remainder); the fund's 30 %
    is posted to the ledger."""

    access = {"post": "projects:distribute_profit"}

    @extend_schema(
        request=ProfitDistributionInSerializer,
        responses={201: ProfitDistributionSerializer},
        summary="Split a minerals profit 50/30/20 (the fund's 30 % goes to the ledger)",
    )
    def post(self, request: Request, project_id: int) -> Response:
        _require_login(self)
        project = _project_or_404(project_id)
        spec = sector_spec(project.sector)
        if spec is None or spec.distribute_profit is None:
            raise Conflict("profit distributions apply to minerals projects only")
        body = ProfitDistributionInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        distribution = spec.distribute_profit(
            project=project, profit_usd=body.validated_data["profit_usd"], actor=self.principal
        )
        return Response(
            {
                "id": distribution.pk,
                "project": project.pk,
                "profit_usd": str(distribution.profit_usd),
                "community_usd": str(distribution.community_usd),
                "fund_usd": str(distribution.fund_usd),
                "reinvestment_usd": str(distribution.reinvestment_usd),
                "distributed_on": distribution.distributed_on.isoformat(),
                "ledger_entry": distribution.ledger_entry_id,
            },
            status=201,
        )


def _csv_response(lines: Any, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class NationEsgView(CovenantAPIView):
    """Budget, beneficiaries and carbon of each of the nation's projects, with totals."""

    access = {"get": PUBLIC}

    @extend_schema(
        summary="ESG report of a nation's projects (CSV)",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request, iso3: str) -> StreamingHttpResponse:
        nation = nation_get(iso3=iso3)
        if nation is None:
            raise NotFound("no such nation")
        return _csv_response(esg_csv_lines(nation=nation), f"esg-{nation.iso3.lower()}.csv")


class SectorEsgView(CovenantAPIView):
    """Budget, beneficiaries and carbon of each of the sector's projects, with totals."""

    access = {"get": PUBLIC}

    @extend_schema(
        parameters=[_slug_parameter()],
        summary="ESG report of a sector's projects (CSV)",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request, slug: str) -> StreamingHttpResponse:
        if sector_spec(slug) is None:
            raise NotFound("no such sector")
        return _csv_response(esg_csv_lines(sector=slug), f"esg-{slug}.csv")
