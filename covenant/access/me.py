"""Parts of the `/me/` page that other packages add without the core importing them: governance
its notification settings and inbox, compliance the person's privacy requests.

    from covenant.access.me import MePart, register_me_part

    def notifications_part(request, principal):
        return render_to_string("governance/_me_notifications.html", {...}, request=request)

    register_me_part(MePart(slug="notifications", title="Notifications", order=50,
                            render=notifications_part))

`render(request, principal)` returns the section's HTML (without its heading), or None to
leave it out for this person. Parts appear in `order`, after the core's sections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from .principal import Principal


@dataclass(frozen=True)
class MePart:
    slug: str  # the section's id on the page
    title: str
    render: Callable[[HttpRequest, Principal], str | None]
    order: int = 100


_parts: dict[str, MePart] = {}


def register_me_part(part: MePart) -> None:
    """Add (or replace, by slug) a section of the /me/ page."""
    _parts[part.slug] = part


def me_parts(request: HttpRequest, principal: Principal) -> list[dict[str, Any]]:
    """The registered sections this person sees, rendered."""
    sections: list[dict[str, Any]] = []
    for part in sorted(_parts.values(), key=lambda part: (part.order, part.slug)):
        html = part.render(request, principal)
        if html is None:
            continue
        body: SafeString = html if isinstance(html, SafeString) else mark_safe(html)  # noqa: S308
        sections.append({"slug": part.slug, "title": part.title, "html": body})
    return sections
