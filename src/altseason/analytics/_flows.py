"""Spot ETF flows: sums, streaks, issuer shares, holders' cost basis.

Inputs are the long ``etf_flows`` table (``date, fund, underlying, flow_usd,
holdings_units, aum_usd``) or the ``(n_dates, n_funds)`` panel
:func:`flows_by_fund` makes of it. Flows are net creations (+) and
redemptions (-) per trading day; every function is unit-agnostic except the
cost basis, which needs flows in USD and prices in USD per coin. The dates are
the days present in the data (trading days); a fund without a row on a day
had no flow that day.

Cost basis (DESIGN.md, "ETF cost basis"): per fund, average-cost method on
units. An inflow of ``f`` USD on day ``t`` buys ``f / P_t`` units at the
day's close ``P_t``; an outflow removes ``|f| / P_t`` units at the running
average cost (so the fund's average cost does not change). The aggregate cost
basis is the unit-weighted average across funds (total cost / total units);
holders' unrealised P&L = price / cost basis - 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "FUND_ISSUERS",
    "TOTAL_PREFIX",
    "CostBasis",
    "FlowComparison",
    "aum_by_fund",
    "compare_flow_sources",
    "cost_basis",
    "cumulative_flows",
    "flow_streaks",
    "flows_against_price",
    "flows_by_fund",
    "holders_cost_basis",
    "issuer_shares",
    "period_flows",
    "total_flows",
]

FUND_ISSUERS: dict[str, str] = {
    # US spot bitcoin ETFs
    "IBIT": "BlackRock",
    "FBTC": "Fidelity",
    "BITB": "Bitwise",
    "ARKB": "ARK/21Shares",
    "BTCO": "Invesco",
    "EZBC": "Franklin Templeton",
    "BRRR": "CoinShares",
    "HODL": "VanEck",
    "BTCW": "WisdomTree",
    "DEFI": "Hashdex",
    "MSBT": "Morgan Stanley",
    "GBTC": "Grayscale",
    "BTC": "Grayscale",
    # US spot ether ETFs
    "ETHA": "BlackRock",
    "FETH": "Fidelity",
    "ETHW": "Bitwise",
    "TETH": "21Shares",
    "ETHV": "VanEck",
    "QETH": "Invesco",
    "EZET": "Franklin Templeton",
    "ETHE": "Grayscale",
    "ETH": "Grayscale",
    "ETHB": "BlackRock",
    # US spot solana ETFs
    "BSOL": "Bitwise",
    "VSOL": "VanEck",
    "FSOL": "Fidelity",
    "TSOL": "21Shares",
    "SOEZ": "Franklin Templeton",
    "GSOL": "Grayscale",
}
"""Fund ticker -> issuer for US spot crypto ETFs (unknown funds are their own issuer)."""

Period = Literal["day", "week", "month", "year"]
_FREQ = {"day": "D", "week": "W-SUN", "month": "ME", "year": "YE"}


TOTAL_PREFIX = "TOTAL-"
"""Fund ids starting with this hold a file's daily total (``TOTAL-BTC``), not a fund."""

Totals = Literal["fill", "exclude", "only"]


