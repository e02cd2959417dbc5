"""The audit log names people by pseudonym only; it is kept, and verifiable, after an erasure."""

from __future__ import annotations

from covenant.personal_data import Strategy, declare

declare(
    "audit.AuditEntry",
    category="Audit log",
    purpose="What you did that the covenant must be able to account for (role changes, "
    "votes, postings, requests), recorded under your pseudonym in a hash-chained log.",
    pseudonym_fields=("actor", "data__subject"),
    strategy=Strategy.RETAIN,
    legal_basis="Accountability and the integrity of the covenant's record (GDPR Art. 5(2), "
    "Art. 17(3)(b) and (e)): the chain cannot lose an entry without breaking. It holds only "
    "pseudonyms; an erasure rotates yours, so these entries no longer lead to you.",
)
