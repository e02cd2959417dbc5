from django.apps import AppConfig


class NationsConfig(AppConfig):
    name = "covenant.nations"
    label = "nations"
    verbose_name = "Nations"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the tenancy system check)
