"""Parts of the governance dashboard that other packages add (compliance adds the overdue privacy
requests an admin must answer), so that no package imports another: each registers a function of
the principal that returns its part's context, or None when it has nothing for that person."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covenant.access.principal import Principal

DashboardPart = Callable[["Principal"], dict[str, Any] | None]
_parts: dict[str, DashboardPart] = {}


def register_dashboard_part(name: str, part: DashboardPart) -> None:
    """Add (or replace, by name) a part of the dashboard."""
    _parts[name] = part


def dashboard_parts(principal: Principal) -> dict[str, dict[str, Any]]:
    """Every part that has something for this principal, by name."""
    found: dict[str, dict[str, Any]] = {}
    for name, part in _parts.items():
        context = part(principal)
        if context is not None:
            found[name] = context
    return found
