"""Strategies: target-weight rules built from signals.

Data known at the close of day ``t`` -> target weights for ``t``; the
backtest trades them at a later close. Every strategy has one shape: a
small dataclass whose fields are its parameters, with ``weights(data:
MarketData)``. Built-ins: benchmarks (:class:`BtcHold`, :class:`BtcEth5050`,
:class:`CapWeightedMarket`, :class:`EqualWeightSmallCaps`), :class:`Rotation`,
top-K :class:`Momentum` and :class:`HedgedShort`, all in one registry
(:func:`strategy_names`, :func:`register_strategy`).
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
from altseason.strategies._momentum import Momentum, momentum_weights
from altseason.strategies._registry import (
    StrategyParam,
    make_strategy,
    parse_param_value,
    parse_params,
    register_strategy,
    strategy_class,
    strategy_names,
    strategy_params,
)
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
    "Momentum",
    "Rotation",
    "RotationState",
    "Strategy",
    "StrategyParam",
    "as_strategy",
    "atm_implied_vol",
    "make_strategy",
    "market_data_from_store",
    "momentum_weights",
    "option_surface",
    "parse_param_value",
    "parse_params",
    "rebalance_dates",
    "register_strategy",
    "run_strategy",
    "skew_model_iv",
    "smile_at",
    "strategy_class",
    "strategy_names",
    "strategy_params",
    "validate_weights",
]
