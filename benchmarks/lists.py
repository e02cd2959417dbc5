#!/usr/bin/env python3
"""The public lists and summaries against a bare Django JSON view (issue 9's measurement).

The bare view: one view, CommonMiddleware only (benchmarks/bare_app.py). The portal: its full
middleware stack, every security header and check. Both under the same gunicorn: 2 sync
workers each; load by wrk (32 connections, 2 threads) from the same machine, in alternating
runs (bare, endpoint, bare, endpoint, …), each ratio taken against the bare run just before
it; medians over the rounds. Twice: on SQLite (the embedded default, local-memory cache), and
on PostgreSQL + Redis — each with `seed --demo --projects 500`, in its own database
(covenant_bench_hard on PostgreSQL, Redis db 13).

Bars (SPEC §7): summaries ≥ 0.70 of the bare view; every public list ≥ 0.40 with p99 < 30 ms.
A missed bar is reported, not fatal (the machine is shared).

    .venv/bin/python benchmarks/lists.py [--rounds 3] [--duration 5] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import (  # noqa: E402  (after the path fix-up above)
    free_port,
    stop_gunicorn,
    with_rates_never_reached,
)

BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = "covenant_bench_hard"
REDIS_URL = os.environ.get("BENCH_LISTS_REDIS_URL", "redis://127.0.0.1:6379/13")
BARE_PATH = "/bench/bare/"
SUMMARIES = [("covenant summary", "/api/v1/covenant/"), ("sector summary", "/api/v1/sectors/")]
LISTS = [
    ("nations", "/api/v1/nations/"),
    ("nations by region", "/api/v1/nations/?region=Africa"),
    ("nations search", "/api/v1/nations/?q=new"),
    ("projects", "/api/v1/projects/"),
    ("projects by sector", "/api/v1/projects/?sector=health"),
    ("projects of a nation", "/api/v1/projects/?nation=KEN"),
    ("projects by status", "/api/v1/projects/?status=active"),
    ("flagship projects", "/api/v1/projects/?flagship=true"),
    ("projects page 3", "/api/v1/projects/?page=3"),
]
SUMMARY_BAR, LIST_BAR, LIST_P99_MS = 0.70, 0.40, 30.0


def run(command: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
        raise SystemExit(f"{what} failed ({done.returncode})")
    return done.stdout


def gunicorn(app: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            app,
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--worker-class=sync",
            "--log-level=warning",
            "--backlog=2048",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    probe = BARE_PATH if "bare" in app else "/healthz"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn {app} exited; see {log}")
        url = f"http://127.0.0.1:{port}{probe}"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as reply:
            if reply.status == 200:
                return server
        time.sleep(0.2)
    raise SystemExit(f"gunicorn {app} did not start; see {log}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, path: str, duration: float) -> dict[str, float]:
    if shutil.which("wrk") is None:  # the same closed loop from Python: slower, still paired
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "loadgen.py"), f"--port={port}",
             f"--path={path}", "--connections=32", "--warmup=0.5", f"--duration={duration}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return {key: float(result[key]) for key in ("rps", "p50_ms", "p99_ms", "errors")}
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{duration:g}s", "--latency", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", out, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", out, re.MULTILINE)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": float(p50.group(1)) * _UNITS[p50.group(2)] if p50 else float("nan"),
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)] if p99 else float("nan"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


def measure(portal: int, bare: int, args: argparse.Namespace) -> dict[str, Any]:
    endpoints = SUMMARIES + LISTS
    results: dict[str, Any] = {name: {"path": path, "runs": []} for name, path in endpoints}
    for number in range(args.rounds):
        for name, path in endpoints:
            wrk(bare, BARE_PATH, 1)  # warm both sides briefly
            wrk(portal, path, 1)
            base = wrk(bare, BARE_PATH, args.duration)
            run_ = wrk(portal, path, args.duration)
            run_["bare_rps"] = base["rps"]
            run_["bare_p99_ms"] = base["p99_ms"]
            run_["ratio"] = run_["rps"] / base["rps"]
            results[name]["runs"].append(run_)
            print(
                f"   round {number + 1}/{args.rounds} {name:22} {run_['rps']:8.0f} req/s "
                f"(bare {base['rps']:6.0f})  ratio {run_['ratio']:.2f}  "
                f"p99 {run_['p99_ms']:6.1f} ms",
                flush=True,
            )
    for entry in results.values():
        runs = entry["runs"]
        for key in ("rps", "bare_rps", "ratio", "p50_ms", "p99_ms", "bare_p99_ms"):
            entry[key] = statistics.median(run_[key] for run_ in runs)
        entry["errors"] = sum(run_["errors"] for run_ in runs)
    return results


def report(engine: str, results: dict[str, Any]) -> bool:
    print(f"\n{engine}: req/s, median of the rounds; ratio = portal ÷ bare view in the same round")
    print(
        f"{'endpoint':24} {'path':34} {'req/s':>7} {'÷ bare':>7} {'p50 ms':>7} {'p99 ms':>7}  bar"
    )
    print("-" * 100)
    ok = True
    for name, entry in results.items():
        summary = any(name == n for n, _ in SUMMARIES)
        if summary:
            passed = entry["ratio"] >= SUMMARY_BAR
            bar = f">= {SUMMARY_BAR:.2f}"
        else:
            passed = entry["ratio"] >= LIST_BAR and entry["p99_ms"] < LIST_P99_MS
            bar = f">= {LIST_BAR:.2f}, p99 < {LIST_P99_MS:g} ms"
        ok = ok and passed and not entry["errors"]
        print(
            f"{name:24} {entry['path']:34} {entry['rps']:7.0f} {entry['ratio']:7.2f} "
            f"{entry['p50_ms']:7.1f} {entry['p99_ms']:7.1f} {entry['bare_p99_ms']:8.1f}  "
            f"{'PASS' if passed else 'FAIL'} ({bar})"
            + (f"  {entry['errors']:.0f} errors" if entry["errors"] else "")
        )
    return ok


def prepare_postgres() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{BENCH_DB}"


def engine_run(engine: str, args: argparse.Namespace, workdir: Path) -> tuple[dict[str, Any], bool]:
    env = with_rates_never_reached(
        {k: v for k, v in os.environ.items() if k not in {"DATABASE_REPLICA_URLS", "REDIS_URL"}}
    )
    env.update(DJANGO_SETTINGS_MODULE="covenant.settings.base", DEBUG="0", PYTHONUNBUFFERED="1")
    if engine == "postgresql":
        env["DATABASE_URL"] = prepare_postgres()
        env["REDIS_URL"] = REDIS_URL
        env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    print(f"-- {engine}: migrate, seed --demo --projects 500", flush=True)
    run([sys.executable, "manage.py", "migrate", "--noinput"], env, "migrate")
    run([sys.executable, "manage.py", "seed", "--demo", "--projects", "500"], env, "seed")
    portal_port, bare_port = free_port(), free_port()
    portal = gunicorn("covenant.wsgi:application", env, portal_port, workdir / f"{engine}.log")
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "benchmarks.bare_app"}
    bare = gunicorn("benchmarks.bare_app:application", bare_env, bare_port, workdir / "bare.log")
    try:
        for _name, path in SUMMARIES + LISTS:  # every endpoint answers, and keeps its headers
            with urllib.request.urlopen(f"http://127.0.0.1:{portal_port}{path}") as reply:
                assert reply.status == 200, path
                assert "Content-Security-Policy" in reply.headers, path
        results = measure(portal_port, bare_port, args)
    finally:
        stop_gunicorn(portal)
        stop_gunicorn(bare)
    return results, report(engine, results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk): loading with benchmarks/loadgen.py")
    workdir = Path(tempfile.mkdtemp(prefix="covenant-bench-lists-"))
    out: dict[str, Any] = {}
    passed = True
    for engine in args.engines.split(","):
        out[engine], ok = engine_run(engine.strip(), args, workdir)
        passed = passed and ok
    results_dir = ROOT / "bench-results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "lists.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nbars: {'all PASS' if passed else 'some FAIL'}; results in bench-results/lists.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
