from sectors.core.sector_app import SectorAppConfig


class AgricultureConfig(SectorAppConfig):
    default = True
    name = "sectors.agriculture"
    label = "sector_agriculture"
    verbose_name = "Agriculture"
