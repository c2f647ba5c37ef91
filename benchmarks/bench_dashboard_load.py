"""Load test of the dashboard from the same machine (loopback only).

Starts ``altseason serve`` on 127.0.0.1 and a free port over a store (the
simulated demo market by default, seeded when empty), then runs N
concurrent clients for T seconds against the main JSON endpoints and prints
request counts, errors and p50/p90/p99 latencies. Bounded in clients,
requests and time; it never targets anything but 127.0.0.1.

Scenarios (``--scenario``, default both):

* ``cached``: the endpoints at their default as-of date, warmed first, so
  nearly every request is served from the page cache;
* ``asof``: every request asks a page for an as-of date not asked before
  (dates spread over the store's last two years), so every request builds
  a page; this also reports the server's peak memory (VmHWM) and its
  resident memory before and after.

    uv run python benchmarks/bench_dashboard_load.py [--clients 50] [--seconds 60] [--store PATH]
        [--scenario cached|asof|both]

Pages for new dates are built one at a time, so with many clients the
``asof`` latency is mostly queueing: to see what one page costs, use one or
two clients (the README's figures: ``--clients 1 --seconds 90 --scenario asof``
and ``--clients 2 --seconds 60``), and say how loaded the machine was.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
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


async def _asof_client(
    base: str,
    deadline: float,
    dates: list[str],
    latencies: list[float],
    errors: list[str],
    counter: list[int],
) -> None:
    pages = [p for p in ENDPOINTS if p not in ("/api/status", "/api/health")]
    async with httpx.AsyncClient(base_url=base, timeout=300.0) as client:
        while time.monotonic() < deadline and counter[0] < len(dates):
            i = counter[0]
            counter[0] += 1
            path = pages[i % len(pages)]
            t0 = time.perf_counter()
            try:
                r = await client.get(path, params={"asof": dates[i]})
                dt = time.perf_counter() - t0
                if r.status_code != 200:
                    errors.append(f"{path}?asof={dates[i]}: HTTP {r.status_code}")
                else:
                    latencies.append(dt)
            except httpx.HTTPError as exc:
                errors.append(f"{path}?asof={dates[i]}: {type(exc).__name__}")


async def _run(
    base: str, clients: int, seconds: float, dates: list[str] | None = None
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    counter = [0]
    start = time.monotonic()
    deadline = start + seconds
    if dates is None:
        jobs = [_client(base, deadline, latencies, errors, counter) for _ in range(clients)]
    else:
        jobs = [
            _asof_client(base, deadline, dates, latencies, errors, counter) for _ in range(clients)
        ]
    await asyncio.gather(*jobs)
    return latencies, errors, time.monotonic() - start


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak resident) of a process, in MB (Linux /proc)."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return out


def _report(
    name: str, latencies: list[float], errors: list[str], elapsed: float, clients: int
) -> None:
    n = len(latencies) + len(errors)
    print(
        f"[{name}] clients: {clients}  duration: {elapsed:.1f} s  requests: {n}  "
        f"throughput: {n / elapsed:.1f} req/s"
    )
    print(f"[{name}] errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    ms = [x * 1000 for x in latencies]
    print(
        f"[{name}] latency ms: p50 {_percentile(ms, 50):.1f}  p90 {_percentile(ms, 90):.1f}  "
        f"p99 {_percentile(ms, 99):.1f}  max {max(ms) if ms else float('nan'):.1f}  "
        f"mean {statistics.fmean(ms) if ms else float('nan'):.1f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument(
        "--store", type=Path, default=None, help="store to serve (default: a fresh demo store)"
    )
    ap.add_argument("--scenario", choices=("cached", "asof", "both"), default="both")
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
        all_errors: list[str] = []
        if args.scenario in ("cached", "both"):
            # Warm every endpoint once (the first call computes the page; later ones hit the cache).
            t0 = time.perf_counter()
            for path in ENDPOINTS:
                r = httpx.get(base + path, timeout=300)
                if r.status_code != 200:
                    print(f"warm-up {path}: HTTP {r.status_code} {r.text[:200]}", file=sys.stderr)
                    return 2
            print(f"warm-up of {len(ENDPOINTS)} endpoints: {time.perf_counter() - t0:.1f} s")
            latencies, errors, elapsed = asyncio.run(_run(base, args.clients, args.seconds))
            _report("cached", latencies, errors, elapsed, args.clients)
            all_errors += errors
        if args.scenario in ("asof", "both"):
            last = httpx.get(base + "/api/overview", timeout=300).json()["last_date"]
            end = datetime.date.fromisoformat(last)
            dates = [(end - datetime.timedelta(days=d)).isoformat() for d in range(730)]
            random.Random(14).shuffle(dates)
            before = _memory_mb(server.pid)
            latencies, errors, elapsed = asyncio.run(
                _run(base, args.clients, args.seconds, dates=dates)
            )
            after = _memory_mb(server.pid)
            _report("asof", latencies, errors, elapsed, args.clients)
            print(
                f"[asof] server memory MB: resident {before.get('VmRSS', float('nan')):.0f} -> "
                f"{after.get('VmRSS', float('nan')):.0f}, peak {after.get('VmHWM', float('nan')):.0f}"
            )
            all_errors += errors
    finally:
        server.terminate()
        server.wait(timeout=30)
        tmp.cleanup()
    return 0 if not all_errors else 1


if __name__ == "__main__":
    sys.exit(main())
