"""The one Celery app. Tasks take ids (and the nation explicitly), never objects."""

import os

from celery import Celery

# Production settings by default (DEBUG off, SECRET_KEY required), as for WSGI and ASGI.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "covenant.settings.production")

app = Celery("covenant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
