from django.apps import AppConfig


class AgricultureConfig(AppConfig):
    name = "sectors.agriculture"
    label = "sector_agriculture"
    verbose_name = "Agriculture"

    def ready(self) -> None:
        from covenant.nations.sectors import register_sector

        register_sector("agriculture", "Agriculture")
