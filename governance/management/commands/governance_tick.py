"""`manage.py governance_tick`: what the beat does every minute, by hand (the embedded mode of
`make run` has no beat): open the votes whose time has come, close the votes that are due,
queue the 24-hour reminders. Each transition is audited as the operator's."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from covenant.access.principal import SYSTEM
from governance.services import proposals_tick


class Command(BaseCommand):
    help = "Open and close council votes on schedule and queue their reminders (as the beat does)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = proposals_tick(actor=SYSTEM)
        self.stdout.write(
            f"opened {done['opened']}, closed {done['closed']}, reminders queued "
            f"{done['reminded']}, skipped {done['skipped']} (someone acted first)"
        )
