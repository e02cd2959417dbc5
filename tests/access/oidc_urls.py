"""The portal's URLs plus an OpenID Connect provider under /o/ (tests only)."""

from django.urls import include, path

from covenant.urls import handler404, handler500
from covenant.urls import urlpatterns as portal

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *portal,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
