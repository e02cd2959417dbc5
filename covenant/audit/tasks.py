"""Celery entry points of the audit log (thin: the work is in selectors and services)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .selectors import audit_chain_verify
from .services import audit_record


@shared_task(name="covenant.audit.verify_chain", acks_late=True)
def audit_verify_chain() -> dict[str, Any]:
    """Verify the whole chain (scheduled nightly by beat); a broken chain is itself recorded."""
    result = audit_chain_verify()
    audit_record(
        action="audit.verified" if result.ok else "audit.broken",
        actor="system:worker",
        data={"entries": result.entries, "head": result.head, "first_bad": result.first_bad},
    )
    return {"ok": result.ok, "entries": result.entries, "first_bad": result.first_bad}
