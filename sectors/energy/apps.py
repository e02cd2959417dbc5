from django.apps import AppConfig


class EnergyConfig(AppConfig):
    name = "sectors.energy"
    label = "sector_energy"
    verbose_name = "Energy"

    def ready(self) -> None:
        from covenant.nations.sectors import register_sector

        register_sector("energy", "Energy")
