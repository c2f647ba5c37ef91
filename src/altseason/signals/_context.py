"""Sentiment, macro and positioning signals: scores in [-1, 1], causal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from altseason.signals._momentum import _check_lookback

__all__ = [
    "etf_flow_signal",
    "fear_greed_signal",
    "liquidity_signal",
    "options_skew_signal",
]


def fear_greed_signal(fear_greed: pd.Series, extreme: float = 25.0) -> pd.Series:
    """Contrarian Fear & Greed score.

    Linear in the index value ``v`` (0-100): ``(50 - v) / (50 - extreme)``,
    clipped to [-1, 1]. Extreme fear (``v <= extreme``) gives +1 (a buying
    signal), extreme greed (``v >= 100 - extreme``) gives -1. Look-back: the
    day's value only. Missing days stay NaN.
    """
    if not 0 < extreme < 50:
        raise ValueError("extreme must be between 0 and 50")
    return ((50.0 - fear_greed.astype(float)) / (50.0 - extreme)).clip(-1.0, 1.0)


def liquidity_signal(
    net_liquidity: pd.Series, lookback: int = 91, scale: float = 0.05
) -> pd.Series:
    """Macro liquidity trend score: ``tanh(pct_change(lookback) / scale)``.

    ``net_liquidity`` is a daily (as-of, forward-filled) series such as Fed net
    liquidity or M2. Growth of ``scale`` (5%) over the look-back maps to
    ``tanh(1) = 0.76``. Look-back: ``lookback`` days.
    """
    _check_lookback(lookback)
    s = net_liquidity.astype(float)
    change = s / s.shift(lookback) - 1.0
    return np.tanh(change / scale)


def etf_flow_signal(flows_usd: pd.Series, lookback: int = 20, z_window: int = 180) -> pd.Series:
    """ETF flow trend score.

    The ``lookback``-day sum of net flows, z-scored against its trailing
    ``z_window``-day history, squashed with ``tanh(z / 2)``. Persistent
    inflows are positive. Look-back: ``z_window + lookback`` days.
    """
    _check_lookback(lookback)
    _check_lookback(z_window, "z_window")
    s = flows_usd.astype(float).fillna(0.0)
    total = s.rolling(lookback, min_periods=lookback).sum()
    mean = total.rolling(z_window, min_periods=lookback).mean()
    std = total.rolling(z_window, min_periods=lookback).std()
    z = (total - mean) / std.where(std > 0)
    return np.tanh(z / 2.0)


def options_skew_signal(risk_reversal_25d: pd.Series, scale: float = 0.05) -> pd.Series:
    """Options skew score: ``tanh(rr25 / scale)``.

    ``rr25`` is the 25-delta risk reversal (call IV minus put IV, decimal). Calls
    bid over puts (positive skew) is bullish positioning. Look-back: the
    snapshot's value only.
    """
    return np.tanh(risk_reversal_25d.astype(float) / scale)
