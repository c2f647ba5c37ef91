"""Dashboard page payloads, built on the report machinery.

Each dashboard page is a view of one or more report sections
(:data:`PAGE_SECTIONS`): :func:`build_page` runs
:func:`altseason.report.build_report` for those sections at the requested
date and converts what it returns into JSON for ``/static/app.js``:

* ``paragraphs``: the sections' narrative as plain text (on the overview,
  the headline and the summary);
* ``findings``: :meth:`Finding.to_dict` plus ``text`` (the value formatted by
  its unit) and ``available``; on the overview only the key figures;
* ``charts``: ``{id, title, caption, figure}`` with the Plotly figure of
  :func:`altseason.report._charts.to_plotly_dict` (plain JSON) (demo charts carry the
  watermark);
* ``tables``: the sections' small tables as text cells.

Filters
-------
``asof``
    Clamped to the store: a date after the last price is read as the last
    price date and the answer says so (``freshness``: "data ends on ...",
    also the reason of every finding, which becomes a caveat; see
    :func:`asof_freshness`), a date between two price dates as the earlier one. A date
    before the first price is refused with :class:`ParamError` (HTTP 400)
    naming the range the store covers.
``assets``
    Adds a chart of the chosen assets' closes over the 365 days to ``asof``
    (or from ``start``), rebased to 100, and their 30- and 90-day returns
    (:func:`altseason.analytics.window_return`). Ids without prices in the
    store are refused with :class:`ParamError` naming them.
``underlying``
    BTC or ETH, on the pages of :data:`UNDERLYING_PAGES` (ETF flows, options):
    the page is the report's section built for that underlying alone
    (``build_report(..., underlyings=[underlying])``), so its findings,
    charts, tables and text are the report's own for that underlying (BTC:
    ``flows.*``, ``derivatives.*``; ETH: ``flows.eth.*``,
    ``derivatives.eth.*``) and none of the other's. ETH with no data in the
    store gives unavailable findings and a paragraph saying so, never BTC
    numbers. The other pages cover the whole market (or BTC alone): their
    payload has ``underlying`` null and ``underlying_note`` saying so
    (:func:`altseason.dashboard._params.scope_note`), and the selector is
    disabled there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from altseason.dashboard._params import PAGES, UNDERLYING_PAGES, PageParams, ParamError, scope_note
from altseason.exceptions import DataUnavailableError
from altseason.labels import data_label as label_of
from altseason.labels import is_demo
from altseason.report import (
    ChartSpec,
    Finding,
    Paragraph,
    Report,
    Trace,
    broad_asof,
    build_report,
    default_asof,
    format_value,
    plain_text,
)
from altseason.report._charts import to_plotly_dict
from altseason.report._sections import ReportContext, Table
from altseason.report._sections._base import finding
from altseason.store import Store

__all__ = [
    "OVERVIEW_CHARTS",
    "PAGE_SECTIONS",
    "asof_freshness",
    "build_page",
    "chart_payload",
    "finding_payload",
    "resolve_asof",
]

PAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "overview": ("divergence", "flows", "derivatives", "onchain", "macro"),
    "divergence": ("divergence", "sectors"),
    "flows": ("flows",),
    "options": ("derivatives",),
    "support": ("onchain",),
    "macro": ("macro", "events"),
    "correlation": ("correlation", "cross_asset"),
    "strategy": ("strategy",),
}
"""Page id -> the report sections it shows (the overview: headline, summary, key figures)."""

OVERVIEW_CHARTS: tuple[str, ...] = (
    "altseason-index",
    "relative-strength",
    "etf-flows",
    "support-bands",
)
"""Report charts shown on the overview, in this order (those the report drew)."""

ASSET_WINDOWS: tuple[int, ...] = (30, 90)
"""Return windows (calendar days) reported for the ``assets`` filter."""

HEATMAP_TEXT_MAX = 14
"""Heatmaps with at most this many columns print each cell's value."""

ASSET_CHART_DAYS = 365
"""Default look-back of the selected-assets chart (calendar days)."""


# ---------------------------------------------------------------------- conversion
def finding_payload(f: Finding) -> dict[str, Any]:
    """A finding as JSON: :meth:`Finding.to_dict` plus ``text`` and ``available``."""
    d = f.to_dict()
    d["available"] = f.available
    d["text"] = format_value(f.value, f.unit) if f.available else "not available"
    return d


