"""A small real-data store for the verify tests (built once per session).

Made from ../shared/data/real: Binance klines (BTC, ETH, SOL), the Farside BTC
spot-ETF totals (2025 net flow 21,348.3 US$ M), the ETH spot-ETF flows by fund
(2025 total 9,686.3 US$ M), the Deribit BTC chain of 2025-12-04, COMEX gold and
silver futures (Yahoo GC=F / SI=F), FRED M2SL and SP500, alternative.me Fear &
Greed and the CryptoQuant BTC realized price.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from altseason.store import Store

FILES = (
    "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv",
    "prices/djienne__Hurst_Crypto/data/ETHUSDT.csv",
    "prices/djienne__Hurst_Crypto/data/SOLUSDT.csv",
    "etf_flows/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv",
    "etf_flows/kittycapital__btc-etf-dashboard/data/eth_etf_flows.json",
    "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options.csv",
    "macro/YoussefKh200__Slow-Turtle-Research/data/GC=F.csv",
    "macro/YoussefKh200__Slow-Turtle-Research/data/SI=F.csv",
    "macro/sivamsapingali__Codex_Macro-Monitor/data/M2SL.csv",
    "macro/sivamsapingali__Codex_Macro-Monitor/data/SP500.csv",
    "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv",
    "onchain/hhysteric__btc-cycle-dashboard/data/realized_price.csv",
)


@pytest.fixture(scope="session")
def real_store_path(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a store filled from the real datasets listed in :data:`FILES`."""
    from altseason.sources.files import import_files

    missing = [f for f in FILES if not (real_data / f).exists()]
    assert not missing, f"real datasets missing: {missing}"
    path = tmp_path_factory.mktemp("verify") / "real.duckdb"
    store = Store(path)
    try:
        summary = import_files(store, [real_data / f for f in FILES], on_error="fail")
        assert not summary.skipped
    finally:
        store.close()
    return path


@pytest.fixture
def real_store(real_store_path: Path) -> Iterator[Store]:
    """The real-data store, opened read-only."""
    store = Store(real_store_path, read_only=True)
    try:
        yield store
    finally:
        store.close()
