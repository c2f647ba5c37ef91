"""``run_backtest``: validate target weights, run the kernel, build the result.

Weights semantics
-----------------
``weights`` is a ``(n_dates, n_assets)`` frame of target weights decided with
data known at the close of each row's date. A row that is entirely NaN means
"no rebalance" (hold). A row with any value is a **decision row**: every
asset must have a finite weight there (0 for no position), ``|w| <= 1`` per
asset and ``sum |w| <= leverage``; otherwise :class:`StrategyError` names the
date and asset. Columns missing from ``weights`` are 0 on decision rows.
Decision rows trade at the close ``lag`` rows later (default 1); those that
would trade after the last date are dropped. The residual weight
``1 - sum(w)`` stays in stablecoin cash.

Point-in-time universe
----------------------
``tradable`` (a boolean panel, True = in the universe) is checked on the
decision date. A non-zero weight on an asset that is not tradable is **set to
0** (so a held position is sold) and reported in ``BacktestResult.rejected``
(``on_untradable="zero"``, the default), or raises :class:`StrategyError`
(``on_untradable="raise"``). Independently, an asset without a close on the
trade date cannot trade: its order is skipped (the position is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason._typing import FloatArray
from altseason.backtest import _engine as eng
from altseason.backtest._costs import CostModel
from altseason.backtest._options import OptionLeg, prepare_option_legs
from altseason.backtest._result import (
    EXTRA_NAMES,
    BacktestResult,
    PositionRecords,
    active_metrics,
    daily_extras,
    first_trade_rows,
)
from altseason.exceptions import StrategyError, ValidationError

__all__ = ["PreparedTargets", "prepare_prices", "prepare_targets", "run_backtest"]

_WEIGHT_TOL = 1e-9


def prepare_prices(prices: pd.DataFrame) -> tuple[FloatArray, np.ndarray]:
    """Check a close panel; return the float array and each asset's last valid row."""
    if not isinstance(prices, pd.DataFrame) or not isinstance(prices.index, pd.DatetimeIndex):
        raise ValidationError("prices must be a DataFrame with a DatetimeIndex (dates x assets).")
    if prices.shape[0] == 0 or prices.shape[1] == 0:
        raise ValidationError(
            "prices is empty: load a close panel with at least one date and asset."
        )
    if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
        raise ValidationError("prices index must be increasing without duplicate dates.")
    if prices.columns.has_duplicates:
        raise ValidationError("prices has duplicate asset columns.")
    close = np.ascontiguousarray(prices.to_numpy(dtype=np.float64))
    bad = np.isfinite(close) & (close <= 0) | np.isinf(close)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValidationError(
            f"price of {prices.columns[j]} on {prices.index[i].date()} is {close[i, j]!r}; "
            "prices must be positive (use NaN for a missing price)."
        )
    valid = ~np.isnan(close)
    n = close.shape[0]
    last_valid = np.where(valid.any(axis=0), n - 1 - np.argmax(valid[::-1], axis=0), -1)
    return close, last_valid.astype(np.int64)


class PreparedTargets:
    """Target weights compressed to the rows where they trade."""

    def __init__(self, rows: np.ndarray, targets: FloatArray, rejected: pd.DataFrame) -> None:
        self.rows = rows
        self.targets = targets
        self.rejected = rejected


