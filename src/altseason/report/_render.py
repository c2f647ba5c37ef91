"""Render a :class:`Report` as offline HTML, Markdown with PNG charts, and PDF.

* HTML: one self-contained file. plotly.js is inlined once in ``<head>``;
  each chart is a div drawn by ``Plotly.newPlot`` with no CDN, no fonts and
  no network. Every number is ``<a class="f" href="#f-<id>">`` pointing at
  its row in the provenance appendix.
* Markdown: the same text with ``[62%](#f-<id>)`` links and PNG charts in
  the sibling folder ``report_files/``.
* PDF: fpdf2 with the DejaVu Sans font shipped by matplotlib (Unicode), the
  PNG charts, the narrative and both appendices; numbers link internally
  to the appendix.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

from altseason._escape import (
    escape_line_start,
    escape_markdown,
    escape_pdf_markdown,
    markdown_anchor,
)
from altseason.exceptions import ReportError
from altseason.labels import DEMO_LABEL
from altseason.report._build import Report
from altseason.report._charts import ChartSpec, to_plotly, to_png
from altseason.report._findings import Finding, FindingSet, Provenance
from altseason.report._narrative import Paragraph, Ref, Sentence, Token, sentence_text
from altseason.report._rules import RULES_GROUP, RULES_TITLE
from altseason.report._sections import Table
from altseason.report._sections._base import Cell, Run, summarise_sources

__all__ = [
    "FORMATS",
    "narrative_markdown",
    "plain_text",
    "render_html",
    "render_markdown",
    "render_pdf",
    "write_charts_png",
    "write_report",
]

FORMATS: tuple[str, ...] = ("html", "md", "pdf")
FILES_DIR = "report_files"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("altseason")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "dev"


def _template(name: str) -> str:
    return resources.files("altseason.report").joinpath("templates", name).read_text("utf-8")


# ---------------------------------------------------------------------- appendix rows
def _short_sources(sources: Sequence[str], limit: int = 4) -> str:
    """``a, b, c, d +12 more`` for long source lists (one file per source)."""
    items = list(sources)
    text = ", ".join(items[:limit])
    return text + (f" +{len(items) - limit} more" if len(items) > limit else "")


def _prov_cells(f: Finding) -> dict[str, str]:
    return _prov_text(f.provenance)


def _prov_text(provenance: Sequence[Provenance]) -> dict[str, str]:
    tables = "; ".join(
        f"{p.table} ({p.rows:,}"
        + (f"; {p.conflicts:,} conflict{'s' if p.conflicts != 1 else ''}" if p.conflicts else "")
        + ")"
        + (f" [{p.describe_filters()}]" if p.filters else "")
        for p in provenance
    )
    starts = [p.start for p in provenance if p.start]
    ends = [p.end for p in provenance if p.end]
    rng = f"{min(starts)} → {max(ends)}" if starts and ends else ""
    ing_from = [p.ingested_from for p in provenance if p.ingested_from]
    ing_to = [p.ingested_to for p in provenance if p.ingested_to]
    ingested = ""
    if ing_from and ing_to:
        a, b = min(ing_from)[:19], max(ing_to)[:19]
        ingested = a if a == b else f"{a} → {b}"
    sources = sorted({s for p in provenance for s in p.sources})
    return {
        "tables": tables,
        "range": rng,
        "sources": _short_sources(sources),
        "ingested": ingested,
    }


# ---------------------------------------------------------------------- table findings
@dataclass(frozen=True)
class FindingGroup:
    """The findings of one table (:attr:`Finding.group`), shown together in the appendix.

    What the findings share is printed once: the union of their provenance,
    their methods and windows, the as-of dates, and each distinct caveat or
    not-available reason with its count; each finding keeps a compact row
    (id, value, as of, status) that carries its anchor.
    """

    id: str
    title: str
    findings: tuple[Finding, ...]

    @property
    def shared(self) -> dict[str, str]:
        """Provenance, method, window and as-of text of the group (see the class docstring)."""
        seen: dict[Any, Provenance] = {}
        for f in self.findings:
            for p in f.provenance:
                key = (
                    p.table,
                    p.start,
                    p.end,
                    tuple(sorted((k, str(v)) for k, v in p.filters.items())),
                )
                seen.setdefault(key, p)
        out = _prov_text(list(seen.values()))
        methods = list(dict.fromkeys(f.method for f in self.findings if f.method))
        out["method"] = "; ".join(methods[:4]) + (
            f"; +{len(methods) - 4} more" if len(methods) > 4 else ""
        )
        windows = list(dict.fromkeys(f.window for f in self.findings if f.window))
        out["window"] = windows[0] if len(windows) == 1 else ""
        dates = sorted({f.asof for f in self.findings if f.asof})
        out["asof"] = (
            "" if not dates else (dates[0] if len(dates) == 1 else f"{dates[0]} → {dates[-1]}")
        )
        return out

    @property
    def notes(self) -> list[str]:
        """One line per distinct non-ok status and reason: ``"not available (12): reason"``."""
        counts: dict[tuple[str, str], int] = {}
        for f in self.findings:
            if f.status != "ok":
                key = (f.status, f.reason or "")
                counts[key] = counts.get(key, 0) + 1
        word = {"caveat": "caveat", "unavailable": "not available"}
        return [f"{word[st]} ({n} of {len(self.findings)}): {r}" for (st, r), n in counts.items()]

    @property
    def uniform(self) -> bool:
        """True when every finding has the same status and reason (the header states it)."""
        return len({(f.status, f.reason) for f in self.findings}) <= 1

    def rows(self) -> list[dict[str, str]]:
        """The compact rows (:func:`group_row`)."""
        return [group_row(f, self) for f in self.findings]

    def lines(self) -> list[GroupLine]:
        """The rows merged by id stem: ``events.pectra.btc`` with its ``car``, ``t`` and ``p``
        on one line (a row of the table), each value still its own finding and anchor."""
        out: list[GroupLine] = []
        for f, r in zip(self.findings, self.rows(), strict=True):
            stem, _, leaf = f.id.rpartition(".")
            if out and out[-1].stem == stem and out[-1].asof == r["asof"]:
                out[-1].items.append((leaf, f, r))
            else:
                out.append(GroupLine(stem, r["asof"], [(leaf, f, r)]))
        return out

    @property
    def show_asof(self) -> bool:
        """True when some row shows its own as-of date."""
        return any(r["asof"] for r in self.rows())

    @property
    def single_asof(self) -> bool:
        """True when every finding has the same as-of date (the rows then leave it out)."""
        return len({f.asof for f in self.findings}) <= 1


@dataclass
class GroupLine:
    """One line of a group in the appendix: an id stem, its date and its ``(leaf, finding,
    row)`` values."""

    stem: str
    asof: str
    items: list[tuple[str, Finding, dict[str, str]]]


def group_row(f: Finding, group: FindingGroup | None = None) -> dict[str, str]:
    """A group member's compact appendix row: id, value (``format()``), as of, status.

    ``asof`` is left empty where the group's header states it (one date for all)
    or the id already holds it (``...episode.2025-11-20.score``); ``mark`` names the
    status only where the group's findings differ in it (else the header says it).
    """
    status = {"ok": "", "caveat": "caveat", "unavailable": "not available"}[f.status]
    asof = f.asof or ""
    if group is not None and (group.single_asof or asof in f.id):
        asof = ""
    return {
        "id": f.id,
        "label": f.label,
        "value": f.format() if f.available else "n/a",
        "asof": asof,
        "status": status,
        "mark": "" if group is not None and group.uniform else status,
    }


def split_findings(report: Report) -> tuple[list[Finding], list[FindingGroup]]:
    """The report's findings: those shown on their own rows, and the table groups.

    A group's title is the title of the table whose cells it holds (the
    group id when no table names it).
    """
    titles = {t.group: t.title for s in report.sections for t in s.tables if t.group}
    titles.setdefault(RULES_GROUP, RULES_TITLE)
    single: list[Finding] = []
    groups: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.group:
            groups.setdefault(f.group, []).append(f)
        else:
            single.append(f)
    return single, [FindingGroup(g, titles.get(g, g), tuple(fs)) for g, fs in groups.items()]


def _coverage_rows(report: Report) -> list[dict[str, str]]:
    rows = []
    for st in report.coverage:
        stale = st.staleness_days(report.asof.date())
        rows.append(
            {
                "table": st.table,
                "rows": f"{st.rows:,}",
                "assets": "" if st.assets is None else f"{st.assets:,}",
                "start": "" if st.start is None else str(st.start.date()),
                "end": "" if st.end is None else str(st.end.date()),
                "stale_days": "" if stale is None else str(stale),
                "stale": "1" if stale is not None and stale > 7 else "",
                # the full list lives here (captions and the subtitle summarise it)
                "sources": ", ".join(st.sources),
                "sources_short": summarise_sources(st.sources),
                "last_ingest": "" if st.last_ingest is None else str(st.last_ingest)[:19],
            }
        )
    return rows


# ---------------------------------------------------------------------- HTML
def _html_sentence(s: Sentence, findings: Any) -> str:
    parts = []
    for t in s.tokens:
        if isinstance(t, Ref):
            f = findings.get(t.finding_id)
            fid = html.escape(t.finding_id, quote=True)
            title = html.escape(f"{f.label} — {f.id}", quote=True)
            parts.append(
                f'<a class="f" href="#f-{fid}" data-finding="{fid}" title="{title}">'
                f"{html.escape(t.text)}</a>"
            )
        else:
            parts.append(html.escape(t))
    body = "".join(parts)
    return f'<span class="na-sentence">{body}</span>' if s.missing else body


def _html_paragraph(p: Paragraph, findings: Any) -> Markup:
    lead = f'<span class="lead">{html.escape(p.heading)}.</span> ' if p.heading else ""
    text = " ".join(_html_sentence(s, findings) for s in p.sentences)
    return Markup(f"<p>{lead}{text}</p>\n")


def _cell_text(c: Cell) -> str:
    return c.text if isinstance(c, (Ref, Run)) else c


def _html_ref(r: Ref) -> str:
    fid = html.escape(r.finding_id, quote=True)
    return f'<a class="f" href="#f-{fid}" data-finding="{fid}">{html.escape(r.text)}</a>'


def _html_cell(c: Cell) -> str:
    if isinstance(c, Ref):
        return f'<td class="num">{_html_ref(c)}</td>'
    if isinstance(c, Run):
        body = "".join(_html_ref(t) if isinstance(t, Ref) else html.escape(t) for t in c.tokens)
        return f'<td class="num">{body}</td>'
    return f"<td>{html.escape(c)}</td>"


def _html_tokens(tokens: Sequence[Token]) -> str:
    return "".join(_html_ref(t) if isinstance(t, Ref) else html.escape(t) for t in tokens)


def _html_table(t: Table) -> Markup:
    # a column of numbers is right-aligned, its heading too
    num = [
        bool(t.rows) and all(isinstance(r[j], (Ref, Run)) or r[j] == "n/a" for r in t.rows)
        for j in range(len(t.columns))
    ]
    head = "".join(
        ('<th class="num">' if n else "<th>") + f"{html.escape(c)}</th>"
        for c, n in zip(t.columns, num, strict=True)
    )
    body = "".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in t.rows)
    note = f'<p class="small tnote">{_html_tokens(t.note)}</p>' if t.note else ""
    return Markup(
        f'<table class="movers"><caption class="small">{html.escape(t.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"
    )


def _chart_html(spec: ChartSpec) -> str:
    fig = to_plotly(spec)
    text: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=f"chart-{spec.id}",
        config={"displaylogo": False, "responsive": True, "displayModeBar": False},
    )
    return text


def render_html(report: Report) -> str:
    """The report as one self-contained offline HTML document."""
    import jinja2
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    tpl = env.from_string(_template("report.html.j2"))
    fs = report.findings
    key_figures = []
    for f in report.key_figures:
        if f.available:
            value = Markup(
                f'<a class="f" href="#f-{html.escape(f.id)}" data-finding="{html.escape(f.id)}">'
                f"{html.escape(f.format())}</a>"
            )
            meta = f"as of {f.asof}" + (f" · {f.window}" if f.window else "")
        else:
            value = Markup('<span class="na-sentence">n/a</span>')
            meta = f"not available: {f.reason}"
        key_figures.append(
            {"label": f.label, "html": value, "meta": meta, "available": f.available}
        )
    sections = []
    for s in report.sections:
        sections.append(
            {
                "id": s.id,
                "title": s.title,
                "paragraphs": [_html_paragraph(p, fs) for p in s.paragraphs],
                "tables": [_html_table(t) for t in s.tables],
                "charts": [{"id": c.id, "html": Markup(_chart_html(c))} for c in s.charts],
            }
        )
    single, groups = split_findings(report)
    findings = []
    for f in single:
        findings.append(
            {
                "id": f.id,
                "label": f.label,
                "available": f.available,
                "value": f.format() if f.available else "",
                "unit": f.unit,
                "reason": f.reason,
                "asof": f.asof or "",
                "window": f.window or "",
                "method": f.method,
                **_prov_cells(f),
            }
        )
    return tpl.render(
        report=report,
        version=_version(),
        asof=str(report.asof.date()),
        generated=report.generated_at.strftime("%Y-%m-%d %H:%M"),
        demo_label=DEMO_LABEL,
        css=Markup(_template("report.css")),
        plotlyjs=Markup(get_plotlyjs()),
        key_figures=key_figures,
        summary=[_html_paragraph(p, fs) for p in report.summary],
        sections=sections,
        findings=findings,
        groups=[
            {
                "id": g.id,
                "title": g.title,
                "n": len(g.findings),
                "shared": g.shared,
                "notes": g.notes,
                "lines": g.lines(),
            }
            for g in groups
        ],
        coverage=_coverage_rows(report),
    )


# ---------------------------------------------------------------------- Markdown
def _md_escape(text: str) -> str:
    return escape_markdown(text)


def _md_sentence(s: Sentence) -> str:
    parts = []
    for t in s.tokens:
        if isinstance(t, Ref):
            parts.append(f"[{_md_escape(t.text)}](#f-{markdown_anchor(t.finding_id)})")
        else:
            parts.append(_md_escape(t))
    body = "".join(parts)
    return f"*{body}*" if s.missing else body


def _md_paragraph(p: Paragraph) -> str:
    lead = f"**{_md_escape(p.heading)}.** " if p.heading else ""
    return escape_line_start(lead + " ".join(_md_sentence(s) for s in p.sentences))


def _md_cell(text: str) -> str:
    return escape_markdown(text)


def _md_token(t: Token) -> str:
    if isinstance(t, Ref):
        return f"[{_md_escape(t.text)}](#f-{markdown_anchor(t.finding_id)})"
    return _md_escape(t)


def _md_table_cell(c: Cell) -> str:
    if isinstance(c, Run):
        return "".join(_md_token(t) for t in c.tokens)
    return _md_token(c) if isinstance(c, Ref) else _md_cell(c)


def _md_groups(groups: Sequence[FindingGroup]) -> list[str]:
    if not groups:
        return []
    out = [
        "\n### Table findings\n",
        "Each table's numbers are findings too. What they share (the store rows, method and "
        "dates behind them) is printed once per table; each row is one finding.\n",
    ]
    for g in groups:
        sh = g.shared
        out.append(f"#### {_md_escape(g.title)}\n")
        meta = [
            f"Group `{g.id}`, {len(g.findings)} findings",
            f"as of {sh['asof']}" if sh["asof"] else "",
            f"window {sh['window']}" if sh["window"] else "",
            f"tables {sh['tables']}" if sh["tables"] else "no store rows (fixed values)",
            f"range {sh['range']}" if sh["range"] else "",
            f"sources {sh['sources']}" if sh["sources"] else "",
            f"ingested {sh['ingested']}" if sh["ingested"] else "",
            f"method: {sh['method']}" if sh["method"] else "",
        ]
        out.append(_md_escape(" · ".join(m for m in meta if m)) + "\n")
        out.extend(f"- {_md_escape(n)}" for n in g.notes)
        if g.notes:
            out.append("")
        out.append("| Findings | Values |")
        out.append("|---|---|")
        for ln in g.lines():
            vals = " · ".join(
                f'<a id="f-{markdown_anchor(f.id)}"></a>{_md_cell(leaf)} **{_md_cell(r["value"])}**'
                + (f" ({r['mark']})" if r["mark"] else "")
                for leaf, f, r in ln.items
            )
            head = _md_cell(ln.stem) + (f" ({ln.asof})" if ln.asof else "")
            out.append(f"| {head} | {vals} |")
        out.append("")
    return out


def render_markdown(report: Report, *, files_dir: str = FILES_DIR) -> str:
    """The report as Markdown; charts are ``files_dir/<chart id>.png`` (see :func:`write_charts_png`)."""
    out: list[str] = []
    if report.demo:
        out.append(
            f"> **{DEMO_LABEL.upper()}**: every number, chart and table in this note is "
            "computed from simulated data; it describes no real market.\n"
        )
    out.append(f"# {_md_escape(report.headline)}\n")
    out.append(
        f"*{_md_escape(report.title)}. As of {report.asof.date()}; generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC. Data: {_md_escape(report.data_label)}. "
        "Every number links to its finding in the provenance appendix.*\n"
    )
    if report.key_figures:
        out.append("| Key figure | Value | As of |\n|---|---:|---|")
        for f in report.key_figures:
            val = (
                f"[{_md_escape(f.format())}](#f-{markdown_anchor(f.id)})" if f.available else "n/a"
            )
            meta = f.asof or "" if f.available else f"not available: {f.reason}"
            out.append(f"| {_md_cell(f.label)} | {val} | {_md_cell(meta)} |")
        out.append("")
    out.append("## Summary\n")
    out.extend(_md_paragraph(p) + "\n" for p in report.summary)
    for i, s in enumerate(report.sections, 1):
        out.append(f"## {i}. {_md_escape(s.title)}\n")
        out.extend(_md_paragraph(p) + "\n" for p in s.paragraphs)
        for t in s.tables:
            out.append(f"*{_md_escape(t.title)}*\n")
            out.append("| " + " | ".join(_md_cell(c) for c in t.columns) + " |")
            out.append(
                "|" + "|".join("---" if j == 0 else "---:" for j in range(len(t.columns))) + "|"
            )
            out.extend("| " + " | ".join(_md_table_cell(c) for c in row) + " |" for row in t.rows)
            out.append("")
            if t.note:
                out.append("*" + "".join(_md_token(x) for x in t.note) + "*\n")
        for c in s.charts:
            out.append(f"![{_md_escape(c.full_title)}]({files_dir}/{markdown_anchor(c.id)}.png)\n")
    out.append("## Appendix A: findings and provenance\n")
    out.append(
        "| Finding | Value | As of | Window | Tables (rows) | Date range | Sources | Ingested |"
    )
    out.append("|---|---:|---|---|---|---|---|---|")
    single, groups = split_findings(report)
    for f in single:
        cells = _prov_cells(f)
        value = f.format() if f.available else f"not available: {f.reason}"
        if f.status == "caveat":
            value += f" (caveat: {f.reason})"
        out.append(
            f'| <a id="f-{markdown_anchor(f.id)}"></a>{_md_cell(f.id)} {_md_cell(f.label)} | '
            f"{_md_cell(value)} | {_md_cell(f.asof or '')} | {_md_cell(f.window or '')} | "
            f"{_md_cell(cells['tables'])} | {_md_cell(cells['range'])} | "
            f"{_md_cell(cells['sources'])} | {_md_cell(cells['ingested'])} |"
        )
    out.extend(_md_groups(groups))
    out.append("\n## Appendix B: data coverage and staleness\n")
    out.append(
        f"| Table | Rows | Assets / series | From | To | Days stale at {report.asof.date()} "
        "| Sources | Last ingest (UTC) |"
    )
    out.append("|---|---:|---:|---|---|---:|---|---|")
    for r in _coverage_rows(report):
        out.append(
            f"| {_md_cell(r['table'])} | {r['rows']} | {r['assets']} | {r['start']} | {r['end']} | "
            f"{r['stale_days']} | {_md_cell(r['sources'])} | {r['last_ingest']} |"
        )
    out.append("")
    return "\n".join(out)


def write_charts_png(charts: Sequence[ChartSpec], folder: Path) -> dict[str, Path]:
    """Draw every chart as ``folder/<id>.png``; returns ``{chart id: path}``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {c.id: to_png(c, folder / f"{c.id}.png") for c in charts}


