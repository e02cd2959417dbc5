from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from covenant.audit.selectors import audit_chain_verify
from covenant.audit.services import audit_record


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit non-zero naming the first bad entry."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_chain_verify()
        if not result.ok:
            raise CommandError(
                f"audit log BROKEN at entry #{result.first_bad}: {result.reason} "
                f"({result.entries} entries read)"
            )
        self.stdout.write(f"audit log intact: {result.entries} entries, head {result.head}")
        # The operator's tools are audited; the verification itself becomes the next entry.
        audit_record(
            action="audit.verified",
            actor="system:operator",
            data={"entries": result.entries, "head": result.head},
        )
