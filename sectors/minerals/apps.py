from django.apps import AppConfig


class MineralsConfig(AppConfig):
    name = "sectors.minerals"
    label = "sector_minerals"
    verbose_name = "Minerals"

    def ready(self) -> None:
        from covenant.nations.sectors import register_sector

        register_sector("minerals", "Minerals")
