"""The ASGI entry point. A deployer who runs it gets production settings unless they choose
others explicitly (DJANGO_SETTINGS_MODULE); manage.py keeps the development default."""

import os

from django.core.asgi import get_asgi_application

# Production settings by default outside manage.py: DEBUG off, and no start without SECRET_KEY.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "covenant.settings.production")
application = get_asgi_application()
