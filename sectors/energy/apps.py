from sectors.core.sector_app import SectorAppConfig


class EnergyConfig(SectorAppConfig):
    default = True
    name = "sectors.energy"
    label = "sector_energy"
    verbose_name = "Energy"
