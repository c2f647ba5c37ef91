"""Backtest commands: backtest, sweep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

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

if TYPE_CHECKING:
    import pandas as pd

STRATEGIES: dict[str, Callable[..., pd.DataFrame]] = {}


def _strategies() -> dict[str, Callable[..., pd.DataFrame]]:
    if not STRATEGIES:
        from altseason.strategies import momentum_weights

        STRATEGIES["momentum"] = momentum_weights
    return STRATEGIES


def _strategy(name: str) -> Callable[..., pd.DataFrame]:
    known = _strategies()
    if name not in known:
        if name in BUILTINS:
            usage_error(
                f"'sweep' takes a function strategy ({', '.join(sorted(known))}); "
                f"backtest {name!r} with 'altseason backtest {name}'."
            )
        _unknown_strategy(name)
    return known[name]


def _all_strategies() -> list[str]:
    return sorted({*_strategies(), *BUILTINS})


def _unknown_strategy(name: str | None) -> NoReturn:
    what = "give a strategy" if name is None else f"unknown strategy {name!r}"
    usage_error(f"{what}; choose one of {', '.join(_all_strategies())}.")


def _check_params(name: str, params: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Usage mistakes in ``-p``: unknown names (listing the valid ones) and wrong types."""
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        usage_error(
            f"unknown parameter(s) {', '.join(unknown)} for {name!r}; it takes "
            f"{', '.join(sorted(defaults))}."
        )
    for key, value in params.items():
        default = defaults[key]
        if isinstance(default, bool):
            ok, kind = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, kind = isinstance(value, int) and not isinstance(value, bool), "an integer"
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            kind = "a number"
        else:
            ok, kind = True, ""
        if not ok:
            usage_error(
                f"-p {key}={value}: {key} of {name!r} must be {kind} (default {default!r})."
            )


def _function_defaults(fn: Callable[..., Any]) -> dict[str, Any]:
    """Keyword parameters (after the prices) of a function strategy, with their defaults."""
    import inspect

    params = list(inspect.signature(fn).parameters.values())[1:]
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


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
            usage_error(f"{flag} expects key=value, got {item!r} (e.g. {flag} lookback=30).")
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
    defaults = {
        f.name: f.default
        for f in dataclasses.fields(cls)
        if not f.name.endswith("_") and f.name != "name"
    }
    _check_params(name, params, defaults)
    return cls(**params)


@app.command()
def backtest(
    strategy: str | None = typer.Argument(
        None,
        show_default=False,
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
    import pandas as pd

    from altseason.backtest import run_backtest

    params = {k: _value(v) for k, v in _pairs(param, "--param").items()}
    if strategy is None or (strategy not in BUILTINS and strategy not in _strategies()):
        _unknown_strategy(strategy)
    if strategy in BUILTINS:
        from altseason.strategies import market_data_from_store, run_strategy

        strat = _builtin(strategy, params)
        with open_cli_store(read_only=True) as store:
            data = market_data_from_store(store, start=start, end=end)
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
        _check_params(strategy, params, _function_defaults(fn))
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
    if export is not None:
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
    import pandas as pd

    from altseason.strategies import market_data_from_store

    params = {k: _value(v) for k, v in _pairs(param, "--param").items()}
    strat = _builtin("rotation", params)
    strat.rebalance_days = 1
    with open_cli_store(read_only=True) as store:
        data = market_data_from_store(store, end=asof)
    demo = is_demo(data.sources)
    weights = strat.weights(data)
    state_ = strat.state_
    if state_ is None or state_.signals.empty:
        raise DataUnavailableError(
            "not enough history to compute the rotation signals (need ~1 year)."
        )
    last = state_.signals.iloc[-1]
    when = state_.signals.index[-1]
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
    target = weights.loc[:when].dropna(how="all").iloc[-1]
    held = target[target.abs() > 1e-9].sort_values(ascending=False)
    table = pd.DataFrame({"weight": held})
    table.loc["cash (stablecoins)", "weight"] = 1.0 - float(held.sum())
    table.index.name = "asset"
    print_frame(table, f"target weights on {when.date()} (trade at the next close)", demo=demo)
    if export is not None:
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
        usage_error("give at least one --grid key=v1,v2 (e.g. --grid lookback=10,20,50).")
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
