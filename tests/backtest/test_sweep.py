"""Sweeps (serial and on a Dask LocalCluster), DSR, PBO, walk-forward and bootstrap."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from altseason.backtest import (
    WalkForward,
    block_bootstrap_indices,
    bootstrap_metric,
    deflated_sharpe_ratio,
    expand_grid,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
    run_backtest,
    run_sweep,
    sharpe_ratio,
    stationary_bootstrap_indices,
    walk_forward,
)
from altseason.exceptions import StrategyError
from altseason.strategies import momentum_weights

GRID = {"lookback": [5, 20], "k": [2, 4], "rebalance": [1, 7]}


def _panel(seed: int = 0, n: int = 300, m: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 30 * np.exp(np.cumsum(rng.normal(0.0005, 0.04, (n, m)), axis=0))
    for j in range(2, m):
        close[: int(rng.integers(0, n // 2)), j] = np.nan
    cols = ["BTC", "ETH", *[f"T{j}" for j in range(2, m)]]
    return pd.DataFrame(close, index=pd.date_range("2021-01-01", periods=n), columns=cols)


@pytest.fixture(scope="module")
def serial_sweep():  # type: ignore[no-untyped-def]
    return run_sweep(
        momentum_weights, GRID, _panel(), fees_bps=10, scheduler="serial", chunk_size=3
    )


def test_expand_grid_order() -> None:
    assert expand_grid({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]
    assert expand_grid([{"a": 3}]) == [{"a": 3}]


def test_local_cluster_gives_the_serial_results(serial_sweep) -> None:  # type: ignore[no-untyped-def]
    dist = run_sweep(
        momentum_weights, GRID, _panel(), fees_bps=10, n_workers=2, processes=False, chunk_size=3
    )
    assert dist.info["chunks"] == 3
    pd.testing.assert_frame_equal(dist.returns, serial_sweep.returns)
    pd.testing.assert_frame_equal(dist.metrics, serial_sweep.metrics)
    assert dist.deflated_sharpe == serial_sweep.deflated_sharpe
    assert dist.pbo is not None and serial_sweep.pbo is not None
    assert dist.pbo.pbo == serial_sweep.pbo.pbo


def test_each_configuration_equals_a_single_backtest(serial_sweep) -> None:  # type: ignore[no-untyped-def]
    prices = _panel()
    assert len(serial_sweep.params) == 8
    for cid in (0, 5, 7):
        params = serial_sweep.params[cid]
        single = run_backtest(prices, momentum_weights(prices, **params), fees_bps=10)
        np.testing.assert_array_equal(
            serial_sweep.returns[cid].to_numpy(), single.returns.to_numpy()
        )
        row = serial_sweep.metrics.loc[cid]
        for key in ("sharpe", "cagr", "max_drawdown", "beta_btc", "turnover", "costs_paid"):
            assert row[key] == pytest.approx(single.metrics[key], rel=1e-12, nan_ok=True)
        assert {k: row[k] for k in params} == params
    top = serial_sweep.top(3)
    assert top["sharpe"].is_monotonic_decreasing
    assert serial_sweep.best() == serial_sweep.params[int(top.index[0])]
    summary = serial_sweep.summary()
    assert 0 <= summary["deflated_sharpe"] <= 1 and 0 <= summary["pbo"] <= 1


def test_dsr_is_psr_against_the_expected_maximum(serial_sweep) -> None:  # type: ignore[no-untyped-def]
    r = serial_sweep.returns.to_numpy()
    srs = r.mean(axis=0) / r.std(axis=0, ddof=1)
    best = int(np.argmax(srs))
    x = r[:, best]
    sr = srs[best]
    t = len(x)
    emax = math.sqrt(srs.var(ddof=1)) * (
        (1 - np.euler_gamma) * stats.norm.ppf(1 - 1 / len(srs))
        + np.euler_gamma * stats.norm.ppf(1 - 1 / (len(srs) * math.e))
    )
    z = (
        (sr - emax)
        * math.sqrt(t - 1)
        / math.sqrt(1 - stats.skew(x) * sr + (stats.kurtosis(x, fisher=False) - 1) / 4 * sr**2)
    )
    assert serial_sweep.deflated_sharpe == pytest.approx(stats.norm.cdf(z), rel=1e-9)


def test_expected_max_sharpe_matches_simulation() -> None:
    rng = np.random.default_rng(3)
    n_trials, sd = 50, 0.05
    sim = rng.normal(0, sd, (20_000, n_trials)).max(axis=1).mean()
    assert expected_max_sharpe(n_trials, sd**2) == pytest.approx(sim, rel=0.03)
    assert expected_max_sharpe(1, 0.01) == 0.0


def test_deflation_grows_with_the_number_of_trials() -> None:
    rng = np.random.default_rng(4)
    r = rng.normal(0.002, 0.02, 1000)
    psr = probabilistic_sharpe_ratio(r)
    assert deflated_sharpe_ratio(r, n_trials=1, sharpe_variance=0.001) == pytest.approx(psr)
    few = deflated_sharpe_ratio(r, n_trials=10, sharpe_variance=0.001)
    many = deflated_sharpe_ratio(r, n_trials=1000, sharpe_variance=0.001)
    assert psr > few > many


def _pbo_loop(r: np.ndarray, s: int) -> float:
    t, n = r.shape
    blocks = np.array_split(r[t - (t // s) * s :], s)
    below = 0
    combos = list(itertools.combinations(range(s), s // 2))
    for combo in combos:
        is_rows = np.vstack([blocks[i] for i in combo])
        oos_rows = np.vstack([blocks[i] for i in range(s) if i not in combo])
        is_sr = is_rows.mean(0) / is_rows.std(0, ddof=1)
        oos_sr = oos_rows.mean(0) / oos_rows.std(0, ddof=1)
        best = int(np.argmax(is_sr))
        rank = stats.rankdata(oos_sr)[best]
        w = rank / (n + 1)
        below += math.log(w / (1 - w)) <= 0
    return below / len(combos)


@pytest.mark.parametrize("seed", [0, 1])
def test_pbo_matches_a_plain_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = rng.normal(0, 0.01, (203, 7))
    r[:, 2] += 0.001 * seed
    res = probability_of_backtest_overfitting(r, n_splits=8)
    assert res.n_combinations == 70
    assert res.pbo == pytest.approx(_pbo_loop(r, 8))


def test_pbo_separates_skill_from_noise() -> None:
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 0.01, (1600, 20))
    assert 0.2 < probability_of_backtest_overfitting(noise).pbo < 0.8
    skill = noise.copy()
    skill[:, 0] += 0.004
    assert probability_of_backtest_overfitting(skill).pbo < 0.05


def test_walk_forward_windows() -> None:
    rolling = list(WalkForward(train=4, test=3).split(12))
    assert [(tr.tolist(), te.tolist()) for tr, te in rolling] == [
        ([0, 1, 2, 3], [4, 5, 6]),
        ([3, 4, 5, 6], [7, 8, 9]),
        ([6, 7, 8, 9], [10, 11]),
    ]
    anchored = list(WalkForward(train=4, test=3, anchored=True, gap=1).split(12))
    assert [(tr[0], tr[-1], te.tolist()) for tr, te in anchored] == [
        (0, 3, [5, 6, 7]),
        (0, 6, [8, 9, 10]),
        (0, 9, [11]),
    ]


def test_walk_forward_selection(serial_sweep) -> None:  # type: ignore[no-untyped-def]
    wf = walk_forward(serial_sweep, WalkForward(train=100, test=50))
    assert len(wf.folds) == 4 and len(wf.returns) == 200
    for _, fold in wf.folds.iterrows():
        train = serial_sweep.returns.loc[fold["train_start"] : fold["train_end"]]
        assert fold["config"] == int(np.nanargmax(sharpe_ratio(train.to_numpy())))
        test = serial_sweep.returns.loc[fold["test_start"] : fold["test_end"], fold["config"]]
        pd.testing.assert_series_equal(
            wf.returns.loc[test.index], test.rename("returns"), check_names=False, check_freq=False
        )


def test_bootstrap_indices_are_wrapped_blocks() -> None:
    idx = stationary_bootstrap_indices(500, 200, mean_block=10, seed=1)
    assert idx.shape == (200, 500) and idx.min() >= 0 and idx.max() < 500
    steps = (np.diff(idx, axis=1) % 500) == 1
    mean_len = steps.size / max((~steps).sum(), 1)
    assert 8.5 < mean_len < 11.5
    blocks = block_bootstrap_indices(103, 5, block=10, seed=2)
    assert blocks.shape == (5, 103)
    for row in blocks:
        for start in range(0, 100, 10):
            seg = row[start : start + 10]
            assert np.all(np.diff(seg) % 103 == 1)


def test_bootstrap_metric_centres_on_the_sample_value() -> None:
    rng = np.random.default_rng(6)
    r = rng.normal(0.001, 0.02, 2000)
    dist = bootstrap_metric(r, sharpe_ratio, n_samples=400, block=20, seed=0)
    assert dist.shape == (400,)
    lo, hi = np.quantile(dist, [0.05, 0.95])
    assert lo < sharpe_ratio(r) < hi


def _gappy_panel() -> pd.DataFrame:
    prices = _panel(seed=7, n=260, m=30)
    prices.iloc[100:104, 5] = np.nan  # a gap
    prices.iloc[200:, 6] = np.nan  # a delisting
    prices.iloc[:, 8] = prices.iloc[:, 9]  # exact ties
    return prices


@pytest.mark.parametrize(
    ("lag", "leverage", "fees"), [(1, 1.0, 10.0), (0, 1.0, 0.0), (3, 2.0, 25.0)]
)
def test_fused_momentum_path_equals_the_generic_path(
    lag: int, leverage: float, fees: float
) -> None:
    prices = _gappy_panel()
    grid = {"lookback": [3, 40], "k": [1, 4, 30], "rebalance": [1, 5, 300]}
    kwargs = {"lag": lag, "leverage": leverage, "fees_bps": fees, "scheduler": "serial"}
    fused = run_sweep(momentum_weights, grid, prices, chunk_size=5, **kwargs)  # type: ignore[arg-type]
    generic = run_sweep(momentum_weights, grid, prices, fused=False, **kwargs)  # type: ignore[arg-type]
    assert fused.info["fused"] and not generic.info["fused"]
    pd.testing.assert_frame_equal(fused.returns, generic.returns)
    pd.testing.assert_frame_equal(fused.metrics, generic.metrics)
    assert fused.deflated_sharpe == generic.deflated_sharpe
    # and each configuration is the single backtest of its weights
    cid = 7
    single = run_backtest(
        prices,
        momentum_weights(prices, **fused.params[cid]),
        lag=lag,
        leverage=leverage,
        fees_bps=fees,
    )
    np.testing.assert_array_equal(fused.returns[cid].to_numpy(), single.returns.to_numpy())


def test_fused_path_defaults_fallbacks_and_errors() -> None:
    prices = _gappy_panel()
    # missing keys take momentum_weights' defaults
    part = run_sweep(momentum_weights, [{"k": 3}, {}], prices, scheduler="serial")
    full = run_sweep(
        momentum_weights,
        [{"lookback": 30, "k": 3, "rebalance": 7}, {"lookback": 30, "k": 10, "rebalance": 7}],
        prices,
        scheduler="serial",
        fused=False,
    )
    assert part.info["fused"]
    pd.testing.assert_frame_equal(part.returns, full.returns)
    # an unknown parameter goes to the generic path, which reports it
    with pytest.raises(TypeError, match="unexpected keyword"):
        run_sweep(momentum_weights, [{"k": 3, "speed": 2}], prices, scheduler="serial")
    with pytest.raises(StrategyError, match="lookback >= 1"):
        run_sweep(momentum_weights, {"lookback": [0, 5]}, prices, scheduler="serial")
    # leverage below the weights' gross exposure: the generic path's validation error
    with pytest.raises(StrategyError, match="exceeds leverage"):
        run_sweep(momentum_weights, {"k": [2]}, prices, leverage=0.5, scheduler="serial")
