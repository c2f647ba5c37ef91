"""Signals: scores in [-1, 1] computed only from data known at their date.

Each function documents its look-back. A score at date ``t`` uses rows up to
the close of ``t``; strategies turn scores into target weights and the
backtest trades them at a later close.
"""

from altseason.signals._composite import composite_signal
from altseason.signals._context import (
    etf_flow_signal,
    fear_greed_signal,
    liquidity_signal,
    options_skew_signal,
)
from altseason.signals._momentum import (
    cross_sectional_momentum,
    relative_strength_signal,
    time_series_momentum,
)

__all__ = [
    "composite_signal",
    "cross_sectional_momentum",
    "etf_flow_signal",
    "fear_greed_signal",
    "liquidity_signal",
    "options_skew_signal",
    "relative_strength_signal",
    "time_series_momentum",
]
