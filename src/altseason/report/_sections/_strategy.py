"""Compute half of the strategy section: current allocation and backtest vs a benchmark."""

from __future__ import annotations

from typing import Any

import pandas as pd

from altseason.exceptions import DataUnavailableError, StrategyError, ValidationError
from altseason.report._charts import ChartSpec, Trace
from altseason.report._findings import Finding
from altseason.report._narrative import Ref, Token
from altseason.report._sections._base import (
    ReportContext,
    SectionResult,
    Table,
    finding,
    last_valid,
)
from altseason.report._sections._market import market_panels
from altseason.store import Store

__all__ = [
    "BACKTEST_DAYS",
    "BACKTEST_DEFAULTS",
    "compute_strategy",
    "current_allocation",
    "strategy_data",
]

BACKTEST_DAYS = 3 * 365
"""Length of the report's backtest, in days before the report date."""

MAJORS = ("BTC", "ETH")


BACKTEST_DEFAULTS: dict[str, float] = {
    "lag": 1,
    "fees_bps": 10.0,
    "slippage_bps": 0.0,
    "cash_yield": 0.0,
}
"""Engine settings of every strategy backtest shown (``altseason backtest``'s defaults)."""


def strategy_data(store: Store, *, start: Any = None, end: Any = None) -> Any:
    """The strategies' inputs: :func:`altseason.strategies.market_data_from_store`.

    The one loader of the CLI (``backtest``, ``allocate``), the report and the
    dashboard: prices, caps, point-in-time tiers, sentiment, liquidity and
    funding.
    """
    from altseason.strategies import market_data_from_store

    return market_data_from_store(store, start=start, end=end)


def current_allocation(data: Any, strategy: Any = None) -> tuple[pd.Timestamp, pd.Series, Any]:
    """Today's target weights of the rotation strategy (``altseason allocate``).

    The strategy is re-decided on the last day (``rebalance_days = 1``);
    returns ``(decision date, target weights, the strategy with its state)``.

    Raises
    ------
    DataUnavailableError
        When there is not enough history for the rotation signals.
    """
    from altseason.strategies import Rotation

    strat = strategy if strategy is not None else Rotation()
    strat.rebalance_days = 1
    weights = strat.weights(data)
    state = strat.state_
    if state is None or state.signals.empty:
        raise DataUnavailableError(
            "not enough history to compute the rotation signals (need ~1 year)."
        )
    when = pd.Timestamp(state.signals.index[-1])
    target = weights.loc[:when].dropna(how="all").iloc[-1].fillna(0.0)
    return when, target, strat


def _stale_tiers(data: Any, ctx: ReportContext) -> Any:
    """A caveat when the strategy's cap tiers rest on market caps older than the tolerance."""
    from altseason.analytics import Quality, freshness, newest_date

    mcap = getattr(data, "market_cap", None)
    if mcap is None or mcap.empty:
        return None
    newest = newest_date(mcap, ctx.asof)
    if newest is None:
        return None
    fr = freshness(newest, ctx.asof)
    if fr is None or fr["lag_days"] <= ctx.rules.reconstitution_tolerance_days:
        return None
    return Quality(
        "caveat",
        None,
        fr,
        f"market caps last updated {fr['newest_input']}: the cap tiers behind the alt "
        "sleeve have had no members since",
    )


