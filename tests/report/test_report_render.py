"""Rendering: HTML, Markdown, PDF and findings JSON from a small hand-built market."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from altseason.labels import DEMO_LABEL
from altseason.report import (
    FindingSet,
    build_report,
    generate_report,
    render_html,
    render_markdown,
    write_report,
)
from altseason.store import Store

SECTIONS_FAST = ["flows", "derivatives", "onchain", "coverage", "changes"]


def test_all_formats_from_a_small_market(
    market_store: tuple[Store, pd.Timestamp], tmp_path: Path
) -> None:
    store, last = market_store
    report = build_report(store, asof=last)
    paths = write_report(report, tmp_path / "out")
    assert set(paths) == {"html", "md", "pdf", "findings"}
    html = paths["html"].read_text(encoding="utf-8")
    md = paths["md"].read_text(encoding="utf-8")
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    # offline: plotly.js inlined once, no external scripts, styles or fonts
    assert html.count('<script type="text/javascript">') == 1
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"http", html)
    head, _, body = html.partition("</script>")  # plotly.js itself ends at the first </script>
    assert "cdn.plot.ly" not in body and "fonts.googleapis" not in html
    assert "<script src" not in head
    # every chart has a div, a PNG and a Markdown image
    assert report.charts
    for c in report.charts:
        assert f'id="chart-{c.id}"' in html
        png = paths["md"].parent / "report_files" / f"{c.id}.png"
        assert png.stat().st_size > 5_000
        assert f"(report_files/{c.id}.png)" in md
    # every linked number has its row in the appendix, in both formats
    ids = {f.id for f in report.findings}
    html_links = set(re.findall(r'<a class="f" href="#f-([^"]+)"', html))
    assert html_links and html_links <= ids
    assert all(f'id="f-{i}"' in html for i in html_links)
    md_links = set(re.findall(r"\]\(#f-([^)]+)\)", md))
    assert md_links and md_links <= ids
    assert all(f'<a id="f-{i}"></a>' in md for i in md_links)
    # not the demo: no demo label anywhere
    assert DEMO_LABEL not in html and DEMO_LABEL not in md
    # findings JSON next to the report
    fs, meta = FindingSet.read_json(paths["findings"])
    assert meta["asof"] == str(last.date())
    assert fs.ids() == report.findings.ids()


def test_numbers_in_text_match_their_findings(market_store: tuple[Store, pd.Timestamp]) -> None:
    store, last = market_store
    report = build_report(store, asof=last, sections=["flows", "derivatives", "coverage"])
    html = render_html(report)
    for fid, text in re.findall(r'<a class="f" href="#f-([^"]+)"[^>]*>([^<]+)</a>', html):
        f = report.findings.get(fid)
        assert f.available
        import html as h

        # the data-quality table links a finding's lag (days) and coverage to its row
        lag = (f.freshness or {}).get("lag_days")
        cov = f.coverage or {}
        own = [str(lag)] if lag is not None else []
        if cov.get("observed") is not None and cov.get("expected") is not None:
            own.append(f"{cov['observed']} of {cov['expected']} {cov.get('unit', '')}".strip())
        assert h.unescape(text) in (
            f.format(),
            f.format(absolute=True, signed=False),
            f.format(signed=True),
            f.format(signed=False),
            *own,
        ), (fid, text)
    # independent check of one number: rows in the prices table
    n = store.con.execute("SELECT count(*) FROM prices WHERE date <= ?", [last]).fetchone()
    assert report.findings.value("coverage.prices.rows") == n[0]  # type: ignore[index]


def test_demo_label_on_every_format_and_chart(tmp_path: Path, market_builder: Any) -> None:
    store = Store(tmp_path / "demo.duckdb")
    last = market_builder(store, source="demo", days=420, n_alts=12)
    report = build_report(store, asof=last, sections=["flows", "derivatives", "onchain"])
    assert report.demo
    assert report.charts and all(c.demo for c in report.charts)
    html = render_html(report)
    md = render_markdown(report)
    assert html.index(DEMO_LABEL.upper()) < html.index("<h1>")
    assert md.startswith(f"> **{DEMO_LABEL.upper()}**")
    assert all(DEMO_LABEL in c.full_title for c in report.charts)
    store.close()


def test_unavailable_sections_say_why(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty.duckdb")
    report = build_report(store, asof="2025-01-01")
    md = render_markdown(report)
    assert "Not available: BTC spot-ETF" in md or "Not available: Net ETF flow" in md
    assert "no ETF flows in the store" in md
    assert report.headline.endswith("data not available")
    store.close()


def test_changes_since_the_previous_report(
    market_store: tuple[Store, pd.Timestamp], tmp_path: Path
) -> None:
    store, last = market_store
    earlier = last - pd.Timedelta(days=20)
    generate_report(store, tmp_path / "reports" / str(earlier.date()), asof=earlier, formats=["md"])
    rep, paths = generate_report(
        store, tmp_path / "reports" / str(last.date()), asof=last, formats=["md"]
    )
    assert rep.previous is not None and rep.previous.parent.name == str(earlier.date())
    fs = rep.findings
    assert fs.text("changes.previous_asof") == str(earlier.date())
    prev = fs.section("changes.prev")
    assert prev
    old, _ = FindingSet.read_json(rep.previous)
    for f in prev:
        cur_id = f.id[len("changes.prev.") :]
        assert f.value == old.get(cur_id).value
        assert f.format() != fs.get(cur_id).format()
    md = paths["md"].read_text(encoding="utf-8")
    assert "Since the previous report, dated" in md


def test_unknown_section_or_format_is_an_error(
    market_store: tuple[Store, pd.Timestamp], tmp_path: Path
) -> None:
    from altseason.exceptions import ReportError

    store, last = market_store
    with pytest.raises(ReportError, match="unknown report section"):
        build_report(store, asof=last, sections=["nope"])
    report = build_report(store, asof=last, sections=["coverage"])
    with pytest.raises(ReportError, match="unknown report format"):
        write_report(report, tmp_path, formats=["docx"])


def test_fallback_tier_is_named_in_the_text(market_store: tuple[Store, pd.Timestamp]) -> None:
    """The fixture market has 42 assets (no small tier): the mid-cap index is used and named."""
    store, last = market_store
    report = build_report(store, asof=last, sections=["divergence", "events"])
    assert report.findings.get("divergence.rs_small_btc_change").label.startswith("Mid-cap")
    md = render_markdown(report)
    who = next(line for line in md.splitlines() if line.startswith("**Who leads.**"))
    assert "the mid-cap index" in who and "small-cap" not in who
    risks = next(line for line in md.splitlines() if line.startswith("**Risks in the data.**"))
    dd = report.findings.get("risks.small_drawdown").label.split("-cap")[0].lower()
    assert f"the {dd}-cap index" in risks and "small-cap" not in risks
