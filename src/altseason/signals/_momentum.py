"""Momentum and relative-strength signals: scores in [-1, 1], causal.

Every score at date ``t`` uses only rows up to and including ``t`` (the
close of day ``t``); the backtest trades them one day later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "cross_sectional_momentum",
    "relative_strength_signal",
    "time_series_momentum",
]


def _check_lookback(lookback: int, name: str = "lookback") -> None:
    if int(lookback) != lookback or lookback < 2:
        raise ValidationError(f"{name} must be an integer >= 2 days, got {lookback!r}")


def time_series_momentum(
    prices: pd.DataFrame | pd.Series, lookback: int = 90, vol_lookback: int | None = None
) -> pd.DataFrame | pd.Series:
    """Time-series momentum score per asset.

    ``score_t = tanh(r_t / (sigma_t * sqrt(lookback)))`` where ``r_t`` is the
    log return over the last ``lookback`` days and ``sigma_t`` the standard
    deviation of daily log returns over the last ``vol_lookback`` days (default
    ``lookback``): a volatility-scaled trend, squashed into [-1, 1].

    Parameters
    ----------
    prices
        Closes, ``(n_dates, n_assets)`` or one series; NaN before listing.
    lookback
        Trend window in days (look-back: ``lookback`` days).
    vol_lookback
        Volatility window in days.

    Returns
    -------
    Same shape as ``prices``; NaN until ``lookback`` days of history exist.
    """
    _check_lookback(lookback)
    vol_lb = vol_lookback or lookback
    _check_lookback(vol_lb, "vol_lookback")
    logp = np.log(prices.astype(float).where(prices > 0))
    ret = logp - logp.shift(lookback)
    vol = logp.diff().rolling(vol_lb, min_periods=vol_lb).std()
    z = ret / (vol * np.sqrt(lookback))
    return np.tanh(z.where(vol > 0))


def cross_sectional_momentum(prices: pd.DataFrame, lookback: int = 90) -> pd.DataFrame:
    """Cross-sectional momentum: each asset's rank of its ``lookback``-day return.

    The best performer on a date scores +1, the worst -1, linearly between
    (average ranks for ties). Assets without a full look-back are NaN and do
    not count. A date with fewer than two eligible assets is NaN.
    """
    _check_lookback(lookback)
    ret = prices.astype(float) / prices.astype(float).shift(lookback) - 1.0
    ranks = ret.rank(axis=1, method="average")
    n = ret.notna().sum(axis=1)
    score = 2.0 * (ranks.sub(1.0)).div((n - 1).where(n > 1), axis=0) - 1.0
    return score


def relative_strength_signal(
    index: pd.Series, benchmark: pd.Series, lookback: int = 30, z_window: int = 365
) -> pd.Series:
    """Relative strength of ``index`` against ``benchmark`` as a score in [-1, 1].

    The log ratio ``ln(index / benchmark)`` changes over ``lookback`` days; that
    change is z-scored against its own trailing ``z_window``-day history
    (at least ``lookback`` observations) and squashed with ``tanh(z / 2)``.
    Positive when the index (e.g. small caps) outperforms the benchmark (BTC).
    """
    _check_lookback(lookback)
    _check_lookback(z_window, "z_window")
    a, b = index.align(benchmark, join="inner")
    ratio = np.log(a.astype(float) / b.astype(float))
    change = ratio - ratio.shift(lookback)
    mean = change.rolling(z_window, min_periods=lookback).mean()
    std = change.rolling(z_window, min_periods=lookback).std()
    z = (change - mean) / std.where(std > 0)
    return np.tanh(z / 2.0).rename(f"rs_{index.name}_vs_{benchmark.name}")
