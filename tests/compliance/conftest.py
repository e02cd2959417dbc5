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


@pytest.fixture(autouse=True)
def _after_commit_at_once(request: Any, monkeypatch: Any) -> None:
    """A test that is not transactional never commits: run after-commit work (the outbox's
    sends, file removals) at once, as the commit would. Transactional tests commit for real."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction"):
        return
    from django.db import transaction

    def at_once(func: Any, using: Any = None, robust: bool = False) -> None:
        func()

    monkeypatch.setattr(transaction, "on_commit", at_once)
