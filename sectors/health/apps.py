from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "sectors.health"
    label = "sector_health"
    verbose_name = "Health"

    def ready(self) -> None:
        from covenant.nations.sectors import register_sector

        register_sector("health", "Health")
