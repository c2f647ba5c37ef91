"""Trading costs: fees, slippage and a volume-aware impact term.

A trade of ``q`` units at close ``p`` fills at ``p x (1 + s)`` (buys) or
``p x (1 - s)`` (sells), with the slippage rate

    s = slippage_bps / 1e4 + impact x sqrt(|q| x p / volume_usd)

capped at 50%, where ``volume_usd`` is that day's traded volume of the asset
(missing or zero volume: no impact term). Fees are ``fees_bps / 1e4`` of the
filled value (``|q| x p x (1 +/- s)``), as in vectorbt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from altseason.exceptions import StrategyError

__all__ = ["CostModel", "slippage_rate"]

MAX_SLIPPAGE = 0.5


@dataclass(frozen=True)
class CostModel:
    """Fees and slippage of a backtest.

    Parameters
    ----------
    fees_bps
        Fee in basis points of the filled value (10 = 0.1%).
    slippage_bps
        Fixed slippage in basis points of the close.
    impact
        Coefficient ``k`` of the volume-aware term ``k x sqrt(trade_usd / volume_usd)``
        (e.g. 0.1: a trade of 1% of the day's volume slips 1%). Needs a volume panel.
    """

    fees_bps: float = 0.0
    slippage_bps: float = 0.0
    impact: float = 0.0

    def __post_init__(self) -> None:
        for name in ("fees_bps", "slippage_bps", "impact"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise StrategyError(f"{name} must be a finite number >= 0, got {v!r}.")

    @property
    def fee_rate(self) -> float:
        """Fees as a fraction of traded value."""
        return self.fees_bps / 1e4

    @property
    def slippage_rate(self) -> float:
        """Fixed slippage as a fraction of the close."""
        return self.slippage_bps / 1e4


def slippage_rate(
    trade_usd: float, volume_usd: float, *, slippage_bps: float = 0.0, impact: float = 0.0
) -> float:
    """Slippage rate of one trade (the engine's formula, for reference and tests).

    Parameters
    ----------
    trade_usd
        Absolute traded value at the close, USD.
    volume_usd
        The asset's traded volume that day, USD (NaN or <= 0: no impact term).
    slippage_bps, impact
        See :class:`CostModel`.

    Returns
    -------
    float
        Fraction of the close, capped at 0.5.
    """
    s = slippage_bps / 1e4
    if impact > 0 and math.isfinite(volume_usd) and volume_usd > 0:
        s += impact * math.sqrt(abs(trade_usd) / volume_usd)
    return min(s, MAX_SLIPPAGE)
