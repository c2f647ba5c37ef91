"""Backtest commands: backtest, sweep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from altseason.cli._app import (
    app,
    console,
    export_frame,
    open_cli_store,
    print_frame,
    state,
    usage_error,
)
from altseason.exceptions import DataUnavailableError, StrategyError
from altseason.labels import DEMO_LABEL, is_demo

T = TypeVar("T")


def _usage(call: Callable[[], T]) -> T:
    """Run a registry lookup or parameter parse; its StrategyError is a usage mistake (exit 2)."""
    try:
        return call()
    except StrategyError as exc:
        usage_error(str(exc))


def _known_strategy(name: str | None) -> str:
    from altseason.strategies import strategy_class, strategy_names

    if name is None:
        usage_error(f"give a strategy; choose one of {', '.join(sorted(strategy_names()))}.")
    _usage(lambda: strategy_class(name))
    return name


def _strategy_help() -> str:
    from altseason.strategies import strategy_names

    return ", ".join(strategy_names())


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            usage_error(f"{flag} expects key=value, got {item!r} (e.g. {flag} lookback=30).")
        out[key.strip()] = val
    return out


BENCHMARKS = ("btc_hold", "btc_eth_50_50", "cap_weighted_market", "equal_weight_small_caps")
"""Benchmarks shown beside every backtest (those the store has the data for)."""


def _market_data(start: str | None, end: str | None) -> Any:
    from altseason.strategies import market_data_from_store

    path = state.settings.store_path
    if not path.exists():
        raise DataUnavailableError(
            f"no store at {path}; import prices first (e.g. 'altseason import FILE'), "
            "run 'altseason demo', or point --store at an existing store."
        )
    from altseason.universe import check_asof

    with open_cli_store(read_only=True) as store:
        check_asof(store, end)  # an --end after the newest data is refused, not extrapolated
        return market_data_from_store(store, start=start, end=end)


@app.command()
def backtest(
    strategy: str | None = typer.Argument(
        None,
        show_default=False,
        help="Strategy name: momentum, btc_hold, btc_eth_50_50, cap_weighted_market, "
        "equal_weight_small_caps, rotation, hedged_short or a registered one.",
    ),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="Strategy parameter key=value (repeatable), e.g. -p lookback=60."
    ),
    start: str | None = typer.Option(None, "--start", help="First date (UTC, YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--end", help="Last date (UTC, YYYY-MM-DD)."),
    fees_bps: float = typer.Option(
        10.0, "--fees-bps", help="Fees in basis points of traded value."
    ),
    slippage_bps: float = typer.Option(0.0, "--slippage-bps", help="Slippage in basis points."),
    lag: int = typer.Option(1, "--lag", help="Days between decision close and trade close."),
    cash_yield: float = typer.Option(
        0.0, "--cash-yield", help="Annual yield on stablecoin cash (0.04 = 4%)."
    ),
    benchmarks: bool = typer.Option(
        True, "--benchmarks/--no-benchmarks", help="Show every benchmark beside the strategy."
    ),
    export: Path | None = typer.Option(
        None,
        "--export",
        help="Write the daily equity, returns, exposures and costs (.csv/.parquet/.json).",
    ),
    charts: Path | None = typer.Option(
        None, "--charts", help="Write equity, drawdown and rolling-Sharpe charts (PNG) here."
    ),
) -> None:
    """Backtest a strategy on the store's data: a tearsheet beside every benchmark.

    Targets decided at a close trade at the close LAG days later, with fees and
    slippage; shorts are perps (funding from the store), hedges are Black-76
    options on the forward at their strike's vol, with Deribit's option fees.
    Metrics use 365 periods a year and count from the first trade; turnover
    is one-way; costs_paid = fees + slippage + option fees.
    """
    import pandas as pd

    from altseason.strategies import make_strategy, parse_params, run_strategy

    strategy = _known_strategy(strategy)  # unknown names fail before the store is read
    params = _usage(lambda: parse_params(strategy, param))
    strat = _usage(lambda: make_strategy(strategy, params))
    data = _market_data(start, end)
    demo = is_demo(data.sources)
    close = data.close
    engine = {
        "lag": lag,
        "fees_bps": fees_bps,
        "slippage_bps": slippage_bps,
        "cash_yield": cash_yield,
        "label": DEMO_LABEL if demo else None,
    }
    result = run_strategy(strat, data, **engine)
    shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
    results = {strategy: result}
    skipped = []
    if benchmarks:
        for name in BENCHMARKS:
            if name == strategy:
                continue
            try:
                results[name] = run_strategy(make_strategy(name), data, **engine)
            except (DataUnavailableError, StrategyError) as exc:
                skipped.append(f"{name} ({exc})")
    table = pd.DataFrame({name: r.summary() for name, r in results.items()})
    table.index.name = "metric"
    first = result.first_trade
    print_frame(
        table,
        f"{strategy} ({shown}) {close.index[0].date()} → {close.index[-1].date()}, "
        f"{close.shape[1]} assets, fees {fees_bps:g} bps; metrics from the first trade "
        f"({first.date() if first is not None else 'none'})",
        demo=demo,
    )
    for note in skipped:
        console.print(f"benchmark skipped: {note}")
    console.print(
        "turnover: one-way, annualised; costs_paid = fees + slippage + option fees; "
        "funding and premiums are shown apart (fractions of initial capital)."
    )
    monthly = result.monthly_returns()
    if not monthly.empty:
        monthly.columns = [*(f"{m:02d}" for m in range(1, 13)), "full year"]
        print_frame(monthly, f"{strategy}: monthly returns", demo=demo)
    dd = result.drawdown_table(5)
    if not dd.empty:
        dd.index = pd.RangeIndex(1, len(dd) + 1, name="rank")
        print_frame(dd, f"{strategy}: deepest drawdowns", demo=demo)
    rs = pd.DataFrame({name: r.rolling_sharpe(90) for name, r in results.items()})
    rs_q = rs.resample("QE").last().dropna(how="all")
    if not rs_q.empty:
        rs_q.index = rs_q.index.date
        rs_q.index.name = "quarter end"
        print_frame(rs_q, "rolling 90-day Sharpe ratio (quarter ends)", demo=demo)
    attribution = result.attribution().rename("fraction of initial capital").to_frame()
    attribution.index.name = "source"
    print_frame(attribution, f"{strategy}: P&L attribution", demo=demo)

    if export is not None and export.suffix.lower() == ".json":
        from altseason.report import FindingSet
        from altseason.report._sections._strategy import backtest_findings

        with open_cli_store(read_only=True) as store:
            found = backtest_findings(
                result,
                strategy,
                store,
                start=close.index[0],
                end=close.index[-1],
                method=f"altseason backtest {strategy} ({shown}; fees {fees_bps:g} bps, "
                f"slippage {slippage_bps:g} bps, lag {lag})",
            )
        FindingSet(found).write_json(
            export,
            asof=str(close.index[-1].date()),
            command="backtest",
            demo=demo,
            data_label=result.label or "",
        )
        console.print(f"wrote findings (report schema) to {export}")
    elif export is not None:
        daily = pd.concat(
            [result.equity, result.returns, result.turnover, result.exposures, result.costs], axis=1
        )
        daily.index.name = "date"
        export_frame(daily, export, demo=demo)
        console.print(f"wrote {export}")
    if charts is not None:
        charts.mkdir(parents=True, exist_ok=True)
        for what, fig in result.tearsheet_figures(results).items():
            out = charts / f"{strategy}_{what}.png"
            fig.savefig(out, dpi=110)
            console.print(f"wrote {out}")


@app.command()
def allocate(
    param: list[str] = typer.Option(
        [],
        "--param",
        "-p",
        help="Rotation parameter key=value (repeatable), e.g. -p sleeves=sectors.",
    ),
    asof: str | None = typer.Option(None, "--asof", help="Decision date (default: latest data)."),
    export: Path | None = typer.Option(
        None, "--export", help="Write the weights (.csv/.parquet/.json)."
    ),
) -> None:
    """Today's target weights of the rotation strategy, with the reason from each signal.

    Shows the signals behind the latest rebalance (momentum of majors and of the alt
    sleeve, relative strength, Fear & Greed, liquidity), the resulting exposure, the
    vol-target scale and drawdown brake, then the weights (cash = stablecoins).
    """
    import pandas as pd

    from altseason.report._sections._strategy import current_allocation, strategy_data
    from altseason.strategies import make_strategy, parse_params
    from altseason.universe import check_asof

    params = _usage(lambda: parse_params("rotation", param))
    strat = _usage(lambda: make_strategy("rotation", params))
    with open_cli_store(read_only=True) as store:
        check_asof(store, asof)
        data = strategy_data(store, end=asof)
        json_export = export is not None and export.suffix.lower() == ".json"
        if json_export and not params:
            from altseason.report import export_findings

            assert export is not None
            export_findings(store, "allocate", export, asof=asof or data.close.index[-1])
    demo = is_demo(data.sources)
    when, target, strat = current_allocation(data, strat)
    state_ = strat.state_
    last = state_.signals.iloc[-1]
    reasons = pd.DataFrame(
        {
            "value": [
                last[c]
                for c in (
                    "momentum_majors",
                    "momentum_alts",
                    "relative_strength",
                    "sentiment",
                    "macro",
                    "risk_on",
                    "exposure",
                    "alt_share",
                    "vol_scale",
                    "drawdown_brake",
                )
            ],
            "meaning": [
                "trend of BTC+ETH, vol-scaled, in [-1, 1]",
                f"trend of the alt sleeve ({strat.sleeves}), in [-1, 1]",
                "alt sleeve vs BTC relative strength, z-scored, in [-1, 1]",
                "contrarian Fear & Greed (+1 extreme fear)",
                "liquidity trend over 91 days",
                "composite: momentum 0.5, sentiment 0.25, macro 0.25",
                "crypto exposure = 0.5 + 0.5 x risk_on",
                "share of crypto exposure in the alt sleeve",
                "volatility-target scale (1 = no cut)",
                "drawdown brake engaged",
            ],
        },
        index=pd.Index(
            [
                "momentum_majors",
                "momentum_alts",
                "relative_strength",
                "sentiment",
                "macro",
                "risk_on",
                "exposure",
                "alt_share",
                "vol_scale",
                "drawdown_brake",
            ],
            name="signal",
        ),
    )
    reasons["value"] = reasons["value"].astype(object)
    print_frame(reasons, f"rotation signals on {when.date()}", demo=demo)
    held = target[target.abs() > 1e-9].sort_values(ascending=False)
    table = pd.DataFrame({"weight": held})
    table.loc["cash (stablecoins)", "weight"] = 1.0 - float(held.sum())
    table.index.name = "asset"
    print_frame(table, f"target weights on {when.date()} (trade at the next close)", demo=demo)
    if export is not None and json_export and not params:
        console.print(f"wrote findings (report schema) to {export}")
    elif export is not None:
        export_frame(table, export, demo=demo)
        console.print(f"wrote {export}")


@app.command()
def sweep(
    strategy: str | None = typer.Argument(
        None,
        show_default=False,
        help="Strategy name (any of 'altseason backtest's, e.g. momentum, rotation).",
    ),
    grid: list[str] = typer.Option(
        [], "--grid", "-g", help="Parameter values key=v1,v2,... (repeatable)."
    ),
    start: str | None = typer.Option(None, "--start", help="First date (UTC, YYYY-MM-DD)."),
    end: str | None = typer.Option(None, "--end", help="Last date (UTC, YYYY-MM-DD)."),
    fees_bps: float = typer.Option(
        10.0, "--fees-bps", help="Fees in basis points of traded value."
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Dask scheduler address (default: a local cluster); 'serial' runs in process.",
    ),
    workers: int = typer.Option(2, "--workers", help="Workers of the local cluster."),
    top: int = typer.Option(10, "--top", help="Configurations to show."),
    validation: str = typer.Option(
        "rolling",
        "--validation",
        help="Out-of-sample check: rolling or anchored walk-forward, cpcv "
        "(combinatorial purged CV) or none.",
    ),
    train_days: int = typer.Option(365, "--train-days", help="Walk-forward training window."),
    test_days: int = typer.Option(90, "--test-days", help="Walk-forward test window."),
    export: Path | None = typer.Option(
        None, "--export", help="Write every configuration's metrics (.csv/.parquet/.json)."
    ),
) -> None:
    """Sweep a strategy's parameters with Dask: the best configurations, in-sample vs
    out-of-sample Sharpe (walk-forward by default), DSR and PBO."""
    from altseason.backtest import run_sweep
    from altseason.strategies import parse_param_value, strategy_class

    name = _known_strategy(strategy)
    cls = strategy_class(name)

    def values(key: str, text: str) -> list[Any]:
        return [
            _usage(lambda x=x: parse_param_value(name, key, x))  # type: ignore[misc]
            for x in text.split(",")
            if x.strip()
        ]

    spec = {k: values(k, v) for k, v in _pairs(grid, "--grid").items()}
    if not spec:
        usage_error("give at least one --grid key=v1,v2 (e.g. --grid lookback=10,20,50).")
    if validation not in ("rolling", "anchored", "cpcv", "none"):
        usage_error(f"--validation must be rolling, anchored, cpcv or none, not {validation!r}.")
    data = _market_data(start, end)
    close = data.close
    demo = is_demo(data.sources)
    result = run_sweep(
        cls,
        spec,
        data,
        fees_bps=fees_bps,
        scheduler=scheduler,
        n_workers=workers,
        label=DEMO_LABEL if demo else None,
        validation=validation,  # type: ignore[arg-type]
        train_days=train_days,
        test_days=test_days,
    )
    cols = [*spec, "sharpe", "cagr", "max_drawdown", "sortino", "turnover"]
    print_frame(
        result.top(top)[cols],
        f"{strategy}: top {min(top, len(result.params))} of {len(result.params)} configurations "
        f"by Sharpe ({close.index[0].date()} → {close.index[-1].date()}, fees {fees_bps:g} bps)",
        demo=demo,
    )
    pbo = "n/a (too few dates or configurations)" if result.pbo is None else f"{result.pbo.pbo:.1%}"
    console.print(f"deflated Sharpe ratio of the best configuration: {result.deflated_sharpe:.3f}")
    console.print(f"probability of backtest overfitting (CSCV): {pbo}")
    v = result.validation
    if v is None:
        console.print("out-of-sample check: none (off, or too few dates for one fold)")
    else:
        console.print(
            f"out-of-sample check ({v.method}, {len(v.folds)} folds): in-sample Sharpe "
            f"{v.in_sample_sharpe:.3f}, out-of-sample Sharpe {v.out_of_sample_sharpe:.3f}"
        )
        folds = v.folds.copy()
        folds["params"] = [str(result.params[c]) for c in folds["config"]]
        folds.index.name = "fold"
        print_frame(
            folds[["train_start", "train_end", "test_start", "test_end", "params",
                   "train_metric", "test_metric"]],
            "chosen configuration per fold (Sharpe in and out of sample)",
            demo=demo,
        )  # fmt: skip
    if export is not None:
        export_frame(result.metrics, export, demo=demo)
        console.print(f"wrote {export}")
