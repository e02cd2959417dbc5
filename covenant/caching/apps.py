from django.apps import AppConfig


class CachingConfig(AppConfig):
    name = "covenant.caching"
    label = "caching"
    verbose_name = "Caching"
