from __future__ import annotations

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    """Data-subject requests, exports, erasure, retention and archival. Discovers every app's
    `personal_data.py` (as the admin discovers `admin.py`) and checks that every model holding
    personal data is declared."""

    name = "compliance"
    label = "compliance"
    verbose_name = "Privacy and compliance"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from covenant.dashboard import register_dashboard_part
        from covenant.seeding import register_seed_step

        from . import checks, retention, seed, tasks, views  # noqa: F401  (they register)

        autodiscover_modules("personal_data")
        retention.register_builtin_rules()
        register_dashboard_part("overdue_privacy_requests", views.overdue_dashboard_html)
        from covenant.access.me import MePart, register_me_part

        register_me_part(
            MePart(slug="privacy", title="Your data", order=60, render=views.me_privacy_html)
        )
        register_seed_step("compliance: privacy requests for the demo", seed.privacy_seed_step)
