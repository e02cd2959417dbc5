#!/usr/bin/env python3
"""Compliance benchmark: the access export of one person with 200,000 rows.

The streaming export (compliance.exports.write_export_zip: rows fetched 2,000 at a time, written
straight into the ZIP on disk) against the same rows serialised naively in memory (every row
as a dict in a list, the JSON and CSV built as strings, then zipped). Each measurement runs in a
fresh child process: the time (median of --runs), the peak of Python's allocations
(tracemalloc) and the growth of the resident set (RSS high-water mark). The bar: the streaming
export needs at most a fifth of the naive one's memory.

Standalone: `python benchmarks/compliance.py [--rows 200000] [--runs 3]` (its own PostgreSQL
database covenant_bench_comp, dropped and recreated; no Redis needed). `make bench` runs it too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_DB = "covenant_bench_comp"
SUBJECT = "bench.subject@covenant.test"
BAR = 0.20  # streaming peak memory / naive peak memory
RESULTS = ROOT / "bench-results" / "compliance.json"


def database_url() -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{BENCH_DB}"


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_REPLICA_URLS")}
    env.update(
        DJANGO_SETTINGS_MODULE="covenant.settings.base",
        DATABASE_URL=database_url(),
        DEBUG="0",
        PYTHONUNBUFFERED="1",
        MEDIA_ROOT=str(ROOT / "bench-results" / "compliance-media"),
    )
    return env


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"benchmarks/compliance.py: child {args} failed ({done.returncode})")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def prepare(rows: int) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=child_env(),
        check=True,
    )
    run_child("seed", str(rows))


# --- the child's side ---------------------------------------------------------------------------


def _rss_kib() -> int:
    """The resident set now, in KiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _setup() -> None:
    import django

    django.setup()


def child_seed(rows: int) -> dict[str, Any]:
    """The subject: an account, a role, and `rows` audit entries under their pseudonym (a
    busy council member's years of activity)."""
    _setup()
    from django.utils import timezone

    from covenant.access.principal import SYSTEM
    from covenant.access.services import role_grant, user_get_or_create
    from covenant.audit.models import AuditEntry
    from covenant.nations.loader import nations_load
    from covenant.nations.models import Nation

    nations_load()
    user, _ = user_get_or_create(email=SUBJECT)
    role_grant(
        nation=Nation.objects.get(iso3="KEN"),
        user=user,
        role="council_member",
        actor=SYSTEM,
        four_eyes=False,
    )
    now = timezone.now()
    batch: list[AuditEntry] = []
    for n in range(rows):
        batch.append(
            AuditEntry(
                sequence=10_000_000 + n,
                recorded_at=now,
                action="ballot.cast" if n % 3 else "proposal.viewed",
                actor=user.pseudonym,
                nation="KEN",
                target_type="proposal",
                target_id=str(n // 7),
                data={"choice": ("yes", "no", "abstain")[n % 3], "receipt": f"{n:064x}"},
                prev_hash=f"{10**12 + n:064x}",
                hash=f"{10**12 + n + 1:064x}",
            )
        )
        if len(batch) == 10_000:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    AuditEntry.objects.bulk_create(batch)
    return {"rows": rows}


def _subject() -> Any:
    from covenant.accounts.models import User
    from covenant.personal_data import Subject

    return Subject.of(User.objects.get(email=SUBJECT))


def _measured(name: str, trace: bool, export: Any) -> dict[str, Any]:
    """Run `export(path, subject)` (which returns the rows written) and measure it: wall time,
    the peak of Python's allocations when `trace`, the growth of the resident set."""
    _setup()
    import resource
    import tracemalloc

    from django.conf import settings

    subject = _subject()
    path = Path(settings.MEDIA_ROOT) / f"{name}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    rss_before = _rss_kib()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    rows = export(path, subject)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": elapsed,
        "traced_peak_bytes": peak,
        "rss_growth_kib": max(rss_peak - rss_before, 0),
        "rows": rows,
        "bytes": path.stat().st_size,
    }


