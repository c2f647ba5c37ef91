"""Crypto against gold, silver and the S&P 500.

Crypto trades every day, traditional markets on weekdays. Everything here is
computed on the **common dates** (days where both sides have a close): a
crypto return between two common dates folds in the weekend. Correlations are
Pearson on log returns between consecutive common dates.

The traditional series are read from the ``macro`` table (``series_id``
``GOLD``, ``SILVER``, ``SP500``; ``SPX`` is accepted for the S&P 500).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from altseason._typing import DateLike
from altseason.exceptions import DataUnavailableError, ValidationError

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = [
    "TRADFI_SERIES",
    "common_dates",
    "cross_asset_correlation",
    "cross_asset_ratios",
    "cross_asset_returns",
    "cross_asset_table",
    "load_tradfi",
    "rolling_cross_correlation",
]

TRADFI_SERIES: tuple[str, ...] = ("GOLD", "SILVER", "SP500")
"""Default traditional series (``macro.series_id``)."""

_ALIASES = {
    "SP500": ("SP500", "SPX", "^GSPC"),
    "GOLD": ("GOLD", "GC=F", "XAU"),
    "SILVER": ("SILVER", "SI=F", "XAG"),
}


def load_tradfi(
    store: Store,
    series: Sequence[str] = TRADFI_SERIES,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> pd.DataFrame:
    """Read traditional series from the ``macro`` table as a ``(n_dates, n_series)`` panel.

    Only the dates with a value appear (no calendar fill). A requested series
    is found under its aliases (``SPX`` for ``SP500``, ...); a missing one is
    an all-NaN column.
    """
    wanted = {s: _ALIASES.get(s, (s,)) for s in series}
    ids = sorted({a for al in wanted.values() for a in al})
    long = store.read_table("macro", start=start, end=end, series_id=ids)
    out = pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    if not long.empty:
        wide = long.pivot_table(index="date", columns="series_id", values="value", aggfunc="last")
        out = pd.DataFrame(index=pd.DatetimeIndex(wide.index, name="date"))
        for name, aliases in wanted.items():
            col = next((a for a in aliases if a in wide.columns), None)
            out[name] = wide[col] if col is not None else np.nan
    for name in series:
        if name not in out.columns:
            out[name] = np.nan
    return out.loc[:, list(series)].astype(float)


def common_dates(crypto: pd.DataFrame, tradfi: pd.DataFrame) -> pd.DatetimeIndex:
    """Dates where every crypto series and at least one traditional series has a value."""
    c = crypto.dropna(how="any").index
    t = tradfi.dropna(how="all").index
    return pd.DatetimeIndex(c.intersection(t)).sort_values()


def _aligned(
    crypto: pd.DataFrame, tradfi: pd.DataFrame, asof: DateLike | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if asof is not None:
        crypto = crypto.loc[: pd.Timestamp(asof)]
        tradfi = tradfi.loc[: pd.Timestamp(asof)]
    days = crypto.index.intersection(tradfi.index)
    if len(days) < 2:
        raise DataUnavailableError(
            "crypto and traditional series share fewer than two dates; import the macro "
            "series GOLD, SILVER and SP500 covering the price history."
        )
    return crypto.loc[days], tradfi.loc[days]


def cross_asset_returns(
    crypto: pd.DataFrame,
    tradfi: pd.DataFrame,
    window: int = 90,
    asof: DateLike | None = None,
) -> pd.Series:
    """Return over ``window`` calendar days ending ``asof`` for each series.

    Each side uses its last close on or before the window's two ends (crypto
    has one every day; markets close on weekends and holidays).

    Returns
    -------
    Series
        Indexed by series name (crypto then traditional); fractions.
    """
    end = pd.Timestamp(asof) if asof is not None else min(crypto.index[-1], tradfi.index[-1])
    start = end - pd.Timedelta(days=window)
    out = {}
    for frame in (crypto, tradfi):
        for col in frame.columns:
            s = frame[col].dropna()
            p1 = s.loc[:end]
            p0 = s.loc[:start]
            ok = (
                len(p1)
                and len(p0)
                and (end - p1.index[-1]).days <= 5
                and (start - p0.index[-1]).days <= 5
            )
            out[col] = float(p1.iloc[-1] / p0.iloc[-1] - 1.0) if ok else np.nan
    return pd.Series(out, name=f"return_{window}d")


def cross_asset_correlation(
    crypto: pd.DataFrame,
    tradfi: pd.DataFrame,
    window: int = 90,
    asof: DateLike | None = None,
    *,
    min_periods: int = 20,
) -> pd.DataFrame:
    """Correlation of crypto and traditional log returns over the last ``window`` calendar days.

    Returns between consecutive common dates; pairwise-complete; NaN with
    fewer than ``min_periods`` common returns.

    Returns
    -------
    DataFrame
        ``(n_crypto, n_tradfi)`` correlations.
    """
    c, t = _aligned(crypto, tradfi, asof)
    end = c.index[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        lc = np.log(c / c.shift(1))
        lt = np.log(t / t.shift(1))
    keep = lc.index > end - pd.Timedelta(days=window)
    lc, lt = lc.loc[keep], lt.loc[keep]
    out = pd.DataFrame(index=crypto.columns, columns=tradfi.columns, dtype=float)
    for a in crypto.columns:
        for b in tradfi.columns:
            out.loc[a, b] = lc[a].corr(lt[b], min_periods=min_periods)
    return out


def rolling_cross_correlation(
    crypto: pd.Series, tradfi: pd.Series, window: int = 60, *, min_periods: int | None = None
) -> pd.Series:
    """Rolling correlation of log returns over ``window`` common dates (trading days)."""
    c, t = _aligned(crypto.to_frame("c"), tradfi.to_frame("t"), None)
    with np.errstate(divide="ignore", invalid="ignore"):
        lc = np.log(c["c"] / c["c"].shift(1))
        lt = np.log(t["t"] / t["t"].shift(1))
    return (
        lc.rolling(window, min_periods=min_periods or window)
        .corr(lt)
        .rename(f"{crypto.name}/{tradfi.name}")
    )


def cross_asset_ratios(
    crypto: pd.DataFrame,
    tradfi: pd.DataFrame,
    window: int = 90,
    asof: DateLike | None = None,
) -> pd.DataFrame:
    """Price ratios crypto / traditional on common dates and their change over ``window``.

    ``BTC / GOLD`` is the number of gold units (futures quote: troy ounces)
    one BTC buys.

    Returns
    -------
    DataFrame
        Rows ``"<crypto>/<tradfi>"``; columns ``ratio`` (on the last common
        date), ``change`` (fraction over ``window`` calendar days) and ``date``.
    """
    c, t = _aligned(crypto, tradfi, asof)
    end = c.index[-1]
    start = end - pd.Timedelta(days=window)
    rows = []
    for a in crypto.columns:
        for b in tradfi.columns:
            r = (c[a] / t[b]).dropna()
            if r.empty:
                rows.append((f"{a}/{b}", np.nan, np.nan, pd.NaT))
                continue
            r0 = r.loc[:start]
            chg = float(r.iloc[-1] / r0.iloc[-1] - 1.0) if len(r0) else np.nan
            rows.append((f"{a}/{b}", float(r.iloc[-1]), chg, r.index[-1]))
    return pd.DataFrame(rows, columns=["pair", "ratio", "change", "date"]).set_index("pair")


def cross_asset_table(
    crypto: pd.DataFrame,
    tradfi: pd.DataFrame,
    window: int = 90,
    asof: DateLike | None = None,
) -> pd.DataFrame:
    """Returns, correlations and ratio changes of crypto series vs traditional ones.

    Returns
    -------
    DataFrame
        One row per crypto series: ``return`` over ``window`` days, and for
        each traditional series ``s``: ``corr_s``, ``ratio_s`` and
        ``ratio_change_s``; plus one row per traditional series with only
        its ``return``.
    """
    if crypto.empty or tradfi.empty:
        raise ValidationError("cross_asset_table needs non-empty crypto and traditional panels.")
    rets = cross_asset_returns(crypto, tradfi, window, asof)
    corr = cross_asset_correlation(crypto, tradfi, window, asof)
    ratios = cross_asset_ratios(crypto, tradfi, window, asof)
    out = pd.DataFrame(index=[*crypto.columns, *tradfi.columns])
    out["return"] = rets.reindex(out.index)
    for b in tradfi.columns:
        out[f"corr_{b}"] = corr[b].reindex(out.index)
        out[f"ratio_{b}"] = [
            ratios.loc[f"{a}/{b}", "ratio"] if a in crypto.columns else np.nan for a in out.index
        ]
        out[f"ratio_change_{b}"] = [
            ratios.loc[f"{a}/{b}", "change"] if a in crypto.columns else np.nan for a in out.index
        ]
    out.index.name = "series"
    return out
