"""Time the embedded demo market: generation (pure) and the write into a store.

Run: ``uv run python benchmarks/bench_demo.py``. The target is well under 30 s
for the default demo (2019-01-01 .. 2026-10-31, 180 tokens + 3 stablecoins).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from altseason.sources.demo import generate_demo, write_demo
from altseason.store import Store

TARGET_S = 30.0


def main() -> None:
    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    market = generate_demo(progress=lambda msg: stages.append((msg, time.perf_counter() - t0)))
    gen = time.perf_counter() - t0
    rows = int(market.summary()["rows"].sum())
    print(
        f"generate_demo (default): {gen:6.2f} s for {rows:,} rows "
        f"({gen / TARGET_S:.1%} of the {TARGET_S:.0f} s budget)"
    )
    ends = [t for _, t in stages[1:]] + [gen]
    for (msg, start), end in zip(stages, ends, strict=True):
        print(f"  {msg:<40s} {end - start:6.2f} s")
    print(market.summary().to_string())
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.duckdb") as store:
        t1 = time.perf_counter()
        result = write_demo(store, market=market)
        wr = time.perf_counter() - t1
    print(
        f"write_demo (one ingest):  {wr:6.2f} s for {result.total_written:,} rows "
        f"({result.total_written / max(wr, 1e-9):,.0f} rows/s)"
    )
    t2 = time.perf_counter()
    again = generate_demo()
    same = all(again.tables()[k].equals(v) for k, v in market.tables().items())
    print(f"second generation:        {time.perf_counter() - t2:6.2f} s, bit-identical: {same}")


if __name__ == "__main__":
    main()
