"""The minerals profit split 50/30/20, to the cent, by the largest-remainder rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from covenant.money import CENT

# (part, percent) in the tie-break order: community, fund, reinvestment
SHARES: tuple[tuple[str, int], ...] = (("community", 50), ("fund", 30), ("reinvestment", 20))


@dataclass(frozen=True)
class ProfitSplit:
    community_usd: Decimal
    fund_usd: Decimal
    reinvestment_usd: Decimal


def profit_split(profit_usd: Decimal) -> ProfitSplit:
    """Split P in cents: floor each share, then hand the leftover cents out one at a time by
    largest fractional remainder (ties: community, fund, reinvestment). Parts sum to P."""
    if not profit_usd.is_finite() or profit_usd != profit_usd.quantize(CENT) or profit_usd < 0:
        raise ValueError("profit must be a non-negative amount with at most two decimal places")
    cents = int(profit_usd * 100)
    exact = [cents * percent for _, percent in SHARES]  # in hundredths of a cent
    parts = [value // 100 for value in exact]
    remainders = [value % 100 for value in exact]
    leftover = cents - sum(parts)
    for index in sorted(range(len(SHARES)), key=lambda i: (-remainders[i], i))[:leftover]:
        parts[index] += 1
    community, fund, reinvestment = (Decimal(part) / 100 for part in parts)
    return ProfitSplit(community.quantize(CENT), fund.quantize(CENT), reinvestment.quantize(CENT))
