"""The numba simulation kernel: target weights over a close panel.

This module holds only compiled loops over NumPy arrays; validation,
alignment and result objects live in :mod:`altseason.backtest._runner`.

Execution model (one day ``i``, in this order)
---------------------------------------------
1. **Prices**: the valuation price of each asset is its close, forward-filled
   over missing days (a gap or a delisting keeps the last price).
2. **Accruals** on positions carried from the previous close: perp funding
   (``cash -= units * price * rate``: shorts receive a positive rate; longs pay
   it only when ``longs_pay_funding``) and the stablecoin yield on the previous
   close's free cash (equity minus long value minus option marks, if positive).
3. **Options**: legs reaching expiry settle at intrinsic value.
4. **Delistings**: a position in an asset whose prices have stopped for good
   (``i > last_valid[j]``) is sold at its last price, without fees.
5. **Rebalance** (rows with targets): the equity ``V`` is valued once at the
   close (cash + units x close + option marks). Each asset's order value
   ``w * V - units * close`` is computed and the orders run in ascending order
   of that value (a stable sort: sells first, then the smallest buys), exactly
   as vectorbt's ``call_seq='auto'``. Each order targets
   ``w * V / close - units`` units and is filled at ``close * (1 +/- s)``
   (``s`` = slippage rate) paying ``fees`` on the filled value. Without margin
   a buy is capped by the cash available (vectorbt's partial fill: the whole
   cash is spent, fees included); with margin cash may go negative. Targets
   that are NaN, or whose asset has no close that day, place no order.
6. **Option rolls**: inactive legs open a new contract at the close.
7. **Valuation** at the close.

The order arithmetic, tolerances (relative 1e-9, absolute 1e-12) and the
ordering reproduce vectorbt 1.2.0 ``Portfolio.from_orders(size_type=
'targetpercent', cash_sharing=True, call_seq='auto')`` to rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from altseason.backtest._options import black76_nb

__all__ = ["N_DAILY", "ffill_nb", "simulate_many_nb", "simulate_nb", "simulate_plain_nb"]

_REL_TOL = 1e-9
_ABS_TOL = 1e-12

# Columns of the per-day ``daily`` output array.
D_VALUE = 0
D_CASH = 1
D_FEES = 2
D_SLIPPAGE = 3
D_FUNDING = 4  # paid (negative = received)
D_YIELD = 5  # earned on stablecoin cash
D_TRADED = 6  # sum of |units traded| x close
D_LONG = 7  # value of long positions at the close
D_SHORT = 8  # absolute value of short positions at the close
D_OPTIONS = 9  # mark value of option legs at the close
D_OPTION_CASH = 10  # option premiums paid (+) / settlements received (-)
D_FUNDING_RECEIVED = 11  # funding received (>= 0); paid = D_FUNDING + this
D_PREMIUM_PAID = 12  # premiums paid for options bought (>= 0)
D_PREMIUM_RECEIVED = 13  # premiums received for options sold (>= 0)
D_OPTION_PAYOFF = 14  # settlement cash at expiry (+ received by longs, - paid by shorts)
D_OPTION_FEES = 15  # option trading and delivery fees (>= 0)
N_DAILY = 16


@njit(cache=True, inline="always")
def _is_close(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return False
    if np.isinf(a) or np.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(_REL_TOL * max(abs(a), abs(b)), _ABS_TOL)


@njit(cache=True, inline="always")
def _add(a: float, b: float) -> float:
    """``a + b``, snapped to 0 when the sum is zero within tolerance."""
    same_sign = np.sign(a) == np.sign(b)
    zero = _is_close(a + b, 0.0) if same_sign else _is_close(abs(a), abs(b))
    if zero:
        return 0.0
    return a + b


@njit(cache=True, inline="always")
def _growth(carry: float, tau: float) -> float:
    """Forward / spot for an annualised carry (NaN carry: forward = spot)."""
    if np.isnan(carry) or tau <= 0.0:
        return 1.0
    return math.exp(carry * tau)


@njit(cache=True)
def ffill_nb(a: np.ndarray) -> np.ndarray:
    """Forward-fill NaN down each column of a 2-D array (leading NaN stay NaN)."""
    out = a.copy()
    for i in range(1, a.shape[0]):
        for j in range(a.shape[1]):
            if np.isnan(out[i, j]):
                out[i, j] = out[i - 1, j]
    return out


@njit(cache=True)
def _slip_rate(
    base: float, impact: float, traded_usd: float, volume: np.ndarray, i: int, j: int
) -> float:
    s = base
    if impact > 0.0 and volume.shape[0] > 0:
        v = volume[i, j]
        if v > 0.0 and np.isfinite(v):
            s += impact * math.sqrt(traded_usd / v)
    if s > 0.5:
        s = 0.5
    return s


@njit(cache=True)
def simulate_nb(
    close: np.ndarray,
    rebal_rows: np.ndarray,
    targets: np.ndarray,
    last_valid: np.ndarray,
    init_cash: float,
    fees: float,
    slippage: float,
    impact: float,
    volume: np.ndarray,
    funding: np.ndarray,
    longs_pay_funding: bool,
    cash_rate: float,
    margin: bool,
    min_units: float,
    min_order: float,
    opt_asset: np.ndarray,
    opt_is_call: np.ndarray,
    opt_moneyness: np.ndarray,
    opt_tenor: np.ndarray,
    opt_size: np.ndarray,
    opt_by_position: np.ndarray,
    opt_iv: np.ndarray,
    opt_carry: np.ndarray,
    opt_fee: float,
    opt_fee_cap: float,
    opt_delivery_fee: float,
    daily: np.ndarray,
    rec_units: np.ndarray,
    rec_traded: np.ndarray,
    rec_fees: np.ndarray,
    rec_slip: np.ndarray,
    rec_opt: np.ndarray,
) -> None:
    """Simulate one portfolio; outputs are written in place.

    Parameters
    ----------
    close : (n_dates, n_assets)
        Close prices; NaN where an asset has no price.
    rebal_rows : (n_rebal,) int64
        Increasing row indices at which ``targets`` are traded.
    targets : (n_rebal, n_assets)
        Target weights (fraction of equity); NaN = no order for that asset.
    last_valid : (n_assets,) int64
        Last row with a price per asset (-1 if none); positions are
        liquidated on the row after it.
    volume, funding : (n_dates, n_assets) or (0, 0)
        Traded volume in USD (for the impact term) and daily funding rates.
    min_units, min_order
        Orders smaller than ``min_units`` units (absolute, vectorbt's
        ``min_size``) or than ``min_order`` x equity in value (relative: the
        same trades are skipped whatever the initial capital) are skipped.
    opt_* : (n_legs,) arrays, ``opt_iv`` and ``opt_carry`` (n_dates, n_legs)
        Option legs: asset column, call flag, strike / spot at the roll,
        tenor in days, size, sizing by position (units per unit held) or by
        equity (notional fraction), implied vol per day, annualised carry
        (forward = spot x exp(carry x tau)).
    opt_fee, opt_fee_cap, opt_delivery_fee
        Deribit's option fees per unit of underlying: a trade pays
        ``min(opt_fee x spot, opt_fee_cap x premium)``; settlement at expiry
        pays ``min(opt_delivery_fee x spot, opt_fee_cap x payoff)``.
    daily : (n_dates, N_DAILY)
        Per-day outputs (see the ``D_*`` constants).
    rec_* : (n_dates, n_assets) / (n_dates, n_legs) or (0, 0)
        Optional records: end-of-day units, signed traded value, fees and
        slippage per cell; option leg marks.
    """
    n, m = close.shape
    n_legs = opt_asset.shape[0]
    record = rec_units.shape[0] > 0
    record_opt = rec_opt.shape[0] > 0
    units = np.zeros(m)
    vp = np.full(m, np.nan)
    cand_idx = np.empty(m, dtype=np.int64)
    cand_val = np.empty(m)
    held = np.empty(m, dtype=np.int64)  # columns with a non-zero position
    n_held = 0
    leg_units = np.zeros(n_legs)
    leg_strike = np.zeros(n_legs)
    leg_expiry = np.full(n_legs, -1, dtype=np.int64)
    leg_mark = np.zeros(n_legs)
    cash = init_cash
    prev_free = 0.0
    r = 0
    n_rebal = rebal_rows.shape[0]
    for i in range(n):
        is_rebal = r < n_rebal and rebal_rows[r] == i
        if record:
            for j in range(m):
                p = close[i, j]
                if not np.isnan(p):
                    vp[j] = p
        else:  # only held assets and option underlyings need a valuation price
            # (on a rebalance row, every order candidate gets its price below)
            for h in range(n_held):
                p = close[i, held[h]]
                if not np.isnan(p):
                    vp[held[h]] = p
            for leg in range(n_legs):
                p = close[i, opt_asset[leg]]
                if not np.isnan(p):
                    vp[opt_asset[leg]] = p
        if record:
            for j in range(m):
                rec_units[i, j] = 0.0
                rec_traded[i, j] = 0.0
                rec_fees[i, j] = 0.0
                rec_slip[i, j] = 0.0
        fees_i = 0.0
        slip_i = 0.0
        funding_i = 0.0
        traded_i = 0.0
        optcash_i = 0.0
        fund_recv_i = 0.0
        prem_paid_i = 0.0
        prem_recv_i = 0.0
        payoff_i = 0.0
        optfee_i = 0.0
        # 2. accruals on positions carried from the previous close
        if funding.shape[0] > 0:
            for h in range(n_held):
                j = held[h]
                u = units[j]
                if u != 0.0 and (u < 0.0 or longs_pay_funding):
                    rate = funding[i, j]
                    if not np.isnan(rate):
                        pay = u * vp[j] * rate
                        cash -= pay
                        funding_i += pay
                        if pay < 0.0:
                            fund_recv_i -= pay
        yield_i = 0.0
        if cash_rate != 0.0 and prev_free > 0.0:
            yield_i = prev_free * cash_rate
            cash += yield_i
        # 3. option legs: settle at expiry
        for leg in range(n_legs):
            if leg_expiry[leg] == i:
                a = opt_asset[leg]
                payoff = black76_nb(vp[a], leg_strike[leg], 0.0, 0.0, opt_is_call[leg])
                amount = leg_units[leg] * payoff
                cash += amount
                optcash_i -= amount
                payoff_i += amount
                if payoff > 0.0:
                    dfee = abs(leg_units[leg]) * min(opt_delivery_fee * vp[a], opt_fee_cap * payoff)
                    cash -= dfee
                    optfee_i += dfee
                leg_units[leg] = 0.0
                leg_expiry[leg] = -1
                leg_mark[leg] = 0.0
        # 4. delistings: liquidate at the last price, no fees
        delisted = False
        for h in range(n_held):
            j = held[h]
            if units[j] != 0.0 and i > last_valid[j]:
                delisted = True
                cash += units[j] * vp[j]
                traded_i += abs(units[j] * vp[j])
                if record:
                    rec_traded[i, j] -= units[j] * vp[j]
                units[j] = 0.0
        # 5. rebalance
        if is_rebal:
            value = cash
            for h in range(n_held):  # ``held`` is ascending: the same order as all columns
                j = held[h]
                if units[j] != 0.0:
                    value += units[j] * vp[j]
            for leg in range(n_legs):
                if leg_expiry[leg] >= 0:
                    a = opt_asset[leg]
                    tau = (leg_expiry[leg] - i) / 365.0
                    fwd = vp[a] * _growth(opt_carry[i, leg], tau)
                    leg_mark[leg] = leg_units[leg] * black76_nb(
                        fwd, leg_strike[leg], tau, opt_iv[i, leg], opt_is_call[leg]
                    )
                    value += leg_mark[leg]
            n_cand = 0
            for j in range(m):
                p = close[i, j]
                if np.isnan(p):
                    continue
                vp[j] = p
                w = targets[r, j]
                if np.isnan(w):
                    continue
                if w == 0.0 and units[j] == 0.0:
                    continue
                cand_idx[n_cand] = j
                cand_val[n_cand] = w * value - units[j] * vp[j]
                n_cand += 1
            order = np.argsort(cand_val[:n_cand], kind="mergesort")
            value_c = 0.0 if _is_close(value, 0.0) else value
            for c in range(n_cand):
                j = cand_idx[order[c]]
                if value_c <= 0.0:
                    break
                price = close[i, j]
                cash_c = 0.0 if _is_close(cash, 0.0) else cash
                pos = 0.0 if _is_close(units[j], 0.0) else units[j]
                size = targets[r, j] * value_c
                size /= price
                size -= pos
                if size > 0.0:
                    s = _slip_rate(slippage, impact, size * price, volume, i, j)
                    adj = price * (1.0 + s)
                    if not margin and cash_c == 0.0:
                        continue
                    req = size * adj
                    req_fees = req * fees
                    total = req + req_fees
                    if margin or _is_close(total, cash_c) or total < cash_c:
                        final = size
                        fee_paid = req_fees
                        spend = total
                    else:
                        max_req = _add(cash_c, -0.0) / (1.0 + fees)
                        if max_req <= 0.0:
                            continue
                        final = max_req / adj
                        fee_paid = cash_c - max_req
                        spend = cash_c
                    if _is_close(size, 0.0):
                        continue
                    if final < min_units and not _is_close(final, min_units):
                        continue
                    if final * price < min_order * value_c:
                        continue
                    cash = _add(cash_c, -spend)
                    units[j] = _add(pos, final)
                    traded = final * price
                    slip_cost = final * (adj - price)
                else:
                    size_limit = -size
                    if _is_close(size_limit, 0.0):
                        continue
                    if size_limit < min_units and not _is_close(size_limit, min_units):
                        continue
                    if size_limit * price < min_order * value_c:
                        continue
                    s = _slip_rate(slippage, impact, size_limit * price, volume, i, j)
                    adj = price * (1.0 - s)
                    acq = size_limit * adj
                    fee_paid = acq * fees
                    final_acq = _add(acq, -fee_paid)
                    if final_acq < 0.0:
                        continue
                    cash = cash_c + final_acq
                    units[j] = _add(pos, -size_limit)
                    traded = -size_limit * price
                    slip_cost = size_limit * (price - adj)
                fees_i += fee_paid
                slip_i += slip_cost
                traded_i += abs(traded)
                if record:
                    rec_traded[i, j] += traded
                    rec_fees[i, j] += fee_paid
                    rec_slip[i, j] += slip_cost
            r += 1
        if is_rebal or delisted:
            n_held = 0
            for j in range(m):
                if units[j] != 0.0:
                    held[n_held] = j
                    n_held += 1
        # 6. option rolls (after the rebalance, so position sizing sees today's units)
        for leg in range(n_legs):
            if leg_expiry[leg] < 0:
                a = opt_asset[leg]
                spot = close[i, a]
                iv = opt_iv[i, leg]
                if np.isnan(spot) or np.isnan(iv):
                    continue
                if opt_by_position[leg]:
                    qty = opt_size[leg] * abs(units[a])
                else:
                    eq = cash
                    for h in range(n_held):
                        eq += units[held[h]] * vp[held[h]]
                    qty = opt_size[leg] * eq / spot
                if qty == 0.0:
                    continue
                strike = opt_moneyness[leg] * spot
                tau = opt_tenor[leg] / 365.0
                fwd = spot * _growth(opt_carry[i, leg], tau)
                premium = black76_nb(fwd, strike, tau, iv, opt_is_call[leg])
                cost = qty * premium
                fee_paid = abs(qty) * min(opt_fee * spot, opt_fee_cap * premium)
                cash -= cost + fee_paid
                optcash_i += cost
                optfee_i += fee_paid
                if cost > 0.0:
                    prem_paid_i += cost
                else:
                    prem_recv_i -= cost
                leg_units[leg] = qty
                leg_strike[leg] = strike
                leg_expiry[leg] = i + opt_tenor[leg]
        # 7. valuation at the close
        long_v = 0.0
        short_v = 0.0
        for h in range(n_held):
            j = held[h]
            u = units[j]
            if u > 0.0:
                long_v += u * vp[j]
            elif u < 0.0:
                short_v -= u * vp[j]
            if record:
                rec_units[i, j] = u
        opt_v = 0.0
        for leg in range(n_legs):
            if leg_expiry[leg] >= 0:
                a = opt_asset[leg]
                tau = (leg_expiry[leg] - i) / 365.0
                fwd = vp[a] * _growth(opt_carry[i, leg], tau)
                leg_mark[leg] = leg_units[leg] * black76_nb(
                    fwd, leg_strike[leg], tau, opt_iv[i, leg], opt_is_call[leg]
                )
                opt_v += leg_mark[leg]
            if record_opt:
                rec_opt[i, leg] = leg_mark[leg] if leg_expiry[leg] >= 0 else 0.0
        value = cash + long_v - short_v + opt_v
        prev_free = value - long_v - opt_v
        daily[i, D_VALUE] = value
        daily[i, D_CASH] = cash
        daily[i, D_FEES] = fees_i
        daily[i, D_SLIPPAGE] = slip_i
        daily[i, D_FUNDING] = funding_i
        daily[i, D_YIELD] = yield_i
        daily[i, D_TRADED] = traded_i
        daily[i, D_LONG] = long_v
        daily[i, D_SHORT] = short_v
        daily[i, D_OPTIONS] = opt_v
        daily[i, D_OPTION_CASH] = optcash_i
        daily[i, D_FUNDING_RECEIVED] = fund_recv_i
        daily[i, D_PREMIUM_PAID] = prem_paid_i
        daily[i, D_PREMIUM_RECEIVED] = prem_recv_i
        daily[i, D_OPTION_PAYOFF] = payoff_i
        daily[i, D_OPTION_FEES] = optfee_i


@njit(cache=True)
def simulate_plain_nb(
    close: np.ndarray,
    rebal_rows: np.ndarray,
    targets: np.ndarray,
    last_valid: np.ndarray,
    init_cash: float,
    fees: float,
    slippage: float,
    impact: float,
    volume: np.ndarray,
    funding: np.ndarray,
    longs_pay_funding: bool,
    cash_rate: float,
    margin: bool,
    min_units: float,
    min_order: float,
    daily: np.ndarray,
) -> None:
    """:func:`simulate_nb` without option legs or per-position outputs: fills ``daily`` only."""
    empty2 = np.empty((0, 0))
    empty_i = np.empty(0, dtype=np.int64)
    empty_f = np.empty(0)
    empty_b = np.empty(0, dtype=np.bool_)
    simulate_nb(
        close,
        rebal_rows,
        targets,
        last_valid,
        init_cash,
        fees,
        slippage,
        impact,
        volume,
        funding,
        longs_pay_funding,
        cash_rate,
        margin,
        min_units,
        min_order,
        empty_i,
        empty_b,
        empty_f,
        empty_i,
        empty_f,
        empty_b,
        empty2,
        empty2,
        0.0,
        0.0,
        0.0,
        daily,
        empty2,
        empty2,
        empty2,
        empty2,
        empty2,
    )


@njit(cache=True, parallel=True)
def simulate_many_nb(
    close: np.ndarray,
    offsets: np.ndarray,
    rebal_rows: np.ndarray,
    targets: np.ndarray,
    last_valid: np.ndarray,
    init_cash: float,
    fees: float,
    slippage: float,
    impact: float,
    volume: np.ndarray,
    funding: np.ndarray,
    longs_pay_funding: bool,
    cash_rate: float,
    margin: bool,
    min_units: float,
    min_order: float,
) -> np.ndarray:
    """Simulate many portfolios over one panel in parallel (no option legs).

    Configuration ``c`` trades ``targets[offsets[c]:offsets[c + 1]]`` at rows
    ``rebal_rows[offsets[c]:offsets[c + 1]]``. Returns ``daily`` outputs of
    shape ``(n_configs, n_dates, N_DAILY)``.
    """
    n_cfg = offsets.shape[0] - 1
    n = close.shape[0]
    out = np.empty((n_cfg, n, N_DAILY))
    for c in prange(n_cfg):
        a = offsets[c]
        b = offsets[c + 1]
        simulate_plain_nb(
            close,
            rebal_rows[a:b],
            targets[a:b],
            last_valid,
            init_cash,
            fees,
            slippage,
            impact,
            volume,
            funding,
            longs_pay_funding,
            cash_rate,
            margin,
            min_units,
            min_order,
            out[c],
        )
    return out
