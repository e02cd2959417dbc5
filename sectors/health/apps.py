from sectors.core.sector_app import SectorAppConfig


class HealthConfig(SectorAppConfig):
    default = True
    name = "sectors.health"
    label = "sector_health"
    verbose_name = "Health"
