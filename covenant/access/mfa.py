"""Second factors (allauth.mfa): who has one, and the demo accounts' fixed TOTP secret.

Platform admins, nation admins and auditors (`PRIVILEGED_ROLES`) hold nothing in a web session
until they have a TOTP authenticator or a WebAuthn key (`Principal.mfa_missing`); recovery
codes alone do not count (they come with the first of the others)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from typing import Any

from django.db import transaction

# The privileged demo accounts of `make run` share this TOTP secret (printed by `seed --demo`
# and in the README) so that they stay usable: add it to any authenticator app.
DEMO_TOTP_SECRET = "COVENANTDEMOTOTPSECRETKEYSFORALL"
SECOND_FACTORS = ("totp", "webauthn")


def has_second_factor(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    if user is None or user.pk is None:
        return False
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def totp_activate(*, user: Any, secret: str) -> bool:
    """Give `user` a TOTP authenticator with this base32 secret (and recovery codes), unless
    they already have one. Returns whether one was added. For the demo data and the tests."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    with transaction.atomic():
        if Authenticator.objects.filter(user_id=user.pk, type="totp").exists():
            return False
        TOTP.activate(user, secret)
        RecoveryCodes.activate(user)
    return True


def totp_code(secret: str, at: float | None = None) -> str:
    """The current 6-digit code of a base32 secret (RFC 6238, 30 s, SHA-1), as an
    authenticator app shows it."""
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret.encode("ascii"), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", bytes([digest[offset] & 0x7F]) + digest[offset + 1 : offset + 4])
    return f"{value[0] % 1_000_000:06d}"
