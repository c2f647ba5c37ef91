"""Strategies: target-weight rules built from signals.

Data known at the close of day ``t`` -> target weights for ``t``; the
backtest trades them at a later close. Built-ins: benchmarks
(:class:`BtcHold`, :class:`BtcEth5050`, :class:`CapWeightedMarket`,
:class:`EqualWeightSmallCaps`), :class:`Rotation` and top-K momentum
(:func:`momentum_weights`). Your own strategy is a function
``fn(data) -> weights`` (wrap it with :func:`as_strategy`) or any object with
``name`` and ``weights(data)``.
"""

from altseason.strategies._base import (
    FunctionStrategy,
    MarketData,
    Strategy,
    as_strategy,
    rebalance_dates,
    validate_weights,
)
from altseason.strategies._benchmarks import (
    BtcEth5050,
    BtcHold,
    CapWeightedMarket,
    EqualWeightSmallCaps,
)
from altseason.strategies._data import atm_implied_vol, market_data_from_store
from altseason.strategies._hedged import HedgedShort
from altseason.strategies._momentum import momentum_weights
from altseason.strategies._rotation import Rotation, RotationState
from altseason.strategies._run import run_strategy
from altseason.strategies._surface import (
    MONEYNESS_GRID,
    option_surface,
    skew_model_iv,
    smile_at,
)

__all__ = [
    "MONEYNESS_GRID",
    "BtcEth5050",
    "BtcHold",
    "CapWeightedMarket",
    "EqualWeightSmallCaps",
    "FunctionStrategy",
    "HedgedShort",
    "MarketData",
    "Rotation",
    "RotationState",
    "Strategy",
    "as_strategy",
    "atm_implied_vol",
    "market_data_from_store",
    "momentum_weights",
    "option_surface",
    "rebalance_dates",
    "run_strategy",
    "skew_model_iv",
    "smile_at",
    "validate_weights",
]
