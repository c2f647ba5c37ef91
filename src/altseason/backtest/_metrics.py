"""Performance metrics as pure functions of simple returns.

Every function accepts a Series (one strategy: returns a float), a DataFrame
(one column per strategy: returns a Series indexed by column) or a 1-D / 2-D
ndarray (returns a float / 1-D array), like empyrical. Returns are simple
per-period returns; annualisation uses ``periods_per_year`` (365 for daily
crypto data). NaN returns are skipped by means and deviations (as in
empyrical) and count as flat periods in compounding.

The definitions match empyrical with ``annualization=periods_per_year``:

* ``sharpe_ratio = mean(r - rf) / std(r - rf, ddof=1) x sqrt(P)``
* ``sortino_ratio = mean(r - t) x P / (sqrt(mean(min(r - t, 0)^2)) x sqrt(P))``
* ``cagr = prod(1 + r) ^ (P / n) - 1`` (``n`` counts every period)
* ``max_drawdown = min(equity / running peak - 1)``, the peak starting at 1
* ``calmar_ratio = cagr / |max_drawdown|`` (NaN without a drawdown)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from altseason._typing import ArrayLike, FloatArray

__all__ = [
    "PERIODS_PER_YEAR",
    "annual_volatility",
    "beta",
    "cagr",
    "calmar_ratio",
    "downside_risk",
    "drawdown_series",
    "exposure_time",
    "hit_rate",
    "max_drawdown",
    "max_drawdown_duration",
    "sharpe_ratio",
    "sortino_ratio",
]

PERIODS_PER_YEAR = 365
"""Crypto trades every calendar day."""


def _as_2d(returns: ArrayLike) -> FloatArray:
    arr = np.asarray(returns, dtype=np.float64)
    if arr.ndim == 1:
        return arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"returns must be 1-D or 2-D, got {arr.ndim} dimensions")
    return arr


def _wrap(returns: ArrayLike, values: FloatArray) -> Any:
    """Shape per-column results like the input: float, Series or ndarray."""
    if isinstance(returns, pd.DataFrame):
        return pd.Series(values, index=returns.columns)
    if np.ndim(returns) == 1:
        return float(values[0])
    return values


def _columnwise(fn: Callable[[FloatArray], FloatArray]) -> Callable[[ArrayLike], Any]:
    def apply(returns: ArrayLike) -> Any:
        return _wrap(returns, fn(_as_2d(returns)))

    return apply


def _nanmean(a: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        count = np.sum(~np.isnan(a), axis=0)
        total = np.nansum(a, axis=0)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _nanstd(a: FloatArray, ddof: int = 1) -> FloatArray:
    count = np.sum(~np.isnan(a), axis=0)
    mean = _nanmean(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        sq = np.nansum((a - mean) ** 2, axis=0)
        return np.where(count > ddof, np.sqrt(sq / (count - ddof)), np.nan)


def annual_volatility(returns: ArrayLike, periods_per_year: float = PERIODS_PER_YEAR) -> Any:
    """Annualised standard deviation of returns (ddof=1), a fraction (0.6 = 60%)."""
    a = _as_2d(returns)
    out = _nanstd(a) * np.sqrt(periods_per_year) if len(a) >= 2 else np.full(a.shape[1], np.nan)
    return _wrap(returns, out)


def sharpe_ratio(
    returns: ArrayLike, risk_free: float = 0.0, periods_per_year: float = PERIODS_PER_YEAR
) -> Any:
    """Annualised Sharpe ratio; ``risk_free`` is a per-period return.

    NaN with fewer than two returns; +/-inf (or NaN) when returns are constant.
    """
    a = _as_2d(returns) - risk_free
    if len(a) < 2:
        return _wrap(returns, np.full(a.shape[1], np.nan))
    std = _nanstd(a)
    with np.errstate(invalid="ignore"):
        constant = (np.nanmax(a, axis=0) == np.nanmin(a, axis=0)) & np.isfinite(std)
    std = np.where(constant, 0.0, std)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _nanmean(a) / std * np.sqrt(periods_per_year)
    return _wrap(returns, out)


def downside_risk(
    returns: ArrayLike, required_return: float = 0.0, periods_per_year: float = PERIODS_PER_YEAR
) -> Any:
    """Annualised downside deviation below ``required_return`` (per period)."""
    a = _as_2d(returns) - required_return
    if len(a) < 1:
        return _wrap(returns, np.full(a.shape[1], np.nan))
    down = np.clip(a, -np.inf, 0.0) ** 2
    return _wrap(returns, np.sqrt(_nanmean(down)) * np.sqrt(periods_per_year))


def sortino_ratio(
    returns: ArrayLike, required_return: float = 0.0, periods_per_year: float = PERIODS_PER_YEAR
) -> Any:
    """Annualised Sortino ratio: mean excess return over downside deviation."""
    a = _as_2d(returns)
    if len(a) < 2:
        return _wrap(returns, np.full(a.shape[1], np.nan))
    dr = np.atleast_1d(np.asarray(downside_risk(a, required_return, periods_per_year)))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _nanmean(a - required_return) * periods_per_year / dr
    return _wrap(returns, out)


def _equity(a: FloatArray) -> FloatArray:
    return np.asarray(np.cumprod(1.0 + np.nan_to_num(a, nan=0.0), axis=0), dtype=np.float64)


def drawdown_series(returns: ArrayLike) -> Any:
    """Drawdown at each period, ``equity / running peak - 1`` (<= 0), peak starting at 1.

    Same shape and type as the input (a Series gives a Series).
    """
    a = _as_2d(returns)
    eq = _equity(a)
    peak = np.maximum.accumulate(np.vstack([np.ones((1, a.shape[1])), eq]), axis=0)[1:]
    dd = eq / peak - 1.0
    if isinstance(returns, pd.DataFrame):
        return pd.DataFrame(dd, index=returns.index, columns=returns.columns)
    if isinstance(returns, pd.Series):
        return pd.Series(dd[:, 0], index=returns.index, name="drawdown")
    return dd[:, 0] if np.ndim(returns) == 1 else dd


def max_drawdown(returns: ArrayLike) -> Any:
    """Largest peak-to-trough loss, a negative fraction (-0.35 = 35% down); 0 if none."""
    a = _as_2d(returns)
    if len(a) < 1:
        return _wrap(returns, np.full(a.shape[1], np.nan))
    return _wrap(returns, np.min(np.asarray(drawdown_series(a)), axis=0))


def max_drawdown_duration(returns: ArrayLike) -> Any:
    """Longest time under water, in periods: from a peak to the recovery of that peak
    (or to the end of the series if it never recovers). 0 without a drawdown."""

    def fn(a: FloatArray) -> FloatArray:
        under = np.asarray(drawdown_series(a)) < 0
        if under.shape[0] == 0:
            return np.zeros(a.shape[1])
        count = np.cumsum(under, axis=0)
        # count at the last period above water, carried forward
        reset = np.maximum.accumulate(np.where(under, 0, count), axis=0)
        return np.asarray((count - reset).max(axis=0), dtype=float)

    return _columnwise(fn)(returns)


def cagr(returns: ArrayLike, periods_per_year: float = PERIODS_PER_YEAR) -> Any:
    """Compound annual growth rate, a fraction (0.25 = 25% a year)."""
    a = _as_2d(returns)
    if len(a) < 1:
        return _wrap(returns, np.full(a.shape[1], np.nan))
    ending = np.nanprod(a + 1.0, axis=0)
    with np.errstate(invalid="ignore"):
        out = ending ** (1.0 / (len(a) / periods_per_year)) - 1.0
    return _wrap(returns, out)


def calmar_ratio(returns: ArrayLike, periods_per_year: float = PERIODS_PER_YEAR) -> Any:
    """CAGR over the absolute max drawdown; NaN when there is no drawdown."""
    a = _as_2d(returns)
    mdd = np.atleast_1d(np.asarray(max_drawdown(a), dtype=float))
    growth = np.atleast_1d(np.asarray(cagr(a, periods_per_year), dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mdd < 0, growth / np.abs(mdd), np.nan)
    out = np.where(np.isinf(out), np.nan, out)
    return _wrap(returns, out)


def beta(returns: ArrayLike, benchmark_returns: ArrayLike) -> Any:
    """Beta to a benchmark: ``cov(r, b) / var(b)`` over periods where both exist.

    ``benchmark_returns`` is one series (1-D) aligned with ``returns`` by
    position (pandas inputs are aligned on the index first).
    """
    if isinstance(returns, pd.Series | pd.DataFrame) and isinstance(benchmark_returns, pd.Series):
        bench = benchmark_returns.reindex(returns.index).to_numpy(dtype=float)
    else:
        bench = np.asarray(benchmark_returns, dtype=float).reshape(-1)
    a = _as_2d(returns)
    b = np.repeat(bench[:, None], a.shape[1], axis=1)
    b = np.where(np.isnan(a), np.nan, b)
    a = np.where(np.isnan(b), np.nan, a)
    resid = b - _nanmean(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _nanmean(resid * a) / _nanmean(resid**2)
    return _wrap(returns, out)


def hit_rate(returns: ArrayLike) -> Any:
    """Share of periods with a positive return among periods with a non-zero return."""

    def fn(a: FloatArray) -> FloatArray:
        pos = np.sum(a > 0, axis=0)
        nonzero = np.sum((a != 0) & ~np.isnan(a), axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(nonzero > 0, pos / np.maximum(nonzero, 1), np.nan)

    return _columnwise(fn)(returns)


def exposure_time(gross_exposure: ArrayLike) -> Any:
    """Share of periods with any market exposure (gross exposure above 1e-12)."""

    def fn(a: FloatArray) -> FloatArray:
        valid = ~np.isnan(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sum(np.abs(np.nan_to_num(a)) > 1e-12, axis=0) / np.maximum(
                valid.sum(axis=0), 1
            )

    return _columnwise(fn)(gross_exposure)
