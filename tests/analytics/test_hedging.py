"""Naked vs call-hedged vs collar shorts: funding and option cash shown apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import HEDGES, black76_price, hedged_short_comparison
from altseason.exceptions import DataUnavailableError, ValidationError
from altseason.strategies import MarketData

DAYS = 200
RATES = {"BTC": 0.0003, "ETH": 0.0001}  # funding per day: ~11 % and ~3.7 % a year


def flat_market() -> MarketData:
    idx = pd.date_range("2024-01-01", periods=DAYS, freq="D")
    close = pd.DataFrame({"BTC": 40_000.0, "ETH": 2_000.0}, index=idx)
    funding = pd.DataFrame(RATES, index=idx)
    return MarketData(close=close, funding=funding, implied_vol=pd.Series(0.5, index=idx))


def test_flat_market_funding_and_premiums_match_hand_figures():
    out = hedged_short_comparison(flat_market(), short_weight=0.5)
    assert list(out.index) == [(u, h) for u in ("BTC", "ETH") for h in HEDGES]
    assert out["funding_data"].all()
    money = ["funding_received", "funding_paid", "premium_paid", "premium_received", "costs_paid"]
    assert (out[money] >= 0.0).all().all()
    # One 30-day leg per roll from the first trade (day 1) to the end; at the ATM vol of
    # 0.5 and forward = spot this is the hand figure; the backtest prices each strike on
    # the forward (carry from funding) at its skewed vol, so it may differ by a few percent.
    rolls = int(np.ceil((DAYS - 1) / 30))
    call = float(black76_price(1.0, 1.15, 30 / 365, 0.5, "C"))  # per unit of spot
    put = float(black76_price(1.0, 0.85, 30 / 365, 0.5, "P"))
    for u, rate in RATES.items():
        naked = out.loc[(u, "none")]
        # Half of equity short for DAYS - 1 days, funding compounding into equity.
        assert naked["funding_received"] == pytest.approx(0.5 * rate * (DAYS - 1), rel=0.02)
        assert naked["funding_paid"] == 0.0
        assert naked["premium_paid"] == naked["premium_received"] == 0.0
        # Flat prices, no fees: the naked short earns exactly its funding.
        assert naked["total_return"] == pytest.approx(naked["funding_received"], rel=1e-9)
        hedged = out.loc[(u, "call")]
        collar = out.loc[(u, "collar")]
        # Flat prices: every leg expires worthless.
        assert hedged["option_payoff"] == collar["option_payoff"] == 0.0
        assert hedged["premium_received"] == 0.0
        assert hedged["premium_paid"] == pytest.approx(rolls * 0.5 * call, rel=0.35)
        # the same calls, sized on a slightly different equity path
        assert collar["premium_paid"] == pytest.approx(hedged["premium_paid"], rel=0.05)
        # the skew model prices the 85% put above the ATM vol: dearer than the hand figure
        assert rolls * 0.5 * put < collar["premium_received"] < 2.0 * rolls * 0.5 * put
        # The P&L adds up: funding + premiums + payoff - costs = total (flat spot).
        for row in (hedged, collar):
            parts = (
                row["funding_received"]
                - row["funding_paid"]
                - row["premium_paid"]
                + row["premium_received"]
                + row["option_payoff"]
                - row["costs_paid"]
            )
            assert parts == pytest.approx(row["total_return"], abs=2e-3)
        assert naked["total_return"] > collar["total_return"] > hedged["total_return"]
    assert out.attrs["params"]["call_moneyness"] == 1.15


def test_rally_calls_pay_off_and_bad_input():
    idx = pd.date_range("2024-01-01", periods=DAYS, freq="D")
    path = np.exp(np.linspace(0.0, np.log(2.5), DAYS))
    close = pd.DataFrame({"BTC": 40_000.0 * path, "ETH": 2_000.0 * path}, index=idx)
    data = MarketData(close=close, implied_vol=pd.Series(0.5, index=idx))
    out = hedged_short_comparison(data, underlyings=["btc"], call_moneyness=1.05)
    assert out.loc[("BTC", "call"), "total_return"] > out.loc[("BTC", "none"), "total_return"]
    call = out.loc[("BTC", "call")]
    assert call["option_payoff"] > call["premium_paid"]  # settlements exceed premiums
    assert not out["funding_data"].any()
    assert (out["funding_received"] == 0.0).all()
    with pytest.raises(DataUnavailableError, match="SOL"):
        hedged_short_comparison(data, underlyings=["SOL"])
    with pytest.raises(ValidationError, match="unknown hedge"):
        hedged_short_comparison(data, hedges=["straddle"])
