"""`Authorization: Bearer <token or key>` for the API. A personal access token (`cov_…`) acts
as its user; an API key (`covk_<iso3>_…`) acts as its creator bound to its nation."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope

from .models import ApiKey, PersonalAccessToken
from .tokens import parse_api_key, prefix_of, token_digest

LAST_USED_RESOLUTION = timedelta(minutes=5)
MAX_BEARER_LENGTH = 200


def _touch(model: Any, record: Any) -> None:
    """Record the use, at most once per LAST_USED_RESOLUTION (no write per request)."""
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        model.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now


def _api_key(key: str) -> tuple[Any, ApiKey]:
    parsed = parse_api_key(key)
    if parsed is None:
        raise exceptions.AuthenticationFailed("malformed bearer token")
    iso3, prefix = parsed
    nation = Nation.objects.filter(iso3=iso3).first()
    if nation is None:
        raise exceptions.AuthenticationFailed("unknown key")
    with nation_scope(nation):
        record = ApiKey.objects.select_related("created_by").filter(prefix=prefix).first()
        if record is None or not hmac.compare_digest(record.key_hash, token_digest(key)):
            raise exceptions.AuthenticationFailed("unknown key")
        if not record.is_usable():
            raise exceptions.AuthenticationFailed("key expired or revoked")
        if not record.created_by.is_active:
            raise exceptions.AuthenticationFailed("the key's creator is inactive")
        _touch(ApiKey, record)
    return record.created_by, record


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword.lower() != "bearer":
            return None
        token = token.strip()
        if len(token) >= MAX_BEARER_LENGTH:
            raise exceptions.AuthenticationFailed("malformed bearer token")
        if token.startswith("covk_"):
            return _api_key(token)
        prefix = prefix_of(token)
        if prefix is None:
            raise exceptions.AuthenticationFailed("malformed bearer token")
        record = PersonalAccessToken.objects.select_related("user").filter(prefix=prefix).first()
        if record is None or not hmac.compare_digest(record.token_hash, token_digest(token)):
            raise exceptions.AuthenticationFailed("unknown token")
        if not record.is_usable():
            raise exceptions.AuthenticationFailed("token expired or revoked")
        if not record.user.is_active:
            raise exceptions.AuthenticationFailed("user inactive")
        _touch(PersonalAccessToken, record)
        return record.user, record

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents the bearer token in the OpenAPI schema."""

    target_class = "covenant.access.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "cov_… personal access token, or covk_<iso3>_… API key of one nation",
        }
