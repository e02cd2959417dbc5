"""Personal access tokens: `cov_<prefix>_<secret>`; only the SHA-256 of the whole token is kept."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "cov_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and its lookup prefix."""
    prefix = secrets.token_hex(6)
    return f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def prefix_of(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    body = token[len(TOKEN_PREFIX) :]
    prefix, sep, secret = body.partition("_")
    if not sep or len(prefix) != 12 or not secret:
        return None
    return prefix


# API keys: `covk_<iso3>_<prefix>_<secret>`. The nation is part of the key, so a key is found
# in its own nation's scope (no cross-nation lookup), and is told apart from a token by `covk_`.
KEY_PREFIX = "covk_"


def new_api_key(iso3: str) -> tuple[str, str]:
    """A fresh API key of the nation `iso3` and its lookup prefix."""
    prefix = secrets.token_hex(6)
    return f"{KEY_PREFIX}{iso3.lower()}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def parse_api_key(key: str) -> tuple[str, str] | None:
    """(ISO3 in upper case, lookup prefix) of a well-formed key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    iso3, sep, rest = key[len(KEY_PREFIX) :].partition("_")
    prefix, sep2, secret = rest.partition("_")
    if not (sep and sep2) or len(iso3) != 3 or not iso3.isalpha() or len(prefix) != 12:
        return None
    if not secret:
        return None
    return iso3.upper(), prefix
