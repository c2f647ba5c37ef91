"""A store filled the way users fill it: Binance klines to 2026-01-02, CoinGecko closes
of BTC and ETH to 2026-08-21 and CoinMarketCap caps to 2025-10-01 (real files).

The newest price day then holds two coins and the caps are months stale: the
figures must say so (NaN, a thin-coverage flag), never a flat 0 % market."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import DivergenceAnalysis
from altseason.sources.files import import_files
from altseason.store import Store

pytestmark = pytest.mark.real_data

BINANCE = "prices/djienne__Hurst_Crypto/data"
KITTY = "etf_flows/kittycapital__btc-etf-dashboard/data"
CMC = (
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/coinmarketcap_monthly_all_snapshots.csv"
)
COINS = ("BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LINK", "AVAX")


@pytest.fixture(scope="module")
def store_path(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("multi") / "multi.duckdb"
    files = [real_data / BINANCE / f"{c}USDT.csv" for c in COINS]
    files += [real_data / KITTY / "btc_price.json", real_data / KITTY / "eth_price.json"]
    files.append(real_data / CMC)
    with Store(path) as s:
        import_files(s, files, on_error="reject")
    return path


def test_thin_newest_day_is_flagged_with_the_broad_one(store_path: Path) -> None:
    with Store(store_path, read_only=True) as s:
        da = DivergenceAnalysis.from_store(s, window=90)
    cov = da.coverage()
    # independent: the newest day of the two CoinGecko files, and the Binance files' end
    assert cov["asof"] == pd.Timestamp("2026-08-21")
    assert cov["priced"] == 2
    assert cov["recent"] == len(COINS)
    assert cov["thin"]
    assert cov["broad_asof"] == pd.Timestamp("2026-01-02")
    with Store(store_path, read_only=True) as s:
        broad = DivergenceAnalysis.from_store(s, asof="2026-01-02", window=90)
    assert not broad.coverage()["thin"]


def test_cap_weighted_market_is_unknown_not_flat_once_caps_are_stale(store_path: Path) -> None:
    """CMC caps end 2025-10-01; the index reconstitutes monthly with caps at most 35
    days old: 2025-11-01 still has them, 2025-12-01 has none. From there the level is
    NaN (it was held flat: a false 0 % return on every window)."""
    with Store(store_path, read_only=True) as s:
        da = DivergenceAnalysis.from_store(s, asof="2026-01-02", window=90)
    lvl = da.market_levels["market_cap_weighted"]
    assert np.isfinite(lvl.loc["2025-11-30"])
    assert lvl.loc["2025-12-01":].isna().all()
    perf = da.performance()
    row = perf.loc["market_cap_weighted"]
    for col in ("1d", "7d", "30d", "90d", "drawdown", "days_since_peak"):
        assert np.isnan(row[col]), col
    # a year fully inside the caps' span keeps its number: 2024, checked against the level
    lv = lvl.dropna()
    assert row["2024"] == pytest.approx(lv.loc["2024-12-31"] / lv.loc["2023-12-31"] - 1)
    # the equal-weighted market needs no caps and stays defined
    assert np.isfinite(perf.loc["market_equal_weighted", "90d"])
