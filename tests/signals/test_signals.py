"""Signals: ranges, independent recomputation, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from altseason.exceptions import ValidationError
from altseason.signals import (
    composite_signal,
    cross_sectional_momentum,
    etf_flow_signal,
    fear_greed_signal,
    liquidity_signal,
    options_skew_signal,
    relative_strength_signal,
    time_series_momentum,
)


def _panel(seed: int = 0, n: int = 300, k: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=n, freq="D")
    rets = rng.standard_t(4, size=(n, k)) * 0.03
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rets, axis=0)), index=idx, columns=[f"A{i}" for i in range(k)]
    )
    prices.iloc[:120, 2] = np.nan  # lists late
    prices.iloc[200:, 4] = np.nan  # delists
    return prices


def test_time_series_momentum_matches_a_loop() -> None:
    p = _panel()
    lb = 30
    got = time_series_momentum(p, lookback=lb)
    col = "A0"
    x = np.log(p[col].to_numpy())
    for t in [lb + 5, 100, 250]:
        r = x[t] - x[t - lb]
        d = np.diff(x[t - lb : t + 1])
        sigma = np.std(d, ddof=1)
        assert got[col].iloc[t] == pytest.approx(np.tanh(r / (sigma * np.sqrt(lb))), rel=1e-12)
    assert got.iloc[: lb - 1].isna().all().all()
    vals = got.to_numpy()[~np.isnan(got.to_numpy())]
    assert (np.abs(vals) <= 1).all()


def test_cross_sectional_momentum_is_a_rank_in_minus_one_one() -> None:
    p = _panel()
    lb = 20
    got = cross_sectional_momentum(p, lookback=lb)
    for t in [lb, 150, 260]:
        ret = (p.iloc[t] / p.iloc[t - lb] - 1).dropna()
        r = rankdata(ret.to_numpy())
        expected = 2 * (r - 1) / (len(r) - 1) - 1
        np.testing.assert_allclose(got.iloc[t][ret.index].to_numpy(), expected, rtol=0, atol=1e-12)
        assert got.iloc[t].drop(ret.index).isna().all()
    row = got.iloc[150].dropna()
    assert row.max() == 1.0 and row.min() == -1.0


def test_relative_strength_and_context_signals_bounded() -> None:
    p = _panel()
    rs = relative_strength_signal(p["A1"], p["A0"], lookback=10, z_window=60)
    assert rs.dropna().between(-1, 1).all() and rs.notna().sum() > 200
    fg = pd.Series([0, 10, 25, 50, 75, 90, 100.0])
    np.testing.assert_allclose(fear_greed_signal(fg), [1, 1, 1, 0, -1, -1, -1])
    liq = pd.Series(np.linspace(100, 110, 200))
    s = liquidity_signal(liq, lookback=91)
    assert s.iloc[-1] == pytest.approx(np.tanh((liq.iloc[-1] / liq.iloc[-92] - 1) / 0.05))
    flows = pd.Series(np.r_[np.zeros(100), np.full(30, 5e8)])
    f = etf_flow_signal(flows, lookback=10, z_window=60)
    assert f.iloc[-20] > 0.5
    assert options_skew_signal(pd.Series([0.05]))[0] == pytest.approx(np.tanh(1.0))


def test_composite_renormalises_over_available_signals() -> None:
    a = pd.Series([1.0, np.nan, -1.0, np.nan])
    b = pd.Series([0.0, 0.5, np.nan, np.nan])
    c = composite_signal({"a": a, "b": b}, {"a": 3.0, "b": 1.0})
    np.testing.assert_allclose(c.to_numpy()[:3], [0.75, 0.5, -1.0])
    assert np.isnan(c.iloc[3])
    with pytest.raises(ValidationError):
        composite_signal({"a": a}, {"z": 1.0})
    with pytest.raises(ValidationError):
        time_series_momentum(a, lookback=1)


@settings(max_examples=25, deadline=None)
@given(t=st.integers(min_value=40, max_value=250), seed=st.integers(0, 10_000))
def test_no_look_ahead(t: int, seed: int) -> None:
    """Changing prices after day t never changes any score up to t."""
    p = _panel()
    rng = np.random.default_rng(seed)
    q = p.copy()
    q.iloc[t + 1 :] = q.iloc[t + 1 :] * np.exp(rng.normal(0, 0.5, size=q.iloc[t + 1 :].shape))
    for fn in (
        lambda x: time_series_momentum(x, 30),
        lambda x: cross_sectional_momentum(x, 30),
        lambda x: relative_strength_signal(x["A1"], x["A0"], 10, 60),
        lambda x: liquidity_signal(x["A3"], 30),
        lambda x: etf_flow_signal(x["A3"].diff(), 10, 60),
    ):
        a, b = fn(p), fn(q)
        pd.testing.assert_frame_equal(
            pd.DataFrame(a).iloc[: t + 1], pd.DataFrame(b).iloc[: t + 1], check_exact=True
        )
