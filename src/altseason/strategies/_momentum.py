"""Equal-weighted top-K momentum: a small, pure, vectorised weight rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from altseason.exceptions import StrategyError

__all__ = ["momentum_weights"]


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
    close = prices.to_numpy(dtype=np.float64)
    n, m = close.shape
    out = np.full((n, m), np.nan)
    rows = np.arange(lookback, n, rebalance)
    if len(rows) and m:
        finite = np.isfinite(close)
        count = np.vstack([np.zeros((1, m), dtype=np.int64), np.cumsum(finite, axis=0)])
        eligible = (count[rows + 1] - count[rows - lookback]) == lookback + 1
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(eligible, close[rows] / close[rows - lookback] - 1.0, -np.inf)
        if k >= m:
            chosen = eligible
        else:
            thr = -np.partition(-score, k - 1, axis=1)[:, k - 1 : k]
            chosen = score > thr
            ties = (score == thr) & eligible
            need = k - chosen.sum(axis=1, keepdims=True)
            chosen |= ties & (np.cumsum(ties, axis=1) <= need)
        held = chosen.sum(axis=1, keepdims=True)
        out[rows] = np.where(chosen, 1.0 / np.maximum(held, 1), 0.0)
    return pd.DataFrame(out, index=prices.index, columns=prices.columns)
