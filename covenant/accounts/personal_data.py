"""What the core's accounts hold about a person — the account itself, its e-mail addresses,
sessions, the Django admin's history, object permissions, login rate-limit counters — and what
an erasure does to each. Also declares the third-party apps the core configures (allauth,
Django's own), including those the portal may add later (allauth's MFA and social accounts)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from covenant.personal_data import ErasureContext, Strategy, Subject, declare

ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: never routable


def erased_email() -> str:
    return f"erased-{secrets.token_hex(8)}@{ERASED_EMAIL_DOMAIN}"


def _erase_user(subject: Subject, context: ErasureContext) -> int:
    """Anonymise the account and rotate its pseudonym: ballots, ledger postings and the audit
    chain keep the old pseudonym, which now leads to nobody."""
    from .models import User, new_pseudonym

    if subject.user_id is None:
        return 0
    user = User.objects.get(pk=subject.user_id)
    user.email = erased_email()
    user.display_name = ""
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.is_platform_admin = False
    user.last_login = None
    user.pseudonym = new_pseudonym()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return 1


def _sessions(subject: Subject) -> QuerySet[Any]:
    """Sessions store the user id inside their signed data: decode each (in chunks) to find the
    subject's, wherever they are in the table."""
    from django.contrib.sessions.models import Session

    if subject.user_id is None:
        return Session.objects.none()
    keys = []
    wanted = str(subject.user_id)
    for session in Session.objects.only("session_key", "session_data").iterator(chunk_size=2000):
        try:
            data = session.get_decoded()
        except Exception:  # noqa: S112  (a corrupt session belongs to nobody we can tell)
            continue
        if str(data.get("_auth_user_id", "")) == wanted:
            keys.append(session.session_key)
    return Session.objects.filter(session_key__in=keys).order_by("pk")


def _admin_log(subject: Subject) -> QuerySet[Any]:
    """The Django admin's history: what the person did, and entries about their account
    (whose `object_repr` is the account's e-mail)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    if subject.user_id is None:
        return LogEntry.objects.none()
    user_type = ContentType.objects.get_for_model(_user_model())
    return LogEntry.objects.filter(
        Q(user_id=subject.user_id)
        | Q(content_type=user_type, object_id=str(subject.user_id))
        | Q(object_repr__iexact=subject.email or "")
    ).order_by("pk")


def _user_model() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model()


def _rate_limit_keys(subject: Subject) -> Iterable[str]:
    """allauth's rate-limit counters keyed by the address (hashed) or the account: every form
    allauth builds, for every allowed host. They also expire within their window by themselves."""
    try:
        from allauth.account import app_settings
        from allauth.core.internal.ratelimit import get_cache_key, parse_rates
    except ImportError:  # pragma: no cover
        return []
    keys: list[str] = []
    email = (subject.email or "").lower()
    hosts = [host for host in settings.ALLOWED_HOSTS if host and "*" not in host]
    candidates = [email] + [f"{host}:{email}" for host in hosts] if email else []
    for action, rates in app_settings.RATE_LIMITS.items():
        for rate in parse_rates(rates):
            if rate.per == "key":
                for candidate in candidates:
                    source = hashlib.sha256(candidate.encode("utf8")).hexdigest()
                    keys.append(
                        ":".join(["allauth", "rl", "allauth.account", action, str(rate), source])
                    )
            elif rate.per == "user" and subject.user_id is not None:

                class _Stub:
                    pk = subject.user_id

                keys.append(
                    get_cache_key(
                        None,  # type: ignore[arg-type]
                        app="allauth.account",
                        action=action,
                        rate=rate,
                        user=_Stub(),
                    )
                )
    return keys


declare(
    "accounts.User",
    category="Your account",
    purpose="Your sign-in address and name, and the random pseudonym under which the audit "
    "log, the ledger and the vote logs record what you do.",
    subject_fields=("pk",),
    strategy=Strategy.ANONYMISE,
    secret_fields=("password",),
    erase=_erase_user,
    cache_keys=_rate_limit_keys,
    order=1000,  # last: every other declaration still finds the person by their pseudonym
)
declare(
    "account.EmailAddress",
    category="Your account",
    purpose="Your e-mail addresses and whether you verified them (sign-in, password reset).",
    subject_fields=("user",),
    email_fields=("email",),
    strategy=Strategy.DELETE,
)
declare(
    "sessions.Session",
    category="Sign-in sessions",
    purpose="Keeps you signed in between pages; expires on its own.",
    strategy=Strategy.DELETE,
    rows=_sessions,
    exported=False,
)
declare(
    "admin.LogEntry",
    category="Administration history",
    purpose="The Django admin's own history of changes made by staff (and to your account).",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
    rows=_admin_log,
)
declare(
    "guardian.UserObjectPermission",
    category="Object permissions",
    purpose="Permissions on single records granted to you.",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
)
declare(
    "usersessions.UserSession",
    category="Sign-in sessions",
    purpose="Your signed-in sessions (address, browser, last seen), listed so you can end them.",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
    secret_fields=("session_key",),
    optional=True,
)
# Declared ahead for the apps the portal configures next (MFA, single sign-on); skipped while
# they are not installed.
declare(
    "mfa.Authenticator",
    category="Two-factor authentication",
    purpose="Your second factors (authenticator apps, recovery codes, security keys).",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
    secret_fields=("data",),
    optional=True,
)
declare(
    "socialaccount.SocialAccount",
    category="Single sign-on",
    purpose="The identity provider accounts linked to yours and what they told us about you.",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
    optional=True,
)
declare(
    "socialaccount.SocialToken",
    category="Single sign-on",
    purpose="Tokens of your identity provider accounts.",
    subject_fields=("account__user",),
    strategy=Strategy.DELETE,
    secret_fields=("token", "token_secret"),
    optional=True,
)
