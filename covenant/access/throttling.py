"""API throttling per key, per token, per signed-in person and per address: 429 with
`Retry-After` and `{"error": {"code": "throttled", …}}` (covenant.api.errors).

Two layers, so that the public summaries keep their throughput:
1. A token bucket in this process (a dict and a lock: microseconds, no I/O) for every request.
   Anonymous traffic is limited here only, per address and per process: with W worker
   processes an address gets at most W × its rate. The hot public reads pay no round trip.
2. For keys, tokens and signed-in people (who already cost a database read to authenticate),
   a shared fixed-window counter in Redis (INCR + EXPIRE, one pipelined round trip), so their
   limit holds across every process. Redis down: the shared layer fails open (the per-process
   bucket still limits) and is not asked again for a few seconds; never a 500.

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


setting_changed.connect(throttle_reset)


def _redis_client() -> Any:
    """The raw client of Django's Redis cache backend, or None for another backend."""
    inner = getattr(cache, "_cache", None)
    get_client = getattr(inner, "get_client", None)
    if get_client is None or type(cache).__name__ != "RedisCache":
        return None
    return get_client(None, write=True)


def shared_window_wait(kind: str, ident: str, capacity: int, period: int) -> float:
    """Count this request in the shared fixed window; 0.0 if within the limit, else the
    seconds to the window's end. Fails open (0.0) when Redis does not answer."""
    global _redis_down_until
    now = time.time()
    if now < _redis_down_until:
        return 0.0
    window = int(now // period)
    key = cache.make_key(f"throttle:{kind}:{ident}:{period}:{window}")
    try:
        client = _redis_client()
        if client is None:
            return 0.0
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, period + 1)
        count = int(pipe.execute()[0])
    except Exception as error:  # Redis down or confused: fail open, never a 500
        _redis_down_until = now + REDIS_RETRY_SECONDS
        logger.warning("throttle: shared counter unavailable (%s); failing open", error)
        return 0.0
    if count <= capacity:
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
