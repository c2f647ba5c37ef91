"""Overfitting diagnostics for parameter sweeps.

* :func:`deflated_sharpe_ratio` (Bailey & López de Prado, 2014, "The Deflated
  Sharpe Ratio: Correcting for Selection Bias, Backtest Overfitting and
  Non-Normality"): the probability that the selected strategy's true Sharpe
  ratio is above the best Sharpe ratio expected from ``N`` unskilled trials.
* :func:`probability_of_backtest_overfitting` (Bailey, Borwein, López de
  Prado & Zhu, 2015, "The Probability of Backtest Overfitting"), with
  combinatorially symmetric cross-validation (CSCV): the share of IS/OOS
  splits in which the configuration that is best in-sample ranks below the
  median out-of-sample.

Sharpe ratios here are **per period** (not annualised), as in the papers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit, prange

from altseason._typing import ArrayLike, FloatArray
from altseason.exceptions import StrategyError

__all__ = [
    "PBOResult",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
]

EULER_GAMMA = 0.5772156649015329


def _clean(returns: ArrayLike) -> FloatArray:
    r = np.asarray(returns, dtype=float).reshape(-1)
    return r[~np.isnan(r)]


def probabilistic_sharpe_ratio(returns: ArrayLike, benchmark_sharpe: float = 0.0) -> float:
    """Probability that the true per-period Sharpe ratio exceeds ``benchmark_sharpe``.

    ``PSR = Phi((SR - SR*) sqrt(T - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2))`` with
    the sample skewness ``g3`` and (non-excess) kurtosis ``g4`` of the returns.
    NaN returns are dropped; NaN with fewer than 3 returns or zero dispersion.
    """
    from scipy import stats

    r = _clean(returns)
    t = r.size
    if t < 3:
        return float("nan")
    sd = r.std(ddof=1)
    if not sd > 0:
        return float("nan")
    sr = r.mean() / sd
    g3 = float(stats.skew(r, bias=True))
    g4 = float(stats.kurtosis(r, fisher=False, bias=True))
    denom = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr
    if not denom > 0:
        return float("nan")
    return float(stats.norm.cdf((sr - benchmark_sharpe) * math.sqrt(t - 1) / math.sqrt(denom)))


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum per-period Sharpe ratio of ``n_trials`` unskilled strategies.

    ``E[max SR] = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))``,
    ``gamma`` the Euler-Mascheroni constant, ``V`` the variance of the trials'
    Sharpe ratios. 0 for a single trial.
    """
    if n_trials < 2 or not sharpe_variance > 0:
        return 0.0
    from scipy import stats

    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe_ratio(
    returns: ArrayLike,
    trial_sharpes: Sequence[float] | FloatArray | None = None,
    *,
    n_trials: int | None = None,
    sharpe_variance: float | None = None,
) -> float:
    """Deflated Sharpe ratio of the selected strategy, a probability in [0, 1].

    Parameters
    ----------
    returns
        Per-period returns of the selected (usually the best) configuration.
    trial_sharpes
        Per-period Sharpe ratios of every configuration tried (including the
        selected one); gives ``N`` and the variance ``V``.
    n_trials, sharpe_variance
        Give ``N`` and ``V`` directly instead (e.g. after clustering trials).

    Returns
    -------
    float
        ``PSR(SR0)`` with ``SR0 = expected_max_sharpe(N, V)``. Above 0.95 the
        Sharpe ratio is unlikely to be a product of selection alone.
    """
    if trial_sharpes is not None:
        srs = _clean(np.asarray(trial_sharpes, dtype=float))
        n = srs.size if n_trials is None else n_trials
        var = float(srs.var(ddof=1)) if srs.size > 1 else 0.0
        if sharpe_variance is not None:
            var = sharpe_variance
    else:
        if n_trials is None or sharpe_variance is None:
            raise StrategyError("give trial_sharpes, or both n_trials and sharpe_variance.")
        n, var = n_trials, sharpe_variance
    return probabilistic_sharpe_ratio(returns, expected_max_sharpe(int(n), var))


@dataclass(frozen=True)
class PBOResult:
    """Outcome of CSCV.

    Attributes
    ----------
    pbo : float
        Probability of backtest overfitting: share of splits whose in-sample
        best configuration has a logit <= 0 out of sample (rank at or below the median).
    logits : ndarray
        ``log(w / (1 - w))`` per split, ``w`` the relative OOS rank of the IS best.
    is_best : ndarray
        Index of the in-sample best configuration per split.
    n_splits : int
        Number of blocks ``S`` the sample was cut into.
    """

    pbo: float
    logits: FloatArray
    is_best: np.ndarray
    n_splits: int

    @property
    def n_combinations(self) -> int:
        """Number of IS/OOS combinations, ``C(S, S/2)``."""
        return int(self.logits.size)


