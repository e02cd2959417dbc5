from sectors.core.sector_app import SectorAppConfig


class TechnologyConfig(SectorAppConfig):
    default = True
    name = "sectors.technology"
    label = "sector_technology"
    verbose_name = "Technology"
