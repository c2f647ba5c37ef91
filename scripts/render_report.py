"""Build the demo report and a real-data report and render them to PNG for reading.

Usage::

    uv run python scripts/render_report.py [OUT_DIR] [--real /work/shared/data/real]

For each report (``demo``, ``real``) it writes ``OUT_DIR/<name>/report/`` (HTML,
PDF, Markdown, findings.json) and the pictures a person reads:

* ``OUT_DIR/<name>/html.png``: the HTML page in headless Chromium, full page, once every
  chart has drawn, and ``html-NN.png`` slices of it a viewer shows legibly;
* ``OUT_DIR/<name>/pdf-<n>.png``: every PDF page (``pdftoppm -png``).

The real store is built from a representative subset of the real datasets
(daily prices for BTC, ETH and 50 alts, CoinMarketCap monthly caps, macro, BTC
and ETH spot-ETF flows, a BTC options chain, Fear & Greed). Needs
``chromium`` and ``pdftoppm`` on PATH. This script talks (it is not the
library); it prints what it wrote.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

from altseason.report import build_report, write_report
from altseason.store import Store

DEMO_ASOF = "2025-06-30"
REAL_ASOF = "2026-02-20"
CMC = (
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/coinmarketcap_monthly_all_snapshots.csv"
)


def real_files(real: Path) -> list[Path]:
    """The representative subset of the real datasets (files that exist)."""
    picks = [
        *sorted((real / "prices" / "btctree__btc-power" / "data" / "alt").glob("*USDT.csv")),
        *sorted((real / "prices" / "djienne__Hurst_Crypto" / "data").glob("*USDT.csv"))[:50],
        real / CMC,
        *[
            real / "macro" / "sivamsapingali__Codex_Macro-Monitor" / "data" / f"{s}.csv"
            for s in ("M2SL", "WALCL", "RRPONTSYD", "WTREGEN", "SP500")
        ],
        real / "etf_flows" / "kittycapital__btc-etf-dashboard" / "data" / "etf_flows.json",
        real / "etf_flows" / "kittycapital__btc-etf-dashboard" / "data" / "eth_etf_flows.json",
        real
        / "options"
        / "GitHubAvailable__heston-bitcoin-pricing"
        / "data"
        / "deribit_btc_options.csv",
        real / "sentiment" / "edwardchin811227__cryptofear-and-greed-index" / "data" / "fng.csv",
    ]
    return [p for p in picks if p.exists()]


def build_demo(path: Path) -> None:
    from altseason.sources.demo import write_demo

    with Store(path) as store:
        write_demo(store, start="2024-01-01", end=DEMO_ASOF)  # the quick start's universe


def build_real(path: Path, real: Path) -> None:
    from altseason.sources.files import import_files

    with Store(path) as store:
        import_files(store, real_files(real), on_error="reject", skip_unknown=True)


SLICE_PX = 4000
"""Height of the readable slices of the full-page HTML screenshot."""


def screenshot_html(chromium: str, html: Path, out: Path) -> list[Path]:
    """The whole HTML page in headless Chromium (``html.png``) once every chart has drawn,
    plus ``html-NN.png`` slices of :data:`SLICE_PX` pixels that an image viewer shows legibly."""
    from playwright.sync_api import sync_playwright

    for old in out.glob("html-*.png"):
        old.unlink()
    shots = [out / "html.png"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(html.resolve().as_uri(), wait_until="load")
            n = page.evaluate("() => document.querySelectorAll('div[id^=chart-]').length")
            page.wait_for_function(
                f"document.querySelectorAll('div[id^=chart-] svg.main-svg').length >= {n}",
                timeout=120_000,
            )
            page.screenshot(path=str(shots[0]), full_page=True)
            height = int(page.evaluate("() => document.documentElement.scrollHeight"))
            for k, top in enumerate(range(0, height, SLICE_PX), start=1):
                shot = out / f"html-{k:02d}.png"
                clip = {"x": 0, "y": top, "width": 1280, "height": min(SLICE_PX, height - top)}
                page.screenshot(path=str(shot), full_page=True, clip=clip)
                shots.append(shot)
        finally:
            browser.close()
    return shots


def render(store_path: Path, asof: str, out: Path) -> list[Path]:
    """Build and write the report, then screenshot the HTML and rasterise the PDF."""
    with Store(store_path) as store:
        report = build_report(store, asof=asof)
    written = write_report(report, out / "report")
    pngs: list[Path] = []
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium and "html" in written:
        pngs += screenshot_html(chromium, written["html"], out)
    if shutil.which("pdftoppm") and "pdf" in written:
        for old in out.glob("pdf-*.png"):
            old.unlink()
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", str(written["pdf"]), str(out / "pdf")],
            check=True,
            timeout=300,
        )
        pngs += sorted(out.glob("pdf-*.png"))
    return pngs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default="build/render", type=Path)
    ap.add_argument("--real", default="/work/shared/data/real", type=Path)
    ap.add_argument("--only", choices=("demo", "real"), default=None)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    if args.only in (None, "demo"):
        jobs.append(("demo", DEMO_ASOF, lambda p: build_demo(p)))
    if args.only in (None, "real") and args.real.is_dir():
        jobs.append(("real", REAL_ASOF, lambda p: build_real(p, args.real)))
    for name, asof, build in jobs:
        store_path = out / name / "store.duckdb"
        store_path.parent.mkdir(parents=True, exist_ok=True)
        if not store_path.exists():
            build(store_path)
        for png in render(store_path, asof, out / name):
            print(png)


if __name__ == "__main__":
    main()
