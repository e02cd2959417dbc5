#!/usr/bin/env python3
"""What API throttling costs (issue 8): the public covenant summary and an authenticated read,
with the throttle on and off, each against the bare Django view in the same round.

Standalone: its own PostgreSQL database (`covenant_bench_idn`, dropped and recreated) and
Redis database (BENCH_IDN_REDIS_URL, default db 3), seeded with the nations and the demo
accounts; gunicorn as in `make bench` (benchmarks/run.py's helpers). "On" sets every rate to
1,000,000/min, so nothing is refused and what is measured is the throttle's own work: the
per-process bucket for anonymous traffic, plus the shared Redis counter (one pipelined round
trip) for the token. "Off" sets no rate. Rounds interleave on/off; medians are quoted.

    .venv/bin/python benchmarks/throttling.py [--rounds 3 --duration 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import loadgen  # noqa: E402
from benchmarks import run as bench  # noqa: E402

DATABASE = "covenant_bench_idn"
REDIS_URL = os.environ.get("BENCH_IDN_REDIS_URL", "redis://127.0.0.1:6379/3")
RATE_ENV, NEVER_REACHED = bench.THROTTLE_RATE_ENV, bench.NEVER_REACHED
TOKEN_OWNER = "auditor.ken@covenant.test"
RESULTS = ROOT / "bench-results" / "throttling.json"


def configure(throttle: bool) -> None:
    """run.py's child_env() reads os.environ: the rates for the next gunicorn."""
    for name in RATE_ENV:
        os.environ[name] = NEVER_REACHED if throttle else ""


def measure(port: int, path: str, args: argparse.Namespace, token: str | None = None) -> float:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    result = loadgen.run(
        port=port,
        path=path,
        connections=args.connections,
        warmup=args.warmup,
        duration=args.duration,
        headers=headers,
    )
    if result["errors"]:
        bench.fail(f"{result['errors']} failed requests on {path}", 1)
    return float(result["rps"])


def phase(throttle: bool, args: argparse.Namespace, token: str) -> dict[str, float]:
    configure(throttle)
    port = bench.free_port()
    server = bench.start_gunicorn(port, ROOT / "bench-results" / "gunicorn-throttling.log")
    try:
        bench.check_endpoints(port)
        return {
            "bare": measure(port, bench.BARE[1], args),
            "summary": measure(port, "/api/v1/covenant/", args),
            "me_token": measure(port, "/api/v1/me/", args, token),
        }
    finally:
        bench.stop_gunicorn(server)


def micro() -> None:
    """In a Django process on the bench database: the throttle's own cost per request (µs),
    for an anonymous request (per-process bucket) and a token's (bucket + Redis round trip)."""
    import timeit
    from types import SimpleNamespace

    import django

    os.environ.update({name: NEVER_REACHED for name in RATE_ENV})
    django.setup()
    from django.test import RequestFactory
    from rest_framework.request import Request

    from covenant.access.throttling import CovenantThrottle

    throttle = CovenantThrottle()
    anonymous = Request(RequestFactory().get("/api/v1/covenant/"), authenticators=[])
    token = Request(RequestFactory().get("/api/v1/me/"), authenticators=[])
    token.user = SimpleNamespace(is_authenticated=True, pk=1)
    token.auth = SimpleNamespace(prefix="bench0000000", token_hash="x")
    result = {}
    for name, request, number in (("anonymous", anonymous, 200_000), ("token", token, 5_000)):
        assert throttle.allow_request(request, None)
        seconds = min(
            timeit.repeat(
                lambda r=request: throttle.allow_request(r, None), number=number, repeat=3
            )
        )
        result[name] = seconds / number * 1e6
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:] == ["--micro"]:
        micro()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    os.chdir(ROOT)
    RESULTS.parent.mkdir(exist_ok=True)
    bench.BENCH_DB, bench.REDIS_URL = DATABASE, REDIS_URL  # this module's own stores
    bench.THROUGHPUT_ENDPOINTS = [("covenant summary", "/api/v1/covenant/")]
    bench.postgres_prepare()
    bench.redis_prepare()
    print(f"Throttling benchmark: database {DATABASE}, Redis {REDIS_URL}", flush=True)
    bench.manage("migrate", "--noinput")
    bench.manage("seed", "--demo")
    token = bench.run_django("manage.py", "issue_token", TOKEN_OWNER, "--days", "1", what="token")
    token = token.strip().splitlines()[-1]

    runs: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for number in range(args.rounds):
        order = ("on", "off") if number % 2 == 0 else ("off", "on")
        for name in order:
            result = phase(name == "on", args, token)
            runs[name].append(result)
            print(
                f"   round {number + 1}/{args.rounds} throttle {name:3}  bare {result['bare']:7.0f}"
                f"  summary {result['summary']:7.0f}  /me/ (token) {result['me_token']:7.0f} req/s",
                flush=True,
            )

    def ratio(name: str, endpoint: str) -> float:
        return statistics.median(run[endpoint] / run["bare"] for run in runs[name])

    costs = json.loads(
        bench.run_django(__file__, "--micro", what="the throttle's cost").strip().splitlines()[-1]
    )
    report: dict[str, Any] = {
        "throttle_cost_us": costs,
        "rounds": runs,
        "summary_over_bare": {"on": ratio("on", "summary"), "off": ratio("off", "summary")},
        "me_token_over_bare": {"on": ratio("on", "me_token"), "off": ratio("off", "me_token")},
        "median_rps": {
            name: {key: statistics.median(run[key] for run in runs[name]) for key in runs[name][0]}
            for name in runs
        },
    }
    print()
    print(f"{'endpoint':34} {'throttle off':>13} {'throttle on':>12}   (req/s ÷ bare view)")
    print("-" * 78)
    for label, key in (("/api/v1/covenant/ (anonymous)", "summary_over_bare"),
                       ("/api/v1/me/ (token)", "me_token_over_bare")):  # fmt: skip
        print(f"{label:34} {report[key]['off']:13.2f} {report[key]['on']:12.2f}")
    print(
        f"the throttle's own cost per request: {costs['anonymous']:.1f} µs anonymous (per-process"
        f" bucket), {costs['token']:.0f} µs with a token (bucket + Redis round trip)"
    )
    summary_on = report["summary_over_bare"]["on"]
    bar = "PASS" if summary_on >= 0.70 else "FAIL (reported, not fatal)"
    print(
        f"bar: covenant summary >= 70% of the bare view with throttling on: {summary_on:.0%} {bar}"
    )
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{time.perf_counter() - began:.0f} s; results in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
