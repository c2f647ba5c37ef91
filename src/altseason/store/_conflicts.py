"""Cross-source conflicts, detected at ingest (vectorised, one pass per batch).

When a batch from source ``s`` is written, its rows are compared with the
rows other sources hold for the same facts, and disagreements beyond the
dataset's tolerance (:data:`TOLERANCES`) are stored in ``conflicts``; the
conflicts of ``s`` over the batch's assets and date span are recomputed each
time, so re-imports and any import order give the same table. A pair of
sources is stored in sorted order (``source_a < source_b``), so it is
symmetric.

A stored conflict has a ``kind``:

``unit``
    The values agree after a unit factor (1e3 or 1e6 either way) or, for
    volumes, after multiplying by the day's close (base units vs USD).
``shift``
    The series agrees with the other source's series moved by one day (at
    least 80 % of the days on which one series and the other moved by that
    day both have a value match, and clearly more than unshifted; judged on
    those days from ``source_a``'s side, so the verdict and its note do not
    depend on which source came first): typically a "close" column that is
    really the next day's open.
``difference``
    Anything else; also ETF flows booked on an NYSE holiday (``note`` says
    so; the other "source" is ``calendar:nyse``) and a published ETF total
    that disagrees with the sum of another source's per-fund flows
    (``field = total_vs_fund_sum``).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

import duckdb

from altseason._lazy import LazyModule

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: 'altseason status' needs neither (start-up time)
    np = LazyModule("numpy")
    pd = LazyModule("pandas")

__all__ = ["SHIFT_MIN_MATCH", "TOLERANCES", "detect_conflicts", "nyse_holidays"]

#: ``{dataset: {field: (relative tolerance, absolute tolerance)}}``: values
#: conflict when ``|a - b| > max(rel * max(|a|, |b|), abs)``. Volumes differ
#: legitimately across venues (coverage), so only an order of magnitude counts.
TOLERANCES: dict[str, dict[str, tuple[float, float]]] = {
    "prices": {"close": (0.01, 0.0), "volume_usd": (0.9, 0.0), "market_cap_usd": (0.05, 0.0)},
    "etf_flows": {"flow_usd": (0.01, 0.15e6)},
    "options": {"open_interest": (0.01, 0.5), "mark_iv": (0.05, 0.0)},
    "funding": {"rate": (0.05, 2e-5), "open_interest_usd": (0.05, 0.0)},
    "onchain": {"value": (0.02, 0.0)},
    "macro": {"value": (0.01, 0.0)},
    "sentiment": {"value": (0.0, 1.0)},
}
#: Share of overlapping days that must match one day apart for a ``shift``.
SHIFT_MIN_MATCH = 0.8
SNAPSHOT_WINDOW = dt.timedelta(minutes=15)
_UNIT_FACTORS = (1e3, 1e6)
_HOLIDAY_SOURCE = "calendar:nyse"

# table -> (series columns, date column, asset column)
_SERIES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "prices": (("asset_id",), "date", "asset_id"),
    "etf_flows": (("fund",), "date", "underlying"),
    "funding": (("venue", "instrument"), "ts", "asset_id"),
    "onchain": (("asset_id", "metric"), "date", "asset_id"),
    "macro": (("series_id",), "date", "series_id"),
    "sentiment": (("index_id",), "date", "index_id"),
}
_COLUMNS = [
    "dataset",
    "asset",
    "key",
    "date",
    "field",
    "source_a",
    "source_b",
    "value_a",
    "value_b",
    "rel_diff",
    "kind",
    "note",
    "detected_at",
]


# ---------------------------------------------------------------------- NYSE calendar
def _easter(year: int) -> dt.date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _nth(year: int, month: int, weekday: int, n: int) -> dt.date:
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


# One-off closures (national days of mourning, storms).
_SPECIAL_CLOSURES = {
    dt.date(2012, 10, 29): "Hurricane Sandy",
    dt.date(2012, 10, 30): "Hurricane Sandy",
    dt.date(2018, 12, 5): "National Day of Mourning (G. H. W. Bush)",
    dt.date(2025, 1, 9): "National Day of Mourning (J. Carter)",
}


@lru_cache(maxsize=64)
def nyse_holidays(year: int) -> dict[dt.date, str]:
    """Full-day NYSE closures of a year (weekday dates), by the exchange's rules."""
    out: dict[dt.date, str] = {}
    ny = dt.date(year, 1, 1)
    if ny.weekday() != 5:  # a Saturday New Year is not observed on Friday
        out[_observed(ny)] = "New Year's Day"
    out[_nth(year, 1, 0, 3)] = "Martin Luther King Jr. Day"
    out[_nth(year, 2, 0, 3)] = "Washington's Birthday"
    out[_easter(year) - dt.timedelta(days=2)] = "Good Friday"
    out[_nth(year, 5, 0, -1)] = "Memorial Day"
    if year >= 2022:
        out[_observed(dt.date(year, 6, 19))] = "Juneteenth"
    out[_observed(dt.date(year, 7, 4))] = "Independence Day"
    out[_nth(year, 9, 0, 1)] = "Labor Day"
    out[_nth(year, 11, 3, 4)] = "Thanksgiving Day"
    out[_observed(dt.date(year, 12, 25))] = "Christmas Day"
    out.update({d: n for d, n in _SPECIAL_CLOSURES.items() if d.year == year})
    return out


