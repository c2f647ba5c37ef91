"""Engine semantics checked against hand computations: costs, funding, yield,
delistings, options, margin, lag, validation and the universe mask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import black76_price
from altseason.backtest import BacktestResult, OptionLeg, run_backtest, slippage_rate
from altseason.exceptions import StrategyError, ValidationError

DATES = pd.date_range("2024-01-01", periods=60, freq="D")


def _panel(**cols: np.ndarray) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=DATES[:n])


def _once(prices: pd.DataFrame, row: int = 0, **w: float) -> pd.DataFrame:
    """One decision row, NaN elsewhere (hold)."""
    out = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    out.iloc[row] = 0.0
    for k, v in w.items():
        out.iloc[row, out.columns.get_loc(k)] = v
    return out


def _walk(n: int, seed: int, start: float = 100.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0, 0.03, n)))


def test_full_allocation_is_capped_by_cash_and_fees() -> None:
    p = _walk(30, 1)
    prices = _panel(BTC=p)
    res = run_backtest(prices, _once(prices, BTC=1.0), lag=0, fees_bps=50)
    units = 1.0 / (p[0] * 1.005)  # the whole cash buys units plus the fee on them
    np.testing.assert_allclose(res.equity.to_numpy(), units * p, rtol=1e-12)
    assert res.costs["fees"].iloc[0] == pytest.approx(1.0 - units * p[0], rel=1e-12)
    assert res.trades.shape[0] == 1 and res.trades["reason"].iloc[0] == "rebalance"


def test_lag_shifts_trades_to_a_later_close() -> None:
    prices = _panel(BTC=_walk(20, 2), ETH=_walk(20, 3))
    w = _once(prices, row=4, BTC=0.5, ETH=0.5)
    for lag in (0, 1, 3):
        res = run_backtest(prices, w, lag=lag)
        assert set(res.trades["date"]) == {DATES[4 + lag]}
        assert (res.equity.iloc[: 4 + lag] == 1.0).all()


def test_slippage_and_volume_impact_match_the_formula() -> None:
    p = _walk(10, 4)
    prices = _panel(BTC=p)
    volume = _panel(BTC=np.full(10, 2_000.0))
    res = run_backtest(
        prices,
        _once(prices, BTC=0.5),
        lag=0,
        fees_bps=10,
        slippage_bps=20,
        impact=0.5,
        volume=volume,
        init_cash=1_000.0,
    )
    units = 0.5 * 1_000.0 / p[0]
    s = slippage_rate(units * p[0], 2_000.0, slippage_bps=20, impact=0.5)
    assert s == pytest.approx(20e-4 + 0.5 * np.sqrt(500.0 / 2_000.0))
    cash = 1_000.0 - units * p[0] * (1 + s) * 1.001
    np.testing.assert_allclose(res.equity.to_numpy(), cash + units * p, rtol=1e-12)
    assert res.costs["slippage"].iloc[0] == pytest.approx(units * p[0] * s, rel=1e-12)
    assert res.costs["fees"].iloc[0] == pytest.approx(units * p[0] * (1 + s) * 1e-3, rel=1e-12)


def test_impact_needs_volume() -> None:
    prices = _panel(BTC=_walk(5, 1))
    with pytest.raises(StrategyError, match="volume"):
        run_backtest(prices, _once(prices, BTC=0.5), impact=0.1)


def test_shorts_receive_funding_and_longs_pay_only_on_perps() -> None:
    flat = np.full(12, 100.0)
    prices = _panel(BTC=flat, ETH=flat)
    funding = _panel(BTC=np.full(12, 0.001), ETH=np.full(12, 0.001))
    w = _once(prices, BTC=-0.5, ETH=0.25)
    res = run_backtest(prices, w, lag=0, funding=funding)
    days = np.arange(12)
    # the short's notional (0.5) earns 0.1% a day from the day after entry; the spot long pays nothing
    np.testing.assert_allclose(res.equity.to_numpy(), 1.0 + 0.5 * 0.001 * days, rtol=1e-12)
    assert res.costs["funding"].iloc[1] == pytest.approx(-0.0005)
    perp = run_backtest(prices, w, lag=0, funding=funding, longs_pay_funding=True)
    np.testing.assert_allclose(perp.equity.to_numpy(), 1.0 + 0.25 * 0.001 * days, rtol=1e-12)


def test_cash_earns_the_stablecoin_yield() -> None:
    prices = _panel(BTC=np.full(40, 100.0))
    w = _once(prices, BTC=0.5)
    res = run_backtest(prices, w, lag=0, cash_yield=0.05)
    daily = 1.05 ** (1 / 365) - 1
    # the free half compounds its share: equity = 0.5 + 0.5 (1 + d)^t
    expected = 0.5 + 0.5 * (1 + daily) ** np.arange(40)
    np.testing.assert_allclose(res.equity.to_numpy(), expected, rtol=1e-12)
    assert res.costs["cash_yield"].sum() == pytest.approx(expected[-1] - 1.0, rel=1e-9)


def test_delisted_position_is_sold_at_its_last_price() -> None:
    a, b = _walk(20, 5), _walk(20, 6)
    b[8:] = np.nan  # B stops trading after day 7
    prices = _panel(A=a, B=b)
    res = run_backtest(prices, _once(prices, A=0.5, B=0.5), lag=0)
    ua, ub = 0.5 / a[0], 0.5 / b[0]
    expected = np.where(np.arange(20) < 8, ua * a + ub * np.nan_to_num(b), ua * a + ub * b[7])
    np.testing.assert_allclose(res.equity.to_numpy(), expected, rtol=1e-12)
    delist = res.trades[res.trades["reason"] == "delisting"]
    assert list(delist["asset"]) == ["B"] and delist["date"].iloc[0] == DATES[8]
    assert delist["price"].iloc[0] == b[7] and delist["units"].iloc[0] == pytest.approx(-ub)
    assert res.units["B"].iloc[8:].eq(0).all()


def test_leverage_with_margin_tracks_levered_returns() -> None:
    p = _walk(25, 7)
    prices = _panel(BTC=p, ETH=_walk(25, 8))
    res = run_backtest(prices, _once(prices, BTC=1.0, ETH=-0.5), lag=0, leverage=2.0)
    e = _walk(25, 8)
    expected = 1.0 + (p / p[0] - 1.0) - 0.5 * (e / e[0] - 1.0)
    np.testing.assert_allclose(res.equity.to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(res.exposures["gross"].iloc[0], 1.5)


def test_long_call_hedge_is_priced_with_black76_and_settles_at_intrinsic() -> None:
    p = _walk(40, 9, start=60_000.0)
    prices = _panel(BTC=p)
    w = _once(prices)  # all cash; the option is the only position
    leg = OptionLeg(
        "BTC", "call", moneyness=1.05, tenor_days=10, size=0.5, sizing="equity", implied_vol=0.7
    )
    res = run_backtest(prices, w, lag=0, fees_bps=10, options=[leg])
    qty = 0.5 * 1.0 / p[0]
    strike = 1.05 * p[0]
    prem = float(black76_price(p[0], strike, 10 / 365, 0.7, "C"))

    def deribit_fee(spot: float, price: float) -> float:  # per unit of underlying
        return min(0.0003 * spot, 0.125 * price)

    cash0 = 1.0 - qty * prem - qty * deribit_fee(p[0], prem)
    for d in (0, 3, 9):
        mark = float(black76_price(p[d], strike, (10 - d) / 365, 0.7, "C"))
        assert res.equity.iloc[d] == pytest.approx(cash0 + qty * mark, rel=1e-10)
    # day 10: settle at intrinsic (delivery fee if in the money) and roll into a
    # new contract (paying its trading fee)
    payoff = max(p[10] - strike, 0.0)
    delivery = min(0.00015 * p[10], 0.125 * payoff) if payoff > 0 else 0.0
    cash10 = cash0 + qty * payoff - qty * delivery
    new_qty = 0.5 * cash10 / p[10]
    new_prem = float(black76_price(p[10], 1.05 * p[10], 10 / 365, 0.7, "C"))
    expected = cash10 - new_qty * deribit_fee(p[10], new_prem)
    assert res.equity.iloc[10] == pytest.approx(expected, rel=1e-10)
    assert res.costs["option_fees"].iloc[0] == pytest.approx(qty * 0.0003 * p[0], rel=1e-12)
    assert res.costs["fees"].sum() == 0.0  # no spot trade: option fees are apart
    assert res.summary()["costs_paid"] == pytest.approx(res.costs["option_fees"].sum(), rel=1e-12)


def test_collar_on_a_short_is_sized_by_the_position() -> None:
    p = _walk(15, 10, start=3_000.0)
    prices = _panel(ETH=p)
    legs = [
        OptionLeg("ETH", "call", moneyness=1.1, tenor_days=30, size=1.0),
        OptionLeg("ETH", "put", moneyness=0.9, tenor_days=30, size=-1.0),
    ]
    res = run_backtest(prices, _once(prices, ETH=-0.5), lag=0, options=legs)
    units = 0.5 / p[0]
    call = float(black76_price(p[0], 1.1 * p[0], 30 / 365, 0.6, "C"))
    put = float(black76_price(p[0], 0.9 * p[0], 30 / 365, 0.6, "P"))
    assert res.costs["option_premium"].iloc[0] == pytest.approx(units * (call - put), rel=1e-10)
    d = 7
    mark = units * (
        float(black76_price(p[d], 1.1 * p[0], (30 - d) / 365, 0.6, "C"))
        - float(black76_price(p[d], 0.9 * p[0], (30 - d) / 365, 0.6, "P"))
    )
    opt_fees = units * (min(0.0003 * p[0], 0.125 * call) + min(0.0003 * p[0], 0.125 * put))
    expected = 1.0 - units * (call - put) - opt_fees - units * (p[d] - p[0]) + mark
    assert res.equity.iloc[d] == pytest.approx(expected, rel=1e-10)
    # premiums apart, each positive; the fees are the only costs
    assert res.costs["premium_paid"].iloc[0] == pytest.approx(units * call, rel=1e-12)
    assert res.costs["premium_received"].iloc[0] == pytest.approx(units * put, rel=1e-12)
    s = res.summary()
    assert s["costs_paid"] == pytest.approx(opt_fees, rel=1e-12)
    assert s["premium_paid"] == pytest.approx(units * call, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "match"),
    [(np.nan, "BTC on 2024-01-03.*finite"), (1.5, "BTC on 2024-01-03.*\\[-1, 1\\]")],
)
def test_invalid_weights_name_the_date_and_asset(value: float, match: str) -> None:
    prices = _panel(BTC=_walk(10, 1), ETH=_walk(10, 2))
    w = _once(prices, row=2, ETH=0.5)
    w.iloc[2, 0] = value
    with pytest.raises(StrategyError, match=match):
        run_backtest(prices, w)


def test_gross_above_leverage_is_rejected() -> None:
    prices = _panel(BTC=_walk(10, 1), ETH=_walk(10, 2))
    w = _once(prices, row=1, BTC=0.8, ETH=-0.6)
    with pytest.raises(
        StrategyError, match=r"gross exposure 1\.4 on 2024-01-02 exceeds leverage 1"
    ):
        run_backtest(prices, w)
    assert run_backtest(prices, w, leverage=1.5).equity.notna().all()


def test_weights_must_align_with_prices() -> None:
    prices = _panel(BTC=_walk(10, 1))
    bad_col = pd.DataFrame({"DOGE": [1.0]}, index=DATES[:1])
    with pytest.raises(StrategyError, match="DOGE"):
        run_backtest(prices, bad_col)
    bad_date = pd.DataFrame({"BTC": [1.0]}, index=[pd.Timestamp("2030-01-01")])
    with pytest.raises(StrategyError, match="outside"):
        run_backtest(prices, bad_date)
    with pytest.raises(ValidationError, match="positive"):
        run_backtest(prices * 0.0, _once(prices, BTC=1.0))


def test_missing_weight_columns_mean_zero() -> None:
    prices = _panel(BTC=_walk(10, 1), ETH=_walk(10, 2))
    partial = pd.DataFrame({"BTC": [1.0]}, index=DATES[:1])
    full = _once(prices, BTC=1.0)
    a = run_backtest(prices, partial, fees_bps=10)
    b = run_backtest(prices, full, fees_bps=10)
    np.testing.assert_array_equal(a.equity.to_numpy(), b.equity.to_numpy())


def test_untradable_weights_are_zeroed_and_reported_or_raise() -> None:
    prices = _panel(BTC=_walk(10, 1), ETH=_walk(10, 2))
    w = _once(prices, row=0, BTC=0.5, ETH=0.5)
    w.iloc[5] = [0.5, 0.5]
    tradable = pd.DataFrame(True, index=prices.index, columns=prices.columns)
    tradable.iloc[5, 1] = False  # ETH leaves the universe on day 5
    res = run_backtest(prices, w, tradable=tradable)
    assert list(res.rejected["asset"]) == ["ETH"] and res.rejected["date"].iloc[0] == DATES[5]
    assert res.units["ETH"].iloc[6:].eq(0).all() and res.units["ETH"].iloc[1:6].gt(0).all()
    with pytest.raises(StrategyError, match=r"ETH on 2024-01-06.*universe"):
        run_backtest(prices, w, tradable=tradable, on_untradable="raise")


def test_result_views_are_consistent() -> None:
    prices = _panel(BTC=_walk(50, 1), ETH=_walk(50, 2), SOL=_walk(50, 3))
    w = pd.DataFrame(np.nan, index=prices.index, columns=prices.columns)
    w.iloc[::5] = [0.5, -0.3, 0.2]
    res = run_backtest(prices, w, fees_bps=10)
    assert isinstance(res, BacktestResult)
    np.testing.assert_allclose(
        res.weights.abs().sum(axis=1).to_numpy(), res.exposures["gross"].to_numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(
        res.weights.sum(axis=1).to_numpy(), res.exposures["net"].to_numpy(), rtol=1e-12, atol=1e-15
    )
    assert res.costs["fees"].sum() == pytest.approx(res.trades["fees"].sum(), rel=1e-12)
    traded = res.trades.groupby("date")["value"].apply(lambda v: v.abs().sum())
    np.testing.assert_allclose(
        (2.0 * res.turnover * res.equity)[traded.index].to_numpy(),  # one-way turnover
        traded.to_numpy(),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        res.units.diff().fillna(res.units).sum().to_numpy(),
        res.trades.groupby("asset")["units"].sum().reindex(prices.columns).to_numpy(),
        atol=1e-12,
    )
    summary = res.summary()
    for key in (
        "cagr",
        "sharpe",
        "sortino",
        "calmar",
        "max_drawdown",
        "max_drawdown_duration",
        "beta_btc",
        "hit_rate",
        "turnover",
        "costs_paid",
        "avg_gross_exposure",
    ):
        assert key in summary.index
    assert summary["costs_paid"] == pytest.approx(res.costs["fees"].sum())


def test_plots_return_figures() -> None:
    from matplotlib.figure import Figure

    prices = _panel(BTC=_walk(30, 1))
    res = run_backtest(prices, _once(prices, BTC=1.0), label="simulated demo market")
    fig = res.plot_equity()
    assert isinstance(fig, Figure) and "simulated demo market" in fig.axes[0].get_title()
    dd = res.plot_drawdown(backend="plotly")
    assert dd.data[0].y.min() == pytest.approx(res.drawdown().min())
    assert (res.drawdown() <= 0).all()
