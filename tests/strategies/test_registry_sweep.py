"""One strategy shape: the registry, typed parameters, and sweeps equal serial runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from altseason.backtest import run_sweep
from altseason.exceptions import StrategyError
from altseason.strategies import (
    MarketData,
    Momentum,
    make_strategy,
    parse_params,
    register_strategy,
    run_strategy,
    strategy_class,
    strategy_names,
    strategy_params,
)

GRIDS = {
    "momentum": {"lookback": [20, 45], "k": [3, 5]},
    "btc_hold": {},
    "btc_eth_50_50": {"rebalance_days": [7, 30]},
    "cap_weighted_market": {"top_n": [5, 10]},
    "equal_weight_small_caps": {"tier": ["mid"], "rebalance_days": [14, 30]},
    "rotation": {"sleeves": ["tiers", "sectors"], "alt_tier": ["mid"]},
    "hedged_short": {"hedge": ["call", "collar"], "tenor_days": [14]},
}


def test_registry_lists_every_builtin_with_typed_parameters() -> None:
    assert set(GRIDS) <= set(strategy_names())
    assert strategy_class("momentum") is Momentum
    params = {p.name: p for p in strategy_params("hedged_short")}
    assert params["hedge"].choices == ("call", "collar", "none")
    assert params["tenor_days"].type == "int" and params["tenor_days"].default == 30
    assert parse_params("rotation", ["sleeves=sectors", "band=0.1", "n_sectors=4"]) == {
        "sleeves": "sectors",
        "band": 0.1,
        "n_sectors": 4,
    }
    with pytest.raises(StrategyError, match=r"unknown strategy 'nosuch'.*rotation"):
        strategy_class("nosuch")
    with pytest.raises(StrategyError, match=r"unknown parameter 'lookbak'.*lookback \(int"):
        parse_params("momentum", ["lookbak=3"])
    with pytest.raises(StrategyError, match=r"bad value 'x' for parameter 'k'.*expected int"):
        parse_params("momentum", ["k=x"])
    with pytest.raises(StrategyError, match=r"'hedge'.*one of call, collar, none"):
        parse_params("hedged_short", ["hedge=puts"])
    with pytest.raises(StrategyError, match="expected key=value"):
        parse_params("momentum", ["k"])


@pytest.mark.parametrize("name", list(GRIDS))
def test_sweep_of_every_builtin_equals_its_serial_runs(demo_data: MarketData, name: str) -> None:
    cls = strategy_class(name)
    kw = {"fees_bps": 10.0, "slippage_bps": 3.0}
    sweep = run_sweep(cls, GRIDS[name], demo_data, scheduler="serial", pbo_splits=4, **kw)
    assert len(sweep.params) == max(1, int(np.prod([len(v) for v in GRIDS[name].values()])))
    for c, params in enumerate(sweep.params):
        one = run_strategy(make_strategy(cls, params), demo_data, **kw)
        np.testing.assert_allclose(
            sweep.returns[c].to_numpy(), one.returns.to_numpy(), rtol=1e-12, atol=1e-15
        )
        for metric in ("sharpe", "cagr", "max_drawdown", "costs_paid", "turnover", "warmup_days"):
            assert sweep.metrics.loc[c, metric] == pytest.approx(
                one.metrics[metric], rel=1e-10, abs=1e-14, nan_ok=True
            ), metric


def test_rotation_and_hedged_short_sweep_on_dask(demo_data: MarketData) -> None:
    kw = {"fees_bps": 10.0, "n_workers": 1, "processes": False, "pbo_splits": 4}
    for name in ("rotation", "hedged_short"):
        cls = strategy_class(name)
        local = run_sweep(cls, GRIDS[name], demo_data, scheduler=None, **kw)
        serial = run_sweep(cls, GRIDS[name], demo_data, scheduler="serial", **kw)
        pd.testing.assert_frame_equal(local.returns, serial.returns)


def test_a_user_strategy_registers_and_sweeps(demo_data: MarketData) -> None:
    @dataclass
    class BtcFraction:
        fraction: float = 0.5
        name: str = "btc_fraction_test"

        def weights(self, data: MarketData) -> pd.DataFrame:
            w = pd.DataFrame(np.nan, index=data.close.index, columns=data.close.columns)
            w.iloc[0] = 0.0
            w.iloc[0, list(data.close.columns).index("BTC")] = self.fraction
            return w

    register_strategy(BtcFraction)
    assert "btc_fraction_test" in strategy_names()
    assert parse_params("btc_fraction_test", ["fraction=0.25"]) == {"fraction": 0.25}
    sweep = run_sweep(BtcFraction, {"fraction": [0.25, 0.5]}, demo_data, scheduler="serial")
    for c, frac in enumerate((0.25, 0.5)):
        one = run_strategy(BtcFraction(fraction=frac), demo_data)
        np.testing.assert_allclose(sweep.returns[c], one.returns, rtol=1e-12, atol=1e-15)
        assert one.exposures["long"].iloc[1] == pytest.approx(frac, rel=0.1)
    with pytest.raises(StrategyError, match="not a strategy"):
        register_strategy(int)


def test_fused_momentum_kernel_is_bit_identical_to_the_class_path(demo_data: MarketData) -> None:
    grid = {"lookback": [10, 30], "k": [3, 8], "rebalance": [1, 7]}
    fused = run_sweep(Momentum, grid, demo_data, scheduler="serial", fees_bps=10.0)
    generic = run_sweep(Momentum, grid, demo_data, scheduler="serial", fees_bps=10.0, fused=False)
    assert fused.info["fused"] and not generic.info["fused"]
    assert fused.returns.equals(generic.returns)
    assert fused.metrics.equals(generic.metrics)
