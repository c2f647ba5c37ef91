"""Rolling and EWMA correlation, covariance, average pairwise correlation, beta.

DESIGN.md: Pearson correlation on daily **log** returns (pass
:func:`~altseason.analytics.log_returns`) over 30 and 90 days; average pairwise
correlation; beta to BTC; an EWMA variant; correlation regimes from the level
and trend of average pairwise correlation.

NaN semantics are pandas' pairwise-complete ones: for a pair (i, j) a window
uses only the rows where both are observed, and a value needs at least
``min_periods`` such rows (default: the window, as in
``DataFrame.rolling(window).corr()``). Results match pandas to ~1e-12; where
pandas would divide by a zero variance (a constant series) we return NaN.

Speed: the rolling kernels (numba) keep running sums. ``Σ x_i x_j`` over the
window is updated by a rank-one add and remove per day; pairs whose two assets
are fully observed in the window are finished from per-asset sums in one
vectorised pass, and only pairs touching an asset with a gap in the window
(new listings, delistings) are summed directly. The average pairwise
correlation never forms the matrix: for fully observed assets
``Σ_{i≠j} ρ_ij = ‖Σ_i z_i‖² − Σ_i ‖z_i‖²`` with ``z_i`` the standardised
window returns, an O(window × n_assets) sum per day (vectorised dot products);
blocks of consecutive windows run in parallel and share the reads of their rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from altseason._typing import DateLike, FloatArray
from altseason.analytics._correlation_kernels import (
    _avg_pairwise,
    _ewm_debias,
    _ewma_matrices,
    _Kernel,
    _matrices,
    _rolling_beta,
    _sums,
    center,
)
from altseason.exceptions import ValidationError

__all__ = [
    "RollingMatrices",
    "average_pairwise_correlation",
    "correlation_regime",
    "ewma_correlation",
    "ewma_covariance",
    "iter_rolling_matrices",
    "rolling_beta",
    "rolling_correlation",
    "rolling_covariance",
    "rolling_pair_correlation",
]


# ---------------------------------------------------------------- public API
@dataclass
class RollingMatrices:
    """A stack of ``(n_assets, n_assets)`` matrices, one per date.

    Attributes
    ----------
    values
        ``(n_dates, n_assets, n_assets)`` float array; NaN where a pair has
        fewer than ``min_periods`` common observations.
    index
        The dates (``values[t]`` uses data up to and including ``index[t]``).
    columns
        Asset ids, the order of both matrix axes.
    """

    values: FloatArray
    index: pd.DatetimeIndex
    columns: pd.Index

    def at(self, date: DateLike | None = None) -> pd.DataFrame:
        """The matrix on ``date`` (default: the last date) as a frame."""
        pos = len(self.index) - 1 if date is None else self.index.get_loc(pd.Timestamp(date))
        return pd.DataFrame(self.values[int(pos)], index=self.columns, columns=self.columns)

    def pair(self, a: str, b: str) -> pd.Series:
        """The series of one pair over time."""
        i = self.columns.get_loc(a)
        j = self.columns.get_loc(b)
        return pd.Series(self.values[:, i, j], index=self.index, name=f"{a}/{b}")

    def to_frame(self) -> pd.DataFrame:
        """Long form as pandas' ``rolling().corr()`` returns it.

        Index: ``(date, asset)`` MultiIndex; columns: assets.
        """
        n_dates, n_assets, _ = self.values.shape
        mi = pd.MultiIndex.from_product([self.index, self.columns])
        return pd.DataFrame(
            self.values.reshape(n_dates * n_assets, n_assets), index=mi, columns=self.columns
        )

    def mean_offdiagonal(self) -> pd.Series:
        """Average of the finite off-diagonal entries on each date."""
        v = self.values.copy()
        n = v.shape[1]
        v[:, np.arange(n), np.arange(n)] = np.nan
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(v)
            total = np.where(finite, v, 0.0).sum(axis=(1, 2))
            count = finite.sum(axis=(1, 2))
            out = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        return pd.Series(out, index=self.index, name="average_correlation")


def _prep(returns: pd.DataFrame, window: int, min_periods: int | None) -> tuple[FloatArray, int]:
    x, _, minp = _prep_both(returns, window, min_periods)
    return x, minp


def _prep_both(
    returns: pd.DataFrame, window: int, min_periods: int | None
) -> tuple[FloatArray, FloatArray, int]:
    if not isinstance(returns, pd.DataFrame):
        raise ValidationError("returns must be a (n_dates, n_assets) DataFrame.")
    if window < 2:
        raise ValidationError(f"window must be >= 2 rows, got {window}.")
    minp = window if min_periods is None else int(min_periods)
    if minp < 0 or minp > window:
        raise ValidationError(f"min_periods must be in [0, window={window}], got {minp}.")
    # correlation and covariance are shift-invariant: centring each column
    # keeps the running sums small and the cancellation error negligible
    x, x0 = center(returns.to_numpy(dtype=float))
    return x, x0, minp


def iter_rolling_matrices(
    returns: pd.DataFrame,
    window: int = 90,
    *,
    min_periods: int | None = None,
    kind: Literal["correlation", "covariance"] = "correlation",
    chunk: int = 16,
    reuse_buffer: bool = False,
) -> Iterator[RollingMatrices]:
    """Rolling correlation (or covariance) matrices in chunks of ``chunk`` dates.

    The same values as :func:`rolling_correlation` with memory bounded by
    ``8 * chunk * n_assets**2`` bytes: for wide panels whose full stack
    (``n_dates * n_assets**2`` doubles) would not fit. With ``reuse_buffer``
    every chunk is written into the same array (fastest; copy what you keep).

    Yields
    ------
    RollingMatrices
        Consecutive date ranges covering the whole index.
    """
    if chunk < 1:
        raise ValidationError(f"chunk must be >= 1, got {chunk}.")
    if kind not in ("correlation", "covariance"):
        raise ValidationError(f"kind must be 'correlation' or 'covariance', got {kind!r}.")
    x, minp = _prep(returns, window, min_periods)
    n_dates, n_assets = x.shape
    if n_dates == 0:
        return
    kernel = _Kernel(x, int(window), minp, 0 if kind == "correlation" else 1)
    buf = np.empty((min(chunk, n_dates), n_assets, n_assets))
    for t0 in range(0, n_dates, chunk):
        t1 = min(n_dates, t0 + chunk)
        if not reuse_buffer and t0 > 0:
            buf = np.empty((min(chunk, n_dates), n_assets, n_assets))
        out = buf[: t1 - t0]
        kernel.fill(out, t0)
        yield RollingMatrices(out, pd.DatetimeIndex(returns.index[t0:t1]), returns.columns)


def rolling_correlation(
    returns: pd.DataFrame, window: int = 90, *, min_periods: int | None = None
) -> RollingMatrices:
    """Rolling Pearson correlation matrices (pairwise-complete, like pandas).

    Parameters
    ----------
    returns
        ``(n_dates, n_assets)`` daily (log) returns; NaN = no observation.
    window
        Window length in rows (days).
    min_periods
        Minimum common observations per pair (default ``window``).

    Returns
    -------
    RollingMatrices
        ``values`` shaped ``(n_dates, n_assets, n_assets)``; equal to
        ``returns.rolling(window, min_periods).corr()`` up to rounding.
        Memory: ``8 * n_dates * n_assets**2`` bytes.
    """
    x, minp = _prep(returns, window, min_periods)
    vals = _matrices(x, int(window), minp, 0)
    return RollingMatrices(vals, pd.DatetimeIndex(returns.index), returns.columns)


def rolling_covariance(
    returns: pd.DataFrame, window: int = 90, *, min_periods: int | None = None
) -> RollingMatrices:
    """Rolling sample covariance matrices (ddof=1, pairwise-complete, like pandas).

    Units: squared return units per day (not annualised).
    """
    x, minp = _prep(returns, window, min_periods)
    vals = _matrices(x, int(window), minp, 1)
    return RollingMatrices(vals, pd.DatetimeIndex(returns.index), returns.columns)


def average_pairwise_correlation(
    returns: pd.DataFrame, window: int = 90, *, min_periods: int | None = None
) -> pd.Series:
    """Rolling average of all pairwise correlations (off-diagonal, pairwise-complete).

    Equal to the mean of the finite off-diagonal entries of
    :func:`rolling_correlation` on each date, without forming the matrices.

    Returns
    -------
    Series
        One value per date in [-1, 1]; NaN while fewer than two assets qualify.
    """
    x, x0, minp = _prep_both(returns, window, min_periods)
    cs, cq, cc = _sums(x, int(window))
    vals = _avg_pairwise(x, x0, int(window), minp, cs, cq, cc)
    return pd.Series(vals, index=returns.index, name="average_correlation")


def rolling_beta(
    returns: pd.DataFrame,
    benchmark: str | pd.Series = "BTC",
    window: int = 90,
    *,
    min_periods: int | None = None,
) -> pd.DataFrame:
    """Rolling OLS beta of each column to a benchmark's returns.

    ``beta = cov(r_i, r_b) / var(r_b)``, both over the rows where asset and
    benchmark are observed (pairwise-complete), sample (ddof=1) moments.

    Parameters
    ----------
    benchmark
        A column of ``returns`` (default ``"BTC"``) or a return series.

    Returns
    -------
    DataFrame
        ``(n_dates, n_assets)`` betas (the benchmark's own column is 1).
    """
    if isinstance(benchmark, str):
        if benchmark not in returns.columns:
            raise ValidationError(
                f"benchmark {benchmark!r} is not a column of returns; pass its return series."
            )
        bench = returns[benchmark]
    else:
        bench = benchmark.reindex(returns.index)
    x, minp = _prep(returns, window, min_periods)
    b = bench.to_numpy(dtype=float, copy=True)
    b[~np.isfinite(b)] = np.nan
    b = b - (np.nanmean(b) if np.isfinite(b).any() else 0.0)
    vals = _rolling_beta(x, np.ascontiguousarray(b), int(window), minp)
    return pd.DataFrame(vals, index=returns.index, columns=returns.columns)


def _com(
    halflife: float | None, span: float | None, com: float | None, alpha: float | None
) -> float:
    given = [v is not None for v in (halflife, span, com, alpha)]
    if sum(given) != 1:
        raise ValidationError("pass exactly one of halflife, span, com or alpha.")
    if halflife is not None:
        if halflife <= 0:
            raise ValidationError(f"halflife must be > 0, got {halflife}.")
        return float(1.0 / (1.0 - np.exp(np.log(0.5) / halflife)) - 1.0)
    if span is not None:
        if span < 1:
            raise ValidationError(f"span must be >= 1, got {span}.")
        return float((span - 1.0) / 2.0)
    if com is not None:
        if com < 0:
            raise ValidationError(f"com must be >= 0, got {com}.")
        return float(com)
    assert alpha is not None
    if not 0 < alpha <= 1:
        raise ValidationError(f"alpha must be in (0, 1], got {alpha}.")
    return float(1.0 / alpha - 1.0)


def ewma_correlation(
    returns: pd.DataFrame,
    *,
    halflife: float | None = None,
    span: float | None = None,
    com: float | None = None,
    alpha: float | None = None,
    min_periods: int = 1,
) -> RollingMatrices:
    """Exponentially weighted correlation matrices, as ``returns.ewm(...).corr()``.

    Uses pandas' defaults (``adjust=True``, ``ignore_na=False``) and the same
    pairwise-complete masking. Pass exactly one of ``halflife``, ``span``,
    ``com`` or ``alpha`` (in days). Cost O(n_dates * n_assets**2).
    """
    c = _com(halflife, span, com, alpha)
    x = np.ascontiguousarray(returns.to_numpy(dtype=float))
    vals = _ewma_matrices(x, c, max(int(min_periods), 1), 0)
    return RollingMatrices(vals, pd.DatetimeIndex(returns.index), returns.columns)


def ewma_covariance(
    returns: pd.DataFrame,
    *,
    halflife: float | None = None,
    span: float | None = None,
    com: float | None = None,
    alpha: float | None = None,
    min_periods: int = 1,
) -> RollingMatrices:
    """Exponentially weighted covariance matrices, as ``returns.ewm(...).cov()`` (bias=False)."""
    c = _com(halflife, span, com, alpha)
    x = np.ascontiguousarray(returns.to_numpy(dtype=float))
    vals = _ewma_matrices(x, c, max(int(min_periods), 1), 1)
    n_assets = x.shape[1]
    for i in range(n_assets):
        for j in range(i, n_assets):
            f = _ewm_debias(x[:, i].copy(), x[:, j].copy(), c)
            vals[:, i, j] *= f
            if j != i:
                vals[:, j, i] *= f
    return RollingMatrices(vals, pd.DatetimeIndex(returns.index), returns.columns)


def rolling_pair_correlation(
    x: pd.Series, y: pd.Series, window: int = 90, *, min_periods: int | None = None
) -> pd.Series:
    """Rolling correlation of two return series on their common dates."""
    frame = pd.concat([x.rename("x"), y.rename("y")], axis=1)
    xx, minp = _prep(frame, window, min_periods)
    vals = _matrices(xx, int(window), minp, 0)
    return pd.Series(vals[:, 0, 1], index=frame.index, name=f"{x.name}/{y.name}")


_REGIME_NAMES = {
    ("high", "rising"): "herding",
    ("high", "stable"): "macro-driven",
    ("high", "falling"): "decoupling",
    ("moderate", "rising"): "re-coupling",
    ("moderate", "stable"): "normal",
    ("moderate", "falling"): "decoupling",
    ("low", "rising"): "re-coupling",
    ("low", "stable"): "dispersed",
    ("low", "falling"): "dispersed",
}


def correlation_regime(
    average_correlation: pd.Series,
    *,
    high: float = 0.6,
    low: float = 0.3,
    trend_window: int = 30,
    trend_threshold: float = 0.05,
) -> pd.DataFrame:
    """Name correlation regimes from the level and trend of average correlation.

    Level: ``high`` (>= ``high``), ``low`` (<= ``low``) or ``moderate``. Trend:
    the change over ``trend_window`` days, ``rising`` / ``falling`` beyond
    ``± trend_threshold``, else ``stable``. Regimes: high & rising =
    *herding* (diversification failing), high & stable = *macro-driven*,
    falling from high or moderate = *decoupling*, rising from low or moderate =
    *re-coupling*, moderate & stable = *normal*, low & not rising = *dispersed*
    (idiosyncratic moves dominate).

    Returns
    -------
    DataFrame
        Index as the input; columns ``level``, ``change``, ``level_label``,
        ``trend_label``, ``regime`` (None where the level is NaN).
    """
    lvl = average_correlation.astype(float)
    chg = lvl - lvl.shift(trend_window)
    level_label = np.where(lvl >= high, "high", np.where(lvl <= low, "low", "moderate"))
    trend_label = np.where(
        chg > trend_threshold, "rising", np.where(chg < -trend_threshold, "falling", "stable")
    )
    regime = [
        _REGIME_NAMES[(a, b)] if np.isfinite(v) else None
        for a, b, v in zip(level_label, trend_label, lvl.to_numpy(), strict=True)
    ]
    missing = ~np.isfinite(lvl.to_numpy())
    level_obj = [None if gone else str(v) for gone, v in zip(missing, level_label, strict=True)]
    trend_obj = [None if gone else str(v) for gone, v in zip(missing, trend_label, strict=True)]
    return pd.DataFrame(
        {
            "level": lvl,
            "change": chg,
            "level_label": pd.Series(level_obj, index=lvl.index, dtype=object),
            "trend_label": pd.Series(trend_obj, index=lvl.index, dtype=object),
            "regime": pd.Series(regime, index=lvl.index, dtype=object),
        },
        index=lvl.index,
    )
