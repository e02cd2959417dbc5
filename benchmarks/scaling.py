"""SQL queries per request must not grow with the data. Run by run.py in its own process, with the
bench database in DATABASE_URL: counts the queries of each endpoint through Django's test client
(cold: cache cleared first; warm: the same request again), grows the data with
growth.grow_data(factor), counts again. Prints one JSON object.

    python benchmarks/scaling.py --factor 10 --endpoints '[["nations", "/api/v1/nations/"]]'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def count_queries(client: Any, path: str) -> tuple[int, list[str]]:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with ExitStack() as stack:
        captured = [
            stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections
        ]
        response = client.get(path, HTTP_ACCEPT="application/json")
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
    sql = [query["sql"] for capture in captured for query in capture.captured_queries]
    return len(sql), sql


def measure(endpoints: list[tuple[str, str]]) -> dict[str, dict]:
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    counts: dict[str, dict] = {}
    for name, path in endpoints:
        cache.clear()
        cold, cold_sql = count_queries(client, path)
        warm, _ = count_queries(client, path)
        counts[name] = {"path": path, "cold": cold, "warm": warm, "cold_sql": cold_sql}
    return counts


def table_rows(tables: list[str]) -> dict[str, int]:
    from django.db import connection

    rows = {}
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in tables:
            if table in existing:
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
                rows[table] = cursor.fetchone()[0]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="query counts before and after data growth")
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--endpoints", required=True, help="JSON list of [name, path]")
    args = parser.parse_args(argv)
    endpoints = [(str(name), str(path)) for name, path in json.loads(args.endpoints)]

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "covenant.settings.base")
    import django

    django.setup()
    from benchmarks.growth import GROWTH_TABLES, grow_data

    before_rows = table_rows(GROWTH_TABLES)
    before = measure(endpoints)
    started = time.perf_counter()
    grown = grow_data(args.factor)
    grow_seconds = time.perf_counter() - started
    after_rows = table_rows(GROWTH_TABLES)
    after = measure(endpoints)

    result = {
        "factor": args.factor,
        "growers": grown,
        "grow_seconds": grow_seconds,
        "rows_before": before_rows,
        "rows_after": after_rows,
        "endpoints": [
            {
                "name": name,
                "path": path,
                "before": {"cold": before[name]["cold"], "warm": before[name]["warm"]},
                "after": {"cold": after[name]["cold"], "warm": after[name]["warm"]},
                "grew": after[name]["cold"] > before[name]["cold"]
                or after[name]["warm"] > before[name]["warm"],
                "sql_after_cold": after[name]["cold_sql"],
            }
            for name, path in endpoints
        ],
    }
    json.dump(result, sys.stdout, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