def prepare_targets(
    prices: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    lag: int = 1,
    leverage: float = 1.0,
    tradable: pd.DataFrame | None = None,
    on_untradable: Literal["zero", "raise"] = "zero",
) -> PreparedTargets:
    """Validate target weights and turn them into trade rows (see the module docstring).

    Raises
    ------
    StrategyError
        Unknown assets or dates, NaN / infinite weights on a decision row,
        ``|w| > 1``, gross above ``leverage``, or (with ``on_untradable="raise"``)
        a weight on an asset outside the point-in-time universe.
    """
    if not isinstance(weights, pd.DataFrame):
        raise StrategyError("weights must be a DataFrame (dates x assets) of target weights.")
    if lag < 0:
        raise StrategyError(f"lag must be >= 0 days, got {lag}.")
    if not leverage > 0:
        raise StrategyError(f"leverage must be > 0, got {leverage}.")
    aligned = weights.columns.equals(prices.columns) and weights.index.equals(prices.index)
    if aligned:
        w = weights.to_numpy(dtype=np.float64)
        missing = np.zeros(len(prices.columns), dtype=bool)
    else:
        extra = weights.columns.difference(prices.columns)
        if len(extra):
            raise StrategyError(
                f"weights name assets without prices: {', '.join(map(str, extra[:5]))}; "
                "drop them or add their prices."
            )
        unknown = weights.index.difference(prices.index)
        if len(unknown):
            raise StrategyError(
                f"weights have dates outside the price panel, first {unknown[0]}; "
                "align the weights to the prices' index."
            )
        w = weights.reindex(index=prices.index, columns=prices.columns).to_numpy(dtype=np.float64)
        missing = ~prices.columns.isin(weights.columns)
    decision = ~np.all(np.isnan(w), axis=1)
    rows = np.flatnonzero(decision)
    wd = w[rows]
    # columns absent from `weights` are 0 on decision rows
    if missing.any():
        wd[:, missing] = 0.0
    dates = prices.index
    cols = prices.columns
    bad = ~np.isfinite(wd)
    if bad.any():
        r, j = np.argwhere(bad)[0]
        raise StrategyError(
            f"target weight of {cols[j]} on {dates[rows[r]].date()} is {wd[r, j]}; a decision row "
            "needs a finite weight for every asset (0 for none; a whole NaN row means hold)."
        )
    big = np.abs(wd) > 1.0 + _WEIGHT_TOL
    if big.any():
        r, j = np.argwhere(big)[0]
        raise StrategyError(
            f"target weight of {cols[j]} on {dates[rows[r]].date()} is {wd[r, j]:.6g}; "
            "each asset's weight must lie in [-1, 1]."
        )
    rejected = pd.DataFrame({"date": pd.DatetimeIndex([]), "asset": [], "weight": []})
    if tradable is not None:
        mask = (
            tradable.reindex(index=prices.index, columns=prices.columns)
            .fillna(False)
            .to_numpy(dtype=bool)[rows]
        )
        off = (wd != 0.0) & ~mask
        if off.any():
            rr, jj = np.nonzero(off)
            if on_untradable == "raise":
                raise StrategyError(
                    f"target weight {wd[rr[0], jj[0]]:.6g} on {cols[jj[0]]} on "
                    f"{dates[rows[rr[0]]].date()}, which is outside the point-in-time universe; "
                    "give it weight 0 or pass on_untradable='zero'."
                )
            if on_untradable != "zero":
                raise StrategyError("on_untradable must be 'zero' or 'raise'.")
            rejected = pd.DataFrame(
                {"date": dates[rows[rr]], "asset": cols[jj], "weight": wd[rr, jj]}
            )
            wd[off] = 0.0
    gross = np.abs(wd).sum(axis=1)
    over = gross > leverage * (1.0 + _WEIGHT_TOL)
    if over.any():
        r = int(np.argmax(over))
        j = int(np.argmax(np.abs(wd[r])))
        raise StrategyError(
            f"gross exposure {gross[r]:.6g} on {dates[rows[r]].date()} exceeds leverage {leverage:g} "
            f"(largest weight: {cols[j]} {wd[r, j]:.6g}); scale the weights down or raise leverage."
        )
    trade_rows = rows + lag
    keep = trade_rows < len(dates)
    return PreparedTargets(
        trade_rows[keep].astype(np.int64), np.ascontiguousarray(wd[keep]), rejected
    )


def _panel(frame: pd.DataFrame | None, prices: pd.DataFrame, name: str) -> FloatArray:
    if frame is None:
        return np.empty((0, 0))
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{name} must be a DataFrame shaped like prices (dates x assets).")
    return np.ascontiguousarray(
        frame.reindex(index=prices.index, columns=prices.columns).to_numpy(dtype=np.float64)
    )


