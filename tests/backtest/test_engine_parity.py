"""Parity of the engine with vectorbt 1.2.0 and of the metrics with empyrical."""

from __future__ import annotations

from pathlib import Path

import empyrical
import numpy as np
import pandas as pd
import pytest

from altseason.backtest import (
    annual_volatility,
    beta,
    cagr,
    calmar_ratio,
    max_drawdown,
    run_backtest,
    sharpe_ratio,
    sortino_ratio,
)
from altseason.strategies import momentum_weights

vbt = pytest.importorskip("vectorbt")

REL = 1e-8


def _random_panel(seed: int, n: int = 400, m: int = 25) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.05, (n, m)), axis=0))
    listing = rng.integers(0, n // 2, m)
    listing[:3] = 0
    for j in range(m):
        close[: listing[j], j] = np.nan
    idx = pd.date_range("2021-01-01", periods=n, freq="D")
    return pd.DataFrame(close, index=idx, columns=[f"C{j:02d}" for j in range(m)])


def _random_weights(prices: pd.DataFrame, seed: int, every: int, shorts: bool) -> pd.DataFrame:
    """Random target rows on listed assets; gross <= 1; NaN rows in between."""
    rng = np.random.default_rng(seed)
    w = np.full(prices.shape, np.nan)
    listed = prices.notna().to_numpy()
    for i in range(0, len(prices), every):
        raw = rng.random(prices.shape[1]) * listed[i] * (rng.random(prices.shape[1]) < 0.5)
        if shorts:
            raw *= rng.choice([-1.0, 1.0], prices.shape[1])
        total = np.abs(raw).sum()
        w[i] = raw / total * rng.uniform(0.5, 1.0) if total > 0 else 0.0
    return pd.DataFrame(w, index=prices.index, columns=prices.columns)


def _vectorbt_value(
    prices: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    lag: int,
    fees: float,
    slippage: float,
    init_cash: float,
) -> np.ndarray:
    pf = vbt.Portfolio.from_orders(
        prices,
        size=weights.shift(lag),
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=fees,
        slippage=slippage,
        init_cash=init_cash,
        freq="1D",
    )
    return pf.value().to_numpy()


VBT_MIN = {"min_units": 1e-8, "min_order": 0.0}
"""vectorbt's absolute 1e-8-unit minimum order (ours is relative by default)."""


def _assert_close(ours: np.ndarray, ref: np.ndarray) -> None:
    assert ours.shape == ref.shape
    rel = np.abs(ours / ref - 1.0)
    assert np.nanmax(rel) <= REL, f"max relative error {np.nanmax(rel):.3g}"


@pytest.mark.parametrize(
    ("seed", "every", "shorts", "fees_bps", "slippage_bps", "lag"),
    [
        (1, 1, False, 10.0, 0.0, 1),
        (2, 7, False, 25.0, 5.0, 1),
        (3, 5, True, 10.0, 0.0, 1),
        (4, 3, True, 0.0, 20.0, 2),
        (5, 30, False, 100.0, 0.0, 0),
    ],
)
def test_random_weights_match_vectorbt(
    seed: int, every: int, shorts: bool, fees_bps: float, slippage_bps: float, lag: int
) -> None:
    prices = _random_panel(seed)
    weights = _random_weights(prices, seed + 100, every, shorts)
    res = run_backtest(
        prices,
        weights,
        lag=lag,
        fees_bps=fees_bps,
        slippage_bps=slippage_bps,
        init_cash=100.0,
        **VBT_MIN,
    )
    ref = _vectorbt_value(
        prices, weights, lag=lag, fees=fees_bps / 1e4, slippage=slippage_bps / 1e4, init_cash=100.0
    )
    _assert_close(res.equity.to_numpy(), ref)


@pytest.mark.parametrize(("lookback", "k", "rebalance"), [(10, 3, 1), (20, 5, 7), (5, 10, 30)])
def test_momentum_matches_vectorbt_on_random_panels(lookback: int, k: int, rebalance: int) -> None:
    prices = _random_panel(lookback * 7 + k)
    weights = momentum_weights(prices, lookback=lookback, k=k, rebalance=rebalance)
    res = run_backtest(prices, weights, fees_bps=10.0, init_cash=100.0, **VBT_MIN)
    ref = _vectorbt_value(prices, weights, lag=1, fees=0.001, slippage=0.0, init_cash=100.0)
    _assert_close(res.equity.to_numpy(), ref)


def _binance_close(real_data: Path) -> pd.DataFrame:
    folder = real_data / "prices" / "djienne__Hurst_Crypto" / "data"
    series = {}
    for path in sorted(folder.glob("*USDT.csv")):
        frame = pd.read_csv(path, usecols=["open_time", "close"])
        dates = pd.to_datetime(frame["open_time"], utc=True).dt.tz_localize(None).dt.normalize()
        series[path.name.removesuffix("USDT.csv")] = pd.Series(
            frame["close"].to_numpy(), index=dates
        )
    close = pd.DataFrame(series).sort_index()
    return close.reindex(pd.date_range(close.index[0], close.index[-1], freq="D"))


@pytest.fixture(scope="module")
def binance_close(real_data: Path) -> pd.DataFrame:
    return _binance_close(real_data)


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("lookback", "k", "rebalance", "init_cash"), [(30, 5, 7, 100.0), (90, 10, 1, 1.0)]
)
def test_momentum_matches_vectorbt_on_binance(
    binance_close: pd.DataFrame, lookback: int, k: int, rebalance: int, init_cash: float
) -> None:
    # init_cash=1 makes BTC orders tiny: vectorbt's 1e-8-unit minimum order must match ours
    assert binance_close.shape[1] >= 40 and len(binance_close) > 2500
    weights = momentum_weights(binance_close, lookback=lookback, k=k, rebalance=rebalance)
    res = run_backtest(binance_close, weights, fees_bps=10.0, init_cash=init_cash, **VBT_MIN)
    ref = _vectorbt_value(
        binance_close, weights, lag=1, fees=0.001, slippage=0.0, init_cash=init_cash
    )
    _assert_close(res.equity.to_numpy(), ref)
    # the result's own metrics are the empyrical ones at 365 periods a year, from the first trade
    r = res.returns.loc[res.first_trade :]
    assert res.metrics["sharpe"] == pytest.approx(
        empyrical.sharpe_ratio(r, annualization=365), rel=1e-10
    )
    assert res.metrics["beta_btc"] == pytest.approx(
        empyrical.beta(r, binance_close["BTC"].pct_change(fill_method=None)), rel=1e-10
    )


