"""No look-ahead: prices after day t never change weights, trades or equity up to t.

Parametrised over the built-in strategies (add new ones to ``STRATEGIES``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.backtest import run_backtest
from altseason.strategies import momentum_weights

STRATEGIES: list[Callable[[pd.DataFrame], pd.DataFrame]] = [
    partial(momentum_weights, lookback=5, k=3, rebalance=1),
    partial(momentum_weights, lookback=12, k=2, rebalance=4),
]


def _panel(seed: int, n: int = 60, m: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.06, (n, m)), axis=0))
    for j in range(m):
        close[: int(rng.integers(0, n // 3)), j] = np.nan
    return pd.DataFrame(
        close, index=pd.date_range("2022-06-01", periods=n), columns=[f"X{j}" for j in range(m)]
    )


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: repr(s.keywords))
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.integers(0, 58), shock=st.integers(0, 10_000))
def test_future_prices_do_not_leak(
    strategy: Callable[[pd.DataFrame], pd.DataFrame], seed: int, t: int, shock: int
) -> None:
    prices = _panel(seed)
    rng = np.random.default_rng(shock)
    changed = prices.copy()
    future = changed.iloc[t + 1 :].to_numpy() * rng.uniform(0.2, 5.0, changed.iloc[t + 1 :].shape)
    future[rng.random(future.shape) < 0.1] = np.nan  # some assets stop trading, too
    changed.iloc[t + 1 :] = future

    w1, w2 = strategy(prices), strategy(changed)
    pd.testing.assert_frame_equal(w1.iloc[: t + 1], w2.iloc[: t + 1])
    r1 = run_backtest(prices, w1, fees_bps=10)
    r2 = run_backtest(changed, w2, fees_bps=10)
    pd.testing.assert_series_equal(r1.equity.iloc[: t + 1], r2.equity.iloc[: t + 1])
    pd.testing.assert_frame_equal(r1.units.iloc[: t + 1], r2.units.iloc[: t + 1])
    day = prices.index[t]
    t1 = r1.trades[r1.trades["date"] <= day].reset_index(drop=True)
    t2 = r2.trades[r2.trades["date"] <= day].reset_index(drop=True)
    pd.testing.assert_frame_equal(t1, t2)
