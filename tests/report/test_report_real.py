"""The report on a store filled from the real datasets (../shared/data/real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from altseason.labels import DEMO_LABEL
from altseason.report import build_report, write_report
from altseason.store import Store


@pytest.mark.real_data
def test_report_on_real_data(real_data: Path, tmp_path: Path) -> None:
    from altseason.sources.files import import_files

    prices = real_data / "prices" / "djienne__Hurst_Crypto" / "data"
    picks = [
        *sorted(prices.glob("*USDT.csv"))[:50],
        real_data / "etf_flows" / "kittycapital__btc-etf-dashboard" / "data" / "etf_flows.json",
        real_data
        / "options"
        / "GitHubAvailable__heston-bitcoin-pricing"
        / "data"
        / "deribit_btc_options.csv",
        real_data
        / "sentiment"
        / "edwardchin811227__cryptofear-and-greed-index"
        / "data"
        / "fng.csv",
        *[
            real_data / "macro" / "sivamsapingali__Codex_Macro-Monitor" / "data" / f"{s}.csv"
            for s in ("M2SL", "WALCL", "RRPONTSYD", "WTREGEN", "SP500")
        ],
    ]
    picks = [p for p in picks if p.exists()]
    store = Store(tmp_path / "real.duckdb")
    try:
        import_files(store, picks, on_error="reject", skip_unknown=True)
        assert store.count("prices") > 10_000
        report = build_report(store, asof="2025-12-31")
        paths = write_report(report, tmp_path / "out")
        assert {"html", "md", "pdf"} <= set(paths)
        assert not report.demo
        html = paths["html"].read_text(encoding="utf-8")
        assert DEMO_LABEL not in html
        fs = report.findings
        # numbers a reader can check against the files: BTC ETF flows, options, sentiment
        assert fs.available("flows.cumulative_flow")
        assert fs.available("derivatives.call_wall")
        assert fs.value("derivatives.call_wall") > fs.value("derivatives.spot")  # type: ignore[operator]
        assert fs.available("sentiment.fear_greed")
        assert 0 <= fs.value("sentiment.fear_greed") <= 100  # type: ignore[operator]
        assert fs.available("divergence.btc_return")
    finally:
        store.close()
