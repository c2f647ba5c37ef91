"""Signals: scores in [-1, 1] computed only from data known at their date.

Each function documents its look-back. A score at date ``t`` uses rows up to
the close of ``t``; macro inputs count from their publication date
(:data:`PUBLICATION_LAGS`, :func:`asof_released`), not their observation date; strategies turn scores into target weights and the
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
from altseason.signals._release import (
    PUBLICATION_LAGS,
    ReleaseRule,
    asof_released,
    point_in_time_liquidity,
    release_dates,
)

__all__ = [
    "PUBLICATION_LAGS",
    "ReleaseRule",
    "asof_released",
    "composite_signal",
    "cross_sectional_momentum",
    "etf_flow_signal",
    "fear_greed_signal",
    "liquidity_signal",
    "options_skew_signal",
    "point_in_time_liquidity",
    "relative_strength_signal",
    "release_dates",
    "time_series_momentum",
]
