"""The bare Django app of the lists benchmark (benchmarks/lists.py): one JSON view, CommonMiddleware
only, no database — the ceiling a Django view can reach on this machine and this gunicorn.

    DJANGO_SETTINGS_MODULE=benchmarks.bare_app gunicorn benchmarks.bare_app:application
"""

from __future__ import annotations

import os

from django.http import HttpRequest, JsonResponse
from django.urls import path

SECRET_KEY = "bench-bare-app-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, object] = {}
USE_TZ = True


def bare_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare_json)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)
if os.environ["DJANGO_SETTINGS_MODULE"] == __name__:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
