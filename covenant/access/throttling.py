"""API throttling per key, per token, per signed-in person and per address: 429 with
`Retry-After` and `{"error": {"code": "throttled", …}}` (covenant.api.errors).

Two layers, so that the public summaries keep their throughput:
1. A token bucket in this process (a dict and a lock: microseconds, no I/O) for every request.
   Anonymous traffic is limited here only, per address and per process: with W worker
   processes an address gets at most W × its rate. The hot public reads pay no round trip.
2. For keys, tokens and signed-in people, a shared fixed-window counter in Redis, so that
   their limit holds across every process. Requests are counted in batches (INCRBY every
   `capacity/60` requests, at most 10, or every half second), so a busy key costs a round trip
   per batch, not per request; between two syncs the estimate is the last shared total plus
   this process's pending count, so a key overshoots by at most a batch per process. At low
   rates (under 120/min) every request is counted at once. Redis down: the shared layer fails
   open (the per-process bucket still limits) and is not asked again for a few seconds.

Rates: settings.COVENANT_THROTTLE_RATES, e.g. {"key": "600/min", "token": "600/min",
"user": "1200/min", "anon": "1200/min"}; a kind left out is not throttled."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("covenant.throttling")

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
           "hour": 3600, "d": 86400, "day": 86400}  # fmt: skip
MAX_BUCKETS = 50_000  # addresses and credentials remembered per process (least recent dropped)
REDIS_RETRY_SECONDS = 5.0
SHARED_BATCH_MAX = 10
SHARED_SYNC_SECONDS = 0.5


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" → (600, 60)."""
    count, _, period = rate.partition("/")
    if period not in PERIODS or not count.isdigit() or int(count) < 1:
        raise ValueError(f"bad throttle rate {rate!r}: like '600/min'")
    return int(count), PERIODS[period]


class TokenBuckets:
    """Per-process token buckets: `capacity` requests, refilled over `period` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    def take(self, key: tuple[str, str], capacity: int, period: int) -> float:
        """Take one token; 0.0 if granted, else the seconds until one is available."""
        now = time.monotonic()
        rate = capacity / period
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (float(capacity), now))
            tokens = min(float(capacity), tokens + (now - stamp) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / rate
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


_local = TokenBuckets()
_rates: dict[str, tuple[int, int]] | None = None
_redis_down_until = 0.0
# (kind, ident, period) → [window, pending, last shared total, last sync time]
_shared: OrderedDict[tuple[str, str, int], list[float]] = OrderedDict()
_shared_lock = threading.Lock()


def _configured_rates() -> dict[str, tuple[int, int]]:
    global _rates
    if _rates is None:
        configured = getattr(settings, "COVENANT_THROTTLE_RATES", {}) or {}
        _rates = {kind: parse_rate(rate) for kind, rate in configured.items() if rate}
    return _rates


def throttle_reset(**kwargs: Any) -> None:
    """Forget every bucket and re-read the rates (tests; a settings change)."""
    global _rates, _redis_down_until
    if kwargs.get("setting") not in (None, "COVENANT_THROTTLE_RATES", "CACHES"):
        return
    _rates = None
    _redis_down_until = 0.0
    _local.clear()
    with _shared_lock:
        _shared.clear()


setting_changed.connect(throttle_reset)


def _redis_client() -> Any:
    """The raw client of Django's Redis cache backend, or None for another backend."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(None, write=True)


def _shared_incr(key: str, amount: int, period: int) -> int | None:
    """INCRBY + EXPIRE in one round trip; None when Redis does not answer (fail open)."""
    global _redis_down_until
    try:
        client = _redis_client()
        if client is None:
            return None
        pipe = client.pipeline(transaction=False)
        pipe.incrby(key, amount)
        pipe.expire(key, period + 1)
        return int(pipe.execute()[0])
    except Exception as error:  # Redis down or confused: fail open, never a 500
        _redis_down_until = time.time() + REDIS_RETRY_SECONDS
        logger.warning("throttle: shared counter unavailable (%s); failing open", error)
        return None


def shared_window_wait(kind: str, ident: str, capacity: int, period: int) -> float:
    """Count this request in the shared fixed window (in batches, see the module's docstring);
    0.0 if within the limit, else the seconds to the window's end. Fails open when Redis does
    not answer."""
    now = time.time()
    if now < _redis_down_until:
        return 0.0
    window = int(now // period)
    batch = max(1, min(SHARED_BATCH_MAX, capacity // 120))
    slot = (kind, ident, period)
    with _shared_lock:
        state = _shared.pop(slot, None)
        if state is None or state[0] != window:
            state = [window, 0, 0, 0.0]
        _shared[slot] = state
        while len(_shared) > MAX_BUCKETS:
            _shared.popitem(last=False)
        state[1] += 1
        estimate = state[2] + state[1]
        pending = int(state[1]) if state[1] >= batch or now - state[3] >= SHARED_SYNC_SECONDS else 0
        if pending:
            state[1], state[3] = 0, now
    if pending:
        key = cache.make_key(f"throttle:{kind}:{ident}:{period}:{window}")
        total = _shared_incr(key, pending, period)
        if total is None:
            return 0.0
        with _shared_lock:
            if state[0] == window:
                state[2] = total
        estimate = total + state[1]
    if estimate <= capacity:
        return 0.0
    return max((window + 1) * period - now, 1.0)


def client_kind_and_ident(request: Any, address: str) -> tuple[str, str]:
    """Who is asking: an API key, a token, a signed-in person, or an address."""
    auth = getattr(request, "auth", None)
    if auth is not None and getattr(auth, "is_api_key", False):
        return "key", str(auth.prefix)
    if auth is not None and hasattr(auth, "token_hash"):
        return "token", str(auth.prefix)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return "user", str(user.pk)
    return "anon", address


class CovenantThrottle(BaseThrottle):
    """DRF's throttle for every API view (settings.REST_FRAMEWORK)."""

    _wait: float = 0.0

    def allow_request(self, request: Any, view: Any) -> bool:
        rates = _configured_rates()
        if not rates:
            return True
        kind, ident = client_kind_and_ident(request, self.get_ident(request))
        rate = rates.get(kind)
        if rate is None:
            return True
        capacity, period = rate
        wait = _local.take((kind, ident), capacity, period)
        if not wait and kind != "anon":
            wait = shared_window_wait(kind, ident, capacity, period)
        self._wait = wait
        return not wait

    def wait(self) -> float | None:
        return float(math.ceil(self._wait)) if self._wait else None
