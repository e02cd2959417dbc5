from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.retention import retention_run
from covenant.audit.services import audit_record
from covenant.personal_data import retention_rules


class Command(BaseCommand):
    help = (
        "Apply the retention rules: archive (verified before anything is deleted), minimise, "
        "purge. --dry-run prints what each rule would do and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only print what would happen")
        parser.add_argument("--rule", default=None, help="run this rule only")
        parser.add_argument("--list", action="store_true", help="list the rules and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for rule in retention_rules():
                self.stdout.write(
                    f"{rule.name:30} {rule.action:9} {rule.model:32} after {rule.keep.days} days"
                    f"  {rule.description}"
                )
            return
        outcomes = retention_run(dry_run=options["dry_run"], only=options["rule"])
        for outcome in outcomes:
            self.stdout.write(outcome.describe())
            for archive in outcome.archives:
                self.stdout.write(f"  archive: {archive}")
        if not options["dry_run"]:
            audit_record(
                action="operator.run_retention",
                actor="system:operator",
                data={"rules": [o.rule for o in outcomes], "rows": sum(o.done for o in outcomes)},
            )
