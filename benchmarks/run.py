#!/usr/bin/env python3
"""`make bench`: the performance bars of SPEC §7, as ratios measured in one run on one machine.

1. A fresh PostgreSQL database (dropped and recreated), Redis db 15 for the cache; migrate, seed.
2. The portal under gunicorn (gthread workers) on a free loopback port, DEBUG=0, base settings,
   COVENANT_BENCH=1 so that /bench/bare/ (benchmarks/bare.py, no database) is routed.
3. Throughput and latency of each endpoint and of the bare view, from a separate load-generator
   process (benchmarks/loadgen.py), in interleaved rounds; medians are quoted.
4. SQL queries per request of the public endpoints, before and after growing the data tenfold
   (benchmarks/scaling.py, benchmarks/growth.py). A count that grows fails the run (exit 1);
   a missed throughput bar is reported but does not (machines are noisy).

Extend the lists just below; grow more data by appending to growth.GROWERS.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.growth import BASE_PROJECTS, GROWN_PROJECTS  # noqa: E402  (after the path fix-up above)

# --- What is measured. Add endpoints here. --------------------------------------------------------
# (name, path) served by gunicorn and measured for req/s and latency, against the bare view.
THROUGHPUT_ENDPOINTS: list[tuple[str, str]] = [
    ("covenant summary", "/api/v1/covenant/"),
    ("nations list", "/api/v1/nations/"),
    ("sector summary", "/api/v1/sectors/"),
    ("sector detail", "/api/v1/sectors/energy/"),
    ("project list", "/api/v1/projects/"),
    ("project list by sector", "/api/v1/projects/?sector=health"),
]
BARE: tuple[str, str] = ("bare Django JSON", "/bench/bare/")
# (name in THROUGHPUT_ENDPOINTS, minimum req/s as a fraction of the bare view's): SPEC §7.
THROUGHPUT_BARS: list[tuple[str, float]] = [
    ("covenant summary", 0.70),
    ("sector summary", 0.70),
    ("nations list", 0.40),
    ("project list", 0.40),
    ("project list by sector", 0.40),
]
# (name, path) whose SQL query count must not grow when the data grows by GROWTH_FACTOR.
QUERY_COUNT_ENDPOINTS: list[tuple[str, str]] = [
    ("covenant summary", "/api/v1/covenant/"),
    ("nations list", "/api/v1/nations/"),
    ("nation detail", "/api/v1/nations/KEN/"),
    ("nations by region", "/api/v1/nations/?region=Africa"),
    ("sector summary", "/api/v1/sectors/"),
    ("sector detail", "/api/v1/sectors/energy/"),
    ("project list", "/api/v1/projects/"),
    ("project list by sector", "/api/v1/projects/?sector=health"),
    ("project search", "/api/v1/projects/?q=solar"),
    ("project detail", "/api/v1/projects/1/"),
]
GROWTH_FACTOR = 10

# --- Where and how. -------------------------------------------------------------------------------
RESULTS_DIR = ROOT / "bench-results"
BIN = Path(sys.executable).parent  # the venv's bin/ (not resolved: keep the venv)
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = "covenant_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SEED_PROJECTS = BASE_PROJECTS  # 500, as `make run`
WORKERS = 2  # the reference machine has 2 cores
THREADS = 4  # gthread: 2 x 4 = 8 request slots for 8 keep-alive client connections


def bench_database_url() -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{BENCH_DB}"


# The API's rate limits (COVENANT_THROTTLE_RATES) would answer most of a load test with 429. The
# benchmarks keep the throttle on, doing all its work, at rates no load here reaches (what the
# throttle itself costs is measured by benchmarks/throttling.py, which may set them "" = off).
THROTTLE_RATE_ENV = ("THROTTLE_KEY", "THROTTLE_TOKEN", "THROTTLE_USER", "THROTTLE_ANON")
NEVER_REACHED = "1000000/min"


def with_rates_never_reached(env: dict[str, str]) -> dict[str, str]:
    for name in THROTTLE_RATE_ENV:
        env.setdefault(name, NEVER_REACHED)
    return env


def child_env() -> dict[str, str]:
    env = with_rates_never_reached(
        {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URLS"}
    )
    env.update(
        DJANGO_SETTINGS_MODULE="covenant.settings.base",
        DATABASE_URL=bench_database_url(),
        REDIS_URL=REDIS_URL,
        DEBUG="0",
        COVENANT_BENCH="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def fail(message: str, code: int = 2) -> None:
    print(f"\nmake bench: {message}", file=sys.stderr)
    sys.exit(code)


def step(message: str) -> None:
    print(f"-- {message}", flush=True)


# --- Machine facts --------------------------------------------------------------------------------
def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


# --- PostgreSQL and Redis -------------------------------------------------------------------------
def postgres_prepare() -> str:
    """Drop and recreate the bench database; returns the server version."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({str(error).strip()}).\n"
            "The benchmarks need PostgreSQL 15 on 127.0.0.1:5432 with trust auth for user "
            "postgres (or set BENCH_POSTGRES_URL to an admin URL)."
        )
    with admin:
        version = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return str(version)


