"""Ledger postings name who recorded them by pseudonym; they are kept (financial records)."""

from __future__ import annotations

from covenant.personal_data import Strategy, declare

declare(
    "ledger.LedgerEntry",
    category="Ledger postings you recorded",
    purpose="The covenant's double-entry ledger records who posted each entry, by pseudonym.",
    pseudonym_fields=("recorded_by",),
    strategy=Strategy.RETAIN,
    legal_basis="Financial record-keeping (a legal obligation, GDPR Art. 17(3)(b)): postings "
    "are never changed. They hold only a pseudonym, which an erasure cuts from you.",
)
