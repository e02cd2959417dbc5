"""Tenancy that fails closed (after django-scopes).

Every tenant-owned model derives from `NationOwned`. Its default manager refuses to build a query
unless a nation is in scope (`nation_scope`), and then filters to that nation. The one way to read
across nations is `all_nations(reason=...)`: explicit, greppable, logged with its reason, and its
call sites are pinned by a test (tests/core/test_tenancy.py).

The covenant also owns data that belongs to no nation: the Global Council, its proposals and
ballots. Such models derive from `NationOrGlobalOwned` (a nullable nation, where null means "the
covenant as a whole"); their manager is just as strict: inside `nation_scope(n)` it sees n's rows,
inside `global_scope()` only the rows of no nation, and outside any scope it raises. A nation's
scope never shows global rows and the global scope never shows a nation's rows; `NationOwned`
models refuse to be queried in the global scope."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models

if TYPE_CHECKING:
    from .models import Nation

logger = logging.getLogger("covenant.tenancy")


class ScopeError(RuntimeError):
    """A tenant-owned model was queried with no nation in scope."""


@dataclass(frozen=True)
class _Scope:
    nation_id: int | None  # None: every nation (all_nations) or no nation (global)
    all_nations: bool = False
    reason: str = ""
    is_global: bool = False


_current: ContextVar[_Scope | None] = ContextVar("covenant_nation_scope", default=None)


def current_scope() -> _Scope | None:
    return _current.get()


def current_nation_id() -> int | None:
    scope = _current.get()
    return None if scope is None else scope.nation_id


@contextmanager
def nation_scope(nation: Nation | int) -> Iterator[None]:
    """Activate one nation: tenant-owned queries inside see that nation's rows only."""
    nation_id = nation if isinstance(nation, int) else nation.pk
    if nation_id is None:
        raise ScopeError("nation_scope() needs a saved nation")
    token = _current.set(_Scope(nation_id=nation_id))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def global_scope() -> Iterator[None]:
    """Activate the covenant's own tenant: the rows of no nation (the Global Council's)."""
    token = _current.set(_Scope(nation_id=None, is_global=True))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def owner_scope(nation: Nation | int | None) -> Iterator[None]:
    """The scope of a `NationOrGlobalOwned` row's owner: its nation, or the global scope."""
    if nation is None:
        with global_scope():
            yield
    else:
        with nation_scope(nation):
            yield


@contextmanager
def all_nations(*, reason: str) -> Iterator[None]:
    """The cross-nation escape hatch. Every use names why; every call site is reviewed in a test."""
    if not reason.strip():
        raise ScopeError("all_nations() needs a reason")
    # The trail of every cross-nation read: the reason and the code that asked for it.
    caller = sys._getframe(2)
    logger.info(
        "cross-nation scope: %s (%s:%d)",
        reason,
        caller.f_code.co_filename.rsplit("/", 2)[-1],
        caller.f_lineno,
        extra={"tenancy_reason": reason},
    )
    token = _current.set(_Scope(nation_id=None, all_nations=True, reason=reason))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def no_scope() -> Iterator[None]:
    """Deactivate any scope (used by tests to prove unscoped queries raise)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


_R = TypeVar("_R")


def in_nation_scope(task: Callable[..., _R]) -> Callable[..., _R]:
    """For Celery tasks, which take the nation explicitly: the first argument is the nation's
    id, and the task's body runs inside that nation's scope."""

    @functools.wraps(task)
    def run(nation_id: int, *args: Any, **kwargs: Any) -> _R:
        if not isinstance(nation_id, int) or isinstance(nation_id, bool):
            raise ScopeError(f"{task.__name__} needs a nation id first, got {nation_id!r}")
        with nation_scope(nation_id):
            return task(nation_id, *args, **kwargs)

    return run


_M = TypeVar("_M", bound=models.Model)


class NationScopedQuerySet(models.QuerySet[_M], Generic[_M]):
    pass


class NationScopedManager(models.Manager[_M]):
    """Default manager of every tenant-owned model: raises outside a scope, filters inside one."""

    _queryset_class = NationScopedQuerySet

    def get_queryset(self) -> models.QuerySet[_M]:
        scope = _current.get()
        queryset = super().get_queryset()
        if scope is None:
            raise ScopeError(
                f"{self.model._meta.label} queried with no nation in scope: wrap the code in "
                "nation_scope(nation) or, for a reviewed cross-nation read, all_nations(reason=...)"
            )
        if scope.all_nations:
            return queryset
        if scope.is_global:
            raise ScopeError(
                f"{self.model._meta.label} belongs to one nation: it is not read in the global "
                "scope (use nation_scope, or all_nations(reason=...) for a reviewed read)"
            )
        return queryset.filter(nation_id=scope.nation_id)


class NationOwned(models.Model):
    """Base of every tenant-owned model: a non-null nation and the scoped default manager."""

    nation = models.ForeignKey(
        "nations.Nation", on_delete=models.PROTECT, related_name="+", db_index=True
    )

    objects: Any = NationScopedManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        scope = _current.get()
        if scope is None:
            raise ScopeError(f"{self._meta.label} saved with no nation in scope")
        if not scope.all_nations and (scope.is_global or self.nation_id != scope.nation_id):
            raise ScopeError(
                f"{self._meta.label} of nation {self.nation_id} saved inside the scope of "
                f"{'the covenant (global)' if scope.is_global else f'nation {scope.nation_id}'}"
            )
        super().save(*args, **kwargs)


class NationOrGlobalScopedManager(models.Manager[_M]):
    """Default manager of `NationOrGlobalOwned`: a nation's rows in its scope, the rows of no
    nation in the global scope, every row under all_nations; raises outside any scope."""

    _queryset_class = NationScopedQuerySet

    def get_queryset(self) -> models.QuerySet[_M]:
        scope = _current.get()
        queryset = super().get_queryset()
        if scope is None:
            raise ScopeError(
                f"{self.model._meta.label} queried with no scope: wrap the code in "
                "nation_scope(nation), global_scope() or all_nations(reason=...)"
            )
        if scope.all_nations:
            return queryset
        if scope.is_global:
            return queryset.filter(nation__isnull=True)
        return queryset.filter(nation_id=scope.nation_id)


class NationOrGlobalOwned(models.Model):
    """Base of data owned by one nation or by the covenant as a whole (nation null): a
    National Council's rows and the Global Council's rows, each in its own tenant."""

    nation = models.ForeignKey(
        "nations.Nation",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=True,
        null=True,
        blank=True,
    )

    objects: Any = NationOrGlobalScopedManager()
    nation_id: int | None

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        scope = _current.get()
        if scope is None:
            raise ScopeError(f"{self._meta.label} saved with no scope")
        if not scope.all_nations:
            owner_ok = (
                self.nation_id is None if scope.is_global else self.nation_id == scope.nation_id
            )
            if not owner_ok:
                raise ScopeError(
                    f"{self._meta.label} of "
                    f"{'the covenant' if self.nation_id is None else f'nation {self.nation_id}'}"
                    " saved in another owner's scope"
                )
        super().save(*args, **kwargs)

    @property
    def is_global(self) -> bool:
        return self.nation_id is None
