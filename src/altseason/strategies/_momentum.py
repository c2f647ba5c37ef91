"""Equal-weighted top-K momentum: a small, pure weight rule (numba inner loop)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from altseason.exceptions import StrategyError

__all__ = ["momentum_weights"]


@njit(cache=True)
def last_gap_nb(close: np.ndarray) -> np.ndarray:
    """``(n, m)`` int64: the last row ``<= t`` where column ``j`` has no finite close (-1 if none).

    ``t - last_gap[t, j]`` is the number of consecutive days with a price ending at ``t``.
    """
    n, m = close.shape
    out = np.empty((n, m), dtype=np.int64)
    for t in range(n):
        for j in range(m):
            if np.isfinite(close[t, j]):
                out[t, j] = out[t - 1, j] if t > 0 else -1
            else:
                out[t, j] = t
    return out


@njit(cache=True)
def top_k_row_nb(
    close: np.ndarray,
    last_gap: np.ndarray,
    t: int,
    lookback: int,
    k: int,
    score: np.ndarray,
    top: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write the top-``k`` equal weights of decision row ``t`` into ``out`` (length ``m``).

    ``score`` and ``top`` are scratch arrays of length ``m``. Requires ``t >= lookback``.
    """
    m = close.shape[1]
    # top[:n_top]: the best scores so far, descending (a multiset of at most k values)
    n_top = 0
    n_elig = 0
    for j in range(m):
        if t - last_gap[t, j] > lookback:
            s = close[t, j] / close[t - lookback, j] - 1.0
            score[j] = s
            n_elig += 1
            if n_top < k or s > top[n_top - 1]:
                pos = n_top if n_top < k else k - 1
                while pos > 0 and top[pos - 1] < s:
                    top[pos] = top[pos - 1]
                    pos -= 1
                top[pos] = s
                if n_top < k:
                    n_top += 1
        else:
            score[j] = -np.inf
    for j in range(m):
        out[j] = 0.0
    if n_elig == 0:
        return
    held = min(k, n_elig)
    thr = top[held - 1]  # held-th best score
    above = 0
    for j in range(m):
        if score[j] > thr:
            above += 1
    need = held - above  # ties at the threshold, taken left to right
    w = 1.0 / held
    for j in range(m):
        if score[j] > thr:
            out[j] = w
        elif need > 0 and score[j] == thr and t - last_gap[t, j] > lookback:
            out[j] = w
            need -= 1


@njit(cache=True)
def _top_k_rows(close: np.ndarray, lookback: int, k: int, rebalance: int) -> np.ndarray:
    """Weights on rows ``lookback, lookback + rebalance, ...``; NaN elsewhere."""
    n, m = close.shape
    out = np.full((n, m), np.nan)
    last_gap = last_gap_nb(close)
    score = np.empty(m)
    top = np.empty(m)
    for t in range(lookback, n, rebalance):
        top_k_row_nb(close, last_gap, t, lookback, k, score, top, out[t])
    return out


def check_momentum_params(lookback: int, k: int, rebalance: int) -> None:
    """Raise :class:`StrategyError` unless every parameter is >= 1."""
    if lookback < 1 or k < 1 or rebalance < 1:
        raise StrategyError(
            f"momentum needs lookback >= 1, k >= 1 and rebalance >= 1 "
            f"(got lookback={lookback}, k={k}, rebalance={rebalance})."
        )


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
    check_momentum_params(lookback, k, rebalance)
    close = np.ascontiguousarray(prices.to_numpy(dtype=np.float64))
    out = _top_k_rows(close, int(lookback), int(k), int(rebalance))
    return pd.DataFrame(out, index=prices.index, columns=prices.columns, copy=False)
