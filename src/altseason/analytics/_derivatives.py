"""Perpetual funding, futures basis and open-interest trends.

Funding rates are decimals per funding interval (0.0001 = 0.01 % per 8 h).
Annualised funding = ``rate x (24 / interval_hours) x 365`` (simple, no
compounding). Days are UTC calendar days.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason._typing import FloatArray
from altseason.exceptions import ValidationError

__all__ = [
    "annualised_funding",
    "daily_funding",
    "futures_basis",
    "open_interest_trend",
]


def annualised_funding(rate: Any, interval_hours: Any = 8.0) -> Any:
    """Annualised funding: ``rate x (24 / interval_hours) x 365``.

    Parameters
    ----------
    rate
        Funding per interval, decimal (scalar, array, Series or DataFrame).
    interval_hours
        Hours between fundings (8 on Binance/Bybit/Deribit by default; 1 on
        some venues); broadcast against ``rate``.

    Returns
    -------
    Same type as ``rate``
        Decimal per year (0.1095 = 10.95 % a year for 0.01 % every 8 h).
    """
    hours = np.asarray(interval_hours, dtype=float)
    if np.any(~(hours > 0)):
        raise ValidationError(f"interval_hours must be positive, got {interval_hours!r}.")
    return rate * (24.0 / interval_hours) * 365.0


def daily_funding(
    funding: pd.DataFrame,
    *,
    assets: list[str] | None = None,
    weighting: Literal["equal", "open_interest"] = "equal",
) -> pd.DataFrame:
    """Daily funding per asset, aggregated across venues.

    Each venue's funding for one UTC day is the mean rate observed that day
    times the fundings per day, ``24 / interval_hours`` (three 8-hour
    fundings sum to the same; a source recording one 8-hour rate per day,
    e.g. Coinalyze's daily close, counts it three times instead of once).
    Rows without ``interval_hours`` are summed as they are (a day's total),
    then venues are
    averaged: equally, or weighted by the day's mean ``open_interest_usd``
    (venues without OI get no weight; equal weights when no venue has OI).

    Parameters
    ----------
    funding
        Long ``funding`` table: ``ts, venue, asset_id, rate``; optional
        ``instrument``, ``interval_hours``, ``open_interest_usd``.
    assets
        Asset ids to keep (default all).
    weighting
        ``"equal"`` or ``"open_interest"``.

    Returns
    -------
    DataFrame
        ``(n_days, n_assets)`` daily funding, decimal per day, on a full daily
        index (NaN on days without data). Multiply by 365 to annualise.
    """
    need = ["ts", "venue", "asset_id", "rate"]
    missing = [c for c in need if c not in funding.columns]
    if missing:
        raise ValidationError(
            f"funding frame lacks column(s) {missing}; expected the funding table."
        )
    if weighting not in ("equal", "open_interest"):
        raise ValidationError(f"weighting must be 'equal' or 'open_interest', got {weighting!r}.")
    f = funding.copy()
    if assets is not None:
        f = f.loc[f["asset_id"].isin(assets)]
    if f.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
    f["date"] = pd.to_datetime(f["ts"]).dt.normalize()
    if "open_interest_usd" not in f.columns:
        f["open_interest_usd"] = np.nan
    if "interval_hours" not in f.columns:
        f["interval_hours"] = np.nan
    hours = pd.to_numeric(f["interval_hours"], errors="coerce")
    f["per_day"] = 24.0 / hours.where(hours > 0)
    per_venue = f.groupby(["date", "asset_id", "venue"]).agg(
        total=("rate", "sum"),
        mean=("rate", "mean"),
        per_day=("per_day", "mean"),
        oi=("open_interest_usd", "mean"),
    )
    per_venue["rate"] = (per_venue["mean"] * per_venue["per_day"]).where(
        per_venue["per_day"].notna(), per_venue["total"]
    )
    if weighting == "open_interest":
        w = per_venue["oi"].where(per_venue["oi"] > 0)
        has_w = w.groupby(level=["date", "asset_id"]).transform("count") > 0
        w = w.where(has_w, 1.0).fillna(0.0)
    else:
        w = pd.Series(1.0, index=per_venue.index)
    num = (per_venue["rate"] * w).groupby(level=["date", "asset_id"]).sum()
    den = w.groupby(level=["date", "asset_id"]).sum()
    daily = (num / den).unstack("asset_id")
    full = pd.date_range(daily.index.min(), daily.index.max(), freq="D", name="date")
    daily = daily.reindex(full).astype(float)
    daily.columns.name = "asset_id"
    return daily


def futures_basis(spot: Any, future: Any, t_years: Any) -> dict[str, FloatArray]:
    """Basis of a dated future over spot.

    Parameters
    ----------
    spot, future
        Prices in the same unit (broadcast).
    t_years
        Time to the future's expiry in years (ACT/365), positive.

    Returns
    -------
    dict of ndarray
        ``basis`` (future - spot), ``premium`` (future / spot - 1),
        ``annualised`` (premium / t, simple) and ``annualised_log``
        (ln(future / spot) / t, the continuously compounded carry).
        NaN where ``t <= 0`` or a price is not positive.
    """
    s, f, t = np.broadcast_arrays(
        np.asarray(spot, dtype=float),
        np.asarray(future, dtype=float),
        np.asarray(t_years, dtype=float),
    )
    ok = (s > 0) & (f > 0) & (t > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        prem = np.where(ok, f / s - 1.0, np.nan)
        ann = np.where(ok, prem / t, np.nan)
        ann_log = np.where(ok, np.log(f / s) / t, np.nan)
    return {
        "basis": np.asarray(np.where(s > 0, f - s, np.nan), dtype=float),
        "premium": np.asarray(prem, dtype=float),
        "annualised": np.asarray(ann, dtype=float),
        "annualised_log": np.asarray(ann_log, dtype=float),
    }


def open_interest_trend(
    open_interest: pd.Series | pd.DataFrame, *, window: int = 30
) -> pd.DataFrame:
    """Trend figures of perp open interest.

    Parameters
    ----------
    open_interest
        Daily OI in USD: a Series (one asset) or a ``(n_dates, n_assets)`` panel
        (summarised per asset at the last date).
    window
        Days in the change, average and z-score.

    Returns
    -------
    DataFrame
        For a Series: per date ``open_interest``, ``change`` (OI / OI
        ``window`` days earlier - 1), ``ratio_to_mean`` (OI / trailing
        ``window``-day mean) and ``zscore`` (against the trailing mean and
        standard deviation, including the day). For a panel: one row per asset
        with those figures at the last date. NaN until ``window`` days exist.
    """
    if window < 2:
        raise ValidationError(f"window must be at least 2 days, got {window}.")
    if isinstance(open_interest, pd.DataFrame):
        rows = {
            str(c): open_interest_trend(open_interest[c], window=window).iloc[-1]
            for c in open_interest.columns
        }
        out = pd.DataFrame(rows).T
        out.index.name = "asset_id"
        return out
    oi = open_interest.astype(float)
    mean = oi.rolling(window, min_periods=window).mean()
    std = oi.rolling(window, min_periods=window).std()
    return pd.DataFrame(
        {
            "open_interest": oi,
            "change": oi / oi.shift(window) - 1.0,
            "ratio_to_mean": oi / mean,
            "zscore": (oi - mean) / std,
        }
    )
