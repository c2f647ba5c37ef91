"""Naked vs hedged shorts side by side (DESIGN.md, "hedged short").

A thin comparison over :class:`~altseason.strategies.HedgedShort` run through
the backtest (:func:`~altseason.strategies.run_strategy`): for each underlying
the same short (``short_weight`` of equity in perps, rebalanced every
``rebalance_days``) with no hedge, with long OTM calls, and with a collar
(long calls financed by short puts). Funding and option cash are taken from
the backtest's daily ``costs`` and shown apart from the total return:

* ``funding_received`` / ``funding_paid``: funding credited to and charged
  to the short, summed, as fractions of initial capital (both >= 0);
* ``premium_paid`` / ``premium_received``: option premiums paid for long
  legs and received for short legs (the collar's put), as fractions of
  initial capital (both >= 0); ``option_payoff``: settlements received;
* ``costs_paid``: fees, slippage and option fees (never negative).

Everything else (total return, drawdown, volatility, Sharpe) is the
backtest's own summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from altseason.exceptions import DataUnavailableError, ValidationError

if TYPE_CHECKING:
    from altseason.strategies import MarketData

__all__ = ["HEDGES", "hedged_short_comparison"]

HEDGES: dict[str, str] = {
    "none": "naked short perp",
    "call": "short perp + long OTM calls",
    "collar": "short perp + long OTM calls + short OTM puts",
}
"""The hedges compared, in display order, with their description."""


def hedged_short_comparison(
    data: MarketData,
    *,
    underlyings: Sequence[str] = ("BTC", "ETH"),
    hedges: Sequence[str] = tuple(HEDGES),
    short_weight: float = 0.5,
    call_moneyness: float = 1.15,
    put_moneyness: float = 0.85,
    tenor_days: int = 30,
    rebalance_days: int = 7,
    start: Any = None,
    **engine: Any,
) -> pd.DataFrame:
    """Naked short vs call-hedged vs collar for each underlying (module docstring).

    Parameters
    ----------
    data
        :class:`~altseason.strategies.MarketData` with the underlyings' closes
        and, when available, daily funding (``data.funding``) and implied vol.
    underlyings, hedges
        What to compare (hedges among :data:`HEDGES`).
    short_weight, call_moneyness, put_moneyness, tenor_days, rebalance_days
        :class:`~altseason.strategies.HedgedShort` parameters, the same for every row.
    start
        First day of the comparison (the data are cut there; default all).
    **engine
        Passed to :func:`~altseason.backtest.run_backtest` (``fees_bps``, ...).

    Returns
    -------
    DataFrame
        Index ``(underlying, hedge)``; columns ``description, total_return,
        max_drawdown, volatility, sharpe, funding_received, funding_paid,
        premium_paid, premium_received, option_payoff, costs_paid`` (fractions of initial capital or the backtest's ratios)
        and ``funding_data`` (whether funding rates were available for that
        underlying). ``attrs["params"]`` holds the strategy parameters.

    Raises
    ------
    DataUnavailableError
        An underlying without closes.
    """
    from altseason.strategies import HedgedShort, MarketData, run_strategy

    unknown = [h for h in hedges if h not in HEDGES]
    if unknown:
        raise ValidationError(f"unknown hedge(s) {unknown}; choose among {list(HEDGES)}.")
    if start is not None:
        s = pd.Timestamp(start)
        data = MarketData(
            close=data.close.loc[s:],
            market_cap=None if data.market_cap is None else data.market_cap.loc[s:],
            funding=None if data.funding is None else data.funding.loc[s:],
            implied_vol=None if data.implied_vol is None else data.implied_vol.loc[s:],
            sources=data.sources,
        )
    rows = []
    for u in underlyings:
        u = u.upper()
        if u not in data.close.columns or data.close[u].dropna().empty:
            raise DataUnavailableError(f"no closes for {u}: import or fetch its prices first.")
        has_funding = (
            data.funding is not None
            and u in data.funding.columns
            and bool(data.funding[u].notna().any())
        )
        for h in hedges:
            strat = HedgedShort(
                underlying=u,
                short_weight=short_weight,
                hedge=h,  # type: ignore[arg-type]
                call_moneyness=call_moneyness,
                put_moneyness=put_moneyness,
                tenor_days=tenor_days,
                rebalance_days=rebalance_days,
            )
            res = run_strategy(strat, data, **engine)
            cash = float(res.init_cash)
            summ = res.summary()
            costs = res.costs
            rows.append(
                {
                    "underlying": u,
                    "hedge": h,
                    "description": HEDGES[h],
                    "total_return": float(summ["total_return"]),
                    "max_drawdown": float(summ["max_drawdown"]),
                    "volatility": float(summ["volatility"]),
                    "sharpe": float(summ["sharpe"]),
                    "funding_received": float(costs["funding_received"].sum()) / cash,
                    "funding_paid": float(costs["funding_paid"].sum()) / cash,
                    "premium_paid": float(costs["premium_paid"].sum()) / cash,
                    "premium_received": float(costs["premium_received"].sum()) / cash,
                    "option_payoff": float(costs["option_payoff"].sum()) / cash,
                    "costs_paid": float(costs[["fees", "slippage", "option_fees"]].to_numpy().sum())
                    / cash,
                    "funding_data": has_funding,
                }
            )
    out = pd.DataFrame(rows).set_index(["underlying", "hedge"])
    out.attrs["params"] = {
        "short_weight": short_weight,
        "call_moneyness": call_moneyness,
        "put_moneyness": put_moneyness,
        "tenor_days": tenor_days,
        "rebalance_days": rebalance_days,
    }
    return out
