"""Equal-weighted top-K momentum against a brute-force loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.exceptions import StrategyError
from altseason.strategies import momentum_weights


def _panel(seed: int, n: int = 80, m: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.05, (n, m)), axis=0))
    for j in range(m):
        start = int(rng.integers(0, n // 2))
        close[:start, j] = np.nan
        if rng.random() < 0.3:  # a gap
            g = int(rng.integers(start, n))
            close[g : g + 3, j] = np.nan
    if rng.random() < 0.5:  # exact ties in trailing returns
        close[:, 1] = close[:, 0]
    return pd.DataFrame(
        close, index=pd.date_range("2023-01-01", periods=n), columns=list("ABCDEFGHI")[:m]
    )


def _brute(prices: pd.DataFrame, lookback: int, k: int, rebalance: int) -> np.ndarray:
    p = prices.to_numpy()
    n, m = p.shape
    out = np.full((n, m), np.nan)
    for t in range(lookback, n, rebalance):
        scores = []
        for j in range(m):
            window = p[t - lookback : t + 1, j]
            if np.all(np.isfinite(window)):
                scores.append((-(p[t, j] / p[t - lookback, j] - 1), j))
        chosen = [j for _, j in sorted(scores)[:k]]
        out[t] = 0.0
        for j in chosen:
            out[t, j] = 1.0 / len(chosen)
    return out


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    lookback=st.integers(1, 30),
    k=st.integers(1, 10),
    rebalance=st.integers(1, 9),
)
def test_matches_brute_force(seed: int, lookback: int, k: int, rebalance: int) -> None:
    prices = _panel(seed)
    w = momentum_weights(prices, lookback=lookback, k=k, rebalance=rebalance)
    np.testing.assert_allclose(w.to_numpy(), _brute(prices, lookback, k, rebalance), atol=1e-15)
    rows = w.dropna(how="all")
    assert ((rows.sum(axis=1) - 1).abs().lt(1e-12) | rows.sum(axis=1).eq(0)).all()


def test_ties_go_to_the_leftmost_column() -> None:
    idx = pd.date_range("2024-01-01", periods=3)
    prices = pd.DataFrame(
        {"X": [1.0, 1.0, 2.0], "Y": [1.0, 1.0, 2.0], "Z": [1.0, 1.0, 1.5]}, index=idx
    )
    w = momentum_weights(prices, lookback=2, k=1, rebalance=1)
    assert w.iloc[2].tolist() == [1.0, 0.0, 0.0]
    assert w.iloc[:2].isna().all().all()


def test_bad_parameters() -> None:
    with pytest.raises(StrategyError, match="lookback"):
        momentum_weights(_panel(0), lookback=0)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    lookback=st.integers(1, 20),
    k=st.integers(1, 40),
    rebalance=st.integers(1, 3),
    ties=st.booleans(),
)
def test_wide_panel_matches_brute_force(
    seed: int, lookback: int, k: int, rebalance: int, ties: bool
) -> None:
    # many assets and daily decisions exercise the threshold guess carried
    # from one decision row to the next (hits, misses, too many above it)
    rng = np.random.default_rng(seed)
    n, m = 90, 60
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.05, (n, m)), axis=0))
    for j in range(m):
        close[: int(rng.integers(0, n // 2)), j] = np.nan
    if ties:  # blocks of identical columns: many exact ties at the threshold
        close[:, 10:20] = close[:, [9]]
        close[:, 30:33] = 7.0
    prices = pd.DataFrame(close, index=pd.date_range("2023-01-01", periods=n))
    w = momentum_weights(prices, lookback=lookback, k=k, rebalance=rebalance)
    np.testing.assert_array_equal(w.to_numpy(), _brute(prices, lookback, k, rebalance))