def flows_by_fund(
    etf_flows: pd.DataFrame,
    *,
    underlying: str | None = None,
    value: str = "flow_usd",
    totals: Totals = "fill",
) -> pd.DataFrame:
    """Pivot the long ``etf_flows`` frame to a ``(n_dates, n_funds)`` panel.

    Importers store a file's daily total as the pseudo-fund ``TOTAL-<UNDERLYING>``
    beside the per-fund rows; it must never be added to them. ``totals``
    decides what happens to those rows:

    * ``"fill"`` (default): keep a total only on dates without any per-fund
      row (a totals-only source), as the column ``TOTAL-<U>``; per-fund rows
      win elsewhere, so the row sums are the total flow on every date;
    * ``"exclude"``: drop every total row;
    * ``"only"``: keep only the total rows.

    Parameters
    ----------
    etf_flows
        Long frame with ``date, fund, underlying`` and ``value``.
    underlying
        Keep one underlying; required when the frame holds several.
    value
        Column to pivot (``flow_usd`` by default).

    Returns
    -------
    DataFrame
        Index ``date`` (the days present, ascending); columns fund tickers
        (sorted); 0.0 where a fund had no row on a day; no columns at all when
        nothing is left.

    Raises
    ------
    ValidationError
        Missing columns, several underlyings, or a (date, fund) pair twice.
    """
    need = ["date", "fund", value] + (["underlying"] if "underlying" in etf_flows.columns else [])
    missing = [c for c in ("date", "fund", value) if c not in etf_flows.columns]
    if missing:
        raise ValidationError(
            f"ETF flow frame lacks column(s) {missing}; expected the long etf_flows table."
        )
    frame = etf_flows[need].copy()
    if "underlying" in frame.columns:
        unders = sorted(frame["underlying"].astype(str).str.upper().unique().tolist())
        if underlying is not None:
            frame = frame.loc[frame["underlying"].astype(str).str.upper() == underlying.upper()]
        elif len(unders) > 1:
            raise ValidationError(
                f"ETF flows mix underlyings {unders}; pass underlying= one of them."
            )
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    if totals not in ("fill", "exclude", "only"):
        raise ValidationError(f"totals must be 'fill', 'exclude' or 'only', got {totals!r}.")
    is_total = frame["fund"].astype(str).str.upper().str.startswith(TOTAL_PREFIX)
    if totals == "exclude":
        frame = frame.loc[~is_total]
    elif totals == "only":
        frame = frame.loc[is_total]
    else:
        fund_days = set(frame.loc[~is_total, "date"])
        frame = frame.loc[~is_total | ~frame["date"].isin(fund_days)]
    dup = frame.duplicated(["date", "fund"], keep=False)
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise ValidationError(
            f"{int(dup.sum())} ETF flow rows repeat a (date, fund) pair, e.g. "
            f"{first['date'].date()} {first['fund']}; de-duplicate the input.",
            column="fund",
        )
    panel = frame.pivot(index="date", columns="fund", values=value).astype(float)
    panel = panel.sort_index().sort_index(axis=1).fillna(0.0)
    panel.index.name = "date"
    panel.columns.name = "fund"
    return panel


def _as_total(flows: pd.Series | pd.DataFrame) -> pd.Series:
    if isinstance(flows, pd.DataFrame):
        return total_flows(flows)
    return flows.astype(float)


def total_flows(flows: pd.DataFrame) -> pd.Series:
    """Total flow per day across funds (NaN treated as no flow)."""
    out = flows.sum(axis=1, min_count=0).astype(float)
    out.name = "total"
    return out


def period_flows(
    flows: pd.Series | pd.DataFrame, period: Period = "week"
) -> pd.Series | pd.DataFrame:
    """Sums of flows per calendar period.

    Parameters
    ----------
    flows
        Daily flows: a Series or a ``(n_dates, n_funds)`` panel.
    period
        ``"day"``, ``"week"`` (Monday-Sunday, labelled by the Sunday),
        ``"month"`` or ``"year"`` (labelled by the period's last calendar day).

    Returns
    -------
    Series or DataFrame
        One row per period from the first to the last (0.0 for periods without
        flows), same columns as the input.
    """
    if period not in _FREQ:
        raise ValidationError(f"unknown period {period!r}; use one of {list(_FREQ)}.")
    idx = pd.DatetimeIndex(flows.index)
    return flows.set_axis(idx).resample(_FREQ[period]).sum(min_count=0)


