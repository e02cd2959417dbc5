"""Reading the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from covenant.access.principal import Principal, may
from covenant.errors import Forbidden
from covenant.nations.models import Nation

from .chain import Verification, verify_entries
from .models import GENESIS_HASH, AuditEntry


def _nations_with(principal: Principal, capability: str) -> set[str]:
    """ISO3 codes of the nations in which the principal holds `capability` (token scopes
    included); may() itself answers for each one."""
    return {
        m.nation_iso3
        for m in principal.memberships
        if may(principal, capability, nation=m.nation_id)
    }


def audit_entry_list(*, principal: Principal, nation: Nation | None = None) -> QuerySet[AuditEntry]:
    """Entries in chain order that the principal may read: an auditor those of the nations
    they audit, a platform admin every entry (platform-wide ones included)."""
    entries = AuditEntry.objects.order_by("sequence")
    if may(principal, "audit:read"):  # platform-wide (no nation): platform admins only
        return entries.filter(nation=nation.iso3) if nation is not None else entries
    readable = _nations_with(principal, "audit:read")
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


@dataclass(frozen=True)
class ScopedVerification:
    """What one principal learns from verifying the chain. `ok` is the whole chain's (it is one
    chain: a break anywhere is a break); `entries`, `first_bad` and `head` only speak of the
    `nations` the principal audits (None: the whole chain, for platform admins)."""

    ok: bool
    entries: int
    first_bad: int | None
    head: str
    nations: list[str] | None


def audit_chain_verify_for(*, principal: Principal) -> ScopedVerification:
    """The server verifies every entry; a nation's auditor is told the result for the whole
    chain (one bit) and, for their nations only, how many entries verified, the hash of the
    last one (their head, to record elsewhere) and which of theirs, if any, is the first bad
    one — never the platform's count or head, which would reveal other nations' activity."""
    if may(principal, "audit:verify"):  # platform-wide: platform admins only
        whole = audit_chain_verify()
        return ScopedVerification(whole.ok, whole.entries, whole.first_bad, whole.head, None)
    nations = _nations_with(principal, "audit:verify")
    if not nations:
        raise Forbidden("only auditors and platform admins verify the audit log")
    seen: list[tuple[int, str]] = []  # (sequence, hash) of the nations' entries walked

    def tap(entries: Iterable[AuditEntry]) -> Iterator[AuditEntry]:
        for entry in entries:
            if entry.nation in nations:
                seen.append((entry.sequence, entry.hash))
            yield entry

    result = verify_entries(tap(AuditEntry.objects.order_by("sequence").iterator(chunk_size=2000)))
    bad = result.first_bad
    verified = [item for item in seen if bad is None or item[0] < bad]
    return ScopedVerification(
        ok=result.ok,
        entries=len(verified),
        first_bad=bad if bad is not None and any(seq == bad for seq, _ in seen) else None,
        head=verified[-1][1] if verified else GENESIS_HASH,
        nations=sorted(nations),
    )
