from typing import Any

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "covenant.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        def audit_privileged_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
            from .services import privileged_login_record

            privileged_login_record(user=user, method="password")

        user_logged_in.connect(
            audit_privileged_login, weak=False, dispatch_uid="covenant_privileged_login"
        )
