"""Every surface agrees on a store filled from several overlapping real sources.

The store of ``test_consistency`` has one source per topic; users import several:
Binance, Bybit and btc-power klines for the same coins, CoinMarketCap caps that end
months before the prices, three ETF-flow files (Farside totals, Farside by-fund, a
by-fund JSON that books NYSE holidays), two BTC option chains (one without open
interest) and two on-chain vendors. The same finding id must give the same number
on the report, every command's ``--export x.json``, the dashboard API and the
Python API, at the as-of a user would pick (the last broad day) -- in either
import order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_consistency import _check

from altseason.report import build_report
from altseason.store import Store

pytestmark = pytest.mark.real_data

ASOF = "2025-08-29"
"""The last day of the Farside ETH table; Binance, Bybit and btc-power all priced."""

COINS = ("BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LINK", "AVAX", "LTC", "BNB")


def multisource_files(real: Path) -> list[Path]:
    raw = real / "prices" / "smoothbrainquant__trading-for-new-dads" / "data" / "raw"
    kitty = real / "etf_flows" / "kittycapital__btc-etf-dashboard" / "data"
    farside = real / "etf_flows" / "ciyberpunk__farside-etf"
    files = [real / "prices" / "djienne__Hurst_Crypto" / "data" / f"{c}USDT.csv" for c in COINS]
    files += [
        real / "prices" / "jumpotsa__Bybit_Cross_Momentum" / "data" / f"{c}USDT.csv"
        for c in ("BTC", "ETH", "SOL", "OP", "ARB", "AAVE", "UNI", "LDO", "INJ")
    ]
    files += [
        real / "prices" / "btctree__btc-power" / "data" / "alt" / f"{c}USDT.csv"
        for c in ("BTC", "ETH", "SOL")
    ]
    files += [
        raw / "coinmarketcap_monthly_all_snapshots.csv",
        kitty / "etf_flows.json",
        kitty / "eth_etf_flows.json",
        farside / "docs" / "Data" / "bitcoin_etf_totals_daily.csv",
        farside / "Data" / "ethereum_etf_flows_wide_daily.csv",
        real / "etf_flows" / "Mohammad-Hannan__mcg_macro_intel" / "data" / "btc_etf_flows.csv",
        real
        / "options"
        / "GitHubAvailable__heston-bitcoin-pricing"
        / "data"
        / "deribit_btc_options.csv",
        real / "options" / "sol-dnn__HestonCryptoPricing" / "data" / "btc_options.csv",
        real / "options" / "jiaxiang-cheng__definer" / "data" / "deribit_options.csv",
        real / "onchain" / "hhysteric__btc-cycle-dashboard" / "data" / "realized_price.csv",
        real / "onchain" / "hhysteric__btc-cycle-dashboard" / "data" / "mvrv.csv",
        real / "onchain" / "btctree__btc-power" / "data" / "onchain.csv",
        real / "sentiment" / "edwardchin811227__cryptofear-and-greed-index" / "data" / "fng.csv",
        real / "derivatives" / "btctree__btc-power" / "data" / "funding.csv",
    ]
    files += [
        real / "macro" / "sivamsapingali__Codex_Macro-Monitor" / "data" / f"{s}.csv"
        for s in ("M2SL", "WALCL", "RRPONTSYD", "SP500", "DGS10")
    ]
    return files


def _build(real: Path, path: Path, reverse: bool) -> Path:
    from altseason.sources.files import import_files

    files = multisource_files(real)
    with Store(path) as store:
        import_files(store, files[::-1] if reverse else files, on_error="reject")
    return path


@pytest.fixture(scope="module")
def multi_store_path(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(real_data, tmp_path_factory.mktemp("multi") / "fwd.duckdb", reverse=False)


def test_every_surface_agrees_on_a_multisource_store(
    multi_store_path: Path, tmp_path: Path
) -> None:
    compared, n_api = _check(multi_store_path, tmp_path, lambda s: build_report(s, asof=ASOF))
    assert compared > 20
    assert n_api >= 4


def test_resolved_facts_and_findings_do_not_depend_on_import_order(
    real_data: Path, multi_store_path: Path, tmp_path: Path
) -> None:
    """Every resolved table row for row, and the flows and on-chain findings (three ETF
    flow files, two on-chain vendors), are the same when the files come in reverse."""
    import pandas as pd

    from altseason.report import write_report
    from altseason.store import TABLES

    rev = _build(real_data, tmp_path / "rev.duckdb", reverse=True)
    values = []
    tables = []
    for path in (multi_store_path, rev):
        with Store(path, read_only=True) as store:
            tables.append({t: store.read_table(t) for t in TABLES})
            report = build_report(store, asof=ASOF, sections=["flows", "onchain"])
        out = write_report(report, tmp_path / path.stem, formats=("md",))
        fs = json.loads(out["findings"].read_text())["findings"]
        values.append({f["id"]: (f["value"], f["status"]) for f in fs})
    for t in TABLES:
        a, b = tables[0][t], tables[1][t]
        a = a.drop(columns=[c for c in ("ingested_at",) if c in a]).reset_index(drop=True)
        b = b.drop(columns=[c for c in ("ingested_at",) if c in b]).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, obj=t)
    assert values[0] == values[1]
    assert sum(st == "ok" for _v, st in values[0].values()) > 10
