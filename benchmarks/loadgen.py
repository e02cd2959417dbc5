"""The load generator: a separate process, loopback only, bounded in time.

N threads, each with one keep-alive `http.client` connection, GET one path in a closed loop for
`warmup + duration` seconds. Only requests that complete inside the measurement window count.
Prints one JSON object: requests, errors, req/s, p50/p90/p99/max latency in ms.

    python benchmarks/loadgen.py --port 8123 --path /api/v1/covenant/ --connections 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import statistics
import sys
import threading
import time

HOST = "127.0.0.1"  # loopback only, by design


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]


def worker(
    port: int,
    path: str,
    window: tuple[float, float],
    latencies: list[float],
    counters: dict[str, int],
    extra_headers: dict[str, str] | None = None,
) -> None:
    begin, end = window
    headers = {"Accept": "application/json", "Connection": "keep-alive", **(extra_headers or {})}
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    while True:
        started = time.perf_counter()
        if started >= end:
            break
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            if response.will_close:
                conn.close()
                counters["reconnects"] += 1
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            counters["reconnects"] += 1
        finished = time.perf_counter()
        if begin <= started and finished <= end:
            if ok:
                latencies.append(finished - started)
            else:
                counters["errors"] += 1
    conn.close()


def run(
    *,
    port: int,
    path: str,
    connections: int,
    warmup: float,
    duration: float,
    headers: dict[str, str] | None = None,
) -> dict:
    start = time.perf_counter() + 0.05
    window = (start + warmup, start + warmup + duration)
    per_thread = [([], {"errors": 0, "reconnects": 0}) for _ in range(connections)]
    threads = [
        threading.Thread(target=worker, args=(port, path, window, lat, cnt, headers), daemon=True)
        for lat, cnt in per_thread
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(warmup + duration + 30)
    latencies = sorted(value for lat, _ in per_thread for value in lat)
    errors = sum(cnt["errors"] for _, cnt in per_thread)
    reconnects = sum(cnt["reconnects"] for _, cnt in per_thread)
    ms = [value * 1000 for value in latencies]
    return {
        "path": path,
        "connections": connections,
        "warmup_s": warmup,
        "duration_s": duration,
        "requests": len(ms),
        "errors": errors,
        "reconnects": reconnects,
        "rps": len(ms) / duration,
        "p50_ms": percentile(ms, 0.50),
        "p90_ms": percentile(ms, 0.90),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": ms[-1] if ms else float("nan"),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    args = parser.parse_args(argv)
    headers = dict(h.split(":", 1) for h in args.header)
    result = run(
        port=args.port,
        path=args.path,
        connections=args.connections,
        warmup=args.warmup,
        duration=args.duration,
        headers={name.strip(): value.strip() for name, value in headers.items()},
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
