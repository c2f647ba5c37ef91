"""Benchmark strategies: BTC hold, BTC/ETH 50/50, cap-weighted market, EW small caps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from altseason.analytics import capped_weights
from altseason.exceptions import DataUnavailableError, StrategyError
from altseason.strategies._base import MarketData, rebalance_dates

__all__ = ["BtcEth5050", "BtcHold", "CapWeightedMarket", "EqualWeightSmallCaps"]


def _require(data: MarketData, assets: tuple[str, ...]) -> None:
    missing = [a for a in assets if a not in data.close.columns]
    if missing:
        raise DataUnavailableError(
            f"the price panel has no {', '.join(missing)}; import or fetch their prices first"
        )


@dataclass
class BtcHold:
    """100% BTC, bought once and held (the first row with a BTC close)."""

    name: str = "btc_hold"

    def weights(self, data: MarketData) -> pd.DataFrame:
        _require(data, ("BTC",))
        w = pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
        first = data.close["BTC"].first_valid_index()
        if first is not None:
            w.loc[first] = 0.0
            w.loc[first, "BTC"] = 1.0
        return w


@dataclass
class BtcEth5050:
    """50% BTC / 50% ETH, rebalanced every ``rebalance_days`` days."""

    rebalance_days: int = 30
    name: str = "btc_eth_50_50"

    def weights(self, data: MarketData) -> pd.DataFrame:
        _require(data, ("BTC", "ETH"))
        both = data.close[["BTC", "ETH"]].notna().all(axis=1).to_numpy()
        if not both.any():
            raise DataUnavailableError("BTC and ETH never both have prices")
        start = int(np.argmax(both))
        mask = rebalance_dates(data.close.index, self.rebalance_days, start) & both
        w = pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
        w.loc[mask] = 0.0
        w.loc[mask, ["BTC", "ETH"]] = 0.5
        return w


@dataclass
class CapWeightedMarket:
    """Cap-weighted top ``top_n`` non-stable assets, per-asset cap, monthly rebalance.

    Weights come from :func:`altseason.analytics.capped_weights`, the rule of the
    cap-weighted indices: always fully invested, so with fewer than ``1 / cap``
    names the weights are equal (``1 / n``) rather than capped with cash left over.
    """

    top_n: int = 100
    cap: float = 0.25
    rebalance_days: int = 30
    name: str = "cap_weighted_market"

    def weights(self, data: MarketData) -> pd.DataFrame:
        if data.market_cap is None:
            raise DataUnavailableError(
                "cap-weighted market needs market caps (the prices table's market_cap_usd)"
            )
        caps = data.market_cap.where(data.close.notna())
        if data.tiers is not None:
            caps = caps.where(data.tiers.notna())
        w = pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
        mask = rebalance_dates(data.close.index, self.rebalance_days)
        for i in np.flatnonzero(mask):
            row = caps.iloc[i].to_numpy(dtype=float)
            ok = np.isfinite(row) & (row > 0)
            if not ok.any():
                continue
            order = np.argsort(-np.where(ok, row, -np.inf), kind="stable")[: self.top_n]
            raw = np.zeros_like(row)
            raw[order] = np.where(ok[order], row[order], 0.0)
            w.iloc[i] = capped_weights(raw, self.cap)
        return w


@dataclass
class EqualWeightSmallCaps:
    """Equal weights across the point-in-time ``small`` tier, rebalanced every 30 days."""

    tier: str = "small"
    rebalance_days: int = 30
    name: str = "equal_weight_small_caps"

    def weights(self, data: MarketData) -> pd.DataFrame:
        if data.tiers is None:
            raise DataUnavailableError(
                "equal-weighted small caps needs point-in-time cap tiers (market caps in the store)"
            )
        member = (data.tiers == self.tier) & data.close.notna()
        if not member.to_numpy().any():
            raise StrategyError(f"no asset is ever in the {self.tier!r} tier")
        w = pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
        mask = rebalance_dates(data.close.index, self.rebalance_days)
        m = member.to_numpy()
        for i in np.flatnonzero(mask):
            n = m[i].sum()
            if n:
                w.iloc[i] = np.where(m[i], 1.0 / n, 0.0)
        return w
