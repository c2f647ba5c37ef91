"""Rotation: majors / small-cap or sector sleeves / stablecoin cash.

Algorithm (all inputs known at the close of the rebalance day ``t``)
-------------------------------------------------------------------
1. **Sleeves.** ``majors`` = BTC and ETH, equal-weighted. The alt sleeve is
   either the point-in-time ``small`` tier (``sleeves="tiers"``) or the
   ``n_sectors`` sectors with the best ``lookback``-day momentum
   (``sleeves="sectors"``; members drawn from the large, mid and small tiers).
   Sleeve index returns are equal-weighted daily returns of the members.
2. **Scores** in [-1, 1] (see :mod:`altseason.signals`): time-series momentum
   of each sleeve index (``lookback`` days), relative strength of the alt
   sleeve against BTC (``rs_lookback`` days), contrarian Fear & Greed, and the
   liquidity trend (91 days). Missing inputs drop out of the composites.
3. **Exposure.** ``risk_on`` = composite(momentum 0.5, sentiment 0.25, macro
   0.25); crypto exposure ``E = clip(0.5 + 0.5 * risk_on, 0, 1)``.
   ``alt_share = clip(0.5 + 0.5 * composite(rs, mom_alts - mom_majors), 0,
   max_alt_share)``. Majors get ``E * (1 - alt_share)``, the alt sleeve
   ``E * alt_share`` (capped at ``sleeve_cap``), spread equally over its
   members with at most ``asset_cap`` each; the rest is stablecoin cash.
4. **Volatility targeting.** The trailing ``vol_lookback``-day volatility of
   the strategy's own proxy returns (previous targets times daily returns)
   above ``target_vol`` scales all risk weights by ``target_vol / vol``.
5. **Drawdown brake.** When the proxy equity is more than ``brake_drawdown``
   below its peak, risk weights are multiplied by ``brake_factor`` until the
   drawdown recovers to half the threshold.
6. **Rebalance band.** Every ``rebalance_days`` days; targets are only sent
   when some weight moved by more than ``band``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from altseason.exceptions import DataUnavailableError, StrategyError
from altseason.signals import (
    composite_signal,
    fear_greed_signal,
    liquidity_signal,
    relative_strength_signal,
    time_series_momentum,
)
from altseason.strategies._base import MarketData, rebalance_dates

__all__ = ["Rotation", "RotationState"]

MAJORS = ("BTC", "ETH")


def _ew_index(returns: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Equal-weighted index from daily returns of point-in-time members (members known at t-1)."""
    m = members.shift(1, fill_value=False).to_numpy(dtype=bool)
    r = returns.to_numpy(dtype=float)
    ok = m & np.isfinite(r)
    n = ok.sum(axis=1)
    s = np.where(ok, r, 0.0).sum(axis=1)
    daily = np.divide(s, n, out=np.zeros(len(n)), where=n > 0)
    level = np.cumprod(1.0 + daily)
    out = pd.Series(level, index=returns.index)
    first = np.argmax(n > 0) if (n > 0).any() else len(n)
    out.iloc[: max(first - 1, 0)] = np.nan
    return out


@dataclass
class RotationState:
    """The signals and decisions behind each rebalance (for ``allocate``)."""

    signals: pd.DataFrame
    weights: pd.DataFrame


