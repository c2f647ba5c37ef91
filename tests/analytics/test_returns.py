"""Returns and drawdowns against direct pandas computations, on Series and panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import (
    calendar_year_returns,
    days_since_peak,
    drawdown,
    log_returns,
    max_drawdown,
    simple_returns,
    trailing_returns,
    window_return,
    ytd_return,
)
from altseason.exceptions import ValidationError


def _prices() -> pd.DataFrame:
    idx = pd.date_range("2020-12-31", "2023-06-30", freq="D")
    rng = np.random.default_rng(0)
    px = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.04, (len(idx), 3)), axis=0)) * 50,
        index=idx,
        columns=["BTC", "ETH", "NEW"],
    )
    px.loc[:"2021-07-15", "NEW"] = np.nan  # listed mid-2021
    px.loc["2022-03-03", "ETH"] = np.nan  # a gap
    return px


def test_simple_and_log_returns() -> None:
    px = _prices()
    r = simple_returns(px)
    assert r.loc["2021-01-05", "BTC"] == pytest.approx(
        px.loc["2021-01-05", "BTC"] / px.loc["2021-01-04", "BTC"] - 1
    )
    assert np.isnan(r.loc["2022-03-04", "ETH"])  # no fill across the gap
    lr = log_returns(px["BTC"])
    np.testing.assert_allclose(lr.dropna(), np.log1p(r["BTC"].dropna()))
    tr = trailing_returns(px, 30)
    assert tr.iloc[-1]["ETH"] == pytest.approx(px["ETH"].iloc[-1] / px["ETH"].iloc[-31] - 1)
    with pytest.raises(ValidationError):
        trailing_returns(px, 0)
    with pytest.raises(ValidationError, match="DatetimeIndex"):
        simple_returns(px.reset_index(drop=True))


def test_window_ytd_and_calendar_years() -> None:
    px = _prices()
    w = window_return(px, 90, "2023-03-01")
    start = pd.Timestamp("2023-03-01") - pd.Timedelta(days=90)  # 2022-12-01
    assert w["BTC"] == pytest.approx(px.loc["2023-03-01", "BTC"] / px.loc[start, "BTC"] - 1)
    y = ytd_return(px, "2023-03-01")
    assert y["ETH"] == pytest.approx(px.loc["2023-03-01", "ETH"] / px.loc["2022-12-31", "ETH"] - 1)
    cal = calendar_year_returns(px)
    assert list(cal.index) == [2021, 2022]
    assert cal.loc[2022, "BTC"] == pytest.approx(
        px.loc["2022-12-31", "BTC"] / px.loc["2021-12-31", "BTC"] - 1
    )
    assert np.isnan(cal.loc[2021, "NEW"])  # no close on 2020-12-31
    with pytest.raises(ValidationError, match="before the first date"):
        window_return(px, 7, "2019-01-01")


def test_drawdown_and_days_since_peak() -> None:
    px = _prices()
    dd = drawdown(px)
    ref = px["BTC"] / px["BTC"].cummax() - 1
    pd.testing.assert_series_equal(dd["BTC"], ref)
    assert (dd.fillna(0) <= 0).all().all()
    assert max_drawdown(px)["BTC"] == pytest.approx(ref.min())
    d = days_since_peak(px, "2022-06-30")
    hist = px.loc[:"2022-06-30", "BTC"]
    assert d["BTC"] == (pd.Timestamp("2022-06-30") - hist.idxmax()).days


@given(st.lists(st.floats(0.01, 1e6), min_size=2, max_size=60))
@settings(max_examples=50, deadline=None)
def test_drawdown_invariants(values: list[float]) -> None:
    s = pd.Series(values, index=pd.date_range("2024-01-01", periods=len(values)))
    dd = drawdown(s)
    assert (dd <= 1e-12).all() and (dd > -1).all()
    assert dd.iloc[int(np.argmax(values))] == 0
    peak = s.cummax()
    assert (abs(peak * (1 + dd) - s) <= 1e-12 * peak).all()
