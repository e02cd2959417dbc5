"""Page-number pagination: {"count", "next", "previous", "results"}.

`page` and `page_size` are read strictly: a whole number in range, or a 400 that says why (a
page past the last one is a 404). A view may know its count already (from cached statistics,
say) and offer it through `known_count()`; the page then costs one query whatever the table's
size, instead of a COUNT(*) over the whole table."""

from __future__ import annotations

import functools
import re
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

_WHOLE = re.compile(r"[0-9]{1,9}", re.ASCII)
MAX_PAGE = 10_000_000


class _KnownCountPaginator(Paginator):
    def __init__(self, *args: Any, known: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = known

    @cached_property
    def count(self) -> int:
        return self.known if self.known is not None else super().count


def whole_number_param(request: Any, name: str, *, maximum: int) -> int | None:
    """A query parameter that must be a whole number from 1 to `maximum`, if given."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not _WHOLE.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise ValidationError({name: [f"a whole number from 1 to {maximum}"]})
    return int(raw)


class CovenantPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Any) -> int:
        size = whole_number_param(request, self.page_size_query_param, maximum=self.max_page_size)
        return self.page_size if size is None else size

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        number = whole_number_param(request, self.page_query_param, maximum=MAX_PAGE)
        return 1 if number is None else number

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        known = view.known_count() if view is not None and hasattr(view, "known_count") else None
        self.django_paginator_class = functools.partial(_KnownCountPaginator, known=known)  # type: ignore[assignment]
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["count", "next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number (from 1).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (1 to {self.max_page_size}; default "
                f"{self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
