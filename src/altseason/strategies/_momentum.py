"""Equal-weighted top-K momentum: a small, pure weight rule (numba inner loop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from numba import njit

from altseason.exceptions import StrategyError
from altseason.strategies._base import MarketData

__all__ = ["Momentum", "momentum_weights"]


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
def _kth_largest(a: np.ndarray, n: int, q: int) -> float:
    """The ``q``-th largest (0-based) of ``a[:n]`` (no NaN); reorders ``a[:n]`` in place."""
    lo = 0
    hi = n - 1
    while hi > lo:
        x = a[lo]
        y = a[(lo + hi) // 2]
        z = a[hi]
        pivot = max(min(x, y), min(max(x, y), z))  # median of three
        i = lo
        j = hi
        while i <= j:
            while a[i] > pivot:
                i += 1
            while a[j] < pivot:
                j -= 1
            if i <= j:
                tmp = a[i]
                a[i] = a[j]
                a[j] = tmp
                i += 1
                j -= 1
        # a[lo..j] >= pivot, a[i..hi] <= pivot, a[j+1..i-1] == pivot
        if q <= j:
            hi = j
        elif q >= i:
            lo = i
        else:
            return pivot
    return a[q]


@njit(cache=True)
def _threshold(a: np.ndarray, n: int, held: int, scratch: np.ndarray, hint: np.ndarray) -> float:
    """The ``held``-th largest of ``a[:n]``; updates ``hint`` for the next call.

    Scores move little from one decision row to the next, so the values at
    or above the previous guess usually hold the answer: they are gathered
    without branches and only that short list is searched.
    """
    margin = 2 + held // 4
    g = hint[0]
    if np.isfinite(g):
        c = 0
        for e in range(n):
            v = a[e]
            scratch[c] = v
            c += 1 if v >= g else 0
        if c >= held:
            thr = _kth_largest(scratch, c, held - 1)
            if c - held >= margin and c - held <= 4 * margin:
                return thr  # the guess stays good
            if c - held >= margin:  # too many above the guess: raise it
                hint[0] = _kth_largest(scratch[held:], c - held, margin - 1)
                return thr
    thr = _kth_largest(a, n, held - 1)
    # a[held:n] now holds the values below or at thr
    if n - held >= margin:
        hint[0] = _kth_largest(a[held:], n - held, margin - 1)
    else:
        hint[0] = -np.inf
    return thr


@njit(cache=True)
def top_k_row_nb(
    close: np.ndarray,
    last_gap: np.ndarray,
    t: int,
    lookback: int,
    k: int,
    score: np.ndarray,
    top: np.ndarray,
    scratch: np.ndarray,
    hint: np.ndarray,
    out: np.ndarray,
) -> None:
    """Write the top-``k`` equal weights of decision row ``t`` into ``out`` (length ``m``).

    ``score``, ``top`` and ``scratch`` are scratch arrays of length ``m``;
    ``hint`` (length 1) carries a guess of the threshold from one decision row
    to the next of the same configuration (NaN: none) and only affects speed.
    Requires ``t >= lookback``.
    Ties at the ``k``-th score go to the left-most columns.
    """
    m = close.shape[1]
    n_elig = 0
    for j in range(m):
        if t - last_gap[t, j] > lookback:
            s = close[t, j] / close[t - lookback, j] - 1.0
            score[j] = s
            top[n_elig] = s
            n_elig += 1
        else:
            score[j] = -np.inf
    for j in range(m):
        out[j] = 0.0
    if n_elig == 0:
        return
    held = min(k, n_elig)
    thr = _threshold(top, n_elig, held, scratch, hint)  # held-th best score
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
    scratch = np.empty(m)
    hint = np.full(1, np.nan)
    for t in range(lookback, n, rebalance):
        top_k_row_nb(close, last_gap, t, lookback, k, score, top, scratch, hint, out[t])
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


@dataclass
class Momentum:
    """Top-K cross-sectional momentum on ``MarketData.close`` (see :func:`momentum_weights`).

    Sweeps of this class take a fused path (:attr:`fused_kernel`): one
    parallel numba call selects and simulates every configuration without
    building weight panels, with results identical to the generic path.
    """

    lookback: int = 30
    k: int = 10
    rebalance: int = 7
    name: str = "momentum"

    fused_kernel: ClassVar[str] = "momentum"
    """Name of the optional fused sweep kernel (``run_sweep(..., fused=True)``)."""

    def weights(self, data: MarketData) -> pd.DataFrame:
        """Equal weights on the ``k`` best ``lookback``-day returns every ``rebalance`` days."""
        return momentum_weights(data.close, self.lookback, self.k, self.rebalance)
