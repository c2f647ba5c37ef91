"""altseason.backtest: numba engine, costs, option hedges, metrics, splitters, sweeps."""

from altseason.backtest._costs import CostModel, slippage_rate
from altseason.backtest._metrics import (
    annual_volatility,
    beta,
    cagr,
    calmar_ratio,
    downside_risk,
    drawdown_series,
    exposure_time,
    hit_rate,
    max_drawdown,
    max_drawdown_duration,
    sharpe_ratio,
    sortino_ratio,
)
from altseason.backtest._options import OptionLeg
from altseason.backtest._overfitting import (
    PBOResult,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)
from altseason.backtest._result import BacktestResult, PositionRecords, performance_metrics
from altseason.backtest._runner import run_backtest
from altseason.backtest._splitters import (
    CombinatorialPurgedCV,
    WalkForward,
    block_bootstrap_indices,
    bootstrap_metric,
    stationary_bootstrap_indices,
)
from altseason.backtest._sweep import (
    SweepResult,
    WalkForwardResult,
    expand_grid,
    run_sweep,
    walk_forward,
)

__all__ = [
    "BacktestResult",
    "CombinatorialPurgedCV",
    "CostModel",
    "OptionLeg",
    "PBOResult",
    "PositionRecords",
    "SweepResult",
    "WalkForward",
    "WalkForwardResult",
    "annual_volatility",
    "beta",
    "block_bootstrap_indices",
    "bootstrap_metric",
    "cagr",
    "calmar_ratio",
    "deflated_sharpe_ratio",
    "downside_risk",
    "drawdown_series",
    "expand_grid",
    "expected_max_sharpe",
    "exposure_time",
    "hit_rate",
    "max_drawdown",
    "max_drawdown_duration",
    "performance_metrics",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "run_backtest",
    "run_sweep",
    "sharpe_ratio",
    "slippage_rate",
    "sortino_ratio",
    "stationary_bootstrap_indices",
    "walk_forward",
]
