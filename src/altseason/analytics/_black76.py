"""Black-76 pricing, greeks and implied volatility for options on a forward.

Deribit's BTC and ETH options are European options on the forward (the
venue's ``underlying_price`` for the expiry) and are **inverse**: the premium
is paid and quoted in the underlying coin. This module prices them with
Black-76 in USD and converts:

* USD price ``V`` (per contract on one coin) from :func:`black76_price`;
* inverse premium in coin ``V / F`` from :func:`inverse_price`
  (``F`` is the forward in USD per coin).

Conventions (all functions are vectorised; inputs broadcast with NumPy rules):

* ``forward`` and ``strike`` in USD; ``t`` in years (ACT/365: calendar days /
  365); ``vol`` is a decimal annual volatility (0.55 = 55 %);
* ``kind`` is ``"C"``/``"P"`` (case-insensitive, also ``"call"``/``"put"``) or
  an array of them, or a boolean array where True means call;
* ``discount`` is the discount factor ``exp(-r t)`` (default 1: Deribit's
  options settle on the coin and are conventionally priced with r = 0).

Greeks are derivatives of the USD price ``V``:

* ``delta`` = dV/dF (forward delta): ``D N(d1)`` for calls and
  ``D (N(d1) - 1)`` for puts;
* ``gamma`` = d²V/dF² = ``D n(d1) / (F σ √t)``;
* ``vega`` = dV/dσ per 1.00 of vol (divide by 100 for a vol point) =
  ``D F n(d1) √t``;
* ``theta`` = dV/dt with calendar time running forward, **per year**
  (divide by 365 for per day): ``-D F n(d1) σ / (2 √t) + r V`` where
  ``r = -ln(D) / t``.

Inverse adjustments (premium in coin, ``V_c = V / F``): the coin-settled
holder's exposure expressed in coin units is ``F dV_c/dF = delta - V / F``,
which is the delta Deribit displays for its inverse options
(:func:`inverse_delta`); vega and theta in coin are the USD figures divided by
``F``. Gamma is reported as the USD Black-76 gamma.

At ``t <= 0`` or ``vol <= 0`` prices collapse to the discounted intrinsic value
and greeks are undefined (NaN), except delta, which becomes the step
function of moneyness (0.5 weight at the money is not used: calls get 1 when
``F > K``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from altseason._typing import FloatArray
from altseason.exceptions import ValidationError

__all__ = [
    "Black76Greeks",
    "black76_greeks",
    "black76_price",
    "implied_vol",
    "inverse_delta",
    "inverse_price",
]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


def _is_call(kind: Any) -> np.ndarray:
    """Boolean array: True for calls; accepts bools or C/P/call/put strings."""
    arr = np.asarray(kind)
    if arr.dtype == bool:
        return arr
    flat = np.char.upper(np.char.strip(arr.astype(str)))
    calls = np.isin(flat, ["C", "CALL"])
    puts = np.isin(flat, ["P", "PUT"])
    bad = ~(calls | puts)
    if np.any(bad):
        sample = sorted(set(np.atleast_1d(arr.astype(str))[np.atleast_1d(bad)].tolist()))[:5]
        raise ValidationError(
            f"option kind must be 'C' or 'P' (or 'call'/'put'); got {sample}. "
            "Fix the kind column of the option chain."
        )
    return calls


def _pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / _SQRT_2PI


def _d1d2(
    forward: np.ndarray, strike: np.ndarray, t: np.ndarray, vol: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        sig_t = vol * np.sqrt(t)
        d1 = (np.log(forward / strike) + 0.5 * sig_t * sig_t) / sig_t
        d2 = d1 - sig_t
    return d1, d2, sig_t


def _arrays(*xs: Any) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*[np.asarray(x, dtype=float) for x in xs]))


def black76_price(
    forward: Any, strike: Any, t: Any, vol: Any, kind: Any, discount: Any = 1.0
) -> FloatArray:
    """Black-76 price of a European option on a forward, in the forward's currency.

    Parameters
    ----------
    forward, strike
        Forward price and strike (USD per coin); positive.
    t
        Time to expiry in years (ACT/365).
    vol
        Annual implied volatility, decimal.
    kind
        ``"C"``/``"P"`` (or arrays of them, or booleans True = call).
    discount
        Discount factor ``exp(-r t)`` (1 for Deribit's convention).

    Returns
    -------
    ndarray
        ``D [F N(d1) - K N(d2)]`` for calls, ``D [K N(-d2) - F N(-d1)]`` for puts,
        broadcast to the inputs' shape. Where ``t <= 0`` or ``vol <= 0`` the
        discounted intrinsic value; NaN inputs give NaN.
    """
    f, k, tt, v, d = _arrays(forward, strike, t, vol, discount)
    call = np.broadcast_to(_is_call(kind), f.shape)
    d1, d2, _ = _d1d2(f, k, tt, v)
    call_px = f * ndtr(d1) - k * ndtr(d2)
    put_px = k * ndtr(-d2) - f * ndtr(-d1)
    px = d * np.where(call, call_px, put_px)
    degenerate = (tt <= 0) | (v <= 0)
    intrinsic = d * np.where(call, np.maximum(f - k, 0.0), np.maximum(k - f, 0.0))
    out = np.where(degenerate, intrinsic, px)
    return np.asarray(out, dtype=float)


def inverse_price(
    forward: Any, strike: Any, t: Any, vol: Any, kind: Any, discount: Any = 1.0
) -> FloatArray:
    """Premium of an inverse (coin-settled) option in units of the coin: ``V / F``."""
    f = np.asarray(forward, dtype=float)
    return np.asarray(black76_price(f, strike, t, vol, kind, discount) / f, dtype=float)


@dataclass(frozen=True)
class Black76Greeks:
    """Black-76 greeks of the USD price (see the module docstring for units).

    Attributes
    ----------
    delta
        dV/dF, per coin of notional.
    gamma
        d²V/dF², per USD of forward move.
    vega
        dV/dσ per 1.00 of volatility (USD).
    theta
        dV/dt per year of calendar time (USD; negative for long options).
    """

    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray


def black76_greeks(
    forward: Any, strike: Any, t: Any, vol: Any, kind: Any, discount: Any = 1.0
) -> Black76Greeks:
    """Delta, gamma, vega and theta of the Black-76 USD price.

    Parameters are those of :func:`black76_price`. Greeks are NaN where
    ``t <= 0`` or ``vol <= 0`` except delta, which is the discounted step
    function of moneyness there.
    """
    f, k, tt, v, d = _arrays(forward, strike, t, vol, discount)
    call = np.broadcast_to(_is_call(kind), f.shape)
    d1, d2, sig_t = _d1d2(f, k, tt, v)
    pdf1 = _pdf(d1)
    degenerate = (tt <= 0) | (v <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = d * np.where(call, ndtr(d1), ndtr(d1) - 1.0)
        gamma = d * pdf1 / (f * sig_t)
        vega = d * f * pdf1 * np.sqrt(tt)
        r = np.where(tt > 0, -np.log(d) / np.where(tt > 0, tt, 1.0), 0.0)
        price = d * np.where(call, f * ndtr(d1) - k * ndtr(d2), k * ndtr(-d2) - f * ndtr(-d1))
        theta = -d * f * pdf1 * v / (2.0 * np.sqrt(tt)) + r * price
    step = d * np.where(call, (f > k).astype(float), -(f < k).astype(float))
    nan = np.full(f.shape, np.nan)
    return Black76Greeks(
        delta=np.asarray(np.where(degenerate, step, delta), dtype=float),
        gamma=np.asarray(np.where(degenerate, nan, gamma), dtype=float),
        vega=np.asarray(np.where(degenerate, nan, vega), dtype=float),
        theta=np.asarray(np.where(degenerate, nan, theta), dtype=float),
    )


def inverse_delta(
    forward: Any, strike: Any, t: Any, vol: Any, kind: Any, discount: Any = 1.0
) -> FloatArray:
    """Delta of an inverse option in coin units: ``delta - V / F``.

    The holder of an inverse option owns ``V / F`` coins of premium; measured
    in coin, the exposure to the forward is ``F d(V/F)/dF = delta - V/F``.
    This is the delta Deribit shows for its coin-settled options.
    """
    f = np.asarray(forward, dtype=float)
    g = black76_greeks(f, strike, t, vol, kind, discount)
    px = black76_price(f, strike, t, vol, kind, discount)
    return np.asarray(g.delta - px / f, dtype=float)


def implied_vol(
    price: Any,
    forward: Any,
    strike: Any,
    t: Any,
    kind: Any,
    *,
    discount: Any = 1.0,
    inverse: bool = False,
    lower: float = 1e-6,
    upper: float = 10.0,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> FloatArray:
    """Implied volatility from a Black-76 price, vectorised and bracketed.

    Each element is solved by Newton steps safeguarded with bisection: the
    bracket ``[lower, upper]`` always contains the root; a Newton step that
    leaves the bracket (or has vega ~ 0) is replaced by the midpoint. Converges
    for every attainable price.

    Parameters
    ----------
    price
        Option price: USD (default), or coin when ``inverse=True`` (Deribit's
        ``mark_price``; multiplied by the forward before solving).
    forward, strike, t, kind, discount
        As in :func:`black76_price`.
    lower, upper
        Volatility bracket (decimal).
    tol
        Stop when the Newton step or the bracket is below ``tol`` (vol units);
        prices are checked against the bounds with a slack of ``tol * max(F, K)``.

    Returns
    -------
    ndarray
        Decimal implied vols. NaN where the price is NaN, ``t <= 0``, or the
        price lies outside the no-arbitrage range ``[price at lower, price at
        upper]`` (e.g. below intrinsic value).
    """
    p, f, k, tt, d = _arrays(price, forward, strike, t, discount)
    call = np.broadcast_to(_is_call(kind), f.shape)
    if inverse:
        p = p * f
    lo = np.full(f.shape, float(lower))
    hi = np.full(f.shape, float(upper))
    p_lo = black76_price(f, k, tt, lo, call, d)
    p_hi = black76_price(f, k, tt, hi, call, d)
    scale = np.maximum(np.abs(f), np.abs(k))
    valid = np.isfinite(p) & np.isfinite(f) & np.isfinite(k) & (tt > 0) & (f > 0) & (k > 0)
    slack = tol * scale
    valid &= (p >= p_lo - slack) & (p <= p_hi + slack)
    # Start from the Brenner-Subrahmanyam style guess, clipped into the bracket.
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.sqrt(2.0 * np.pi / np.where(tt > 0, tt, 1.0)) * p / np.where(f > 0, f, 1.0)
    sigma = np.clip(np.where(np.isfinite(guess) & (guess > 0), guess, 0.5), lower, upper)
    active = valid.copy()
    for _ in range(max_iter):
        if not active.any():
            break
        px = black76_price(f, k, tt, sigma, call, d)
        diff = px - p
        # Tighten the bracket: price increases with vol.
        hi = np.where(active & (diff > 0), sigma, hi)
        lo = np.where(active & (diff <= 0), sigma, lo)
        vega = black76_greeks(f, k, tt, sigma, call, d).vega
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = diff / vega
        newton = sigma - step
        done = active & ((diff == 0) | (np.abs(step) <= tol) | (hi - lo <= tol))
        active &= ~done
        ok = np.isfinite(newton) & (newton > lo) & (newton < hi)
        sigma = np.where(active, np.where(ok, newton, 0.5 * (lo + hi)), sigma)
        # Accept the final Newton step of elements that just converged.
        sigma = np.where(done & ok, newton, sigma)
    out = np.where(valid, sigma, np.nan)
    return np.asarray(out, dtype=float)
