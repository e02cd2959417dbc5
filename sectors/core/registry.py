"""What a sector declares: its metrics and its rules. The shared base (projects, statistics, the
API and the pages) reads these specs; a sector app is a spec and, if it has one, its rule."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class MetricKind(StrEnum):
    INTEGER = "integer"  # a count of people, facilities…: whole, not negative
    DECIMAL = "decimal"  # a quantity with a fixed number of places (hectares, MW, USD)
    PERCENT = "percent"  # 0 to 100; a sector's figure is the mean over projects that report it
    FLAG = "flag"  # true or false; a sector's figure is the number of projects where it holds


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: MetricKind
    unit: str = ""
    places: int = 0
    minimum: Decimal = Decimal(0)
    # Bounded so that a sum over a million projects still fits a 64-bit integer of 10^-places
    # units (SQLite's SUM raises on overflow).
    maximum: Decimal = Decimal(10) ** 12
    derived: bool = False  # computed from other metrics; a client may not set it independently

    @property
    def summed(self) -> bool:
        return self.kind in (MetricKind.INTEGER, MetricKind.DECIMAL, MetricKind.FLAG)


DemoMetrics = Callable[[random.Random], dict[str, Any]]
Derive = Callable[[dict[str, Any]], dict[str, Any]]
ProfitDistribute = Callable[..., Any]


@dataclass(frozen=True)
class SectorSpec:
    """One sector: slug, name, metrics, and optional rules."""

    slug: str
    name: str
    metrics: tuple[Metric, ...]
    summary: str = ""
    # the metric counted as the people a project reaches (ESG "beneficiaries"), if any
    beneficiaries_metric: str | None = None
    # fills the derived metrics from the others (values are Decimals/ints/bools)
    derive: Derive | None = None
    # `fn(*, project, profit_usd, actor, on) -> dict`: the sector's profit distribution rule
    distribute_profit: ProfitDistribute | None = None
    # demo data: programme names (with {place}) and a generator of plausible metrics
    demo_names: tuple[str, ...] = ()
    demo_metrics: DemoMetrics | None = None
    demo_budget_range: tuple[int, int] = (1_000_000, 50_000_000)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def metric(self, key: str) -> Metric | None:
        for metric in self.metrics:
            if metric.key == key:
                return metric
        return None

    @property
    def metric_keys(self) -> tuple[str, ...]:
        return tuple(metric.key for metric in self.metrics)


_SPECS: dict[str, SectorSpec] = {}


def register_spec(spec: SectorSpec) -> None:
    _SPECS[spec.slug] = spec


def sector_spec(slug: str) -> SectorSpec | None:
    return _SPECS.get(slug)


def sector_specs() -> list[SectorSpec]:
    """The registered sectors, in the covenant's order (INSTALLED_APPS order)."""
    return list(_SPECS.values())
