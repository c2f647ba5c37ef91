"""Option legs for hedged strategies, priced with Black-76.

A leg is a rolling European option on one asset of the close panel: bought
(or sold) at the close with strike ``moneyness x spot``, held to expiry
``tenor_days`` later, settled at intrinsic value, then rolled into a new
contract on the same close. Premiums come from an implied-vol input (one
number, or a daily series forward-filled: for an OTM strike, the vol *at that
strike*, from the stored chain's smile or a skew model, see
:func:`altseason.strategies.leg_implied_vol`). Pricing is Black-76 on the
forward ``F = spot x exp(carry x tau)`` with zero discounting, where
``carry`` is the annualised basis of the perp or future (e.g. the trailing
funding rate x 365); premiums are in USD per unit of the underlying. Fees
follow Deribit's rule (see :func:`~altseason.backtest.run_backtest`):
0.03% of the underlying per contract, capped at 12.5% of the option price.

Typical hedges of a short BTC perp: a long OTM call
(``OptionLeg("BTC", "call", moneyness=1.10)``) or a collar (that call plus a
short put, ``OptionLeg("BTC", "put", moneyness=0.90, size=-1.0)``).

Notes
-----
The pricing function here is a small private numba kernel used inside the
simulation loop; ``altseason.analytics`` has the documented Black-76 tools.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numba import njit

from altseason._typing import FloatArray
from altseason.exceptions import StrategyError

__all__ = ["OptionLeg", "black76_nb", "prepare_option_legs"]


@njit(cache=True, inline="always")
def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=True)
def black76_nb(forward: float, strike: float, tau: float, vol: float, is_call: bool) -> float:
    """Undiscounted Black-76 price of a European option (zero rates).

    ``tau`` in years; at or after expiry (``tau <= 0``) or with zero vol, the
    intrinsic value.
    """
    if tau <= 0.0 or vol <= 0.0:
        if is_call:
            return max(forward - strike, 0.0)
        return max(strike - forward, 0.0)
    sd = vol * math.sqrt(tau)
    d1 = (math.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if is_call:
        return forward * _norm_cdf(d1) - strike * _norm_cdf(d2)
    return strike * _norm_cdf(-d2) - forward * _norm_cdf(-d1)


@dataclass(frozen=True)
class OptionLeg:
    """A rolling option position held alongside the target weights.

    Parameters
    ----------
    underlying
        Asset id (a column of the close panel), e.g. ``"BTC"``.
    kind
        ``"call"`` or ``"put"``.
    moneyness
        Strike as a multiple of spot at each roll (1.10 = 10% above spot).
    tenor_days
        Calendar days from purchase to expiry; the leg is held to expiry.
    size
        Signed quantity: positive buys, negative sells (a collar's put).
        With ``sizing="position"`` it is units of option per unit of the
        underlying held (absolute value of the position after that day's
        rebalance: 1.0 hedges a short fully); with ``sizing="equity"`` it is
        the notional as a fraction of equity at the roll.
    sizing
        ``"position"`` or ``"equity"``.
    implied_vol
        Annualised implied vol at this leg's strike (0.6 = 60%): a number, or a
        Series indexed by date (forward-filled; missing values before its first
        date block rolls).
    carry
        Annualised carry of the forward over spot (``F = S exp(carry x tau)``):
        a number or a daily Series (forward-filled; missing = 0).
    """

    underlying: str
    kind: Literal["call", "put"] = "call"
    moneyness: float = 1.1
    tenor_days: int = 30
    size: float = 1.0
    sizing: Literal["position", "equity"] = "position"
    implied_vol: float | pd.Series = 0.6
    carry: float | pd.Series = 0.0


def prepare_option_legs(
    legs: tuple[OptionLeg, ...] | list[OptionLeg], prices: pd.DataFrame
) -> tuple[
    np.ndarray, np.ndarray, FloatArray, np.ndarray, FloatArray, np.ndarray, FloatArray, FloatArray
]:
    """Turn legs into the kernel's arrays (asset, call, moneyness, tenor, size, by_position,
    iv, carry).

    Raises
    ------
    StrategyError
        Unknown underlying, bad kind/sizing, non-positive tenor or moneyness,
        or a negative implied vol.
    """
    n = len(legs)
    asset = np.zeros(n, dtype=np.int64)
    is_call = np.zeros(n, dtype=np.bool_)
    mny = np.zeros(n)
    tenor = np.zeros(n, dtype=np.int64)
    size = np.zeros(n)
    by_pos = np.zeros(n, dtype=np.bool_)
    iv = np.full((len(prices.index), n), np.nan)
    carry = np.zeros((len(prices.index), n))
    cols = list(prices.columns)
    for k, leg in enumerate(legs):
        where = f"option leg {k} ({leg.kind} on {leg.underlying})"
        if leg.underlying not in cols:
            raise StrategyError(
                f"{where}: {leg.underlying!r} is not a column of the price panel; "
                "pass prices that include the underlying."
            )
        if leg.kind not in ("call", "put"):
            raise StrategyError(f"{where}: kind must be 'call' or 'put', not {leg.kind!r}.")
        if leg.sizing not in ("position", "equity"):
            raise StrategyError(f"{where}: sizing must be 'position' or 'equity'.")
        if leg.tenor_days < 1 or not leg.moneyness > 0:
            raise StrategyError(f"{where}: tenor_days must be >= 1 and moneyness > 0.")
        asset[k] = cols.index(leg.underlying)
        is_call[k] = leg.kind == "call"
        mny[k] = leg.moneyness
        tenor[k] = leg.tenor_days
        size[k] = leg.size
        by_pos[k] = leg.sizing == "position"
        if isinstance(leg.implied_vol, pd.Series):
            vol = leg.implied_vol.astype(float).reindex(prices.index).ffill().to_numpy()
        else:
            vol = np.full(len(prices.index), float(leg.implied_vol))
        if np.any(vol[np.isfinite(vol)] < 0):
            raise StrategyError(f"{where}: implied vol must be >= 0 (annualised, 0.6 = 60%).")
        iv[:, k] = vol
        if isinstance(leg.carry, pd.Series):
            c = leg.carry.astype(float).reindex(prices.index).ffill().fillna(0.0).to_numpy()
        else:
            c = np.full(len(prices.index), float(leg.carry))
        if not np.all(np.isfinite(c)):
            raise StrategyError(f"{where}: carry must be finite (annualised, 0.05 = 5%).")
        carry[:, k] = c
    return asset, is_call, mny, tenor, size, by_pos, iv, carry
