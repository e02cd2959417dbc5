"""Reading the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from covenant.access.principal import Principal
from covenant.errors import Forbidden
from covenant.nations.models import Nation

from .chain import Verification, verify_entries
from .models import AuditEntry


def audit_entry_list(*, principal: Principal, nation: Nation | None = None) -> QuerySet[AuditEntry]:
    """Entries in chain order that the principal may read: an auditor those of the nations
    they audit, a platform admin every entry (platform-wide ones included)."""
    entries = AuditEntry.objects.order_by("sequence")
    if principal.is_platform_admin:
        return entries.filter(nation=nation.iso3) if nation is not None else entries
    readable = {
        m.nation_iso3
        for m in principal.memberships
        if m.nation_id in principal.nation_ids_with("audit:read")
    }
    if not readable:
        raise Forbidden("only auditors and platform admins read the audit log")
    if nation is not None:
        if nation.iso3 not in readable:
            raise Forbidden("you may not read this nation's audit entries")
        readable = {nation.iso3}
    return entries.filter(nation__in=sorted(readable))


def audit_chain_verify() -> Verification:
    """Verify the whole chain, streaming it in chain order."""
    return verify_entries(AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000))