def chart_payload(spec: ChartSpec) -> dict[str, Any]:
    """A chart as JSON: ``id``, ``title``, ``caption`` (source line) and the Plotly figure.

    The figure is :func:`altseason.report._charts.to_plotly_dict` (plain JSON in
    Plotly's schema, built without ``plotly.graph_objects``). A demo chart's
    label is the figure's subtitle (and the report's watermark).
    """
    figure = to_plotly_dict(spec)
    caption = spec.source
    # the page prints the source line under the chart (a figcaption), so the figure
    # drops it and the room kept for it; the legend stays above the plot
    layout = figure["layout"]
    layout["annotations"] = [a for a in layout.get("annotations", []) if a.get("name") != "source"]
    layout["margin"] = {**layout.get("margin", {}), "b": 64}
    for trace in figure["data"]:
        if trace.get("type") == "heatmap":
            # plotly.js styles heatmap images and colour bars through style attributes,
            # which the CSP blocks: draw cells with gaps, label them, drop the colour bar.
            trace.update(xgap=1, ygap=1, showscale=False)
            if len(trace.get("x") or ()) <= HEATMAP_TEXT_MAX:
                trace.update(texttemplate="%{z:.2f}", textfont={"size": 10})
            caption = (
                f"Colour scale from {spec.zmin:g} (blue) to {spec.zmax:g} (red). {spec.source}"
            )
            # to_plotly sets a linear y axis, which puts the asset names at NaN
            layout.setdefault("yaxis", {})["type"] = "category"
            layout.setdefault("xaxis", {})["type"] = "category"
    return {"id": spec.id, "title": spec.full_title, "caption": caption, "figure": figure}


def _table_payload(t: Table) -> dict[str, Any]:
    return {
        "title": t.title,
        "columns": list(t.columns),
        "rows": [[c if isinstance(c, str) else c.text for c in row] for row in t.rows],
    }


def _paragraphs(paragraphs: Sequence[Paragraph]) -> list[str]:
    return [plain_text([p]) for p in paragraphs if p]


# ---------------------------------------------------------------------- asof
def _price_range(store: Store) -> tuple[pd.Timestamp, pd.Timestamp]:
    row = store.con.execute("SELECT min(date), max(date) FROM prices").fetchone()
    if row is None or row[0] is None:
        raise DataUnavailableError(
            "the store holds no prices: run `altseason demo` or `altseason import` first."
        )
    return pd.Timestamp(row[0]).normalize(), pd.Timestamp(row[1]).normalize()


def resolve_asof(store: Store, requested: Any = None) -> pd.Timestamp:
    """The price date a page is computed at.

    Parameters
    ----------
    store
        The warehouse.
    requested
        The ``asof`` parameter, or ``None`` for the newest price date on or
        before today (UTC).

    Returns
    -------
    Timestamp
        The newest price date on or before ``requested`` (so a date after the
        data is clamped to the last price date).

    Raises
    ------
    ParamError
        When ``requested`` is before the first price in the store.
    DataUnavailableError
        When the store holds no prices.
    """
    first, last = _price_range(store)
    if requested is None:
        when = broad_asof(store)[0]  # the report's default: the newest broad day
        return when if first <= when <= last else last
    ts = pd.Timestamp(requested).normalize()
    if ts < first:
        raise ParamError(
            f"asof {ts.date()} is before the first price in the store; "
            f"choose a date from {first.date()} to {last.date()}"
        )
    return default_asof(store, today=ts.date())


def asof_freshness(requested: Any, asof: pd.Timestamp, last: pd.Timestamp) -> dict[str, Any] | None:
    """The caveat of a page asked for a date after the store's last price, else ``None``.

    The CLI refuses such a date (``universe.check_asof``); the dashboard shows
    the last price date instead and says so: ``{"requested", "asof",
    "data_ends", "note"}`` with the note "data ends on <last>; showing <last>
    instead of <requested>".
    """
    if requested is None:
        return None
    ts = pd.Timestamp(requested).normalize()
    if ts <= last:
        return None
    note = f"data ends on {last.date()}; showing {asof.date()} instead of {ts.date()}"
    return {
        "requested": str(ts.date()),
        "asof": str(asof.date()),
        "data_ends": str(last.date()),
        "note": note,
    }


# ---------------------------------------------------------------------- assets filter
def _check_assets(store: Store, assets: Sequence[str]) -> None:
    rows = store.con.execute(
        "SELECT DISTINCT asset_id FROM prices WHERE list_contains(?, asset_id)", [list(assets)]
    ).fetchall()
    known = {r[0] for r in rows}
    unknown = [a for a in assets if a not in known]
    if unknown:
        raise ParamError(
            f"unknown asset id(s) {', '.join(unknown)}: the store has no prices for them "
            "(use ids such as BTC, ETH; see `altseason status`)"
        )


