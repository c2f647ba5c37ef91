"""Macro liquidity: M2 growth, Fed net liquidity, market cap / M2, rates.

Units (FRED):

* ``M2SL`` (monthly) and ``WM2NS`` (weekly): billions of USD;
* ``WALCL`` (Fed total assets, weekly, Wednesday level): **millions** of USD;
* ``WTREGEN`` (Treasury General Account, weekly): **millions** of USD;
* ``RRPONTSYD`` (overnight reverse repo, daily): **billions** of USD;
* ``DGS10`` (10-year Treasury yield, daily): percent.

:func:`net_liquidity` converts everything to billions of USD. Lower-frequency
series are placed on calendar days *as of* their observation date (the last
observation on or before the day; an optional ``lag_days`` delays each
observation further, e.g. 1 for WALCL, published the day after its Wednesday
date, or ~14 for monthly M2), so no day sees a value dated after it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "FRED_UNITS_BILLIONS",
    "asof_daily",
    "lagged_correlation",
    "liquidity_btc_correlation",
    "m2_yoy",
    "market_cap_to_m2",
    "net_liquidity",
    "rate_changes",
    "year_over_year",
]

FRED_UNITS_BILLIONS: dict[str, float] = {
    "WALCL": 1e-3,
    "WTREGEN": 1e-3,
    "RRPONTSYD": 1.0,
    "M2SL": 1.0,
    "WM2NS": 1.0,
}
"""Multiplier turning each FRED series' native unit into billions of USD."""


def _clean(series: pd.Series) -> pd.Series:
    s = pd.to_numeric(series, errors="coerce").astype(float).dropna()
    s.index = pd.DatetimeIndex(pd.to_datetime(s.index)).normalize()
    return s[~s.index.duplicated(keep="last")].sort_index()


def asof_daily(
    series: pd.Series, index: pd.DatetimeIndex | None = None, *, lag_days: int | None = None
) -> pd.Series:
    """Place a series on calendar days as of its observation dates.

    Parameters
    ----------
    series
        Observations (index: dates; NaN values are dropped as FRED gaps).
    index
        Days to return (default every day from the first observation, shifted by
        the lag, to the last).
    lag_days
        Days after its date an observation becomes usable (>= 0). Default: when
        ``series.name`` is a FRED id with a known publication rule
        (:data:`altseason.signals.PUBLICATION_LAGS`, e.g. ``M2SL`` counts from
        the fourth Tuesday of the next month), that rule; otherwise 0.

    Returns
    -------
    Series
        On each day, the last observation whose date + ``lag_days`` is on or
        before it; NaN before the first.
    """
    if lag_days is None:
        from altseason.signals._release import PUBLICATION_LAGS, asof_released

        if str(series.name).upper() in PUBLICATION_LAGS:
            return asof_released(series, str(series.name).upper(), index)
        lag_days = 0
    if lag_days < 0:
        raise ValidationError(f"lag_days must be >= 0 (no look-ahead), got {lag_days}.")
    s = _clean(series)
    s.index = s.index + pd.Timedelta(days=lag_days)
    if index is None:
        if s.empty:
            return s
        index = pd.date_range(s.index[0], s.index[-1], freq="D", name="date")
    idx = pd.DatetimeIndex(index)
    pos = s.index.searchsorted(idx, side="right") - 1
    vals = s.to_numpy()
    out = np.full(len(idx), np.nan)
    ok = pos >= 0
    out[ok] = vals[pos[ok]]
    return pd.Series(out, index=idx, name=series.name)