def _holiday_names(dates: pd.Series) -> pd.Series:
    days = pd.to_datetime(dates).dt.date
    names = {}
    for y in {d.year for d in days}:
        names.update(nyse_holidays(y))
    return days.map(names)


# ---------------------------------------------------------------------- helpers
def _exceeds(a: np.ndarray, b: np.ndarray, rel: float, abs_: float) -> np.ndarray:
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.abs(a - b) > np.maximum(rel * scale, abs_)


def _rel_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, np.abs(a - b) / scale, 0.0)


def _unit(a: np.ndarray, b: np.ndarray, close: np.ndarray | None) -> np.ndarray:
    """Rows where ``a`` and ``b`` agree after a unit factor; ``close``: one row of
    closes, or several (each source's own close: either may explain the factor, so the
    verdict does not depend on which side is the new batch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = a / b
        hit = np.zeros(len(a), dtype=bool)
        for f in _UNIT_FACTORS:
            hit |= (np.abs(r / f - 1) < 0.02) | (np.abs(r * f - 1) < 0.02)
        if close is not None:
            for c in np.atleast_2d(close):
                hit |= (np.abs(r / c - 1) < 0.05) | (np.abs(r * c - 1) < 0.05)
    return hit & np.isfinite(r)


_A_SIDE = "source_a"
_B_SIDE = "source_b"


def _shift_verdicts(
    left: pd.DataFrame,
    right: pd.DataFrame,
    date_col: str,
    f: str,
    rel: float,
    abs_: float,
    source: str,
) -> pd.Series:
    """Per ``series key + other source``: the lag (+1 or -1, seen from ``source_a``,
    the smaller source id of the pair) by which ``source_a``'s series matches
    ``source_b``'s, for the pairs that are a ``shift``; other pairs are absent.

    Symmetric by construction: for each lag, the days counted are all days on
    which one series and the other moved by the lag both have a value, so
    swapping the two series (the other import order) swaps the lag's sign and
    nothing else. A shift needs at least 5 such days, :data:`SHIFT_MIN_MATCH`
    of them within tolerance, and 0.2 more than unshifted."""
    mine = left[["_sk", date_col, f]].rename(columns={f: "_a"})
    other = right[["_sk", date_col, "source", f]].rename(columns={f: "_b"})
    step = pd.Timedelta(days=1)
    stats: dict[int, pd.DataFrame] = {}
    for lag in (0, 1, -1):
        moved = other.assign(**{date_col: other[date_col] + lag * step})
        mm = mine.merge(moved, on=["_sk", date_col])
        if mm.empty:
            stats[lag] = pd.DataFrame(columns=["have", "share"])
            continue
        ok = ~_exceeds(mm["_a"].to_numpy(float), mm["_b"].to_numpy(float), rel, abs_)
        g = mm["_sk"] + "\x00" + mm["source"]
        agg = pd.DataFrame({"g": g, "ok": ok}).groupby("g")["ok"].agg(["size", "mean"])
        stats[lag] = agg.rename(columns={"size": "have", "mean": "share"})
    if stats[1].empty and stats[-1].empty:
        return pd.Series(dtype=object)
    now = stats[0]["share"]
    verdict: dict[str, int] = {}
    for g in stats[1].index.union(stats[-1].index):
        best: tuple[float, int] | None = None
        for lag in (1, -1):
            st = stats[lag]
            if g not in st.index:
                continue
            have, share = float(st.at[g, "have"]), float(st.at[g, "share"])
            base = float(now.get(g, 0.0))
            if have >= 5 and share >= SHIFT_MIN_MATCH and share > base + 0.2:
                other_src = g.split("\x00", 1)[1]
                # seen from source_a: mine moved by -lag matches the other when I am source_b
                lag_a = lag if source < other_src else -lag
                cand = (share, lag_a)
                if best is None or cand > best:
                    best = cand
        if best is not None:
            verdict[g] = best[1]
    return pd.Series(verdict, dtype=object)


def _series_key(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    if len(cols) == 1:
        return frame[cols[0]].astype(str)
    return frame[list(cols)].astype(str).agg(":".join, axis=1)


def _pairs(out: pd.DataFrame, source: str) -> pd.DataFrame:
    """Order each pair as (source_a < source_b), swapping values with it."""
    swap = out["other"] < source
    out["source_a"] = np.where(swap, out["other"], source)
    out["source_b"] = np.where(swap, source, out["other"])
    a, b = out["a"].to_numpy(), out["b"].to_numpy()
    out["value_a"] = np.where(swap, b, a)
    out["value_b"] = np.where(swap, a, b)
    return out


# ---------------------------------------------------------------------- detection
def _compare_series(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, source: str
) -> list[pd.DataFrame]:
    cols, date_col, asset_col = _SERIES[table]
    tol = TOLERANCES.get(table, {})
    fields = [f for f in tol if f in frame.columns]
    if not fields or frame.empty:
        return []
    lo = pd.Timestamp(frame[date_col].min()) - pd.Timedelta(days=1)
    hi = pd.Timestamp(frame[date_col].max()) + pd.Timedelta(days=1)
    first = cols[0]
    ids = frame[first].dropna().astype(str).unique().tolist()
    extra = ["close"] if table == "prices" else []
    select = ", ".join(dict.fromkeys([*cols, date_col, asset_col, *fields, *extra, "source"]))
    marks = ", ".join("?" for _ in ids)
    other = con.execute(
        f"SELECT {select} FROM {table} WHERE {first} IN ({marks}) AND {date_col} BETWEEN ? AND ? "
        "AND source <> ?",
        [*ids, lo.to_pydatetime(), hi.to_pydatetime(), source],
    ).df()
    if other.empty:
        return []
    mine = frame.copy()
    mine["_sk"] = _series_key(mine, cols)
    other["_sk"] = _series_key(other, cols)
    mine[date_col] = pd.to_datetime(mine[date_col])
    other[date_col] = pd.to_datetime(other[date_col])
    found: list[pd.DataFrame] = []
    for f in fields:
        rel, abs_ = tol[f]
        keep = list(
            dict.fromkeys(["_sk", date_col, asset_col, f, *[c for c in extra if c in mine]])
        )
        left = mine[keep].dropna(subset=[f])
        rcols = ["_sk", date_col, "source", f]
        if f == "volume_usd" and "close" in other:
            rcols.append("close")
        right = other[rcols].dropna(subset=[f])
        if left.empty or right.empty:
            continue
        m = left.merge(right, on=["_sk", date_col], suffixes=("", "_o"))
        if m.empty:
            continue
        a = m[f].to_numpy(float)
        b = m[f"{f}_o"].to_numpy(float)
        bad = _exceeds(a, b, rel, abs_)
        if not bad.any():
            continue
        # shift: does one series match the other moved by one day? Judged on every
        # day both series have (not only the days they share unshifted), from source_a's
        # side, so the verdict does not depend on which source was imported first.
        kind = np.full(len(m), "difference", dtype=object)
        note = np.full(len(m), None, dtype=object)
        shift_of = _shift_verdicts(left, right, date_col, f, rel, abs_, source)
        if not shift_of.empty:
            grp = m["_sk"] + "\x00" + m["source"]
            lag_a = grp.map(shift_of).to_numpy()
            has = pd.notna(lag_a) & bad
            kind[has] = "shift"
            for lag in (1, -1):
                note[has & (lag_a == lag)] = f"{_A_SIDE} matches {_B_SIDE} moved by {lag:+d} day"
        close = None
        if f == "volume_usd" and "close" in m:
            close = m["close"].to_numpy(float)
            if "close_o" in m:
                close = np.vstack([close, m["close_o"].to_numpy(float)])
        unit = _unit(a, b, close) & bad & (kind == "difference")
        kind[unit] = "unit"
        note[unit] = "agrees after a unit factor (1e3, 1e6 or the close)"
        out = pd.DataFrame(
            {
                "dataset": table,
                "asset": m[asset_col].astype(str).to_numpy(),
                "key": m["_sk"].to_numpy(),
                "date": m[date_col].dt.normalize().to_numpy(),
                "field": f,
                "other": m["source"].to_numpy(),
                "a": a,
                "b": b,
                "rel_diff": _rel_diff(a, b),
                "kind": kind,
                "note": note,
            }
        )[bad]
        if table == "funding":
            out["key"] = out["key"] + "@" + m.loc[bad, date_col].dt.strftime("%H:%M").to_numpy()
        found.append(_pairs(out, source))
    return found


def _compare_etf_totals(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, source: str
) -> list[pd.DataFrame]:
    """Holidays, and published totals against other sources' per-fund sums."""
    found: list[pd.DataFrame] = []
    rows = frame.dropna(subset=["flow_usd"])
    rows = rows[rows["flow_usd"] != 0]
    names = _holiday_names(rows["date"])
    hol = rows[names.notna().to_numpy()]
    if not hol.empty:
        out = pd.DataFrame(
            {
                "dataset": "etf_flows",
                "asset": hol["underlying"].astype(str).to_numpy(),
                "key": hol["fund"].astype(str).to_numpy(),
                "date": pd.to_datetime(hol["date"]).to_numpy(),
                "field": "flow_usd",
                "other": _HOLIDAY_SOURCE,
                "a": hol["flow_usd"].to_numpy(float),
                "b": 0.0,
                "rel_diff": 1.0,
                "kind": "difference",
                "note": ("flow booked on an NYSE holiday (" + names[names.notna()] + ")")
                .astype(object)
                .to_numpy(),
            }
        )
        found.append(_pairs(out, source))
    unders = frame["underlying"].dropna().astype(str).unique().tolist()
    if not unders:
        return found
    marks = ", ".join("?" for _ in unders)
    allrows = con.execute(
        f"SELECT source, fund, underlying, date, flow_usd FROM etf_flows "
        f"WHERE underlying IN ({marks}) AND flow_usd IS NOT NULL",
        unders,
    ).df()
    if allrows.empty:
        return found
    allrows["date"] = pd.to_datetime(allrows["date"])
    is_total = allrows["fund"].str.upper().str.startswith("TOTAL-")
    totals = allrows[is_total]
    funds = allrows[~is_total]
    lo, hi = pd.to_datetime(frame["date"]).min(), pd.to_datetime(frame["date"]).max()
    rel, abs_ = TOLERANCES["etf_flows"]["flow_usd"]
    for (t_src, under), t in totals.groupby(["source", "underlying"]):
        t_lo, t_hi = t["date"].min(), t["date"].max()
        for f_src, fr in funds[funds["underlying"] == under].groupby("source"):
            if source not in (t_src, f_src) or t_src == f_src:
                continue
            span_lo = max(t_lo, fr["date"].min(), lo)
            span_hi = min(t_hi, fr["date"].max(), hi)
            if span_lo > span_hi:
                continue
            sums = fr.groupby("date")["flow_usd"].sum()
            tot = t.set_index("date")["flow_usd"]
            days = sums.index.union(tot.index)
            days = days[(days >= span_lo) & (days <= span_hi)]
            a = tot.reindex(days).fillna(0.0).to_numpy(float)
            b = sums.reindex(days).fillna(0.0).to_numpy(float)
            bad = _exceeds(a, b, rel, abs_)
            if not bad.any():
                continue
            mine_is_total = source == t_src
            out = pd.DataFrame(
                {
                    "dataset": "etf_flows",
                    "asset": str(under),
                    "key": f"TOTAL-{under}",
                    "date": days[bad],
                    "field": "total_vs_fund_sum",
                    "other": f_src if mine_is_total else t_src,
                    "a": a[bad] if mine_is_total else b[bad],
                    "b": b[bad] if mine_is_total else a[bad],
                    "rel_diff": _rel_diff(a[bad], b[bad]),
                    "kind": "difference",
                    "note": f"published total ({t_src}) vs sum of funds ({f_src})",
                }
            )
            found.append(_pairs(out, source))
    return found


