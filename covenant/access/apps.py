from typing import Any

from django.apps import AppConfig


def _login_method(request: Any) -> str:
    """How the person proved who they are: allauth's authentication records of the session,
    e.g. "password", "code", "socialaccount/ken" (the second factor follows)."""
    try:
        from allauth.account.authentication import get_authentication_records

        records = get_authentication_records(request) if request is not None else []
    except Exception:  # no session (a test's force_login, a script)
        records = []
    parts = []
    for record in records:
        method = str(record.get("method", ""))
        detail = record.get("type") or record.get("provider") or ""
        parts.append(f"{method}/{detail}" if detail else method)
    return "+".join(parts) or "password"


class AccessConfig(AppConfig):
    name = "covenant.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        def audit_privileged_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
            from .services import privileged_login_record

            privileged_login_record(user=user, method=_login_method(request))

        user_logged_in.connect(
            audit_privileged_login, weak=False, dispatch_uid="covenant_privileged_login"
        )
