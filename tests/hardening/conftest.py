"""A throwaway Redis server for the outage tests: started on a free port, stopped (SHUTDOWN)
mid-test, restarted on the same port; and a port where nothing listens."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

REDIS_SERVER = shutil.which("redis-server")
needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs the redis-server binary (apt-get install redis-server)"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_url() -> str:
    """A Redis URL on a loopback port where nothing listens (connection refused at once)."""
    return f"redis://127.0.0.1:{free_port()}/0"


@dataclass
class ThrowawayRedis:
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(up=True)

    def shutdown(self) -> None:
        """SHUTDOWN NOSAVE, as an operator (or a crash) would take it down."""
        import redis

        # the server closes the connection as it goes
        with contextlib.suppress(redis.exceptions.ConnectionError):
            redis.Redis.from_url(self.url, socket_timeout=2).shutdown(nosave=True)
        if self.process is not None:
            self.process.wait(10)
        self._wait(up=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def _wait(self, *, up: bool) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                listening = sock.connect_ex(("127.0.0.1", self.port)) == 0
            if listening == up:
                return
            time.sleep(0.02)  # waiting for a child process to bind or exit, not for a result
        state = "up" if up else "down"
        raise RuntimeError(f"redis-server on port {self.port} did not come {state}")


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    if REDIS_SERVER is None:
        pytest.skip("needs the redis-server binary")
    server = ThrowawayRedis(port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def use_redis_cache(settings: Any, url: str) -> None:
    """Point the cache at `url`, configured as production configures it."""
    from covenant.memo import clear_process_memos
    from covenant.settings.base import redis_caches

    caches = redis_caches(url)
    caches["default"]["KEY_PREFIX"] = f"test-outage-{url.rsplit(':', 1)[-1]}"
    settings.CACHES = caches
    clear_process_memos()
