"""The real files of ../shared/data/real (FILES.csv): detected and imported without --map.

Values are checked against plain pandas on the same files; nothing is copied
into the repository (derived variants are written to tmp_path).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.sources.files import detect_format, import_file, read_file
from altseason.sources.files._prices import MAX_DAILY_VOLUME_USD
from altseason.store import Store

pytestmark = pytest.mark.real_data

NOT_IMPORTABLE = {
    # summaries and metadata of other files: no facts of their own
    "historical_funding_rates_top100_summary_20251025_124832.csv": "summary",
    "historical_open_interest_top100_since2020_summary_20251026_113816.csv": "summary",
    "market_coverage.csv": "metadata",
    "metadata.csv": "metadata",
    "series_coverage.csv": "metadata",
    "_metadata.csv": "metadata",
    "coinbase_top200_summary_20251025_171425.csv": "summary",
    # no store table holds these quantities
    "orderflow.csv": "taker buy fraction: no table",
    "daily_calculated_market_cap_clean.csv": "market caps without prices: derived, no close",
    "cmc_categories_20251026_151505.csv": "category performance: no table",
}
"""Files of FILES.csv a user would not import, with the reason."""


def _files(real: Path) -> list[tuple[str, str]]:
    with (real / "FILES.csv").open() as fh:
        return [(r["staged_path"], r["topic"]) for r in csv.DictReader(fh)]


def test_every_real_file_is_detected(real_data: Path) -> None:
    """Every data file in FILES.csv matches exactly one format (ambiguity raises);
    only the listed summaries/metadata are not recognised."""
    undetected = []
    for rel, _topic in _files(real_data):
        if detect_format(real_data / rel) is None:
            undetected.append(Path(rel).name)
    assert sorted(undetected) == sorted(NOT_IMPORTABLE)


SAMPLE = [
    ("prices/djienne__Hurst_Crypto/data/SOLUSDT.csv", "binance_klines", "prices"),
    ("prices/jumpotsa__Bybit_Cross_Momentum/data/1000PEPEUSDT.csv", "bybit_klines", "prices"),
    ("prices/btctree__btc-power/data/alt/LINKUSDT.csv", "ohlcv_daily", "prices"),
    ("macro/btctree__btc-power/data/global/ETH_USD.csv", "ohlcv_daily", "prices"),
    (
        "prices/smoothbrainquant__trading-for-new-dads/data/raw/coingecko_market_data_20251103.csv",
        "coingecko_markets",
        "prices",
    ),
    (
        "prices/smoothbrainquant__trading-for-new-dads/data/raw/crypto_marketcap_latest.csv",
        "cmc_listings",
        "prices",
    ),
    (
        "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
        "coinmarketcap_historical_all_snapshots.csv",
        "cmc_snapshots",
        "prices",
    ),
    (
        "etf_flows/kittycapital__btc-etf-dashboard/data/sol_price.json",
        "coingecko_prices_json",
        "prices",
    ),
    (
        "etf_flows/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv",
        "farside_totals_dmy",
        "etf_flows",
    ),
    (
        "etf_flows/ciyberpunk__farside-etf/Data/ethereum_etf_totals_daily.csv",
        "farside_totals",
        "etf_flows",
    ),
    (
        "etf_flows/ciyberpunk__farside-etf/Data/ethereum_etf_flows_wide_daily.csv",
        "farside_wide",
        "etf_flows",
    ),
    (
        "etf_flows/kittycapital__btc-etf-dashboard/data/sol_etf_flows.json",
        "etf_flows_json",
        "etf_flows",
    ),
    ("macro/YoussefKh200__Slow-Turtle-Research/data/SI=F.csv", "yahoo_daily", "macro"),
    ("macro/btctree__btc-power/data/global/TLT.csv", "yahoo_daily", "macro"),
    ("macro/sivamsapingali__Codex_Macro-Monitor/data/DGS10.csv", "fred_series", "macro"),
    ("onchain/hhysteric__btc-cycle-dashboard/data/nupl.csv", "cryptoquant", "onchain"),
    (
        "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv",
        "fear_greed",
        "sentiment",
    ),
    ("derivatives/btctree__btc-power/data/funding.csv", "funding_daily", "funding"),
]


@pytest.mark.parametrize(("rel", "fmt", "table"), SAMPLE, ids=[Path(s[0]).name for s in SAMPLE])
def test_real_file_imports_without_options(real_data: Path, rel: str, fmt: str, table: str) -> None:
    reader, res = read_file(real_data / rel, on_error="reject")
    assert reader.name == fmt
    frame = res.tables[table]
    assert len(frame) > 0
    # real files hold the odd bad row (a 0 price in a CMC snapshot): rejected, never the bulk
    assert len(res.rejects) <= 0.01 * res.rows_read
    if table == "prices" and "volume_usd" in frame and frame["volume_usd"].notna().any():
        assert frame["volume_usd"].max() <= MAX_DAILY_VOLUME_USD


def _volumes(store: Store) -> pd.DataFrame:
    return store.read_table("prices", asset_id="BTC")


@pytest.mark.parametrize("yahoo_first", [True, False])
def test_btc_volume_plausible_with_yahoo_next_to_binance(
    real_data: Path, store: Store, yahoo_first: bool
) -> None:
    """Yahoo's BTC-USD volume is already USD: stored as given (was x close: 2e14-4e15),
    next to Binance klines' quote volume, in either import order."""
    yahoo = real_data / "macro/btctree__btc-power/data/global/BTC_USD.csv"
    binance = real_data / "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv"
    files = [yahoo, binance] if yahoo_first else [binance, yahoo]
    for f in files:
        import_file(store, f, on_error="reject")
    got = _volumes(store)
    assert len(got) > 3000
    assert got["volume_usd"].max() < MAX_DAILY_VOLUME_USD
    raw = pd.read_csv(yahoo, parse_dates=["date"]).set_index("date")["volume"]
    from_yahoo = got[got["source"].str.contains("BTC_USD")].set_index("date")["volume_usd"]
    assert len(from_yahoo) > 0
    np.testing.assert_allclose(from_yahoo, raw.reindex(from_yahoo.index).astype(float))
    # the same day from both sources agrees to within an order of magnitude (Yahoo
    # aggregates venues, Binance is one): a unit error would be a factor ~1e5
    _, yres = read_file(yahoo)
    _, bres = read_file(binance)
    y = yres.tables["prices"].set_index("date")["volume_usd"]
    b = bres.tables["prices"].set_index("date")["volume_usd"]
    both = y.index.intersection(b.index)
    ratio = (y[both] / b[both]).median()
    assert 0.1 < ratio < 100


