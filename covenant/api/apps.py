from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "covenant.api"
    label = "covenant_api"
    verbose_name = "API"
