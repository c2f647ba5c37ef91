"""Event study: market model, CARs, t-statistics, placebo dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import event_study
from altseason.exceptions import ValidationError


def market(n: int = 600, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-01", periods=n, freq="D")
    return pd.Series(rng.normal(0.0, 0.03, n), index=idx)


@given(seed=st.integers(0, 10_000), n_events=st.integers(1, 4))
@settings(max_examples=15, deadline=None)
def test_series_equal_to_market_has_zero_car(seed, n_events):
    m = market(seed=seed)
    rng = np.random.default_rng(seed)
    dates = rng.choice(m.index[150:-30], size=n_events, replace=False)
    res = event_study(m.copy(), m, list(dates), n_placebo=20, n_resamples=100, seed=seed)
    assert np.allclose(res.events[["car_m5_5", "car_0_20"]].to_numpy(), 0.0, atol=1e-15)
    assert np.allclose(res.events["beta"], 1.0) and np.allclose(res.events["alpha"], 0.0)
    assert np.allclose(res.summary["caar"], 0.0, atol=1e-15)
    assert np.allclose(res.placebo[["car_m5_5", "car_0_20"]].to_numpy(), 0.0, atol=1e-15)


def test_car_and_t_statistic_match_a_direct_computation():
    m = market()
    rng = np.random.default_rng(7)
    r = 0.001 + 1.5 * m + pd.Series(rng.normal(0, 0.01, len(m)), index=m.index)
    event_day = m.index[300]
    r.iloc[300:305] += 0.02  # +10 % abnormal over days 0..4
    res = event_study(r, m, pd.DataFrame({"date": [event_day], "title": ["ETF approval"]}))
    row = res.events.iloc[0]
    # Direct OLS over relative days [-120, -11].
    est = slice(300 - 120, 300 - 10)
    X = np.column_stack([np.ones(110), m.iloc[est].to_numpy()])
    coef, *_ = np.linalg.lstsq(X, r.iloc[est].to_numpy(), rcond=None)
    resid = r.iloc[est].to_numpy() - X @ coef
    sigma2 = resid @ resid / (110 - 2)
    assert row["alpha"] == pytest.approx(coef[0], abs=1e-12)
    assert row["beta"] == pytest.approx(coef[1], rel=1e-10)
    ar = r - coef[0] - coef[1] * m
    car = ar.iloc[295:306].sum()
    assert row["car_m5_5"] == pytest.approx(car, rel=1e-10)
    # CLM variance with the estimation error: gamma' V gamma, V = s2 (I + X* (X'X)^-1 X*').
    xw = np.column_stack([np.ones(11), m.iloc[295:306].to_numpy()])
    v = sigma2 * (np.eye(11) + xw @ np.linalg.inv(X.T @ X) @ xw.T)
    var_car = np.ones(11) @ v @ np.ones(11)
    assert var_car > 11 * sigma2  # the estimation error adds to the variance
    assert row["se_m5_5"] == pytest.approx(np.sqrt(var_car), rel=1e-10)
    assert row["t_m5_5"] == pytest.approx(car / np.sqrt(var_car), rel=1e-10)
    assert row["car_0_20"] == pytest.approx(ar.iloc[300:321].sum(), rel=1e-10)
    assert row["car_0_20"] > 0.08
    assert row["title"] == "ETF approval"
    s = res.summary.loc["[0, 20]"]
    assert s["n_events"] == 1
    assert s["placebo_p"] < 0.05  # a 10 % jump stands out from random days
    assert s["n_placebo"] == 200
    assert res.abnormal_returns.index.min() == -5 and res.abnormal_returns.index.max() == 20
    assert res.caar_path().iloc[-1] == pytest.approx(ar.iloc[295:321].sum(), rel=1e-10)


def test_placebo_is_seeded_and_avoids_events():
    m = market()
    r = m * 1.2 + 0.001
    events = [m.index[200], m.index[400]]
    a = event_study(r, m, events, n_placebo=50, seed=3)
    b = event_study(r, m, events, n_placebo=50, seed=3)
    pd.testing.assert_frame_equal(a.placebo, b.placebo)
    pos = m.index.get_indexer(a.placebo["day0"])
    for e in (200, 400):
        assert (np.abs(pos - e) > 25).all()


def test_events_without_history_are_excluded_with_a_reason():
    m = market(300)
    r = m * 0.8
    out = event_study(r, m, [m.index[10], m.index[200], pd.Timestamp("2030-01-01")], n_placebo=10)
    assert len(out.events) == 1
    assert out.excluded["reason"].str.contains("do not cover").all()
    with pytest.raises(ValidationError, match="no event has enough"):
        event_study(r, m, [m.index[10]])
    with pytest.raises(ValidationError, match="must end before"):
        event_study(r, m, [m.index[200]], estimation=(-120, -3))
    gappy = r.copy()
    gappy.iloc[100:190] = np.nan
    out2 = event_study(gappy, m, [m.index[200], m.index[270]], n_placebo=10, min_estimation=60)
    assert list(out2.events["day0"]) == [m.index[270]]
    assert len(out2.excluded) == 1 and "estimation days" in out2.excluded["reason"].iloc[0]


def test_default_events_is_the_shipped_calendar_and_drives_event_study():
    from altseason.analytics import default_events
    from altseason.sources.calendar import regulatory_events

    ev = default_events()
    pd.testing.assert_frame_equal(ev, regulatory_events())
    assert len(ev) >= 20 and ev["event_id"].is_unique and ev["date"].is_monotonic_increasing
    assert (ev["date"] == ev["date"].dt.normalize()).all()
    assert ev.loc[ev["event_id"] == "genius-act", "date"].item() == pd.Timestamp("2025-07-18")
    # events=None uses the calendar: the same result as passing it explicitly
    idx = pd.date_range("2019-01-01", "2025-12-31", freq="D")
    rng = np.random.default_rng(3)
    m = pd.Series(rng.normal(0.0, 0.03, len(idx)), index=idx)
    r = 1.2 * m + pd.Series(rng.normal(0.0, 0.01, len(idx)), index=idx)
    a = event_study(r, m, None, n_placebo=10, n_resamples=50)
    b = event_study(r, m, ev, n_placebo=10, n_resamples=50)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert set(a.events["event_id"]) <= set(ev["event_id"]) and len(a.events) > 20
