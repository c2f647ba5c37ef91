"""Fuzzing every file reader (``READERS``), ``detect_format``, ``read_file`` and
``import_file`` with malformed, truncated, huge, unicode and adversarial files.

Seeds are small slices (a header and ~40 rows, or a few JSON records) of the
real files in ``shared/data/real``, read at test time. Each example mutates
one seed (cells replaced by NaN/inf strings, huge numbers, NUL bytes,
unicode; BOM, CRLF, wrong delimiters, truncation, duplicated or swapped
lines, HTML instead of data; JSON fields deleted, re-typed, nested) and
imports it. Allowed outcomes: an import, or an :class:`AltseasonError` whose
message is non-empty and names the file; after a failed import the store is
exactly as before (data tables, ``ingest_log``, ``rejects``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import zstandard
from fuzz_support import FUZZ, fingerprint, mutated_json, mutated_text
from hypothesis import given
from hypothesis import strategies as st

from altseason.exceptions import AltseasonError
from altseason.sources.files import READERS, ReadOptions, detect_format, import_file
from altseason.store import TABLES, Store

pytestmark = pytest.mark.real_data

WATCHED = [*TABLES, "ingest_log", "rejects"]
TODAY = pd.Timestamp("2026-12-31")
ROWS = 40

#: Reader -> a real file in its format (the smallest one) and the seed's file name.
CSV_SEEDS: dict[str, str] = {
    "binance_klines": "prices/djienne__Hurst_Crypto/data/KITEUSDT.csv",
    "bybit_klines": "prices/jumpotsa__Bybit_Cross_Momentum/data/PYRUSDT.csv",
    "ohlcv_daily": "prices/btctree__btc-power/data/alt/SOLUSDT.csv",
    "coinbase_ohlcv": (
        "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
        "coinbase_top200_daily_20200101_to_present_20251025_171425.csv"
    ),
    "cmc_snapshots": (
        "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
        "coinmarketcap_historical_all_snapshots.csv"
    ),
    "farside_wide": "etf_flows/ciyberpunk__farside-etf/Data/ethereum_etf_flows_wide_daily.csv",
    "farside_long": "etf_flows/ciyberpunk__farside-etf/Data/ethereum_etf_flows_long_daily.csv",
    "farside_totals": "etf_flows/ciyberpunk__farside-etf/Data/ethereum_etf_totals_daily.csv",
    "farside_totals_dmy": "etf_flows/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv",
    "deribit_heston": (
        "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options_clean.csv"
    ),
    "deribit_instruments": "options/tessicin__volatility/btc_options.csv",
    "deribit_summary": "options/jiaxiang-cheng__definer/data/deribit_options.csv",
    "deribit_quotes": "options/sol-dnn__HestonCryptoPricing/data/eth_options.csv",
    "fred_series": "macro/sivamsapingali__Codex_Macro-Monitor/data/PPIFIS.csv",
    "yahoo_daily": "macro/btctree__btc-power/data/global/FNGU.csv",
    "cryptoquant": "onchain/hhysteric__btc-cycle-dashboard/data/realized_price.csv",
    "coinmetrics_daily": "onchain/btctree__btc-power/data/onchain.csv",
    "fear_greed": "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv",
    "funding_daily": "derivatives/btctree__btc-power/data/funding.csv",
    "coinalyze_funding": (
        "derivatives/smoothbrainquant__trading-for-new-dads/data/raw/"
        "historical_funding_rates_top100_20251025_124832.csv"
    ),
    "coinalyze_oi": (
        "derivatives/smoothbrainquant__trading-for-new-dads/data/raw/"
        "historical_open_interest_top100_since2020_20251026_113816.csv"
    ),
    "category_map": (
        "sectors/smoothbrainquant__trading-for-new-dads/data/raw/category_mappings_validated.csv"
    ),
    "coingecko_markets": (
        "prices/smoothbrainquant__trading-for-new-dads/data/raw/coingecko_market_data_20251103.csv"
    ),
    "cmc_listings": (
        "prices/smoothbrainquant__trading-for-new-dads/data/raw/crypto_marketcap_latest.csv"
    ),
}
#: Readers without a real file in shared/data/real: a generated seed in the site's layout.
CMC_HISTORY_NAME = "Bitcoin_1_1_2025-1_31_2025_historical_data_coinmarketcap.csv"


def _cmc_history_seed(rows: int = ROWS) -> str:
    """CoinMarketCap's historical-data download: BOM, ';', quoted ISO times, newest first."""
    head = (
        "timeOpen;timeClose;timeHigh;timeLow;name;open;high;low;close;volume;marketCap;"
        "circulatingSupply;timestamp"
    )
    lines = [head]
    for i, day in enumerate(pd.date_range("2025-01-01", periods=rows, freq="D")[::-1]):
        d = day.strftime("%Y-%m-%d")
        px = 95_000 + 250 * i
        lines.append(
            f'"{d}T00:00:00.000Z";"{d}T23:59:59.999Z";"{d}T14:02:00.000Z";"{d}T03:11:00.000Z";'
            f'"2781";{px};{px * 1.02:.2f};{px * 0.98:.2f};{px + 100};{3.1e10 + i * 1e8:.2f};'
            f'{(px + 100) * 19.8e6:.2f};19800000;"{d}T23:59:59.999Z"'
        )
    return "\ufeff" + "\n".join(lines) + "\n"


