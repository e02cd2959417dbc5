"""Hooks of the access core for packages the core does not import (governance follows role
changes to seat people in councils).

Both signals are sent *inside* the transaction of the role change, with `send()` (not
`send_robust()`): a receiver that fails rolls the role change back, so what follows a role
(a council seat) changes atomically with it. Receivers get `assignment` (the RoleAssignment,
already saved) and `actor` (the Principal who acted)."""

from __future__ import annotations

from django.dispatch import Signal

# A role became active: granted without the four-eyes wait, or approved by the second admin.
role_activated = Signal()
# An active role was revoked (a pending grant that is withdrawn was never active: not sent).
role_revoked = Signal()
