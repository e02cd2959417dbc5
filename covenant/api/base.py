"""Shared pieces of the API views: strict input, the nation in scope from the URL, the principal."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from covenant.access.principal import Principal, principal_of_request
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope
from covenant.text import search_text

MAX_TEXT = 10_000


def query_text(request: Request, name: str, *, max_length: int = 120) -> str:
    """A query-string value, trimmed, without control characters (PostgreSQL refuses NUL)."""
    return search_text(request.query_params.get(name, ""), max_length=max_length)


class StrictSerializer(serializers.Serializer):
    """Refuses unknown fields and non-object bodies with a 400 naming them."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["expected a JSON object"]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {str(name)[:64]: ["unknown field"] for name in unknown[:20]}
            )
        return super().to_internal_value(data)


def money_field(*, max_digits: int = 20, **kwargs: Any) -> serializers.DecimalField:
    """USD with two places; a string in JSON."""
    return serializers.DecimalField(max_digits=max_digits, decimal_places=2, **kwargs)


class CovenantAPIView(APIView):
    """Every API view: `self.principal` is who acts."""

    @property
    def principal(self) -> Principal:
        return principal_of_request(self.request)


class NationAPIView(CovenantAPIView):
    """Views under /nations/<ISO3>/: the nation comes from the URL and is put in scope for the
    whole request; an unknown code is a 404."""

    nation: Nation
    _nation: Nation | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if self._nation is None:
            raise Http404("no such nation")
        self.nation = self._nation
        super().initial(request, *args, **kwargs)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        iso3 = str(kwargs.get("iso3", "")).upper()
        self._nation = Nation.objects.filter(iso3=iso3).first() if len(iso3) == 3 else None
        if self._nation is None:
            return super().dispatch(request, *args, **kwargs)  # initial() answers the 404
        with nation_scope(self._nation):
            return super().dispatch(request, *args, **kwargs)
