"""Metric functions: one definition for Series, DataFrame and ndarray; brute-force checks."""

from __future__ import annotations

import empyrical
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from altseason.backtest import (
    annual_volatility,
    beta,
    cagr,
    calmar_ratio,
    downside_risk,
    drawdown_series,
    hit_rate,
    max_drawdown,
    max_drawdown_duration,
    performance_metrics,
    sharpe_ratio,
    sortino_ratio,
)

FUNCS = [
    annual_volatility,
    cagr,
    calmar_ratio,
    downside_risk,
    hit_rate,
    max_drawdown,
    max_drawdown_duration,
    sharpe_ratio,
    sortino_ratio,
]


def _returns(seed: int = 0, n: int = 300, k: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.001, 0.03, (n, k))
    r[5:9, 1] = np.nan
    return pd.DataFrame(r, index=pd.date_range("2022-01-01", periods=n), columns=list("abc")[:k])


@pytest.mark.parametrize("fn", FUNCS, ids=lambda f: f.__name__)
def test_series_frame_and_array_agree(fn) -> None:  # type: ignore[no-untyped-def]
    frame = _returns()
    by_frame = fn(frame)
    assert isinstance(by_frame, pd.Series) and list(by_frame.index) == list(frame.columns)
    by_array = fn(frame.to_numpy())
    assert isinstance(by_array, np.ndarray)
    for j, col in enumerate(frame.columns):
        one = fn(frame[col])
        assert isinstance(one, float)
        assert one == pytest.approx(by_frame[col], nan_ok=True)
        assert one == pytest.approx(fn(frame[col].to_numpy()), nan_ok=True)
        assert one == pytest.approx(by_array[j], nan_ok=True)


@pytest.mark.parametrize("col", ["a", "b"])
def test_against_empyrical(col: str) -> None:
    r = _returns()[col]
    assert sharpe_ratio(r) == pytest.approx(empyrical.sharpe_ratio(r, annualization=365), rel=1e-10)
    assert sortino_ratio(r) == pytest.approx(
        empyrical.sortino_ratio(r, annualization=365), rel=1e-10
    )
    assert downside_risk(r) == pytest.approx(
        empyrical.downside_risk(r, annualization=365), rel=1e-10
    )
    assert cagr(r) == pytest.approx(empyrical.cagr(r, annualization=365), rel=1e-10)
    assert max_drawdown(r) == pytest.approx(empyrical.max_drawdown(r), rel=1e-10)
    assert calmar_ratio(r) == pytest.approx(empyrical.calmar_ratio(r, annualization=365), rel=1e-10)
    assert sharpe_ratio(r, risk_free=1e-4) == pytest.approx(
        empyrical.sharpe_ratio(r, risk_free=1e-4, annualization=365), rel=1e-10
    )


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(2, 60), elements=st.floats(-0.5, 0.5)))
def test_drawdowns_against_a_loop(r: np.ndarray) -> None:
    equity, peak, worst, run, longest = 1.0, 1.0, 0.0, 0, 0
    dd = []
    for x in r:
        equity *= 1 + x
        peak = max(peak, equity)
        dd.append(equity / peak - 1)
        worst = min(worst, equity / peak - 1)
        run = run + 1 if equity < peak else 0
        longest = max(longest, run)
    np.testing.assert_allclose(drawdown_series(r), dd, atol=1e-12)
    assert max_drawdown(r) == pytest.approx(worst, abs=1e-12)
    assert max_drawdown_duration(r) == longest


def test_hit_rate_and_beta_by_hand() -> None:
    r = np.array([0.01, -0.02, 0.0, 0.03, np.nan, -0.01])
    assert hit_rate(r) == pytest.approx(2 / 4)
    b = np.array([0.02, -0.01, 0.01, 0.02, 0.05, 0.0])
    mask = ~np.isnan(r)
    x, y = r[mask], b[mask]
    assert beta(r, b) == pytest.approx(np.cov(x, y, ddof=0)[0, 1] / np.var(y), rel=1e-12)


def test_performance_metrics_table() -> None:
    frame = _returns()
    table = performance_metrics(frame, benchmark_returns=frame["a"])
    assert list(table.index) == ["a", "b", "c"]
    assert table.loc["a", "beta_btc"] == pytest.approx(1.0)
    assert table.loc["b", "sharpe"] == pytest.approx(sharpe_ratio(frame["b"]))
    assert table.loc["c", "total_return"] == pytest.approx((1 + frame["c"]).prod() - 1)
