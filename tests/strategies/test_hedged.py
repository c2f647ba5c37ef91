"""Hedged short: strikes priced on the smile and the forward; honest cost split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import black76_price
from altseason.strategies import (
    HedgedShort,
    MarketData,
    option_surface,
    run_strategy,
    skew_model_iv,
    smile_at,
)


def _chain(days: pd.DatetimeIndex, spot: np.ndarray, carry: float) -> pd.DataFrame:
    rows = []
    for d, s in zip(days, spot, strict=True):
        snap = d + pd.Timedelta(hours=8)
        for tenor in (7, 30, 90):
            expiry = snap + pd.Timedelta(days=tenor)
            fwd = s * np.exp(carry * tenor / 365)
            for m in (0.8, 0.9, 1.0, 1.1, 1.2):
                iv = 0.5 + 0.4 * np.log(m) ** 2 - 0.2 * np.log(m)  # a known smile
                for kind in ("C", "P"):
                    rows.append(
                        {
                            "snapshot_ts": snap,
                            "expiry": expiry,
                            "strike": m * fwd,
                            "kind": kind,
                            "mark_iv": iv,
                            "underlying_price": fwd,
                        }
                    )
    return pd.DataFrame(rows)


def test_option_surface_recovers_the_smile_and_the_carry() -> None:
    days = pd.date_range("2025-01-01", periods=5, freq="D")
    spot = np.array([90e3, 91e3, 92e3, 93e3, 94e3])
    smile, carry = option_surface(_chain(days, spot, 0.1), pd.Series(spot, index=days))
    for m in (0.8, 0.9, 1.0, 1.2):
        want = 0.5 + 0.4 * np.log(m) ** 2 - 0.2 * np.log(m)
        np.testing.assert_allclose(smile[m].to_numpy(), want, rtol=1e-12)
    # between listed strikes: linear in log-moneyness; outside: NaN
    lo, hi = np.log(0.9), np.log(1.0)
    w = (np.log(0.95) - lo) / (hi - lo)
    iv = lambda m: 0.5 + 0.4 * np.log(m) ** 2 - 0.2 * np.log(m)  # noqa: E731
    np.testing.assert_allclose(smile[0.95], (1 - w) * iv(0.9) + w * iv(1.0), rtol=1e-12)
    assert smile[0.7].isna().all()
    np.testing.assert_allclose(carry.to_numpy(), 0.1, rtol=1e-9)
    np.testing.assert_allclose(smile_at(smile, 1.2).to_numpy(), iv(1.2), rtol=1e-12)


def test_skew_model_prices_puts_over_calls() -> None:
    assert skew_model_iv(0.6, 1.0) == pytest.approx(0.6)
    assert skew_model_iv(0.6, 0.85) > 0.6 > skew_model_iv(0.6, 1.15)
    x = np.log(0.85)
    assert skew_model_iv(0.6, 0.85) == pytest.approx(0.6 * (1 - 0.5 * x + 1.5 * x * x))


def test_legs_use_the_chain_smile_and_carry() -> None:
    days = pd.date_range("2025-01-01", periods=60, freq="D")
    spot = 90e3 * np.exp(np.cumsum(np.full(60, 0.001)))
    smile, carry = option_surface(_chain(days, spot, 0.1), pd.Series(spot, index=days))
    close = pd.DataFrame({"BTC": spot}, index=days)
    data = MarketData(close=close, implied_vol=pd.Series(0.5, index=days), option_smile=smile,
                      option_carry=carry)  # fmt: skip
    legs = HedgedShort(hedge="collar", call_moneyness=1.1, put_moneyness=0.9).option_legs(data)
    assert isinstance(legs[0].implied_vol, pd.Series)
    np.testing.assert_allclose(
        legs[0].implied_vol.to_numpy(), 0.5 + 0.4 * np.log(1.1) ** 2 - 0.2 * np.log(1.1)
    )
    assert isinstance(legs[1].implied_vol, pd.Series)
    assert (legs[1].implied_vol > legs[0].implied_vol).all()  # the put is dearer
    res = run_strategy(HedgedShort(hedge="call", call_moneyness=1.1), data, lag=0)
    # the first roll pays Black-76 on the forward at the smile's call vol
    first = res.costs["premium_paid"].to_numpy().nonzero()[0][0]
    units = 0.5 / spot[first]
    vol = 0.5 + 0.4 * np.log(1.1) ** 2 - 0.2 * np.log(1.1)
    fwd = spot[first] * np.exp(0.1 * 30 / 365)
    prem = float(black76_price(fwd, 1.1 * spot[first], 30 / 365, vol, "C"))
    assert res.costs["premium_paid"].iloc[first] == pytest.approx(units * prem, rel=1e-10)


@pytest.mark.parametrize("hedge", ["none", "call", "collar"])
def test_hedged_short_costs_on_the_demo(demo_data: MarketData, hedge: str) -> None:
    res = run_strategy(HedgedShort(hedge=hedge), demo_data, fees_bps=5.0, slippage_bps=2.0)
    s = res.summary()
    assert s["costs_paid"] > 0
    assert s["costs_paid"] == pytest.approx(s["fees"] + s["slippage"] + s["option_fees"])
    assert s["funding_received"] > 0  # shorts collect positive funding, not netted into costs
    if hedge == "none":
        assert s["premium_paid"] == 0 and s["option_fees"] == 0
    else:
        assert s["premium_paid"] > 0 and s["option_fees"] > 0
    if hedge == "collar":
        assert s["premium_received"] > 0
