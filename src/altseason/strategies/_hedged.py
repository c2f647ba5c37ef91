"""Hedged short: short BTC or ETH perps, hedged with long OTM calls or a collar.

The short is a target weight of ``-short_weight`` on the underlying, held as
a perpetual swap: the backtest credits funding to the short when the rate is
positive and debits it when negative. The hedge is a rolling option leg
priced with Black-76 on the forward, at the implied vol *of its strike*:

* the vol: the stored chain's 30-day smile at the leg's moneyness
  (``MarketData.option_smile``) where the chain lists that strike, else the
  documented skew model (:func:`~altseason.strategies.skew_model_iv`)
  around the ATM vol (``MarketData.implied_vol``, or without it the trailing
  30-day realised volatility times ``iv_premium``), all known at the roll;
* the forward: ``spot x exp(carry x tau)`` with the chain's carry
  (``MarketData.option_carry``) where known, else the trailing 7-day mean
  perp funding of the underlying x 365, else 0.

The legs:

* ``hedge="call"``: long ``hedge_ratio`` OTM calls per unit shorted, strike
  ``call_moneyness`` x spot, rolled every ``tenor_days``;
* ``hedge="collar"``: the same calls plus short OTM puts at
  ``put_moneyness`` x spot, whose premium finances the calls;
* ``hedge="none"``: the naked short, for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from altseason.exceptions import DataUnavailableError, StrategyError
from altseason.strategies._base import MarketData, rebalance_dates
from altseason.strategies._surface import skew_model_iv, smile_at

if TYPE_CHECKING:
    from altseason.backtest import OptionLeg

__all__ = ["HedgedShort"]


@dataclass
class HedgedShort:
    """Short perps on ``underlying`` with an option hedge (see the module docstring)."""

    underlying: str = "BTC"
    short_weight: float = 0.5
    hedge: Literal["call", "collar", "none"] = "call"
    call_moneyness: float = 1.15
    put_moneyness: float = 0.85
    tenor_days: int = 30
    hedge_ratio: float = 1.0
    rebalance_days: int = 7
    iv_premium: float = 1.1
    name: str = "hedged_short"

    def _check(self, data: MarketData) -> None:
        if self.underlying not in data.close.columns:
            raise DataUnavailableError(
                f"hedged short needs prices for {self.underlying}; import or fetch them first"
            )
        if not 0 < self.short_weight <= 1:
            raise StrategyError(f"short_weight must be in (0, 1], got {self.short_weight}")
        if self.hedge not in ("call", "collar", "none"):
            raise StrategyError(f"hedge must be 'call', 'collar' or 'none', got {self.hedge!r}")
        if self.call_moneyness <= 1 or not 0 < self.put_moneyness < 1:
            raise StrategyError("call_moneyness must be > 1 and put_moneyness in (0, 1)")
        if self.tenor_days < 1:
            raise StrategyError("tenor_days must be >= 1")

    def weights(self, data: MarketData) -> pd.DataFrame:
        """``-short_weight`` on the underlying every ``rebalance_days`` days."""
        self._check(data)
        px = data.close[self.underlying]
        first = px.first_valid_index()
        w = pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
        if first is None:
            return w
        start = int(data.close.index.get_loc(first))
        mask = rebalance_dates(data.close.index, self.rebalance_days, start) & px.notna().to_numpy()
        w.loc[mask] = 0.0
        w.loc[mask, self.underlying] = -self.short_weight
        return w

    def implied_vol(self, data: MarketData) -> pd.Series:
        """The ATM vol: data's implied vol, else 30-day realised x premium."""
        if data.implied_vol is not None and data.implied_vol.notna().any():
            return data.implied_vol.ffill()
        logp = np.log(data.close[self.underlying])
        realised = logp.diff().rolling(30, min_periods=20).std() * np.sqrt(365)
        return realised * self.iv_premium

    def leg_vol(self, data: MarketData, moneyness: float) -> pd.Series:
        """The vol of a strike at ``moneyness`` x spot: chain smile, else the skew model."""
        model = skew_model_iv(self.implied_vol(data), moneyness)
        assert isinstance(model, pd.Series)
        if data.option_smile is None or data.option_smile.empty:
            return model
        chain = smile_at(data.option_smile, moneyness).reindex(data.close.index)
        return chain.combine_first(model).ffill()

    def carry(self, data: MarketData) -> pd.Series:
        """Annualised carry of the forward: chain basis, else trailing perp funding x 365."""
        idx = data.close.index
        out = pd.Series(np.nan, index=idx)
        if data.option_carry is not None:
            out = data.option_carry.reindex(idx)
        if data.funding is not None and self.underlying in data.funding.columns:
            f = data.funding[self.underlying].rolling(7, min_periods=1).mean() * 365.0
            out = out.combine_first(f)
        return out.ffill().fillna(0.0)

    def option_legs(self, data: MarketData) -> list[OptionLeg]:
        """The rolling hedge legs for :func:`~altseason.backtest.run_backtest`."""
        from altseason.backtest import OptionLeg

        self._check(data)
        if self.hedge == "none":
            return []
        carry = self.carry(data)
        legs = [
            OptionLeg(
                underlying=self.underlying,
                kind="call",
                moneyness=self.call_moneyness,
                tenor_days=self.tenor_days,
                size=self.hedge_ratio,
                sizing="position",
                implied_vol=self.leg_vol(data, self.call_moneyness),
                carry=carry,
            )
        ]
        if self.hedge == "collar":
            legs.append(
                OptionLeg(
                    underlying=self.underlying,
                    kind="put",
                    moneyness=self.put_moneyness,
                    tenor_days=self.tenor_days,
                    size=-self.hedge_ratio,
                    sizing="position",
                    implied_vol=self.leg_vol(data, self.put_moneyness),
                    carry=carry,
                )
            )
        return legs