def redis_prepare() -> str:
    """Empty the bench's Redis database; returns the server version."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
        return str(client.info("server").get("redis_version", "?"))
    except redis.RedisError as error:
        fail(f"Redis is not reachable at {REDIS_URL} ({error}). The benchmarks need Redis.")
    return "?"


def run_django(script: str, *args: str, what: str) -> str:
    """Run a Python script of the project against the bench database; its stdout, or fail."""
    done = subprocess.run(
        [sys.executable, script, *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-6000:], sep="\n", file=sys.stderr)
        fail(f"{what} failed (exit {done.returncode}); see above.", 1)
    return done.stdout


def manage(*args: str) -> str:
    started = time.perf_counter()
    out = run_django("manage.py", *args, what=f"`manage.py {' '.join(args)}`")
    step(f"manage.py {' '.join(args)}: {time.perf_counter() - started:.1f} s")
    return out


# --- The server -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(port: int, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start_gunicorn(port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    command = [
        str(BIN / "gunicorn"),
        "covenant.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        "--worker-class=gthread",
        f"--threads={THREADS}",
        "--keep-alive=5",
        "--log-level=warning",
        "--error-logfile=-",
    ]
    server = subprocess.Popen(
        command, cwd=ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"gunicorn exited with {server.returncode}; see {log_path}", 1)
        with contextlib.suppress(OSError):
            if http_get(port, "/healthz")[0] == 200:
                return server
        time.sleep(0.2)
    stop_gunicorn(server)
    fail(f"gunicorn did not answer /healthz within 30 s; see {log_path}", 1)
    raise AssertionError  # unreachable


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def check_endpoints(port: int) -> None:
    for name, path in [BARE, *THROUGHPUT_ENDPOINTS]:
        status, body = http_get(port, path)
        if status != 200:
            fail(f"{name} ({path}) answered {status} before the load: {body[:300]!r}", 1)
    if json.loads(http_get(port, BARE[1])[1]) != {"ok": True}:
        fail("the bare view did not answer {'ok': true}", 1)


# --- Measurements ---------------------------------------------------------------------------------
def load(port: int, path: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "loadgen.py"),
        f"--port={port}",
        f"--path={path}",
        f"--connections={args.connections}",
        f"--warmup={args.warmup}",
        f"--duration={args.duration}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        fail(f"the load generator failed on {path}:\n{done.stderr[-3000:]}", 1)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def throughput(port: int, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    endpoints = [BARE, *THROUGHPUT_ENDPOINTS]
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in endpoints}
    for number in range(args.rounds):
        order = endpoints[number % len(endpoints) :] + endpoints[: number % len(endpoints)]
        for name, path in order:
            result = load(port, path, args)
            rounds[name].append(result)
            print(
                f"   round {number + 1}/{args.rounds}  {name:24} {result['rps']:8.1f} req/s  "
                f"p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
                f"errors {result['errors']}",
                flush=True,
            )
    summary: dict[str, dict[str, Any]] = {}
    for name, path in endpoints:
        runs = rounds[name]
        summary[name] = {
            "path": path,
            "rps": statistics.median(run["rps"] for run in runs),
            "p50_ms": statistics.median(run["p50_ms"] for run in runs),
            "p99_ms": statistics.median(run["p99_ms"] for run in runs),
            "errors": sum(run["errors"] for run in runs),
            "rounds": runs,
        }
    # Paired ratios: each round's req/s over the bare view's in the same round, then the median,
    # so that drift in the machine's load between rounds cancels out.
    bare_runs = rounds[BARE[0]]
    for name, entry in summary.items():
        ratios = [
            run["rps"] / bare["rps"] if bare["rps"] else float("nan")
            for run, bare in zip(rounds[name], bare_runs, strict=True)
        ]
        entry["ratio_to_bare_rounds"] = ratios
        entry["ratio_to_bare"] = statistics.median(ratios)
    return summary


def measured_phase(log_path: Path, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Start gunicorn on a fresh port, check the endpoints, measure them, stop it."""
    port = free_port()
    step(f"gunicorn on 127.0.0.1:{port}")
    server = start_gunicorn(port, log_path)
    try:
        check_endpoints(port)
        return throughput(port, args)
    finally:
        stop_gunicorn(server)


