"""Event study with a market model (DESIGN.md, "Event study").

For each event, day 0 is the first date of the return series on or after the
event date; relative days count rows of the aligned return series (calendar
days for crypto). The market model ``r_t = alpha + beta m_t + e_t`` is fitted
by OLS over relative days [-120, -11] (at least ``min_estimation`` days with
both returns). Abnormal returns ``AR_t = r_t - alpha - beta m_t``; the
cumulative abnormal return over a window ``[a, b]`` is ``CAR = sum AR_t``.

Variance of one event's CAR (Campbell, Lo and MacKinlay 1997, ch. 4.4, with
the estimation error of alpha and beta): with ``n`` estimation days, residual
variance ``sigma^2`` (sum of squared residuals / (n - 2)), estimation-period
mean market return ``m_est`` and ``Sxx = sum (m_t - m_est)^2``, the CAR over
a window of ``L`` days with mean market return ``m_w`` has

    var(CAR) = sigma^2 (L + L^2 / n + L^2 (m_w - m_est)^2 / Sxx)

(``gamma' V gamma`` with ``V = sigma^2 (I + X* (X'X)^-1 X*')``, ``gamma`` a
vector of ones, ``X*`` the window's ``[1, m_t]`` rows), and ``t = CAR /
sqrt(var(CAR))``; ``SCAR = t`` is the standardized CAR.

Across the N events of one study (the same asset, so events whose windows
share calendar days share those days' shocks):

* ``t_caar``: ``CAAR = mean CAR`` over ``sqrt(1' S 1) / N``, where ``S`` has
  the per-event ``var(CAR_i)`` on the diagonal and, off it, ``d_ij sigma_i
  sigma_j`` for two events whose windows share ``d_ij`` days (the covariance
  of the shared days' abnormal returns; estimation-error covariances across
  events are ignored). Without overlaps this is the CLM ``J1`` statistic.
* ``t_bmp``: Boehmer, Musumeci and Poulsen (1991): ``mean SCAR / (sd SCAR /
  sqrt N)``, robust to event-induced variance.
* ``t_kp``: the Kolari and Pynnonen (2010) adjustment of ``t_bmp`` for
  cross-correlation, ``t_bmp sqrt((1 - r) / (1 + (N - 1) r))``, where ``r``
  is the mean pairwise correlation of the standardized CARs implied by the
  overlaps, ``d_ij / sqrt(L_i L_j)`` (0 for events whose windows do not
  overlap). This is the statistic to read when windows overlap.
* ``t_cross``: the cross-sectional ``CAAR / (sd(CAR) / sqrt N)``.

Placebo: ``n_placebo`` random non-event days (seeded; their windows may not
overlap any event's window, and they need the full estimation period) are
run through the same model. ``placebo_p`` is the share of ``n_resamples``
means of N placebo CARs (drawn with replacement) lying at least as far from
the placebo mean as the event CAAR: a two-sided p-value that does not assume
normality. Per event, ``p_<a>_<b>`` is the share of placebo CARs at least as
far from the placebo mean as that event's CAR.

The result names the asset studied and its benchmark (``asset``,
``benchmark``) and the windows; :func:`event_table` puts several studies
(e.g. BTC, ETH and a small-cap index against one benchmark) side by side per
event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = ["EventStudy", "car_variance", "default_events", "event_study", "event_table"]

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
        One row per event used: ``event_id, date, title`` (and ``category,
        jurisdiction`` when given), ``day0`` (date of relative day 0),
        ``alpha, beta, sigma, n_estimation`` and, per window ``[a, b]``,
        ``car_a_b``, ``se_a_b`` (CLM standard error with estimation error),
        ``t_a_b`` (= the standardized CAR) and ``p_a_b`` (placebo p-value).
    excluded
        Events not used: ``event_id, date, title, reason``.
    summary
        Per window (index ``window``, e.g. ``"[0, 20]"``): ``n_events, caar,
        t_caar, t_bmp, t_kp, t_cross, mean_overlap_corr, overlapping_pairs,
        share_positive, placebo_mean, placebo_std, placebo_p, n_placebo``.
    abnormal_returns
        Relative day x event_id abnormal returns over the union of windows.
    placebo
        The placebo days: ``day0`` and ``car_a_b`` per window.
    estimation, windows
        The windows used (relative days, inclusive).
    asset, benchmark
        Names of the series studied and of the market-model benchmark.
    """

    events: pd.DataFrame
    excluded: pd.DataFrame
    summary: pd.DataFrame
    abnormal_returns: pd.DataFrame
    placebo: pd.DataFrame
    estimation: Window
    windows: tuple[Window, ...]
    asset: str = "asset"
    benchmark: str = "market"

    def caar_path(self) -> pd.Series:
        """Mean abnormal return cumulated over relative days (CAAR path)."""
        return self.abnormal_returns.mean(axis=1).cumsum().rename("caar")

    def describe(self) -> str:
        """What was studied, in one sentence (asset, benchmark, model, windows)."""
        wins = ", ".join(_wlabel(w) for w in self.windows)
        return (
            f"{self.asset} abnormal returns against {self.benchmark} (market model fitted "
            f"over days {_wlabel(self.estimation)}); CAR windows {wins}; "
            f"{len(self.events)} events used, {len(self.excluded)} excluded."
        )


