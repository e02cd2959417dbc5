"""Celery tasks take the nation explicitly and run in its scope (eager here; the worker tests
run them through a real broker)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from covenant.celery import app
from covenant.ledger.models import Kind, LedgerEntry
from covenant.ledger.tasks import open_year, pledge_for_nation
from covenant.nations.tenancy import ScopeError, all_nations, current_nation_id, in_nation_scope


def test_a_nation_task_runs_inside_the_nation_it_was_given() -> None:
    @in_nation_scope
    def which(nation_id: int) -> int | None:
        return current_nation_id()

    assert which(42) == 42
    assert current_nation_id() is None
    for bad in ("KEN", None, True, 4.2):
        with pytest.raises(ScopeError):
            which(bad)


@pytest.fixture
def eager() -> Iterator[None]:
    """Run tasks in this process even on the CI pass that has a broker (REDIS_URL)."""
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.mark.django_db
def test_opening_a_year_posts_every_pledge_once(kenya, eager) -> None:
    assert open_year.delay(2027).get() == 193
    with all_nations(reason="test"):
        pledges = LedgerEntry.objects.filter(kind=Kind.PLEDGE, fiscal_year=2027)
        assert pledges.count() == 193
        assert pledges.filter(nation=kenya).get().memo.startswith("Pledge 2027")
    assert pledge_for_nation.delay(kenya.pk, 2027).get() is False  # idempotent
    open_year.delay(2027).get()
    with all_nations(reason="test"):
        assert LedgerEntry.objects.filter(kind=Kind.PLEDGE, fiscal_year=2027).count() == 193