def year_over_year(series: pd.Series, *, tolerance_days: int = 7) -> pd.Series:
    """Growth over one year: ``x_t / x_(t - 1 year) - 1`` at each observation.

    The base is the last observation on or before the same calendar day a
    year earlier, and must lie within ``tolerance_days`` of it (else NaN);
    monthly series dated on the 1st match exactly.

    Returns
    -------
    Series
        Decimal growth on the input's observation dates.
    """
    s = _clean(series)
    target = s.index - pd.DateOffset(years=1)
    pos = s.index.searchsorted(target, side="right") - 1
    vals = s.to_numpy()
    base = np.full(len(s), np.nan)
    ok = pos >= 0
    base[ok] = vals[pos[ok]]
    lagged_dates = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    lagged_dates[ok] = s.index.to_numpy()[pos[ok]]
    gap = (target.to_numpy() - lagged_dates) / np.timedelta64(1, "D")
    base = np.where(ok & (gap <= tolerance_days), base, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = vals / np.where(base > 0, base, np.nan) - 1.0
    return pd.Series(out, index=s.index, name=f"{series.name or 'value'}_yoy")


def m2_yoy(m2: pd.Series) -> pd.Series:
    """M2 year-on-year growth (decimal); see :func:`year_over_year`."""
    return year_over_year(m2)


def net_liquidity(
    walcl: pd.Series,
    rrp: pd.Series,
    tga: pd.Series,
    *,
    index: pd.DatetimeIndex | None = None,
    lag_days: int = 0,
) -> pd.DataFrame:
    """Fed net liquidity = WALCL - RRPONTSYD - WTREGEN, in billions of USD.

    Parameters
    ----------
    walcl
        Fed total assets, FRED units (millions of USD).
    rrp
        Overnight reverse repo, FRED units (billions of USD).
    tga
        Treasury General Account, FRED units (millions of USD).
    index
        Days to return (default every day from the first day all three are
        known to the last observation of any).
    lag_days
        Publication delay applied to every series (see :func:`asof_daily`).

    Returns
    -------
    DataFrame
        Daily ``walcl, rrp, tga, net_liquidity`` in billions of USD, each input
        forward-filled as of its observation dates (no look-ahead).
    """
    parts = {
        "walcl": _clean(walcl) * FRED_UNITS_BILLIONS["WALCL"],
        "rrp": _clean(rrp) * FRED_UNITS_BILLIONS["RRPONTSYD"],
        "tga": _clean(tga) * FRED_UNITS_BILLIONS["WTREGEN"],
    }
    for name, s in parts.items():
        if s.empty:
            raise ValidationError(f"net liquidity needs {name.upper()} observations; none given.")
    if index is None:
        start = max(s.index[0] for s in parts.values()) + pd.Timedelta(days=lag_days)
        end = max(s.index[-1] for s in parts.values()) + pd.Timedelta(days=lag_days)
        index = pd.date_range(start, end, freq="D", name="date")
    out = pd.DataFrame({k: asof_daily(v, index, lag_days=lag_days) for k, v in parts.items()})
    out["net_liquidity"] = out["walcl"] - out["rrp"] - out["tga"]
    out.index.name = "date"
    return out


def market_cap_to_m2(
    market_cap_usd: pd.Series, m2_billions: pd.Series, *, lag_days: int = 0
) -> pd.Series:
    """Market cap (USD) / M2 (FRED billions x 1e9), M2 taken as of each day.

    Returns
    -------
    Series
        On the market-cap dates; NaN before the first M2 observation.
    """
    mc = _clean(market_cap_usd)
    m2 = asof_daily(m2_billions, pd.DatetimeIndex(mc.index), lag_days=lag_days) * 1e9
    out = mc / m2.where(m2 > 0)
    out.name = "market_cap_to_m2"
    return out


def rate_changes(yields: pd.Series, *, windows: Iterable[int] = (1, 7, 30, 90)) -> pd.DataFrame:
    """A yield's level and its changes in basis points.

    Parameters
    ----------
    yields
        Yield in percent (FRED ``DGS10``); blanks are FRED holidays.
    windows
        Calendar-day windows of the changes.

    Returns
    -------
    DataFrame
        Daily (as of, forward-filled over holidays): ``level`` (percent) and
        ``change_<w>d_bp`` = (level - level ``w`` days earlier) x 100.
    """
    lvl = asof_daily(yields, lag_days=0)
    out = pd.DataFrame({"level": lvl})
    for w in windows:
        out[f"change_{int(w)}d_bp"] = (lvl - lvl.shift(int(w))) * 100.0
    out.index.name = "date"
    return out


def lagged_correlation(
    x: pd.Series, y: pd.Series, lags: Iterable[int] = range(-4, 5)
) -> pd.DataFrame:
    """Pearson correlation of ``x`` shifted by each lag with ``y``.

    ``corr(x_(t - lag), y_t)`` on the rows where both are present: a positive
    lag asks whether ``x`` leads ``y`` by ``lag`` rows.

    Returns
    -------
    DataFrame
        Index ``lag``; columns ``correlation`` and ``n_obs``.
    """
    xs, ys = x.astype(float), y.astype(float)
    rows = []
    for lag in lags:
        pair = pd.concat([xs.shift(int(lag)), ys], axis=1, join="inner").dropna()
        n = len(pair)
        corr = float(pair.iloc[:, 0].corr(pair.iloc[:, 1])) if n >= 3 else float("nan")
        rows.append({"lag": int(lag), "correlation": corr, "n_obs": n})
    return pd.DataFrame(rows).set_index("lag")


def liquidity_btc_correlation(
    liquidity: pd.Series,
    close: pd.Series,
    *,
    period_days: int = 7,
    lags: Iterable[int] = range(-8, 9),
) -> pd.DataFrame:
    """Lagged correlation of liquidity changes with BTC returns.

    Both series are put on calendar days as of their dates, sampled every
    ``period_days`` days ending on the last common day (non-overlapping
    periods), and turned into percentage changes per period. Lags count periods:
    a positive lag means liquidity changes lead BTC returns.

    Returns
    -------
    DataFrame
        Index ``lag``; ``lag_days``, ``correlation``, ``n_obs``.
    """
    if period_days < 1:
        raise ValidationError(f"period_days must be >= 1, got {period_days}.")
    liq = asof_daily(liquidity, lag_days=0)
    px = asof_daily(close, lag_days=0)
    start = max(liq.index[0], px.index[0])
    end = min(liq.index[-1], px.index[-1])
    if end <= start:
        raise ValidationError("liquidity and price series do not overlap in time.")
    n = (end - start).days // period_days + 1
    days = pd.date_range(end=end, periods=n, freq=f"{period_days}D")
    x = liq.reindex(days).pct_change()
    y = px.reindex(days).pct_change()
    out = lagged_correlation(x, y, lags)
    out.insert(0, "lag_days", out.index.to_numpy() * period_days)
    return out