def _wlabel(w: Window) -> str:
    return f"[{w[0]:+d}, {w[1]:+d}]".replace("+0", "0")


@dataclass(frozen=True)
class _Fit:
    alpha: float
    beta: float
    sigma: float
    n: int
    m_est: float
    sxx: float


def _fit(
    y: np.ndarray, x: np.ndarray, pos: int, est: Window, rel: np.ndarray, min_est: int
) -> tuple[_Fit, np.ndarray, np.ndarray] | str:
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
    return _Fit(alpha, beta, float(np.sqrt(sigma2)), n, float(mx), sxx), ar, x[idx]


def _car(ar: np.ndarray, rel: np.ndarray, w: Window) -> float:
    mask = (rel >= w[0]) & (rel <= w[1])
    seg = ar[mask]
    return float(np.sum(seg)) if np.all(np.isfinite(seg)) else float("nan")


def car_variance(fit_sigma: float, n: int, m_est: float, sxx: float, m_window: Any) -> float:
    """CLM variance of a CAR including the market model's estimation error.

    ``sigma^2 (L + L^2 / n + L^2 (mean(m_window) - m_est)^2 / Sxx)`` with ``L``
    the window length (module docstring).
    """
    m = np.asarray(m_window, dtype=float)
    length = m.size
    if length == 0 or not np.all(np.isfinite(m)):
        return float("nan")
    mw = float(m.mean())
    return float(fit_sigma**2 * (length + length**2 / n + length**2 * (mw - m_est) ** 2 / sxx))


def _wname(w: Window) -> str:
    return f"{w[0]}_{w[1]}".replace("-", "m")


def _overlap(day0: np.ndarray, w: Window) -> np.ndarray:
    """Shared calendar days of the windows ``[d + a, d + b]`` of every pair of events."""
    d = day0.astype("datetime64[D]").astype(np.int64)
    start, end = d + w[0], d + w[1]
    lo = np.maximum(start[:, None], start[None, :])
    hi = np.minimum(end[:, None], end[None, :])
    return np.clip(hi - lo + 1, 0, None).astype(float)


