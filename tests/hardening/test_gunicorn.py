"""Under gunicorn (with the repository's gunicorn.conf.py, as deployed and benchmarked), a
request line over 4 KB gets the error shape as JSON, not gunicorn's HTML page."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "covenant.settings.test",
        "DATABASE_URL": "sqlite:////tmp/covenant-gunicorn-test-unused.sqlite3",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "covenant.wsgi:application",
         f"--bind=127.0.0.1:{port}", "--workers=1", "--log-level=error"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.05)  # waiting for the child to bind
        yield port
    finally:
        process.terminate()
        process.wait(10)


def raw_get(port: int, target: str) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), 10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("length", [4_200, 9_000, 70_000])
def test_a_request_line_over_4_kb_is_json_in_the_error_shape(server: int, length: int) -> None:
    status, headers, body = raw_get(server, "/api/v1/projects/?q=" + "a" * length)
    assert status == 414
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "uri_too_long" and "too large" in error["message"]


def test_a_malformed_request_line_is_json_too(server: int) -> None:
    status, headers, body = raw_get(server, "/ha ha")
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "bad_request"


def test_an_ordinary_request_reaches_the_portal(server: int) -> None:
    status, _, body = raw_get(server, "/healthz?" + "a" * 3_000)
    assert status == 200 and json.loads(body) == {"status": "ok"}
