"""Open the HTML report in headless Chromium with the network cut off."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from altseason.report import build_report, write_report
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
        finally:
            browser.close()
    assert not errors, errors
    assert blocked == [], f"the report tried to reach the network: {blocked}"
    assert missing == []
    assert n_charts >= len(report.charts) > 0
    assert n_links > 20
    assert dangling == [], f"numbers without a finding row: {dangling[:10]}"
