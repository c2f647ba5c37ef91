"""Macro liquidity: units, as-of alignment, YoY growth, correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    asof_daily,
    lagged_correlation,
    liquidity_btc_correlation,
    m2_yoy,
    market_cap_to_m2,
    net_liquidity,
    rate_changes,
)
from altseason.exceptions import ValidationError

FRED = "macro/sivamsapingali__Codex_Macro-Monitor/data"


def fred(real_data, sid: str) -> pd.Series:
    raw = pd.read_csv(real_data / FRED / f"{sid}.csv", parse_dates=["date"])
    return raw.set_index("date")["value"].rename(sid)


def test_net_liquidity_units_and_as_of():
    walcl = pd.Series(
        [7_000_000.0, 6_900_000.0], index=pd.to_datetime(["2025-01-01", "2025-01-08"])
    )
    rrp = pd.Series(
        [200.0, 150.0, np.nan], index=pd.to_datetime(["2025-01-02", "2025-01-06", "2025-01-07"])
    )
    tga = pd.Series([800_000.0], index=pd.to_datetime(["2025-01-01"]))
    out = net_liquidity(walcl, rrp, tga)
    assert out.index[0] == pd.Timestamp("2025-01-02")  # all three known
    assert out.loc["2025-01-02", "net_liquidity"] == pytest.approx(7_000.0 - 200.0 - 800.0)
    # The Wednesday 8 Jan WALCL is not visible on 7 Jan; the NaN RRP is a gap.
    assert out.loc["2025-01-07", "walcl"] == pytest.approx(7_000.0)
    assert out.loc["2025-01-07", "rrp"] == pytest.approx(150.0)
    assert out.loc["2025-01-08", "net_liquidity"] == pytest.approx(6_900.0 - 150.0 - 800.0)
    lagged = net_liquidity(walcl, rrp, tga, lag_days=1)
    assert lagged.loc["2025-01-08", "walcl"] == pytest.approx(7_000.0)
    with pytest.raises(ValidationError, match="no look-ahead"):
        asof_daily(walcl, lag_days=-1)


def test_m2_yoy_and_market_cap_ratio():
    idx = pd.date_range("2023-01-01", periods=25, freq="MS")
    m2 = pd.Series(np.linspace(20_000.0, 22_400.0, 25), index=idx)
    yoy = m2_yoy(m2)
    assert yoy.iloc[:12].isna().all()
    assert yoy.loc["2024-01-01"] == pytest.approx(m2.loc["2024-01-01"] / m2.loc["2023-01-01"] - 1)
    caps = pd.Series([2e12, 2e12], index=pd.to_datetime(["2022-12-31", "2024-01-15"]))
    ratio = market_cap_to_m2(caps, m2)
    assert np.isnan(ratio.iloc[0])
    assert ratio.iloc[1] == pytest.approx(2e12 / (m2.loc["2024-01-01"] * 1e9))


def test_rate_changes_in_basis_points():
    y = pd.Series([4.0, np.nan, 4.1, 4.3], index=pd.date_range("2025-01-01", periods=4, freq="D"))
    out = rate_changes(y, windows=(1, 2))
    assert out.loc["2025-01-02", "level"] == 4.0  # FRED blank -> last value
    assert out.loc["2025-01-04", "change_1d_bp"] == pytest.approx(20.0)
    assert out.loc["2025-01-04", "change_2d_bp"] == pytest.approx(30.0)


def test_lagged_correlation_finds_the_lead():
    rng = np.random.default_rng(1)
    x = pd.Series(rng.normal(size=300))
    y = x.shift(2).fillna(0.0) + 0.1 * pd.Series(rng.normal(size=300))
    out = lagged_correlation(x, y, lags=range(-3, 4))
    assert out["correlation"].idxmax() == 2
    assert out.loc[2, "correlation"] > 0.9
    assert out.loc[0, "n_obs"] == 300


@pytest.mark.real_data
def test_real_fred_net_liquidity(real_data):
    walcl, rrp = fred(real_data, "WALCL"), fred(real_data, "RRPONTSYD")
    # WTREGEN was not staged: a constant 800 bn TGA stands in (FRED millions).
    tga = pd.Series(800_000.0, index=walcl.index)
    out = net_liquidity(walcl, rrp, tga)
    # Independent: WALCL (millions) / 1000 - RRP (billions) - TGA (millions) / 1000.
    day = pd.Timestamp("2024-06-05")  # a Wednesday
    w = walcl.loc[:day].dropna().iloc[-1] / 1000
    r = rrp.loc[:day].dropna().iloc[-1]
    assert out.loc[day, "net_liquidity"] == pytest.approx(w - r - 800.0)
    assert 5_000 < w < 9_000  # Fed balance sheet in USD billions
    m2 = fred(real_data, "M2SL")
    yoy = m2_yoy(m2)
    assert yoy.loc["2021-02-01"] > 0.2  # the 2020-21 M2 surge
    assert yoy.loc["2023-04-01"] < 0  # and its contraction
    btc = pd.read_csv(
        real_data / "macro/btctree__btc-power/data/global/BTC_USD.csv", parse_dates=["date"]
    )
    close = btc.set_index("date")["close"]
    corr = liquidity_btc_correlation(out["net_liquidity"], close, period_days=7, lags=range(-2, 3))
    assert list(corr["lag_days"]) == [-14, -7, 0, 7, 14]
    assert corr["correlation"].abs().max() < 1
    assert (corr["n_obs"] > 300).all()
