"""Council membership follows the role grants, atomically and audited.

The access core sends `role_activated` / `role_revoked` inside the transaction of the role
change (covenant/access/signals.py); the receivers below fill or vacate the seat in the same
transaction, so a grant without its seat (or a revoked member still seated) cannot be
committed: if seating fails, the grant rolls back with it.

- council_member of nation N → a seat of N's National Council (created if need be);
  revoked → the seat ends (a later grant opens a new seat).
- delegate of nation N → N's seat in the Global Council (created the first time), held by
  that delegate; revoked → the seat is vacant until the next delegate."""

from __future__ import annotations

from typing import Any

from covenant.access.principal import Principal
from covenant.access.roles import Role
from covenant.access.signals import role_activated, role_revoked

SEATED_ROLES = (Role.COUNCIL_MEMBER, Role.DELEGATE)


def _activated(sender: Any, assignment: Any, actor: Principal, **kwargs: Any) -> None:
    if assignment.role in SEATED_ROLES:
        from .services import seat_fill

        seat_fill(assignment=assignment, actor=actor)


def _revoked(sender: Any, assignment: Any, actor: Principal, **kwargs: Any) -> None:
    if assignment.role in SEATED_ROLES:
        from .services import seat_vacate

        seat_vacate(assignment=assignment, actor=actor)


def connect() -> None:
    role_activated.connect(_activated, weak=False, dispatch_uid="governance_seat_fill")
    role_revoked.connect(_revoked, weak=False, dispatch_uid="governance_seat_vacate")