def compute_strategy(ctx: ReportContext) -> SectionResult:
    """Today's rotation allocation and a three-year backtest against BTC buy-and-hold.

    Both read :func:`strategy_data` and use :data:`BACKTEST_DEFAULTS`, so they
    equal ``altseason allocate --asof D`` and ``altseason backtest rotation
    --start D-3y --end D``.
    """
    from altseason.strategies import BtcHold, Rotation, run_strategy

    _close, _mcap, sectors = market_panels(ctx)
    try:
        full = strategy_data(ctx.store, end=ctx.asof)
        if "BTC" not in full.close:
            raise DataUnavailableError("no BTC prices in the store")
        start = max(full.close.index[0], ctx.asof - pd.Timedelta(days=BACKTEST_DAYS))
        decided, w, strat = current_allocation(full)
        data = strategy_data(ctx.store, start=start, end=ctx.asof)
        res = run_strategy(Rotation(), data, **BACKTEST_DEFAULTS)
        bench = run_strategy(BtcHold(), data, **BACKTEST_DEFAULTS)
    except (StrategyError, ValidationError) as exc:
        raise DataUnavailableError(f"the backtest could not run: {exc}") from exc
    prov = [ctx.prov("prices", start=start), ctx.prov("assets")]
    window = f"{pd.Timestamp(start).date()}..{ctx.asof.date()}"
    kw = {"provenance": prov, "asof": ctx.asof, "window": window}
    stables = [a for a in w.index if str(sectors.get(a) or "") == "stablecoin"]
    majors = float(w[[a for a in MAJORS if a in w.index]].sum())
    alts = float(w.drop([*MAJORS, *stables], errors="ignore").sum())
    cash = 1.0 - majors - alts
    top = w.drop(stables, errors="ignore").sort_values(ascending=False)
    meth = (
        "strategies.Rotation via strategies.run_strategy on market_data_from_store "
        f"(fees {BACKTEST_DEFAULTS['fees_bps']:g} bps, lag {BACKTEST_DEFAULTS['lag']:g} day)"
    )
    alloc = f"report.current_allocation (rotation decided on {decided.date()})"
    out = [
        finding("strategy.name", "Strategy", strat.name, "text", **kw),
        finding(
            "strategy.weight_majors",
            "Current weight in majors (BTC, ETH)",
            majors,
            "percent",
            method=alloc,
            **kw,
        ),
        finding(
            "strategy.weight_alts", "Current weight in alts", alts, "percent", method=alloc, **kw
        ),
        finding(
            "strategy.weight_cash",
            "Current weight in cash / stablecoins",
            cash,
            "percent",
            method=alloc,
            **kw,
        ),
        finding(
            "strategy.top_holding",
            "Largest holding",
            None if top.empty or top.iloc[0] <= 0 else str(top.index[0]),
            "text",
            **kw,
        ),
        finding(
            "strategy.top_weight",
            "Largest holding's weight",
            None if top.empty or top.iloc[0] <= 0 else top.iloc[0],
            "percent",
            **kw,
        ),
        finding("strategy.cagr", "Strategy CAGR", res.metrics["cagr"], "return", method=meth, **kw),
        finding(
            "strategy.sharpe",
            "Strategy Sharpe ratio",
            res.metrics["sharpe"],
            "ratio",
            method=meth,
            **kw,
        ),
        finding(
            "strategy.max_drawdown",
            "Strategy maximum drawdown",
            res.metrics["max_drawdown"],
            "return",
            method=meth,
            **kw,
        ),
        finding("strategy.benchmark", "Benchmark", "BTC buy-and-hold", "text", **kw),
        finding(
            "strategy.benchmark_cagr",
            "Benchmark CAGR",
            bench.metrics["cagr"],
            "return",
            method="strategies.BtcHold",
            **kw,
        ),
        finding(
            "strategy.benchmark_max_drawdown",
            "Benchmark maximum drawdown",
            bench.metrics["max_drawdown"],
            "return",
            method="strategies.BtcHold",
            **kw,
        ),
    ]
    stale = _stale_tiers(full, ctx)
    if stale is not None:
        out = [f if f.unit == "text" or "benchmark" in f.id else f.with_quality(stale) for f in out]
    _d, _v = last_valid(res.equity)
    demo = ctx.is_demo("prices")
    src = ctx.source_line("prices", extra="backtest with fees and slippage")
    charts = [
        ChartSpec(
            id="equity-curves",
            title="Rotation strategy vs BTC buy-and-hold",
            x_label="date (UTC)",
            y_label="equity (start = 1, log scale)",
            y_log=True,
            traces=[
                Trace.from_series(res.equity / res.equity.dropna().iloc[0], "rotation"),
                Trace.from_series(
                    bench.equity / bench.equity.dropna().iloc[0], "BTC buy-and-hold", dash=True
                ),
            ],
            source=src,
            demo=demo,
        ),
        ChartSpec(
            id="strategy-drawdowns",
            title="Strategy and benchmark drawdowns",
            x_label="date (UTC)",
            y_label="drawdown (%)",
            y_format="pct",
            traces=[
                Trace.from_series(res.drawdown(), "rotation", kind="area"),
                Trace.from_series(bench.drawdown(), "BTC buy-and-hold", dash=True),
            ],
            source=src,
            demo=demo,
        ),
    ]
    h_out, h_tables = hedged_short_findings(ctx, data)
    return SectionResult(findings=out + h_out, charts=charts, tables=h_tables)


HEDGE_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("total_return", "total return", "return"),
    ("max_drawdown", "max drawdown", "return"),
    ("funding_received", "funding received", "percent"),
    ("funding_paid", "funding paid", "percent"),
    ("premium_paid", "option premium paid", "percent"),
    ("premium_received", "option premium received", "percent"),
)
"""Hedged-short findings per (underlying, hedge): ``(column, label, unit)``."""


