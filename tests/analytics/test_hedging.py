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
    # One 30-day leg per roll from the first trade (day 1) to the end.
    rolls = int(np.ceil((DAYS - 1) / 30))
    call = float(black76_price(1.0, 1.15, 30 / 365, 0.5, "C"))  # per unit of spot
    put = float(black76_price(1.0, 0.85, 30 / 365, 0.5, "P"))
    for u, rate in RATES.items():
        naked = out.loc[(u, "none")]
        # Half of equity short for DAYS - 1 days, funding compounding into equity.
        assert naked["funding_received"] == pytest.approx(0.5 * rate * (DAYS - 1), rel=0.02)
        assert naked["option_premium_net"] == 0.0
        # Flat prices, no fees: the naked short earns exactly its funding.
        assert naked["total_return"] == pytest.approx(naked["funding_received"], rel=1e-9)
        # Flat prices: the legs expire worthless, the premium is all cost.
        hedged = out.loc[(u, "call")]
        assert hedged["option_premium_net"] == pytest.approx(rolls * 0.5 * call, rel=0.03)
        collar = out.loc[(u, "collar")]
        assert collar["option_premium_net"] == pytest.approx(rolls * 0.5 * (call - put), rel=0.03)
        assert naked["total_return"] > collar["total_return"] > hedged["total_return"]
        assert (out.loc[u, "fees_slippage"] == 0.0).all()
    assert out.attrs["params"]["call_moneyness"] == 1.15


def test_rally_calls_pay_off_and_bad_input():
    idx = pd.date_range("2024-01-01", periods=DAYS, freq="D")
    path = np.exp(np.linspace(0.0, np.log(2.5), DAYS))
    close = pd.DataFrame({"BTC": 40_000.0 * path, "ETH": 2_000.0 * path}, index=idx)
    data = MarketData(close=close, implied_vol=pd.Series(0.5, index=idx))
    out = hedged_short_comparison(data, underlyings=["btc"], call_moneyness=1.05)
    assert out.loc[("BTC", "call"), "total_return"] > out.loc[("BTC", "none"), "total_return"]
    assert out.loc[("BTC", "call"), "option_premium_net"] < 0  # settlements exceed premiums
    assert not out["funding_data"].any()
    assert (out["funding_received"] == 0.0).all()
    with pytest.raises(DataUnavailableError, match="SOL"):
        hedged_short_comparison(data, underlyings=["SOL"])
    with pytest.raises(ValidationError, match="unknown hedge"):
        hedged_short_comparison(data, hedges=["straddle"])
