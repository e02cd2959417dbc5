from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from covenant.access.mfa import DEMO_TOTP_SECRET, totp_code


class Command(BaseCommand):
    help = (
        "Print the current TOTP code of a base32 secret (default: the demo accounts' secret), "
        "as an authenticator app would show it. For the demo and for development only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("secret", nargs="?", default=DEMO_TOTP_SECRET)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(totp_code(options["secret"]))
