"""Event study with a market model (DESIGN.md, "Event study").

For each event, day 0 is the first date of the return series on or after the
event date; relative days count rows of the aligned return series (calendar
days for crypto). The market model ``r_t = alpha + beta m_t + e_t`` is fitted
by OLS over relative days [-120, -11] (at least ``min_estimation`` days with
both returns). Abnormal returns ``AR_t = r_t - alpha - beta m_t``; the
cumulative abnormal return over a window ``[a, b]`` is ``CAR = sum AR_t``.

Variance estimator: ``sigma^2`` = residual variance of the estimation
regression (sum of squared residuals / (n - 2)); ``var(CAR) = L sigma^2`` with
``L = b - a + 1`` (abnormal returns independent with constant variance; the
estimation error of alpha and beta is ignored), so ``t = CAR / sqrt(L sigma^2)``.
Across N events, ``CAAR = mean CAR`` with ``t_caar = CAAR / sqrt(sum_i L
sigma_i^2 / N^2)`` (events independent) and the cross-sectional
``t_cross = CAAR / (sd(CAR) / sqrt N)``.

Placebo: ``n_placebo`` random non-event days (seeded; their windows may not
overlap any event's window, and they need the full estimation period) are
run through the same model. ``placebo_p`` is the share of ``n_resamples``
means of N placebo CARs (drawn with replacement) lying at least as far from
the placebo mean as the event CAAR: a two-sided p-value that does not assume
normality.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = ["EventStudy", "default_events", "event_study"]

Window = tuple[int, int]


def default_events() -> pd.DataFrame:
    """The shipped calendar of real regulatory and market events.

    Returns
    -------
    DataFrame
        :func:`altseason.sources.calendar.regulatory_events`: one row per
        event, columns ``event_id, date, title, category, jurisdiction,
        description, url``, ``date`` as naive UTC-day Timestamps, sorted by
        date. Used by :func:`event_study` when ``events`` is ``None``.
    """
    # Imported here: the calendar is a static table in the sources package, and
    # importing that package eagerly would load the connectors with analytics.
    from altseason.sources.calendar import regulatory_events

    return regulatory_events()


def _events_frame(events: pd.DataFrame | Sequence[Any] | None) -> pd.DataFrame:
    if events is None:
        events = default_events()
    if isinstance(events, pd.DataFrame):
        if "date" not in events.columns:
            raise ValidationError("events frame needs a 'date' column.", column="date")
        frame = events.copy()
    else:
        frame = pd.DataFrame({"date": list(events)})
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    if "event_id" not in frame.columns:
        frame["event_id"] = [f"event_{i + 1}" for i in range(len(frame))]
    if "title" not in frame.columns:
        frame["title"] = frame["event_id"].astype(str)
    if frame.empty:
        raise ValidationError("no events given to the event study.")
    return frame.sort_values("date").reset_index(drop=True)


@dataclass(frozen=True)
class EventStudy:
    """Result of :func:`event_study`.

    Attributes
    ----------
    events
        One row per event used: ``event_id, date, title, day0`` (date of
        relative day 0), ``alpha, beta, sigma, n_estimation`` and, per window
        ``[a, b]``, ``car_a_b`` and ``t_a_b``.
    excluded
        Events not used: ``event_id, date, title, reason``.
    summary
        Per window: ``window, n_events, caar, t_caar, t_cross, share_positive,
        placebo_mean, placebo_std, placebo_p, n_placebo``.
    abnormal_returns
        Relative day x event_id abnormal returns over the union of windows.
    placebo
        The placebo days: ``day0`` and ``car_a_b`` per window.
    estimation, windows
        The windows used (relative days, inclusive).
    """

    events: pd.DataFrame
    excluded: pd.DataFrame
    summary: pd.DataFrame
    abnormal_returns: pd.DataFrame
    placebo: pd.DataFrame
    estimation: Window
    windows: tuple[Window, ...]

    def caar_path(self) -> pd.Series:
        """Mean abnormal return cumulated over relative days (CAAR path)."""
        return self.abnormal_returns.mean(axis=1).cumsum().rename("caar")


def _fit(
    y: np.ndarray, x: np.ndarray, pos: int, est: Window, rel: np.ndarray, min_est: int
) -> tuple[dict[str, float], np.ndarray] | str:
    lo, hi = pos + est[0], pos + est[1]
    ye, xe = y[lo : hi + 1], x[lo : hi + 1]
    ok = np.isfinite(ye) & np.isfinite(xe)
    n = int(ok.sum())
    if n < min_est:
        return f"only {n} estimation days with both returns (need {min_est})"
    ye, xe = ye[ok], xe[ok]
    mx, my = xe.mean(), ye.mean()
    dx = xe - mx
    sxx = float(np.sum(dx * dx))
    if sxx <= 0:
        return "market returns are constant over the estimation window"
    beta = float(np.sum(dx * (ye - my)) / sxx)
    alpha = float(my - beta * mx)
    resid = ye - alpha - beta * xe
    sigma2 = float(np.sum(resid * resid) / (n - 2))
    idx = pos + rel
    ar = y[idx] - alpha - beta * x[idx]
    return {"alpha": alpha, "beta": beta, "sigma": float(np.sqrt(sigma2)), "n_estimation": n}, ar


def _car(ar: np.ndarray, rel: np.ndarray, w: Window) -> float:
    mask = (rel >= w[0]) & (rel <= w[1])
    seg = ar[mask]
    return float(np.sum(seg)) if np.all(np.isfinite(seg)) else float("nan")


def _wname(w: Window) -> str:
    return f"{w[0]}_{w[1]}".replace("-", "m")


def event_study(
    returns: pd.Series,
    market: pd.Series,
    events: pd.DataFrame | Sequence[Any] | None = None,
    *,
    estimation: Window = (-120, -11),
    windows: Sequence[Window] = ((-5, 5), (0, 20)),
    min_estimation: int = 60,
    n_placebo: int = 200,
    n_resamples: int = 2000,
    seed: int = 0,
) -> EventStudy:
    """Abnormal returns of an asset or index around events.

    Parameters
    ----------
    returns
        Daily simple returns of the asset or index studied.
    market
        Daily simple returns of the market (BTC, or a cap-weighted index).
    events
        A frame with ``date`` (and optionally ``event_id``, ``title``) or a
        sequence of dates; default :func:`default_events`.
    estimation
        Relative days of the market-model fit, inclusive (default [-120, -11]).
    windows
        CAR windows, inclusive relative days (default [-5, +5] and [0, +20]).
    min_estimation
        Fewest estimation days with both returns for an event to be used.
    n_placebo, n_resamples, seed
        Placebo days drawn, bootstrap resamples of placebo means, RNG seed.

    Returns
    -------
    EventStudy
        Events lacking history or data are listed in ``excluded`` with the
        reason; CAR columns are named ``car_<a>_<b>`` with ``m`` for minus
        (``car_m5_5``, ``car_0_20``).

    Raises
    ------
    ValidationError
        Bad windows (the estimation must end before every window starts), or
        no usable event.
    """
    wins = tuple((int(a), int(b)) for a, b in windows)
    est = (int(estimation[0]), int(estimation[1]))
    if est[0] > est[1] or any(a > b for a, b in wins):
        raise ValidationError("event windows must be given as (start, end) with start <= end.")
    if not wins:
        raise ValidationError("give at least one CAR window.")
    if est[1] >= min(a for a, _ in wins):
        raise ValidationError(
            f"the estimation window {est} must end before every event window starts {wins}."
        )
    if min_estimation < 3:
        raise ValidationError("min_estimation must be at least 3 days.")
    ev = _events_frame(events)
    r = returns.astype(float).copy()
    m = market.astype(float).copy()
    r.index = pd.DatetimeIndex(r.index).normalize()
    m.index = pd.DatetimeIndex(m.index).normalize()
    aligned = pd.concat([r.rename("r"), m.rename("m")], axis=1, join="inner").sort_index()
    dates = pd.DatetimeIndex(aligned.index)
    y = aligned["r"].to_numpy(dtype=float)
    x = aligned["m"].to_numpy(dtype=float)
    n = len(dates)
    rel = np.arange(min(a for a, _ in wins), max(b for _, b in wins) + 1)
    first_needed = min(est[0], int(rel[0]))
    last_needed = int(rel[-1])

    rows: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    ars: dict[str, np.ndarray] = {}
    event_pos: list[int] = []
    for _, e in ev.iterrows():
        base = {"event_id": str(e["event_id"]), "date": e["date"], "title": str(e["title"])}
        pos = int(dates.searchsorted(e["date"], side="left"))
        if pos >= n or pos + first_needed < 0 or pos + last_needed >= n:
            excluded.append(
                {**base, "reason": "returns do not cover the estimation and event windows"}
            )
            continue
        fit = _fit(y, x, pos, est, rel, min_estimation)
        if isinstance(fit, str):
            excluded.append({**base, "reason": fit})
            continue
        stats, ar = fit
        row: dict[str, Any] = {**base, "day0": dates[pos], **stats}
        for w in wins:
            car = _car(ar, rel, w)
            denom = np.sqrt((w[1] - w[0] + 1) * stats["sigma"] ** 2)
            row[f"car_{_wname(w)}"] = car
            row[f"t_{_wname(w)}"] = car / denom if denom > 0 else float("nan")
        rows.append(row)
        ars[base["event_id"]] = ar
        event_pos.append(pos)
    excl = pd.DataFrame(excluded, columns=["event_id", "date", "title", "reason"])
    if not rows:
        raise ValidationError(
            f"no event has enough return history around it ({len(excl)} excluded; first reason: "
            f"{excl['reason'].iloc[0] if len(excl) else 'none'})."
        )
    table = pd.DataFrame(rows)
    ar_frame = pd.DataFrame(ars, index=pd.Index(rel, name="rel_day"))

    # Placebo days: full history available, windows clear of every event's window.
    span = int(rel[-1] - rel[0])
    cand = np.arange(max(0, -first_needed), n - last_needed)
    if event_pos:
        dist = np.min(np.abs(cand[:, None] - np.array(event_pos)[None, :]), axis=1)
        cand = cand[dist > span]
    rng = np.random.default_rng(seed)
    pick: np.ndarray = (
        np.sort(rng.choice(cand, size=min(n_placebo, len(cand)), replace=False))
        if len(cand)
        else np.zeros(0, dtype=int)
    )
    prow: list[dict[str, Any]] = []
    for pos in pick:
        fit = _fit(y, x, int(pos), est, rel, min_estimation)
        if isinstance(fit, str):
            continue
        _, ar = fit
        prow.append(
            {"day0": dates[int(pos)], **{f"car_{_wname(w)}": _car(ar, rel, w) for w in wins}}
        )
    placebo = pd.DataFrame(prow, columns=["day0", *[f"car_{_wname(w)}" for w in wins]])

    summary_rows = []
    for w in wins:
        col = f"car_{_wname(w)}"
        cars = table[col].dropna()
        sig = table.loc[cars.index, "sigma"].to_numpy()
        k = len(cars)
        length = w[1] - w[0] + 1
        caar = float(cars.mean()) if k else float("nan")
        se = float(np.sqrt(np.sum(length * sig**2)) / k) if k else float("nan")
        sd = float(cars.std(ddof=1)) if k > 1 else float("nan")
        pc = placebo[col].dropna().to_numpy()
        if len(pc) and k:
            means = rng.choice(pc, size=(n_resamples, k), replace=True).mean(axis=1)
            centre = float(pc.mean())
            p_val = float(np.mean(np.abs(means - centre) >= abs(caar - centre)))
        else:
            p_val = float("nan")
        summary_rows.append(
            {
                "window": f"[{w[0]}, {w[1]}]",
                "n_events": k,
                "caar": caar,
                "t_caar": caar / se if se > 0 else float("nan"),
                "t_cross": caar / (sd / np.sqrt(k)) if sd > 0 else float("nan"),
                "share_positive": float((cars > 0).mean()) if k else float("nan"),
                "placebo_mean": float(pc.mean()) if len(pc) else float("nan"),
                "placebo_std": float(pc.std(ddof=1)) if len(pc) > 1 else float("nan"),
                "placebo_p": p_val,
                "n_placebo": len(pc),
            }
        )
    summary = pd.DataFrame(summary_rows).set_index("window")
    return EventStudy(table, excl, summary, ar_frame, placebo, est, wins)
