from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from covenant.access.principal import SYSTEM
from covenant.access.services import token_issue
from covenant.accounts.models import User
from covenant.errors import DomainError


class Command(BaseCommand):
    help = "Print only a new personal access token for EMAIL (shown once, stored hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--scopes", default=None, help="comma-separated capabilities")
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError(f"no user {options['email']!r}")
        scopes = None
        if options["scopes"] is not None:
            scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            _, token = token_issue(
                user=user, actor=SYSTEM, scopes=scopes, days=options["days"], name=options["name"]
            )
        except DomainError as error:
            raise CommandError(f"{error.message}: {error.fields}") from error
        self.stdout.write(token)
