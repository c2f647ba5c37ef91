"""Assemble a report: run the sections, collect findings, write the narrative."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from altseason.analytics import QualityRules
from altseason.exceptions import DataUnavailableError, ReportError
from altseason.labels import DEMO_LABEL, data_label
from altseason.report._charts import ChartSpec
from altseason.report._findings import Finding, FindingSet
from altseason.report._narrative import Paragraph
from altseason.report._rules import rule_findings
from altseason.report._sections import (
    KEY_FIGURES,
    SECTIONS,
    ReportContext,
    SectionResult,
    Table,
    change_findings,
    headline,
    section_ids,
    write_summary,
)
from altseason.report._sections._base import (
    summarise_sources,
    unavailable_findings,
    underlying_of,
)
from altseason.report._sections._meta import (
    NO_PREVIOUS,
    changes_table,
    judge_conflicts,
    judge_freshness,
    quality_table,
)
from altseason.store import Store, TableStatus
from altseason.universe import check_asof

__all__ = [
    "COMMAND_SECTIONS",
    "Report",
    "ReportSection",
    "broad_asof",
    "build_report",
    "command_findings",
    "default_asof",
    "export_findings",
]

ProgressFn = Callable[[str], None]


@dataclass
class ReportSection:
    """One rendered section: heading, paragraphs, charts and tables."""

    id: str
    title: str
    paragraphs: list[Paragraph]
    charts: list[ChartSpec] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str | None = None


@dataclass
class Report:
    """A complete report, ready to render in any format."""

    asof: pd.Timestamp
    generated_at: dt.datetime
    title: str
    headline: str
    summary: list[Paragraph]
    key_figures: list[Finding]
    sections: list[ReportSection]
    findings: FindingSet
    coverage: list[TableStatus]
    demo: bool
    data_label: str
    previous: Path | None = None
    store: str | None = None
    """The store file the report was built from (``None`` for an in-memory store)."""

    @property
    def charts(self) -> list[ChartSpec]:
        """Every chart in reading order."""
        return [c for s in self.sections for c in s.charts]

    def meta(self) -> dict[str, object]:
        """Metadata stored with the findings JSON."""
        return {
            "asof": str(self.asof.date()),
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "title": self.title,
            "headline": self.headline,
            "demo": self.demo,
            "data_label": self.data_label,
            "previous": None if self.previous is None else str(self.previous),
            "store": self.store,
            "sections": [s.id for s in self.sections],
        }


def store_id(store: Store) -> str | None:
    """The store's file, resolved (how a report names the store it came from)."""
    path = store.path
    return None if path is None else str(Path(path).resolve())


def default_asof(store: Store, today: dt.date | None = None) -> pd.Timestamp:
    """The newest price date on or before ``today`` (UTC), or ``today`` when there is none."""
    ref = pd.Timestamp(today or dt.datetime.now(dt.UTC).date())
    row = store.con.execute(
        "SELECT max(date) FROM prices WHERE date <= ?", [ref.to_pydatetime()]
    ).fetchone()
    if row is None or row[0] is None:
        return ref.normalize()
    return pd.Timestamp(row[0]).normalize()


BROAD_LOOKBACK_DAYS = 365
"""Days before the newest price over which "assets priced daily" are counted."""
BROAD_SHARE = 0.5
"""Share of those assets that must have a close on a day for it to be a broad as-of."""


def broad_asof(store: Store, today: dt.date | None = None) -> tuple[pd.Timestamp, dict[str, Any]]:
    """The default report date: the newest day with a broad cross-section of prices.

    When the newest days of a store come from a few coins (a three-coin price
    file that runs months past hundreds of others), market-wide figures on
    those days would describe three coins. The default as-of is then the
    newest day on which at least :data:`BROAD_SHARE` of the assets priced
    daily over the :data:`BROAD_LOOKBACK_DAYS` before the newest price have a
    close (:func:`altseason.analytics.cross_section_breadth`, the rule of
    ``DivergenceAnalysis.coverage``). Returns the date and the
    ``cross_section_breadth`` dict of the newest price date (``thin``,
    ``priced``, ``recent``, ``broad_asof``); an explicit ``--asof`` is never
    moved.
    """
    from altseason.analytics._divergence_analysis import cross_section_breadth

    newest = default_asof(store, today)
    start = newest - pd.Timedelta(days=BROAD_LOOKBACK_DAYS)
    seen = store.con.execute(
        "SELECT DISTINCT date, asset_id FROM prices "
        "WHERE date BETWEEN ? AND ? AND close IS NOT NULL",
        [start.to_pydatetime(), newest.to_pydatetime()],
    ).df()
    # assets priced daily over the lookback (30+ closes), counted per day
    per_asset = seen["asset_id"].value_counts()
    daily = per_asset.index[per_asset >= min(30, seen["date"].nunique())]
    counts = (
        seen.loc[seen["asset_id"].isin(daily)]
        .groupby(pd.to_datetime(seen["date"]))
        .size()
        .sort_index()
    )
    recent = len(daily)
    info = cross_section_breadth(counts, recent, newest, BROAD_SHARE)
    when = info["broad_asof"] if info["thin"] and info["broad_asof"] is not None else newest
    return pd.Timestamp(when).normalize(), info


