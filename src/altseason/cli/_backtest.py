"""Backtest commands: backtest, sweep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from altseason.cli._app import app, console, export_frame, open_cli_store, print_frame, state
from altseason.exceptions import DataUnavailableError, StrategyError
from altseason.labels import DEMO_LABEL, is_demo

STRATEGIES: dict[str, Callable[..., pd.DataFrame]] = {}


def _strategies() -> dict[str, Callable[..., pd.DataFrame]]:
    if not STRATEGIES:
        from altseason.strategies import momentum_weights

        STRATEGIES["momentum"] = momentum_weights
    return STRATEGIES


def _strategy(name: str) -> Callable[..., pd.DataFrame]:
    known = _strategies()
    if name not in known:
        raise StrategyError(f"unknown strategy {name!r}; choose one of {', '.join(sorted(known))}.")
    return known[name]


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text.strip()


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise StrategyError(
                f"{flag} expects key=value, got {item!r} (e.g. {flag} lookback=30)."
            )
        out[key.strip()] = val
    return out


def _load_close(start: str | None, end: str | None) -> tuple[pd.DataFrame, bool]:
    path = state.settings.store_path
    if not path.exists():
        raise DataUnavailableError(
            f"no store at {path}; import prices first (e.g. 'altseason import FILE') "
            "or point --store at an existing store."
        )
    with open_cli_store(read_only=True) as store:
        close = store.read_prices("close", start=start, end=end)
        sources = store.provenance("prices", start=start, end=end)["sources"]
    close = close.dropna(axis=1, how="all")
    if close.empty:
        raise DataUnavailableError(
            "no close prices in the store for that period; import prices first "
            "(e.g. 'altseason import FILE') or widen --start/--end."
        )
    return close, is_demo(sources)


BUILTINS: dict[str, str] = {
    "btc_hold": "BtcHold",
    "btc_eth_50_50": "BtcEth5050",
    "cap_weighted_market": "CapWeightedMarket",
    "equal_weight_small_caps": "EqualWeightSmallCaps",
    "rotation": "Rotation",
    "hedged_short": "HedgedShort",
}
"""Strategy classes built from the store's MarketData (prices, tiers, sentiment, macro, funding, IV)."""


def _builtin(name: str, params: dict[str, Any]) -> Any:
    import dataclasses

    import altseason.strategies as strategies

    cls = getattr(strategies, BUILTINS[name])
    fields = {
        f.name for f in dataclasses.fields(cls) if not f.name.endswith("_") and f.name != "name"
    }
    unknown = sorted(set(params) - fields)
    if unknown:
        raise StrategyError(
            f"unknown parameter(s) {', '.join(unknown)} for {name!r}; it takes {', '.join(sorted(fields))}."
        )
    return cls(**params)


@app.command()
def backtest(
    strategy: str = typer.Argument(
        ...,
        help="Strategy: momentum, btc_hold, btc_eth_50_50, cap_weighted_market, "
        "equal_weight_small_caps, rotation or hedged_short.",
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
    export: Path | None = typer.Option(
        None,
        "--export",
        help="Write the daily equity, returns, exposures and costs (.csv/.parquet/.json).",
    ),
) -> None:
    """Backtest a strategy on the store's data and print its metrics.

    Targets decided at a close trade at the close LAG days later, with fees and
    slippage; shorts are perps (funding from the store), hedges are Black-76
    priced options; metrics use 365 periods a year.
    """
    from altseason.backtest import run_backtest

    params = {k: _value(v) for k, v in _pairs(param, "--param").items()}
    if strategy in BUILTINS:
        from altseason.report._sections._strategy import strategy_data
        from altseason.strategies import run_strategy
        from altseason.universe import check_asof

        strat = _builtin(strategy, params)
        with open_cli_store(read_only=True) as store:
            check_asof(store, end)
            data = strategy_data(store, start=start, end=end)
        demo = is_demo(data.sources)
        close = data.close
        result = run_strategy(
            strat,
            data,
            lag=lag,
            fees_bps=fees_bps,
            slippage_bps=slippage_bps,
            cash_yield=cash_yield,
            label=DEMO_LABEL if demo else None,
        )
    else:
        fn = _strategy(strategy)
        close, demo = _load_close(start, end)
        try:
            weights = fn(close, **params)
        except TypeError as exc:
            raise StrategyError(f"bad parameters for {strategy!r}: {exc}") from exc
        result = run_backtest(
            close,
            weights,
            lag=lag,
            fees_bps=fees_bps,
            slippage_bps=slippage_bps,
            cash_yield=cash_yield,
            label=DEMO_LABEL if demo else None,
        )
    table = result.summary().rename("value").to_frame()
    table.index.name = "metric"
    shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
    print_frame(
        table,
        f"{strategy} ({shown}) {close.index[0].date()} → {close.index[-1].date()}, "
        f"{close.shape[1]} assets, fees {fees_bps:g} bps",
        demo=demo,
    )
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
    from altseason.report._sections._strategy import current_allocation, strategy_data
    from altseason.universe import check_asof

    params = {k: _value(v) for k, v in _pairs(param, "--param").items()}
    strat = _builtin("rotation", params)
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
    strategy: str = typer.Argument(..., help="Strategy name: momentum."),
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
    export: Path | None = typer.Option(
        None, "--export", help="Write every configuration's metrics (.csv/.parquet/.json)."
    ),
) -> None:
    """Sweep a strategy's parameters with Dask; print the best configurations, DSR and PBO."""
    from altseason.backtest import run_sweep

    fn = _strategy(strategy)
    spec = {
        k: [_value(x) for x in v.split(",") if x.strip()] for k, v in _pairs(grid, "--grid").items()
    }
    if not spec:
        raise StrategyError("give at least one --grid key=v1,v2 (e.g. --grid lookback=10,20,50).")
    close, demo = _load_close(start, end)
    result = run_sweep(
        fn,
        spec,
        close,
        fees_bps=fees_bps,
        scheduler=scheduler,
        n_workers=workers,
        label=DEMO_LABEL if demo else None,
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
    if export is not None:
        export_frame(result.metrics, export, demo=demo)
        console.print(f"wrote {export}")
