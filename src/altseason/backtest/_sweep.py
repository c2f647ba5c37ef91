"""Parameter sweeps and walk-forward selection, distributed with Dask.

:func:`run_sweep` evaluates a strategy over a grid of parameters. The price
panel is scattered to the workers **once**; configurations are cut into
chunks, one task per chunk; each task builds the chunk's target weights and
simulates all of them in **one** parallel numba call. The same code runs on
a ``LocalCluster`` (default), on a real cluster (a scheduler address) or in
process (``scheduler="serial"``), and gives identical numbers either way.

For the built-in :func:`~altseason.strategies.momentum_weights` a task skips
the weight panels altogether: one parallel numba call selects each
configuration's top K on its decision rows only and simulates it
(:mod:`altseason.backtest._momentum_sweep`), with results identical to the
generic path (``fused=False``).

Each sweep reports the deflated Sharpe ratio of its best configuration and
the probability of backtest overfitting (CSCV) over all configurations.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from altseason._typing import FloatArray
from altseason.backtest import _engine as eng
from altseason.backtest._costs import CostModel
from altseason.backtest._metrics import PERIODS_PER_YEAR, sharpe_ratio
from altseason.backtest._overfitting import (
    PBOResult,
    deflated_sharpe_ratio,
    probability_of_backtest_overfitting,
)
from altseason.backtest._result import (
    EXTRA_NAMES,
    active_metrics,
    daily_extras,
    first_trade_rows,
    performance_metrics,
)
from altseason.backtest._runner import prepare_prices, prepare_targets
from altseason.backtest._splitters import CombinatorialPurgedCV, WalkForward
from altseason.exceptions import ConfigError, StrategyError

if TYPE_CHECKING:
    from distributed import Client

    from altseason.strategies import MarketData

__all__ = ["SweepResult", "WalkForwardResult", "expand_grid", "run_sweep", "walk_forward"]

StrategyFn = Callable[..., pd.DataFrame]


def expand_grid(
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """All configurations of a grid, in product order (the last key varies fastest).

    A sequence of mappings is taken as the explicit list of configurations.
    """
    if isinstance(grid, Mapping):
        keys = list(grid)
        for k in keys:
            if isinstance(grid[k], str) or not isinstance(grid[k], Sequence | np.ndarray):
                raise StrategyError(f"grid value for {k!r} must be a list of values.")
        return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*grid.values())]
    return [dict(c) for c in grid]


@dataclass(frozen=True)
class _Panel:
    """What every worker needs, scattered once."""

    close: FloatArray
    index: pd.DatetimeIndex
    columns: pd.Index
    last_valid: np.ndarray
    volume: FloatArray
    funding: FloatArray
    last_gap: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))
    data: Any = None  # MarketData for strategy classes

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.close, index=self.index, columns=self.columns, copy=False)


def _run_chunk(
    panel: _Panel, configs: list[dict[str, Any]], opts: dict[str, Any], strategy: StrategyFn
) -> tuple[FloatArray, FloatArray]:
    """Weights and simulation of a chunk; returns ``(returns (n, k), daily extras (k, 4))``."""
    prices = panel.frame()
    rows: list[np.ndarray] = []
    targets: list[FloatArray] = []
    for params in configs:
        weights = strategy(prices, **params)
        prep = prepare_targets(prices, weights, lag=opts["lag"], leverage=opts["leverage"])
        rows.append(prep.rows)
        targets.append(prep.targets)
    offsets = np.zeros(len(configs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in rows])
    m = panel.close.shape[1]
    all_rows = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    all_targets = np.concatenate(targets) if targets else np.empty((0, m))
    daily = eng.simulate_many_nb(
        panel.close,
        offsets,
        all_rows.astype(np.int64),
        np.ascontiguousarray(all_targets),
        panel.last_valid,
        *_sim_args(panel, opts),
    )
    return _summarise(daily, opts)


def _run_class_chunk(
    panel: _Panel, configs: list[dict[str, Any]], opts: dict[str, Any], cls: type
) -> tuple[FloatArray, FloatArray]:
    """A chunk of a strategy class: each configuration through ``run_strategy``.

    The very code path of a single backtest (weights, option legs, funding,
    margin for shorts), so a sweep equals its serial runs by construction.
    """
    from altseason.strategies import make_strategy, run_strategy

    rets = []
    extras = []
    for params in configs:
        res = run_strategy(make_strategy(cls, params), panel.data, **opts["engine"])
        rets.append(res.returns.to_numpy())
        extras.append(res.metrics[list(EXTRA_NAMES)].to_numpy(dtype=float))
    return np.column_stack(rets), np.vstack(extras)


def _run_momentum_chunk(
    panel: _Panel, params: np.ndarray, opts: dict[str, Any]
) -> tuple[FloatArray, FloatArray]:
    """The fused momentum path: selection on decision rows and simulation in one numba call."""
    from numba import get_num_threads

    from altseason.backtest._momentum_sweep import momentum_sweep_nb

    args = (
        panel.close,
        panel.last_gap,
        np.ascontiguousarray(params, dtype=np.int64),
        int(opts["lag"]),
        panel.last_valid,
        *_sim_args(panel, opts),
        get_num_threads(),
    )
    daily = momentum_sweep_nb(*args)
    return _summarise(daily, opts)


def _momentum_params(
    strategy: Any, configs: list[dict[str, Any]], lag: int, leverage: float
) -> np.ndarray | None:
    """``(n_configs, 3)`` parameters when the fused momentum path applies, else None.

    It applies to :func:`~altseason.strategies.momentum_weights` with only its
    own parameters, ``lag >= 0`` and ``leverage >= 1`` (its weights always
    pass validation then; otherwise the generic path raises the same errors
    as before).
    """
    from altseason.strategies._momentum import momentum_weights

    kernel = getattr(strategy, "fused_kernel", None) if isinstance(strategy, type) else None
    if strategy is not momentum_weights and kernel != "momentum":
        return None
    if lag < 0 or not leverage >= 1.0:
        return None
    from altseason.backtest._momentum_sweep import momentum_params

    return momentum_params(configs)


def _sim_args(panel: _Panel, opts: dict[str, Any]) -> tuple[Any, ...]:
    return (
        opts["init_cash"],
        opts["fees"],
        opts["slippage"],
        opts["impact"],
        panel.volume,
        panel.funding,
        opts["longs_pay_funding"],
        opts["cash_rate"],
        opts["margin"],
        opts["min_units"],
        opts["min_order"],
    )


def _summarise(daily: FloatArray, opts: dict[str, Any]) -> tuple[FloatArray, FloatArray]:
    """Daily returns ``(n, k)`` and per-configuration extras ``(k, len(EXTRA_NAMES))``.

    The extras (costs, turnover, exposures, warm-up days) are those of
    :func:`~altseason.backtest._result.daily_extras`, as in ``run_backtest``.
    """
    value = daily[:, :, eng.D_VALUE].T  # (n, k)
    prev = np.vstack([np.full((1, value.shape[1]), opts["init_cash"]), value[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = value / prev - 1.0
    first = first_trade_rows(daily)
    return returns, daily_extras(daily, opts["init_cash"], first)


@dataclass
class SweepResult:
    """Metrics of every configuration of a sweep, plus overfitting diagnostics.

    Attributes
    ----------
    metrics : DataFrame
        One row per configuration (index ``config``): the parameters, then
        ``total_return, cagr, volatility, sharpe, sortino, calmar, max_drawdown,
        max_drawdown_duration, beta_btc, hit_rate`` (365 periods a year, from
        each configuration's first trade) and the cost, turnover and exposure
        columns of :data:`~altseason.backtest._result.EXTRA_NAMES` (the same
        definitions as :meth:`BacktestResult.summary`).
    returns : DataFrame
        ``(n_dates, n_configs)`` daily returns, columns = config ids.
    params : list of dict
        The configurations, in id order.
    deflated_sharpe : float
        Deflated Sharpe ratio of the configuration with the best Sharpe ratio.
    pbo : PBOResult or None
        Probability of backtest overfitting (None with a single configuration
        or too few dates).
    validation : WalkForwardResult or None
        Out-of-sample check of the selection (walk-forward by default): the
        in-sample vs out-of-sample Sharpe of the configuration chosen on each
        training window (None when the dates do not fit one fold).
    """

    metrics: pd.DataFrame
    returns: pd.DataFrame
    params: list[dict[str, Any]]
    deflated_sharpe: float
    pbo: PBOResult | None
    label: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    validation: WalkForwardResult | None = None

    def top(self, n: int = 10, by: str = "sharpe") -> pd.DataFrame:
        """The ``n`` best configurations by a metric column (descending)."""
        return self.metrics.sort_values(by, ascending=False, kind="stable").head(n)

    def best(self, by: str = "sharpe") -> dict[str, Any]:
        """Parameters of the best configuration by ``by``."""
        return dict(self.params[int(self.metrics[by].to_numpy().argmax())])

    def summary(self) -> pd.Series:
        """Configurations, best Sharpe and its parameters, DSR and PBO."""
        best_id = int(self.metrics["sharpe"].to_numpy().argmax())
        v = self.validation
        return pd.Series(
            {
                "configurations": len(self.params),
                "best_config": best_id,
                "best_params": self.params[best_id],
                "best_sharpe": float(self.metrics["sharpe"].iloc[best_id]),
                "deflated_sharpe": self.deflated_sharpe,
                "pbo": float("nan") if self.pbo is None else self.pbo.pbo,
                "validation": "none" if v is None else v.method,
                "folds": 0 if v is None else len(v.folds),
                "in_sample_sharpe": float("nan") if v is None else v.in_sample_sharpe,
                "out_of_sample_sharpe": float("nan") if v is None else v.out_of_sample_sharpe,
            },
            name=self.label or "sweep",
        )


def _connect(scheduler: Any, n_workers: int, processes: bool) -> tuple[Client, Callable[[], None]]:
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        return scheduler, lambda: None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            host="127.0.0.1",
            protocol="tcp://",
            dashboard_address=None,
            silence_logs=40,
        )
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close
    try:
        client = Client(str(scheduler), timeout=10)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); check the address "
            "(tcp://host:8786) or omit it to use a local cluster."
        ) from exc
    return client, client.close


def run_sweep(
    strategy: type | StrategyFn,
    grid: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    data: MarketData | pd.DataFrame,
    *,
    lag: int = 1,
    fees_bps: float = 0.0,
    slippage_bps: float = 0.0,
    impact: float = 0.0,
    volume: pd.DataFrame | None = None,
    funding: pd.DataFrame | None = None,
    longs_pay_funding: bool = False,
    cash_yield: float = 0.0,
    leverage: float = 1.0,
    margin: bool | None = None,
    min_units: float = 0.0,
    min_order: float = 1e-9,
    init_cash: float = 1.0,
    benchmark: str | None = "BTC",
    scheduler: Any = None,
    n_workers: int = 2,
    processes: bool = True,
    chunk_size: int | None = None,
    pbo_splits: int = 16,
    label: str | None = None,
    fused: bool = True,
    validation: Literal["rolling", "anchored", "cpcv", "none"]
    | WalkForward
    | CombinatorialPurgedCV = "rolling",
    train_days: int = 365,
    test_days: int = 90,
) -> SweepResult:
    """Backtest ``strategy`` for every configuration of ``grid``.

    Parameters
    ----------
    strategy
        A strategy class (any registered built-in such as
        :class:`~altseason.strategies.Rotation` or your own dataclass with
        ``weights(data)``): each configuration is ``strategy(**params)``, run
        exactly as :func:`~altseason.strategies.run_strategy` runs it (option
        legs and funding included). Also accepted: a function
        ``fn(prices, **params) -> weights`` over the close panel.
    grid
        ``{"lookback": [10, 20], "k": [5, 10]}`` (the product is swept) or an
        explicit list of parameter dicts.
    data
        :class:`~altseason.strategies.MarketData` (a bare close panel is
        wrapped as ``MarketData(close=prices)``).
    lag, fees_bps, slippage_bps, impact, volume, funding, longs_pay_funding,
    cash_yield, leverage, margin, min_units, min_order, init_cash
        As in :func:`~altseason.backtest.run_backtest` (no option legs or universe mask).
    benchmark
        Column for ``beta_btc``.
    scheduler
        None: start a ``LocalCluster`` of ``n_workers`` (``processes`` or
        threads); a scheduler address (``"tcp://host:8786"``) or a
        ``distributed.Client``: use that cluster; ``"serial"``: run in this
        process without Dask. Results are identical.
    n_workers, processes
        Size and kind of the local cluster.
    chunk_size
        Configurations per task (default: about four tasks per worker; in
        process, the fused momentum path runs all configurations in one call).
    pbo_splits
        Blocks for CSCV (even).
    fused
        For a class with ``fused_kernel = "momentum"``
        (:class:`~altseason.strategies.Momentum`) or
        :func:`~altseason.strategies.momentum_weights`, compute each configuration's selection only on its
        decision rows and simulate it in the same parallel numba call,
        without building weight panels (several times faster; identical
        results). ``False`` forces the generic path: call ``strategy``,
        validate its weights, simulate.
    validation, train_days, test_days
        How the selection is checked out of sample (default: rolling
        walk-forward, ``train_days`` to choose the best Sharpe, the next
        ``test_days`` to measure it, a gap of ``lag`` days between):
        ``"rolling"``, ``"anchored"`` (expanding training windows),
        ``"cpcv"`` (combinatorial purged CV, 6 groups, 2 test groups, purge
        ``max(lag, 5)`` days), ``"none"``, or a splitter object.

    Returns
    -------
    SweepResult
    """
    from altseason.strategies import MarketData as _MarketData

    configs = expand_grid(grid)
    if not configs:
        raise StrategyError("the grid is empty: give at least one value per parameter.")
    is_class = isinstance(strategy, type)
    if isinstance(data, _MarketData):
        market: Any = data
        prices = data.close
    else:
        prices = data
        market = _MarketData(close=prices) if is_class else None
    if isinstance(strategy, type):
        from altseason.strategies import make_strategy

        for params in configs:  # unknown names and bad types fail here, before any work
            make_strategy(strategy, params)
        if funding is None and market is not None:
            funding = market.funding
    costs = CostModel(fees_bps, slippage_bps, impact)
    close, last_valid = prepare_prices(prices)

    def panel_of(frame: pd.DataFrame | None) -> FloatArray:
        if frame is None:
            return np.empty((0, 0))
        return np.ascontiguousarray(
            frame.reindex(index=prices.index, columns=prices.columns).to_numpy(dtype=float)
        )

    if impact > 0 and volume is None:
        raise StrategyError("impact > 0 needs a volume panel (USD volume per asset and day).")
    mom_params = _momentum_params(strategy, configs, lag, leverage) if fused else None
    last_gap = np.empty((0, 0), dtype=np.int64)
    if mom_params is not None:
        from altseason.backtest._momentum_sweep import last_gap_nb

        last_gap = last_gap_nb(close)
    panel = _Panel(
        close,
        prices.index,
        prices.columns,
        last_valid,
        panel_of(volume),
        panel_of(funding),
        last_gap,
        market if is_class and mom_params is None else None,
    )
    opts = {
        "lag": lag,
        "leverage": leverage,
        "init_cash": float(init_cash),
        "fees": costs.fee_rate,
        "slippage": costs.slippage_rate,
        "impact": float(impact),
        "longs_pay_funding": bool(longs_pay_funding),
        "cash_rate": float((1.0 + cash_yield) ** (1.0 / 365.0) - 1.0),
        "margin": leverage > 1.0 if margin is None else bool(margin),
        "min_units": float(min_units),
        "min_order": float(min_order),
        "engine": {
            "lag": lag,
            "fees_bps": fees_bps,
            "slippage_bps": slippage_bps,
            "impact": impact,
            "volume": volume,
            "funding": funding,
            "longs_pay_funding": longs_pay_funding,
            "cash_yield": cash_yield,
            "leverage": leverage,
            "margin": margin,
            "min_units": min_units,
            "min_order": min_order,
            "init_cash": init_cash,
            "benchmark": benchmark,
        },
    }
    serial = isinstance(scheduler, str) and scheduler == "serial"
    workers = 1 if serial else max(1, n_workers)
    if chunk_size is None and serial and mom_params is not None:
        size = len(configs)  # one parallel numba call balances the threads best
    else:
        size = chunk_size or max(1, math.ceil(len(configs) / (4 * workers)))
    bounds = range(0, len(configs), size)
    tasks: list[tuple[Callable[..., tuple[FloatArray, FloatArray]], Any]]
    if mom_params is not None:
        tasks = [(_run_momentum_chunk, mom_params[i : i + size]) for i in bounds]
    elif is_class:
        assert isinstance(strategy, type)
        tasks = [(partial(_run_class_chunk, cls=strategy), configs[i : i + size]) for i in bounds]
    else:
        tasks = [(partial(_run_chunk, strategy=strategy), configs[i : i + size]) for i in bounds]
    if serial:
        parts = [fn(panel, chunk, opts) for fn, chunk in tasks]
    else:
        client, close_client = _connect(scheduler, n_workers, processes)
        try:
            shared = client.scatter(panel, broadcast=True)
            futures = [client.submit(fn, shared, chunk, opts, pure=False) for fn, chunk in tasks]
            parts = client.gather(futures)
        finally:
            close_client()
    # one memory layout whatever the path, so metrics sum in the same order (bit-identical)
    returns_a = np.ascontiguousarray(np.hstack([p[0] for p in parts]))
    extras = np.vstack([p[1] for p in parts])
    returns = pd.DataFrame(
        returns_a, index=prices.index, columns=pd.RangeIndex(len(configs), name="config")
    )
    bench = None
    if benchmark is not None and benchmark in prices.columns:
        bench = prices[benchmark].pct_change(fill_method=None).to_numpy()
    first = extras[:, EXTRA_NAMES.index("warmup_days")].astype(np.int64)
    metrics = active_metrics(returns_a, first, benchmark_returns=bench, index=returns.columns)
    for c, name in enumerate(EXTRA_NAMES):
        metrics[name] = extras[:, c]
    params = pd.DataFrame(configs, index=metrics.index)
    metrics = pd.concat([params, metrics], axis=1)
    per_period = np.asarray(sharpe_ratio(returns_a, periods_per_year=1))
    best = int(np.nanargmax(np.where(np.isnan(per_period), -np.inf, per_period)))
    dsr = deflated_sharpe_ratio(returns_a[:, best], per_period)
    pbo: PBOResult | None = None
    if len(configs) >= 2 and len(prices.index) >= 2 * pbo_splits:
        pbo = probability_of_backtest_overfitting(returns_a, n_splits=pbo_splits)
    out = SweepResult(
        metrics=metrics,
        returns=returns,
        params=configs,
        deflated_sharpe=dsr,
        pbo=pbo,
        label=label,
        info={
            "chunks": len(tasks),
            "chunk_size": size,
            "fused": mom_params is not None,
            **{k: v for k, v in opts.items() if k != "engine"},
        },
    )
    splitter = _splitter(validation, train_days, test_days, lag)
    if splitter is not None:
        n = len(prices.index)
        fits = (isinstance(splitter, CombinatorialPurgedCV) and n >= 2 * splitter.n_groups) or (
            isinstance(splitter, WalkForward) and n > splitter.train + splitter.gap
        )
        if fits:
            out.validation = walk_forward(out, splitter)
    return out


def _splitter(
    validation: Any, train_days: int, test_days: int, lag: int
) -> WalkForward | CombinatorialPurgedCV | None:
    if isinstance(validation, WalkForward | CombinatorialPurgedCV):
        return validation
    if validation == "none" or validation is None:
        return None
    if validation in ("rolling", "anchored"):
        return WalkForward(
            train_days, test_days, anchored=validation == "anchored", gap=max(lag, 0)
        )
    if validation == "cpcv":
        return CombinatorialPurgedCV(purge=max(lag, 5))
    raise StrategyError(
        f"validation must be 'rolling', 'anchored', 'cpcv' or 'none', not {validation!r}."
    )


@dataclass
class WalkForwardResult:
    """Out-of-sample record of walk-forward selection (or of purged CV).

    Attributes
    ----------
    folds : DataFrame
        Per fold: ``train_start, train_end, test_start, test_end, config``
        (chosen on the training window), ``train_metric, test_metric``.
    returns : Series
        Stitched out-of-sample daily returns of the chosen configurations
        (walk-forward; for combinatorial CV, whose test sets overlap, the
        returns of every split one after the other).
    metrics : Series
        Metrics of the stitched out-of-sample returns.
    in_sample_sharpe, out_of_sample_sharpe : float
        Mean annualised Sharpe of the chosen configurations on their training
        windows, and the Sharpe out of sample (stitched returns for
        walk-forward; the mean over splits for combinatorial CV).
    method : str
        ``rolling``, ``anchored`` or ``cpcv``.
    """

    folds: pd.DataFrame
    returns: pd.Series
    metrics: pd.Series
    in_sample_sharpe: float = float("nan")
    out_of_sample_sharpe: float = float("nan")
    method: str = "rolling"


def walk_forward(
    sweep: SweepResult,
    splitter: WalkForward | CombinatorialPurgedCV,
    *,
    by: Callable[[FloatArray], Any] = sharpe_ratio,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> WalkForwardResult:
    """Choose the best configuration on each training window, evaluate it on the next test window.

    Works on the sweep's daily returns: every strategy is causal and the
    engine runs continuously, so a configuration's return on a test day is
    the same whether or not earlier days were simulated.

    Parameters
    ----------
    sweep
        A :class:`SweepResult`.
    splitter
        A :class:`~altseason.backtest.WalkForward` (anchored or rolling) or a
        :class:`~altseason.backtest.CombinatorialPurgedCV`.
    by
        Selection metric of a ``(n_periods, n_configs)`` returns array (higher is better).
    """
    r = sweep.returns.to_numpy()
    idx = sweep.returns.index
    rows = []
    oos = []
    for train, test in splitter.split(len(idx)):
        score = np.asarray(by(r[train]), dtype=float)
        best = int(np.nanargmax(np.where(np.isnan(score), -np.inf, score)))
        test_score = float(np.asarray(by(r[test][:, [best]]), dtype=float).reshape(-1)[0])
        rows.append(
            {
                "train_start": idx[train[0]],
                "train_end": idx[train[-1]],
                "test_start": idx[test[0]],
                "test_end": idx[test[-1]],
                "config": best,
                "train_metric": float(score[best]),
                "test_metric": test_score,
            }
        )
        oos.append(pd.Series(r[test, best], index=idx[test]))
    if not rows:
        raise StrategyError(
            f"no walk-forward fold fits in {len(idx)} periods; shorten train/test windows."
        )
    returns = pd.concat(oos).rename("returns")
    metrics = performance_metrics(returns.to_numpy(), periods_per_year=periods_per_year).iloc[0]
    folds = pd.DataFrame(rows)
    sr = partial(sharpe_ratio, periods_per_year=periods_per_year)
    is_sr = float(np.nanmean([float(np.asarray(sr(r[tr][:, [c]])).reshape(-1)[0])
                              for (tr, _), c in zip(splitter.split(len(idx)), folds["config"], strict=True)]))  # fmt: skip
    if isinstance(splitter, CombinatorialPurgedCV):
        method = "cpcv"
        oos_sr = float(np.nanmean([float(np.asarray(sr(r[te][:, [c]])).reshape(-1)[0])
                                   for (_, te), c in zip(splitter.split(len(idx)), folds["config"], strict=True)]))  # fmt: skip
    else:
        method = "anchored" if splitter.anchored else "rolling"
        oos_sr = float(metrics["sharpe"])
    return WalkForwardResult(
        folds=folds,
        returns=returns,
        metrics=metrics,
        in_sample_sharpe=is_sr,
        out_of_sample_sharpe=oos_sr,
        method=method,
    )