def _compare_options(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, source: str
) -> list[pd.DataFrame]:
    if frame.empty:
        return []
    ts = pd.to_datetime(frame["snapshot_ts"])
    venues = frame["venue"].astype(str).unique().tolist()
    marks = ", ".join("?" for _ in venues)
    other = con.execute(
        f"SELECT snapshot_ts, venue, instrument, open_interest, mark_iv, source FROM options "
        f"WHERE venue IN ({marks}) AND snapshot_ts BETWEEN ? AND ? AND source <> ?",
        [
            *venues,
            (ts.min() - SNAPSHOT_WINDOW).to_pydatetime(),
            (ts.max() + SNAPSHOT_WINDOW).to_pydatetime(),
            source,
        ],
    ).df()
    if other.empty:
        return []
    other["snapshot_ts"] = pd.to_datetime(other["snapshot_ts"])
    mine = frame.assign(snapshot_ts=ts)
    m = mine.merge(other, on=["venue", "instrument"], suffixes=("", "_o"))
    m = m[(m["snapshot_ts"] - m["snapshot_ts_o"]).abs() <= SNAPSHOT_WINDOW]
    found = []
    for f, (rel, abs_) in TOLERANCES["options"].items():
        sub = m.dropna(subset=[f, f"{f}_o"])
        if sub.empty:
            continue
        a, b = sub[f].to_numpy(float), sub[f"{f}_o"].to_numpy(float)
        bad = _exceeds(a, b, rel, abs_)
        if not bad.any():
            continue
        s = sub[bad]
        out = pd.DataFrame(
            {
                "dataset": "options",
                "asset": s["underlying"].astype(str).to_numpy(),
                "key": (s["venue"].astype(str) + ":" + s["instrument"].astype(str)).to_numpy(),
                "date": s["snapshot_ts"].dt.normalize().to_numpy(),
                "field": f,
                "other": s["source_o"].to_numpy(),
                "a": a[bad],
                "b": b[bad],
                "rel_diff": _rel_diff(a[bad], b[bad]),
                "kind": np.where(_unit(a[bad], b[bad], None), "unit", "difference"),
                "note": None,
            }
        )
        found.append(_pairs(out, source))
    return found


