"""Cost of the dashboard's reopen-per-request against one long-lived connection.

The dashboard opens the store read-only for each request and releases it
afterwards (so writers can commit between requests). This times typical
reads on the demo store both ways in the same run and prints the ratio:
reopening adds the DuckDB open and the schema check, the reads themselves
run at DuckDB's usual speed.

    uv run python benchmarks/bench_store_reopen.py [--repeat 30] [--store PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from altseason.sources.demo import write_demo
from altseason.store import Store


def _median(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store
        if path is None:
            path = Path(tmp) / "demo.duckdb"
            with Store(path) as s:
                write_demo(s, n_assets=60, start="2022-01-01", end="2025-06-30")
        reads: dict[str, Callable[[Store], object]] = {
            "status()": lambda s: s.status(),
            "read_prices('close')": lambda s: s.read_prices("close"),
            "count('prices')": lambda s: s.count("prices"),
        }
        # Reopened first, with no other connection in this process (DuckDB shares an
        # open database between connections of one process, which would hide the cost).
        released = Store(path, read_only=True)
        released.release()
        cold: dict[str, float] = {}
        for name, read in reads.items():

            def reopened(read: Callable[[Store], object] = read) -> None:
                read(released)
                released.release()

            cold[name] = _median(reopened, args.repeat)
        open_only = _median(lambda: (released.count("assets"), released.release()), args.repeat)
        released.close()
        kept = Store(path, read_only=True)
        print(f"store {path} ({path.stat().st_size / 1e6:.0f} MB), median of {args.repeat}")
        print(f"{'read':<24} {'kept open ms':>13} {'reopened ms':>12} {'ratio':>7}")
        for name, read in reads.items():
            warm = _median(lambda read=read: read(kept), args.repeat)
            print(
                f"{name:<24} {warm * 1e3:13.2f} {cold[name] * 1e3:12.2f} {cold[name] / warm:7.2f}"
            )
        print(f"open + a count + release alone: {open_only * 1e3:.2f} ms")
        kept.close()


if __name__ == "__main__":
    main()
