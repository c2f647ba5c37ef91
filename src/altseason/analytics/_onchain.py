"""On-chain cost basis and support bands (DESIGN.md, "Realized price").

* realized price = realized cap / supply (USD per coin); when only MVRV is
  known, realized price = price / MVRV (same thing: MVRV = market cap /
  realized cap = price / realized price);
* MVRV = market cap / realized cap;
* support bands: realized price, the ETF holders' cost basis
  (:func:`altseason.analytics.holders_cost_basis`) and the 200-week moving
  average of the daily close, with the distance of price to each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "moving_average_200w",
    "mvrv",
    "realized_price",
    "realized_price_from_mvrv",
    "support_bands",
    "support_levels",
]


def _ratio(num: Any, den: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(den, (pd.Series, pd.DataFrame)):
            return num / den.where(den > 0)
        d = np.asarray(den, dtype=float)
        return np.where(d > 0, np.asarray(num, dtype=float) / np.where(d > 0, d, 1.0), np.nan)


def realized_price(realized_cap: Any, supply: Any) -> Any:
    """Realized price = realized cap (USD) / supply (coins); NaN where supply <= 0."""
    return _ratio(realized_cap, supply)


def realized_price_from_mvrv(price: Any, mvrv_ratio: Any) -> Any:
    """Realized price = price / MVRV; NaN where MVRV <= 0 or missing."""
    return _ratio(price, mvrv_ratio)


def mvrv(market_cap: Any, realized_cap: Any) -> Any:
    """MVRV = market cap / realized cap (both USD); NaN where realized cap <= 0."""
    return _ratio(market_cap, realized_cap)


def moving_average_200w(close: pd.Series) -> pd.Series:
    """200-week moving average: the mean of the last 1,400 daily closes.

    The close series is put on a full daily index first (gaps stay NaN and
    are skipped); the average needs at least 1,400 days of history and at
    least 1,300 non-missing closes in the window, else NaN.
    """
    s = close.astype(float)
    s.index = pd.DatetimeIndex(s.index).normalize()
    s = s[~s.index.duplicated(keep="last")].sort_index()
    if s.empty:
        return s
    full = pd.date_range(s.index[0], s.index[-1], freq="D")
    daily = s.reindex(full)
    ma = daily.rolling(1400, min_periods=1300).mean()
    ma[np.arange(len(ma)) < 1399] = np.nan
    ma.name = "ma_200w"
    return ma.reindex(s.index)


def support_bands(
    close: pd.Series,
    *,
    realized: pd.Series | None = None,
    etf_cost_basis: pd.Series | None = None,
    ma_200w: pd.Series | None = None,
    extra: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Support levels next to the price, with the distance to each.

    Parameters
    ----------
    close
        Daily closes (USD).
    realized
        Realized price (USD per coin).
    etf_cost_basis
        ETF holders' aggregate cost basis (USD per coin).
    ma_200w
        200-week average; computed from ``close`` when not given.
    extra
        Further named levels.

    Returns
    -------
    DataFrame
        Index: the dates of ``close``; ``close``, one column per band (the
        level as of each date: the band's last value on or before it, no
        look-ahead) and ``<band>_distance`` = close / band - 1 (positive: price
        above the band).
    """
    px = close.astype(float)
    px.index = pd.DatetimeIndex(px.index).normalize()
    bands: dict[str, pd.Series] = {}
    if realized is not None:
        bands["realized_price"] = realized
    if etf_cost_basis is not None:
        bands["etf_cost_basis"] = etf_cost_basis
    bands["ma_200w"] = ma_200w if ma_200w is not None else moving_average_200w(px)
    for name, s in (extra or {}).items():
        if name in bands or name == "close":
            raise ValidationError(f"support band name {name!r} is taken; rename it.")
        bands[name] = s
    out = pd.DataFrame({"close": px})
    for name, s in bands.items():
        lvl = s.astype(float).dropna()
        lvl.index = pd.DatetimeIndex(lvl.index).normalize()
        lvl = lvl[~lvl.index.duplicated(keep="last")].sort_index()
        aligned = lvl.reindex(lvl.index.union(px.index)).ffill().reindex(px.index)
        out[name] = aligned
        out[f"{name}_distance"] = px / aligned.where(aligned > 0) - 1.0
    out.index.name = "date"
    return out


def support_levels(bands: pd.DataFrame, asof: Any = None) -> pd.DataFrame:
    """The support table at one date (default the last with a close).

    Parameters
    ----------
    bands
        Output of :func:`support_bands`.
    asof
        Date to read (the last row on or before it).

    Returns
    -------
    DataFrame
        Index ``band``; columns ``level`` (USD), ``close``, ``distance``
        (close / level - 1) and ``position`` (``above``/``below``/NaN),
        sorted by level descending.
    """
    frame = bands.dropna(subset=["close"])
    if asof is not None:
        frame = frame.loc[: pd.Timestamp(asof)]
    if frame.empty:
        raise ValidationError("no close on or before the requested date for the support table.")
    row = frame.iloc[-1]
    names = [c for c in bands.columns if c != "close" and not c.endswith("_distance")]
    out = pd.DataFrame(
        {
            "level": [float(row[n]) for n in names],
            "close": float(row["close"]),
            "distance": [float(row[f"{n}_distance"]) for n in names],
        },
        index=pd.Index(names, name="band"),
    )
    out["position"] = [
        None if pd.isna(d) else ("above" if d >= 0 else "below") for d in out["distance"]
    ]
    out.attrs["date"] = frame.index[-1]
    return out.sort_values("level", ascending=False)
