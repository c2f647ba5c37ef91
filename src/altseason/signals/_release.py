"""Point-in-time macro inputs: when each FRED observation became public.

FRED dates an observation by the period it describes, not by the day it was
published. A monthly M2 value dated 2025-11-01 (the November average) was
published on 2025-12-23, so a strategy that reads it on 2025-11-02 looks
52 days ahead. :data:`PUBLICATION_LAGS` states, per series, when a value
dated ``d`` becomes known; :func:`release_dates` applies it and
:func:`asof_released` places a series on calendar days as of its *release*
date. :class:`~altseason.strategies.MarketData` and the signals use these by
default.

The rules (release times are US Eastern afternoons, before the 00:00 UTC
daily close, so a value is usable at the close of its release day):

========== ========================== ============================================
series     published                  rule (``d`` = observation date)
========== ========================== ============================================
M2SL       H.6, monthly, 4th Tuesday  4th Tuesday of the month after ``d``'s month
           of the following month     (Nov 2025 -> 2025-12-23)
WM2NS      H.6 weekly, same release   4th Tuesday of the month after ``d``'s month
WALCL      H.4.1, Thursday 4:30 pm    ``d`` (Wednesday level) + 1 day
WTREGEN    H.4.1, Thursday 4:30 pm    ``d`` (week ending Wednesday) + 1 day
RRPONTSYD  NY Fed, FRED next day      ``d`` + 1 day
DGS10      H.15, next business day    ``d`` + 1 day
DTWEXBGS   H.10, Monday for the week  ``d`` + 7 days (conservative)
CPIAUCSL   BLS, mid next month        15th of the month after ``d``'s month
SP500,     market closes              ``d`` (same day)
GOLD,
SILVER
========== ========================== ============================================

The H.6 rule follows the Federal Reserve's schedule since 23 February 2021
(the release moved to monthly, on the fourth Tuesday). The CPI rule is an
approximation of the BLS calendar (releases fall between the 10th and the
15th); using the 15th never reads a value early. A series not in the table
raises :class:`~altseason.exceptions.ValidationError`: say its lag explicitly
with ``lag_days``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "PUBLICATION_LAGS",
    "ReleaseRule",
    "asof_released",
    "point_in_time_liquidity",
    "release_dates",
]


@dataclass(frozen=True)
class ReleaseRule:
    """When a value dated ``d`` is published.

    ``kind`` is ``"days"`` (``d + days``), ``"fourth_tuesday_next_month"`` or
    ``"day_of_next_month"`` (day ``days`` of the month after ``d``'s month).
    """

    kind: str
    days: int
    note: str

    def apply(self, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
        d = pd.DatetimeIndex(dates).normalize()
        if self.kind == "days":
            return d + pd.Timedelta(days=self.days)
        first_next = (d + pd.offsets.MonthBegin(1)).normalize()
        # MonthBegin(1) on the 1st already moves a month; on other days too.
        if self.kind == "day_of_next_month":
            return first_next + pd.Timedelta(days=self.days - 1)
        if self.kind == "fourth_tuesday_next_month":
            # weekday(): Monday 0, Tuesday 1.
            to_tue = (1 - first_next.day_of_week) % 7
            return first_next + pd.to_timedelta(np.asarray(to_tue) + 21, unit="D")
        raise ValidationError(f"unknown release rule kind {self.kind!r}")


PUBLICATION_LAGS: dict[str, ReleaseRule] = {
    "M2SL": ReleaseRule("fourth_tuesday_next_month", 0, "H.6 monthly, 4th Tuesday next month"),
    "WM2NS": ReleaseRule("fourth_tuesday_next_month", 0, "H.6 weekly data, monthly release"),
    "WALCL": ReleaseRule("days", 1, "H.4.1 Wednesday level, published Thursday"),
    "WTREGEN": ReleaseRule("days", 1, "H.4.1 week ending Wednesday, published Thursday"),
    "RRPONTSYD": ReleaseRule("days", 1, "NY Fed daily operation, on FRED the next day"),
    "DGS10": ReleaseRule("days", 1, "H.15 daily, next business day"),
    "DTWEXBGS": ReleaseRule("days", 7, "H.10 weekly, conservative one week"),
    "CPIAUCSL": ReleaseRule("day_of_next_month", 15, "BLS CPI, 10th-15th of next month"),
    "SP500": ReleaseRule("days", 0, "market close"),
    "GOLD": ReleaseRule("days", 0, "market close"),
    "SILVER": ReleaseRule("days", 0, "market close"),
}
"""Series id -> publication rule (see the module docstring for sources)."""


def _rule(series_id: str) -> ReleaseRule:
    rule = PUBLICATION_LAGS.get(str(series_id).upper())
    if rule is None:
        raise ValidationError(
            f"no publication lag known for series {series_id!r}; known: "
            f"{', '.join(sorted(PUBLICATION_LAGS))}. Pass lag_days explicitly."
        )
    return rule


def release_dates(series_id: str, dates: pd.DatetimeIndex | pd.Series) -> pd.DatetimeIndex:
    """The day each observation of ``series_id`` dated ``dates`` became known."""
    return _rule(series_id).apply(pd.DatetimeIndex(dates))


def asof_released(
    series: pd.Series, series_id: str | None = None, index: pd.DatetimeIndex | None = None
) -> pd.Series:
    """Place observations on calendar days as of their release dates.

    Parameters
    ----------
    series
        Observations indexed by FRED observation date (NaN = gap, dropped).
    series_id
        Which publication rule to use (default ``series.name``).
    index
        Days to return (default every day from the first release to the last).

    Returns
    -------
    Series
        On each day, the latest observation (by observation date) already
        released on or before that day; NaN before the first release.
    """
    sid = series_id if series_id is not None else series.name
    if sid is None:
        raise ValidationError("asof_released needs a series_id (or a named series)")
    s = pd.to_numeric(series, errors="coerce").astype(float).dropna()
    s.index = pd.DatetimeIndex(pd.to_datetime(s.index)).normalize()
    s = s[~s.index.duplicated(keep="last")].sort_index()
    rel = release_dates(str(sid), s.index)
    # Release dates are monotone in observation dates for every rule above.
    if index is None:
        if s.empty:
            return pd.Series(dtype=float, name=series.name)
        index = pd.date_range(rel[0], rel[-1], freq="D", name="date")
    idx = pd.DatetimeIndex(index)
    pos = rel.searchsorted(idx, side="right") - 1
    out = np.full(len(idx), np.nan)
    ok = pos >= 0
    out[ok] = s.to_numpy()[pos[ok]]
    return pd.Series(out, index=idx, name=series.name)


def point_in_time_liquidity(
    macro: dict[str, pd.Series], index: pd.DatetimeIndex
) -> pd.Series | None:
    """The liquidity series strategies read, each input as of its release date.

    Fed net liquidity ``WALCL - RRPONTSYD - WTREGEN`` in billions of USD when
    all three series are given, else ``M2SL``; ``None`` when neither is
    available. Each input uses its own rule from :data:`PUBLICATION_LAGS`.
    """
    from altseason.analytics import FRED_UNITS_BILLIONS

    have = {k for k, v in macro.items() if v is not None and v.notna().any()}
    if {"WALCL", "RRPONTSYD", "WTREGEN"} <= have:
        parts = [
            asof_released(macro[sid], sid, index) * FRED_UNITS_BILLIONS[sid]
            for sid in ("WALCL", "RRPONTSYD", "WTREGEN")
        ]
        return (parts[0] - parts[1] - parts[2]).rename("net_liquidity")
    if "M2SL" in have:
        return asof_released(macro["M2SL"], "M2SL", index).rename("M2SL")
    return None
