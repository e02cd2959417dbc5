"""Django's RedisCache, made an accelerator: connection errors and timeouts are logged and
answered as a miss (reads) or a dropped write, never raised to the request. After a failure the
circuit stays open for CIRCUIT_SECONDS (default 5): calls skip Redis entirely, so an outage
costs one short socket timeout per process every few seconds, not one per call.

    CACHES = {"default": {
        "BACKEND": "covenant.caching.backend.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "OPTIONS": {"CIRCUIT_SECONDS": 5, "socket_connect_timeout": 0.25, "socket_timeout": 0.5},
    }}

Rate-limit counters (allauth's sign-in, sign-up, code and password-reset limits: keys under
`allauth:rl:`) are the exception: while Redis is unavailable they are kept in this process's
memory instead of dropped, so repeated failed sign-ins still get 429 during an outage — per
process, as the API's anonymous limits always are (W worker processes let through at most W
times a rate). They hold no data of the database, so a local copy cannot serve anything stale.

`probe()` bypasses all of it and raises: /readyz still reports a Redis that is down (503)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("covenant.cache")

OUTAGE = (RedisError, OSError)
DOWN = object()  # what ResilientRedisCache._redis answers when Redis is unavailable
LOCAL_DURING_OUTAGE = ("allauth:rl:",)  # key prefixes kept in process memory during an outage
outage_limits = LocMemCache("covenant-outage-limits", {"OPTIONS": {"MAX_ENTRIES": 50_000}})


def _local_during_outage(key: Any) -> BaseCache | None:
    return outage_limits if isinstance(key, str) and key.startswith(LOCAL_DURING_OUTAGE) else None


class Circuit:
    """Shared by every thread of the process for one Redis location."""

    def __init__(self, location: str, seconds: float) -> None:
        self.location = location
        self.seconds = seconds
        self.open_until = 0.0
        self.failures = 0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, operation: str, error: BaseException) -> None:
        with self._lock:
            self.failures += 1
            already_open = self.is_open()
            self.open_until = time.monotonic() + self.seconds
        if not already_open:
            logger.warning(
                "cache unavailable (%s on %s: %s); serving from the database for %.0f s",
                type(error).__name__,
                operation,
                str(error)[:200],
                self.seconds,
            )

    def close(self) -> None:
        self.open_until = 0.0


_circuits: dict[str, Circuit] = {}
_circuits_lock = threading.Lock()


def circuit_for(location: str, seconds: float) -> Circuit:
    with _circuits_lock:
        circuit = _circuits.get(location)
        if circuit is None:
            circuit = _circuits[location] = Circuit(location, seconds)
        circuit.seconds = seconds
        return circuit


class ResilientRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        seconds = float(options.pop("CIRCUIT_SECONDS", 5.0))
        options.setdefault("socket_connect_timeout", 0.25)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        servers = server if isinstance(server, str) else ",".join(server)
        self.circuit = circuit_for(servers, seconds)

    def _redis(self, operation: str, call: Callable[..., Any], *args: Any) -> Any:
        """`call(*args)` against Redis, or DOWN: the circuit is open, or the call failed (which
        opens it)."""
        if self.circuit.is_open():
            return DOWN
        try:
            return call(*args)
        except OUTAGE as error:
            self.circuit.trip(operation, error)
            return DOWN

    # Reads: a miss.
    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        value = self._redis("get", super().get, key, default, version)
        if value is not DOWN:
            return value
        local = _local_during_outage(key)
        return local.get(key, default, version) if local else default

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        found = self._redis("get_many", super().get_many, keys, version)
        return {} if found is DOWN else dict(found)

    def has_key(self, key: Any, version: Any = None) -> bool:
        found = self._redis("has_key", super().has_key, key, version)
        return found is not DOWN and bool(found)

    # Writes: dropped (the database stays the truth).
    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        if self._redis("set", super().set, key, value, timeout, version) is not DOWN:
            return
        local = _local_during_outage(key)
        if local:
            local.set(key, value, timeout, version)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        """While Redis is unavailable an add is reported as done (True), as if the key were new:
        callers use add() as a lock (allauth's rate limits do), and a lock that can never be
        taken would turn a cache outage into refusing every sign-in. Nothing of the portal's
        own relies on the cache for correctness. A rate-limit key's lock is taken in this
        process's memory instead (see the module's docstring)."""
        added = self._redis("add", super().add, key, value, timeout, version)
        if added is not DOWN:
            return bool(added)
        local = _local_during_outage(key)
        return bool(local.add(key, value, timeout, version)) if local else True

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        failed = self._redis("set_many", super().set_many, data, timeout, version)
        return list(data) if failed is DOWN else list(failed)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        touched = self._redis("touch", super().touch, key, timeout, version)
        return touched is not DOWN and bool(touched)

    def delete(self, key: Any, version: Any = None) -> bool:
        deleted = self._redis("delete", super().delete, key, version)
        if deleted is not DOWN:
            return bool(deleted)
        local = _local_during_outage(key)
        return bool(local.delete(key, version)) if local else False

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._redis("delete_many", super().delete_many, keys, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        """As for a missing key (ValueError) while Redis is unavailable."""
        total = self._redis("incr", super().incr, key, delta, version)
        if total is DOWN:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return int(total)

    def clear(self) -> None:
        self._redis("clear", super().clear)

    def probe(self) -> None:
        """Round trip to Redis, raising on any failure: for /readyz. A success closes the
        circuit (Redis is back)."""
        client = self._cache.get_client(write=True)
        client.ping()
        self.circuit.close()