def run_backtest(
    prices: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    lag: int = 1,
    fees_bps: float = 0.0,
    slippage_bps: float = 0.0,
    impact: float = 0.0,
    volume: pd.DataFrame | None = None,
    funding: pd.DataFrame | None = None,
    longs_pay_funding: bool = False,
    cash_yield: float = 0.0,
    tradable: pd.DataFrame | None = None,
    on_untradable: Literal["zero", "raise"] = "zero",
    leverage: float = 1.0,
    margin: bool | None = None,
    options: Sequence[OptionLeg] = (),
    option_fee_bps: float = 3.0,
    option_fee_cap: float = 0.125,
    option_delivery_fee_bps: float = 1.5,
    min_units: float = 0.0,
    min_order: float = 1e-9,
    init_cash: float = 1.0,
    benchmark: str | None = "BTC",
    label: str | None = None,
) -> BacktestResult:
    """Backtest target weights on a close panel.

    Parameters
    ----------
    prices
        ``(n_dates, n_assets)`` daily closes in USD; NaN before listing, in gaps
        and after delisting. A position in an asset whose prices stop for good
        is sold at its last price on the next day (no fees).
    weights
        Target weights decided at each close (see the module docstring for
        NaN rows, validation and the universe mask).
    lag
        Rows between the decision close and the trade close (1 = next close).
    fees_bps, slippage_bps, impact, volume
        Costs (see :class:`~altseason.backtest.CostModel`); ``volume`` is a
        USD volume panel for the impact term.
    funding
        Daily perp funding rates (fraction per day, the sum of the day's
        fundings); a short of value ``x`` receives ``x x rate``; longs pay only
        with ``longs_pay_funding`` (positions held as perps).
    cash_yield
        Annual yield on stablecoin cash (0.05 = 5%), compounded daily
        (``(1 + y) ** (1/365) - 1``) on the previous close's free cash.
    tradable, on_untradable
        Point-in-time universe mask and what to do with weights outside it.
    leverage
        Maximum gross exposure ``sum |w|`` of a decision row.
    margin
        Let buys spend more than the cash held (cash goes negative). Default:
        only when ``leverage > 1``. Without margin, buys are capped by cash as
        in vectorbt.
    options
        Rolling option legs (hedges) priced with Black-76 on the forward.
    option_fee_bps, option_fee_cap, option_delivery_fee_bps
        Deribit's option fee rule: opening a contract costs
        ``min(option_fee_bps / 1e4 x spot, option_fee_cap x premium)`` per unit of
        the underlying (0.03% of the underlying, capped at 12.5% of the option's
        price); a contract settled in the money pays the delivery fee
        ``min(option_delivery_fee_bps / 1e4 x spot, option_fee_cap x payoff)``.
    min_units
        Smallest order in units of the asset (absolute; vectorbt's
        ``min_size`` is 1e-8). Default 0: off, so results do not depend on
        ``init_cash``.
    min_order
        Smallest order as a fraction of equity (relative, default 1e-9);
        smaller orders are skipped.
    init_cash
        Initial capital.
    benchmark
        Column whose close-to-close returns give ``beta_btc`` (NaN if absent).
    label
        A data label carried by the result (e.g. the simulated demo market).

    Returns
    -------
    BacktestResult

    Notes
    -----
    Without funding, yield, options, impact and delistings, the equity equals
    vectorbt's ``Portfolio.from_orders(prices, size=weights.shift(lag),
    size_type='targetpercent', group_by=True, cash_sharing=True,
    call_seq='auto', fees=fees_bps / 1e4, slippage=slippage_bps / 1e4,
    init_cash=init_cash).value()`` to rounding.
    """
    costs = CostModel(fees_bps, slippage_bps, impact)
    close, last_valid = prepare_prices(prices)
    prep = prepare_targets(
        prices, weights, lag=lag, leverage=leverage, tradable=tradable, on_untradable=on_untradable
    )
    if impact > 0 and volume is None:
        raise StrategyError("impact > 0 needs a volume panel (USD volume per asset and day).")
    vol = _panel(volume, prices, "volume")
    fund = _panel(funding, prices, "funding")
    if not np.isfinite(init_cash) or init_cash <= 0:
        raise StrategyError(f"init_cash must be positive, got {init_cash}.")
    use_margin = leverage > 1.0 if margin is None else bool(margin)
    legs = prepare_option_legs(list(options), prices)
    n, n_assets = close.shape
    daily = np.zeros((n, eng.N_DAILY))
    rec = [np.empty((n, n_assets)) for _ in range(4)]
    rec_opt = np.zeros((n, len(options)))
    eng.simulate_nb(
        close,
        prep.rows,
        prep.targets,
        last_valid,
        float(init_cash),
        costs.fee_rate,
        costs.slippage_rate,
        float(impact),
        vol,
        fund,
        bool(longs_pay_funding),
        float((1.0 + cash_yield) ** (1.0 / 365.0) - 1.0),
        use_margin,
        float(min_units),
        float(min_order),
        *legs,
        float(option_fee_bps) / 1e4,
        float(option_fee_cap),
        float(option_delivery_fee_bps) / 1e4,
        daily,
        rec[0],
        rec[1],
        rec[2],
        rec[3],
        rec_opt,
    )
    return _build_result(
        prices,
        close,
        last_valid,
        daily,
        rec,
        prep,
        init_cash=float(init_cash),
        benchmark=benchmark,
        label=label,
        params={
            "lag": lag,
            "fees_bps": fees_bps,
            "slippage_bps": slippage_bps,
            "impact": impact,
            "cash_yield": cash_yield,
            "leverage": leverage,
            "margin": use_margin,
        },
    )


