"""Time the whole divergence computation on a wide synthetic market.

Builds a market of N assets x D days (random-walk closes with listings and
delistings mid-sample, market caps, sectors from the shipped map cycled over
the assets), then times :class:`altseason.analytics.DivergenceAnalysis` end to
end: cap tiers, capped cap-weighted and equal-weighted tier/sector/market
indices, the performance and relative-strength tables, the altseason index,
breadth, dispersion, sector spread, dominance, the regime and the 90-day
average pairwise correlation with its regime.

    uv run python benchmarks/bench_divergence.py [--assets 500] [--days 2200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from altseason.analytics import DivergenceAnalysis
from altseason.universe import SECTORS, STABLECOIN_SECTOR


def synthetic_market(
    n_assets: int = 500, n_days: int = 2200, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Closes, market caps and sectors of a random market (BTC and ETH first)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2020-01-01", periods=n_days, freq="D", name="date")
    names = ["BTC", "ETH", *[f"T{i:04d}" for i in range(n_assets - 2)]]
    common = rng.normal(0.0005, 0.03, (n_days, 1))
    rets = 0.8 * common + rng.normal(0, 0.04, (n_days, n_assets))
    close = 10.0 * np.exp(np.cumsum(rets, axis=0))
    supply = np.exp(rng.uniform(14, 22, n_assets))
    supply[0], supply[1] = 1e9, 5e8
    listed = rng.integers(0, n_days // 2, n_assets)
    listed[:100] = 0
    for j, start in enumerate(listed):
        close[:start, j] = np.nan
    for j in rng.choice(np.arange(100, n_assets), n_assets // 20, replace=False):
        close[int(rng.integers(n_days // 2, n_days)) :, j] = np.nan  # delistings
    frame = pd.DataFrame(close, index=idx, columns=names)
    mcap = frame * supply
    sector_ids = [s for s in SECTORS if s != STABLECOIN_SECTOR]
    sectors = pd.Series([sector_ids[j % len(sector_ids)] for j in range(n_assets)], index=names)
    return frame, mcap, sectors


def run(n_assets: int = 500, n_days: int = 2200) -> float:
    """Build the market, run the analysis once, print and return the seconds taken."""
    close, mcap, sectors = synthetic_market(n_assets, n_days)
    # warm the numba kernels on a small slice so compile time is not counted
    DivergenceAnalysis.from_panels(
        close.iloc[:300, :20], mcap.iloc[:300, :20], sectors
    ).correlation()
    t0 = time.perf_counter()
    analysis = DivergenceAnalysis.from_panels(close, mcap, sectors, window=90)
    summary = analysis.summary()
    corr = analysis.correlation()
    elapsed = time.perf_counter() - t0
    print(
        f"divergence computation, {n_assets} assets x {n_days} days: {elapsed:.2f} s "
        f"(performance table {summary['performance'].shape}, regime "
        f"{summary['regime'].label!r}, average correlation on the last day "
        f"{corr['level'].iloc[-1]:.3f})"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--days", type=int, default=2200)
    args = parser.parse_args()
    run(args.assets, args.days)


if __name__ == "__main__":
    main()
