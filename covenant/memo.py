"""A value kept in this process for a few seconds, in front of the shared cache.

For the hottest public reads (the covenant summary, the sector summaries) a round trip to Redis
costs more than the rest of the request. A write clears the memos of its own process at once
(`clear_process_memos`); other processes see the change within the memo's lifetime."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

_T = TypeVar("_T")
_all_memos: list[ProcessMemo] = []


class ProcessMemo(Generic[_T]):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._values: dict[Hashable, tuple[float, _T]] = {}
        _all_memos.append(self)

    def get(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        now = time.monotonic()
        held = self._values.get(key)
        if held is not None and now - held[0] < self.seconds:
            return held[1]
        value = compute()
        with self._lock:
            self._values[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def clear_process_memos() -> None:
    """Forget every memo of this process (after a write, and between tests)."""
    for memo in _all_memos:
        memo.clear()
