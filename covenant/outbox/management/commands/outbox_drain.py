from typing import Any

from django.core.management.base import BaseCommand

from covenant.outbox.services import outbox_drain, outbox_pending_ids


class Command(BaseCommand):
    help = "Send the outbox's pending jobs now (the beat does it every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        pending = len(outbox_pending_ids(limit=10_000))
        sent = outbox_drain(limit=10_000)
        self.stdout.write(f"{sent} of {pending} pending job(s) sent")
