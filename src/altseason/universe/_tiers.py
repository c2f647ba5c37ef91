"""Point-in-time membership and monthly cap-tier reconstitution.

An asset belongs to the universe on day t only if it has a close on t (data
known at t) and is not a stablecoin, wrapped or staked token. Cap tiers are
reconstituted on each rebalance date (default: the first day of every month)
by ranking eligible assets on the market cap known that day; a tier label
then holds until the next reconstitution. Nothing uses data after the
reconstitution date, so the tier panel is free of look-ahead and of
survivorship bias (dead assets are ranked while they traded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from altseason._typing import DateLike
from altseason.exceptions import ConfigError, ValidationError
from altseason.universe._assets import is_excluded

__all__ = [
    "TIERS",
    "TierThresholds",
    "cap_tiers",
    "eligible",
    "known_market_cap",
    "rebalance_positions",
    "tier_members",
]

TIERS: tuple[str, ...] = ("majors", "large", "mid", "small", "micro")
"""Tier labels, largest first."""


@dataclass(frozen=True)
class TierThresholds:
    """Cap-tier configuration (DESIGN.md, "Cap tiers").

    Ranks are 1-based market-cap ranks among eligible non-stable assets,
    counting the majors. ``large_max``, ``mid_max`` and ``small_max`` are the
    last rank of each tier; everything beyond ``small_max`` is micro.
    """

    majors: tuple[str, ...] = ("BTC", "ETH")
    large_max: int = 20
    mid_max: int = 100
    small_max: int = 300

    def __post_init__(self) -> None:
        if not (len(self.majors) < self.large_max < self.mid_max < self.small_max):
            raise ConfigError(
                "tier thresholds must satisfy len(majors) < large_max < mid_max < small_max, "
                f"got {len(self.majors)}, {self.large_max}, {self.mid_max}, {self.small_max}."
            )

    def label(self, rank: int) -> str:
        """Tier of a non-major asset at 1-based ``rank``."""
        if rank <= self.large_max:
            return "large"
        if rank <= self.mid_max:
            return "mid"
        if rank <= self.small_max:
            return "small"
        return "micro"


def rebalance_positions(
    index: pd.DatetimeIndex, rebalance: str | Sequence[DateLike] = "MS"
) -> np.ndarray:
    """Row positions of the rebalance dates in ``index``.

    Parameters
    ----------
    index
        Daily dates of the panel.
    rebalance
        A pandas frequency alias (``"MS"`` first day of each month, ``"W-MON"``,
        ``"QS"``, ...) or explicit dates. The first date of the index is always
        a rebalance date; with a frequency, each period's first date in the
        index is used (so a panel starting mid-month rebalances on its first day).

    Returns
    -------
    ndarray of int
        Sorted unique positions.
    """
    if len(index) == 0:
        return np.zeros(0, dtype=np.int64)
    if isinstance(rebalance, str):
        try:
            periods = index.to_period(_period_alias(rebalance))
        except ValueError as exc:
            raise ValidationError(
                f"unknown rebalance frequency {rebalance!r}; use 'MS', 'W-MON', 'QS' or dates."
            ) from exc
        change = np.ones(len(index), dtype=bool)
        change[1:] = np.asarray(periods[1:] != periods[:-1])
        pos = np.flatnonzero(change)
    else:
        dates = pd.DatetimeIndex([pd.Timestamp(d) for d in rebalance])
        pos = index.searchsorted(dates, side="left")
        pos = pos[(pos < len(index))]
        pos = np.unique(np.concatenate([[0], pos]))
    return np.asarray(pos, dtype=np.int64)


def _period_alias(freq: str) -> str:
    f = freq.upper()
    return {
        "MS": "M",
        "M": "M",
        "ME": "M",
        "QS": "Q",
        "Q": "Q",
        "QE": "Q",
        "YS": "Y",
        "Y": "Y",
        "YE": "Y",
        "AS": "Y",
        "D": "D",
    }.get(f, freq)


def eligible(close: pd.DataFrame, *, sectors: pd.Series | None = None) -> pd.DataFrame:
    """Point-in-time eligibility: a close that day and not an excluded token.

    Parameters
    ----------
    close
        ``(n_dates, n_assets)`` closes.
    sectors
        Optional asset id -> sector id (``stablecoin`` excludes).

    Returns
    -------
    DataFrame of bool
        Same shape as ``close``.
    """
    lookup = sectors.to_dict() if sectors is not None else {}
    keep = np.array(
        [
            not is_excluded(a, sector=lookup.get(a) if isinstance(lookup.get(a), str) else None)
            for a in close.columns
        ],
        dtype=bool,
    )
    mask = close.notna().to_numpy() & keep[None, :]
    return pd.DataFrame(mask, index=close.index, columns=close.columns)


def known_market_cap(market_cap: pd.DataFrame, max_stale_days: int = 35) -> pd.DataFrame:
    """Market cap known on each day: the last observation at most ``max_stale_days`` old.

    Monthly snapshots (CoinMarketCap) stay usable through the month; nothing is
    back-filled, so the value on day t never depends on data after t.
    """
    if max_stale_days < 0:
        raise ValidationError(f"max_stale_days must be >= 0, got {max_stale_days}.")
    return market_cap.ffill(limit=max_stale_days) if max_stale_days else market_cap


def cap_tiers(
    market_cap: pd.DataFrame,
    close: pd.DataFrame | None = None,
    *,
    thresholds: TierThresholds | None = None,
    rebalance: str | Sequence[DateLike] = "MS",
    sectors: pd.Series | None = None,
    max_stale_days: int = 35,
) -> pd.DataFrame:
    """Monthly cap-tier labels from data known on each reconstitution date.

    Parameters
    ----------
    market_cap
        ``(n_dates, n_assets)`` market caps in USD (may be sparse, e.g. monthly).
    close
        Optional closes on the same grid. When given, an asset must have a
        close on the reconstitution date to be ranked (point-in-time
        membership); assets in ``close`` but never in ``market_cap`` get no tier.
    thresholds
        Tier configuration (default :class:`TierThresholds`).
    rebalance
        Reconstitution dates (see :func:`rebalance_positions`).
    sectors
        Optional asset id -> sector id, so ``stablecoin`` assets are excluded.
    max_stale_days
        How old a market cap may be on a reconstitution date.

    Returns
    -------
    DataFrame
        ``(n_dates, n_assets)`` of tier labels (``"majors"``, ``"large"``,
        ``"mid"``, ``"small"``, ``"micro"``) as object dtype, ``None`` where the
        asset is not a member. A label set on a reconstitution date holds until
        the next one. Columns are the union of ``market_cap`` and ``close``.
    """
    th = thresholds or TierThresholds()
    if close is not None:
        cols = market_cap.columns.union(close.columns, sort=False)
        idx = market_cap.index.union(close.index)
        mcap = market_cap.reindex(index=idx, columns=cols)
        px = close.reindex(index=idx, columns=cols)
    else:
        mcap, px, cols, idx = market_cap, None, market_cap.columns, market_cap.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise ValidationError("market_cap needs a DatetimeIndex of UTC days.")
    known = known_market_cap(mcap, max_stale_days).to_numpy(dtype=float)
    excl = np.array(
        [
            is_excluded(
                a,
                sector=(
                    sectors.get(a)
                    if sectors is not None and isinstance(sectors.get(a), str)
                    else None
                ),
            )
            for a in cols
        ],
        dtype=bool,
    )
    majors = np.isin(np.asarray(cols, dtype=object), np.asarray(th.majors, dtype=object))
    has_px = px.notna().to_numpy() if px is not None else np.ones(known.shape, dtype=bool)
    pos = rebalance_positions(pd.DatetimeIndex(idx), rebalance)
    labels = np.full(known.shape, None, dtype=object)
    bounds = [*pos.tolist(), len(idx)]
    for k, r in enumerate(pos):
        caps = known[r]
        ok = np.isfinite(caps) & (caps > 0) & ~excl & has_px[r]
        order = np.argsort(-np.where(ok, caps, -np.inf), kind="stable")
        row = np.full(len(cols), None, dtype=object)
        for rank, j in enumerate(order[: int(ok.sum())], start=1):
            row[j] = "majors" if majors[j] else th.label(rank)
        labels[r : bounds[k + 1]] = row
    return pd.DataFrame(labels, index=idx, columns=cols, dtype=object)


def tier_members(tiers: pd.DataFrame, tier: str) -> pd.DataFrame:
    """Boolean ``(n_dates, n_assets)`` mask of the assets labelled ``tier``."""
    if tier not in TIERS:
        raise ValidationError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}.")
    return pd.DataFrame(tiers.to_numpy() == tier, index=tiers.index, columns=tiers.columns)
