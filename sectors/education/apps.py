from sectors.core.sector_app import SectorAppConfig


class EducationConfig(SectorAppConfig):
    default = True
    name = "sectors.education"
    label = "sector_education"
    verbose_name = "Education"
