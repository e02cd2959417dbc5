"""Due dates of data-subject requests, exactly as the SPEC states them (dates are UTC).

- GDPR: one calendar month from receipt, same day number, or that month's last day when it is
  shorter (31 January → 28 or 29 February). One extension, on or before the due date and with
  a reason, to three calendar months from receipt (same rule).
- CCPA (know, delete, correct): 45 days from receipt; one extension to 90 days.
- CCPA opt_out and limit_sensitive: 15 business days (Monday to Friday) from receipt; no
  extension."""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone

from .models import BUSINESS_DAY_TYPES, Regime

CCPA_DAYS = 45
CCPA_EXTENDED_DAYS = 90
BUSINESS_DAYS = 15
GDPR_MONTHS = 1
GDPR_EXTENDED_MONTHS = 3


def utc_today() -> dt.date:
    """Today in UTC: the one clock of the deadlines (tests pin it)."""
    return timezone.now().astimezone(dt.UTC).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number `months` later, or the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_business_days(day: dt.date, count: int) -> dt.date:
    """`count` weekdays (Monday to Friday) after `day`; the day of receipt does not count."""
    current = day
    remaining = count
    while remaining:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def extendable(request_type: str) -> bool:
    return request_type not in BUSINESS_DAY_TYPES


def due_on_for(*, regime: str, request_type: str, received_on: dt.date) -> dt.date:
    """The due date of a request received on `received_on`."""
    if request_type in BUSINESS_DAY_TYPES:
        return add_business_days(received_on, BUSINESS_DAYS)
    if regime == Regime.GDPR:
        return add_months(received_on, GDPR_MONTHS)
    return received_on + dt.timedelta(days=CCPA_DAYS)


def extended_due_on_for(*, regime: str, request_type: str, received_on: dt.date) -> dt.date:
    """The due date after the one extension the law allows (ValueError if none is allowed)."""
    if not extendable(request_type):
        raise ValueError(f"a {request_type} request cannot be extended")
    if regime == Regime.GDPR:
        return add_months(received_on, GDPR_EXTENDED_MONTHS)
    return received_on + dt.timedelta(days=CCPA_EXTENDED_DAYS)


def is_overdue(*, due_on: dt.date, is_open: bool, today: dt.date | None = None) -> bool:
    """An open request is overdue from the day after its due date."""
    return is_open and (today or utc_today()) > due_on


def days_left(due_on: dt.date, today: dt.date | None = None) -> int:
    return (due_on - (today or utc_today())).days
