"""Rolling / EWMA correlation, covariance, beta: pandas is the reference (1e-10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import (
    average_pairwise_correlation,
    correlation_regime,
    ewma_correlation,
    ewma_covariance,
    iter_rolling_matrices,
    rolling_beta,
    rolling_correlation,
    rolling_covariance,
    rolling_pair_correlation,
)
from altseason.exceptions import ValidationError

TOL = 1e-10


def _panel(seed: int, n_dates: int = 300, n_assets: int = 8, gaps: float = 0.04) -> pd.DataFrame:
    """Random log returns with listings mid-sample, a delisting and scattered gaps."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.02, (n_dates, 1))
    x = 0.7 * common + rng.normal(0, 0.03, (n_dates, n_assets))
    x[: n_dates // 3, 1] = np.nan  # listed a third of the way in
    x[: int(rng.integers(5, n_dates - 40)), 2] = np.nan  # listed at a random day
    x[n_dates - 60 :, 3] = np.nan  # delisted
    x[rng.random((n_dates, n_assets)) < gaps] = np.nan  # gaps
    x[:, 4] = x[:, 4] * 50 + 3  # a different scale and mean must not matter
    idx = pd.date_range("2022-01-01", periods=n_dates, freq="D")
    return pd.DataFrame(x, index=idx, columns=[f"A{i}" for i in range(n_assets)])


def _stack(frame: pd.DataFrame, n_dates: int, n_assets: int) -> np.ndarray:
    return frame.to_numpy().reshape(n_dates, n_assets, n_assets)


def _assert_close(ours: np.ndarray, ref: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(ref))
    both = np.isfinite(ref)
    np.testing.assert_allclose(ours[both], ref[both], rtol=0, atol=TOL)


@pytest.mark.parametrize(
    ("window", "min_periods"), [(30, None), (90, None), (30, 10), (90, 45), (20, 2)]
)
def test_rolling_correlation_and_covariance_match_pandas(
    window: int, min_periods: int | None
) -> None:
    df = _panel(window)
    n, k = df.shape
    corr = rolling_correlation(df, window, min_periods=min_periods)
    _assert_close(corr.values, _stack(df.rolling(window, min_periods=min_periods).corr(), n, k))
    cov = rolling_covariance(df, window, min_periods=min_periods)
    ref = _stack(df.rolling(window, min_periods=min_periods).cov(), n, k)
    _assert_close(cov.values, ref)
    # the long form is pandas' layout
    pd.testing.assert_index_equal(corr.to_frame().index.get_level_values(1)[:k], df.columns)
    assert corr.at(df.index[-1]).shape == (k, k)
    np.testing.assert_allclose(corr.pair("A0", "A5").to_numpy(), corr.values[:, 0, 5])


@given(st.integers(0, 10_000), st.integers(10, 40), st.floats(0.0, 0.3))
@settings(max_examples=25, deadline=None)
def test_rolling_correlation_property_vs_pandas(seed: int, window: int, gaps: float) -> None:
    # windows of a handful of points are left out: there pandas' own online
    # algorithm drifts by ~1e-8 (e.g. -0.99999994 for a two-point correlation)
    df = _panel(seed, n_dates=120, n_assets=5, gaps=gaps)
    minp = max(5, window // 2)
    ours = rolling_correlation(df, window, min_periods=minp).values
    ref = _stack(df.rolling(window, min_periods=minp).corr(), 120, 5)
    _assert_close(ours, ref)


@pytest.mark.parametrize(("window", "min_periods"), [(30, None), (90, 60), (25, 2)])
def test_average_pairwise_correlation_is_mean_of_matrix(
    window: int, min_periods: int | None
) -> None:
    df = _panel(7)
    ref = (
        df.rolling(window, min_periods=min_periods)
        .corr()
        .to_numpy()
        .reshape(len(df), df.shape[1], df.shape[1])
    )
    off = ~np.eye(df.shape[1], dtype=bool)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning) if False else _nullctx():
        expected = np.array(
            [np.nanmean(m[off]) if np.isfinite(m[off]).any() else np.nan for m in ref]
        )
    got = average_pairwise_correlation(df, window, min_periods=min_periods).to_numpy()
    _assert_close(got, expected)


class _nullctx:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def test_rolling_beta_matches_pandas() -> None:
    df = _panel(11)
    beta = rolling_beta(df, "A0", 60, min_periods=30)
    for col in df.columns:
        x = df[col].where(df["A0"].notna())
        y = df["A0"].where(df[col].notna())
        ref = x.rolling(60, min_periods=30).cov(y) / y.rolling(60, min_periods=30).var()
        _assert_close(beta[col].to_numpy(), ref.to_numpy())
    np.testing.assert_allclose(beta["A0"].dropna(), 1.0)
    with pytest.raises(ValidationError, match="benchmark"):
        rolling_beta(df, "BTC")


def test_ewma_correlation_and_covariance_match_pandas() -> None:
    df = _panel(5, n_dates=200, n_assets=5)
    n, k = df.shape
    _assert_close(
        ewma_correlation(df, halflife=20).values, _stack(df.ewm(halflife=20).corr(), n, k)
    )
    _assert_close(
        ewma_covariance(df, span=30, min_periods=5).values,
        _stack(df.ewm(span=30, min_periods=5).cov(), n, k),
    )
    with pytest.raises(ValidationError, match="exactly one"):
        ewma_correlation(df, halflife=5, span=5)


def test_chunked_matrices_equal_the_full_stack() -> None:
    df = _panel(3, n_dates=150)
    full = rolling_correlation(df, 30, min_periods=20).values
    parts = [c.values for c in iter_rolling_matrices(df, 30, min_periods=20, chunk=37)]
    np.testing.assert_array_equal(np.isfinite(np.concatenate(parts)), np.isfinite(full))
    np.testing.assert_allclose(np.concatenate(parts), full, atol=1e-12)
    cov = np.concatenate([c.values for c in iter_rolling_matrices(df, 30, kind="covariance")])
    np.testing.assert_allclose(cov, rolling_covariance(df, 30).values, atol=1e-15)


def test_pair_correlation_and_regimes() -> None:
    df = _panel(9)
    pair = rolling_pair_correlation(df["A0"], df["A5"], 30)
    ref = df["A0"].rolling(30).corr(df["A5"])
    _assert_close(pair.to_numpy(), ref.to_numpy())
    avg = pd.Series(
        [0.2, 0.2, 0.25, 0.7, 0.72, 0.71, 0.4, np.nan], index=pd.date_range("2024-01-01", periods=8)
    )
    reg = correlation_regime(avg, trend_window=2)
    assert reg["regime"].tolist()[:7] == [
        "dispersed",
        "dispersed",
        "dispersed",
        "herding",
        "herding",
        "macro-driven",
        "decoupling",
    ]
    assert reg["regime"].iloc[-1] is None
    with pytest.raises(ValidationError, match="window"):
        rolling_correlation(df, 1)


@given(
    st.integers(0, 10_000),
    st.integers(3, 40),
    st.floats(0.0, 0.2),
    st.sampled_from([None, 2, 0.5]),
)
@settings(max_examples=15, deadline=None)
def test_average_pairwise_correlation_property_vs_pandas(
    seed: int, window: int, gaps: float, minp_kind: float | int | None
) -> None:
    # blocks of windows run in parallel: dates across several blocks, listings,
    # delistings, gaps; min_periods below the window exercises partial assets
    df = _panel(seed, n_dates=150, n_assets=7, gaps=gaps)
    minp: int | None = None
    if minp_kind is not None:
        minp = min(window, 5 if minp_kind >= 1 else max(5, int(window * minp_kind)))
    ref = df.rolling(window, min_periods=minp).corr().to_numpy().reshape(150, 7, 7)
    off = ~np.eye(7, dtype=bool)
    expected = np.array([np.nanmean(m[off]) if np.isfinite(m[off]).any() else np.nan for m in ref])
    got = average_pairwise_correlation(df, window, min_periods=minp).to_numpy()
    _assert_close(got, expected)


def test_average_pairwise_correlation_equals_a_corrcoef_loop() -> None:
    # without NaN every pair is complete: the plain mean of np.corrcoef's off-diagonal
    rng = np.random.default_rng(3)
    x = 0.6 * rng.normal(0, 0.02, (200, 1)) + rng.normal(0, 0.03, (200, 40))
    df = pd.DataFrame(x, index=pd.date_range("2022-01-01", periods=200))
    got = average_pairwise_correlation(df, 30).to_numpy()
    assert np.isnan(got[:29]).all()
    for t in range(29, 200):
        c = np.corrcoef(x[t - 29 : t + 1], rowvar=False)
        assert got[t] == pytest.approx((c.sum() - 40) / (40 * 39), abs=TOL)