def _select(sections: Sequence[str] | None) -> list[str]:
    known = section_ids()
    if not sections:
        return known
    chosen = [s.strip() for s in sections if s.strip()]
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise ReportError(
            f"unknown report section(s) {', '.join(unknown)}; choose from {', '.join(known)}."
        )
    return [s for s in known if s in chosen]


OPTION_CONVENTIONS = ("zone_share", "max_pain_convention")
"""Keys of ``build_report(options=...)``."""


def _check_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The options conventions, checked (``ValueError`` names the fix)."""
    from altseason.analytics._options import convention_problem

    opts = {k: v for k, v in (options or {}).items() if v is not None}
    unknown = sorted(set(opts) - set(OPTION_CONVENTIONS))
    if unknown:
        raise ValueError(
            f"options: unknown key(s) {', '.join(unknown)}; use {', '.join(OPTION_CONVENTIONS)}"
        )
    problem = convention_problem(opts.get("zone_share"), opts.get("max_pain_convention"))
    if problem is not None:
        raise ValueError(f"options: {problem}")
    return opts


def _referenced(paragraphs: Sequence[Paragraph], tables: Sequence[Any]) -> set[str]:
    """Finding ids linked from ``paragraphs`` and table cells."""
    from altseason.report._narrative import Ref

    ids = {r.finding_id for p in paragraphs for sent in p.sentences for r in sent.refs}
    for table in tables:
        for row in table.rows:
            for cell in row:
                if isinstance(cell, Ref):
                    ids.add(cell.finding_id)
                else:
                    ids.update(r.finding_id for r in getattr(cell, "refs", ()))
    return ids


def build_report(
    store: Store,
    *,
    asof: dt.date | str | pd.Timestamp | None = None,
    sections: Sequence[str] | None = None,
    previous: Path | None = None,
    progress: ProgressFn | None = None,
    title: str = "Crypto market note: majors vs small caps",
    rules: QualityRules | None = None,
    options: Mapping[str, Any] | None = None,
    underlyings: Sequence[str] | None = None,
) -> Report:
    """Compute every selected section and write the narrative.

    Parameters
    ----------
    store
        The warehouse to read.
    asof
        Report date; default :func:`broad_asof` (the newest price date, or
        the newest day with a broad cross-section when the newest days hold
        only a few coins). Nothing after it is read.
    sections
        Section ids (default all, see :func:`altseason.report.section_ids`).
    previous
        A previous report's ``findings.json`` to compare with (``changes``).
    progress
        Called with each section id before it is computed.
    rules
        Quality thresholds (default :data:`altseason.analytics.DEFAULT_RULES`):
        every finding gets a status (``ok`` / ``caveat`` / ``unavailable``),
        coverage, freshness and reason; key figures, the headline and the
        summary use only ``ok`` findings.
    options
        Options conventions of the derivatives section: ``zone_share`` (share
        of one side's open interest a put or call zone holds, in (0, 1],
        default 0.5) and ``max_pain_convention`` (headline max pain:
        ``nearest_monthly`` (default), ``nearest`` or ``all_expiries``).
        Non-default values are named in the findings' window.
    underlyings
        Underlyings of the per-underlying sections (flows, derivatives):
        default both BTC and ETH; the dashboard passes the selected one, and
        those sections then hold only its findings, charts, tables and text
        (the same computation, ids and wording as in the full report).

    Raises
    ------
    ReportError
        When ``asof`` is after the newest price in the store, or an
        underlying is not BTC or ETH.

    Returns
    -------
    Report
        Findings, narrative and chart specs; render with
        :func:`altseason.report.write_report`.
    """
    when = pd.Timestamp(asof).normalize() if asof is not None else broad_asof(store)[0]
    check_asof(store, when)
    chosen = _select(sections)
    ctx = ReportContext(store, when, rules, _check_options(options), underlyings)
    fs = FindingSet()
    results: dict[str, SectionResult] = {}
    notes: dict[str, str] = {}
    for sec in SECTIONS:
        if sec.id not in chosen or sec.id == "changes":
            continue
        if progress is not None:
            progress(sec.id)
        try:
            res = sec.compute(ctx)
        except DataUnavailableError as exc:
            res = SectionResult()
            notes[sec.id] = str(exc)
        got = {f.id: f for f in res.findings}
        reason = notes.get(sec.id, "the analysis returned no value for it")
        wanted = [e for e in sec.expected if underlying_of(e[0]) in (None, *ctx.underlyings)]
        res.findings.extend(unavailable_findings(wanted, reason, skip=got))
        fs.extend(res.findings)
        results[sec.id] = res
    judge_freshness(fs, when, ctx.rules)
    judge_conflicts(fs)
    if "coverage" in results:
        table = quality_table(fs)
        if table is not None:
            results["coverage"].tables.append(table)
    if "changes" in chosen:
        if progress is not None:
            progress("changes")
        if previous is not None:
            prev_fs, prev_meta = FindingSet.read_json(previous)
            fs.extend(change_findings(fs, prev_fs, prev_meta, previous))
        else:
            fs.add(
                Finding.unavailable(
                    "changes.previous_asof",
                    "Date of the previous report",
                    NO_PREVIOUS,
                    unit="date",
                )
            )
        table = changes_table(fs)
        results["changes"] = SectionResult(tables=[] if table is None else [table])

    out_sections: list[ReportSection] = []
    for sec in SECTIONS:
        if sec.id not in results:
            continue
        res = results[sec.id]
        out_sections.append(
            ReportSection(
                sec.id,
                sec.title,
                sec.write(fs, underlyings=ctx.underlyings) if sec.per_underlying else sec.write(fs),
                [c for c in res.charts if c.has_data],
                res.tables,
                notes.get(sec.id),
            )
        )
    summary = write_summary(fs.only_ok())
    # the thresholds the narrative's rules printed, so their links resolve (only those:
    # a report of one section or one underlying holds no unrelated rules)
    rules_used = _referenced(
        [p for sec in out_sections for p in sec.paragraphs] + summary,
        [t for sec in out_sections for t in sec.tables],
    )
    fs.extend(f for fid, f in rule_findings().items() if fid in rules_used)
    demo = ctx.is_demo() or fs.is_demo
    sources = sorted({s for st in ctx.status for s in st.sources})
    label = summarise_sources(sources) if not demo else data_label(sources)
    if demo and DEMO_LABEL not in label:
        label = f"{DEMO_LABEL} + {label}"
    return Report(
        asof=when,
        generated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        title=title,
        headline=headline(fs.only_ok()),
        summary=summary,
        key_figures=[fs.get(k) for k in KEY_FIGURES if fs.ok(k)],
        sections=out_sections,
        findings=fs,
        coverage=ctx.status,
        demo=demo,
        data_label=label,
        previous=previous,
        store=store_id(store),
    )


COMMAND_SECTIONS: dict[str, tuple[str, ...]] = {
    "divergence": ("divergence", "sectors"),
    "flows": ("flows",),
    "options": ("derivatives",),
    "support": ("onchain",),
    "events": ("events",),
    "allocate": ("strategy",),
    "backtest": ("strategy",),
    "report": (),
}
"""CLI command -> the report sections whose findings it shows (``()``: all)."""


def command_findings(
    store: Store,
    command: str,
    *,
    asof: dt.date | str | pd.Timestamp | None = None,
    rules: QualityRules | None = None,
) -> tuple[FindingSet, dict[str, object]]:
    """The findings a command shows, computed by the report's own sections.

    The same ids, values, quality and provenance as the report's
    ``findings.json`` for the same store and date: a command never has its
    own copy of a definition.

    Returns
    -------
    (FindingSet, meta)
        Findings (coverage and change findings left out) and the meta dict
        (``asof``, ``command``, ``sections``, ``data_label``, ``demo``).
    """
    if command not in COMMAND_SECTIONS:
        raise ReportError(
            f"unknown command {command!r} for findings; use one of {', '.join(COMMAND_SECTIONS)}."
        )
    sections = COMMAND_SECTIONS[command] or None
    report = build_report(store, asof=asof, sections=sections, rules=rules)
    fs = FindingSet(f for f in report.findings if f.section not in ("coverage", "changes", "rules"))
    meta = report.meta()
    meta["command"] = command
    return fs, meta


def export_findings(
    store: Store,
    command: str,
    path: Path,
    *,
    asof: dt.date | str | pd.Timestamp | None = None,
    rules: QualityRules | None = None,
) -> Path:
    """Write :func:`command_findings` to ``path`` in the findings.json schema."""
    fs, meta = command_findings(store, command, asof=asof, rules=rules)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return fs.write_json(path, **meta)
    except OSError as exc:
        raise ReportError(f"cannot write findings to {path}: {exc}") from exc
