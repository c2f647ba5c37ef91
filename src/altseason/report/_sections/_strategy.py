"""Compute half of the strategy section: current allocation and backtest vs a benchmark."""

from __future__ import annotations

import pandas as pd

from altseason.exceptions import DataUnavailableError, StrategyError, ValidationError
from altseason.report._charts import ChartSpec, Trace
from altseason.report._sections._base import ReportContext, SectionResult, finding, last_valid
from altseason.report._sections._market import market_panels

__all__ = ["BACKTEST_DAYS", "compute_strategy"]

BACKTEST_DAYS = 3 * 365
"""Length of the report's backtest, in days before the report date."""

MAJORS = ("BTC", "ETH")


def compute_strategy(ctx: ReportContext) -> SectionResult:
    """Run the rotation strategy and the BTC buy-and-hold benchmark over the last three years."""
    from altseason.strategies import BtcHold, MarketData, Rotation, run_strategy
    from altseason.universe import cap_tiers

    close, mcap, sectors = market_panels(ctx)
    if "BTC" not in close:
        raise DataUnavailableError("no BTC prices in the store")
    start = max(close.index[0], ctx.asof - pd.Timedelta(days=BACKTEST_DAYS))
    c = close.loc[start:]
    m = mcap.loc[start:]
    fg = None
    if ctx.table_rows("sentiment"):
        s = ctx.table("sentiment", index_id="fear_greed")
        if not s.empty:
            fg = s.set_index("date")["value"].astype(float).sort_index()
    srcs = ctx.table_sources("prices")
    try:
        data = MarketData(
            close=c,
            market_cap=m,
            tiers=cap_tiers(m, c, sectors=sectors),
            sectors=sectors,
            fear_greed=fg,
            sources=tuple(srcs),
        )
        strat = Rotation()
        res = run_strategy(strat, data)
        bench = run_strategy(BtcHold(), data)
    except (StrategyError, ValidationError) as exc:
        raise DataUnavailableError(f"the backtest could not run: {exc}") from exc
    prov = [ctx.prov("prices", start=start), ctx.prov("assets")]
    window = f"{pd.Timestamp(start).date()}..{ctx.asof.date()}"
    kw = {"provenance": prov, "asof": ctx.asof, "window": window}
    w = res.weights.iloc[-1].fillna(0.0)
    stables = [a for a in w.index if str(sectors.get(a) or "") == "stablecoin"]
    majors = float(w[[a for a in MAJORS if a in w.index]].sum())
    alts = float(w.drop([*MAJORS, *stables], errors="ignore").sum())
    cash = 1.0 - majors - alts
    top = w.drop(stables, errors="ignore").sort_values(ascending=False)
    meth = "strategies.Rotation via strategies.run_strategy (costs included)"
    out = [
        finding("strategy.name", "Strategy", strat.name, "text", **kw),
        finding(
            "strategy.weight_majors",
            "Current weight in majors (BTC, ETH)",
            majors,
            "percent",
            method=meth,
            **kw,
        ),
        finding(
            "strategy.weight_alts", "Current weight in alts", alts, "percent", method=meth, **kw
        ),
        finding(
            "strategy.weight_cash",
            "Current weight in cash / stablecoins",
            cash,
            "percent",
            method=meth,
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
    return SectionResult(findings=out, charts=charts)
