"""Walk-forward splits and bootstrap resampling of returns for robustness checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason._typing import ArrayLike, FloatArray
from altseason.exceptions import StrategyError

__all__ = [
    "CombinatorialPurgedCV",
    "WalkForward",
    "block_bootstrap_indices",
    "bootstrap_metric",
    "stationary_bootstrap_indices",
]


@dataclass(frozen=True)
class WalkForward:
    """Walk-forward train/test windows over ``n`` consecutive periods.

    Parameters
    ----------
    train
        Training window length in periods (the first window's length when anchored).
    test
        Test window length in periods; test windows follow each other without gaps.
    anchored
        True: every training window starts at period 0 (expanding); False:
        rolling windows of fixed length ``train``.
    gap
        Periods skipped between the end of training and the start of testing
        (to absorb the trading lag or an indicator's look-back).
    """

    train: int
    test: int
    anchored: bool = False
    gap: int = 0

    def __post_init__(self) -> None:
        if self.train < 1 or self.test < 1 or self.gap < 0:
            raise StrategyError("WalkForward needs train >= 1, test >= 1 and gap >= 0 periods.")

    def split(self, n: int | pd.Index) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_rows, test_rows)`` integer arrays; the last test window may be short."""
        total = len(n) if isinstance(n, pd.Index) else int(n)
        start_test = self.train + self.gap
        while start_test < total:
            end_test = min(start_test + self.test, total)
            end_train = start_test - self.gap
            begin = 0 if self.anchored else end_train - self.train
            yield np.arange(begin, end_train), np.arange(start_test, end_test)
            start_test = end_test

    def n_splits(self, n: int | pd.Index) -> int:
        """Number of folds over ``n`` periods."""
        return sum(1 for _ in self.split(n))


@dataclass(frozen=True)
class CombinatorialPurgedCV:
    """Combinatorial purged cross-validation (López de Prado, *Advances in
    Financial Machine Learning*, ch. 12).

    The ``n`` periods are cut into ``n_groups`` contiguous groups; every
    choice of ``n_test_groups`` groups is one split, tested on those groups
    and trained on the rest, minus ``purge`` periods on both sides of each
    test block (so no training day overlaps a test day's look-back or
    trading lag). ``C(n_groups, n_test_groups)`` splits in all.
    """

    n_groups: int = 6
    n_test_groups: int = 2
    purge: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.n_test_groups < self.n_groups or self.purge < 0:
            raise StrategyError(
                "CombinatorialPurgedCV needs 1 <= n_test_groups < n_groups and purge >= 0."
            )

    def split(self, n: int | pd.Index) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_rows, test_rows)`` for every combination of test groups."""
        import itertools

        total = len(n) if isinstance(n, pd.Index) else int(n)
        if total < 2 * self.n_groups:
            raise StrategyError(
                f"CombinatorialPurgedCV with {self.n_groups} groups needs at least "
                f"{2 * self.n_groups} periods, got {total}."
            )
        bounds = np.linspace(0, total, self.n_groups + 1).astype(int)
        for combo in itertools.combinations(range(self.n_groups), self.n_test_groups):
            test = np.zeros(total, dtype=bool)
            banned = np.zeros(total, dtype=bool)
            for g in combo:
                a, b = bounds[g], bounds[g + 1]
                test[a:b] = True
                banned[max(0, a - self.purge) : min(total, b + self.purge)] = True
            yield np.flatnonzero(~banned), np.flatnonzero(test)

    def n_splits(self, n: int | pd.Index) -> int:
        """Number of splits (``C(n_groups, n_test_groups)``)."""
        import math

        return math.comb(self.n_groups, self.n_test_groups)


def stationary_bootstrap_indices(
    n: int, n_samples: int, mean_block: float, seed: int | None = None
) -> np.ndarray:
    """Row indices of the stationary bootstrap (Politis & Romano, 1994).

    Blocks start at uniform random rows and have geometric lengths with mean
    ``mean_block``; the series wraps around. Returns ``(n_samples, n)`` int64.
    """
    if n < 1 or n_samples < 1 or not mean_block >= 1:
        raise StrategyError("stationary bootstrap needs n >= 1, n_samples >= 1, mean_block >= 1.")
    rng = np.random.default_rng(seed)
    new_block = rng.random((n_samples, n)) < 1.0 / mean_block
    new_block[:, 0] = True
    starts = rng.integers(0, n, size=(n_samples, n))
    # position within the current block: distance to the last block start
    pos = np.arange(n)[None, :].repeat(n_samples, axis=0)
    last_start = np.where(new_block, pos, 0)
    np.maximum.accumulate(last_start, axis=1, out=last_start)
    offset = pos - last_start
    start_val = np.take_along_axis(starts, last_start, axis=1)
    return (start_val + offset) % n


def block_bootstrap_indices(
    n: int, n_samples: int, block: int, seed: int | None = None
) -> np.ndarray:
    """Row indices of the circular moving-block bootstrap with fixed ``block`` length.

    Returns ``(n_samples, n)`` int64.
    """
    if n < 1 or n_samples < 1 or block < 1:
        raise StrategyError("block bootstrap needs n >= 1, n_samples >= 1 and block >= 1.")
    rng = np.random.default_rng(seed)
    n_blocks = -(-n // block)
    starts = rng.integers(0, n, size=(n_samples, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]) % n
    return idx.reshape(n_samples, n_blocks * block)[:, :n]


def bootstrap_metric(
    returns: ArrayLike,
    metric: Callable[[FloatArray], Any],
    *,
    n_samples: int = 1000,
    block: float = 20.0,
    method: Literal["stationary", "block"] = "stationary",
    seed: int | None = 0,
) -> FloatArray:
    """Distribution of ``metric`` over bootstrap resamples of one return series.

    Parameters
    ----------
    returns
        ``(n_periods,)`` simple returns (NaN dropped first).
    metric
        A function of a ``(n_periods, n_samples)`` array returning one value per
        column, e.g. :func:`~altseason.backtest.sharpe_ratio`.
    n_samples, block, method, seed
        Number of resamples, mean (stationary) or fixed (block) block length
        in periods, the scheme, and the random seed.

    Returns
    -------
    ndarray
        ``(n_samples,)`` metric values, e.g. for a confidence interval with
        ``np.quantile(values, [0.05, 0.95])``.
    """
    r = np.asarray(returns, dtype=float).reshape(-1)
    r = r[~np.isnan(r)]
    if method == "stationary":
        idx = stationary_bootstrap_indices(r.size, n_samples, block, seed)
    elif method == "block":
        idx = block_bootstrap_indices(r.size, n_samples, int(block), seed)
    else:
        raise StrategyError(f"method must be 'stationary' or 'block', not {method!r}.")
    return np.asarray(metric(r[idx].T), dtype=float).reshape(-1)
