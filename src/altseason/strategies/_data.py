"""Build :class:`MarketData` from a store: prices, tiers, sentiment, liquidity, funding, IV.

Each optional input is left ``None`` when the store lacks it; strategies then
drop the corresponding signal (documented per strategy) or raise
``DataUnavailableError`` when they cannot do without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from altseason.exceptions import DataUnavailableError
from altseason.signals._release import PUBLICATION_LAGS
from altseason.strategies._base import MarketData
from altseason.strategies._surface import option_surface

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = ["atm_implied_vol", "market_data_from_store"]


def atm_implied_vol(options: pd.DataFrame, target_days: float = 30.0) -> pd.Series:
    """ATM implied vol per snapshot day: the expiry nearest ``target_days`` away,
    mean ``mark_iv`` of the call and put at the strike nearest the forward.

    Returns a daily series (the last snapshot of each UTC day), decimal.
    """
    need = {"snapshot_ts", "expiry", "strike", "mark_iv", "underlying_price"}
    if options.empty or not need <= set(options.columns):
        return pd.Series(dtype=float)
    f = options.dropna(subset=["mark_iv", "underlying_price"])
    f = f[f["expiry"] > f["snapshot_ts"]]
    if f.empty:
        return pd.Series(dtype=float)
    days = (f["expiry"] - f["snapshot_ts"]).dt.total_seconds() / 86400.0
    f = f.assign(
        _gap=(days - target_days).abs(), _mny=(f["strike"] / f["underlying_price"] - 1).abs()
    )
    best_exp = f.loc[f.groupby("snapshot_ts")["_gap"].idxmin(), ["snapshot_ts", "expiry"]]
    f = f.merge(best_exp, on=["snapshot_ts", "expiry"])
    best_k = f.groupby("snapshot_ts")["_mny"].transform("min")
    atm = f[f["_mny"] == best_k].groupby("snapshot_ts")["mark_iv"].mean()
    atm.index = pd.DatetimeIndex(atm.index).normalize()
    return atm.groupby(level=0).last().rename("atm_iv")


def market_data_from_store(
    store: Store, *, start: Any = None, end: Any = None, iv_underlying: str = "BTC"
) -> MarketData:
    """Everything the built-in strategies read, from the store, up to ``end``.

    Prices and market caps come from ``prices``; point-in-time cap tiers from
    :func:`altseason.universe.cap_tiers` (stablecoins, wrapped and staked
    tokens get no tier); Fear & Greed from ``sentiment``; liquidity is Fed net
    liquidity (WALCL - RRPONTSYD - WTREGEN) when all three series exist, else
    M2SL, each input as of its *publication* date
    (:data:`altseason.signals.PUBLICATION_LAGS`); the raw FRED observations
    are kept in ``MarketData.macro``; funding is the daily cross-venue funding per asset; the
    implied vol is the daily ATM 30-day IV of ``iv_underlying`` options, with
    the 30-day smile and the forward's carry over spot from the same chains
    (:func:`~altseason.strategies.option_surface`).
    """
    from altseason.analytics import daily_funding
    from altseason.universe import cap_tiers, load_market

    market = load_market(store, start=start, end=end)
    close = market.close.dropna(axis=1, how="all")
    if close.empty:
        raise DataUnavailableError(
            "no close prices in the store for that period; run 'altseason demo', "
            "'altseason import FILE' or 'altseason fetch' first"
        )
    idx = close.index
    mcap = market.market_cap.reindex(columns=close.columns)
    excluded = market.assets["excluded"].reindex(close.columns)
    keep = excluded.isna()
    tiers = None
    if mcap.notna().to_numpy().any():
        sectors = market.sectors.reindex(close.columns)
        tiers = cap_tiers(mcap.loc[:, keep], close.loc[:, keep], sectors=sectors[keep])
    sources = set(market.sources)

    def _series(table: str, **filters: Any) -> pd.DataFrame:
        return store.read_table(table, end=end, **filters)

    fg = None
    s = _series("sentiment", index_id="fear_greed")
    if not s.empty:
        fg = s.set_index("date")["value"].astype(float).sort_index()
        sources |= set(s["source"])
    macro: dict[str, pd.Series] | None = None
    m = _series("macro", series_id=list(PUBLICATION_LAGS))
    if not m.empty:
        wide = m.pivot(index="date", columns="series_id", values="value").astype(float)
        macro = {str(c): wide[c].dropna().rename(str(c)) for c in wide.columns}
        sources |= set(m["source"])
    funding = None
    fr = _series("funding", asset_id=list(close.columns))
    if not fr.empty and fr["rate"].notna().any():
        funding = daily_funding(fr.dropna(subset=["rate"]))
        sources |= set(fr["source"])
    iv = None
    smile = None
    carry = None
    opts = _series("options", underlying=iv_underlying)
    if not opts.empty:
        iv_daily = atm_implied_vol(opts)
        if not iv_daily.empty:
            iv = iv_daily.reindex(idx).ffill(limit=10)
            sources |= set(opts["source"])
        spot = close[iv_underlying] if iv_underlying in close.columns else None
        smile_d, carry_d = option_surface(opts, spot)
        if not smile_d.empty:
            smile = smile_d
            carry = carry_d if not carry_d.empty else None
    data = MarketData(
        close=close,
        market_cap=mcap,
        tiers=tiers,
        sectors=market.sectors.reindex(close.columns),
        fear_greed=fg,
        funding=funding,
        implied_vol=iv,
        sources=tuple(sorted(sources)),
        macro=macro,
        option_smile=smile,
        option_carry=carry,
    )
    return data
