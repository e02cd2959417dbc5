from __future__ import annotations

from django.apps import AppConfig


class SectorsCoreConfig(AppConfig):
    """The shared base of the six sectors: projects, metrics, statistics, API and pages."""

    name = "sectors.core"
    label = "sectors_core"
    verbose_name = "Sectors"

    def ready(self) -> None:
        from covenant.access.object_grants import register_object_capability
        from covenant.nations.selectors import register_nation_detail_part
        from covenant.seeding import register_seed_step
        from covenant.summary import register_summary_part

        from . import seed, selectors
        from .models import Project

        register_nation_detail_part(selectors.nation_sectors_part)
        register_summary_part(selectors.summary_part)
        register_seed_step("sectors: flagship and demo projects", seed.projects_seed_step)
        register_object_capability(Project, "projects:update")