# ---------------------------------------------------------------------- PDF
def _pdf_md(text: str) -> str:
    """Neutralise fpdf2 markdown (``**``, ``__``, ``~~``, ``--``, links) in plain text."""
    return escape_pdf_markdown(text)


def _font_path(bold: bool = False) -> Path:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if not path.exists():
        raise ReportError(
            f"the PDF font {path} is missing; reinstall matplotlib (it ships DejaVu Sans)."
        )
    return path


def _pdf_col_widths(pdf: Any, t: Table, width: float) -> list[float]:
    """Column widths (mm) for a body table: a column whose longest cell is short (a date,
    a number) keeps that width so it never wraps; the long columns share the rest in
    proportion to their longest cell."""
    pad = 2.5
    natural = [
        max(
            [pdf.get_string_width(str(h)) + pad]
            + [pdf.get_string_width(_cell_text(r[j])) + pad for r in t.rows]
        )
        for j, h in enumerate(t.columns)
    ]
    if sum(natural) <= width:
        return natural
    short = [w <= 26 for w in natural]
    fixed = sum(w for w, s in zip(natural, short, strict=True) if s)
    long_total = sum(w for w, s in zip(natural, short, strict=True) if not s)
    room = max(width - fixed, 0.3 * width)
    return [w if s else w / long_total * room for w, s in zip(natural, short, strict=True)]


