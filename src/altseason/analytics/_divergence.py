"""Divergence measures: who leads whom, and how broad it is.

Pure functions over panels (DESIGN.md, "Definitions"):

* **performance table**: 1d/7d/30d/90d, YTD, 1y and calendar-year returns,
  drawdown from the running peak and days since that peak;
* **relative strength** of an index to BTC (or ETH): the price ratio, its
  change over a window and its z-score;
* **altseason index**: share of the top-50 non-stable assets by market cap
  (BTC excluded: it is the benchmark) whose trailing 90-day return beats
  BTC's; >= 75% is altseason, <= 25% bitcoin season;
* **breadth**: share of the universe above its 50- and 200-day averages;
* **dispersion**: cross-sectional standard deviation of window returns, and
  the **sector spread**, best minus worst sector return in percentage points;
* **dominance**: BTC market cap / total non-stable market cap;
* a **regime** label with the reason (which measures drove it).

:class:`~altseason.analytics.DivergenceAnalysis` builds all of it from a store
or from panels.
All returns are simple and expressed as fractions (0.12 = +12%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from altseason._typing import DateLike
from altseason.analytics._quality import Quality
from altseason.analytics._returns import (
    calendar_year_returns,
    days_since_peak,
    drawdown,
    trailing_returns,
    window_return,
    ytd_return,
)
from altseason.exceptions import DataUnavailableError, ValidationError
from altseason.universe import (
    eligible,
    known_market_cap,
)

if TYPE_CHECKING:
    pass

__all__ = [
    "Regime",
    "altseason_index",
    "breadth",
    "dispersion",
    "divergence_regime",
    "dominance",
    "performance_table",
    "relative_strength",
    "relative_strength_table",
    "season_label",
    "sector_spread",
    "top_movers",
]

ALTSEASON_THRESHOLD = 0.75
BITCOIN_SEASON_THRESHOLD = 0.25
ROTATION_MARGIN = 0.10
"""``divergence_regime``: small caps must beat BTC by more than this for "rotation into alts"."""
ROTATION_BREADTH = 0.5
"""... with at least this share of the universe above its 50-day average."""
RISK_OFF_BREADTH = 0.3
""""broad risk-off": under this share above both the 50- and 200-day averages."""
RALLY_BREADTH = 0.7
""""broad rally": over this share above the 50-day average."""


# ----------------------------------------------------------------- measures
def performance_table(
    levels: pd.DataFrame,
    asof: DateLike | None = None,
    *,
    windows: Sequence[int] = (1, 7, 30, 90),
    years: int | None = None,
) -> pd.DataFrame:
    """Window, YTD, 1-year and calendar-year returns plus drawdown per series.

    Parameters
    ----------
    levels
        ``(n_dates, n_series)`` closes or index levels on a daily index.
    asof
        Evaluation date (default: the last date); later rows are ignored.
    windows
        Trailing windows in calendar days.
    years
        Keep only the last ``years`` complete calendar years (default all).

    Returns
    -------
    DataFrame
        One row per series; columns ``"1d", "7d", "30d", "90d", "ytd", "1y"``,
        one column per complete calendar year (``"2023"``...), ``"drawdown"``
        (close / running peak - 1) and ``"days_since_peak"``. Returns are
        fractions; NaN when a needed close is missing.
    """
    hist = _upto(levels, asof)
    out = pd.DataFrame(index=levels.columns)
    for w in windows:
        out[f"{w}d"] = window_return(hist, w)
    out["ytd"] = ytd_return(hist)
    out["1y"] = window_return(hist, 365)
    cal = calendar_year_returns(hist)
    if years is not None:
        cal = cal.iloc[-years:] if years > 0 else cal.iloc[:0]
    for y in cal.index:
        out[str(y)] = cal.loc[y]
    dd = drawdown(hist)
    out["drawdown"] = dd.iloc[-1]
    out["days_since_peak"] = days_since_peak(hist)
    out.index.name = "series"
    return out


def _upto(frame: pd.DataFrame, asof: DateLike | None) -> pd.DataFrame:
    if asof is None:
        return frame
    out = frame.loc[: pd.Timestamp(asof)]
    if out.empty:
        raise ValidationError(
            f"no data on or before {pd.Timestamp(asof).date()}; the data start "
            f"{frame.index[0].date() if len(frame) else 'nowhere'}."
        )
    return out


def relative_strength(
    levels: pd.DataFrame | pd.Series,
    benchmark: pd.Series,
    *,
    window: int = 90,
    z_window: int = 365,
) -> dict[str, pd.DataFrame]:
    """Relative strength of each series to a benchmark.

    Returns
    -------
    dict
        ``"ratio"``: level / benchmark (``(n_dates, n_series)``);
        ``"change"``: ratio_t / ratio_{t-window} - 1 (positive = outperforming);
        ``"zscore"``: (ratio - trailing mean) / trailing std over ``z_window``
        days (at least half the window observed).
    """
    frame = levels.to_frame() if isinstance(levels, pd.Series) else levels
    ratio = frame.div(benchmark.reindex(frame.index), axis=0)
    change = ratio / ratio.shift(window) - 1.0
    roll = ratio.rolling(z_window, min_periods=max(2, z_window // 2))
    z = (ratio - roll.mean()) / roll.std()
    return {"ratio": ratio, "change": change, "zscore": z}


def relative_strength_table(
    levels: pd.DataFrame,
    benchmarks: pd.DataFrame,
    asof: DateLike | None = None,
    *,
    window: int = 90,
    z_window: int = 365,
) -> pd.DataFrame:
    """Relative strength of each series vs each benchmark on ``asof``.

    Returns
    -------
    DataFrame
        One row per series; for each benchmark ``b`` the columns
        ``ratio_vs_b``, ``change_vs_b`` (over ``window`` days, fraction) and
        ``z_vs_b``.
    """
    hist = _upto(levels, asof)
    bench = _upto(benchmarks, asof)
    out = pd.DataFrame(index=levels.columns)
    for b in bench.columns:
        rs = relative_strength(hist, bench[b], window=window, z_window=z_window)
        out[f"ratio_vs_{b}"] = rs["ratio"].iloc[-1]
        out[f"change_vs_{b}"] = rs["change"].iloc[-1]
        out[f"z_vs_{b}"] = rs["zscore"].iloc[-1]
    out.index.name = "series"
    return out


def altseason_index(
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    *,
    window: int = 90,
    top: int = 50,
    benchmark: str = "BTC",
    sectors: pd.Series | None = None,
    max_stale_days: int = 35,
) -> pd.DataFrame:
    """Share of the top-``top`` non-stable assets beating the benchmark over ``window`` days.

    On each day t the candidates are the eligible assets (a close on t; not a
    stablecoin, wrapped or staked token; not the benchmark) ranked by the
    market cap known on t. Of the top ``top`` candidates, those with a
    ``window``-day return on t count; the index is the share whose return
    beats the benchmark's.

    Returns
    -------
    DataFrame
        Index: dates; columns ``altseason_index`` (fraction in [0, 1]),
        ``beating`` and ``counted`` (assets), ``top`` (assets in the top list
        that day, with or without a full-window return: ``counted`` of
        ``top`` is the index's coverage), ``benchmark_return``. NaN where
        the benchmark has no ``window``-day return or no asset counts.
    """
    if benchmark not in close.columns:
        raise DataUnavailableError(
            f"the benchmark {benchmark} has no prices; load {benchmark} closes first."
        )
    mcap = known_market_cap(
        market_cap.reindex(index=close.index, columns=close.columns), max_stale_days
    ).to_numpy(dtype=float)
    elig = eligible(close, sectors=sectors).to_numpy(copy=True)
    bpos = close.columns.get_loc(benchmark)
    elig[:, bpos] = False
    caps = np.where(elig & np.isfinite(mcap) & (mcap > 0), mcap, -np.inf)
    rets = trailing_returns(close, window).to_numpy(dtype=float)
    bret = rets[:, bpos].copy()
    k = min(top, caps.shape[1])
    if k == 0:
        topmask = np.zeros(caps.shape, dtype=bool)
    else:
        part = np.argpartition(-caps, k - 1, axis=1)[:, :k]
        topmask = np.zeros(caps.shape, dtype=bool)
        np.put_along_axis(topmask, part, True, axis=1)
        topmask &= np.isfinite(caps)
    counted = topmask & np.isfinite(rets)
    with np.errstate(invalid="ignore"):
        beats = counted & (rets > bret[:, None])
    n_counted = counted.sum(axis=1).astype(float)
    n_beat = beats.sum(axis=1).astype(float)
    valid = np.isfinite(bret) & (n_counted > 0)
    share = np.where(valid, n_beat / np.maximum(n_counted, 1.0), np.nan)
    return pd.DataFrame(
        {
            "altseason_index": share,
            "beating": np.where(valid, n_beat, np.nan),
            "counted": np.where(valid, n_counted, np.nan),
            "top": np.where(valid, topmask.sum(axis=1).astype(float), np.nan),
            "benchmark_return": bret,
        },
        index=close.index,
    )


def season_label(
    value: float,
    *,
    altseason: float = ALTSEASON_THRESHOLD,
    bitcoin_season: float = BITCOIN_SEASON_THRESHOLD,
) -> str:
    """``"altseason"`` (>= 75%), ``"bitcoin season"`` (<= 25%), else ``"neutral"``."""
    if not np.isfinite(value):
        return "unknown"
    if value >= altseason:
        return "altseason"
    if value <= bitcoin_season:
        return "bitcoin season"
    return "neutral"


def breadth(
    close: pd.DataFrame,
    members: pd.DataFrame | None = None,
    *,
    windows: Sequence[int] = (50, 200),
) -> pd.DataFrame:
    """Share of the universe closing above its simple moving averages.

    Parameters
    ----------
    close
        Daily closes.
    members
        Boolean universe mask (default: :func:`altseason.universe.eligible`).
    windows
        Moving-average lengths in days; an average needs a full window of
        closes.

    Returns
    -------
    DataFrame
        Columns ``above_{w}d`` (fraction of members with a defined average
        that close above it) and ``n_{w}d`` (that number of members).
    """
    mem = (eligible(close) if members is None else members.reindex_like(close)).to_numpy(bool)
    px = close.to_numpy(dtype=float)
    out = {}
    for w in windows:
        sma = close.rolling(w, min_periods=w).mean().to_numpy()
        ok = mem & np.isfinite(sma) & np.isfinite(px)
        n = ok.sum(axis=1).astype(float)
        above = (ok & (px > np.where(ok, sma, np.inf))).sum(axis=1)
        out[f"above_{w}d"] = np.where(n > 0, above / np.maximum(n, 1.0), np.nan)
        out[f"n_{w}d"] = n
    return pd.DataFrame(out, index=close.index)


def dispersion(
    close: pd.DataFrame, window: int = 30, members: pd.DataFrame | None = None
) -> pd.Series:
    """Cross-sectional standard deviation (ddof=1) of ``window``-day returns.

    Members (default: eligible assets) need a return over the window; NaN
    with fewer than two. Units: return fraction.
    """
    vals = _dispersion_values(close, window, members)
    out = vals.std(axis=1, ddof=1)
    out[vals.count(axis=1) < 2] = np.nan
    return out.rename(f"dispersion_{window}d")


def dispersion_count(
    close: pd.DataFrame, window: int = 30, members: pd.DataFrame | None = None
) -> pd.Series:
    """How many assets enter :func:`dispersion` on each day (a ``window``-day return)."""
    vals = _dispersion_values(close, window, members)
    return vals.count(axis=1).rename(f"dispersion_{window}d_assets")


def _dispersion_values(
    close: pd.DataFrame, window: int, members: pd.DataFrame | None
) -> pd.DataFrame:
    rets = trailing_returns(close, window)
    mem = eligible(close) if members is None else members.reindex_like(close).fillna(False)
    return rets.where(mem.astype(bool))


def sector_spread(
    sector_levels: pd.DataFrame, window: int = 30, asof: DateLike | None = None
) -> pd.DataFrame:
    """Best minus worst sector return over ``window`` days.

    Returns
    -------
    DataFrame
        Daily (up to ``asof``): ``best_sector``, ``best_return``,
        ``worst_sector``, ``worst_return`` (fractions) and ``spread_pp``
        ((best - worst) * 100, percentage points). NaN with fewer than two
        sectors having a return.
    """
    hist = _upto(sector_levels, asof)
    if hist.shape[1] == 0:  # no sector labels at all: nothing to rank
        cols = ["best_sector", "best_return", "worst_sector", "worst_return", "spread_pp"]
        return pd.DataFrame(np.nan, index=hist.index, columns=cols)
    rets = trailing_returns(hist, window)
    ok = rets.notna().sum(axis=1) >= 2
    filled_hi = rets.fillna(-np.inf)
    filled_lo = rets.fillna(np.inf)
    out = pd.DataFrame(index=hist.index)
    out["best_sector"] = filled_hi.idxmax(axis=1).where(ok)
    out["best_return"] = rets.max(axis=1).where(ok)
    out["worst_sector"] = filled_lo.idxmin(axis=1).where(ok)
    out["worst_return"] = rets.min(axis=1).where(ok)
    out["spread_pp"] = (out["best_return"] - out["worst_return"]) * 100.0
    return out


def dominance(
    market_cap: pd.DataFrame,
    *,
    asset: str = "BTC",
    sectors: pd.Series | None = None,
    max_stale_days: int = 35,
) -> pd.Series:
    """``asset`` market cap / total non-stable market cap (a fraction).

    Uses the market cap known on each day (last value at most
    ``max_stale_days`` old); stablecoins, wrapped and staked tokens are left
    out of the total. NaN where ``asset`` has no known cap.
    """
    if asset not in market_cap.columns:
        raise DataUnavailableError(f"no market cap for {asset}; load market_cap_usd first.")
    mc = known_market_cap(market_cap, max_stale_days)
    keep = eligible(mc, sectors=sectors).any(axis=0)
    total = mc.loc[:, keep.to_numpy()].where(lambda f: f > 0).sum(axis=1, min_count=1)
    return (mc[asset] / total).rename(f"{asset.lower()}_dominance")


def top_movers(
    close: pd.DataFrame,
    window: int = 7,
    asof: DateLike | None = None,
    *,
    n: int = 5,
    members: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Best and worst ``n`` assets by ``window``-day return on ``asof``.

    Returns
    -------
    DataFrame
        Columns ``asset``, ``return`` (fraction), ``side`` (``"top"`` or
        ``"bottom"``); top movers first, best first, then bottom, worst last.
    """
    hist = _upto(close, asof)
    rets = window_return(hist, window)
    mem = eligible(hist) if members is None else members.reindex_like(hist).fillna(False)
    rets = rets[mem.iloc[-1].astype(bool).reindex(rets.index, fill_value=False)].dropna()
    rets = rets.sort_values(ascending=False)
    top_ = rets.head(n)
    bottom = rets.drop(top_.index, errors="ignore").tail(n)
    rows = [(a, v, "top") for a, v in top_.items()] + [(a, v, "bottom") for a, v in bottom.items()]
    return pd.DataFrame(rows, columns=["asset", "return", "side"])


@dataclass(frozen=True)
class Regime:
    """A divergence regime label, the reason and the measures behind it."""

    label: str
    reason: str
    measures: dict[str, float] = field(default_factory=dict)
    quality: Quality | None = None
    """Status of the label from the measures it read (:func:`regime_quality`), if judged."""


def divergence_regime(
    *,
    altseason: float,
    dominance_change_pp: float = np.nan,
    breadth_50: float = np.nan,
    breadth_200: float = np.nan,
    smallcap_vs_btc: float = np.nan,
    window: int = 90,
) -> Regime:
    """Name the market regime from the divergence measures.

    Rules, first match wins:

    1. altseason index >= 75% -> ``"altseason"``; <= 25% -> ``"bitcoin season"``;
    2. small caps beat BTC by more than 10% over the window and at least half
       the universe is above its 50-day average -> ``"rotation into alts"``;
    3. BTC dominance up more than 1 pp and small caps lagging BTC ->
       ``"bitcoin-led"``;
    4. under 30% of the universe above both its 50- and 200-day averages ->
       ``"broad risk-off"``;
    5. over 70% above the 50-day average -> ``"broad rally"``;
    6. otherwise ``"mixed"``.

    Parameters are fractions except ``dominance_change_pp`` (percentage points).
    """
    m = {
        "altseason_index": altseason,
        "dominance_change_pp": dominance_change_pp,
        "breadth_50d": breadth_50,
        "breadth_200d": breadth_200,
        "smallcap_vs_btc": smallcap_vs_btc,
    }

    def pct(v: float) -> str:
        return "n/a" if not np.isfinite(v) else f"{v:.0%}"

    context = (
        f"altseason index {pct(altseason)}, BTC dominance "
        + ("n/a" if not np.isfinite(dominance_change_pp) else f"{dominance_change_pp:+.1f} pp")
        + f" over {window}d, {pct(breadth_50)} above 50d / {pct(breadth_200)} above 200d average, "
        f"small caps vs BTC {'n/a' if not np.isfinite(smallcap_vs_btc) else f'{smallcap_vs_btc:+.1%}'}"
    )
    fin = np.isfinite
    if fin(altseason) and altseason >= ALTSEASON_THRESHOLD:
        return Regime(
            "altseason",
            f"altseason index {pct(altseason)} >= 75% of the top 50 beat "
            f"BTC over {window}d ({context})",
            m,
        )
    if fin(altseason) and altseason <= BITCOIN_SEASON_THRESHOLD:
        return Regime(
            "bitcoin season",
            f"altseason index {pct(altseason)} <= 25%: BTC beat most "
            f"of the top 50 over {window}d ({context})",
            m,
        )
    if (
        fin(smallcap_vs_btc)
        and smallcap_vs_btc > ROTATION_MARGIN
        and fin(breadth_50)
        and breadth_50 >= ROTATION_BREADTH
    ):
        return Regime(
            "rotation into alts",
            f"small caps lead BTC by more than 10% with broad participation ({context})",
            m,
        )
    if (
        fin(dominance_change_pp)
        and dominance_change_pp > 1.0
        and fin(smallcap_vs_btc)
        and smallcap_vs_btc < 0
    ):
        return Regime("bitcoin-led", f"BTC dominance rising and small caps lagging ({context})", m)
    if (
        fin(breadth_50)
        and fin(breadth_200)
        and breadth_50 < RISK_OFF_BREADTH
        and breadth_200 < RISK_OFF_BREADTH
    ):
        return Regime(
            "broad risk-off", f"most assets below their 50d and 200d averages ({context})", m
        )
    if fin(breadth_50) and breadth_50 > RALLY_BREADTH:
        return Regime("broad rally", f"most assets above their 50d average ({context})", m)
    return Regime("mixed", f"no measure is decisive ({context})", m)
