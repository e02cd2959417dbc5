"""Compliance tests: jobs run eagerly (even on the Redis pass, except the worker tests), private
files in a temporary folder, and a clock for the deadlines that tests can pin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from compliance import deadlines


@pytest.fixture(autouse=True)
def _eager_and_private(request: Any, settings: Any, tmp_path: Any) -> None:
    settings.COMPLIANCE_PRIVATE_ROOT = str(tmp_path / "private")
    if request.node.get_closest_marker("worker") is None:
        settings.CELERY_TASK_ALWAYS_EAGER = True


class Clock:
    """The deadlines' "today" (UTC), pinned by a test."""

    def __init__(self, monkeypatch: Any) -> None:
        self.monkeypatch = monkeypatch

    def set(self, day: dt.date) -> None:
        self.monkeypatch.setattr(deadlines, "utc_today", lambda: day)


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    return Clock(monkeypatch)