def _asset_extras(
    ctx: ReportContext, assets: Sequence[str], start: Any = None
) -> tuple[list[Finding], list[ChartSpec]]:
    """Returns and a rebased chart of the chosen assets (see the module docstring)."""
    from altseason.analytics import window_return

    asof = ctx.asof
    first = (
        pd.Timestamp(start)
        if start is not None
        else asof - pd.Timedelta(days=max(ASSET_CHART_DAYS, *ASSET_WINDOWS))
    )
    panel = ctx.store.read_prices("close", assets=list(assets), start=first, end=asof)
    findings: list[Finding] = []
    provs = {a: ctx.prov("prices", start=first, asset_id=a) for a in assets}
    for days in ASSET_WINDOWS:
        rets = (
            window_return(panel, days, asof)
            if not panel.empty
            else pd.Series(float("nan"), index=list(assets))
        )
        for a in assets:
            findings.append(
                finding(
                    f"assets.{a}.return_{days}d",
                    f"{a} {days}-day return",
                    rets.get(a),
                    "return",
                    provenance=[provs[a]],
                    asof=asof,
                    window=f"{days}d",
                    method="analytics.window_return (close to close)",
                )
            )
    traces = []
    for a in assets:
        s = panel[a].dropna() if a in panel.columns else pd.Series(dtype=float)
        if s.empty:
            continue
        traces.append(Trace.from_series(s / s.iloc[0] * 100.0, name=a))
    charts = []
    if traces:
        charts.append(
            ChartSpec(
                id="selected-assets",
                title="Selected assets, rebased to 100",
                x_label="date",
                y_label="close, rebased (first day = 100)",
                traces=traces,
                source=ctx.source_line("prices", extra=f"from {panel.index[0].date()}"),
                demo=is_demo(s for p in provs.values() for s in p.sources),
            )
        )
    return findings, charts


# ---------------------------------------------------------------------- pages
def _report(store: Store, page: str, asof: pd.Timestamp, params: PageParams) -> Report:
    """The report sections of ``page``, for the selected underlying where the page follows it."""
    sections = PAGE_SECTIONS[page]
    underlyings = [params.underlying] if page in UNDERLYING_PAGES else None
    return build_report(store, asof=asof, sections=list(sections), underlyings=underlyings)


def build_page(store: Store, page: str, params: PageParams) -> dict[str, Any]:
    """The JSON payload of one dashboard page (see the module docstring).

    Parameters
    ----------
    store
        The warehouse (read-only is enough).
    page
        A page id of :data:`altseason.dashboard.PAGES`.
    params
        Validated filters.

    Returns
    -------
    dict
        ``asof`` (ISO date the page is computed at), ``first_date`` and
        ``last_date`` (the store's price range), ``freshness`` (null, or the
        caveat of an ``asof`` after the data: :func:`asof_freshness`), ``underlying`` (the
        selected one on the pages that follow it, else null), ``underlying_note`` (else,
        what the page covers instead), ``headline``
        (overview only, else empty), ``paragraphs``, ``findings``, ``charts``,
        ``tables``, ``sections`` (``id, title, note``) and ``data_label``; the
        app adds ``page``, ``title``, ``demo`` and ``label``.

    Raises
    ------
    ParamError
        Unknown page, ``asof`` before the data, or asset ids without prices.
    """
    if page not in PAGES:
        raise ParamError(f"unknown page {page[:40]!r}; use one of {', '.join(PAGES)}")
    if params.assets:
        _check_assets(store, params.assets)
    asof = resolve_asof(store, params.asof)
    first, last = _price_range(store)
    report = _report(store, page, asof, params)
    ctx = ReportContext(store, asof)
    findings: list[Finding] = []
    charts: list[ChartSpec] = []
    paragraphs: list[str] = []
    tables: list[dict[str, Any]] = []
    headline = report.headline if page == "overview" else ""
    sections = [{"id": s.id, "title": s.title, "note": s.note} for s in report.sections]
    if page == "overview":
        paragraphs = _paragraphs(report.summary)
        findings = list(report.key_figures)
        by_id = {c.id: c for c in report.charts}
        charts = [by_id[c] for c in OVERVIEW_CHARTS if c in by_id]
    else:
        for s in report.sections:
            if s.note and not s.paragraphs:  # not computed, and no sentence says why
                paragraphs.append(f"{s.title}: not available ({s.note}).")
            paragraphs += _paragraphs(s.paragraphs)
            charts += s.charts
            tables += [_table_payload(t) for t in s.tables]
        findings = list(report.findings)
    data_label = report.data_label
    if params.assets:
        extra_f, extra_c = _asset_extras(ctx, params.assets, params.start)
        findings += extra_f
        charts = [*extra_c, *charts]
    if not data_label:
        data_label = label_of(s for st in ctx.status for s in st.sources)
    freshness = asof_freshness(params.asof, asof, last)
    shown = [finding_payload(f) for f in findings]
    if freshness is not None:
        for d in shown:  # every finding says it, as the CLI's refusal would
            if d["status"] == "ok":
                d["status"] = "caveat"
                d["reason"] = freshness["note"]
    return {
        "asof": str(asof.date()),
        "first_date": str(first.date()),
        "last_date": str(last.date()),
        "underlying": params.underlying if page in UNDERLYING_PAGES else None,
        "underlying_note": scope_note(page),
        "headline": headline,
        "paragraphs": paragraphs,
        "freshness": freshness,
        "findings": shown,
        "charts": [chart_payload(c) for c in charts],
        "tables": tables,
        "sections": sections,
        "data_label": data_label,
    }
