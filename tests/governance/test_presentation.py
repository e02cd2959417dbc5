"""The pages say where a vote stands in words people read: grouped digits, no run of zeros,
dollars for pledge weights — and still the exact figures."""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance.presentation import weight_for_reading, weight_words


@pytest.mark.parametrize(
    ("value", "weighting", "expected"),
    [
        (Fraction(3), "equal", "3 seats"),
        (Fraction(1), "equal", "1 seat"),
        (Fraction(1, 2), "equal", "weight 0.5"),
        (Fraction(0), "penrose", "weight 0"),
        (Fraction(53932260572, 10**6), "penrose", "weight 53,932.260572"),
        (Fraction(2929801300), "pledge", "$2,929,801,300 of pledges"),
        (Fraction(21858216107, 100), "pledge", "$218,582,161.07 of pledges"),
        (Fraction(1396301788, 10), "pledge", "$139,630,178.80 of pledges"),
        (Fraction(0), "pledge", "$0 of pledges"),
    ],
)
def test_weights_in_words(value: Fraction, weighting: str, expected: str) -> None:
    assert weight_words(value, weighting=weighting) == expected


def test_reading_keeps_every_digit() -> None:
    """Nothing is rounded away: the words read back to the same fraction."""
    value = Fraction(1234567890123457, 10**6)
    text = weight_for_reading(value, weighting="penrose")
    assert text == "1,234,567,890.123457"
    assert Fraction(text.replace(",", "")) == value