@pytest.mark.real_data
def test_metrics_match_empyrical_on_binance_backtest(binance_close: pd.DataFrame) -> None:
    weights = momentum_weights(binance_close, lookback=30, k=5, rebalance=7)
    r = run_backtest(binance_close, weights, fees_bps=10.0).returns
    _check_metrics_against_empyrical(r)


@pytest.mark.parametrize("seed", [7, 8])
def test_metrics_match_empyrical_on_random_backtests(seed: int) -> None:
    prices = _random_panel(seed)
    weights = _random_weights(prices, seed, 5, True)
    weights.iloc[:40] = np.nan  # a warm-up: metrics start at the first trade
    res = run_backtest(prices, weights, fees_bps=10.0)
    r = res.returns
    _check_metrics_against_empyrical(r)
    active = r.loc[res.first_trade :]
    assert res.first_trade == prices.index[41]  # decided on row 40, traded on the next close
    assert res.metrics["warmup_days"] == 41
    for name, ref in [
        ("sharpe", empyrical.sharpe_ratio(active, annualization=365)),
        ("cagr", empyrical.cagr(active, annualization=365)),
        ("calmar", empyrical.calmar_ratio(active, annualization=365)),
        ("max_drawdown", empyrical.max_drawdown(active)),
    ]:
        assert res.metrics[name] == pytest.approx(ref, rel=1e-10), name


def _check_metrics_against_empyrical(r: pd.Series) -> None:
    def close(ours: float, ref: float) -> None:
        assert ours == pytest.approx(ref, rel=1e-10, abs=1e-14)

    close(sharpe_ratio(r), empyrical.sharpe_ratio(r, annualization=365))
    close(sortino_ratio(r), empyrical.sortino_ratio(r, annualization=365))
    close(max_drawdown(r), empyrical.max_drawdown(r))
    close(cagr(r), empyrical.cagr(r, annualization=365))
    close(calmar_ratio(r), empyrical.calmar_ratio(r, annualization=365))
    close(annual_volatility(r), empyrical.annual_volatility(r, annualization=365))
    bench = r.shift(1).fillna(0.0) * 0.5 + np.sin(np.arange(len(r))) * 0.01
    close(beta(r, bench), empyrical.beta(r, bench))
