from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.models import LegalHold
from compliance.services import legal_hold_place, legal_hold_release
from covenant.access.principal import SYSTEM
from covenant.accounts.models import User
from covenant.errors import DomainError
from covenant.nations.models import Nation
from covenant.nations.tenancy import nation_scope


class Command(BaseCommand):
    help = (
        "Legal holds (the operator's tool, audited): `place EMAIL --nation ISO3 --reason TEXT` "
        "keeps a person's data (erasure is refused while it holds); `release HOLD_ID --nation "
        "ISO3`; `list --nation ISO3`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["place", "release", "list"])
        parser.add_argument("target", nargs="?", default="")
        parser.add_argument("--nation", required=True)
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        nation = Nation.objects.filter(iso3=options["nation"].upper()).first()
        if nation is None:
            raise CommandError(f"no nation {options['nation']}")
        try:
            if options["action"] == "place":
                subject = User.objects.filter(email__iexact=options["target"]).first()
                if subject is None:
                    raise CommandError(f"no account with the address {options['target']!r}")
                hold = legal_hold_place(
                    nation=nation, subject=subject, reason=options["reason"], actor=SYSTEM
                )
                self.stdout.write(f"legal hold #{hold.pk} placed")
            elif options["action"] == "release":
                with nation_scope(nation):
                    hold = LegalHold.objects.filter(pk=int(options["target"] or 0)).first()
                if hold is None:
                    raise CommandError(f"no legal hold #{options['target']} in {nation.iso3}")
                legal_hold_release(hold=hold, actor=SYSTEM)
                self.stdout.write(f"legal hold #{hold.pk} released")
            else:
                with nation_scope(nation):
                    for hold in LegalHold.objects.select_related("subject").order_by("-placed_at"):
                        state = "released" if hold.released_at else "active"
                        self.stdout.write(
                            f"#{hold.pk} {state:8} {hold.subject.email} since "
                            f"{hold.placed_at:%Y-%m-%d}: {hold.reason}"
                        )
        except DomainError as error:
            raise CommandError(error.message) from error
