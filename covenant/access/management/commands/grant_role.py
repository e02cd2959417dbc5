from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from covenant.access.principal import SYSTEM
from covenant.access.roles import Role
from covenant.access.services import platform_admin_grant, role_grant, user_get_or_create
from covenant.errors import DomainError
from covenant.nations.models import Nation


class Command(BaseCommand):
    help = (
        "Grant ROLE to EMAIL (the user is created, verified and without a usable password, if "
        "missing). The operator's grant is direct: the four-eyes rule binds admins, not operators."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("role", choices=[role.value for role in Role])
        parser.add_argument("--nation", help="ISO3 code (every role but platform_admin)")
        parser.add_argument("--sector", default="", help="sector slug (sector_steward)")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        try:
            if role == Role.PLATFORM_ADMIN:
                if options["nation"] or options["sector"]:
                    raise CommandError("platform_admin is global: no --nation, no --sector")
                user, created = user_get_or_create(email=options["email"])
                platform_admin_grant(user=user, actor=SYSTEM)
                self.stdout.write(f"{user.email} is now a platform admin")
                return
            if not options["nation"]:
                raise CommandError(f"{role} needs --nation ISO3")
            nation = Nation.objects.filter(iso3=options["nation"].upper()).first()
            if nation is None:
                raise CommandError(f"unknown nation {options['nation']!r}")
            user, created = user_get_or_create(email=options["email"])
            assignment = role_grant(
                nation=nation,
                user=user,
                role=role,
                sector=options["sector"],
                actor=SYSTEM,
                four_eyes=False,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"{user.email}{' (new user)' if created else ''} is now {role} of {nation.iso3}"
            + (f" for {assignment.sector}" if assignment.sector else "")
        )
