from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "sectors.education"
    label = "sector_education"
    verbose_name = "Education"

    def ready(self) -> None:
        from covenant.nations.sectors import register_sector

        register_sector("education", "Education")