def conflict_asset_column(table: str) -> str | None:
    """The column :func:`detect_conflicts` groups ``table`` by (None: no conflicts kept)."""
    if table == "options":
        return "underlying"
    return _SERIES[table][2] if table in _SERIES else None


def detect_conflicts(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    source: str,
    now: dt.datetime,
) -> int:
    """Recompute the conflicts of ``source``'s batch ``frame`` in ``table``; returns how many.

    Runs inside the ingest's transaction, after the batch was written.
    """
    if frame.empty or (table not in _SERIES and table != "options"):
        return 0
    date_col = "snapshot_ts" if table == "options" else _SERIES[table][1]
    asset_col = "underlying" if table == "options" else _SERIES[table][2]
    dates = pd.to_datetime(frame[date_col])
    lo = dates.min().normalize() - pd.Timedelta(days=1)
    hi = dates.max().normalize() + pd.Timedelta(days=1)
    assets = frame[asset_col].dropna().astype(str).unique().tolist()
    marks = ", ".join("?" for _ in assets)
    con.execute(
        f"DELETE FROM conflicts WHERE dataset = ? AND (source_a = ? OR source_b = ?) "
        f"AND date BETWEEN ? AND ? AND asset IN ({marks})",
        [table, source, source, lo.date(), hi.date(), *assets],
    )
    if table == "options":
        parts = _compare_options(con, frame, source)
    else:
        parts = _compare_series(con, table, frame, source)
        if table == "etf_flows":
            parts += _compare_etf_totals(con, frame, source)
    parts = [p for p in parts if not p.empty]
    if not parts:
        return 0
    out = pd.concat(parts, ignore_index=True)
    out["detected_at"] = now
    out["date"] = pd.to_datetime(out["date"]).dt.date
    out = out[_COLUMNS].drop_duplicates(["dataset", "key", "date", "field", "source_a", "source_b"])
    view = "_conflicts_new"
    con.register(view, out)
    try:
        con.execute(
            f"INSERT OR REPLACE INTO conflicts ({', '.join(_COLUMNS)}) "
            f"SELECT {', '.join(_COLUMNS)} FROM {view}"
        )
    finally:
        con.unregister(view)
    return len(out)
