"""A project's metrics: validation against its sector's declaration, the canonical JSON form
(integers as numbers, decimals as strings, flags as booleans) and the scaled integers the
database sums exactly."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from covenant.errors import Invalid

from .registry import Metric, MetricKind, SectorSpec

MetricValue = int | Decimal | bool
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def _number(metric: Metric, raw: Any) -> Decimal:
    """A JSON number or a decimal string as an exact Decimal; never a bool."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValueError("must be a number")
    # text: ASCII digits only, since Decimal() would also read "١٢٣", "1_000", " 5 " and "1e2"
    if isinstance(raw, str) and (len(raw) > 40 or not _DECIMAL_TEXT.fullmatch(raw)):
        raise ValueError("must be a number (digits, an optional sign and decimal point)")
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except (InvalidOperation, ValueError):
        raise ValueError("must be a number") from None
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


def _clean_value(metric: Metric, raw: Any) -> MetricValue:
    if metric.kind is MetricKind.FLAG:
        if not isinstance(raw, bool):
            raise ValueError("must be true or false")
        return raw
    value = _number(metric, raw)
    if value < metric.minimum:
        raise ValueError(f"must be at least {metric.minimum}")
    upper = Decimal(100) if metric.kind is MetricKind.PERCENT else metric.maximum
    if value > upper:
        raise ValueError(f"must be at most {upper}")
    if metric.kind is MetricKind.INTEGER:
        if value != value.to_integral_value():
            raise ValueError("must be a whole number")
        return int(value)
    quantum = Decimal(1).scaleb(-metric.places)
    if value.quantize(quantum) != value:
        raise ValueError(f"at most {metric.places} decimal places")
    return value.quantize(quantum)


def metrics_clean(
    spec: SectorSpec, raw: Any, *, current: dict[str, Any] | None = None
) -> dict[str, MetricValue]:
    """Validate `raw` (merged over `current`, where null removes a key) against the sector's
    metrics and derive the derived ones. Errors name the field: `metrics.<key>`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid("metrics must be an object", fields={"metrics": ["expected a JSON object"]})
    errors: dict[str, list[str]] = {}
    values: dict[str, MetricValue] = {}
    if current:
        for key, stored in current.items():
            metric = spec.metric(key)
            if metric is not None and not metric.derived:
                values[key] = _clean_value(metric, stored)
    for key, item in list(raw.items())[:100]:
        name = f"metrics.{str(key)[:64]}"
        metric = spec.metric(key) if isinstance(key, str) else None
        if metric is None:
            errors[name] = [f"unknown metric for the {spec.name.lower()} sector"]
            continue
        if metric.derived:
            continue  # checked against the derived value below
        if item is None:
            values.pop(key, None)
            continue
        try:
            values[key] = _clean_value(metric, item)
        except ValueError as exc:
            errors[name] = [str(exc)]
    if len(raw) > 100:
        errors["metrics"] = ["too many keys"]
    if errors:
        raise Invalid("invalid metrics", fields=errors)
    derived = spec.derive(values) if spec.derive else {}
    for metric in spec.metrics:
        if not metric.derived:
            continue
        given = raw.get(metric.key)
        if given is not None:
            try:
                matches = _number(metric, given) == derived.get(metric.key)
            except ValueError:
                matches = False
            if not matches:
                expected = derived.get(metric.key, "not set")
                errors[f"metrics.{metric.key}"] = [
                    f"is derived ({expected}); a client may not set it independently"
                ]
        if metric.key in derived:
            values[metric.key] = derived[metric.key]
    if errors:
        raise Invalid("invalid metrics", fields=errors)
    return {metric.key: values[metric.key] for metric in spec.metrics if metric.key in values}


def metrics_json(spec: SectorSpec, values: dict[str, MetricValue]) -> dict[str, Any]:
    """The canonical JSON: integers as numbers, decimals as strings, flags as booleans."""
    out: dict[str, Any] = {}
    for metric in spec.metrics:
        if metric.key not in values:
            continue
        value = values[metric.key]
        if metric.kind in (MetricKind.INTEGER, MetricKind.FLAG):
            out[metric.key] = value
        else:
            out[metric.key] = str(value)
    return out


def metric_units(metric: Metric, value: MetricValue) -> int:
    """The value as a whole number of 10^-places units: what the database sums exactly."""
    if isinstance(value, bool):
        return int(value)
    return int(Decimal(value).scaleb(metric.places))


def metric_from_units(metric: Metric, units: int) -> Decimal:
    return Decimal(units).scaleb(-metric.places).quantize(Decimal(1).scaleb(-metric.places))
