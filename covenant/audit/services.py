"""Writing to the audit log. Callers are services, inside their own transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from covenant.nations.models import Nation

from .chain import chain_hash, entry_body
from .models import GENESIS_HASH, AuditEntry

# pg_advisory_xact_lock key that serialises appends on PostgreSQL ("COVA" in ASCII).
AUDIT_LOCK_KEY = 0x434F5641


def _plain(value: Any) -> Any:
    """Entries hold JSON that hashes the same after a database round trip: no floats."""
    if isinstance(value, float):
        raise TypeError("audit data may not hold floats; pass Decimal or str")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def audit_record(
    *,
    action: str,
    actor: str,
    nation: Nation | str | None = None,
    target_type: str = "",
    target_id: str | int = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain; serialised so that concurrent writers cannot fork it."""
    alias = router.db_for_write(AuditEntry)
    with transaction.atomic(using=alias):
        connection = connections[alias]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
        head = (
            AuditEntry.objects.using(alias).order_by("-sequence").only("sequence", "hash").first()
        )
        sequence = 1 if head is None else head.sequence + 1
        prev_hash = GENESIS_HASH if head is None else head.hash
        recorded_at = timezone.now()
        nation_code = nation.iso3 if isinstance(nation, Nation) else (nation or "")
        payload = _plain(data or {})
        body = entry_body(
            sequence=sequence,
            recorded_at=recorded_at,
            action=action,
            actor=actor,
            nation=nation_code,
            target_type=target_type,
            target_id=str(target_id),
            data=payload,
        )
        return AuditEntry.objects.using(alias).create(
            sequence=sequence,
            recorded_at=recorded_at,
            action=action,
            actor=actor,
            nation=nation_code,
            target_type=target_type,
            target_id=str(target_id),
            data=payload,
            prev_hash=prev_hash,
            hash=chain_hash(prev_hash, body),
        )
