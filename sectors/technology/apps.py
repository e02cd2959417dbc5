from django.apps import AppConfig


class TechnologyConfig(AppConfig):
    name = "sectors.technology"
    label = "sector_technology"
    verbose_name = "Technology"

    def ready(self) -> None:
        from covenant.nations.sectors import register_sector

        register_sector("technology", "Technology")
