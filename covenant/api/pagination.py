"""Page-number pagination: {"count", "next", "previous", "results"}.

A view may know its count already (from cached statistics, say) and offer it through
`known_count()`; the page then costs one query whatever the table's size, instead of a
COUNT(*) over the whole table."""

from __future__ import annotations

import functools
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class _KnownCountPaginator(Paginator):
    def __init__(self, *args: Any, known: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = known

    @cached_property
    def count(self) -> int:
        return self.known if self.known is not None else super().count


class CovenantPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        known = view.known_count() if view is not None and hasattr(view, "known_count") else None
        self.django_paginator_class = functools.partial(_KnownCountPaginator, known=known)  # type: ignore[assignment]
        return super().paginate_queryset(queryset, request, view)
