"""Point-in-time membership and monthly cap tiers, including CoinMarketCap snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.exceptions import ConfigError, ValidationError
from altseason.universe import (
    TierThresholds,
    cap_tiers,
    eligible,
    is_excluded,
    known_market_cap,
    rebalance_positions,
    tier_members,
)

CMC = Path(
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/coinmarketcap_monthly_all_snapshots.csv"
)


def test_rebalance_positions() -> None:
    idx = pd.date_range("2024-01-15", "2024-04-10", freq="D")
    pos = rebalance_positions(idx, "MS")
    assert [str(idx[p].date()) for p in pos] == [
        "2024-01-15",
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
    ]
    pos2 = rebalance_positions(idx, ["2024-02-10", "2030-01-01"])
    assert [str(idx[p].date()) for p in pos2] == ["2024-01-15", "2024-02-10"]
    with pytest.raises(ValidationError):
        rebalance_positions(idx, "NOPE")


def test_eligibility_and_known_caps() -> None:
    idx = pd.date_range("2024-01-01", periods=5)
    close = pd.DataFrame(
        {
            "BTC": [1, 1, 1, 1, 1],
            "NEW": [np.nan, np.nan, 1, 1, 1],
            "USDT": [1] * 5,
            "WBTC": [1] * 5,
        },
        index=idx,
        dtype=float,
    )
    el = eligible(close)
    assert el["BTC"].all() and not el["USDT"].any() and not el["WBTC"].any()
    assert el["NEW"].tolist() == [False, False, True, True, True]
    caps = pd.DataFrame({"A": [5.0, np.nan, np.nan, np.nan, np.nan]}, index=idx)
    assert known_market_cap(caps, 2)["A"].tolist()[:4] == [5.0, 5.0, 5.0, None] or np.isnan(
        known_market_cap(caps, 2)["A"].iloc[3]
    )


def test_tiers_ranked_from_known_caps_only() -> None:
    idx = pd.date_range("2024-01-01", "2024-02-15", freq="D")
    cols = ["BTC", "ETH", "USDT", "STETH", *[f"T{i}" for i in range(12)]]
    caps = pd.DataFrame(np.nan, index=idx, columns=cols)
    caps.loc["2024-01-01"] = np.linspace(1e12, 1e8, len(cols))
    caps.loc["2024-02-01"] = np.linspace(1e8, 1e12, len(cols))  # order flips in February
    th = TierThresholds(large_max=5, mid_max=8, small_max=10)
    tiers = cap_tiers(caps, thresholds=th)
    jan = tiers.loc["2024-01-20"]
    assert jan["BTC"] == "majors" and jan["ETH"] == "majors"
    assert jan["USDT"] is None and jan["STETH"] is None
    assert jan["T0"] == "large" and jan["T2"] == "large" and jan["T3"] == "mid"
    assert jan["T11"] == "micro"
    feb = tiers.loc["2024-02-10"]
    assert feb["T11"] == "large" and feb["T0"] == "micro" and feb["BTC"] == "majors"
    assert tier_members(tiers, "large").loc["2024-01-20"].sum() == 3
    with pytest.raises(ConfigError):
        TierThresholds(large_max=2)


@pytest.mark.real_data
def test_real_cmc_snapshots_tiers_match_direct_ranks(real_data: Path) -> None:
    raw = pd.read_csv(real_data / CMC)
    raw["date"] = pd.to_datetime(raw["snapshot_date"].astype(str), format="%Y%m%d")
    raw["Symbol"] = raw["Symbol"].astype(str).str.upper()
    raw = raw.sort_values("Market Cap", ascending=False).drop_duplicates(["date", "Symbol"])
    caps = raw.pivot(index="date", columns="Symbol", values="Market Cap")
    caps = caps.reindex(pd.date_range(caps.index.min(), caps.index.max(), freq="D"))
    # snapshots fall on the 1st, the reconstitution day: use that day's caps only
    tiers = cap_tiers(
        caps, thresholds=TierThresholds(large_max=20, mid_max=100, small_max=150), max_stale_days=0
    )
    for day in ("2021-05-01", "2023-01-01", "2025-09-01"):
        snap = raw[raw["date"] == day]
        snap = snap[[not is_excluded(s) for s in snap["Symbol"]]]
        snap = snap[snap["Market Cap"] > 0].sort_values("Market Cap", ascending=False)
        rank = pd.Series(np.arange(1, len(snap) + 1), index=snap["Symbol"].to_numpy())
        got = tiers.loc[day].dropna()
        assert set(got.index) == set(rank.index)
        for sym, r in rank.items():
            want = (
                "majors"
                if sym in ("BTC", "ETH")
                else "large"
                if r <= 20
                else "mid"
                if r <= 100
                else "small"
                if r <= 150
                else "micro"
            )
            assert got[sym] == want, (day, sym)
        # the label holds through the month
        mid_month = pd.Timestamp(day) + pd.Timedelta(days=14)
        pd.testing.assert_series_equal(tiers.loc[mid_month].dropna(), got, check_names=False)
