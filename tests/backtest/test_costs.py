"""Cost conventions: costs_paid >= 0, funding and premiums apart, scale invariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.backtest import OptionLeg, run_backtest


def _panel(seed: int, n: int = 160, k: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=n, freq="D")
    start = np.array([60_000.0, 3_000.0, 150.0, 0.5, 0.002])[:k]
    rets = rng.normal(0, 0.035, size=(n, k))
    return pd.DataFrame(
        start * np.exp(np.cumsum(rets, axis=0)),
        index=idx,
        columns=["BTC", "ETH", "A", "B", "C"][:k],
    )


def _weights(prices: pd.DataFrame, seed: int, every: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    w = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    for i in range(3, len(prices), every):
        raw = rng.uniform(-1, 1, prices.shape[1])
        w.iloc[i] = raw / np.abs(raw).sum() * rng.uniform(0.3, 1.0)
    return w


def _funding(prices: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.normal(1e-4, 3e-4, size=prices.shape), index=prices.index, columns=prices.columns
    )


LEGS = [
    OptionLeg("BTC", "call", moneyness=1.15, tenor_days=14, size=1.0, implied_vol=0.65, carry=0.08),
    OptionLeg("BTC", "put", moneyness=0.85, tenor_days=14, size=-1.0, implied_vol=0.75, carry=0.08),
]


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 1_000),
    every=st.integers(1, 9),
    fees=st.floats(0, 30),
    slip=st.floats(0, 20),
)
def test_equity_does_not_depend_on_initial_capital(
    seed: int, every: int, fees: float, slip: float
) -> None:
    prices = _panel(seed)
    w = _weights(prices, seed, every)
    kw = {
        "fees_bps": fees,
        "slippage_bps": slip,
        "funding": _funding(prices, seed),
        "options": LEGS,
        "leverage": 1.0,
        "margin": True,
        "cash_yield": 0.04,
    }
    small = run_backtest(prices, w, init_cash=1.0, **kw)
    big = run_backtest(prices, w, init_cash=1e6, **kw)
    np.testing.assert_allclose(
        big.equity.to_numpy() / 1e6, small.equity.to_numpy(), rtol=1e-12, atol=0
    )
    for name in ("sharpe", "cagr", "costs_paid", "turnover", "funding_received"):
        assert big.metrics[name] == pytest.approx(small.metrics[name], rel=1e-9, abs=1e-15)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 1_000), every=st.integers(1, 9), fees=st.floats(0, 30))
def test_costs_paid_is_fees_slippage_and_option_fees(seed: int, every: int, fees: float) -> None:
    prices = _panel(seed)
    res = run_backtest(
        prices,
        _weights(prices, seed, every),
        fees_bps=fees,
        slippage_bps=5.0,
        funding=_funding(prices, seed) * 5,  # shorts receive a lot
        options=LEGS,
        margin=True,
    )
    s = res.summary()
    c = res.costs
    assert s["costs_paid"] >= 0
    assert s["costs_paid"] == pytest.approx(s["fees"] + s["slippage"] + s["option_fees"], rel=1e-12)
    assert s["costs_paid"] == pytest.approx(
        c[["fees", "slippage", "option_fees"]].to_numpy().sum(), rel=1e-12
    )
    for col in ("fees", "slippage", "option_fees", "funding_paid", "funding_received"):
        assert (c[col] >= 0).all(), col
    for col in ("premium_paid", "premium_received"):
        assert (c[col] >= 0).all(), col
    # the parts add up to the net flows the engine books
    np.testing.assert_allclose(
        c["funding_paid"] - c["funding_received"], c["funding"], rtol=0, atol=1e-15
    )
    np.testing.assert_allclose(
        c["premium_paid"] - c["premium_received"] - c["option_payoff"],
        c["option_premium"],
        rtol=0,
        atol=1e-15,
    )
    # the short received funding and the collar put's premium, both apart from costs
    assert s["funding_received"] > 0 and s["premium_received"] > 0


def test_turnover_is_one_way() -> None:
    prices = _panel(3, n=40, k=2)
    w = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    w.iloc[0] = [1.0, 0.0]
    w.iloc[10] = [0.0, 1.0]  # sell all BTC, buy all ETH: one-way turnover 100% that day
    res = run_backtest(prices, w, lag=0)
    assert res.turnover.iloc[0] == pytest.approx(0.5)  # buying from cash: half of 1x traded
    assert res.turnover.iloc[10] == pytest.approx(1.0, rel=1e-12)
    assert res.metrics["turnover"] == pytest.approx(res.turnover.mean() * 365, rel=1e-12)


def test_attribution_adds_up_and_tearsheet_tables() -> None:
    prices = _panel(5, n=200)
    w = _weights(prices, 5, 6)
    w.iloc[:20] = np.nan
    res = run_backtest(
        prices,
        w,
        fees_bps=10,
        slippage_bps=5,
        funding=_funding(prices, 5),
        options=LEGS,
        margin=True,
        cash_yield=0.03,
    )
    a = res.attribution()
    parts = a.drop("total")
    assert parts.sum() == pytest.approx(a["total"], rel=1e-9, abs=1e-12)
    assert a["costs"] == pytest.approx(-res.metrics["costs_paid"], rel=1e-12)
    assert a["total"] == pytest.approx(res.equity.iloc[-1] - 1.0, rel=1e-12)
    # metrics start at the first trade: the warm-up's cash yield is not in total_return
    before = res.equity.loc[: res.first_trade].iloc[-2]
    assert res.metrics["total_return"] == pytest.approx(res.equity.iloc[-1] / before - 1, rel=1e-9)
    # the monthly table compounds to the total return
    monthly = res.monthly_returns()
    total = res.metrics["total_return"]
    assert (1 + monthly["year"]).prod() - 1 == pytest.approx(total, rel=1e-9)
    months = monthly.drop(columns="year").stack()
    assert (1 + months).prod() - 1 == pytest.approx(total, rel=1e-9)
    # rolling Sharpe: the last value is the Sharpe of the last 90 active days
    rs = res.rolling_sharpe(90)
    tail = res.active_returns.iloc[-90:]
    assert rs.iloc[-1] == pytest.approx(tail.mean() / tail.std() * np.sqrt(365), rel=1e-10)
    # the deepest drawdown is the max drawdown metric
    dd = res.drawdown_table(3)
    assert dd["depth"].iloc[0] == pytest.approx(res.metrics["max_drawdown"], rel=1e-10)
    assert (dd["depth"].diff().dropna() >= 0).all()
