"""Run a strategy through the backtest engine with its data, legs and funding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from altseason.labels import data_label
from altseason.strategies._base import MarketData, Strategy

if TYPE_CHECKING:
    from altseason.backtest import BacktestResult

__all__ = ["run_strategy"]


def run_strategy(strategy: Strategy, data: MarketData, **engine: Any) -> BacktestResult:
    """Backtest ``strategy`` on ``data``.

    Weights come from ``strategy.weights(data)``; option legs from
    ``strategy.option_legs(data)`` when the strategy has them; perp funding
    from ``data.funding``; the point-in-time universe is "has a close that day".
    Other keyword arguments go to :func:`~altseason.backtest.run_backtest`
    (``lag``, ``fees_bps``, ``slippage_bps``, ``leverage``, ``cash_yield``, ...).
    """
    from altseason.backtest import run_backtest

    weights = strategy.weights(data)
    legs = strategy.option_legs(data) if hasattr(strategy, "option_legs") else []
    engine.setdefault("funding", data.funding)
    engine.setdefault("label", data_label(data.sources) if data.sources else None)
    if any(w < 0 for w in weights.min(axis=0).fillna(0.0)):
        engine.setdefault("margin", True)
    return run_backtest(data.close, weights, options=legs, **engine)
