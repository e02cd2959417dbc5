"""`{% sector_cards %}`: the six sector cards (totals and a Codex verse) for any page."""

from __future__ import annotations

from typing import Any

from django import template

from sectors.core.presentation import metric_rows
from sectors.core.registry import sector_spec
from sectors.core.selectors import sector_overviews

register = template.Library()


@register.inclusion_tag("sectors/_cards.html")
def sector_cards(heading_level: int = 2) -> dict[str, Any]:
    cards = []
    for overview in sector_overviews():
        spec = sector_spec(overview["slug"])
        if spec is None:
            continue
        cards.append(
            {**overview, "metric_rows": metric_rows(spec, overview["metrics"], compact=True)}
        )
    return {"cards": cards}
