"""Text from the outside world, made safe to search with."""

from __future__ import annotations

_CONTROL = dict.fromkeys(range(32))


def search_text(value: object, *, max_length: int) -> str:
    """Trimmed, cut to `max_length`, without control characters (PostgreSQL refuses NUL)."""
    return str(value or "")[:max_length].translate(_CONTROL).strip()