def hedged_short_findings(ctx: ReportContext, data: Any) -> tuple[list[Finding], list[Table]]:
    """Naked short vs call-hedged vs collar on BTC and ETH over the backtest window.

    ``analytics.hedged_short_comparison`` on the strategy data of the
    backtest (same window and engine settings); findings
    ``strategy.hedge.<underlying>.<hedge>.<figure>`` (fractions of initial
    capital), with funding and premium shown separately, and one table.
    """
    from altseason.analytics import HEDGES, hedged_short_comparison

    ids = [
        (u, h, col, label, unit)
        for u in ("BTC", "ETH")
        for h in HEDGES
        for col, label, unit in HEDGE_FIGURES
    ]
    try:
        engine: dict[str, Any] = dict(BACKTEST_DEFAULTS)
        table = hedged_short_comparison(data, **engine)
    except (DataUnavailableError, StrategyError, ValidationError) as exc:
        return (
            [
                Finding.unavailable(
                    f"strategy.hedge.{u.lower()}.{h}.{col}",
                    f"{u} {HEDGES[h]}: {label}",
                    f"the hedged-short comparison could not run: {exc}",
                    unit=unit,
                )
                for u, h, col, label, unit in ids
            ],
            [],
        )
    params = table.attrs.get("params", {})
    start, end = data.close.index[0], data.close.index[-1]
    window = f"{pd.Timestamp(start).date()}..{pd.Timestamp(end).date()}"
    out: list[Finding] = []
    for u, h, col, label, unit in ids:
        row = table.loc[(u, h)]
        if col.startswith("funding") and not bool(row["funding_data"]):
            # no funding rates: "0.0% received" would be a number the data never gave
            out.append(
                Finding.unavailable(
                    f"strategy.hedge.{u.lower()}.{h}.{col}",
                    f"{u} {HEDGES[h]}: {label}",
                    f"no {u} funding rates in the store",
                    unit=unit,
                )
            )
            continue
        out.append(
            finding(
                f"strategy.hedge.{u.lower()}.{h}.{col}",
                f"{u} {HEDGES[h]}: {label}",
                float(row[col]),
                unit,
                provenance=[ctx.prov("prices", asset_id=u, start=start)]
                + ([ctx.prov("funding", asset_id=u)] if bool(row["funding_data"]) else []),
                asof=ctx.asof,
                window=window,
                method=(
                    "analytics.hedged_short_comparison (strategies.HedgedShort via "
                    f"run_strategy; {params})"
                ),
            )
        )
    rows: list[list[Token]] = []
    for u in ("BTC", "ETH"):
        for h, desc in HEDGES.items():
            pre = f"strategy.hedge.{u.lower()}.{h}"
            cells: list[Token] = [u, desc]
            for col, _label, _unit in HEDGE_FIGURES:
                f = next(x for x in out if x.id == f"{pre}.{col}")
                cells.append(Ref(f.id, f.format()))
            rows.append(cells)
    tables = [
        Table(
            f"Short BTC or ETH perps, naked or hedged, {window} (fractions of initial capital)",
            ["underlying", "position", *[label for _c, label, _u in HEDGE_FIGURES]],
            rows,
        )
    ]
    return out, tables


BACKTEST_METRICS: tuple[tuple[str, str, str], ...] = (
    ("total_return", "Total return", "return"),
    ("cagr", "CAGR", "return"),
    ("volatility", "Annualised volatility", "percent"),
    ("sharpe", "Sharpe ratio", "ratio"),
    ("sortino", "Sortino ratio", "ratio"),
    ("calmar", "Calmar ratio", "ratio"),
    ("max_drawdown", "Maximum drawdown", "return"),
    ("max_drawdown_duration", "Longest drawdown", "days"),
    ("turnover", "Annualised turnover", "multiple"),
    ("costs_paid", "Costs paid (share of initial capital)", "percent"),
)
"""Backtest metrics written as findings: ``(metric, label, unit)``."""


def backtest_findings(
    result: Any, strategy: str, store: Store, *, start: Any, end: Any, method: str
) -> list[Any]:
    """``altseason backtest``'s metrics as findings ``backtest.<strategy>.<metric>``.

    The same schema as the report's findings; the window names the period, so
    the same id with the same window is the same number.
    """
    from altseason.report._findings import Provenance

    prov = Provenance.from_dict(store.provenance("prices", start=start, end=end))
    first, last = result.equity.index[0], result.equity.index[-1]
    window = f"{pd.Timestamp(first).date()}..{pd.Timestamp(last).date()}"
    summary = result.summary()
    out = []
    for key, label, unit in BACKTEST_METRICS:
        if key not in summary.index:
            continue
        out.append(
            finding(
                f"backtest.{strategy}.{key}",
                f"{strategy} backtest: {label}",
                summary[key],
                unit,
                provenance=[prov],
                asof=last,
                window=window,
                method=method,
            )
        )
    return out
