"""The minerals profit split: 50/30/20 to the cent by the largest-remainder rule."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sectors.minerals.split import profit_split

SHARES = (Fraction(1, 2), Fraction(3, 10), Fraction(1, 5))


def reference_split(cents: int) -> list[int]:
    """Largest remainder, written independently: exact fractions, ties by position."""
    exact = [cents * share for share in SHARES]
    parts = [int(value) for value in exact]  # floor (non-negative)
    order = sorted(range(3), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: cents - sum(parts)]:
        parts[i] += 1
    return parts


def as_cents(split) -> list[int]:  # type: ignore[no-untyped-def]
    return [
        int(part * 100) for part in (split.community_usd, split.fund_usd, split.reinvestment_usd)
    ]


@pytest.mark.parametrize(
    ("profit", "expected"),
    [
        ("100.00", ("50.00", "30.00", "20.00")),
        ("0.01", ("0.01", "0.00", "0.00")),  # remainders .5 .3 .2: community
        ("0.02", ("0.01", "0.01", "0.00")),  # 1.0 .6 .4: the one leftover cent to the fund
        ("0.03", ("0.01", "0.01", "0.01")),  # 1.5 .9 .6: fund, then reinvestment
        ("0.07", ("0.04", "0.02", "0.01")),  # 3.5 2.1 1.4: community
        ("0.05", ("0.03", "0.01", "0.01")),  # 2.5 1.5 1.0: tie .5/.5 → community first
        ("1234.57", ("617.29", "370.37", "246.91")),
    ],
)
def test_split_examples(profit: str, expected: tuple[str, str, str]) -> None:
    split = profit_split(Decimal(profit))
    assert (split.community_usd, split.fund_usd, split.reinvestment_usd) == tuple(
        Decimal(x) for x in expected
    )


@given(st.integers(min_value=1, max_value=10**14))
def test_parts_sum_exactly_and_match_largest_remainder(cents: int) -> None:
    profit = Decimal(cents) / 100
    split = profit_split(profit)
    assert split.community_usd + split.fund_usd + split.reinvestment_usd == profit
    assert as_cents(split) == reference_split(cents)
    for part in (split.community_usd, split.fund_usd, split.reinvestment_usd):
        assert part >= 0 and part == part.quantize(Decimal("0.01"))


@given(st.integers(min_value=1, max_value=10**12))
def test_each_part_within_a_cent_of_its_share(cents: int) -> None:
    parts = as_cents(profit_split(Decimal(cents) / 100))
    for part, share in zip(parts, SHARES, strict=True):
        assert abs(part - cents * share) < 1


@given(st.integers(min_value=0, max_value=10**9))
def test_ties_go_community_then_fund_then_reinvestment(base: int) -> None:
    # cents ≡ 5 (mod 10): remainders .5, .5, .0 → the one leftover cent to the community
    cents = base * 10 + 5
    parts = as_cents(profit_split(Decimal(cents) / 100))
    exact = [cents * share for share in SHARES]
    assert parts[0] == int(exact[0]) + 1 and parts[1] == int(exact[1])


def test_refuses_sub_cent_and_non_finite() -> None:
    for bad in ("0.001", "NaN", "Infinity", "-1.00"):
        with pytest.raises(ValueError):
            profit_split(Decimal(bad))
