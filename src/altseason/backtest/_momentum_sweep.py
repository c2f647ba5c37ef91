"""Fused sweep of the built-in top-K momentum strategy: selection and simulation in one kernel.

:func:`~altseason.backtest.run_sweep` of
:func:`~altseason.strategies.momentum_weights` does not build a
``(n_dates, n_assets)`` weight panel per configuration, validate it and
compress it to its decision rows. Instead, one parallel numba call (a
``prange`` over configurations) computes, for each configuration, the top-K
selection on its decision rows only (from the close panel and a shared
"last row without a price" array computed once) and simulates it directly
with :func:`~altseason.backtest._engine.simulate_nb`. The selection is the
very function :func:`momentum_weights` uses row by row, and the targets fed
to the simulator are those :func:`~altseason.backtest._runner.prepare_targets`
would produce, so the results are identical to the per-configuration path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numba import njit, prange

from altseason._typing import FloatArray
from altseason.backtest import _engine as eng
from altseason.strategies._momentum import check_momentum_params, last_gap_nb, top_k_row_nb

__all__ = ["last_gap_nb", "momentum_params", "momentum_sweep_nb"]

_DEFAULTS = {"lookback": 30, "k": 10, "rebalance": 7}


def momentum_params(configs: Sequence[Mapping[str, Any]]) -> np.ndarray | None:
    """``(n_configs, 3)`` int64 ``lookback, k, rebalance`` per configuration.

    None when a configuration has another key (the generic path then calls
    the strategy, which reports the problem). Raises
    :class:`~altseason.exceptions.StrategyError` for parameters below 1,
    exactly as :func:`momentum_weights` would.
    """
    out = np.empty((len(configs), 3), dtype=np.int64)
    for c, params in enumerate(configs):
        if not set(params) <= set(_DEFAULTS):
            return None
        vals = {**_DEFAULTS, **params}
        check_momentum_params(vals["lookback"], vals["k"], vals["rebalance"])
        out[c] = (int(vals["lookback"]), int(vals["k"]), int(vals["rebalance"]))
    return out


@njit(cache=True)
def _run_configs_nb(
    close: FloatArray,
    last_gap: np.ndarray,
    params: np.ndarray,
    n_rows: np.ndarray,
    lag: int,
    last_valid: np.ndarray,
    init_cash: float,
    fees: float,
    slippage: float,
    impact: float,
    volume: FloatArray,
    funding: FloatArray,
    longs_pay_funding: bool,
    cash_rate: float,
    margin: bool,
    min_units: float,
    min_order: float,
    first: int,
    step: int,
    out: FloatArray,
) -> None:
    # configurations first, first + step, ... in turn (interleaved, so threads
    # get similar mixes of cheap and costly configurations), reusing one target
    # buffer (no fresh multi-megabyte allocation, and its page faults, per
    # configuration)
    m = close.shape[1]
    rows = np.empty(n_rows[first::step].max(), dtype=np.int64)
    targets = np.empty((rows.shape[0], m))
    score = np.empty(m)
    top = np.empty(m)
    scratch = np.empty(m)
    hint = np.empty(1)
    for c in range(first, params.shape[0], step):
        lookback = params[c, 0]
        k = params[c, 1]
        rebalance = params[c, 2]
        nr = n_rows[c]
        hint[0] = np.nan
        for r in range(nr):
            t = lookback + r * rebalance
            top_k_row_nb(close, last_gap, t, lookback, k, score, top, scratch, hint, targets[r])
            rows[r] = t + lag
        eng.simulate_plain_nb(
            close,
            rows[:nr],
            targets[:nr],
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


@njit(cache=True, parallel=True)
def momentum_sweep_nb(
    close: FloatArray,
    last_gap: np.ndarray,
    params: np.ndarray,
    lag: int,
    last_valid: np.ndarray,
    init_cash: float,
    fees: float,
    slippage: float,
    impact: float,
    volume: FloatArray,
    funding: FloatArray,
    longs_pay_funding: bool,
    cash_rate: float,
    margin: bool,
    min_units: float,
    min_order: float,
    n_threads: int,
) -> FloatArray:
    """Select and simulate every momentum configuration in parallel.

    Parameters
    ----------
    close : (n_dates, n_assets)
        Close panel (validated by ``prepare_prices``).
    last_gap : (n_dates, n_assets) int64
        :func:`last_gap_nb` of ``close``.
    params : (n_configs, 3) int64
        ``lookback, k, rebalance`` per configuration (all >= 1).
    lag
        Rows between a decision and its trade (>= 0).
    n_threads
        Number of chunks of configurations run in parallel (numba threads).

    Returns
    -------
    ndarray
        ``daily`` outputs ``(n_configs, n_dates, N_DAILY)`` as
        :func:`~altseason.backtest._engine.simulate_many_nb`.
    """
    n_cfg = params.shape[0]
    n = close.shape[0]
    out = np.empty((n_cfg, n, eng.N_DAILY))
    # decision rows lookback, lookback + rebalance, ... whose trade row t + lag exists
    n_rows = np.zeros(n_cfg, dtype=np.int64)
    for c in range(n_cfg):
        stop = n - lag
        if stop > params[c, 0]:
            n_rows[c] = (stop - params[c, 0] + params[c, 2] - 1) // params[c, 2]
    n_chunks = max(1, min(n_cfg, n_threads))
    for ch in prange(n_chunks):
        _run_configs_nb(
            close,
            last_gap,
            params,
            n_rows,
            lag,
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
            ch,
            n_chunks,
            out,
        )
    return out
