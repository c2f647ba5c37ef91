"""Black-76 against an independent scipy implementation, parity and IV round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from altseason.analytics import (
    black76_greeks,
    black76_price,
    implied_vol,
    inverse_delta,
    inverse_price,
)
from altseason.exceptions import ValidationError


def ref_black76(F, K, T, sigma, call, r=0.0):
    """Textbook Black-76 with scipy.stats.norm, written out independently."""
    df = np.exp(-r * T)
    d1 = (np.log(F / K) + sigma**2 * T / 2.0) / (sigma * np.sqrt(T))
    d2 = d1 - sigma * np.sqrt(T)
    if call:
        price = df * (F * norm.cdf(d1) - K * norm.cdf(d2))
        delta = df * norm.cdf(d1)
    else:
        price = df * (K * norm.cdf(-d2) - F * norm.cdf(-d1))
        delta = -df * norm.cdf(-d1)
    gamma = df * norm.pdf(d1) / (F * sigma * np.sqrt(T))
    vega = df * F * norm.pdf(d1) * np.sqrt(T)
    theta = -df * F * norm.pdf(d1) * sigma / (2 * np.sqrt(T)) + r * price
    return price, delta, gamma, vega, theta


GRID = [
    (92_500.0, 100_000.0, 0.05, 0.45, True, 0.0),
    (92_500.0, 80_000.0, 0.05, 0.55, False, 0.0),
    (92_500.0, 92_500.0, 0.8, 0.50, True, 0.03),
    (2_300.0, 1_500.0, 0.25, 0.9, False, 0.05),
    (2_300.0, 4_000.0, 1.5, 0.7, True, 0.01),
    (100.0, 100.0, 1 / 365, 1.2, False, 0.0),
]


@pytest.mark.parametrize(("F", "K", "T", "sigma", "call", "r"), GRID)
def test_price_and_greeks_match_reference(F, K, T, sigma, call, r):
    price, delta, gamma, vega, theta = ref_black76(F, K, T, sigma, call, r)
    D = np.exp(-r * T)
    kind = "C" if call else "P"
    assert black76_price(F, K, T, sigma, kind, D) == pytest.approx(price, abs=1e-8, rel=1e-12)
    g = black76_greeks(F, K, T, sigma, kind, D)
    assert g.delta == pytest.approx(delta, abs=1e-8)
    assert g.gamma == pytest.approx(gamma, abs=1e-8)
    assert g.vega == pytest.approx(vega, abs=1e-8, rel=1e-12)
    assert g.theta == pytest.approx(theta, abs=1e-8, rel=1e-12)


def test_vectorised_matches_scalar_and_finite_differences():
    F = np.array([92_500.0, 92_500.0, 2_300.0])
    K = np.array([90_000.0, 110_000.0, 2_000.0])
    T = np.array([0.1, 0.5, 0.02])
    v = np.array([0.5, 0.6, 0.8])
    kind = np.array(["C", "P", "put"])
    px = black76_price(F, K, T, v, kind)
    for i in range(3):
        assert px[i] == pytest.approx(black76_price(F[i], K[i], T[i], v[i], kind[i]), rel=1e-14)
    g = black76_greeks(F, K, T, v, kind)
    h = 1e-3
    fd_delta = (black76_price(F + h, K, T, v, kind) - black76_price(F - h, K, T, v, kind)) / (2 * h)
    np.testing.assert_allclose(g.delta, fd_delta, rtol=1e-6, atol=1e-8)
    fd_vega = (
        black76_price(F, K, T, v + 1e-6, kind) - black76_price(F, K, T, v - 1e-6, kind)
    ) / 2e-6
    np.testing.assert_allclose(g.vega, fd_vega, rtol=1e-5)
    dt = 1e-7
    fd_theta = -(black76_price(F, K, T + dt, v, kind) - black76_price(F, K, T - dt, v, kind)) / (
        2 * dt
    )
    np.testing.assert_allclose(g.theta, fd_theta, rtol=1e-5)


@given(
    F=st.floats(50.0, 200_000.0),
    m=st.floats(0.3, 3.0),
    T=st.floats(1 / 365, 2.0),
    sigma=st.floats(0.05, 3.0),
    r=st.floats(0.0, 0.1),
)
@settings(max_examples=60, deadline=None)
def test_put_call_parity(F, m, T, sigma, r):
    K = F * m
    D = np.exp(-r * T)
    c = black76_price(F, K, T, sigma, "C", D)
    p = black76_price(F, K, T, sigma, "P", D)
    assert c - p == pytest.approx(D * (F - K), abs=1e-8 * max(F, K))


def test_implied_vol_round_trips_on_a_grid():
    F = 92_500.0
    K = F * np.linspace(0.4, 2.5, 15)
    T = np.array([2 / 365, 30 / 365, 1.0])
    vols = np.array([0.1, 0.55, 1.5])
    KK, TT, VV = np.meshgrid(K, T, vols, indexing="ij")
    kind = np.where(KK >= F, "C", "P")
    px = black76_price(F, KK, TT, VV, kind)
    iv = implied_vol(px, F, KK, TT, kind)
    # Where vega is negligible the price does not pin the vol down: check the price instead.
    vega = black76_greeks(F, KK, TT, VV, kind).vega
    ok = vega > 1e-6 * F
    assert ok.mean() > 0.5
    np.testing.assert_allclose(iv[ok], VV[ok], atol=1e-8)
    np.testing.assert_allclose(black76_price(F, KK, TT, iv, kind), px, atol=1e-7 * F)


@given(
    m=st.floats(0.6, 1.6),
    T=st.floats(3 / 365, 1.5),
    sigma=st.floats(0.1, 2.0),
    call=st.booleans(),
)
@settings(max_examples=80, deadline=None)
def test_implied_vol_round_trip_inverse(m, T, sigma, call):
    F = 92_530.0
    K = F * m
    kind = "C" if call else "P"
    coin = inverse_price(F, K, T, sigma, kind)
    iv = implied_vol(coin, F, K, T, kind, inverse=True)
    # The price always round-trips; the vol only where the price depends on it.
    assert inverse_price(F, K, T, iv, kind) == pytest.approx(coin, abs=1e-12)
    assume(black76_greeks(F, K, T, sigma, kind).vega > 1e-4 * F)
    assert iv == pytest.approx(sigma, abs=1e-7)


def test_implied_vol_nan_outside_bounds():
    # Below intrinsic value and above the forward: unattainable.
    assert np.isnan(implied_vol(1_000.0, 100_000.0, 90_000.0, 0.1, "C"))
    assert np.isnan(implied_vol(100_001.0, 100_000.0, 90_000.0, 0.1, "C"))
    assert np.isnan(implied_vol(np.nan, 100_000.0, 90_000.0, 0.1, "C"))
    assert np.isnan(implied_vol(500.0, 100_000.0, 90_000.0, 0.0, "C"))


def test_inverse_price_and_delta():
    F, K, T, s = 92_500.0, 100_000.0, 0.1, 0.5
    usd = black76_price(F, K, T, s, "C")
    assert inverse_price(F, K, T, s, "C") == pytest.approx(usd / F, rel=1e-14)
    # Deribit-style delta: F * d(V/F)/dF = delta - V/F
    h = 1e-2
    fd = F * (inverse_price(F + h, K, T, s, "C") - inverse_price(F - h, K, T, s, "C")) / (2 * h)
    assert inverse_delta(F, K, T, s, "C") == pytest.approx(fd, abs=1e-7)
    assert inverse_delta(F, K, T, s, "C") == pytest.approx(
        black76_greeks(F, K, T, s, "C").delta - usd / F, abs=1e-14
    )


def test_expired_and_zero_vol_give_intrinsic():
    assert black76_price(100.0, 90.0, 0.0, 0.5, "C") == pytest.approx(10.0)
    assert black76_price(100.0, 90.0, 0.5, 0.0, "P") == pytest.approx(0.0)
    g = black76_greeks(100.0, 90.0, 0.0, 0.5, "C")
    assert g.delta == 1.0
    assert np.isnan(g.gamma)


def test_bad_kind_raises():
    with pytest.raises(ValidationError, match="kind must be 'C' or 'P'"):
        black76_price(100.0, 90.0, 0.5, 0.5, "X")
