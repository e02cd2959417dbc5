"""The AppConfig base of a sector app."""

from __future__ import annotations

import importlib

from django.apps import AppConfig


class SectorAppConfig(AppConfig):
    """Base of a sector app: its `sector.py` declares `SECTOR` (a SectorSpec), registered here
    with the core's sector registry and the sectors' spec registry."""

    def ready(self) -> None:
        from covenant.nations.sectors import register_sector

        from .registry import register_spec

        spec = importlib.import_module(f"{self.name}.sector").SECTOR
        register_sector(spec.slug, spec.name)
        register_spec(spec)
