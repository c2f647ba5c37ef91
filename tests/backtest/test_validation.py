"""Out-of-sample checks of sweeps: walk-forward (default) and combinatorial purged CV."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from altseason.backtest import CombinatorialPurgedCV, WalkForward, run_sweep, sharpe_ratio
from altseason.strategies import Momentum


def _prices(seed: int = 0, n: int = 600, k: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=n, freq="D")
    drift = rng.normal(0, 0.001, k)
    return pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(drift, 0.03, size=(n, k)), axis=0)),
        index=idx,
        columns=["BTC"] + [f"A{i}" for i in range(k - 1)],
    )


def test_cpcv_splits_are_purged_and_cover_every_group() -> None:
    cv = CombinatorialPurgedCV(n_groups=6, n_test_groups=2, purge=5)
    splits = list(cv.split(120))
    assert len(splits) == math.comb(6, 2) == cv.n_splits(120)
    seen = np.zeros(120, dtype=int)
    for train, test in splits:
        assert not set(train) & set(test)
        # no training row within `purge` rows of a test row
        dist = np.abs(train[:, None] - test[None, :]).min()
        assert dist > 5
        seen[test] += 1
    assert (seen == 5).all()  # each group is tested in C(5, 1) splits


def test_sweep_reports_in_and_out_of_sample_sharpe_by_default() -> None:
    prices = _prices()
    grid = {"lookback": [10, 30, 60], "k": [2, 4]}
    res = run_sweep(Momentum, grid, prices, scheduler="serial", train_days=200, test_days=100)
    v = res.validation
    assert v is not None and v.method == "rolling"
    wf = WalkForward(200, 100, gap=1)
    assert len(v.folds) == wf.n_splits(len(prices))
    r = res.returns.to_numpy()
    for (train, _test), (_, fold) in zip(wf.split(len(prices)), v.folds.iterrows(), strict=True):
        scores = np.asarray(sharpe_ratio(r[train]))
        assert fold["config"] == int(np.nanargmax(scores))
    assert v.in_sample_sharpe == pytest.approx(v.folds["train_metric"].mean(), rel=1e-9)
    stitched = np.concatenate([r[te, c] for (_, te), c in zip(wf.split(len(prices)), v.folds["config"], strict=True)])  # fmt: skip
    assert v.out_of_sample_sharpe == pytest.approx(float(sharpe_ratio(stitched)), rel=1e-9)
    s = res.summary()
    assert s["validation"] == "rolling" and s["out_of_sample_sharpe"] == v.out_of_sample_sharpe
    cv = run_sweep(Momentum, grid, prices, scheduler="serial", validation="cpcv")
    assert cv.validation is not None and cv.validation.method == "cpcv"
    assert len(cv.validation.folds) == 15
    assert cv.validation.out_of_sample_sharpe == pytest.approx(
        cv.validation.folds["test_metric"].mean(), rel=1e-9
    )
    none = run_sweep(Momentum, grid, prices, scheduler="serial", validation="none")
    assert none.validation is None
