"""Test settings: the base settings with a fast password hasher and in-memory e-mail."""

import importlib.util

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]
DEBUG = False
LOGGING["loggers"]["covenant"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
# API throttling off (the suite calls the API from one address); its tests turn it on.
COVENANT_THROTTLE_RATES = {}  # type: ignore[no-redef]
# A real OpenID Connect provider for the SSO end-to-end test (django-oauth-toolkit, a dev
# dependency): installed here only, mounted by the test's own URLconf (tests/access/oidc_urls.py).
if importlib.util.find_spec("oauth2_provider") is not None:
    INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]  # noqa: F405
    # not the portal's: the nation's identity provider, played by a test
    PERSONAL_DATA_CHECK_EXEMPT_APPS = {
        "oauth2_provider": "a test's stand-in for a nation's OpenID Connect provider"
    }
