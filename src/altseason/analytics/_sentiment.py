"""Fear & Greed levels, extremes and streaks, and the capitulation score.

Fear & Greed zones follow the labels of the alternative.me series:
0-25 extreme fear, 26-46 fear, 47-54 neutral, 55-75 greed, 76-100 extreme greed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "CAPITULATION_INPUTS",
    "CAPITULATION_WEIGHTS",
    "capitulation_components",
    "capitulation_episodes",
    "capitulation_score",
    "fear_greed_extremes",
    "fear_greed_streaks",
    "fear_greed_summary",
    "fear_greed_zone",
]

_ZONE_EDGES = (25.0, 46.0, 54.0, 75.0)
_ZONES = ("extreme_fear", "fear", "neutral", "greed", "extreme_greed")

CAPITULATION_WEIGHTS: dict[str, float] = {
    "drawdown": 0.25,
    "volume_surge": 0.15,
    "fear_greed": 0.25,
    "funding": 0.15,
    "mvrv": 0.20,
}
"""Default weights of the capitulation components (sum to 1)."""


def _clean(series: pd.Series) -> pd.Series:
    s = pd.to_numeric(series, errors="coerce").astype(float)
    s.index = pd.DatetimeIndex(pd.to_datetime(s.index)).normalize()
    return s[~s.index.duplicated(keep="last")].sort_index()


def fear_greed_zone(values: pd.Series) -> pd.Series:
    """Zone label of each Fear & Greed value (NaN stays missing).

    ``extreme_fear`` (<= 25), ``fear`` (26-46), ``neutral`` (47-54), ``greed``
    (55-75), ``extreme_greed`` (>= 76); values are 0-100.
    """
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if ((v < 0) | (v > 100)).any():
        raise ValidationError("Fear & Greed values must lie in [0, 100].")
    codes = np.searchsorted(np.array(_ZONE_EDGES), v.to_numpy(), side="left")
    labels = np.array(_ZONES, dtype=object)[np.clip(codes, 0, 4)]
    out = pd.Series(labels, index=v.index, name="zone", dtype=object)
    return out.where(v.notna())


def fear_greed_streaks(values: pd.Series) -> pd.DataFrame:
    """Runs of consecutive observations in the same zone.

    Missing values are dropped first (a missing day neither breaks nor
    extends a run).

    Returns
    -------
    DataFrame
        One row per run, oldest first: ``start, end, zone, days`` (observations),
        ``mean``, ``min``, ``max`` of the values. The last row is the current run.
    """
    v = _clean(values).dropna()
    cols = ["start", "end", "zone", "days", "mean", "min", "max"]
    if v.empty:
        return pd.DataFrame(columns=cols)
    zone = fear_greed_zone(v)
    run = (zone != zone.shift()).cumsum().to_numpy()
    g = v.groupby(run)
    out = pd.DataFrame(
        {
            "start": g.apply(lambda s: s.index[0]),
            "end": g.apply(lambda s: s.index[-1]),
            "zone": zone.groupby(run).first(),
            "days": g.size(),
            "mean": g.mean(),
            "min": g.min(),
            "max": g.max(),
        }
    ).reset_index(drop=True)
    return out[cols]


def fear_greed_extremes(values: pd.Series) -> pd.DataFrame:
    """The runs of :func:`fear_greed_streaks` in extreme fear or extreme greed."""
    runs = fear_greed_streaks(values)
    return runs.loc[runs["zone"].isin(["extreme_fear", "extreme_greed"])].reset_index(drop=True)


def fear_greed_summary(values: pd.Series, *, window: int = 365) -> pd.Series:
    """Latest Fear & Greed reading and its context.

    Returns
    -------
    Series
        ``date, value, zone, streak_days`` (observations in the current zone),
        ``mean_30d``, and over the last ``window`` days: ``extreme_fear_days``,
        ``extreme_greed_days``, ``min``, ``max``.
    """
    v = _clean(values).dropna()
    if v.empty:
        raise ValidationError("no Fear & Greed values to summarise.")
    last = v.index[-1]
    recent = v.loc[last - pd.Timedelta(days=window - 1) :]
    month = v.loc[last - pd.Timedelta(days=29) :]
    zones = fear_greed_zone(recent)
    runs = fear_greed_streaks(v)
    return pd.Series(
        {
            "date": last,
            "value": float(v.iloc[-1]),
            "zone": str(fear_greed_zone(v.iloc[-1:]).iloc[0]),
            "streak_days": int(runs["days"].iloc[-1]),
            "mean_30d": float(month.mean()),
            "extreme_fear_days": int((zones == "extreme_fear").sum()),
            "extreme_greed_days": int((zones == "extreme_greed").sum()),
            "min": float(recent.min()),
            "max": float(recent.max()),
        }
    )


CAPITULATION_INPUTS: dict[str, str] = {
    "drawdown": "close / trailing 365-day high - 1",
    "volume_surge": "volume / mean volume of the previous 30 days",
    "fear_greed": "Fear & Greed value (0-100)",
    "funding": "7-day mean daily funding x 365 (decimal per year)",
    "mvrv": "MVRV ratio (market cap / realized cap)",
}
"""The raw measure behind each capitulation component (column ``<name>_input``)."""


def capitulation_components(
    close: pd.Series,
    *,
    volume: pd.Series | None = None,
    fear_greed: pd.Series | None = None,
    funding: pd.Series | None = None,
    mvrv: pd.Series | None = None,
) -> pd.DataFrame:
    """The five capitulation components, raw and scaled to [0, 1], per day.

    Every component is scaled to [0, 1] (1 = most capitulation-like) from data
    known at the day's close:

    * ``drawdown``: depth below the trailing 365-day high of the close,
      ``clip(-(close / max_365d - 1) / 0.5, 0, 1)`` (a 50 % drawdown scores 1);
    * ``volume_surge``: volume over its mean of the previous 30 days,
      ``clip((ratio - 1) / 2, 0, 1)`` (3x the usual volume scores 1);
    * ``fear_greed``: ``clip((30 - value) / 20, 0, 1)`` (0 at 30 and above, 1 at
      10 and below);
    * ``funding``: 7-day mean of the daily funding rate, annualised x 365,
      ``clip(-annualised / 0.10, 0, 1)`` (0 when funding is positive, 1 at
      -10 % a year or below);
    * ``mvrv``: ``clip((1.2 - mvrv) / 0.4, 0, 1)`` (0 at 1.2 and above, 0.5 at
      1.0, 1 at 0.8 and below).

    Parameters
    ----------
    close
        Daily closes (defines the output dates).
    volume, fear_greed, funding, mvrv
        Daily traded volume (any unit), Fear & Greed values (0-100), daily
        funding rate (decimal per day, e.g. :func:`daily_funding`) and the
        MVRV ratio. Each is aligned as of each date (last value on or before
        it, at most 3 days old). ``None`` = not available.

    Returns
    -------
    DataFrame
        Index ``date`` (the dates of ``close``); for every component of
        :data:`CAPITULATION_WEIGHTS` the scaled column ``<name>`` and the raw
        measure ``<name>_input`` (see :data:`CAPITULATION_INPUTS`); both NaN
        for a component whose input is ``None`` or missing that day.
        ``attrs["not_given"]`` lists the components whose input was ``None``.
    """
    px = _clean(close)
    if px.empty:
        raise ValidationError("capitulation needs daily closes; the close series is empty.")
    idx = px.index
    nan = pd.Series(np.nan, index=idx)

    def align(s: pd.Series | None) -> pd.Series:
        if s is None:
            return nan
        c = _clean(s).dropna()
        return c.reindex(c.index.union(idx)).ffill(limit=3).reindex(idx)

    daily = px.reindex(pd.date_range(idx[0], idx[-1], freq="D"))
    peak = daily.rolling(365, min_periods=1).max().reindex(idx)
    raw = pd.DataFrame(index=idx)
    raw["drawdown"] = px / peak - 1.0
    vol = align(volume)
    base = vol.rolling(30, min_periods=10).mean().shift(1)
    raw["volume_surge"] = vol / base.where(base > 0)
    raw["fear_greed"] = align(fear_greed)
    raw["funding"] = align(funding).rolling(7, min_periods=3).mean() * 365.0
    raw["mvrv"] = align(mvrv)
    out = pd.DataFrame(index=idx)
    out["drawdown"] = (-raw["drawdown"] / 0.5).clip(0.0, 1.0)
    out["volume_surge"] = ((raw["volume_surge"] - 1.0) / 2.0).clip(0.0, 1.0)
    out["fear_greed"] = ((30.0 - raw["fear_greed"]) / 20.0).clip(0.0, 1.0)
    out["funding"] = (-raw["funding"] / 0.10).clip(0.0, 1.0)
    out["mvrv"] = ((1.2 - raw["mvrv"]) / 0.4).clip(0.0, 1.0)
    for name in CAPITULATION_WEIGHTS:
        out[f"{name}_input"] = raw[name]
    out.index.name = "date"
    given = {
        "drawdown": close,
        "volume_surge": volume,
        "fear_greed": fear_greed,
        "funding": funding,
        "mvrv": mvrv,
    }
    out.attrs["not_given"] = [k for k, v in given.items() if v is None]
    return out


def capitulation_score(
    close: pd.Series,
    *,
    volume: pd.Series | None = None,
    fear_greed: pd.Series | None = None,
    funding: pd.Series | None = None,
    mvrv: pd.Series | None = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Capitulation score in [0, 1] with its components and what was missing.

    The components are those of :func:`capitulation_components` (drawdown
    depth, volume surge, Fear & Greed extremes, funding turning negative,
    MVRV near or below 1). The score is the weighted mean of the components
    available that day (default :data:`CAPITULATION_WEIGHTS`: drawdown 0.25,
    volume surge 0.15, Fear & Greed 0.25, funding 0.15, MVRV 0.20), the
    weights renormalised over them; NaN when none is available. A missing
    component is never hidden: ``n_components`` counts the ones used and
    ``missing`` names the others for that day, so a score from 3 of 5
    components is visibly one.

    Parameters
    ----------
    close, volume, fear_greed, funding, mvrv
        As in :func:`capitulation_components`.
    weights
        Component -> weight overrides (non-negative).

    Returns
    -------
    DataFrame
        Index ``date``; the columns of :func:`capitulation_components`, then
        ``score``, ``n_components`` and ``missing`` (comma-separated component
        names, "" when all five were used). ``attrs``: ``weights`` and
        ``not_given`` (components whose input was not passed at all).
    """
    w = dict(CAPITULATION_WEIGHTS)
    for k, val in (weights or {}).items():
        if k not in w:
            raise ValidationError(f"unknown capitulation component {k!r}; use {list(w)}.")
        if not val >= 0:
            raise ValidationError(f"weight of {k!r} must be >= 0, got {val}.")
        w[k] = float(val)
    comps = capitulation_components(
        close, volume=volume, fear_greed=fear_greed, funding=funding, mvrv=mvrv
    )
    names = list(CAPITULATION_WEIGHTS)
    vals = comps[names].to_numpy(dtype=float)
    wts = np.array([w[c] for c in names])
    avail = ~np.isnan(vals)
    wsum = (avail * wts).sum(axis=1)
    num = np.nansum(np.where(avail, vals, 0.0) * wts, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        comps["score"] = np.where(wsum > 0, num / np.where(wsum > 0, wsum, 1.0), np.nan)
    comps["n_components"] = avail.sum(axis=1)
    labels = np.array(names, dtype=object)
    comps["missing"] = [", ".join(labels[~row]) for row in avail]
    comps.attrs["weights"] = w
    return comps


def capitulation_episodes(
    scores: pd.DataFrame | pd.Series,
    *,
    threshold: float = 0.5,
    merge_gap_days: int = 7,
) -> pd.DataFrame:
    """The dates the capitulation score flagged: runs at or above ``threshold``.

    Days with ``score >= threshold`` are flagged; flagged days at most
    ``merge_gap_days`` calendar days apart form one episode.

    Parameters
    ----------
    scores
        :func:`capitulation_score` output (or its ``score`` column).
    threshold
        Score at or above which a day is flagged (default 0.5).
    merge_gap_days
        Largest gap between flagged days inside one episode.

    Returns
    -------
    DataFrame
        One row per episode, oldest first: ``start, end, flagged_days,
        peak_date, peak_score``, the scaled components at the peak (when the
        input is a :func:`capitulation_score` frame) and ``missing`` there.
    """
    frame = scores.to_frame("score") if isinstance(scores, pd.Series) else scores
    if "score" not in frame.columns:
        raise ValidationError("capitulation_episodes needs a 'score' column.", column="score")
    if not 0.0 <= threshold <= 1.0:
        raise ValidationError(f"threshold must lie in [0, 1], got {threshold}.")
    extra = [c for c in (*CAPITULATION_WEIGHTS, "missing") if c in frame.columns]
    cols = ["start", "end", "flagged_days", "peak_date", "peak_score", *extra]
    flagged = frame.loc[frame["score"] >= threshold]
    if flagged.empty:
        return pd.DataFrame(columns=cols)
    dates = pd.DatetimeIndex(flagged.index)
    gaps = (dates[1:] - dates[:-1]) / pd.Timedelta(days=1)
    run = np.concatenate([[0], np.cumsum(np.asarray(gaps) > merge_gap_days)])
    rows = []
    for _, part in flagged.groupby(run):
        peak = part["score"].idxmax()
        rows.append(
            {
                "start": part.index[0],
                "end": part.index[-1],
                "flagged_days": len(part),
                "peak_date": peak,
                "peak_score": float(part.at[peak, "score"]),
                **{c: part.at[peak, c] for c in extra},
            }
        )
    return pd.DataFrame(rows, columns=cols)