def _build_result(
    prices: pd.DataFrame,
    close: FloatArray,
    last_valid: np.ndarray,
    daily: FloatArray,
    rec: list[FloatArray],
    prep: PreparedTargets,
    *,
    init_cash: float,
    benchmark: str | None,
    label: str | None,
    params: dict[str, Any],
) -> BacktestResult:
    idx = prices.index
    cols = prices.columns
    equity = pd.Series(daily[:, eng.D_VALUE], index=idx, name="equity")
    prev = np.r_[init_cash, daily[:-1, eng.D_VALUE]]
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = pd.Series(daily[:, eng.D_VALUE] / prev - 1.0, index=idx, name="returns")
    units_a, traded, fees, slip = rec
    records = PositionRecords(
        index=idx,
        columns=cols,
        units=units_a,
        traded=traded,
        fees=fees,
        slippage=slip,
        close=eng.ffill_nb(close),
        last_valid=last_valid,
    )
    value = daily[:, eng.D_VALUE]
    with np.errstate(invalid="ignore", divide="ignore"):
        turnover = pd.Series(0.5 * daily[:, eng.D_TRADED] / value, index=idx, name="turnover")
        long_e = daily[:, eng.D_LONG] / value
        short_e = daily[:, eng.D_SHORT] / value
        opt_e = daily[:, eng.D_OPTIONS] / value
    exposures = pd.DataFrame(
        {
            "gross": long_e + short_e,
            "net": long_e - short_e,
            "long": long_e,
            "short": short_e,
            "options": opt_e,
        },
        index=idx,
    )
    costs = pd.DataFrame(
        {
            "fees": daily[:, eng.D_FEES],
            "slippage": daily[:, eng.D_SLIPPAGE],
            "option_fees": daily[:, eng.D_OPTION_FEES],
            "funding_paid": daily[:, eng.D_FUNDING] + daily[:, eng.D_FUNDING_RECEIVED],
            "funding_received": daily[:, eng.D_FUNDING_RECEIVED],
            "premium_paid": daily[:, eng.D_PREMIUM_PAID],
            "premium_received": daily[:, eng.D_PREMIUM_RECEIVED],
            "option_payoff": daily[:, eng.D_OPTION_PAYOFF],
            "cash_yield": daily[:, eng.D_YIELD],
            "funding": daily[:, eng.D_FUNDING],
            "option_premium": daily[:, eng.D_OPTION_CASH],
        },
        index=idx,
    )
    bench = None
    if benchmark is not None and benchmark in cols:
        bench = prices[benchmark].pct_change(fill_method=None).to_numpy()
    first = first_trade_rows(daily[None])
    base = (
        active_metrics(returns.to_numpy()[:, None], first, benchmark_returns=bench)
        .iloc[0]
        .to_dict()
    )
    extras = daily_extras(daily[None], init_cash, first)[0]
    base.update(zip(EXTRA_NAMES, extras.tolist(), strict=True))
    metrics = pd.Series(base, name=label or "backtest", dtype=float)
    return BacktestResult(
        equity=equity,
        returns=returns,
        turnover=turnover,
        costs=costs,
        exposures=exposures,
        rejected=prep.rejected,
        metrics=metrics,
        records=records,
        init_cash=init_cash,
        label=label,
        params=params,
        first_trade=idx[int(first[0])] if len(idx) else None,
    )
