"""Parts of the governance dashboard (`/dashboard/`) that other packages add without the
dashboard's package importing them, nor they it: compliance adds "overdue privacy requests"
for admins, say. A part is a function of the request that returns a fragment of HTML (already
rendered and escaped, e.g. with `render_to_string`), or "" when it has nothing to show this
person. Parts are shown in the order they were registered, each in its own section."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class DashboardPart:
    name: str  # a stable id: "compliance.overdue_requests"
    render: Callable[[HttpRequest], str]


_parts: list[DashboardPart] = []


def register_dashboard_part(name: str, render: Callable[[HttpRequest], str]) -> None:
    """Add a part to the dashboard (idempotent by name)."""
    if all(part.name != name for part in _parts):
        _parts.append(DashboardPart(name, render))


def dashboard_parts(request: HttpRequest) -> list[tuple[str, SafeString]]:
    """The (name, HTML) of every part that has something to show to this request's person."""
    shown = []
    for part in _parts:
        html = part.render(request)
        if html:
            shown.append((part.name, mark_safe(html)))  # noqa: S308  (rendered by a template)
    return shown
