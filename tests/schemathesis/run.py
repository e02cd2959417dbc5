#!/usr/bin/env python3
"""schemathesis, all checks, against a live portal: a fresh database seeded as `make run` does
(fewer generated projects), served by gunicorn with DEBUG off, tested anonymously and with the
personal access tokens of a platform admin, a nation admin, a sector steward, an auditor and a
citizen. Exit 0 only when every run reports zero failures.

    .venv/bin/python tests/schemathesis/run.py [--max-examples 8] [--database-url URL]

Without --database-url a temporary SQLite file is used; CI passes a PostgreSQL database of its
own (it is migrated and seeded here, so give an empty or disposable one)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
PRINCIPALS = [
    ("anonymous", None),
    ("platform admin", "admin@covenant.test"),
    ("nation admin", "nation-admin.ken@covenant.test"),
    ("sector steward", "steward.ken@covenant.test"),
    ("auditor", "auditor.ken@covenant.test"),
    ("council member", "council.ken@covenant.test"),
    ("delegate", "delegate.ken@covenant.test"),
    ("citizen", "citizen.ken@covenant.test"),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
        raise SystemExit(f"manage.py {' '.join(args)} failed ({done.returncode})")
    return done.stdout


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "covenant.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--timeout=60",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}); see {log}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return server
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=8)
    parser.add_argument("--projects", type=int, default=60)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--report-dir", default="", help="JUnit reports (default: a temp dir)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="covenant-st-"))
    report_dir = Path(args.report_dir) if args.report_dir else workdir / "reports"
    database_url = args.database_url or f"sqlite:///{workdir / 'st.sqlite3'}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_REPLICA_URLS"}},
        "DJANGO_SETTINGS_MODULE": "covenant.settings.base",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
        # The contract is under test here, not the throttle (tests/access/test_throttling.py):
        # a thousand requests a few seconds apart would otherwise be answered 429.
        **{f"THROTTLE_{kind}": "1000000/min" for kind in ("KEY", "TOKEN", "USER", "ANON")},
    }
    started = time.monotonic()
    print(f"schemathesis: database {database_url.split('@')[-1]}", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "seed", "--demo", "--projects", str(args.projects))
    tokens = {
        name: manage(env, "issue_token", email).strip().splitlines()[-1] if email else None
        for name, email in PRINCIPALS
    }
    port = free_port()
    server = start_server(env, port, workdir / "gunicorn.log")
    failed: list[str] = []
    try:
        for name, token in tokens.items():
            command = [
                str(BIN / "st"),
                "--config-file",
                str(CONFIG),
                "run",
                f"http://127.0.0.1:{port}/api/v1/schema/?format=json",
                "--checks",
                "all",
                "--max-examples",
                str(args.max_examples),
                "--no-color",
                "--report",
                "junit",
                "--report-junit-path",
                str(report_dir / f"{name.replace(' ', '-')}.xml"),
            ]
            if token:
                command += ["--header", f"Authorization: Bearer {token}"]
            print(f"\n=== schemathesis as {name} ===", flush=True)
            done = subprocess.run(command, cwd=workdir, check=False)
            if done.returncode != 0:
                failed.append(name)
    finally:
        server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(15)
        if server.poll() is None:
            server.kill()
    elapsed = time.monotonic() - started
    if failed:
        print(f"\nschemathesis: failures as {', '.join(failed)} ({elapsed:.0f} s)")
        return 1
    print(f"\nschemathesis: zero failures as {len(tokens)} principals ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
