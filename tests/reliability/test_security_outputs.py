"""Issue 15 (outputs): text from data is escaped for the format it is written in.

* report.md: a source named like the review's file ``"><img src=x onerror=alert(9)>.csv``
  does not become an element when the Markdown is rendered with markdown-it;
* PDF: Markdown-looking data (links, emphasis) does not become a PDF link;
* CSV exports neutralise formula-leading text (OWASP), while JSON and Parquet keep
  the raw values and numbers stay numbers.
"""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from fpdf import FPDF
from fuzz_support import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from altseason._escape import (
    escape_line_start,
    escape_markdown,
    escape_pdf_markdown,
    neutralise_csv_cell,
)
from altseason.cli._app import export_frame
from altseason.report import build_report, render_markdown
from altseason.store import Store

HOSTILE = [
    '"><img src=x onerror=alert(9)>.csv',
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "![x](http://evil.test/x.png)",
    "<a href='javascript:alert(2)'>a</a>",
    "`code` **bold** _em_ | pipe ~~s~~ $x$",
    "<svg/onload=alert(3)>",
]


#: Those that markdown-it turns into elements when not escaped.
RAW_DANGEROUS = {HOSTILE[0], HOSTILE[1], HOSTILE[3], HOSTILE[4], HOSTILE[5]}


class _Elements(HTMLParser):
    """Every element and attribute in rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _elements(markdown: str) -> list[tuple[str, dict[str, str | None]]]:
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    parser = _Elements()
    parser.feed(rendered)
    return parser.tags


def _assert_inert(tags: list[tuple[str, dict[str, str | None]]]) -> None:
    for tag, attrs in tags:
        assert tag not in ("script", "svg", "iframe", "object"), tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for key in ("href", "src"):
            value = attrs.get(key) or ""
            assert not value.lower().startswith(("javascript:", "http")), (tag, attrs)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("report_files/"), attrs


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_escape_leaves_no_markup(text: str) -> None:
    line = escape_line_start(escape_markdown(text))
    assert _elements(f"| a |\n|---|\n| {line} |") == [
        ("table", {}),
        ("thead", {}),
        ("tr", {}),
        ("th", {}),
        ("tbody", {}),
        ("tr", {}),
        ("td", {}),
    ]
    tags = _elements(line)
    assert [t for t, _ in tags] == ["p"], tags
    # and the raw form really is dangerous (the test can fail)
    if text in RAW_DANGEROUS:
        assert [t for t, _ in _elements(text)] != ["p"]


@FUZZ
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_any_escaped_text_renders_without_markup(text: str) -> None:
    tags = _elements(escape_line_start(escape_markdown(text)))
    # a paragraph (or an indented code block for leading spaces), never an attribute
    assert {t for t, _ in tags} <= {"p", "pre", "code"}, tags
    assert all(not attrs for _, attrs in tags), tags


def test_report_md_with_hostile_source_renders_inert(
    tmp_path: Path, market_store_hostile: Store
) -> None:
    report = build_report(market_store_hostile, sections=["flows", "coverage"])
    md = render_markdown(report)
    assert HOSTILE[0] not in md  # never verbatim
    tags = _elements(md)
    _assert_inert(tags)
    assert any(t == "a" and (a.get("href") or "").startswith("#f-") for t, a in tags)


@pytest.fixture
def market_store_hostile(tmp_path: Path) -> Store:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_report_conftest", Path(__file__).resolve().parents[1] / "report" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    store = Store(tmp_path / "s.duckdb")
    mod.build_market(store, source=f"file:csv:{HOSTILE[0]}", days=200, n_alts=6)
    return store


def _pdf_bytes(text: str) -> bytes:
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(0, 5, text, markdown=True)
    return bytes(pdf.output())


def test_pdf_markdown_escape_makes_no_link_or_style() -> None:
    hostile = "[click](http://evil.test/x) and **bold** __it__ ~~s~~ --u--"
    assert b"/URI" in _pdf_bytes(hostile)  # unescaped, fpdf2 makes an external link
    safe = _pdf_bytes(escape_pdf_markdown(hostile))
    assert b"/URI" not in safe and b"evil.test" in safe  # shown as text, not linked


# ---------------------------------------------------------------------- CSV
FORMULAS = [
    '=HYPERLINK("http://evil.test","x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_csv_cell_neutralisation() -> None:
    for f in FORMULAS:
        assert neutralise_csv_cell(f) == "'" + f
    for keep in ("BTC", "-5", "+1.5e3", "-3%", "a=b", "", 1.5, -2, None):
        assert neutralise_csv_cell(keep) == keep


@FUZZ
@given(text=st.text(max_size=30))
def test_no_neutralised_cell_starts_a_formula(text: str) -> None:
    out = neutralise_csv_cell(text)
    assert out == text or out == "'" + text  # only ever a prefix, the value is kept
    if out.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(out.rstrip("%"))  # only plain numbers keep a leading sign


def test_exports_neutralise_csv_and_keep_raw_json_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"name": FORMULAS, "ret": [-0.5, 1.0, -2.0, 0.0, -1e-9, 3.0]},
        index=pd.Index(["=A1", "BTC", "-X", "ETH", "@b", "SOL"], name="asset"),
    )
    csv_path = export_frame(frame, tmp_path / "out.csv")
    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["asset", "name", "ret"]
    for row, name, idx, ret in zip(rows[1:], FORMULAS, frame.index, frame["ret"], strict=True):
        assert row[0] == "'" + idx if idx[0] in "=-@" else row[0] == idx
        assert row[1] == "'" + name
        assert float(row[2]) == ret  # numbers stay numbers, negatives included
    back = pd.read_csv(csv_path, index_col=0)
    assert back["ret"].dtype.kind == "f"
    # JSON and Parquet keep the raw values
    js = json.loads(export_frame(frame, tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in js["data"]] == FORMULAS
    pq = pd.read_parquet(export_frame(frame, tmp_path / "out.parquet"))
    assert pq["name"].tolist() == FORMULAS and pq.index.tolist() == frame.index.tolist()
