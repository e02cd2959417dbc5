from __future__ import annotations

from typing import Any

from django.core import mail
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from covenant.access.mfa import DEMO_TOTP_SECRET
from covenant.audit.services import audit_record
from covenant.nations.demo import DEMO_PASSWORD, demo_accounts, demo_ledger_seed, demo_people_seed
from covenant.nations.loader import nations_load
from covenant.seeding import SeedOptions, seed_steps


class Command(BaseCommand):
    help = (
        "Load the 195 nations (idempotent). --demo adds demo people and a year of contributions; "
        "--projects N generates N projects deterministically."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="demo accounts and activity")
        parser.add_argument("--projects", type=int, default=None, help="generate N projects")

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = nations_load()
        self.stdout.write(f"nations: {created} created, {updated} updated")
        summary: dict[str, Any] = {"nations_created": created, "nations_updated": updated}
        if options["demo"]:
            people = demo_people_seed()
            pledges, contributions = demo_ledger_seed()
            self.stdout.write(
                f"demo: {people} new accounts, {pledges} pledges, {contributions} contributions"
            )
            summary.update(people=people, pledges=pledges, contributions=contributions)
        step_options = SeedOptions(
            demo=options["demo"], projects=options["projects"], write=self.stdout.write
        )
        # The demo's past events (requests filed, exports ready) would e-mail their people: keep
        # those messages in memory instead of flooding the console, and say how many there were.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            before = len(getattr(mail, "outbox", []))
            for name, step in seed_steps():
                step(step_options)
                summary.setdefault("steps", []).append(name)
            held = len(getattr(mail, "outbox", [])) - before
        if held:
            self.stdout.write(f"e-mails of the seeded events kept back (not sent): {held}")
        audit_record(action="operator.seed", actor="system:operator", data=summary)
        if options["demo"]:
            self.stdout.write(f"\nDemo accounts (password: {DEMO_PASSWORD})")
            for email, role, where in demo_accounts():
                self.stdout.write(f"  {email:38} {role:16} {where}")
            self.stdout.write(
                "Platform admins, nation admins and auditors sign in with a second factor: add "
                f"the TOTP secret {DEMO_TOTP_SECRET} to an authenticator app (or print a code "
                "with `manage.py totp_code`)."
            )
