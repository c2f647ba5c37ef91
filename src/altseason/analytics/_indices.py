"""Capped cap-weighted and equal-weighted indices with drifting weights.

Method (DESIGN.md, "Indices"):

* On each rebalance date r the constituents are the assets that are members
  on r (tier, sector or the whole non-stable market) **and** have a close on r.
  Cap weights use the market cap known on r (last value at most
  ``max_stale_days`` old); equal weights are ``1 / n``.
* Cap weights are capped at ``cap`` (default 25%): the excess of every capped
  constituent is redistributed pro rata to the uncapped ones, repeated until
  no weight exceeds the cap. When ``n * cap < 1`` the cap cannot hold and the
  weights are equal.
* Between rebalances the index holds fixed units, so weights drift with
  prices. A constituent that stops trading is valued at its last close until
  the next rebalance, where it is dropped (it has no close on that date).
* Every value on day t uses only closes, caps and memberships known on or
  before t: the index has no look-ahead, and since membership is point in
  time it is free of survivorship bias.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from altseason._typing import DateLike, FloatArray
from altseason.exceptions import ValidationError
from altseason.universe import (
    STABLECOIN_SECTOR,
    TIERS,
    eligible,
    known_market_cap,
    rebalance_positions,
)

__all__ = [
    "SECTOR_METHOD",
    "IndexResult",
    "build_index",
    "capped_weights",
    "market_index",
    "sector_indices",
    "sector_returns",
    "tier_indices",
]

Weighting = Literal["cap", "equal"]


def capped_weights(values: FloatArray, cap: float | None = 0.25) -> FloatArray:
    """Weights proportional to ``values`` with no weight above ``cap``.

    Parameters
    ----------
    values
        Non-negative weighting basis (e.g. market caps); NaN or <= 0 gets 0.
    cap
        Maximum weight per constituent in (0, 1]; ``None`` for no cap.

    Returns
    -------
    ndarray
        Weights summing to 1 (all zeros when nothing is positive). Excess above
        the cap is redistributed pro rata among the uncapped constituents,
        iteratively. If ``n * cap < 1`` the weights are equal (``1 / n``).
    """
    v = np.where(np.isfinite(values) & (values > 0), values, 0.0).astype(float)
    n = int((v > 0).sum())
    if n == 0:
        return np.zeros_like(v)
    w = v / v.sum()
    if cap is None or cap >= 1.0:
        return w
    if not 0 < cap <= 1:
        raise ValidationError(f"cap must be in (0, 1], got {cap}.")
    if n * cap < 1.0 - 1e-12:
        return np.where(v > 0, 1.0 / n, 0.0)
    capped = np.zeros(len(v), dtype=bool)
    while True:
        free = (v > 0) & ~capped
        w = np.where(capped, cap, 0.0)
        if free.any():
            w[free] = (1.0 - cap * capped.sum()) * v[free] / v[free].sum()
        newly = free & (w > cap * (1.0 + 1e-12))
        if not newly.any():
            break
        capped |= newly
    return w


@dataclass
class IndexResult:
    """An index level series and what it held.

    Attributes
    ----------
    level
        Index level (``base`` on the first rebalance with constituents; NaN
        before). Daily, same index as the prices.
    weights
        ``(n_rebalances, n_assets)`` target weights set on each rebalance date.
    constituents
        Number of constituents set on each rebalance date.
    """

    level: pd.Series
    weights: pd.DataFrame
    constituents: pd.Series

    @property
    def returns(self) -> pd.Series:
        """Daily simple returns of the level."""
        return self.level / self.level.shift(1) - 1.0

    @property
    def known_level(self) -> pd.Series:
        """The level, NaN over every rebalance period that found no constituent.

        :func:`build_index` holds such a period flat (cash), right for a
        strategy but false for a market index: with market caps older than the
        staleness bound (snapshots ending months before the prices) a flat
        level would read as a 0 % return of the tier or sector. Unknown is
        stated as unknown.
        """
        level = self.level.copy()
        counts = self.constituents
        if counts.empty or (counts > 0).all():
            return level
        pos = level.index.get_indexer(counts.index)
        bounds = [*pos.tolist(), len(level)]
        for k, n in enumerate(counts.to_numpy()):
            if n == 0:
                level.iloc[bounds[k] : bounds[k + 1]] = np.nan
        return level


def _aligned(frame: pd.DataFrame | None, like: pd.DataFrame, name: str) -> pd.DataFrame | None:
    if frame is None:
        return None
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValidationError(f"{name} needs a DatetimeIndex of UTC days.")
    return frame.reindex(index=like.index, columns=like.columns)


def build_index(
    prices: pd.DataFrame,
    members: pd.DataFrame | None = None,
    *,
    weighting: Weighting = "cap",
    market_cap: pd.DataFrame | None = None,
    cap: float | None = 0.25,
    rebalance: str | Sequence[DateLike] = "MS",
    base: float = 100.0,
    max_stale_days: int = 35,
    name: str = "index",
) -> IndexResult:
    """Build one index from a price panel and a membership panel.

    Parameters
    ----------
    prices
        ``(n_dates, n_assets)`` daily closes in USD on a daily DatetimeIndex.
    members
        Boolean panel (same grid) of membership; read only on rebalance dates.
        Default: every asset with a close.
    weighting
        ``"cap"`` (capped market-cap weights) or ``"equal"``.
    market_cap
        Market caps in USD (required for ``"cap"``); may be sparse, the value
        known on a rebalance date is the last one at most ``max_stale_days`` old.
    cap
        Per-constituent weight cap for ``"cap"`` weighting (``None``: uncapped).
    rebalance
        Rebalance frequency alias or dates (see
        :func:`altseason.universe.rebalance_positions`).
    base
        Level on the first rebalance date with at least one constituent.

    Returns
    -------
    IndexResult
        Level series named ``name``; if a rebalance finds no constituent the
        level stays flat (cash) until the next rebalance.
    """
    if weighting not in ("cap", "equal"):
        raise ValidationError(f"weighting must be 'cap' or 'equal', got {weighting!r}.")
    if weighting == "cap" and market_cap is None:
        raise ValidationError("cap weighting needs market_cap; pass it or use weighting='equal'.")
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise ValidationError("prices need a DatetimeIndex of UTC days.")
    px = prices.to_numpy(dtype=float)
    pff = prices.ffill().to_numpy(dtype=float)
    mem_f = _aligned(members, prices, "members")
    mem = (
        mem_f.fillna(False).to_numpy(dtype=bool)
        if mem_f is not None
        else np.ones(px.shape, dtype=bool)
    )
    mcap_f = _aligned(market_cap, prices, "market_cap")
    mcap = (
        known_market_cap(mcap_f, max_stale_days).to_numpy(dtype=float)
        if mcap_f is not None
        else None
    )
    n_dates, n_assets = px.shape
    pos = rebalance_positions(prices.index, rebalance)
    level = np.full(n_dates, np.nan)
    weights = np.zeros((len(pos), n_assets))
    counts = np.zeros(len(pos), dtype=np.int64)
    bounds = [*pos.tolist(), n_dates]
    value = np.nan
    for k, r in enumerate(pos):
        end = bounds[k + 1]
        ok = mem[r] & np.isfinite(px[r]) & (px[r] > 0)
        if weighting == "cap":
            assert mcap is not None
            basis = np.where(ok, mcap[r], np.nan)
            w = capped_weights(basis, cap)
        else:
            w = np.where(ok, 1.0, 0.0)
            w = w / w.sum() if w.sum() > 0 else w
        weights[k] = w
        counts[k] = int((w > 0).sum())
        if counts[k] == 0:
            if np.isfinite(value):
                level[r:end] = value
            continue
        if not np.isfinite(value):
            value = base
        held = np.flatnonzero(w > 0)
        units = w[held] * value / px[r, held]
        path = pff[r:end][:, held] @ units
        level[r:end] = path
        if end < n_dates:
            # value at the next rebalance with the old holdings (last known closes)
            value = float(pff[end, held] @ units)
    dates = prices.index[pos]
    return IndexResult(
        level=pd.Series(level, index=prices.index, name=name),
        weights=pd.DataFrame(weights, index=dates, columns=prices.columns),
        constituents=pd.Series(counts, index=dates, name=name),
    )


def _group_indices(
    prices: pd.DataFrame,
    groups: Mapping[str, pd.DataFrame],
    *,
    weighting: Weighting,
    market_cap: pd.DataFrame | None,
    cap: float | None,
    rebalance: str | Sequence[DateLike],
    max_stale_days: int,
) -> pd.DataFrame:
    out = {}
    for name, members in groups.items():
        res = build_index(
            prices,
            members,
            weighting=weighting,
            market_cap=market_cap,
            cap=cap,
            rebalance=rebalance,
            max_stale_days=max_stale_days,
            name=name,
        )
        # a market index (tier, sector) is unknown, not flat, while it has no constituent
        out[name] = res.known_level
    frame = pd.DataFrame(out, index=prices.index)
    frame.columns.name = "index"
    return frame


def tier_indices(
    prices: pd.DataFrame,
    tiers: pd.DataFrame,
    *,
    weighting: Weighting = "cap",
    market_cap: pd.DataFrame | None = None,
    cap: float | None = 0.25,
    rebalance: str | Sequence[DateLike] = "MS",
    max_stale_days: int = 35,
) -> pd.DataFrame:
    """One index per cap tier.

    Parameters
    ----------
    tiers
        Tier-label panel from :func:`altseason.universe.cap_tiers`.

    Returns
    -------
    DataFrame
        ``(n_dates, n_tiers)`` levels, columns in :data:`TIERS` order (tiers
        that never have a member are all-NaN).
    """
    t = tiers.reindex(index=prices.index, columns=prices.columns).to_numpy()
    groups = {
        tier: pd.DataFrame(t == tier, index=prices.index, columns=prices.columns) for tier in TIERS
    }
    return _group_indices(
        prices,
        groups,
        weighting=weighting,
        market_cap=market_cap,
        cap=cap,
        rebalance=rebalance,
        max_stale_days=max_stale_days,
    )


def sector_indices(
    prices: pd.DataFrame,
    sectors: pd.Series | Mapping[str, str],
    *,
    weighting: Weighting = "cap",
    market_cap: pd.DataFrame | None = None,
    cap: float | None = 0.25,
    rebalance: str | Sequence[DateLike] = "MS",
    max_stale_days: int = 35,
    exclude_majors: Sequence[str] = (),
) -> pd.DataFrame:
    """One index per sector (stablecoins, wrapped and staked tokens excluded).

    Parameters
    ----------
    sectors
        Asset id -> sector id; assets without a sector are left out.
    exclude_majors
        Asset ids to leave out of every sector (e.g. ``("BTC", "ETH")`` to see
        sectors without the majors).

    Returns
    -------
    DataFrame
        ``(n_dates, n_sectors)`` levels, columns sorted by sector id.
    """
    smap = pd.Series(dict(sectors)) if not isinstance(sectors, pd.Series) else sectors
    smap = smap.reindex(prices.columns)
    elig = eligible(prices, sectors=smap).to_numpy()
    drop = np.isin(
        np.asarray(prices.columns, dtype=object), np.asarray(exclude_majors, dtype=object)
    )
    groups = {}
    for sec in sorted({s for s in smap.dropna().unique() if s != STABLECOIN_SECTOR}):
        cols = (smap.to_numpy() == sec) & ~drop
        groups[str(sec)] = pd.DataFrame(
            elig & cols[None, :], index=prices.index, columns=prices.columns
        )
    return _group_indices(
        prices,
        groups,
        weighting=weighting,
        market_cap=market_cap,
        cap=cap,
        rebalance=rebalance,
        max_stale_days=max_stale_days,
    )


def market_index(
    prices: pd.DataFrame,
    *,
    weighting: Weighting = "cap",
    market_cap: pd.DataFrame | None = None,
    sectors: pd.Series | None = None,
    cap: float | None = 0.25,
    rebalance: str | Sequence[DateLike] = "MS",
    max_stale_days: int = 35,
) -> IndexResult:
    """The total-market index ex stablecoins, wrapped and staked tokens."""
    members = eligible(prices, sectors=sectors)
    return build_index(
        prices,
        members,
        weighting=weighting,
        market_cap=market_cap,
        cap=cap,
        rebalance=rebalance,
        max_stale_days=max_stale_days,
        name=f"market_{weighting}",
    )


SECTOR_MAJORS: tuple[str, ...] = ("BTC", "ETH")
"""Assets left out of every sector return (they would dominate their sectors)."""

SECTOR_METHOD = "cap-weighted (25% cap per asset, monthly reconstitution), BTC and ETH excluded"
"""How :func:`sector_returns` weights, in the words every surface labels it with."""


def _valid_sector(s: object) -> bool:
    return isinstance(s, str) and s.strip().lower() not in ("", "nan", "none", STABLECOIN_SECTOR)


def sector_returns(
    close: pd.DataFrame,
    sectors: pd.Series | Mapping[str, str],
    *,
    market_cap: pd.DataFrame | None = None,
    window: int = 90,
    asof: DateLike | None = None,
    min_members: int = 3,
    cap: float | None = 0.25,
    exclude_majors: Sequence[str] = SECTOR_MAJORS,
) -> pd.DataFrame:
    """THE sector return: one definition for the CLI, the report, the dashboard and the API.

    The ``window``-day return of each sector's cap-weighted index
    (:func:`sector_indices`, 25% cap, BTC and ETH excluded; equal weights when
    no market caps are given) ending ``asof``, with the number of members
    priced on both ends of the window.

    Returns
    -------
    DataFrame
        Index: sector ids (sorted by return, best first; sectors without a
        label -- NaN, "nan" -- are never listed); columns ``return``,
        ``members`` (eligible assets with a close on ``asof`` and
        ``window`` days before), ``enough`` (``members >= min_members``).
    """
    from altseason.analytics._returns import window_return

    smap = pd.Series(dict(sectors)) if not isinstance(sectors, pd.Series) else sectors
    smap = smap.reindex(close.columns)
    smap = smap.where(smap.map(_valid_sector), None)
    weighting: Weighting = "cap" if market_cap is not None else "equal"
    levels = sector_indices(
        close,
        smap.dropna(),
        weighting=weighting,
        market_cap=market_cap,
        cap=cap,
        exclude_majors=exclude_majors,
    )
    cols = ["return", "members", "enough"]
    if levels.empty or close.empty:
        return pd.DataFrame(columns=cols)
    rets = window_return(levels, window, asof)
    when = (
        close.index[close.index.get_indexer([pd.Timestamp(asof)], method="ffill")[0]]
        if asof is not None
        else close.index[-1]
    )
    start = when - pd.Timedelta(days=window)
    elig = eligible(close, sectors=smap)
    ends = elig.loc[when] & (elig.loc[start] if start in elig.index else False)
    members = {
        str(sec): int((ends & (smap == sec) & ~smap.index.isin(list(exclude_majors))).sum())
        for sec in levels.columns
    }
    out = pd.DataFrame(
        {
            "return": rets.reindex(levels.columns).astype(float),
            "members": pd.Series(members).reindex(levels.columns).fillna(0).astype(int),
        }
    )
    out["enough"] = out["members"] >= min_members
    out.index.name = "sector"
    return out.sort_values("return", ascending=False, na_position="last")
