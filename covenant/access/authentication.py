"""`Authorization: Bearer <token>` for the API."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import PersonalAccessToken
from .tokens import prefix_of, token_digest

LAST_USED_RESOLUTION = timedelta(minutes=5)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, PersonalAccessToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword.lower() != "bearer":
            return None
        token = token.strip()
        prefix = prefix_of(token) if len(token) < 200 else None
        if prefix is None:
            raise exceptions.AuthenticationFailed("malformed bearer token")
        record = PersonalAccessToken.objects.select_related("user").filter(prefix=prefix).first()
        if record is None or not hmac.compare_digest(record.token_hash, token_digest(token)):
            raise exceptions.AuthenticationFailed("unknown token")
        if not record.is_usable():
            raise exceptions.AuthenticationFailed("token expired or revoked")
        if not record.user.is_active:
            raise exceptions.AuthenticationFailed("user inactive")
        now = timezone.now()
        if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
            PersonalAccessToken.objects.filter(pk=record.pk).update(last_used_at=now)
        return record.user, record

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents the bearer token in the OpenAPI schema."""

    target_class = "covenant.access.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "cov_… personal access token"}
