"""Reading the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from .chain import Verification, verify_entries
from .models import AuditEntry


def audit_entry_list(*, nation_iso3: str | None = None) -> QuerySet[AuditEntry]:
    """Entries in chain order, optionally those of one nation."""
    entries = AuditEntry.objects.order_by("sequence")
    if nation_iso3:
        entries = entries.filter(nation=nation_iso3)
    return entries


def audit_chain_verify() -> Verification:
    """Verify the whole chain, streaming it in chain order."""
    return verify_entries(AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000))
