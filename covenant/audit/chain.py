"""Hashing and verification of the audit chain, shared by the writer and `audit_verify`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .models import GENESIS_HASH, AuditEntry


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_body(
    *,
    sequence: int,
    recorded_at: datetime,
    action: str,
    actor: str,
    nation: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "recorded_at": recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": action,
        "actor": actor,
        "nation": nation,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
    }


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


def body_of(entry: AuditEntry) -> dict[str, Any]:
    return entry_body(
        sequence=entry.sequence,
        recorded_at=entry.recorded_at,
        action=entry.action,
        actor=entry.actor,
        nation=entry.nation,
        target_type=entry.target_type,
        target_id=entry.target_id,
        data=entry.data,
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad: int | None  # the sequence number of the first entry that fails, if any
    reason: str
    head: str


def verify_entries(entries: Iterable[AuditEntry]) -> Verification:
    """Walk the chain in sequence order: sequence numbers must run 1, 2, 3 … with no gap, each
    entry must link to its predecessor's hash and hash to its own stored hash."""
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    count = 0
    for entry in entries:
        count += 1
        if entry.sequence != expected_sequence:
            return Verification(
                False,
                count,
                entry.sequence,
                f"sequence {entry.sequence} found where {expected_sequence} was expected "
                "(an entry was deleted, inserted or reordered)",
                expected_prev,
            )
        if entry.prev_hash != expected_prev:
            return Verification(
                False,
                count,
                entry.sequence,
                "prev_hash does not match the previous entry's hash",
                expected_prev,
            )
        if chain_hash(entry.prev_hash, body_of(entry)) != entry.hash:
            return Verification(
                False, count, entry.sequence, "content does not match its hash", expected_prev
            )
        expected_prev = entry.hash
        expected_sequence += 1
    return Verification(True, count, None, "intact", expected_prev)
