"""The sector registry. The core knows sectors only by slug; each sector app registers itself
here from its AppConfig.ready(), so the core never imports the `sectors` package."""

from __future__ import annotations

_SECTORS: dict[str, str] = {}


def register_sector(slug: str, name: str) -> None:
    _SECTORS[slug] = name


def sector_slugs() -> tuple[str, ...]:
    return tuple(_SECTORS)


def is_sector(slug: str) -> bool:
    return slug in _SECTORS