def cumulative_flows(flows: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Running sum of flows (NaN counts as zero)."""
    return flows.fillna(0.0).cumsum()


def flow_streaks(flows: pd.Series | pd.DataFrame, *, skip_zero: bool = True) -> pd.DataFrame:
    """Runs of consecutive inflow or outflow days.

    Parameters
    ----------
    flows
        Daily total flows (a panel is summed across funds first).
    skip_zero
        Drop zero-flow days first (Farside-style calendar files carry weekends
        and holidays as 0.0), so they neither break nor extend a streak. When
        False a zero day is its own ``flat`` run.

    Returns
    -------
    DataFrame
        One row per run, oldest first: ``start, end, direction`` (``inflow``,
        ``outflow`` or ``flat``), ``days`` (rows in the run) and ``flow`` (sum).
        The last row is the current streak.
    """
    total = _as_total(flows).dropna()
    if skip_zero:
        total = total.loc[total != 0]
    cols = ["start", "end", "direction", "days", "flow"]
    if total.empty:
        return pd.DataFrame(columns=cols)
    sign = np.sign(total.to_numpy())
    run = np.concatenate([[0], np.cumsum(sign[1:] != sign[:-1])])
    grouped = total.groupby(run)
    names = {1.0: "inflow", -1.0: "outflow", 0.0: "flat"}
    out = pd.DataFrame(
        {
            "start": grouped.apply(lambda s: s.index[0]),
            "end": grouped.apply(lambda s: s.index[-1]),
            "direction": [names[float(np.sign(s.iloc[0]))] for _, s in grouped],
            "days": grouped.size(),
            "flow": grouped.sum(),
        }
    ).reset_index(drop=True)
    return out[cols]


def issuer_shares(
    flows: pd.DataFrame,
    *,
    issuers: Mapping[str, str] | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Flows by issuer over a window and each issuer's share.

    Parameters
    ----------
    flows
        ``(n_dates, n_funds)`` panel.
    issuers
        Fund -> issuer map (default :data:`FUND_ISSUERS`; unknown funds are
        their own issuer).
    start, end
        Inclusive date bounds (default all).

    Returns
    -------
    DataFrame
        Index ``issuer`` sorted by net flow descending; columns ``net_flow``,
        ``inflow`` (sum of positive fund-days), ``outflow`` (sum of negative
        fund-days), ``share_of_net`` (net / total net; can be negative or above 1
        when some issuers had net outflows) and ``share_of_inflows`` (inflow /
        total inflows, in [0, 1]).
    """
    sel = flows.loc[start:end] if (start is not None or end is not None) else flows
    mapping = dict(FUND_ISSUERS if issuers is None else issuers)
    names = [mapping.get(str(f), str(f)) for f in sel.columns]
    fund_net = sel.sum(axis=0)
    fund_in = sel.clip(lower=0).sum(axis=0)
    fund_out = sel.clip(upper=0).sum(axis=0)
    out = (
        pd.DataFrame(
            {
                "net_flow": fund_net.to_numpy(),
                "inflow": fund_in.to_numpy(),
                "outflow": fund_out.to_numpy(),
            },
            index=pd.Index(names, name="issuer"),
        )
        .groupby(level=0)
        .sum()
    )
    total_net = float(out["net_flow"].sum())
    total_in = float(out["inflow"].sum())
    out["share_of_net"] = out["net_flow"] / total_net if total_net != 0 else np.nan
    out["share_of_inflows"] = out["inflow"] / total_in if total_in != 0 else np.nan
    return out.sort_values("net_flow", ascending=False)


def aum_by_fund(etf_flows: pd.DataFrame, prices: pd.Series | None = None) -> pd.DataFrame:
    """Assets under management per fund where the data knows them.

    ``aum_usd`` when reported; otherwise ``holdings_units`` x the day's close
    from ``prices`` (as of the day, no look-ahead) when both are known.

    Returns
    -------
    DataFrame
        ``(n_dates, n_funds)`` in USD; NaN where neither is known.
    """
    frame = etf_flows.copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    aum = (
        frame["aum_usd"].astype(float)
        if "aum_usd" in frame.columns
        else pd.Series(np.nan, index=frame.index)
    )
    if prices is not None and "holdings_units" in frame.columns:
        px = _asof_prices(prices, pd.DatetimeIndex(frame["date"]), strict=False)
        implied = frame["holdings_units"].astype(float).to_numpy() * px
        aum = aum.fillna(pd.Series(implied, index=frame.index))
    frame["aum"] = aum
    panel = frame.pivot_table(index="date", columns="fund", values="aum", aggfunc="last")
    panel = panel.reindex(columns=sorted(frame["fund"].unique())).astype(float)
    panel.columns.name = "fund"
    return panel


def _asof_prices(prices: pd.Series, dates: pd.DatetimeIndex, *, strict: bool = True) -> np.ndarray:
    """The last close on or before each date (no look-ahead)."""
    px = prices.astype(float).dropna()
    px.index = pd.DatetimeIndex(px.index).normalize()
    px = px[~px.index.duplicated(keep="last")].sort_index()
    if strict:
        if (px <= 0).any():
            raise ValidationError("prices must be positive USD closes; found values <= 0.")
        if px.empty or dates.min() < px.index[0]:
            first = "none" if px.empty else str(px.index[0].date())
            raise ValidationError(
                f"flows start {dates.min().date()} but the first price is {first}: "
                "the cost basis needs a close on or before every flow day."
            )
    pos = px.index.searchsorted(dates, side="right") - 1
    if strict and len(px):
        lag = (dates - px.index[np.clip(pos, 0, None)]).days
        stale = lag > MAX_PRICE_LAG_DAYS
        if stale.any():
            raise ValidationError(
                f"flows run to {dates.max().date()} but the prices end {px.index[-1].date()}: "
                f"{int(stale.sum())} flow day(s) would be valued at a close more than "
                f"{MAX_PRICE_LAG_DAYS} days old. Import newer prices of the underlying, or "
                f"cut the flows at {px.index[-1].date()}."
            )
    vals = px.to_numpy()
    out = np.where(pos >= 0, vals[np.clip(pos, 0, None)] if len(vals) else np.nan, np.nan)
    return np.asarray(out, dtype=float)


MAX_PRICE_LAG_DAYS = 4
"""Oldest close (days before a flow day) a cost basis may value that day's flow at:
crypto trades every day, so only a gap in the price series (or prices that end
before the flows) reaches it; the flow is then refused, never valued at a stale close."""


def _average_cost(
    flows: np.ndarray, prices: np.ndarray, units0: np.ndarray, cost0: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average-cost kernel over time for several funds at once (rows = days)."""
    n, m = flows.shape
    units = np.empty((n, m))
    cost = np.empty((n, m))
    unmatched = np.empty((n, m))
    u = units0.astype(float).copy()
    c = cost0.astype(float).copy()
    um = np.zeros(m)
    for t in range(n):
        f = np.nan_to_num(flows[t], nan=0.0)
        p = prices[t]
        buy = f > 0
        sell = f < 0
        u = np.where(buy, u + f / p, u)
        c = np.where(buy, c + f, c)
        if sell.any():
            out_units = np.where(sell, -f / p, 0.0)
            over = sell & (out_units >= u * (1.0 - 1e-12))
            partial = sell & ~over
            with np.errstate(divide="ignore", invalid="ignore"):
                keep = np.where(partial, (u - out_units) / u, 1.0)
            um = um + np.where(over, (out_units - u) * p, 0.0)
            c = np.where(over, 0.0, c * keep)
            u = np.where(over, 0.0, np.where(partial, u - out_units, u))
        units[t] = u
        cost[t] = c
        unmatched[t] = um
    return units, cost, unmatched


def cost_basis(
    flows: pd.Series,
    prices: pd.Series,
    *,
    initial_units: float = 0.0,
    initial_cost_basis: float = 0.0,
) -> pd.DataFrame:
    """Average-cost basis of one fund's holders from its daily USD flows.

    Parameters
    ----------
    flows
        Daily net flows in USD (index: flow days; NaN = no flow).
    prices
        Daily closes in USD per coin; the close on or before each flow day is
        used (no look-ahead).
    initial_units, initial_cost_basis
        Holdings (coins) and their average cost (USD per coin) before the first
        flow, e.g. a trust that converted to an ETF. Default: none.

    Returns
    -------
    DataFrame
        Index: the flow days; columns ``flow_usd, price, units`` (coins held),
        ``cost_usd`` (total cost of the units held), ``cost_basis`` (USD per
        coin; NaN while no units are held), ``unrealised_pnl`` (price / cost
        basis - 1) and ``unmatched_outflow_usd`` (cumulative outflows that
        exceeded the units held: redemptions of holdings older than the data;
        the units stop at zero and are never negative).

    Raises
    ------
    ValidationError
        Negative initial holdings, non-positive prices, or a flow before the first price.
    """
    res = holders_cost_basis(
        flows.to_frame("fund"),
        prices,
        initial_units={"fund": initial_units},
        initial_cost_basis={"fund": initial_cost_basis},
    )
    out = pd.DataFrame(
        {
            "flow_usd": flows.astype(float).fillna(0.0).to_numpy(),
            "price": res.aggregate["price"].to_numpy(),
            "units": res.units["fund"].to_numpy(),
            "cost_usd": res.cost_usd["fund"].to_numpy(),
            "cost_basis": res.cost_basis["fund"].to_numpy(),
            "unrealised_pnl": res.aggregate["unrealised_pnl"].to_numpy(),
            "unmatched_outflow_usd": res.unmatched_outflow_usd["fund"].to_numpy(),
        },
        index=res.units.index,
    )
    return out


@dataclass(frozen=True)
class CostBasis:
    """Per-fund and aggregate holders' cost basis.

    Attributes
    ----------
    units, cost_usd, cost_basis, unmatched_outflow_usd
        ``(n_dates, n_funds)`` panels: coins held, their total cost (USD),
        average cost (USD per coin, NaN with no units) and cumulative outflows
        beyond the units held (USD).
    aggregate
        Per date: ``price, units, cost_usd, cost_basis`` (unit-weighted average
        across funds = total cost / total units), ``unrealised_pnl`` (price /
        cost basis - 1) and ``unmatched_outflow_usd``.
    """

    units: pd.DataFrame
    cost_usd: pd.DataFrame
    cost_basis: pd.DataFrame
    unmatched_outflow_usd: pd.DataFrame
    aggregate: pd.DataFrame

    def by_fund(self) -> pd.DataFrame:
        """The latest date per fund: units, cost basis, unrealised P&L."""
        last = self.units.index[-1]
        price = float(self.aggregate["price"].iloc[-1])
        cb = self.cost_basis.loc[last]
        return pd.DataFrame(
            {
                "units": self.units.loc[last],
                "cost_usd": self.cost_usd.loc[last],
                "cost_basis": cb,
                "unrealised_pnl": price / cb - 1.0,
                "unmatched_outflow_usd": self.unmatched_outflow_usd.loc[last],
            }
        )


def holders_cost_basis(
    flows: pd.DataFrame,
    prices: pd.Series,
    *,
    initial_units: Mapping[str, float] | None = None,
    initial_cost_basis: Mapping[str, float] | None = None,
) -> CostBasis:
    """Per-fund and aggregate average-cost basis (see the module docstring).

    Parameters
    ----------
    flows
        ``(n_dates, n_funds)`` daily USD flows (:func:`flows_by_fund`).
    prices
        Daily USD closes of the underlying; as of each flow day.
    initial_units, initial_cost_basis
        Optional holdings per fund before the first flow (coins; USD per coin).

    Returns
    -------
    CostBasis
    """
    if flows.empty:
        raise ValidationError("no ETF flows to compute a cost basis from.")
    dates = pd.DatetimeIndex(pd.to_datetime(flows.index)).normalize()
    px = _asof_prices(prices, dates)
    funds = [str(c) for c in flows.columns]
    iu = np.array([float((initial_units or {}).get(f, 0.0)) for f in funds])
    icb = np.array([float((initial_cost_basis or {}).get(f, 0.0)) for f in funds])
    if (iu < 0).any() or (icb < 0).any() or not np.isfinite(iu).all() or not np.isfinite(icb).all():
        raise ValidationError("initial units and cost basis must be finite and >= 0.")
    arr = flows.to_numpy(dtype=float)
    units, cost, unmatched = _average_cost(arr, px, iu, iu * icb)
    idx = pd.DatetimeIndex(dates, name="date")
    cols = pd.Index(funds, name="fund")
    units_df = pd.DataFrame(units, index=idx, columns=cols)
    cost_df = pd.DataFrame(cost, index=idx, columns=cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        cb = np.where(units > 0, cost / np.where(units > 0, units, 1.0), np.nan)
    cb_df = pd.DataFrame(cb, index=idx, columns=cols)
    um_df = pd.DataFrame(unmatched, index=idx, columns=cols)
    tot_units = units.sum(axis=1)
    tot_cost = cost.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        agg_cb = np.where(tot_units > 0, tot_cost / np.where(tot_units > 0, tot_units, 1.0), np.nan)
    aggregate = pd.DataFrame(
        {
            "price": px,
            "units": tot_units,
            "cost_usd": tot_cost,
            "cost_basis": agg_cb,
            "unrealised_pnl": px / agg_cb - 1.0,
            "unmatched_outflow_usd": unmatched.sum(axis=1),
        },
        index=idx,
    )
    return CostBasis(units_df, cost_df, cb_df, um_df, aggregate)


def flows_against_price(
    flows: pd.Series | pd.DataFrame, prices: pd.Series, *, window: int = 30
) -> pd.DataFrame:
    """Daily flows next to the price and its returns.

    Parameters
    ----------
    flows
        Daily total flows (a panel is summed across funds).
    prices
        Daily closes; taken as of each flow day (no look-ahead).
    window
        Rows in the rolling correlation.

    Returns
    -------
    DataFrame
        Index: flow days; ``flow, cumulative_flow, close, return`` (close-to-close
        since the previous flow day), ``next_return`` (to the next flow day)
        and ``rolling_corr`` (correlation of flow with the same-day return over
        ``window`` rows; NaN until ``window`` rows exist).
    """
    total = _as_total(flows)
    dates = pd.DatetimeIndex(pd.to_datetime(total.index)).normalize()
    close = pd.Series(_asof_prices(prices, dates, strict=False), index=dates)
    ret = close.pct_change()
    out = pd.DataFrame(
        {
            "flow": total.to_numpy(dtype=float),
            "cumulative_flow": total.fillna(0.0).cumsum().to_numpy(),
            "close": close.to_numpy(),
            "return": ret.to_numpy(),
            "next_return": ret.shift(-1).to_numpy(),
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )
    out["rolling_corr"] = out["flow"].rolling(window).corr(out["return"])
    return out


@dataclass(frozen=True)
class FlowComparison:
    """Where two sources of the same daily flows disagree.

    Attributes
    ----------
    differences
        One row per differing day: ``date, <left>, <right>`` (NaN when the
        source has no row), ``difference`` (right - left, absent = 0) and
        ``status``: ``only_in_left`` / ``only_in_right`` (a non-zero flow the
        other source lacks) or ``value`` (both have the day, values differ).
    yearly
        Per calendar year of the compared range: both totals, their
        difference and the number of differing days.
    left_name, right_name
        Source labels used as column names.
    start, end
        The compared date range.
    """

    differences: pd.DataFrame
    yearly: pd.DataFrame
    left_name: str
    right_name: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def agree(self) -> bool:
        """True when no day differs."""
        return self.differences.empty


def compare_flow_sources(
    left: pd.Series,
    right: pd.Series,
    *,
    tolerance: float = 0.05,
    left_name: str = "left",
    right_name: str = "right",
    overlap_only: bool = True,
    start: Any = None,
    end: Any = None,
) -> FlowComparison:
    """Report the days on which two daily total-flow series differ.

    A day absent from one source counts as no flow there: it is only a
    difference when the other source has a non-zero flow that day (so
    Farside's 0.0 weekend rows and a by-fund file's omitted holidays agree,
    while a by-fund file's non-zero row on a US holiday is reported).

    Parameters
    ----------
    left, right
        Daily totals in the same unit (index: dates).
    tolerance
        Absolute difference below which two present values agree (same unit as
        the flows; 0.05 suits files rounded to 0.1 US$ m).
    overlap_only
        Compare only the dates both sources cover (first to last date of the
        shorter range).
    start, end
        Optional inclusive bounds applied on top (e.g. one calendar year).

    Returns
    -------
    FlowComparison
    """

    def clean(s: pd.Series) -> pd.Series:
        s = s.astype(float).copy()
        s.index = pd.DatetimeIndex(pd.to_datetime(s.index)).normalize()
        if s.index.duplicated().any():
            raise ValidationError(
                "a flow series repeats a date; sum or de-duplicate it before comparing."
            )
        return s.sort_index()

    start_bound = None if start is None else pd.Timestamp(start)
    end_bound = None if end is None else pd.Timestamp(end)
    a, b = clean(left), clean(right)
    if a.empty or b.empty:
        raise ValidationError("both flow series need at least one row to compare.")
    if overlap_only:
        start = max(a.index[0], b.index[0])
        end = min(a.index[-1], b.index[-1])
    else:
        start = min(a.index[0], b.index[0])
        end = max(a.index[-1], b.index[-1])
    if start_bound is not None:
        start = max(start, start_bound)
    if end_bound is not None:
        end = min(end, end_bound)
    a, b = a.loc[start:end], b.loc[start:end]
    idx = a.index.union(b.index)
    aa, bb = a.reindex(idx), b.reindex(idx)
    a0, b0 = aa.fillna(0.0), bb.fillna(0.0)
    diff = b0 - a0
    status = pd.Series("", index=idx, dtype=object)
    only_l = bb.isna() & (a0.abs() > tolerance)
    only_r = aa.isna() & (b0.abs() > tolerance)
    both = aa.notna() & bb.notna() & ((aa - bb).abs() > tolerance)
    status[only_l] = "only_in_left"
    status[only_r] = "only_in_right"
    status[both] = "value"
    differs = only_l | only_r | both
    differences = pd.DataFrame(
        {
            "date": idx[differs],
            left_name: aa[differs].to_numpy(),
            right_name: bb[differs].to_numpy(),
            "difference": diff[differs].to_numpy(),
            "status": status[differs].to_numpy(),
        }
    ).reset_index(drop=True)
    years = idx.year
    yearly = pd.DataFrame(
        {
            left_name: a0.groupby(years).sum(),
            right_name: b0.groupby(years).sum(),
            "differing_days": differs.groupby(years).sum().astype(int),
        }
    )
    yearly["difference"] = yearly[right_name] - yearly[left_name]
    yearly.index.name = "year"
    return FlowComparison(
        differences,
        yearly[[left_name, right_name, "difference", "differing_days"]],
        left_name,
        right_name,
        pd.Timestamp(start),
        pd.Timestamp(end),
    )
