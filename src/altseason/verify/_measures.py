"""Measure -> how to compute it from the store: the one mapping ``verify`` uses.

Each function here reads the store through the same loaders the report uses
(:mod:`altseason.analytics._positioning_data`, i.e. ``Store.read_table`` /
``read_prices``) and calls the same analytics functions
(:func:`~altseason.analytics._returns.drawdown`,
:func:`~altseason.analytics._flows.total_flows`,
:func:`~altseason.analytics._options.options_positioning`,
:func:`~altseason.analytics._positioning_data.support_from_store`,
:func:`~altseason.analytics._macro.m2_yoy`,
:func:`~altseason.analytics._divergence.dominance`,
:func:`~altseason.analytics._correlation.rolling_pair_correlation`).
Where the report has a finding for the same quantity its id is carried in
``finding_ids``.

Every result is a :class:`Computed` with the quality fields of a report
finding: ``status`` (``ok`` / ``caveat`` / ``unavailable``), ``coverage``,
``freshness`` and ``reason``. A series that ends before the claimed period,
starts after it, or is empty makes the result ``unavailable`` (naming what
is missing); a stale or partial input makes it ``caveat``. Only ``ok``
results can support a claim.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from altseason.exceptions import AltseasonError, DataUnavailableError
from altseason.verify._lexicon import SubjectSpec, lexicon
from altseason.verify._periods import Period

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = ["MEASURES", "Computed", "compute", "reading_cache"]

#: Days a daily series may lag a period's end (weekends, holidays, trading days).
DAILY_SLACK = 4
#: Days a monthly series (M2) may lag the claimed date.
MONTHLY_SLACK = 62
#: Days an option snapshot may be away from the claimed date.
SNAPSHOT_SLACK = 1


@dataclass
class Computed:
    """The store's value for one reading of a claim, with its quality.

    Attributes
    ----------
    value
        A number in base units (fractions for returns, USD for flows and
        prices), a ``(low, high)`` pair for a put zone, or ``None``.
    unit
        A finding unit (``return``, ``flow``, ``price``, ``ratio``, ``percent``, ``count``, ``usd``).
    status
        ``ok``, ``caveat`` or ``unavailable`` (as for report findings).
    reason
        Why it is caveated or unavailable.
    coverage, freshness
        What the data cover and how fresh it is for the claimed period.
    provenance
        Store selections behind the value (:meth:`Store.provenance` dicts).
    finding_ids
        Report findings with the same definition.
    method
        The analytics function used.
    label
        This reading ("BTC ETFs, 2025-12-01..2025-12-31").
    spot
        Underlying price of an option snapshot (for the put-zone tolerance).
    """

    value: float | tuple[float, float] | None
    unit: str
    status: str = "ok"
    reason: str | None = None
    coverage: str | None = None
    freshness: str | None = None
    provenance: list[dict[str, Any]] = field(default_factory=list)
    finding_ids: tuple[str, ...] = ()
    method: str | None = None
    label: str = ""
    spot: float | None = None

    @classmethod
    def unavailable(cls, reason: str, *, unit: str = "number", label: str = "") -> Computed:
        return cls(None, unit, "unavailable", reason, label=label)


_CACHE: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar(
    "altseason_verify_cache", default=None
)


@contextlib.contextmanager
def reading_cache() -> Iterator[None]:
    """Reuse series read from the store while checking one note (reads are pure)."""
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def _cached(key: tuple[Any, ...], fn: Callable[[], Any]) -> Any:
    cache = _CACHE.get()
    if cache is None:
        return fn()
    if key not in cache:
        try:
            cache[key] = fn()
        except AltseasonError as exc:
            cache[key] = exc
    got = cache[key]
    if isinstance(got, AltseasonError):
        raise got
    return got


def _narrow(store: Store, prov: dict[str, Any], start: Any, end: Any) -> dict[str, Any]:
    """The same selection as ``prov``, limited to the dates a value used."""
    return _prov(store, prov["table"], start=start, end=end, **dict(prov.get("filters") or {}))


def _d(x: Any) -> dt.date:
    return pd.Timestamp(x).date()


def _prov(store: Store, table: str, start: Any = None, end: Any = None, **f: Any) -> dict[str, Any]:
    key = ("prov", id(store), table, str(start), str(end), tuple(sorted(f.items())))
    return dict(_cached(key, lambda: store.provenance(table, start=start, end=end, **f)))


def _level_at(s: pd.Series, day: dt.date, slack: int, what: str) -> tuple[dt.date, float] | str:
    """The last value on or before ``day``, or why there is none within ``slack`` days."""
    s = s.dropna()
    if s.empty:
        return f"no {what} in the store"
    upto = s.loc[: pd.Timestamp(day)]
    first, last = _d(s.index[0]), _d(s.index[-1])
    if upto.empty:
        return f"{what} start {first}, after {day}"
    d = _d(upto.index[-1])
    if (day - d).days > slack:
        return (
            f"{what} end {last}, before {day}"
            if d == last
            else f"{what} has a gap: last value before {day} is on {d}"
        )
    return d, float(upto.iloc[-1])


def _change(
    series: pd.Series, period: Period, what: str, slack: int = DAILY_SLACK
) -> tuple[float, dt.date, dt.date] | str:
    """Simple return of a level series over ``period`` (close before the start to close at the end)."""
    s = series.dropna()
    if s.empty:
        return f"no {what} in the store"
    base_day = (period.start - dt.timedelta(days=1)) if period.start else _d(s.index[0])
    base = _level_at(s, base_day, slack, what)
    if isinstance(base, str):
        return base
    end = _level_at(s, period.end, slack, what)
    if isinstance(end, str):
        return end
    return end[1] / base[1] - 1.0, base[0], end[0]


# ---------------------------------------------------------------- series loaders
def _asset_close(store: Store, asset: str) -> pd.Series:
    from altseason.analytics._positioning_data import close_from_store

    return _cached(("close", id(store), asset), lambda: close_from_store(store, asset))


def _macro_frame(store: Store, sid: str) -> pd.DataFrame:
    from altseason.analytics._positioning_data import macro_from_store

    frame: pd.DataFrame = _cached(("macro", id(store), sid), lambda: macro_from_store(store, [sid]))
    return frame


def _macro_series(store: Store, subject: SubjectSpec) -> tuple[pd.Series, str]:

    for sid in subject.series:
        try:
            frame = _macro_frame(store, sid)
        except DataUnavailableError:
            continue
        s = frame[sid].dropna()
        if not s.empty:
            return s, sid
    raise DataUnavailableError(
        f"no {subject.id.lower()} series in the store (macro table, series ids "
        f"{', '.join(subject.series)}); import one (e.g. a FRED or Yahoo file) first"
    )


#: Fewest constituents for a tier or sector index to be more than a caveat.
MIN_TIER_MEMBERS = 10
MIN_SECTOR_MEMBERS = 3


def _analysis(store: Store, end: dt.date) -> Any:
    from altseason.analytics import DivergenceAnalysis

    return _cached(
        ("divergence", id(store), end),
        lambda: DivergenceAnalysis.from_store(store, asof=pd.Timestamp(end)),
    )


def _live_members(an: Any, sector: str, end: dt.date) -> int:
    close = an.close.loc[: pd.Timestamp(end)]
    if not len(close):
        return 0
    live = close.iloc[-1].notna().reindex(an.sectors.index, fill_value=False)
    return int(((an.sectors == sector) & live).sum())


def _index_series(
    store: Store, subject: SubjectSpec, end: dt.date
) -> tuple[pd.Series, dict[str, Any], str, str | None]:
    """A tier or sector index level (as the divergence section builds it), with a caveat
    when it has too few constituents on ``end``."""
    an = _analysis(store, end)
    prov = _prov(store, "prices", end=pd.Timestamp(end))
    if subject.kind == "tier":
        tier = subject.tier or ""
        if tier not in an.tier_levels.columns or an.tier_levels[tier].dropna().empty:
            raise DataUnavailableError(
                f"no {tier}-cap tier index: tiers need market caps (prices.market_cap_usd) "
                "for the whole universe, and the store has "
                f"{int(an.market_cap.notna().any().sum())} assets with any"
            )
        labels = an.tiers.loc[: pd.Timestamp(end)]
        members = int((labels.iloc[-1] == tier).sum()) if len(labels) else 0
        caveat = (
            f"the {tier}-cap tier has only {members} constituents on {end}"
            if members < MIN_TIER_MEMBERS
            else None
        )
        return an.tier_levels[tier], prov, f"{tier}-cap tier index", caveat
    sector = subject.sector or ""
    if sector not in an.sector_levels.columns or an.sector_levels[sector].dropna().empty:
        raise DataUnavailableError(
            f"no {sector} sector index: the store has no priced tokens mapped to {sector!r}"
        )
    members = _live_members(an, sector, end)
    caveat = (
        f"the {sector} sector index has only {members} priced constituents on {end}"
        if members < MIN_SECTOR_MEMBERS
        else None
    )
    return an.sector_levels[sector], prov, f"{sector} sector index", caveat


def _price_series(store: Store, subject: SubjectSpec) -> tuple[pd.Series, dict[str, Any], str]:
    if subject.kind == "asset":
        s = _asset_close(store, subject.id)
        return s, _prov(store, "prices", asset_id=subject.id), f"{subject.id} closes"
    if subject.kind == "macro":
        s, sid = _macro_series(store, subject)
        return s, _prov(store, "macro", series_id=sid), f"{subject.id.lower()} ({sid}) closes"
    raise DataUnavailableError(
        f"verify has no price series for {subject.label} ({subject.kind}); tier and sector "
        "index levels need point-in-time market caps and are not mapped yet"
    )


# ---------------------------------------------------------------- measures
def _return(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    caveat = None
    if subject.kind in ("tier", "sector"):
        s, prov, what, caveat = _index_series(store, subject, period.end)
    else:
        s, prov, what = _price_series(store, subject)
    got = _change(s, period, what)
    if isinstance(got, str):
        return Computed.unavailable(got, unit="return")
    r, b, e = got
    return Computed(
        r,
        "return",
        status="caveat" if caveat else "ok",
        reason=caveat,
        coverage=f"close {b} to close {e}",
        freshness=f"last value used {e}",
        provenance=[_narrow(store, prov, b, e)],
        method="close(end) / close(day before start) - 1 (analytics.window_return's definition)",
    )


def _relative(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    """Return of the subject minus the return of the other subject the sentence names."""
    others = [s for s in getattr(claim, "readings_subjects", ()) if s.id != subject.id]
    if not others:
        return Computed.unavailable(
            "the sentence names only one asset; relative performance needs two", unit="pp"
        )
    a = _return(store, subject, period, claim)
    b = _return(store, others[0], period, claim)
    for x, who in ((a, subject), (b, others[0])):
        if x.value is None or x.status != "ok":
            return Computed.unavailable(f"{who.label}: {x.reason}", unit="pp")
    diff = float(a.value) - float(b.value)  # type: ignore[arg-type]
    return Computed(
        diff,
        "pp",
        coverage=f"{subject.label} {float(a.value):+.1%} vs {others[0].label} {float(b.value):+.1%}",  # type: ignore[arg-type]
        freshness=b.freshness,
        provenance=a.provenance + b.provenance,
        method="difference of the two returns over the period",
    )


def _price(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    s, prov, what = _price_series(store, subject)
    got = _level_at(s, period.end, DAILY_SLACK, what)
    if isinstance(got, str):
        return Computed.unavailable(got, unit="price")
    d, v = got
    return Computed(
        v,
        "price",
        coverage=f"close on {d}",
        freshness=f"last value used {d}",
        provenance=[_narrow(store, prov, d, d)],
        method="daily close",
    )


def _drawdown(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    from altseason.analytics._returns import drawdown

    s, prov, what = _price_series(store, subject)
    got = _level_at(s, period.end, DAILY_SLACK, what)
    if isinstance(got, str):
        return Computed.unavailable(got, unit="return")
    d, _ = got
    upto = s.loc[: pd.Timestamp(d)].dropna()
    dd = drawdown(upto)
    peak_day = _d(upto.idxmax())
    return Computed(
        float(dd.iloc[-1]),
        "return",
        coverage=f"{_d(upto.index[0])}..{d}, running peak on {peak_day} ({upto.max():,.0f})",
        freshness=f"last value used {d}",
        provenance=[_narrow(store, prov, None, d)],
        method="analytics.drawdown: close / running peak - 1",
    )


def _flows_panel(store: Store, asset: str) -> tuple[pd.Series, dict[str, Any]]:
    from altseason.analytics._flows import total_flows
    from altseason.analytics._positioning_data import etf_flows_from_store

    panel = _cached(
        ("flows", id(store), asset), lambda: etf_flows_from_store(store, underlying=asset)
    )
    return total_flows(panel), _prov(store, "etf_flows", underlying=asset)


def _all_flows(store: Store) -> tuple[pd.Series, dict[str, Any]]:
    """Total daily flow of every ETF group in the store (days any group traded)."""
    unders = sorted(
        {
            str(u).upper()
            for u in store.read_table("etf_flows", columns=["underlying"])["underlying"]
        }
    )
    parts = [_flows_panel(store, u)[0] for u in unders]
    total = pd.concat(parts, axis=1).fillna(0.0).sum(axis=1).sort_index()
    return total, _prov(store, "etf_flows")


def _flows(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    asset = subject.asset or "BTC"
    total, prov = _all_flows(store) if asset == "ALL" else _flows_panel(store, asset)
    first, last = _d(total.index[0]), _d(total.index[-1])
    start = period.start or first
    if last < period.end - dt.timedelta(days=DAILY_SLACK):
        return Computed.unavailable(
            f"{asset} ETF flows in the store end {last}, before the period's end {period.end}",
            unit="flow",
        )
    if period.start is not None and first > start + dt.timedelta(days=DAILY_SLACK + 3):
        return Computed.unavailable(
            f"{asset} ETF flows in the store start {first}, after the period's start {start}",
            unit="flow",
        )
    sel = total.loc[pd.Timestamp(start) : pd.Timestamp(period.end)]
    prov = _narrow(store, prov, start, period.end)
    return Computed(
        float(sel.sum()),
        "flow",
        coverage=f"{len(sel)} flow days {sel.index[0].date() if len(sel) else start}..{sel.index[-1].date() if len(sel) else period.end}",
        freshness=f"flows in the store end {last}",
        provenance=[prov],
        finding_ids=("flows.net_flow",)
        if period.kind == "window"
        else ("flows.cumulative_flow",)
        if period.start is None
        else (),
        method="analytics.total_flows(flows_by_fund) summed over the period",
    )


def _aum(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    asset = subject.asset or "BTC"
    raw = store.read_table("etf_flows", end=pd.Timestamp(period.end), underlying=asset)
    raw = raw.loc[~raw["fund"].astype(str).str.upper().str.startswith("TOTAL-")]
    aum = raw.dropna(subset=["aum_usd"])
    if aum.empty:
        return Computed.unavailable(
            f"the store has no assets-under-management values (etf_flows.aum_usd) for {asset} ETFs",
            unit="usd",
        )
    last = aum.sort_values("date").groupby("fund").tail(1)
    newest = _d(last["date"].max())
    if (period.end - newest).days > DAILY_SLACK:
        return Computed.unavailable(
            f"{asset} ETF AUM in the store ends {newest}, before {period.end}", unit="usd"
        )
    return Computed(
        float(last["aum_usd"].sum()),
        "usd",
        coverage=f"{len(last)} funds, last values up to {newest}",
        provenance=[_prov(store, "etf_flows", end=pd.Timestamp(period.end), underlying=asset)],
        method="sum of each fund's latest aum_usd",
    )


def _positioning(
    store: Store, subject: SubjectSpec, period: Period
) -> tuple[Any, dict[str, Any]] | str:
    from altseason.analytics._options import options_positioning
    from altseason.analytics._positioning_data import options_from_store

    opts = _cached(
        ("options", id(store), subject.id), lambda: options_from_store(store, underlying=subject.id)
    )
    snaps = sorted({pd.Timestamp(t) for t in opts["snapshot_ts"].unique()})
    target = pd.Timestamp(period.end)
    near = [t for t in snaps if abs((t.normalize() - target).days) <= SNAPSHOT_SLACK]
    if not near:
        before = [t for t in snaps if t.normalize() <= target]
        have = f"the nearest is {before[-1]}" if before else f"the first is {snaps[0]}"
        return (
            f"no {subject.id} option snapshot within {SNAPSHOT_SLACK} day of {period.end} ({have})"
        )
    snap = min(near, key=lambda t: abs((t.normalize() - target).days))
    pos = _cached(
        ("positioning", id(store), subject.id, snap),
        lambda: options_positioning(opts, underlying=subject.id, snapshot=snap),
    )
    prov = _prov(store, "options", start=snap, end=snap, underlying=subject.id)
    return pos, prov


def _options_measure(name: str) -> Callable[[Store, SubjectSpec, Period, Any], Computed]:
    def run(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
        got = _positioning(store, subject, period)
        if isinstance(got, str):
            return Computed.unavailable(got, unit="price")
        pos, prov = got
        spec = lexicon().measures[name]
        cov = f"snapshot {pos.snapshot_ts}, {len(pos.expiries)} expiries, spot {pos.spot:,.0f}"
        value: float | tuple[float, float] | None
        unit = "price"
        if name == "call_wall":
            value = pos.call_wall
        elif name == "put_zone":
            value = (pos.put_zone.low, pos.put_zone.high)
        elif name == "max_pain":
            value = pos.max_pain
        elif name == "put_call":
            value, unit = pos.put_call_oi, "ratio"
        else:  # oi_strike
            strike = getattr(claim, "strike", None)
            table = pos.oi_by_strike
            if strike is None or strike not in table.index:
                return Computed.unavailable(
                    f"no strike {strike} in the {pos.snapshot_ts} chain"
                    if strike
                    else "the claim names no strike",
                    unit="count",
                )
            if claim.unit == "usd":
                value, unit = float(table.loc[strike, "total_notional_usd"]), "usd"
            else:
                value, unit = float(table.loc[strike, "total_oi"]), "count"
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return Computed.unavailable(
                f"the {pos.snapshot_ts} chain gives no {name.replace('_', ' ')}", unit=unit
            )
        return Computed(
            value,
            unit,
            coverage=cov,
            freshness=f"snapshot {pos.snapshot_ts}",
            provenance=[prov],
            finding_ids=spec.finding_ids,
            method="analytics.options_positioning (all expiries of the snapshot)",
            spot=float(pos.spot),
        )

    return run


def _support(kind: str) -> Callable[[Store, SubjectSpec, Period, Any], Computed]:
    def run(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
        from altseason.analytics._positioning_data import support_from_store

        asset = subject.asset or subject.id
        bands, _cb = support_from_store(store, asset, end=pd.Timestamp(period.end))
        col = "realized_price" if kind == "realized_price" else "etf_cost_basis"
        if col not in bands.columns:
            what = (
                "realized price (onchain realized_price_usd, realized_cap_usd/supply or mvrv)"
                if kind == "realized_price"
                else "ETF flows to build a cost basis"
            )
            return Computed.unavailable(f"the store has no {asset} {what}", unit="price")
        got = _level_at(bands[col], period.end, DAILY_SLACK, f"{asset} {col.replace('_', ' ')}")
        if isinstance(got, str):
            return Computed.unavailable(got, unit="price")
        d, v = got
        tables = ["onchain", "prices"] if kind == "realized_price" else ["etf_flows", "prices"]
        provs = [_prov(store, t, end=pd.Timestamp(period.end)) for t in tables]
        return Computed(
            v,
            "price",
            coverage=f"value on {d}",
            freshness=f"last value used {d}",
            provenance=provs,
            finding_ids=lexicon().measures[kind].finding_ids,
            method="analytics.support_from_store"
            + (" (holders_cost_basis)" if kind == "cost_basis" else ""),
        )

    return run


def _fear_greed(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    from altseason.analytics._positioning_data import sentiment_from_store

    s = sentiment_from_store(store, "fear_greed")
    got = _level_at(s, period.end, 1, "Fear & Greed values")
    if isinstance(got, str):
        return Computed.unavailable(got, unit="count")
    d, v = got
    return Computed(
        v, "count", coverage=f"value on {d}", freshness=f"last value used {d}",
        provenance=[_prov(store, "sentiment", index_id="fear_greed")],
        finding_ids=("sentiment.fear_greed",), method="sentiment table, index fear_greed",
    )  # fmt: skip


def _m2_growth(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    from altseason.analytics._macro import m2_yoy

    s, sid = _macro_series(store, subject)
    got = _level_at(m2_yoy(s), period.end, MONTHLY_SLACK, f"M2 ({sid}) year-on-year growth")
    if isinstance(got, str):
        return Computed.unavailable(got, unit="percent")
    d, v = got
    return Computed(
        v, "percent", coverage=f"month {d}", freshness=f"newest M2 month {d}",
        provenance=[_prov(store, "macro", series_id=sid)], finding_ids=("macro.m2_yoy",),
        method="analytics.m2_yoy",
    )  # fmt: skip


def _dominance(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    from altseason.analytics._divergence import dominance

    mcap = store.read_prices("market_cap_usd", end=pd.Timestamp(period.end))
    mcap = mcap.dropna(axis=1, how="all")
    if mcap.empty or "BTC" not in mcap.columns:
        return Computed.unavailable(
            "the store has no market caps (prices.market_cap_usd) for BTC and the rest of the market",
            unit="percent",
        )
    got = _level_at(dominance(mcap), period.end, DAILY_SLACK, "BTC dominance")
    if isinstance(got, str):
        return Computed.unavailable(got, unit="percent")
    d, v = got
    status, reason = "ok", None
    if mcap.shape[1] < 20:
        status, reason = (
            "caveat",
            f"only {mcap.shape[1]} assets have market caps; dominance needs the whole market",
        )
    return Computed(
        v, "percent", status=status, reason=reason, coverage=f"{mcap.shape[1]} assets with market caps",
        freshness=f"value on {d}", provenance=[_prov(store, "prices", end=pd.Timestamp(period.end))],
        finding_ids=("divergence.dominance",), method="analytics.dominance",
    )  # fmt: skip


def _correlation(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    from altseason.analytics._correlation import rolling_pair_correlation

    others = [s for s in getattr(claim, "readings_subjects", ()) if s.id != subject.id]
    other = others[0] if others else (lexicon().subjects["BTC"] if subject.id != "BTC" else None)
    if other is None:
        return Computed.unavailable("the sentence names only one series to correlate", unit="ratio")
    a, pa, _ = _price_series(store, subject)
    b, pb, _ = _price_series(store, other)
    la = np.log(a.dropna()).diff().dropna()
    lb = np.log(b.dropna()).diff().dropna()
    # as the report does: on the dates of the series with fewer (trading) days
    common = la.index.intersection(lb.index)
    la, lb = la.reindex(common), lb.reindex(common)
    if period.kind == "day":
        # a correlation "on" a day: the report's definition, 90 observations to that day
        window, start = 90, period.end
    else:
        start = period.start or _d(la.index[0])
        inside = (la.index >= pd.Timestamp(start)) & (la.index <= pd.Timestamp(period.end))
        window = min(int(inside.sum()), 90)
    if window < 20:
        return Computed.unavailable(
            f"only {window} common daily returns of {subject.id} and {other.id} in the period",
            unit="ratio",
        )
    days = window
    pair = rolling_pair_correlation(la, lb, window=window).dropna()
    pair_ids = {"BTC": subject.id, "X": other.id}
    ids: tuple[str, ...] = ()
    if window == 90 and "BTC" in pair_ids.values():
        x = other.id if subject.id == "BTC" else subject.id
        ids = {"GOLD": ("cross_asset.btc_gold_corr",), "SPX": ("cross_asset.btc_spx_corr",)}.get(
            x, ()
        )
    got = _level_at(pair, period.end, DAILY_SLACK, f"{subject.id}/{other.id} correlation")
    if isinstance(got, str):
        return Computed.unavailable(got, unit="ratio")
    d, v = got
    return Computed(
        v, "ratio", coverage=f"{days} common daily log returns to {d}", freshness=f"value on {d}",
        provenance=[pa, pb], finding_ids=ids,
        method="analytics.rolling_pair_correlation on daily log returns (common dates)",
    )  # fmt: skip


def _spread(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    """Best minus worst equal-weighted sector return over the period (the sector spread)."""
    an = _analysis(store, period.end)
    rets: dict[str, float] = {}
    members: dict[str, int] = {}
    for sector in an.sector_levels.columns:
        if sector == "stablecoin":
            continue
        got = _change(an.sector_levels[sector], period, f"{sector} sector index")
        if isinstance(got, str):
            continue
        rets[sector] = got[0]
        members[sector] = _live_members(an, sector, period.end)
    if len(rets) < 2:
        return Computed.unavailable(
            f"fewer than two sector indices cover {period.to_text()} (the store has priced "
            f"tokens in {len(rets)} mapped sectors)",
            unit="pp",
        )
    best = max(rets, key=lambda k: rets[k])
    worst = min(rets, key=lambda k: rets[k])
    thin = [k for k in (best, worst) if members[k] < MIN_SECTOR_MEMBERS]
    reason = None
    problems = ([f"only {len(rets)} sectors with data"] if len(rets) < 4 else []) + (
        [f"fewer than {MIN_SECTOR_MEMBERS} tokens in {', '.join(thin)}"] if thin else []
    )
    reason = "; ".join(problems) or None
    return Computed(
        rets[best] - rets[worst],
        "pp",
        status="caveat" if reason else "ok",
        reason=reason,
        coverage=(
            f"{len(rets)} sectors; best {best} {rets[best]:+.1%}, worst {worst} {rets[worst]:+.1%}"
        ),
        provenance=[_prov(store, "prices", end=pd.Timestamp(period.end))],
        method="DivergenceAnalysis.sector_levels: best minus worst return over the period",
    )


def _capitulation(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
    """The report's capitulation score (BTC close, volume, Fear & Greed) on the period's end."""
    from altseason.analytics._positioning_data import sentiment_from_store
    from altseason.analytics._sentiment import capitulation_score

    asset = subject.id if subject.kind == "asset" else "BTC"
    close = _asset_close(store, asset)
    vol = store.read_prices("volume_usd", assets=[asset])[asset].dropna()
    try:
        fg = sentiment_from_store(store, "fear_greed")
    except DataUnavailableError:
        fg = None
    cap = capitulation_score(close, volume=vol if len(vol) else None, fear_greed=fg)
    got = _level_at(cap["score"], period.end, DAILY_SLACK, f"{asset} capitulation score")
    if isinstance(got, str):
        return Computed.unavailable(got, unit="ratio")
    d, v = got
    parts = [c for c in cap.columns if c != "score"]
    used = [c for c in parts if pd.notna(cap.loc[pd.Timestamp(d), c])]
    reason = None
    if len(used) < 2:
        reason = f"only {', '.join(used) or 'no'} component(s) available on {d}"
    provs = [_prov(store, "prices", asset_id=asset)]
    if fg is not None:
        provs.append(_prov(store, "sentiment", index_id="fear_greed"))
    return Computed(
        v,
        "ratio",
        status="caveat" if reason else "ok",
        reason=reason,
        coverage=f"components {', '.join(used)} on {d}",
        freshness=f"value on {d}",
        provenance=provs,
        finding_ids=("sentiment.capitulation",),
        method="analytics.capitulation_score",
    )


def _not_mapped(what: str) -> Callable[[Store, SubjectSpec, Period, Any], Computed]:
    def run(store: Store, subject: SubjectSpec, period: Period, claim: Any) -> Computed:
        return Computed.unavailable(what)

    return run


#: measure id -> computation (the one place that says how each measure is computed).
MEASURES: dict[str, Callable[[Store, SubjectSpec, Period, Any], Computed]] = {
    "return": _return,
    "relative": _relative,
    "price": _price,
    "drawdown": _drawdown,
    "flows": _flows,
    "aum": _aum,
    "call_wall": _options_measure("call_wall"),
    "put_zone": _options_measure("put_zone"),
    "max_pain": _options_measure("max_pain"),
    "put_call": _options_measure("put_call"),
    "oi_strike": _options_measure("oi_strike"),
    "realized_price": _support("realized_price"),
    "cost_basis": _support("cost_basis"),
    "fear_greed": _fear_greed,
    "m2_growth": _m2_growth,
    "dominance": _dominance,
    "correlation": _correlation,
    "spread": _spread,
    "capitulation": _capitulation,
}


def compute(
    store: Store, measure: str, subject: SubjectSpec, period: Period, claim: Any = None
) -> Computed:
    """The store's value of ``measure`` for ``subject`` over ``period``.

    Missing data never raises: the result is ``unavailable`` with the reason
    (which table, series or dates are missing).
    """
    label = f"{subject.label}, {period.to_text()}"
    fn = MEASURES.get(measure)
    if fn is None:
        return Computed.unavailable(f"no computation for measure {measure!r}", label=label)
    if (subject.kind in ("sectors", "market") or subject.id == "ALTCOINS") and measure in (
        "return",
        "price",
        "drawdown",
    ):
        return Computed.unavailable(
            f"verify has no single index for {subject.label.lower().replace('_', ' ')}; "
            "name a tier (small caps, mid caps, ...) or a sector",
            label=label,
        )
    if subject.kind in ("tier", "sector") and measure in ("price", "drawdown"):
        return Computed.unavailable(
            f"verify checks returns of the {subject.label.lower().replace('_', ' ')} index, "
            f"not its {measure}",
            label=label,
        )
    try:
        out = fn(store, subject, period, claim)
    except DataUnavailableError as exc:
        out = Computed.unavailable(str(exc))
    except AltseasonError as exc:
        out = Computed.unavailable(f"could not compute: {exc}")
    out.label = label
    if not out.finding_ids:
        out.finding_ids = ()
    return out