def streaming_export(path: Path, subject: Any) -> int:
    """The portal's export: rows in chunks, straight into the ZIP."""
    from django.utils import timezone

    from compliance.exports import write_export_zip

    about = {"request": 0, "nation": "KEN"}
    return write_export_zip(path, subject=subject, stamp=timezone.now(), about=about).rows


def naive_export(path: Path, subject: Any) -> int:
    """The same rows, serialised the naive way: everything in memory, then zipped."""
    import csv
    import io
    import zipfile

    from covenant.nations.tenancy import all_nations
    from covenant.personal_data import declarations

    total = 0
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        all_nations(reason="benchmark: the naive export"),
    ):
        for declaration in declarations():
            if not declaration.exported:
                continue
            columns = declaration.field_names()
            rows = list(declaration.rows_of(subject).values(*columns))
            total += len(rows)
            archive.writestr(
                f"{declaration.slug}.json", json.dumps(rows, default=str, ensure_ascii=False)
            )
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
            archive.writestr(f"{declaration.slug}.csv", text.getvalue())
    return total


# --- the parent's side --------------------------------------------------------------------------


def measure(method: str, runs: int) -> dict[str, Any]:
    timed = [run_child(method, "0") for _ in range(runs)]
    traced = run_child(method, "1")
    return {
        "seconds": statistics.median(r["seconds"] for r in timed),
        "rss_growth_mib": statistics.median(r["rss_growth_kib"] for r in timed) / 1024,
        "traced_peak_mib": traced["traced_peak_bytes"] / 2**20,
        "rows": timed[0]["rows"],
        "zip_mib": timed[0]["bytes"] / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="compliance export benchmark")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, value = args.child[0], args.child[1]
        if kind == "seed":
            result = child_seed(int(value))
        elif kind == "streaming":
            result = _measured("streaming", value == "1", streaming_export)
        else:
            result = _measured("naive", value == "1", naive_export)
        print(json.dumps(result))
        return 0
    os.chdir(ROOT)
    print(f"-- compliance: database {BENCH_DB}, a subject with {args.rows:,} rows", flush=True)
    started = time.perf_counter()
    prepare(args.rows)
    print(f"-- seeded in {time.perf_counter() - started:.0f} s; measuring", flush=True)
    streaming = measure("streaming", args.runs)
    naive = measure("naive", args.runs)
    ratio = streaming["traced_peak_mib"] / naive["traced_peak_mib"]
    rss_ratio = (
        streaming["rss_growth_mib"] / naive["rss_growth_mib"] if naive["rss_growth_mib"] else 0
    )
    print(f"\nAccess export of one subject, {streaming['rows']:,} rows (median of {args.runs})")
    print(
        f"{'method':34} {'time s':>8} {'peak alloc MiB':>15} {'RSS growth MiB':>15} {'ZIP MiB':>8}"
    )
    for name, result in (("streaming (chunks into the ZIP)", streaming),
                         ("naive (all rows in memory)", naive)):  # fmt: skip
        print(
            f"{name:34} {result['seconds']:8.2f} {result['traced_peak_mib']:15.1f} "
            f"{result['rss_growth_mib']:15.1f} {result['zip_mib']:8.1f}"
        )
    passed = ratio <= BAR
    print(
        f"streaming / naive: peak allocations {ratio:.3f}, RSS growth {rss_ratio:.3f}, "
        f"time {streaming['seconds'] / naive['seconds']:.2f}"
    )
    print(f"bar: streaming needs at most {BAR:.0%} of the naive memory: "
          f"{'PASS' if passed else 'FAIL'}")  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "runs": args.runs,
                "streaming": streaming,
                "naive": naive,
                "peak_ratio": ratio,
                "rss_ratio": rss_ratio,
                "bar": BAR,
                "passed": passed,
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
