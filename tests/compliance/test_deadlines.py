"""Due dates exactly as the SPEC states them, with fixed dates: every type of both regimes,
month ends, leap years, business days across weekends, and the one extension."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.deadlines import (
    add_business_days,
    add_months,
    due_on_for,
    extended_due_on_for,
    is_overdue,
)
from compliance.models import TYPES_OF_REGIME

D = dt.date
GDPR_TYPES = sorted(TYPES_OF_REGIME["gdpr"])
CCPA_DAY_TYPES = ["correct", "delete", "know"]
CCPA_BUSINESS_TYPES = ["limit_sensitive", "opt_out"]


@pytest.mark.parametrize("request_type", GDPR_TYPES)
@pytest.mark.parametrize(
    ("received", "due", "extended"),
    [
        (D(2026, 1, 15), D(2026, 2, 15), D(2026, 4, 15)),
        (D(2026, 1, 31), D(2026, 2, 28), D(2026, 4, 30)),  # month end; April has 30 days
        (D(2028, 1, 31), D(2028, 2, 29), D(2028, 4, 30)),  # leap year
        (D(2028, 1, 29), D(2028, 2, 29), D(2028, 4, 29)),
        (D(2027, 1, 29), D(2027, 2, 28), D(2027, 4, 29)),  # not a leap year
        (D(2026, 3, 31), D(2026, 4, 30), D(2026, 6, 30)),
        (D(2026, 8, 31), D(2026, 9, 30), D(2026, 11, 30)),
        (D(2026, 11, 30), D(2026, 12, 30), D(2027, 2, 28)),  # over the year's end
        (D(2026, 12, 31), D(2027, 1, 31), D(2027, 3, 31)),
        (D(2027, 11, 30), D(2027, 12, 30), D(2028, 2, 29)),  # extension lands in a leap February
        (D(2026, 2, 28), D(2026, 3, 28), D(2026, 5, 28)),
    ],
)
def test_gdpr_one_calendar_month_and_three_when_extended(request_type, received, due, extended):
    assert due_on_for(regime="gdpr", request_type=request_type, received_on=received) == due
    assert (
        extended_due_on_for(regime="gdpr", request_type=request_type, received_on=received)
        == extended
    )


@pytest.mark.parametrize("request_type", CCPA_DAY_TYPES)
@pytest.mark.parametrize(
    ("received", "due", "extended"),
    [
        (D(2026, 1, 1), D(2026, 2, 15), D(2026, 4, 1)),  # 45 and 90 days
        (D(2028, 1, 15), D(2028, 2, 29), D(2028, 4, 14)),  # across a leap day
        (D(2027, 1, 15), D(2027, 3, 1), D(2027, 4, 15)),
        (D(2026, 12, 1), D(2027, 1, 15), D(2027, 3, 1)),
    ],
)
def test_ccpa_45_days_and_90_when_extended(request_type, received, due, extended):
    assert due_on_for(regime="ccpa", request_type=request_type, received_on=received) == due
    assert (
        extended_due_on_for(regime="ccpa", request_type=request_type, received_on=received)
        == extended
    )


@pytest.mark.parametrize("request_type", CCPA_BUSINESS_TYPES)
@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 1, 5), D(2026, 1, 26)),  # a Monday: three weeks later, Monday
        (D(2026, 1, 9), D(2026, 1, 30)),  # a Friday: Friday three weeks on
        (D(2026, 1, 10), D(2026, 1, 30)),  # a Saturday: counting starts on Monday
        (D(2026, 1, 11), D(2026, 1, 30)),  # a Sunday: the same
        (D(2026, 1, 7), D(2026, 1, 28)),  # a Wednesday
        (D(2028, 2, 14), D(2028, 3, 6)),  # through a leap day (Tue 29 Feb counts)
        (D(2026, 12, 24), D(2027, 1, 14)),  # weekdays only: holidays are not the rule
    ],
)
def test_opt_out_and_limit_15_business_days(request_type, received, due):
    assert due_on_for(regime="ccpa", request_type=request_type, received_on=received) == due
    with pytest.raises(ValueError):
        extended_due_on_for(regime="ccpa", request_type=request_type, received_on=received)


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)), st.integers(1, 24))
def test_adding_months_keeps_the_day_or_takes_the_last_of_the_month(day, months):
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (
        result.day < day.day and (result + dt.timedelta(days=1)).month != result.month
    )


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)))
def test_fifteen_business_days_are_three_weeks_of_weekdays(day):
    due = add_business_days(day, 15)
    assert due.weekday() < 5
    between = [day + dt.timedelta(days=n) for n in range(1, (due - day).days + 1)]
    assert sum(1 for d in between if d.weekday() < 5) == 15


def test_overdue_from_the_day_after_the_due_date_and_only_while_open() -> None:
    due = D(2026, 2, 28)
    assert not is_overdue(due_on=due, is_open=True, today=D(2026, 2, 28))
    assert is_overdue(due_on=due, is_open=True, today=D(2026, 3, 1))
    assert not is_overdue(due_on=due, is_open=False, today=D(2026, 3, 1))
