"""Load the market panels and asset metadata from a store.

This is the one place the divergence analytics touch the store: it reads the
``prices`` and ``assets`` tables into panels; everything downstream is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from altseason.labels import data_label, is_demo
from altseason.universe._assets import exclusion_reason
from altseason.universe._taxonomy import load_sector_map

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = ["Market", "asset_metadata", "check_asof", "load_market", "newest_price_date"]


@dataclass
class Market:
    """Daily market panels on one calendar grid.

    Attributes
    ----------
    close, market_cap, volume
        ``(n_dates, n_assets)`` panels in USD (NaN where there is no row).
    assets
        Indexed by asset id: ``symbol``, ``name``, ``sector``, ``subsector``,
        ``excluded`` (``"stablecoin"``, ``"wrapped"``, ``"staked"`` or None).
    sources
        Distinct ``source`` values of the price rows read.
    """

    close: pd.DataFrame
    market_cap: pd.DataFrame
    volume: pd.DataFrame
    assets: pd.DataFrame
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_demo(self) -> bool:
        """True when any price row is from the simulated demo market."""
        return is_demo(self.sources)

    @property
    def label(self) -> str:
        """Human label of the data sources (the demo label for demo data)."""
        return data_label(self.sources)

    @property
    def sectors(self) -> pd.Series:
        """Asset id -> sector id (NaN when unknown)."""
        return self.assets["sector"]


def asset_metadata(
    asset_ids: list[str],
    assets_table: pd.DataFrame | None = None,
    sector_map: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sector, subsector and exclusion reason for each asset id.

    The store's ``assets`` table wins where it has a sector; the sector map
    (default: the shipped one) fills the rest. ``is_stablecoin`` in the store
    marks an asset as a stablecoin whatever its symbol.
    """
    smap = sector_map if sector_map is not None else load_sector_map()
    out = pd.DataFrame(index=pd.Index(asset_ids, name="asset_id", dtype=object))
    symbols = [str(a).split(":")[0].split("-")[0].upper() for a in asset_ids]
    out["symbol"] = pd.Series(symbols, index=out.index, dtype=object)
    for col in ("name", "sector", "subsector"):
        out[col] = (
            pd.Series(smap[col].reindex(symbols).to_numpy(), index=out.index, dtype=object)
            if len(symbols)
            else pd.Series(index=out.index, dtype=object)
        )
    stable = pd.Series(False, index=out.index)
    if assets_table is not None and not assets_table.empty:
        tbl = assets_table.set_index("asset_id").reindex(out.index)
        for col in ("symbol", "name", "sector", "subsector"):
            if col in tbl.columns:
                out[col] = tbl[col].where(tbl[col].notna(), out[col])
        if "is_stablecoin" in tbl.columns:
            stable = tbl["is_stablecoin"].fillna(False).astype(bool)
    out["excluded"] = [
        "stablecoin" if stable.loc[a] else exclusion_reason(a, sector=_str(out.loc[a, "sector"]))
        for a in out.index
    ]
    return out


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def load_market(
    store: Store,
    *,
    start: Any = None,
    end: Any = None,
    sector_map: pd.DataFrame | str | Path | None = None,
) -> Market:
    """Read close, market cap and volume panels plus asset metadata from a store.

    Parameters
    ----------
    store
        An open :class:`~altseason.store.Store`.
    start, end
        Inclusive UTC date bounds.
    sector_map
        A sector-map frame, or a CSV path overriding the shipped map.

    Returns
    -------
    Market
        Panels share one daily index (every calendar day from the first to
        the last price row) and the same columns (asset ids, sorted).
    """
    close = store.read_prices("close", start=start, end=end)
    cols = list(close.columns)
    mcap = store.read_prices("market_cap_usd", assets=cols, start=start, end=end).reindex(
        close.index
    )
    vol = store.read_prices("volume_usd", assets=cols, start=start, end=end).reindex(close.index)
    smap = sector_map if isinstance(sector_map, pd.DataFrame) else load_sector_map(sector_map)
    meta = asset_metadata(cols, store.read_table("assets"), smap)
    prov = store.provenance("prices", start=start, end=end)
    return Market(
        close=close,
        market_cap=mcap,
        volume=vol,
        assets=meta,
        sources=tuple(prov["sources"]),
    )


def newest_price_date(store: Store) -> pd.Timestamp | None:
    """The newest date in the ``prices`` table (``None`` when it is empty)."""
    row = store.con.execute("SELECT max(date) FROM prices").fetchone()
    if row is None or row[0] is None:
        return None
    return pd.Timestamp(row[0]).normalize()


def check_asof(store: Store, asof: Any) -> pd.Timestamp | None:
    """Refuse an as-of date after the newest price in the store.

    Every command and the report call this before computing, so "as of
    2030-01-01" never silently describes older data.

    Returns
    -------
    Timestamp or None
        The newest price date (``None`` when there are no prices, which the
        callers report in their own words).

    Raises
    ------
    ValidationError
        When ``asof`` is after the newest price date.
    """
    from altseason.exceptions import ValidationError

    newest = newest_price_date(store)
    if asof is None or newest is None:
        return newest
    when = pd.Timestamp(asof).normalize()
    if when > newest:
        raise ValidationError(
            f"--asof {when.date()} is after the newest price in the store "
            f"({newest.date()}): the data ends on {newest.date()}. Pass --asof "
            f"{newest.date()} or earlier, or fetch newer data first."
        )
    return newest