def query_counts() -> dict[str, Any]:
    out = run_django(
        str(ROOT / "benchmarks" / "scaling.py"),
        f"--factor={GROWTH_FACTOR}",
        f"--endpoints={json.dumps(QUERY_COUNT_ENDPOINTS)}",
        what="the query-count run",
    )
    return dict(json.loads(out.strip().splitlines()[-1]))


# --- Report ---------------------------------------------------------------------------------------
def print_header(facts: dict[str, Any], args: argparse.Namespace) -> None:
    print("Covenant portal benchmarks (make bench)")
    for key, value in facts.items():
        print(f"  {key:12} {value}")
    print(
        f"  {'load':12} {args.connections} keep-alive connections (benchmarks/loadgen.py, "
        f"threads + http.client, loopback), {args.warmup:g} s warm-up + {args.duration:g} s "
        f"per endpoint, {args.rounds} interleaved rounds; medians quoted, ratio = median of the "
        "per-round ratios",
        flush=True,
    )


def print_throughput(summary: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    print()
    print(f"{'endpoint':26} {'path':22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'÷ bare':>7}")
    print("-" * 85)
    for name, entry in summary.items():
        print(
            f"{name:26} {entry['path']:22} {entry['rps']:9.1f} {entry['p50_ms']:8.2f} "
            f"{entry['p99_ms']:8.2f} {entry['ratio_to_bare']:7.2f}"
        )
    bars = []
    for name, minimum in THROUGHPUT_BARS:
        ratio = summary[name]["ratio_to_bare"]
        passed = ratio >= minimum
        bars.append({"endpoint": name, "minimum": minimum, "ratio": ratio, "passed": passed})
        verdict = "PASS" if passed else "FAIL (reported, not fatal: throughput is noisy)"
        print(f"bar: {name} >= {minimum:.0%} of the bare view's req/s: {ratio:.0%}  {verdict}")
    return bars


def print_query_counts(scaling: dict[str, Any]) -> bool:
    factor = scaling["factor"]
    print()
    print(f"SQL queries per request, seeded data vs data x{factor} (cold = cache cleared first)")
    for grower in scaling["growers"]:
        print(f"  grown: {grower}")
    rows = ", ".join(
        f"{table} {scaling['rows_before'].get(table, 0)} -> {count}"
        for table, count in scaling["rows_after"].items()
    )
    print(f"  rows:  {rows}  ({scaling['grow_seconds']:.1f} s)")
    print(f"{'endpoint':26} {'path':32} {'cold':>11} {'warm':>11}")
    print("-" * 83)
    constant = True
    for entry in scaling["endpoints"]:
        before, after = entry["before"], entry["after"]
        cold = f"{before['cold']} -> {after['cold']}"
        warm = f"{before['warm']} -> {after['warm']}"
        flag = "  GREW" if entry["grew"] else ""
        print(f"{entry['name']:26} {entry['path']:32} {cold:>11} {warm:>11}{flag}")
        constant = constant and not entry["grew"]
    print(f"bar: constant query count under x{factor} data: {'PASS' if constant else 'FAIL'}")
    return constant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds, per measurement")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds, per measurement")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    os.chdir(ROOT)
    RESULTS_DIR.mkdir(exist_ok=True)

    postgres_version = postgres_prepare()
    redis_version = redis_prepare()
    facts = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), {cpu_model()}",
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": version_of("django"),
        "postgresql": postgres_version,
        "redis": redis_version,
        "server": f"gunicorn {version_of('gunicorn')}, {WORKERS} gthread workers x {THREADS} "
        "threads, DEBUG=0, covenant.settings.base",
    }
    print_header(facts, args)

    step(f"fresh database {BENCH_DB}, Redis {REDIS_URL}")
    manage("migrate", "--noinput")
    manage("seed", "--demo", "--projects", str(SEED_PROJECTS))

    log_path = RESULTS_DIR / "gunicorn.log"
    step(f"throughput (req/s, latency) at the seeded size ({SEED_PROJECTS} projects)")
    summary = measured_phase(log_path, args)

    step(
        f"query counts, seeded data then grown (x{GROWTH_FACTOR} ledger, {GROWN_PROJECTS} projects)"
    )
    scaling = query_counts()

    redis_prepare()  # the grown data starts with an empty cache, as after a deploy
    step(f"throughput again on the grown data ({GROWN_PROJECTS} projects)")
    grown = measured_phase(log_path, args)

    print(f"\nThroughput with {SEED_PROJECTS} projects")
    bars = print_throughput(summary)
    print(f"\nThroughput with {GROWN_PROJECTS} projects and x{GROWTH_FACTOR} ledger")
    grown_bars = print_throughput(grown)
    constant = print_query_counts(scaling)
    errors = sum(entry["errors"] for entry in [*summary.values(), *grown.values()])
    if errors:  # a 429 or 5xx is fast: a ratio measured with failures would flatter the portal
        print(f"FAIL: {errors} failed requests during the load, the ratios are void ({log_path})")
    elapsed = time.perf_counter() - began
    print(f"\n{elapsed:.0f} s in all; results in {RESULTS_DIR.relative_to(ROOT)}/latest.json")

    results = {
        "machine": facts,
        "config": {
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "connections": args.connections,
            "workers": WORKERS,
            "threads": THREADS,
            "worker_class": "gthread",
            "database": BENCH_DB,
            "redis": REDIS_URL,
            "seed_projects": SEED_PROJECTS,
            "growth_factor": GROWTH_FACTOR,
        },
        "throughput": summary,
        "throughput_bars": bars,
        "throughput_grown": grown,
        "throughput_grown_bars": grown_bars,
        "query_counts": scaling,
        "query_counts_constant": constant,
        "elapsed_s": elapsed,
    }
    (RESULTS_DIR / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    # Standalone benchmarks of the other capabilities, each with its own database:
    # the public lists and summaries against a bare Django view, on SQLite and PostgreSQL + Redis
    from benchmarks import lists

    lists.main([])
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "throttling.py")], check=False)
    # governance: the tally of 1,000,000 ballots, live tally reads, ballots/s through the API
    governance = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "governance.py")], check=False
    )
    # compliance: the streamed export of a subject with 200,000 rows
    exported = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compliance.py")], check=False
    )
    completed = constant and not errors
    return 0 if completed and governance.returncode == 0 and exported.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
