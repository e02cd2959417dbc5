"""Background jobs carry ids only, never an e-mail or a name."""

from __future__ import annotations

from covenant.personal_data import Strategy, declare

declare(
    "outbox.OutboxMessage",
    category="Background jobs",
    purpose="Jobs waiting to run (an export, an e-mail); they carry ids only.",
    strategy=Strategy.RETAIN,
    legal_basis="No personal data: a job names records by id. Sent jobs are archived and "
    "removed after 30 days (retention rule outbox-sent).",
    exported=False,
)