def test_farside_totals_iso_newest_first_matches_the_dmy_export(
    real_data: Path, tmp_path: Path
) -> None:
    """The Farside totals table re-written with ISO datetimes, newest first, under a
    ``Datetime,Total`` header reads to the same flows (and not as on-chain data)."""
    src = real_data / "etf_flows/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv"
    raw = pd.read_csv(src, dtype=str)
    days = pd.to_datetime(raw["Date"], format="%d %b %Y", errors="coerce")
    iso = raw.assign(Date=days.dt.strftime("%Y-%m-%d %H:%M:%S").where(days.notna(), raw["Date"]))
    data, footer = iso[days.notna()], iso[days.isna()]
    out = pd.concat([data.iloc[::-1], footer]).rename(columns={"Date": "Datetime"})
    path = tmp_path / "btc_etf_flows.csv"
    out.to_csv(path, index=False)
    reader, res = read_file(path)
    assert reader.name == "farside_totals_dmy"
    _, ref = read_file(src)
    pd.testing.assert_frame_equal(
        res.tables["etf_flows"].reset_index(drop=True),
        ref.tables["etf_flows"].reset_index(drop=True),
    )
    flows = res.tables["etf_flows"]
    total_2025 = flows[flows["date"].dt.year == 2025]["flow_usd"].sum() / 1e6
    assert total_2025 == pytest.approx(21_348.3, abs=0.05)
