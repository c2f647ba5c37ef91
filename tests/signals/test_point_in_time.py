"""Point-in-time macro inputs: no signal sees a FRED value before its release."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import asof_daily
from altseason.exceptions import DataUnavailableError, ValidationError
from altseason.signals import PUBLICATION_LAGS, asof_released, liquidity_signal, release_dates
from altseason.strategies import MarketData, Rotation


def test_release_rules_match_the_published_calendar() -> None:
    # H.6: November 2025 M2 on the fourth Tuesday of December (23rd);
    # October 2025 on 25 November; January 2021 on 23 February 2021.
    got = release_dates("M2SL", pd.to_datetime(["2025-11-01", "2025-10-01", "2021-01-01"]))
    assert list(got) == list(pd.to_datetime(["2025-12-23", "2025-11-25", "2021-02-23"]))
    # H.4.1: the Wednesday level is published on Thursday.
    assert release_dates("WALCL", pd.to_datetime(["2025-11-05"]))[0] == pd.Timestamp("2025-11-06")
    assert release_dates("RRPONTSYD", pd.to_datetime(["2025-11-05"]))[0] == pd.Timestamp(
        "2025-11-06"
    )
    assert release_dates("CPIAUCSL", pd.to_datetime(["2025-11-01"]))[0] == pd.Timestamp(
        "2025-12-15"
    )
    # Every release is on or after the observation date.
    days = pd.date_range("2019-01-01", "2026-12-31", freq="D")
    for sid in PUBLICATION_LAGS:
        assert (release_dates(sid, days) >= days).all(), sid
    with pytest.raises(ValidationError, match="no publication lag known"):
        release_dates("NOPE", days)


def test_asof_daily_defaults_to_the_release_rule_for_fred_ids() -> None:
    m2 = pd.Series(
        [21_000.0, 21_100.0], index=pd.to_datetime(["2025-10-01", "2025-11-01"]), name="M2SL"
    )
    days = pd.date_range("2025-11-01", "2025-12-31", freq="D")
    out = asof_daily(m2, days)
    assert np.isnan(out.loc["2025-11-24"])  # October not yet published
    assert out.loc["2025-11-25"] == 21_000.0
    assert out.loc["2025-12-22"] == 21_000.0  # November value not yet published
    assert out.loc["2025-12-23"] == 21_100.0
    pd.testing.assert_series_equal(out, asof_released(m2, "M2SL", days))
    # An explicit lag still wins; an unnamed series keeps lag 0.
    assert asof_daily(m2, days, lag_days=0).loc["2025-11-02"] == 21_100.0


def _macro(n_days: int, seed: int) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    weds = pd.date_range(start, periods=n_days // 7 + 2, freq="W-WED")
    daily = pd.date_range(start, periods=n_days, freq="D")
    months = pd.date_range(start, periods=n_days // 28 + 2, freq="MS")
    return {
        "WALCL": pd.Series(7e6 + rng.normal(0, 5e4, len(weds)).cumsum(), index=weds),
        "WTREGEN": pd.Series(7e5 + rng.normal(0, 3e4, len(weds)).cumsum(), index=weds),
        "RRPONTSYD": pd.Series(500 + rng.normal(0, 10, len(daily)).cumsum(), index=daily),
        "M2SL": pd.Series(21e3 + rng.normal(0, 50, len(months)).cumsum(), index=months),
    }


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(120, 380), bump=st.floats(0.5, 2.0))
def test_no_signal_uses_a_value_before_its_release(seed: int, cut: int, bump: float) -> None:
    """Change every observation released after day ``cut``: nothing on or before
    ``cut`` (liquidity, its signal, the rotation's weights) may move."""
    n = 420
    idx = pd.date_range("2023-01-01", periods=n, freq="D")
    rng = np.random.default_rng(seed)
    close = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.03, size=(n, 4)), axis=0)),
        index=idx,
        columns=["BTC", "ETH", "A", "B"],
    )
    tiers = pd.DataFrame("small", index=idx, columns=close.columns)
    tiers[["BTC", "ETH"]] = "majors"
    macro = _macro(n, seed)
    day = idx[cut]
    changed = {}
    for sid, s in macro.items():
        late = release_dates(sid, s.index) > day
        changed[sid] = s.where(~late, s * (1 + bump))
    a = MarketData(close=close, tiers=tiers, macro=macro)
    b = MarketData(close=close, tiers=tiers, macro=changed)
    assert a.liquidity is not None and b.liquidity is not None
    pd.testing.assert_series_equal(a.liquidity.loc[:day], b.liquidity.loc[:day])
    pd.testing.assert_series_equal(
        liquidity_signal(a.liquidity).loc[:day], liquidity_signal(b.liquidity).loc[:day]
    )
    for sid in macro:
        pd.testing.assert_series_equal(a.macro_asof(sid).loc[:day], b.macro_asof(sid).loc[:day])
    wa = Rotation().weights(a).loc[:day]
    wb = Rotation().weights(b).loc[:day]
    pd.testing.assert_frame_equal(wa, wb)
    # The check can fail: the first release after ``cut`` does move the series.
    nxt = release_dates("RRPONTSYD", macro["RRPONTSYD"].index)
    first_after = nxt[nxt > day].min()
    if first_after <= idx[-1]:
        assert (
            a.macro_asof("RRPONTSYD").loc[first_after] != b.macro_asof("RRPONTSYD").loc[first_after]
        )


def test_net_liquidity_counts_walcl_from_thursday() -> None:
    idx = pd.date_range("2025-01-01", "2025-01-20", freq="D")
    close = pd.DataFrame({"BTC": np.linspace(90e3, 95e3, len(idx))}, index=idx)
    macro = {
        "WALCL": pd.Series([7e6, 6.9e6], index=pd.to_datetime(["2025-01-01", "2025-01-08"])),
        "RRPONTSYD": pd.Series(200.0, index=pd.date_range("2024-12-30", periods=20)),
        "WTREGEN": pd.Series([8e5], index=pd.to_datetime(["2024-12-25"])),
    }
    d = MarketData(close=close, macro=macro)
    assert d.liquidity is not None
    assert d.liquidity.loc["2025-01-08"] == pytest.approx(7000 - 200 - 800)  # Wednesday
    assert d.liquidity.loc["2025-01-09"] == pytest.approx(6900 - 200 - 800)  # Thursday
    with pytest.raises(DataUnavailableError, match="CPIAUCSL"):
        d.macro_asof("CPIAUCSL")
