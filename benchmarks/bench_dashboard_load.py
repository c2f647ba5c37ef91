"""Load test of the dashboard from the same machine (loopback only).

Starts ``altseason serve`` on 127.0.0.1 and a free port over a store (the
simulated demo market by default, seeded when empty), then runs N
concurrent clients for T seconds against the main JSON endpoints and prints
request counts, errors and p50/p90/p99 latencies. Bounded in clients,
requests and time; it never targets anything but 127.0.0.1.

    uv run python benchmarks/bench_dashboard_load.py [--clients 50] [--seconds 60] [--store PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ENDPOINTS = [
    "/api/overview",
    "/api/divergence",
    "/api/flows",
    "/api/options",
    "/api/support",
    "/api/macro",
    "/api/correlation",
    "/api/strategy",
    "/api/status",
    "/api/health",
]
HOST = "127.0.0.1"
MAX_REQUESTS = 200_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _client(
    base: str, deadline: float, latencies: list[float], errors: list[str], counter: list[int]
) -> None:
    rng = random.Random(len(latencies))
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
        while time.monotonic() < deadline and counter[0] < MAX_REQUESTS:
            path = rng.choice(ENDPOINTS)
            counter[0] += 1
            t0 = time.perf_counter()
            try:
                r = await client.get(path)
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    errors.append(f"{path}: HTTP {r.status_code}")
                else:
                    latencies.append(dt)
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {type(exc).__name__}")


async def _run(base: str, clients: int, seconds: float) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    counter = [0]
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(
        *(_client(base, deadline, latencies, errors, counter) for _ in range(clients))
    )
    return latencies, errors, time.monotonic() - start


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument(
        "--store", type=Path, default=None, help="store to serve (default: a fresh demo store)"
    )
    args = ap.parse_args()
    if not 1 <= args.clients <= 200 or not 1 <= args.seconds <= 600:
        ap.error("clients must be 1-200 and seconds 1-600")
    tmp = tempfile.TemporaryDirectory()
    store = args.store or Path(tmp.name) / "demo.duckdb"
    env = dict(os.environ)
    if args.store is None:
        print(f"seeding the simulated demo market into {store} …", flush=True)
        subprocess.run(
            [sys.executable, "-m", "altseason", "--store", str(store), "demo"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "altseason",
            "--store",
            str(store),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{HOST}:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/api/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            print("server did not start", file=sys.stderr)
            return 2
        # Warm every endpoint once (the first call computes the page; later ones hit the cache).
        t0 = time.perf_counter()
        for path in ENDPOINTS:
            r = httpx.get(base + path, timeout=300)
            if r.status_code != 200:
                print(f"warm-up {path}: HTTP {r.status_code} {r.text[:200]}", file=sys.stderr)
                return 2
        print(f"warm-up of {len(ENDPOINTS)} endpoints: {time.perf_counter() - t0:.1f} s")
        latencies, errors, elapsed = asyncio.run(_run(base, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
        tmp.cleanup()
    n = len(latencies) + len(errors)
    print(
        f"clients: {args.clients}  duration: {elapsed:.1f} s  requests: {n}  "
        f"throughput: {n / elapsed:.0f} req/s"
    )
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    ms = [x * 1000 for x in latencies]
    print(
        f"latency ms: p50 {_percentile(ms, 50):.1f}  p90 {_percentile(ms, 90):.1f}  "
        f"p99 {_percentile(ms, 99):.1f}  max {max(ms) if ms else float('nan'):.1f}  "
        f"mean {statistics.fmean(ms) if ms else float('nan'):.1f}"
    )
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
