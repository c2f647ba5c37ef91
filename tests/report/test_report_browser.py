"""Open the HTML report in headless Chromium with the network cut off."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from altseason.report import build_report, write_report
from altseason.report._lint import unlinked_numbers
from altseason.store import Store


def skip_or_fail(reason: str, flag: str) -> None:
    """``skip_or_fail`` of tests/conftest.py (loaded by path: tests/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_altseason_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.skip_or_fail(reason, flag)


CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.mark.browser
def test_html_report_renders_offline(
    market_store: tuple[Store, pd.Timestamp], tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        skip_or_fail(
            "chromium not installed: apt-get install chromium", "ALTSEASON_REQUIRE_BROWSER"
        )
    from playwright.sync_api import sync_playwright

    store, last = market_store
    report = build_report(store, asof=last)
    html_path = write_report(report, tmp_path / "out", formats=["html"])["html"]
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html_path.as_uri(), wait_until="load")
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot').length >= {len(report.charts)}",
                timeout=60_000,
            )
            missing = page.evaluate(
                """() => Array.from(document.querySelectorAll('figure.chart > div > div[id^=chart-]'))
                       .filter(d => !d.querySelector('svg.main-svg')).map(d => d.id)"""
            )
            n_charts = page.evaluate(
                "() => document.querySelectorAll('div[id^=chart-] svg.main-svg').length"
            )
            dangling = page.evaluate(
                """() => Array.from(document.querySelectorAll('a.f'))
                       .map(a => a.getAttribute('href').slice(1))
                       .filter(id => !document.getElementById(id))"""
            )
            n_links = page.evaluate("() => document.querySelectorAll('a.f').length")
            # the DOM Chromium built (after every script ran), checked by the same rule
            # as the unit tests below
            unlinked = unlinked_numbers(page.content(), context=True)
            table_links = page.evaluate(
                "() => document.querySelectorAll('section.sec table.movers td a.f').length"
            )
        finally:
            browser.close()
    assert not errors, errors
    assert blocked == [], f"the report tried to reach the network: {blocked}"
    assert missing == []
    assert n_charts >= len(report.charts) > 0
    assert n_links > 20
    assert dangling == [], f"numbers without a finding row: {dangling[:10]}"
    assert unlinked == [], f"numbers outside a finding link: {unlinked[:10]}"
    # the tables' numbers are links too (max pain per expiry, episodes, event CARs)
    assert table_links > 50


# ---------------------------------------------------------------------- the rule itself
SNIPPET = """<html><body>
<header class="masthead"><div class="dateline">As of 2025-06-30 · 12.5%</div></header>
<h2><span class="num">3</span>Flows 12.5%</h2>
<section class="sec">
 <p>The altseason index is <a class="f" href="#f-x">12.5%</a> over 90 days and the
    30-day window [-5, +5] days ended 2025-06-30; the 26DEC25 expiry leads. {prose}</p>
 <table class="movers"><caption class="small">BTC max pain 12.5%</caption>
  <thead><tr><th>expiry</th><th>max pain</th></tr></thead>
  <tbody><tr><td>26DEC25</td><td class="num">{cell}</td></tr>
  <tr><td>2025-06-30</td><td class="num"><a class="f" href="#f-y">$100,000</a></td></tr></tbody>
 </table>
 <p class="small tnote">Source: store 12.5%</p>
</section>
<section class="appendix"><table><tr><td>12.5%</td><td>42</td></tr></table></section>
</body></html>"""


def test_unlinked_number_rule_passes_linked_numbers_and_labels() -> None:
    html = SNIPPET.format(prose="", cell='<a class="f" href="#f-z">12.5%</a>')
    assert unlinked_numbers(html) == []


@pytest.mark.parametrize(
    ("prose", "cell", "expected"),
    [
        ("The ratio fell 12.5% in a week.", '<a class="f" href="#f-z">1</a>', ["12.5%"]),
        ("", "12.5%", ["12.5%"]),
        ("", "42", ["42"]),  # a bare integer that is a whole table cell
        ("Flows were $1.2B and +3.0 pp, 2.10x, 1.3σ, 1,234 BTC.", "n/a", None),
        ("It rose 12.5% (<a class='f' href='#f-q'>12.5%</a>).", "n/a", ["12.5%"]),
    ],
)
def test_unlinked_number_rule_catches_numbers_outside_links(
    prose: str, cell: str, expected: list[str] | None
) -> None:
    found = unlinked_numbers(SNIPPET.format(prose=prose, cell=cell))
    if expected is None:
        assert found == ["$1.2B", "+3.0 pp", "2.10x", "1.3σ", "1,234"]
    else:
        assert found == expected