def _pdf_groups(pdf: Any, groups: Sequence[FindingGroup], width: float) -> None:
    """Appendix A's table findings: per group a header with what the findings share, then
    one line per id stem (a table row) with its values, each the link target of its finding."""
    if not groups:
        return
    pdf.ln(2)
    if pdf.get_y() > pdf.h - 60:  # the heading stays with its first group
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, "Table findings", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7)
    pdf.multi_cell(
        width,
        3.4,
        "Each table's numbers are findings too. What they share (the store rows, method and "
        "dates behind them) is printed once per table; each entry is one finding.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    line = 3.3
    for g in groups:
        if pdf.get_y() > pdf.h - 35:
            pdf.add_page()
        pdf.ln(1.5)
        pdf.set_font("DejaVu", "B", 8)
        pdf.multi_cell(
            width,
            4,
            f"{g.title} · {g.id} · {len(g.findings)} findings",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        sh = g.shared
        meta = [
            f"as of {sh['asof']}" if sh["asof"] else "",
            f"window {sh['window']}" if sh["window"] else "",
            f"tables {sh['tables']}" if sh["tables"] else "no store rows (fixed values)",
            f"range {sh['range']}" if sh["range"] else "",
            f"sources {sh['sources']}" if sh["sources"] else "",
            f"ingested {sh['ingested']}" if sh["ingested"] else "",
            f"method: {sh['method']}" if sh["method"] else "",
            *g.notes,
        ]
        pdf.set_font("DejaVu", "", 6.5)
        pdf.set_text_color(80, 80, 80)
        pdf.multi_cell(width, 3.1, " · ".join(m for m in meta if m), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "", 6.4)
        for ln in g.lines():
            if pdf.get_y() > pdf.h - 18:
                pdf.add_page()
            y = pdf.get_y()
            for _leaf, f, _r in ln.items:
                pdf.set_link(name=f"f-{f.id}", page=pdf.page_no(), y=y)
            head = ln.stem + (f" ({ln.asof})" if ln.asof else "")
            vals = " · ".join(
                f"{leaf} **{_pdf_md(r['value'])}**" + (" (caveat)" if r["mark"] == "caveat" else "")
                for leaf, _f, r in ln.items
            )
            pdf.multi_cell(
                width,
                line,
                f"{_pdf_md(head)}: {vals}",
                markdown=True,
                new_x="LMARGIN",
                new_y="NEXT",
            )


def render_pdf(report: Report, pngs: dict[str, Path], path: Path) -> Path:
    """Write the report as a PDF with the PNG charts (see :func:`write_charts_png`)."""
    from fpdf import FPDF

    demo = report.demo
    asof = str(report.asof.date())

    class _PDF(FPDF):
        def header(self) -> None:
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(110, 110, 110)
            self.cell(
                0,
                4,
                f"altseason research · crypto market note · as of {asof}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            if demo:
                self.set_text_color(178, 59, 54)
                self.set_font("DejaVu", "B", 8)
                self.cell(
                    0,
                    4,
                    f"{DEMO_LABEL.upper()}: simulated data, not a real market",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            self.set_text_color(0, 0, 0)
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 7.5)
            self.set_text_color(110, 110, 110)
            self.cell(0, 6, f"page {self.page_no()}", align="R")

    pdf = _PDF(orientation="P", unit="mm", format="A4")
    pdf.MARKDOWN_LINK_UNDERLINE = False
    pdf.MARKDOWN_LINK_COLOR = (31, 78, 121)  # type: ignore[assignment]
    pdf.add_font("DejaVu", "", str(_font_path()))
    pdf.add_font("DejaVu", "B", str(_font_path(bold=True)))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(16, 12, 16)
    pdf.add_page()
    links = {f.id: pdf.get_named_destination(f"f-{f.id}") for f in report.findings}
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def para(p: Paragraph, size: float = 9.5) -> None:
        # one markdown multi_cell per paragraph: fpdf2 wraps at spaces (never inside a
        # number) and turns [text](#name) into an internal link to the appendix row
        parts = [f"**{_pdf_md(p.heading)}.** "] if p.heading else []
        for s in p.sentences:
            for t in s.tokens:
                if isinstance(t, Ref):
                    parts.append(f"**[{_pdf_md(t.text)}](#f-{markdown_anchor(t.finding_id)})**")
                else:
                    parts.append(_pdf_md(t))
            parts.append(" ")
        pdf.set_font("DejaVu", "", size)
        pdf.multi_cell(
            width,
            size * 0.5,
            "".join(parts).strip(),
            markdown=True,
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(size * 0.3)

    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(width, 8, report.headline, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        width,
        4.5,
        f"{report.title}. As of {asof}; generated "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC. Data: {report.data_label}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    if report.key_figures:
        ncol = 5
        cw = width / ncol
        row_bottom = pdf.get_y()
        for i, f in enumerate(report.key_figures):
            if i % ncol == 0:
                y0 = pdf.get_y()
                row_bottom = y0
            x = pdf.l_margin + (i % ncol) * cw
            pdf.set_xy(x, y0)
            pdf.set_fill_color(245, 247, 250)
            pdf.set_font("DejaVu", "", 6.5)
            pdf.multi_cell(
                cw - 1.5,
                3.2,
                f.label,
                fill=True,
                new_x="LEFT",
                new_y="NEXT",
                max_line_height=3.2,
                align="L",
            )
            pdf.set_x(x)
            pdf.set_font("DejaVu", "B", 11)
            pdf.cell(
                cw - 1.5,
                6.5,
                f.format() if f.available else "n/a",
                fill=True,
                link=links.get(f.id, ""),
                new_x="LEFT",
                new_y="NEXT",
            )
            pdf.set_x(x)
            pdf.set_font("DejaVu", "", 6)
            pdf.cell(
                cw - 1.5,
                3.2,
                f"as of {f.asof}" if f.available and f.asof else "",
                fill=True,
                new_x="LEFT",
                new_y="NEXT",
            )
            # a long label wraps to more lines: the row is as tall as its tallest card
            row_bottom = max(row_bottom, pdf.get_y())
            if i % ncol == ncol - 1 or i == len(report.key_figures) - 1:
                pdf.set_y(row_bottom + 2)
        pdf.ln(3)
    pdf.set_font("DejaVu", "B", 12.5)
    pdf.cell(0, 7, "Summary", new_x="LMARGIN", new_y="NEXT")
    for p in report.summary:
        para(p)
    for i, s in enumerate(report.sections, 1):
        pdf.ln(2)
        if pdf.get_y() > pdf.h - 50:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 12.5)
        pdf.set_text_color(31, 78, 121)
        pdf.cell(0, 7, f"{i}. {s.title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        for p in s.paragraphs:
            para(p)
        for t in s.tables:
            if pdf.get_y() > pdf.h - 40:
                pdf.add_page()
            pdf.set_font("DejaVu", "B", 8)
            pdf.multi_cell(width, 4, t.title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 7.5)
            # columns as wide as their longest cell (capped), so dates and numbers
            # are not squeezed next to a long title
            lens = _pdf_col_widths(pdf, t, width)
            with pdf.table(col_widths=lens, text_align="LEFT", line_height=4) as tbl:
                tbl.row(t.columns)
                for row in t.rows:
                    trow = tbl.row()
                    for cell in row:
                        # a number links to its finding (a run of numbers: to its first)
                        ref = (
                            cell
                            if isinstance(cell, Ref)
                            else (cell.refs[0] if isinstance(cell, Run) else None)
                        )
                        trow.cell(
                            _cell_text(cell),
                            link=links.get(ref.finding_id) if ref is not None else None,
                        )
            if t.note:
                pdf.ln(1)
                pdf.set_font("DejaVu", "", 7)
                pdf.set_text_color(90, 90, 90)
                pdf.multi_cell(
                    width,
                    3.6,
                    "".join(
                        f"[{_pdf_md(x.text)}](#f-{markdown_anchor(x.finding_id)})"
                        if isinstance(x, Ref)
                        else _pdf_md(x)
                        for x in t.note
                    ),
                    markdown=True,
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
                pdf.set_text_color(0, 0, 0)
            pdf.ln(2)
        for c in s.charts:
            img = pngs.get(c.id)
            if img is None:
                continue
            h_img = width * 4.3 / 8.6
            if pdf.get_y() + h_img > pdf.h - 15:
                pdf.add_page()
            pdf.image(str(img), x=pdf.l_margin, w=width)
            pdf.ln(2)
    # appendix A
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12.5)
    pdf.cell(0, 7, "Appendix A: findings and provenance", new_x="LMARGIN", new_y="NEXT")
    single, groups = split_findings(report)
    for f in single:
        if pdf.get_y() > pdf.h - 30:
            pdf.add_page()
        pdf.set_link(name=f"f-{f.id}", page=pdf.page_no(), y=pdf.get_y())
        cells = _prov_cells(f)
        pdf.set_font("DejaVu", "B", 7.5)
        value = f.format() if f.available else f"not available: {f.reason}"
        if f.status == "caveat":
            value += f" (caveat: {f.reason})"
        pdf.multi_cell(width, 3.8, f"{f.id} = {value}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 6.8)
        pdf.set_text_color(80, 80, 80)
        detail = (
            f"{f.label} · unit {f.unit} · as of {f.asof or '-'} · window {f.window or '-'}"
            f" · tables {cells['tables'] or '-'} · range {cells['range'] or '-'}"
            f" · sources {cells['sources'] or '-'} · ingested {cells['ingested'] or '-'}"
        )
        if f.method:
            detail += f" · method: {f.method}"
        pdf.multi_cell(width, 3.3, detail, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(0.8)
    _pdf_groups(pdf, groups, width)
    # appendix B
    pdf.ln(3)
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 12.5)
    pdf.cell(0, 7, "Appendix B: data coverage and staleness", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7)
    with pdf.table(
        col_widths=[14, 12, 9, 14, 14, 9, 22, 22], text_align="LEFT", line_height=3.6
    ) as tbl:
        tbl.row(["Table", "Rows", "Assets", "From", "To", "Stale (d)", "Sources", "Last ingest"])
        for r in _coverage_rows(report):
            tbl.row(
                [
                    r["table"],
                    r["rows"],
                    r["assets"],
                    r["start"],
                    r["end"],
                    r["stale_days"],
                    r["sources_short"],
                    r["last_ingest"],
                ]
            )
    # the full source list, per table, below the table (a cell would outgrow a page)
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 8)
    pdf.cell(0, 5, "Sources per table", new_x="LMARGIN", new_y="NEXT")
    for r in _coverage_rows(report):
        if not r["sources"]:
            continue
        pdf.set_font("DejaVu", "", 6.5)
        pdf.multi_cell(width, 3.2, f"{r['table']}: {r['sources']}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


# ---------------------------------------------------------------------- files
def write_report(
    report: Report, out_dir: Path, *, formats: Sequence[str] = FORMATS
) -> dict[str, Path]:
    """Write the selected formats and ``findings.json`` into ``out_dir``.

    Returns
    -------
    dict
        ``{"html": path, "md": path, "pdf": path, "findings": path}`` for what was written.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ReportError(
            f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}."
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the report folder {out_dir}: {exc}") from exc
    written: dict[str, Path] = {}
    pngs: dict[str, Path] = {}
    if "md" in formats or "pdf" in formats:
        pngs = write_charts_png(report.charts, out_dir / FILES_DIR)
    if "html" in formats:
        p = out_dir / "report.html"
        p.write_text(render_html(report), encoding="utf-8")
        written["html"] = p
    if "md" in formats:
        p = out_dir / "report.md"
        p.write_text(render_markdown(report), encoding="utf-8")
        written["md"] = p
    if "pdf" in formats:
        written["pdf"] = render_pdf(report, pngs, out_dir / "report.pdf")
    written["findings"] = report.findings.write_json(out_dir / "findings.json", **report.meta())
    return written


def plain_text(paragraphs: Sequence[Paragraph]) -> str:
    """Paragraphs as plain text (headings in bold markers stripped), for tests and logs."""
    out = []
    for p in paragraphs:
        lead = f"{p.heading}. " if p.heading else ""
        out.append(lead + " ".join(sentence_text(s) for s in p.sentences))
    return "\n\n".join(out)


def narrative_markdown(findings: FindingSet, sections: Sequence[str] | None = None) -> str:
    """The narrative alone (headline, summary, every section's paragraphs) as Markdown.

    Used to pin the wording in golden tests from hand-built findings.
    """
    from altseason.report._sections import SECTIONS, headline, write_summary

    current = findings.only_ok()  # headline and summary state only ok findings
    out = [f"# {headline(current)}", ""]
    out.extend(_md_paragraph(p) + "\n" for p in write_summary(current))
    for sec in SECTIONS:
        if sections is not None and sec.id not in sections:
            continue
        out.append(f"## {sec.title}\n")
        out.extend(_md_paragraph(p) + "\n" for p in sec.write(findings))
    return "\n".join(out)
