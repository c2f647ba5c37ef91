"""Perp funding, futures basis and open-interest trends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    annualised_funding,
    daily_funding,
    futures_basis,
    open_interest_trend,
)
from altseason.exceptions import ValidationError


def test_annualised_funding():
    assert annualised_funding(0.0001, 8) == pytest.approx(0.0001 * 3 * 365)
    assert annualised_funding(0.0001, 1) == pytest.approx(0.0001 * 24 * 365)
    s = pd.Series([0.0001, -0.0002])
    pd.testing.assert_series_equal(annualised_funding(s, 8), s * 1095.0)
    with pytest.raises(ValidationError, match="interval_hours"):
        annualised_funding(0.0001, 0)


def funding_frame() -> pd.DataFrame:
    ts = pd.to_datetime(
        ["2025-01-01 00:00", "2025-01-01 08:00", "2025-01-01 16:00", "2025-01-03 00:00"]
    )
    a = pd.DataFrame(
        {
            "ts": ts,
            "venue": "binance",
            "instrument": "BTCUSDT",
            "asset_id": "BTC",
            "rate": [0.0001, 0.0002, 0.0003, -0.0001],
            "interval_hours": 8.0,
            "open_interest_usd": [3e9, 3e9, 3e9, 3e9],
        }
    )
    b = pd.DataFrame(
        {
            "ts": pd.to_datetime(["2025-01-01 00:00", "2025-01-01 12:00"]),
            "venue": "bybit",
            "instrument": "BTCUSDT",
            "asset_id": "BTC",
            "rate": [0.0004, 0.0004],
            "interval_hours": 12.0,
            "open_interest_usd": [1e9, 1e9],
        }
    )
    return pd.concat([a, b], ignore_index=True)


def test_daily_funding_across_venues():
    f = funding_frame()
    eq = daily_funding(f)
    # Binance pays 0.0006 over the day, Bybit 0.0008: equal-weighted 0.0007.
    assert eq.loc["2025-01-01", "BTC"] == pytest.approx(0.0007)
    assert np.isnan(eq.loc["2025-01-02", "BTC"])  # full daily index, no data that day
    # One 8-hour funding recorded that day: the day's rate at that pace, x 3.
    assert eq.loc["2025-01-03", "BTC"] == pytest.approx(-0.0003)
    oi = daily_funding(f, weighting="open_interest")
    assert oi.loc["2025-01-01", "BTC"] == pytest.approx((0.0006 * 3 + 0.0008 * 1) / 4)
    with pytest.raises(ValidationError, match="lacks column"):
        daily_funding(f.drop(columns=["rate"]))


def test_daily_funding_from_one_8h_rate_a_day():
    # Coinalyze-style: one closing 8-hour rate per day stands for three fundings.
    idx = pd.date_range("2025-07-28", periods=3, freq="D")
    f = pd.DataFrame(
        {"ts": idx, "venue": "coinalyze", "asset_id": "ETH", "rate": 0.0001, "interval_hours": 8.0}
    )
    assert daily_funding(f)["ETH"].tolist() == pytest.approx([0.0003] * 3)
    # Without interval_hours a row is a day's total.
    assert daily_funding(f.drop(columns=["interval_hours"]))["ETH"].tolist() == pytest.approx(
        [0.0001] * 3
    )


def test_futures_basis():
    out = futures_basis(100_000.0, 102_000.0, 0.25)
    assert out["basis"] == pytest.approx(2_000.0)
    assert out["premium"] == pytest.approx(0.02)
    assert out["annualised"] == pytest.approx(0.08)
    assert out["annualised_log"] == pytest.approx(np.log(1.02) / 0.25)
    vec = futures_basis([100.0, 100.0], [101.0, 99.0], [0.0, 0.5])
    assert np.isnan(vec["annualised"][0]) and vec["annualised"][1] == pytest.approx(-0.02)


def test_open_interest_trend():
    idx = pd.date_range("2025-01-01", periods=40, freq="D")
    oi = pd.Series(np.linspace(100.0, 139.0, 40), index=idx)
    tr = open_interest_trend(oi, window=10)
    assert tr["change"].iloc[-1] == pytest.approx(139.0 / 129.0 - 1)
    assert tr["ratio_to_mean"].iloc[-1] == pytest.approx(139.0 / np.mean(np.arange(130.0, 140.0)))
    assert tr["zscore"].iloc[:9].isna().all()
    ref = (139.0 - np.mean(np.arange(130.0, 140.0))) / np.std(np.arange(130.0, 140.0), ddof=1)
    assert tr["zscore"].iloc[-1] == pytest.approx(ref)
    panel = pd.DataFrame({"BTC": oi, "ETH": oi * 2})
    summary = open_interest_trend(panel, window=10)
    assert summary.loc["ETH", "change"] == pytest.approx(tr["change"].iloc[-1])


@pytest.mark.real_data
def test_real_binance_funding_annualised(real_data):
    raw = pd.read_csv(
        real_data / "derivatives/btctree__btc-power/data/funding.csv", parse_dates=["date"]
    )
    # One value per day (aggregated daily rate): 3 fundings of 8 h -> ann = daily x 365.
    frame = pd.DataFrame(
        {"ts": raw["date"], "venue": "binance", "asset_id": "BTC", "rate": raw["funding_rate"]}
    )
    daily = daily_funding(frame)["BTC"].dropna()
    assert len(daily) == raw["funding_rate"].notna().sum()
    ann = daily * 365
    # BTC perp funding averages a few to ~20 percent a year.
    assert -0.05 < ann.mean() < 0.4