def _aggregate(table: pd.DataFrame, w: Window) -> dict[str, float]:
    """CAAR and its t-statistics for one window (module docstring)."""
    name = _wname(w)
    ok = table[f"car_{name}"].notna() & table[f"se_{name}"].notna()
    sub = table.loc[ok]
    k = len(sub)
    nan = float("nan")
    out = {
        "n_events": k,
        "caar": nan,
        "t_caar": nan,
        "t_bmp": nan,
        "t_kp": nan,
        "t_cross": nan,
        "mean_overlap_corr": nan,
        "overlapping_pairs": 0,
        "share_positive": nan,
    }
    if k == 0:
        return out
    car = sub[f"car_{name}"].to_numpy(dtype=float)
    se = sub[f"se_{name}"].to_numpy(dtype=float)
    sig = sub["sigma"].to_numpy(dtype=float)
    length = w[1] - w[0] + 1
    shared = _overlap(pd.DatetimeIndex(sub["day0"]).to_numpy(), w)
    cov = shared * sig[:, None] * sig[None, :]
    np.fill_diagonal(cov, se**2)
    caar = float(car.mean())
    var_caar = float(cov.sum()) / k**2
    out["caar"] = caar
    out["t_caar"] = caar / np.sqrt(var_caar) if var_caar > 0 else nan
    out["share_positive"] = float((car > 0).mean())
    iu = np.triu_indices(k, 1)
    out["overlapping_pairs"] = int((shared[iu] > 0).sum())
    if k > 1:
        r = float((shared[iu] / length).mean())
        out["mean_overlap_corr"] = r
        scar = car / np.where(se > 0, se, np.nan)
        sd_scar = float(scar.std(ddof=1))
        if np.isfinite(sd_scar) and sd_scar > 0:
            t_bmp = float(scar.mean() / (sd_scar / np.sqrt(k)))
            out["t_bmp"] = t_bmp
            out["t_kp"] = t_bmp * float(np.sqrt((1.0 - r) / (1.0 + (k - 1) * r)))
        sd = float(car.std(ddof=1))
        out["t_cross"] = caar / (sd / np.sqrt(k)) if sd > 0 else nan
    return out


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
    asset: str | None = None,
    benchmark: str | None = None,
) -> EventStudy:
    """Abnormal returns of an asset or index around events.

    Parameters
    ----------
    returns
        Daily simple returns of the asset or index studied.
    market
        Daily simple returns of the benchmark (BTC, or a cap-weighted index).
    events
        A frame with ``date`` (and optionally ``event_id``, ``title``,
        ``category``, ``jurisdiction``) or a sequence of dates; default
        :func:`default_events`.
    estimation
        Relative days of the market-model fit, inclusive (default [-120, -11]).
    windows
        CAR windows, inclusive relative days (default [-5, +5] and [0, +20]).
    min_estimation
        Fewest estimation days with both returns for an event to be used.
    n_placebo, n_resamples, seed
        Placebo days drawn, bootstrap resamples of placebo means, RNG seed.
    asset, benchmark
        Names stated in the result (default the Series names, else
        ``"asset"`` / ``"market"``).

    Returns
    -------
    EventStudy
        Events lacking history or data are listed in ``excluded`` with the
        reason; CAR columns are named ``car_<a>_<b>`` with ``m`` for minus
        (``car_m5_5``, ``car_0_20``). The statistics are defined in the
        module docstring.

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
    asset_name = asset or (str(returns.name) if returns.name is not None else "asset")
    bench_name = benchmark or (str(market.name) if market.name is not None else "market")
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
    extra_cols = [c for c in ("category", "jurisdiction") if c in ev.columns]

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
        f, ar, mw = fit
        row: dict[str, Any] = {
            **base,
            **{c: e[c] for c in extra_cols},
            "day0": dates[pos],
            "alpha": f.alpha,
            "beta": f.beta,
            "sigma": f.sigma,
            "n_estimation": f.n,
        }
        for w in wins:
            mask = (rel >= w[0]) & (rel <= w[1])
            car = _car(ar, rel, w)
            var = car_variance(f.sigma, f.n, f.m_est, f.sxx, mw[mask])
            se = float(np.sqrt(var)) if np.isfinite(var) else float("nan")
            row[f"car_{_wname(w)}"] = car
            row[f"se_{_wname(w)}"] = se
            row[f"t_{_wname(w)}"] = car / se if se > 0 else float("nan")
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
        _, ar, _ = fit
        prow.append(
            {"day0": dates[int(pos)], **{f"car_{_wname(w)}": _car(ar, rel, w) for w in wins}}
        )
    placebo = pd.DataFrame(prow, columns=["day0", *[f"car_{_wname(w)}" for w in wins]])

    summary_rows = []
    for w in wins:
        col = f"car_{_wname(w)}"
        pc = placebo[col].dropna().to_numpy()
        centre = float(pc.mean()) if len(pc) else float("nan")
        if len(pc):
            dev = np.abs(pc - centre)
            table[f"p_{_wname(w)}"] = [
                float(np.mean(dev >= abs(c - centre))) if np.isfinite(c) else float("nan")
                for c in table[col]
            ]
        else:
            table[f"p_{_wname(w)}"] = float("nan")
        agg = _aggregate(table, w)
        k = int(agg["n_events"])
        caar = float(agg["caar"])
        if len(pc) and k:
            means = rng.choice(pc, size=(n_resamples, k), replace=True).mean(axis=1)
            p_val = float(np.mean(np.abs(means - centre) >= abs(caar - centre)))
        else:
            p_val = float("nan")
        summary_rows.append(
            {
                "window": f"[{w[0]}, {w[1]}]",
                **agg,
                "placebo_mean": centre,
                "placebo_std": float(pc.std(ddof=1)) if len(pc) > 1 else float("nan"),
                "placebo_p": p_val,
                "n_placebo": len(pc),
            }
        )
    summary = pd.DataFrame(summary_rows).set_index("window")
    return EventStudy(table, excl, summary, ar_frame, placebo, est, wins, asset_name, bench_name)


def event_table(studies: Mapping[str, EventStudy] | Sequence[EventStudy]) -> pd.DataFrame:
    """Several studies side by side, one row per event.

    Parameters
    ----------
    studies
        :class:`EventStudy` results over the same events (e.g. BTC, ETH and a
        small-cap index, each against the same benchmark); a mapping's keys
        name the columns, else each study's ``asset``.

    Returns
    -------
    DataFrame
        Index ``event_id``; ``date, title`` and ``category, jurisdiction``
        when known, then per study and window ``car_<a>_<b>_<name>``,
        ``t_<a>_<b>_<name>`` and ``p_<a>_<b>_<name>`` (NaN where that study
        excluded the event). ``attrs["benchmarks"]`` maps each name to its
        benchmark, ``attrs["windows"]`` and ``attrs["estimation"]`` hold the
        windows, ``attrs["describe"]`` each study's :meth:`EventStudy.describe`.
    """
    items = (
        list(studies.items()) if isinstance(studies, Mapping) else [(s.asset, s) for s in studies]
    )
    if not items:
        raise ValidationError("event_table needs at least one event study.")
    meta_cols = ["date", "title", "category", "jurisdiction"]
    meta = pd.concat(
        [s.events.set_index("event_id")[[c for c in meta_cols if c in s.events]] for _, s in items]
        + [s.excluded.set_index("event_id")[["date", "title"]] for _, s in items]
    )
    meta = meta[~meta.index.duplicated(keep="first")].sort_values("date")
    out = meta.copy()
    for name, s in items:
        ev = s.events.set_index("event_id")
        for w in s.windows:
            wn = _wname(w)
            for stat in ("car", "t", "p"):
                out[f"{stat}_{wn}_{name}"] = ev[f"{stat}_{wn}"].reindex(out.index)
    out.index.name = "event_id"
    out.attrs["benchmarks"] = {name: s.benchmark for name, s in items}
    out.attrs["windows"] = items[0][1].windows
    out.attrs["estimation"] = items[0][1].estimation
    out.attrs["describe"] = {name: s.describe() for name, s in items}
    return out
