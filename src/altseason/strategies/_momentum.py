"""Equal-weighted top-K momentum: a small, pure weight rule (numba inner loop)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from altseason.exceptions import StrategyError

__all__ = ["momentum_weights"]


@njit(cache=True)
def _top_k_rows(close: np.ndarray, lookback: int, k: int, rebalance: int) -> np.ndarray:
    """Weights on rows ``lookback, lookback + rebalance, ...``; NaN elsewhere."""
    n, m = close.shape
    out = np.full((n, m), np.nan)
    run = np.zeros(m, dtype=np.int64)  # consecutive days with a price, ending today
    score = np.empty(m)
    neg = np.empty(m)
    for t in range(n):
        for j in range(m):
            run[j] = run[j] + 1 if np.isfinite(close[t, j]) else 0
        if t < lookback or (t - lookback) % rebalance != 0:
            continue
        n_elig = 0
        for j in range(m):
            if run[j] > lookback:
                score[j] = close[t, j] / close[t - lookback, j] - 1.0
                neg[n_elig] = -score[j]
                n_elig += 1
            else:
                score[j] = -np.inf
        for j in range(m):
            out[t, j] = 0.0
        if n_elig == 0:
            continue
        held = min(k, n_elig)
        thr = -np.partition(neg[:n_elig], held - 1)[held - 1]  # held-th best score
        above = 0
        for j in range(m):
            if score[j] > thr:
                above += 1
        need = held - above  # ties at the threshold, taken left to right
        w = 1.0 / held
        for j in range(m):
            if score[j] > thr:
                out[t, j] = w
            elif score[j] == thr and run[j] > lookback and need > 0:
                out[t, j] = w
                need -= 1
    return out


def momentum_weights(
    prices: pd.DataFrame, lookback: int = 30, k: int = 10, rebalance: int = 7
) -> pd.DataFrame:
    """Target weights: the ``k`` assets with the best trailing return, equally weighted.

    Parameters
    ----------
    prices
        ``(n_dates, n_assets)`` daily closes; NaN where an asset has no price.
    lookback
        Trailing window ``L`` in days: the score at the close of day ``t`` is
        ``close[t] / close[t - L] - 1``.
    k
        Number of assets held. With fewer eligible assets, all eligible ones
        are held (equal weights summing to 1); with none, the row is all cash.
    rebalance
        Decide every ``rebalance`` days, starting at row ``L`` (the first day
        with a full window).

    Returns
    -------
    DataFrame
        Same shape as ``prices``. Decision rows hold weights (0 for assets not
        held, summing to 1 or 0); other rows are NaN (hold).

    Notes
    -----
    NaN-safe and free of look-ahead: only assets with a price on every day of
    ``[t - L, t]`` are eligible, and row ``t`` uses no price after ``t``. Ties
    are broken by column order (the left-most asset wins).
    """
    if lookback < 1 or k < 1 or rebalance < 1:
        raise StrategyError(
            f"momentum needs lookback >= 1, k >= 1 and rebalance >= 1 "
            f"(got lookback={lookback}, k={k}, rebalance={rebalance})."
        )
    close = np.ascontiguousarray(prices.to_numpy(dtype=np.float64))
    out = _top_k_rows(close, int(lookback), int(k), int(rebalance))
    return pd.DataFrame(out, index=prices.index, columns=prices.columns, copy=False)
