from sectors.core.sector_app import SectorAppConfig


class MineralsConfig(SectorAppConfig):
    default = True
    name = "sectors.minerals"
    label = "sector_minerals"
    verbose_name = "Minerals"
