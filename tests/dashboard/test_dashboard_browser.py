"""The dashboard in headless Chromium, served by uvicorn on loopback with the network cut off."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from altseason.dashboard import PAGES, create_app
from altseason.labels import DEMO_LABEL
from altseason.sources.demo import write_demo
from altseason.store import Store

pytestmark = pytest.mark.browser

START, END = "2024-01-01", "2025-03-31"
EARLIER = "2024-11-15"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOAD_TIMEOUT_MS = 120_000


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


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on a small demo store, served by uvicorn in a thread."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        skip_or_fail(
            "chromium not installed: apt-get install chromium", "ALTSEASON_REQUIRE_BROWSER"
        )
    import uvicorn

    path = tmp_path_factory.mktemp("dash-browser") / "demo.duckdb"
    with Store(path) as s:
        # 100 assets: the altseason index needs 25 of the top 50, breadth 20 assets
        write_demo(s, n_assets=100, start=START, end=END)
    config = uvicorn.Config(
        create_app(path), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="dashboard-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped during start-up"
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=90)


@pytest.fixture(scope="module")
def browser_page(base_url: str) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """One Chromium page that may reach only the test server; records errors and blocks."""
    from playwright.sync_api import sync_playwright

    log: dict[str, list[str]] = {"blocked": [], "errors": [], "csp": []}

    def route(r: Any) -> None:
        if r.request.url.startswith(base_url + "/"):
            r.continue_()
        else:
            log["blocked"].append(r.request.url)
            r.abort()

    def console(msg: Any) -> None:
        text = str(msg.text)
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            log["csp"].append(text)
        if msg.type == "error":
            log["errors"].append(text)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 1000})
            page.route("**/*", route)
            page.on("console", console)
            page.on("pageerror", lambda e: log["errors"].append(f"pageerror: {e}"))
            yield page, log
        finally:
            browser.close()


def _wait_loaded(page: Any) -> None:
    page.wait_for_selector('body[data-loaded="1"]', state="attached", timeout=LOAD_TIMEOUT_MS)


def _charts(page: Any) -> list[dict[str, Any]]:
    """Every chart div with whether it was drawn, its trace count and first axis title."""
    result: list[dict[str, Any]] = page.evaluate(
        """() => Array.from(document.querySelectorAll('#charts div.plot')).map(d => ({
              id: d.dataset.chart,
              drawn: !!d.querySelector('svg.main-svg'),
              traces: (d.data || []).length,
              title: ((d.layout || {}).title || {}).text || '',
              subtitle: (((d.layout || {}).title || {}).subtitle || {}).text || '',
              xaxis: (((d.layout || {}).xaxis || {}).title || {}).text || '',
           }))"""
    )
    return result


def _overlaps(page: Any) -> dict[str, Any]:
    """Chart parts whose boxes intersect (legend vs title, x-axis title, caption), and how
    many legends and x-axis titles were measured."""
    found: dict[str, Any] = page.evaluate(
        """() => {
          const box = (el) => el ? el.getBoundingClientRect() : null;
          const hit = (a, b) => a && b && a.width > 0 && b.width > 0 &&
            a.left < b.right - 1 && b.left < a.right - 1 &&
            a.top < b.bottom - 1 && b.top < a.bottom - 1;
          const out = [];
          let legends = 0, xtitles = 0;
          for (const fig of document.querySelectorAll('#charts figure.chart')) {
            const d = fig.querySelector('div.plot');
            const parts = {
              legend: box(d.querySelector('g.legend')),
              title: box(d.querySelector('g.g-gtitle')),
              xtitle: box(d.querySelector('g.g-xtitle')),
              caption: box(fig.querySelector('figcaption')),
            };
            if (parts.legend && parts.legend.width > 0) legends += 1;
            if (parts.xtitle && parts.xtitle.width > 0) xtitles += 1;
            for (const other of ['title', 'xtitle', 'caption']) {
              if (hit(parts.legend, parts[other])) out.push(d.dataset.chart + ': legend/' + other);
            }
            if (hit(parts.xtitle, parts.caption)) out.push(d.dataset.chart + ': xtitle/caption');
          }
          return {overlaps: out, legends: legends, xtitles: xtitles};
        }"""
    )
    return found


def _api(page: Any, url: str) -> dict[str, Any]:
    body: dict[str, Any] = page.evaluate(
        "async (u) => (await fetch(u, {credentials: 'same-origin'})).json()", url
    )
    return body


@pytest.mark.parametrize("page_id", list(PAGES))
def test_page_renders_offline(
    page_id: str, base_url: str, browser_page: tuple[Any, dict[str, list[str]]]
) -> None:
    page, log = browser_page
    before = {k: len(v) for k, v in log.items()}
    page.goto(f"{base_url}/{page_id}", wait_until="load")
    _wait_loaded(page)
    payload = _api(page, f"/api/{page_id}")
    assert page.inner_text(".demo-banner").startswith(DEMO_LABEL)
    status = page.inner_text("#status")
    assert f"As of {END}" in status and DEMO_LABEL in status
    assert page.input_value("#asof") == END
    charts = _charts(page)
    assert [c["id"] for c in charts] == [c["id"] for c in payload["charts"]]
    assert charts, page_id
    for c, spec in zip(charts, payload["charts"], strict=True):
        assert c["drawn"], c["id"]
        assert c["traces"] == len(spec["figure"]["data"]) >= 1
        assert c["title"] == spec["figure"]["layout"]["title"]["text"]
        assert c["subtitle"] == DEMO_LABEL
        assert c["xaxis"] == spec["figure"]["layout"]["xaxis"]["title"]["text"]
    # the legend sits clear of the title, the x-axis title and the source caption
    geometry = _overlaps(page)
    assert geometry["overlaps"] == [], page_id
    assert geometry["xtitles"] >= 1  # measured, so the check can fail
    if any(len(c["figure"]["data"]) >= 2 for c in payload["charts"]):
        assert geometry["legends"] >= 1, page_id
    rows = page.eval_on_selector_all("#findings tr[data-finding]", "rs => rs.map(r => r.id)")
    assert rows == [f"f-{f['id']}" for f in payload["findings"]]
    paras = page.eval_on_selector_all(
        "#narrative p:not(.headline)", "ps => ps.map(p => p.textContent)"
    )
    assert paras == payload["paragraphs"]
    for key in ("blocked", "errors", "csp"):
        assert log[key][before[key] :] == [], (page_id, key, log[key][before[key] :])


def test_filters_change_the_page(
    base_url: str, browser_page: tuple[Any, dict[str, list[str]]]
) -> None:
    page, log = browser_page
    page.goto(f"{base_url}/divergence", wait_until="load")
    _wait_loaded(page)
    first = page.inner_text("#f-divergence\\.altseason_index td.value")
    page.fill("#asof", EARLIER)
    page.fill("#assets", "btc,eth")
    page.click("#filters button[type=submit]")
    _wait_loaded(page)
    page.wait_for_function(
        "d => document.getElementById('status').textContent.includes(d)", arg=f"As of {EARLIER}"
    )
    assert f"asof={EARLIER}" in page.url and "assets=btc%2Ceth" in page.url
    second = page.inner_text("#f-divergence\\.altseason_index td.value")
    expected = _api(page, f"/api/divergence?asof={EARLIER}&assets=btc,eth")
    by_id = {f["id"]: f for f in expected["findings"]}
    assert second == by_id["divergence.altseason_index"]["text"] != first
    charts = _charts(page)
    assert charts[0]["id"] == "selected-assets" and charts[0]["drawn"] and charts[0]["traces"] == 2
    # the navigation keeps the filters
    assert page.get_attribute("nav a[href^='/flows']", "href").endswith(
        f"?asof={EARLIER}&assets=btc%2Ceth&underlying=BTC"
    )
    # options for ETH
    page.goto(f"{base_url}/options", wait_until="load")
    _wait_loaded(page)
    page.select_option("#underlying", "ETH")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#chart-oi-by-strike-eth svg.main-svg", timeout=LOAD_TIMEOUT_MS)
    _wait_loaded(page)
    assert page.inner_text("#f-derivatives\\.eth\\.call_wall td.value").startswith("$")
    assert "Underlying: ETH" in page.inner_text("#status")
    # a page without underlying-specific content shows the selector disabled and says why
    page.goto(f"{base_url}/divergence", wait_until="load")
    _wait_loaded(page)
    assert page.is_disabled("#underlying")
    assert "underlying selector does not apply" in page.inner_text("#status")
    # an invalid filter shows the server's message, not a broken page
    page.fill("#assets", "BTC,NOPE9")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#status.error")
    assert "NOPE9" in page.inner_text("#status")
    errors = [e for e in log["errors"] if "400" not in e]  # the refused request is logged
    assert log["blocked"] == [] and log["csp"] == [] and errors == []


def test_screenshots(
    base_url: str, browser_page: tuple[Any, dict[str, list[str]]], tmp_path: Path
) -> None:
    page, log = browser_page
    for page_id in ("overview", "options"):
        page.goto(f"{base_url}/{page_id}", wait_until="load")
        _wait_loaded(page)
        out = tmp_path / f"dashboard-{page_id}.png"
        page.screenshot(path=str(out), full_page=True)
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert log["blocked"] == [] and log["csp"] == []
