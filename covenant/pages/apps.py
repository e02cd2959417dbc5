from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "covenant.pages"
    label = "pages"
    verbose_name = "Pages"
