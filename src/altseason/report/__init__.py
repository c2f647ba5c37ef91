"""The research report: findings, narrative, charts, and HTML / Markdown / PDF output.

The report only formats what ``analytics``, ``signals`` and ``backtest``
computed. Each number is a :class:`Finding` with provenance; the narrative is
generated from findings by rules (:mod:`altseason.report._narrative`), and a
missing finding yields an explicit "not available" sentence.

Typical use::

    from altseason.report import generate_report
    report, paths = generate_report(store, Path("reports/2025-12-04"))
"""

from altseason.report._build import (
    COMMAND_SECTIONS,
    Report,
    ReportSection,
    broad_asof,
    build_report,
    command_findings,
    default_asof,
    export_findings,
)
from altseason.report._charts import Band, ChartSpec, Marker, Trace, to_plotly, to_png
from altseason.report._findings import (
    FINDINGS_SCHEMA,
    STATUSES,
    UNITS,
    Finding,
    FindingSet,
    Provenance,
    format_value,
)
from altseason.report._generate import generate_report
from altseason.report._narrative import (
    Paragraph,
    Ref,
    Sentence,
    breadth_word,
    leadership,
    not_available,
    say,
)
from altseason.report._render import (
    FORMATS,
    narrative_markdown,
    plain_text,
    render_html,
    render_markdown,
    render_pdf,
    write_charts_png,
    write_report,
)
from altseason.report._sections import SECTIONS, headline, section_ids, write_summary

__all__ = [
    "COMMAND_SECTIONS",
    "FINDINGS_SCHEMA",
    "FORMATS",
    "SECTIONS",
    "STATUSES",
    "UNITS",
    "Band",
    "ChartSpec",
    "Finding",
    "FindingSet",
    "Marker",
    "Paragraph",
    "Provenance",
    "Ref",
    "Report",
    "ReportSection",
    "Sentence",
    "Trace",
    "breadth_word",
    "broad_asof",
    "build_report",
    "command_findings",
    "default_asof",
    "export_findings",
    "format_value",
    "generate_report",
    "headline",
    "leadership",
    "narrative_markdown",
    "not_available",
    "plain_text",
    "render_html",
    "render_markdown",
    "render_pdf",
    "say",
    "section_ids",
    "to_plotly",
    "to_png",
    "write_charts_png",
    "write_report",
    "write_summary",
]
