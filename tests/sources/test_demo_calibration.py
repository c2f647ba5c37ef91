"""Calibration bands of the default demo market for backtests.

Cross-sectional momentum and the rotation strategy must land in realistic
ranges on the simulated market (annualised Sharpe within [-0.5, 1.5], no
CAGR above 100%), and option open interest must have a time-varying
put/call ratio and skew. The default demo is generated once for the module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.backtest import run_backtest
from altseason.sources.demo import DemoMarket, generate_demo, write_demo
from altseason.store import Store
from altseason.strategies import (
    MarketData,
    Rotation,
    market_data_from_store,
    momentum_weights,
    run_strategy,
)

SHARPE_BAND = (-0.5, 1.5)
MAX_CAGR = 1.0


@pytest.fixture(scope="module")
def market() -> DemoMarket:
    return generate_demo()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> MarketData:
    path = Path(tmp_path_factory.mktemp("demo_cal")) / "demo.duckdb"
    with Store(path) as store:
        write_demo(store)
        return market_data_from_store(store)


@pytest.mark.parametrize("lookback", [30, 60, 90])
@pytest.mark.parametrize("k", [5, 10, 20])
def test_top_k_momentum_is_in_a_realistic_range(market: DemoMarket, lookback: int, k: int) -> None:
    close = market.prices.pivot(index="date", columns="asset_id", values="close")
    res = run_backtest(close, momentum_weights(close, lookback, k, 7), fees_bps=10.0)
    m = res.metrics
    assert SHARPE_BAND[0] <= m["sharpe"] <= SHARPE_BAND[1], m["sharpe"]
    assert m["cagr"] <= MAX_CAGR, m["cagr"]
    # an honest crypto long-only book: deep drawdowns, high volatility
    assert m["max_drawdown"] < -0.5 and m["volatility"] > 0.4


@pytest.mark.parametrize("sleeves", ["tiers", "sectors"])
def test_rotation_is_in_a_realistic_range(data: MarketData, sleeves: str) -> None:
    res = run_strategy(Rotation(sleeves=sleeves), data, fees_bps=10.0)  # type: ignore[arg-type]
    m = res.metrics
    assert SHARPE_BAND[0] <= m["sharpe"] <= SHARPE_BAND[1], m["sharpe"]
    assert m["cagr"] <= MAX_CAGR, m["cagr"]


def test_put_call_ratio_and_skew_vary_over_time(market: DemoMarket) -> None:
    o = market.options
    oi = o.groupby(["snapshot_ts", "underlying", "kind"])["open_interest"].sum().unstack("kind")
    pcr = (oi["P"] / oi["C"]).unstack("underlying")
    for und in ("BTC", "ETH"):
        s = pcr[und].dropna()
        assert 0.45 < s.median() < 0.9  # calls dominate in calm markets, as on Deribit
        assert s.std() > 0.08 and s.max() / s.min() > 2.0
        assert (s.round(6) != 1.0).mean() > 0.99  # never pinned at parity
    # put/call rises after sell-offs: correlate with the trailing 30-day BTC return
    close = market.prices.pivot(index="date", columns="asset_id", values="close")["BTC"]
    r30 = np.log(close).diff(30)
    days = pd.DatetimeIndex(pcr.index).normalize()
    both = pd.DataFrame({"pcr": pcr["BTC"].to_numpy(), "r30": r30.reindex(days).to_numpy()})
    assert both.dropna().corr().loc["pcr", "r30"] < -0.3
    # 25%-OTM put minus call implied vol (a skew proxy) moves over time
    b = o[o["underlying"] == "BTC"].copy()
    b["x"] = np.log(b["strike"] / b["underlying_price"])
    near = b.groupby("snapshot_ts")["expiry"].transform("min") == b["expiry"]
    b = b[near]
    put = b[(b["x"] < -0.05) & (b["kind"] == "P")].groupby("snapshot_ts")["mark_iv"].mean()
    call = b[(b["x"] > 0.05) & (b["kind"] == "C")].groupby("snapshot_ts")["mark_iv"].mean()
    skew = (put - call).dropna()
    assert skew.std() > 0.01 and (skew > 0).mean() > 0.5 and (skew < 0).any()
