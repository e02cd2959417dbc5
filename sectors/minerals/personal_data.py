"""Profit distributions name who recorded them by pseudonym (financial records, kept)."""

from __future__ import annotations

from covenant.personal_data import Strategy, declare

declare(
    "sector_minerals.ProfitDistribution",
    category="Profit distributions you recorded",
    purpose="Minerals profit splits (50/30/20) record who entered them, by pseudonym.",
    pseudonym_fields=("recorded_by",),
    strategy=Strategy.RETAIN,
    legal_basis="Financial record-keeping (GDPR Art. 17(3)(b)); a pseudonym only, cut from "
    "you by an erasure.",
)