@njit(cache=True, inline="always")
def _sharpe_nb(total: float, sq: float, count: float, inv_count: float, inv_dof: float) -> float:
    # per-period Sharpe ratio of a block; +/-inf (or 0) for a zero deviation
    mean = total * inv_count
    sd = math.sqrt(max((sq - count * mean * mean) * inv_dof, 0.0))
    ratio = mean / sd if sd > 0.0 else 0.0
    signed = np.inf if mean > 0.0 else (-np.inf if mean < 0.0 else 0.0)
    return ratio if sd > 0.0 else signed


@njit(cache=True, parallel=True)
def _cscv_nb(
    is_sum: FloatArray, is_sq: FloatArray, tot_sum: FloatArray, tot_sq: FloatArray, cnt: float
) -> tuple[np.ndarray, FloatArray]:
    """Per combination: the in-sample best configuration and its out-of-sample rank.

    The out-of-sample sums are the totals minus the in-sample ones (the two
    halves partition the blocks). Rank 1..N, ties averaged; the first of
    equal in-sample maxima is the best (as ``argmax``).
    """
    n_comb, n = is_sum.shape
    best = np.empty(n_comb, dtype=np.int64)
    rank = np.empty(n_comb)
    inv_c = 1.0 / cnt
    inv_d = 1.0 / (cnt - 1.0)
    n_chunks = min(n_comb, 64)
    for ch in prange(n_chunks):
        isr = np.empty(n)
        oos = np.empty(n)
        for c in range(ch * n_comb // n_chunks, (ch + 1) * n_comb // n_chunks):
            for j in range(n):
                a = is_sum[c, j]
                q = is_sq[c, j]
                isr[j] = _sharpe_nb(a, q, cnt, inv_c, inv_d)
                oos[j] = _sharpe_nb(tot_sum[j] - a, tot_sq[j] - q, cnt, inv_c, inv_d)
            b = 0
            for j in range(1, n):
                if isr[j] > isr[b]:
                    b = j
            ref = oos[b]
            below = 0.0
            equal = 0.0
            for j in range(n):
                below += 1.0 if oos[j] < ref else 0.0
                equal += 1.0 if oos[j] == ref else 0.0
            best[c] = b
            rank[c] = below + 0.5 * (equal - 1.0) + 1.0
    return best, rank


def probability_of_backtest_overfitting(
    returns: pd.DataFrame | FloatArray, n_splits: int = 16
) -> PBOResult:
    """Probability of backtest overfitting by CSCV, with the Sharpe ratio as the metric.

    Parameters
    ----------
    returns
        ``(n_periods, n_configs)`` per-period returns of every configuration
        (NaN counts as 0). The first ``n_periods mod n_splits`` rows are dropped
        so the ``n_splits`` contiguous blocks have equal length.
    n_splits
        Even number of blocks ``S`` (16 gives 12,870 combinations).

    Returns
    -------
    PBOResult
    """
    a = np.nan_to_num(np.asarray(returns, dtype=float), nan=0.0)
    if a.ndim != 2 or a.shape[1] < 2:
        raise StrategyError(
            "PBO needs a (n_periods, n_configs) matrix with at least 2 configurations."
        )
    if n_splits < 2 or n_splits % 2:
        raise StrategyError(f"n_splits must be an even number >= 2, got {n_splits}.")
    t, n = a.shape
    block = t // n_splits
    if block < 2:
        raise StrategyError(
            f"{t} periods are too few for {n_splits} blocks; use fewer splits or more data."
        )
    a = a[t - block * n_splits :].reshape(n_splits, block, n)
    sums = a.sum(axis=1)
    sqs = (a * a).sum(axis=1)
    combos = np.array(
        [c for c in itertools.combinations(range(n_splits), n_splits // 2)], dtype=np.int64
    )
    mask = np.zeros((len(combos), n_splits))
    mask[np.arange(len(combos))[:, None], combos] = 1.0
    cnt = block * n_splits / 2.0
    is_sum = mask @ sums
    is_sq = mask @ sqs
    best, rank = _cscv_nb(is_sum, is_sq, sums.sum(axis=0), sqs.sum(axis=0), cnt)
    w = rank / (n + 1.0)
    logits = np.log(w / (1.0 - w))
    return PBOResult(
        pbo=float(np.mean(logits <= 0.0)), logits=logits, is_best=best, n_splits=n_splits
    )
