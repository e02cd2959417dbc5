"""What the sectors' shared base holds about a person: single projects shared with them."""

from __future__ import annotations

from covenant.personal_data import Strategy, declare

declare(
    "sectors_core.ProjectUserObjectPermission",
    category="Object permissions",
    purpose="Single projects whose records a nation shared with you to keep up to date.",
    subject_fields=("user",),
    strategy=Strategy.DELETE,
)
