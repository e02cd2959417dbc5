"""How the pages show sector figures: metric labels with readable values, and the region
chart's geometry (server-rendered SVG, no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .registry import Metric, MetricKind, SectorSpec


def _usd_compact(amount: Decimal) -> str:
    for power, suffix in ((12, "T"), (9, "B"), (6, "M")):
        if abs(amount) >= Decimal(10) ** power:
            return f"${amount / Decimal(10) ** power:,.2f} {suffix}"
    return f"${amount:,.2f}"


def metric_display(metric: Metric, value: Any, *, total: bool = True, compact: bool = False) -> str:
    """A metric's figure as people read it: 4,000 MW, 187,800,000 people, 62.5 % (mean);
    `compact` shortens money for the cards ($38.04 B)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if metric.kind is MetricKind.FLAG:
        return f"{int(value):,} projects"
    amount = Decimal(str(value))
    amount = (
        amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()
    )
    text = f"{amount:,f}"
    if metric.unit == "USD":
        return _usd_compact(amount) if compact else f"${text}"
    if metric.kind is MetricKind.PERCENT:
        return f"{text} % (mean)" if total else f"{text} %"
    return f"{text} {metric.unit}".strip()


def metric_rows(
    spec: SectorSpec, metrics: dict[str, Any], *, total: bool = True, compact: bool = False
) -> list[dict[str, str]]:
    return [
        {
            "key": metric.key,
            "label": metric.label,
            "value": metric_display(metric, metrics.get(metric.key), total=total, compact=compact),
        }
        for metric in spec.metrics
    ]


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: int
    width: int
    text_y: int


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    width: int
    height: int
    bar_x: int
    bars: list[Bar]


def region_chart(spec: SectorSpec, by_region: list[dict[str, Any]]) -> Chart:
    """Horizontal bars of each region's budget, labelled with the amount and project count."""
    row, bar_x, bar_max = 34, 190, 300
    budgets = [Decimal(item["budget_usd"]) for item in by_region]
    top = max(budgets, default=Decimal(0))
    bars = []
    for index, (item, budget) in enumerate(zip(by_region, budgets, strict=True)):
        width = int(budget / top * bar_max) if top > 0 else 0
        y = 10 + index * row
        bars.append(
            Bar(
                label=item["region"],
                value_text=f"${budget / 10**6:,.1f} M · {item['projects']:,} projects",
                y=y,
                width=max(width, 2) if budget > 0 else 0,
                text_y=y + 17,
            )
        )
    description = "; ".join(f"{bar.label}: {bar.value_text}" for bar in bars) or "No projects yet."
    return Chart(
        title=f"{spec.name}: budget by region",
        description=description,
        width=760,
        height=max(20 + len(bars) * row, 40),
        bar_x=bar_x,
        bars=bars,
    )