JSON_SEEDS: dict[str, str] = {
    "coingecko_prices_json": "etf_flows/kittycapital__btc-etf-dashboard/data/sol_price.json",
    "etf_flows_json": "etf_flows/kittycapital__btc-etf-dashboard/data/sol_etf_flows.json",
}
BUNDLE = "sectors/PyPI__trading-strategy-0.28/tradingstrategy/data_bundles/coingecko.json.zstd"
GENERIC_CSV = (
    "asset_id,date,open,high,low,close,volume_usd\n"
    "BTC,2024-01-01,42000,43000,41000,42500,1e10\n"
    "BTC,2024-01-02,42500,45000,42000,44900,2e10\n"
    "ETH,2024-01-01,2280,2360,2260,2350,8e9\n"
    "ETH,2024-01-02,2350,2440,2340,2430,9e9\n"
)


def test_every_reader_is_fuzzed() -> None:
    """Adding a reader without a seed here fails, so no format escapes the fuzzing."""
    assert set(READERS) == {
        *CSV_SEEDS,
        *JSON_SEEDS,
        "cmc_history",
        "coingecko_bundle",
        "csv",
        "parquet",
    }


# ---------------------------------------------------------------------- seeds
def _csv_slice(path: Path, rows: int = ROWS) -> str:
    """The header and the first ``rows`` data lines of a real CSV."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = [fh.readline() for _ in range(rows + 1)]
    return "".join(lines)


def _trim_json(obj: Any, n: int = 12) -> Any:
    """A JSON value with every list/object cut to its first ``n`` entries."""
    if isinstance(obj, list):
        return [_trim_json(v, n) for v in obj[:n]]
    if isinstance(obj, dict):
        items = list(obj.items())
        keep = items if len(items) <= 40 else items[:n]
        return {k: _trim_json(v, n) for k, v in keep}
    return obj


def _bundle_slice(path: Path, n: int = 4) -> list[Any]:
    """The first ``n`` coins of the zstd CoinGecko bundle (streamed, never all read)."""
    with path.open("rb") as fh, zstandard.ZstdDecompressor().stream_reader(fh) as reader:
        text = reader.read(2_000_000).decode("utf-8", errors="ignore")
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    coins = []
    while len(coins) < n:
        while text[pos] in " \r\n\t,":
            pos += 1
        coin, pos = decoder.raw_decode(text, pos)
        coins.append(coin)
    return coins


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


@pytest.fixture
def disk_store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "fuzz.duckdb") as s:
        yield s


def _import(store: Store, path: Path, fmt: str | None, on_error: str) -> None:
    """Detect and import ``path``: an import or a clear AltseasonError, never a partial write."""
    before = fingerprint(store.con, WATCHED)
    try:
        detect_format(path)
    except AltseasonError as exc:
        assert str(exc).strip() and str(path) in str(exc), str(exc)
    try:
        import_file(
            store,
            path,
            format=fmt,
            options=ReadOptions(today=TODAY),
            on_error=on_error,  # type: ignore[arg-type]
        )
    except AltseasonError as exc:
        text = str(exc)
        assert text.strip(), "empty error message"
        assert str(path) in text or str(path.resolve()) in text, text
        assert fingerprint(store.con, WATCHED) == before, "a failed import changed the store"


def _fuzz_bytes(store: Store, path: Path, fmt: str | None, data: st.SearchStrategy[bytes]) -> None:
    @FUZZ
    @given(content=data, on_error=st.sampled_from(["fail", "reject"]), detect=st.booleans())
    def run(content: bytes, on_error: str, detect: bool) -> None:
        path.write_bytes(content)
        _import(store, path, None if detect else fmt, on_error)

    run()


# ---------------------------------------------------------------------- fuzz tests
@pytest.mark.parametrize("fmt", sorted(CSV_SEEDS))
def test_csv_reader_fuzz(fmt: str, real_data: Path, tmp_path: Path, disk_store: Store) -> None:
    real = real_data / CSV_SEEDS[fmt]
    seed = _csv_slice(real)
    path = tmp_path / real.name
    path.write_text(seed, encoding="utf-8")
    reader = detect_format(path)
    assert reader is not None and reader.name == fmt  # the seed itself is recognised
    text = mutated_text(seed).map(lambda t: t.encode("utf-8", errors="surrogatepass"))
    _fuzz_bytes(disk_store, path, fmt, text)


def test_cmc_history_fuzz(tmp_path: Path, disk_store: Store) -> None:
    seed = _cmc_history_seed()
    path = tmp_path / CMC_HISTORY_NAME
    path.write_text(seed, encoding="utf-8")
    reader = detect_format(path)
    assert reader is not None and reader.name == "cmc_history"
    text = mutated_text(seed).map(lambda t: t.encode("utf-8", errors="surrogatepass"))
    _fuzz_bytes(disk_store, path, "cmc_history", text)


@pytest.mark.parametrize("fmt", sorted(JSON_SEEDS))
def test_json_reader_fuzz(fmt: str, real_data: Path, tmp_path: Path, disk_store: Store) -> None:
    real = real_data / JSON_SEEDS[fmt]
    seed = _trim_json(json.loads(real.read_text(encoding="utf-8")))
    path = tmp_path / real.name
    path.write_text(json.dumps(seed))
    reader = detect_format(path)
    assert reader is not None and reader.name == fmt
    docs = mutated_json(seed).map(lambda d: json.dumps(d).encode())
    raw = mutated_text(json.dumps(seed, indent=1)).map(
        lambda t: t.encode("utf-8", errors="surrogatepass")
    )
    _fuzz_bytes(disk_store, path, fmt, st.one_of(docs, raw))


def test_coingecko_bundle_fuzz(real_data: Path, tmp_path: Path, disk_store: Store) -> None:
    seed = _bundle_slice(real_data / BUNDLE)
    path = tmp_path / "coingecko.json.zstd"
    path.write_bytes(_zstd(json.dumps(seed).encode()))
    reader = detect_format(path)
    assert reader is not None and reader.name == "coingecko_bundle"
    docs = mutated_json(seed).map(lambda d: json.dumps(d).encode())
    raw = mutated_text(json.dumps(seed)).map(lambda t: t.encode("utf-8", errors="surrogatepass"))
    content = st.tuples(st.one_of(docs, raw), st.booleans(), st.integers(0, 10**6)).map(
        lambda t: _zstd(t[0])[: t[2]] if t[1] else t[0]  # some compressed and cut short
    )
    _fuzz_bytes(disk_store, path, "coingecko_bundle", content)


def test_generic_csv_fuzz(tmp_path: Path, disk_store: Store) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(GENERIC_CSV)
    reader = detect_format(path)
    assert reader is not None and reader.name == "csv"
    text = mutated_text(GENERIC_CSV).map(lambda t: t.encode("utf-8", errors="surrogatepass"))
    _fuzz_bytes(disk_store, path, "csv", text)


def test_generic_parquet_fuzz(tmp_path: Path, disk_store: Store) -> None:
    seed = pd.read_csv(io.StringIO(GENERIC_CSV))
    path = tmp_path / "prices.parquet"
    path.write_bytes(_parquet_bytes(seed))
    reader = detect_format(path)
    assert reader is not None and reader.name == "parquet"
    good = _parquet_bytes(seed)
    cell = st.one_of(
        st.sampled_from([None, "", "NaN", "inf", "-1", "1e309", "\x00", "😀", "2024-02-30"]),
        st.floats(),
        st.integers(-(2**63), 2**63 - 1),
    )

    @st.composite
    def frames(draw: st.DrawFn) -> bytes:
        kind = draw(st.sampled_from(["cell", "cut", "flip", "column"]))
        if kind == "cut":
            return good[: draw(st.integers(0, len(good) - 1))]
        if kind == "flip":
            at = draw(st.integers(0, len(good) - 1))
            return good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1 :]
        frame = seed.astype(object)
        if kind == "column":
            frame = frame.rename(columns={draw(st.sampled_from(list(frame.columns))): "x"})
        else:
            i = draw(st.integers(0, len(frame) - 1))
            c = draw(st.sampled_from(list(frame.columns)))
            frame.loc[i, c] = draw(cell)
        try:
            return _parquet_bytes(frame)
        except Exception:  # pyarrow refuses mixed object columns: write them as text
            return _parquet_bytes(frame.astype(str))

    _fuzz_bytes(disk_store, path, "parquet", frames())


# ---------------------------------------------------------------------- huge and hostile
def test_huge_csv_imports_in_one_batch(tmp_path: Path, disk_store: Store) -> None:
    """50,000 daily rows import in one transaction (a daily macro series from 1880:
    prices cannot start before 2009, the prices floor)."""
    days = pd.date_range("1880-01-01", periods=50_000, freq="D")
    lines = [f"{d.date()},{100 + i % 7}.5\n" for i, d in enumerate(days)]
    path = tmp_path / "DGS10.csv"
    path.write_text("observation_date,DGS10\n" + "".join(lines))
    report = import_file(disk_store, path, options=ReadOptions(today=TODAY))
    assert report.rows_written["macro"] == 50_000
    assert disk_store.count("macro") == 50_000


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"[" * 200_000 + b"]" * 200_000, id="deeply-nested-array"),
        pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, id="deeply-nested-object"),
        pytest.param(b"date,close\n" + b"2024-01-01," + b"9" * 1_000_000 + b"\n", id="1MB-cell"),
        pytest.param(b"x" * 1_000_000, id="1MB-line-no-newline"),
        pytest.param(b"\x00" * 100_000, id="nul-bytes"),
        pytest.param(b"\xff\xfe" + "date,close\n".encode("utf-16-le"), id="utf16"),
        pytest.param(bytes(range(256)) * 400, id="binary"),
        pytest.param(b"\n" * 100_000, id="blank-lines"),
        pytest.param(b"date,close\r\n2024-01-01,1\r2024-01-02,2\n", id="mixed-newlines"),
    ],
)
@pytest.mark.parametrize("fmt", sorted(READERS))
def test_hostile_content_for_every_reader(
    fmt: str, content: bytes, tmp_path: Path, disk_store: Store
) -> None:
    suffix = {"coingecko_bundle": ".json.zstd", "parquet": ".parquet"}.get(fmt, ".json")
    suffix = ".csv" if fmt in CSV_SEEDS or fmt == "csv" else suffix
    path = tmp_path / f"hostile{suffix}"
    path.write_bytes(content)
    _import(disk_store, path, fmt, "fail")
    _import(disk_store, path, None, "reject")