@dataclass
class Rotation:
    """Majors / alt-sleeve / cash rotation (see the module docstring)."""

    sleeves: Literal["tiers", "sectors"] = "tiers"
    alt_tier: str = "small"
    n_sectors: int = 3
    lookback: int = 60
    rs_lookback: int = 30
    rebalance_days: int = 7
    max_alt_share: float = 0.6
    sleeve_cap: float = 0.5
    asset_cap: float = 0.05
    target_vol: float = 0.6
    vol_lookback: int = 30
    brake_drawdown: float = 0.25
    brake_factor: float = 0.5
    band: float = 0.02
    name: str = "rotation"
    state_: RotationState | None = field(default=None, repr=False)

    def _check(self) -> None:
        if self.sleeves not in ("tiers", "sectors"):
            raise StrategyError(f"sleeves must be 'tiers' or 'sectors', got {self.sleeves!r}")
        for nm in ("max_alt_share", "sleeve_cap", "asset_cap", "brake_drawdown", "brake_factor"):
            v = getattr(self, nm)
            if not 0 <= v <= 1:
                raise StrategyError(f"{nm} must be in [0, 1], got {v}")
        if self.target_vol <= 0:
            raise StrategyError("target_vol must be positive (annualised, e.g. 0.6)")
        for nm in ("lookback", "rs_lookback", "vol_lookback"):
            if getattr(self, nm) < 2:
                raise StrategyError(f"{nm} must be >= 2 days")

    def _alt_members(self, data: MarketData, returns: pd.DataFrame) -> pd.DataFrame:
        close = data.close
        if data.tiers is None:
            raise DataUnavailableError(
                "rotation needs point-in-time cap tiers: the store needs market caps"
            )
        if self.sleeves == "tiers":
            return (data.tiers == self.alt_tier) & close.notna()
        if data.sectors is None:
            raise DataUnavailableError("sector rotation needs the assets table's sectors")
        eligible = data.tiers.isin(["large", "mid", "small"]) & close.notna()
        sectors = data.sectors.reindex(close.columns)
        sector_ids = sorted(s for s in sectors.dropna().unique() if s != "stablecoin")
        idx = {
            s: _ew_index(
                returns,
                eligible
                & pd.DataFrame(
                    np.broadcast_to((sectors == s).to_numpy(), close.shape),
                    index=close.index,
                    columns=close.columns,
                ),
            )
            for s in sector_ids
        }
        mom = pd.DataFrame({s: time_series_momentum(v, self.lookback) for s, v in idx.items()})
        ranks = mom.rank(axis=1, ascending=False, method="first")
        chosen = ranks <= self.n_sectors
        sec = sectors.to_numpy()
        member = np.zeros(close.shape, dtype=bool)
        for s in mom.columns:
            member |= chosen[s].to_numpy()[:, None] & (sec == s)[None, :]
        return eligible & member

    def weights(self, data: MarketData) -> pd.DataFrame:
        """Target weights; also sets ``state_`` with the signals per rebalance."""
        self._check()
        close = data.close
        missing = [a for a in MAJORS if a not in close.columns]
        if missing:
            raise DataUnavailableError(f"rotation needs prices for {', '.join(missing)}")
        returns = close.pct_change(fill_method=None)
        alt = self._alt_members(data, returns)
        majors = pd.DataFrame(False, index=close.index, columns=close.columns)
        for a in MAJORS:
            majors[a] = close[a].notna()
        majors_idx = _ew_index(returns, majors)
        alt_idx = _ew_index(returns, alt)
        mom_majors = time_series_momentum(majors_idx, self.lookback)
        mom_alts = time_series_momentum(alt_idx, self.lookback)
        rs = relative_strength_signal(
            alt_idx.rename("alts"), close["BTC"].rename("BTC"), self.rs_lookback, 365
        )
        comps: dict[str, pd.Series] = {"momentum": (mom_majors + mom_alts) / 2.0}
        wts = {"momentum": 0.5}
        sentiment = fear_greed_signal(data.fear_greed) if data.fear_greed is not None else None
        macro = liquidity_signal(data.liquidity) if data.liquidity is not None else None
        if sentiment is not None:
            comps["sentiment"], wts["sentiment"] = sentiment, 0.25
        if macro is not None:
            comps["macro"], wts["macro"] = macro, 0.25
        risk_on = composite_signal(comps, wts)
        tilt = composite_signal({"rs": rs, "mom_spread": (mom_alts - mom_majors).clip(-1, 1)})
        exposure = (0.5 + 0.5 * risk_on).clip(0.0, 1.0)
        alt_share = (0.5 + 0.5 * tilt).clip(0.0, self.max_alt_share)

        n, k = close.shape
        r = returns.to_numpy(dtype=float)
        alt_m = alt.to_numpy(dtype=bool)
        maj_m = majors.to_numpy(dtype=bool)
        mask = rebalance_dates(close.index, self.rebalance_days)
        out = np.full((n, k), np.nan)
        held = np.zeros(k)
        proxy_ret = np.zeros(n)
        equity, peak, braking = 1.0, 1.0, False
        rows = []
        for i in range(n):
            if i > 0:
                day = np.nansum(held * np.nan_to_num(r[i]))
                proxy_ret[i] = day
                equity *= 1.0 + day
                peak = max(peak, equity)
            if not mask[i] or np.isnan(exposure.iloc[i]):
                continue
            e = float(exposure.iloc[i])
            a_share = float(alt_share.iloc[i]) if np.isfinite(alt_share.iloc[i]) else 0.0
            target = np.zeros(k)
            n_maj = maj_m[i].sum()
            if n_maj:
                target[maj_m[i]] = e * (1.0 - a_share) / n_maj
            n_alt = alt_m[i].sum()
            alt_w = 0.0
            if n_alt:
                alt_w = min(e * a_share, self.sleeve_cap)
                per = min(alt_w / n_alt, self.asset_cap)
                target[alt_m[i]] = per
                alt_w = per * n_alt
            lo = max(0, i - self.vol_lookback + 1)
            window = proxy_ret[lo : i + 1]
            vol = float(np.std(window, ddof=1) * np.sqrt(365)) if i - lo >= 5 else np.nan
            scale = min(1.0, self.target_vol / vol) if np.isfinite(vol) and vol > 0 else 1.0
            dd = equity / peak - 1.0
            if dd <= -self.brake_drawdown:
                braking = True
            elif dd > -self.brake_drawdown / 2:
                braking = False
            factor = scale * (self.brake_factor if braking else 1.0)
            target *= factor
            rows.append(
                {
                    "date": close.index[i],
                    "momentum_majors": mom_majors.iloc[i],
                    "momentum_alts": mom_alts.iloc[i],
                    "relative_strength": rs.reindex(close.index).iloc[i],
                    "sentiment": np.nan if sentiment is None else sentiment.iloc[i],
                    "macro": np.nan if macro is None else macro.iloc[i],
                    "risk_on": risk_on.iloc[i],
                    "exposure": e,
                    "alt_share": a_share,
                    "vol_scale": scale,
                    "drawdown_brake": braking,
                    "majors_weight": float(target[maj_m[i]].sum()),
                    "alt_weight": float(target[alt_m[i]].sum()),
                    "cash_weight": 1.0 - float(target.sum()),
                    "traded": False,
                }
            )
            if np.max(np.abs(target - held)) > self.band or not held.any():
                out[i] = target
                held = target
                rows[-1]["traded"] = True
        weights = pd.DataFrame(out, index=close.index, columns=close.columns)
        signals = pd.DataFrame(rows).set_index("date") if rows else pd.DataFrame()
        self.state_ = RotationState(signals=signals, weights=weights)
        return weights
