"""Returns, window performance and drawdowns of price panels.

All functions take a price ``Series`` (one asset) or a ``(n_dates, n_assets)``
panel on a daily ``DatetimeIndex`` (UTC calendar days; a close dated D is the
00:00 UTC close ending day D). Returns are simple unless the name says
``log``. Nothing is forward-filled: a return needs both of its prices.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from altseason._typing import DateLike
from altseason.exceptions import ValidationError

__all__ = [
    "calendar_year_returns",
    "days_since_peak",
    "drawdown",
    "log_returns",
    "max_drawdown",
    "price_asof",
    "simple_returns",
    "trailing_returns",
    "window_return",
    "ytd_return",
]

F = TypeVar("F", pd.Series, pd.DataFrame)


def _check_daily(prices: pd.Series | pd.DataFrame) -> None:
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise ValidationError(
            f"prices need a DatetimeIndex, got {type(prices.index).__name__}; "
            "use Store.read_prices or set the index to the dates."
        )


def simple_returns(prices: F) -> F:
    """Daily simple returns ``p_t / p_{t-1} - 1``.

    NaN where either price is missing (no fill); the first row is NaN.
    Shape as the input.
    """
    _check_daily(prices)
    return prices / prices.shift(1) - 1.0


def log_returns(prices: F) -> F:
    """Daily log returns ``ln(p_t / p_{t-1})``; NaN where either price is missing."""
    _check_daily(prices)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(prices / prices.shift(1))


def trailing_returns(prices: F, window: int) -> F:
    """Return over the trailing ``window`` rows (days): ``p_t / p_{t-window} - 1``.

    NaN where either end is missing. Shape as the input.
    """
    if window < 1:
        raise ValidationError(f"window must be >= 1 day, got {window}.")
    _check_daily(prices)
    return prices / prices.shift(window) - 1.0


def _asof_pos(index: pd.DatetimeIndex, asof: DateLike | None) -> int:
    if len(index) == 0:
        raise ValidationError("empty price panel: no dates to evaluate.")
    if asof is None:
        return len(index) - 1
    ts = pd.Timestamp(asof)
    pos = int(index.searchsorted(ts, side="right")) - 1
    if pos < 0:
        raise ValidationError(
            f"as-of date {ts.date()} is before the first date {index[0].date()}; "
            "pick a later --asof."
        )
    return pos


def price_asof(prices: F, asof: DateLike) -> pd.Series | float:
    """Price on ``asof`` exactly (NaN when missing that day; no fill)."""
    ts = pd.Timestamp(asof)
    if ts not in prices.index:
        if isinstance(prices, pd.DataFrame):
            return pd.Series(np.nan, index=prices.columns)
        return float("nan")
    out = prices.loc[ts]
    return out if isinstance(out, pd.Series) else float(out)


def window_return(prices: pd.DataFrame, window: int, asof: DateLike | None = None) -> pd.Series:
    """Simple return over ``window`` calendar days ending ``asof`` (default: last date).

    Returns
    -------
    Series
        One value per column: ``p[asof] / p[asof - window days] - 1``; NaN when
        either close is missing.
    """
    _check_daily(prices)
    pos = _asof_pos(prices.index, asof)
    end = prices.index[pos]
    start = end - pd.Timedelta(days=window)
    p1 = prices.iloc[pos]
    p0 = prices.loc[start] if start in prices.index else pd.Series(np.nan, index=prices.columns)
    return p1 / p0 - 1.0


def ytd_return(prices: pd.DataFrame, asof: DateLike | None = None) -> pd.Series:
    """Year-to-date return: close on ``asof`` over the close of 31 December before.

    NaN when the series has no close on the previous 31 December.
    """
    _check_daily(prices)
    pos = _asof_pos(prices.index, asof)
    end = prices.index[pos]
    base = pd.Timestamp(year=end.year - 1, month=12, day=31)
    p0 = prices.loc[base] if base in prices.index else pd.Series(np.nan, index=prices.columns)
    return prices.iloc[pos] / p0 - 1.0


def calendar_year_returns(prices: pd.DataFrame, asof: DateLike | None = None) -> pd.DataFrame:
    """Calendar-year returns: close of 31 Dec Y over close of 31 Dec Y-1, minus 1.

    Parameters
    ----------
    prices
        Daily closes.
    asof
        Only years that ended on or before ``asof`` are reported (default:
        the last date).

    Returns
    -------
    DataFrame
        Index: year (int); columns as ``prices``. NaN when either year-end
        close is missing (e.g. the asset listed mid-year).
    """
    _check_daily(prices)
    pos = _asof_pos(prices.index, asof)
    end = prices.index[pos]
    first_year = prices.index[0].year
    years = list(range(first_year + 1, end.year + (1 if end.month == 12 and end.day == 31 else 0)))
    rows = {}
    for y in years:
        d0 = pd.Timestamp(year=y - 1, month=12, day=31)
        d1 = pd.Timestamp(year=y, month=12, day=31)
        p0 = prices.loc[d0] if d0 in prices.index else np.nan
        p1 = prices.loc[d1] if d1 in prices.index else np.nan
        rows[y] = p1 / p0 - 1.0
    out = (
        pd.DataFrame(rows, index=prices.columns).T
        if rows
        else pd.DataFrame(columns=prices.columns, dtype=float)
    )
    out.index.name = "year"
    return out.astype(float)


def drawdown(prices: F) -> F:
    """Drawdown ``close / running peak - 1`` (0 at a new peak, negative below).

    The running peak skips NaN; NaN where the close is missing. Shape as the input.
    """
    _check_daily(prices)
    peak = prices.cummax()
    return prices / peak - 1.0


def max_drawdown(prices: pd.DataFrame) -> pd.Series:
    """Deepest drawdown over the whole panel, per column (a negative fraction)."""
    return drawdown(prices).min()


def days_since_peak(prices: pd.DataFrame, asof: DateLike | None = None) -> pd.Series:
    """Calendar days from the running peak (up to ``asof``) to ``asof``.

    0 on a new high; NaN for a column with no price on ``asof`` (as
    :func:`drawdown`: a series that stopped, or an index with no constituent,
    may have made a new high since, so the count is unknown).
    """
    _check_daily(prices)
    pos = _asof_pos(prices.index, asof)
    hist = prices.iloc[: pos + 1]
    end = prices.index[pos]
    out = {}
    for col in hist.columns:
        s = hist[col].dropna()
        known = len(s) and s.index[-1] == end
        out[col] = float((end - s.idxmax()).days) if known else np.nan
    return pd.Series(out, dtype=float)
