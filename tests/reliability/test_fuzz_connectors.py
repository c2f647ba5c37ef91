"""Fuzzing every live connector's extract/transform step with hostile payloads.

Each example mutates a recorded payload (``tests/fixtures/payloads``):
values replaced by NaN/inf strings, huge numbers, wrong JSON types, deeply
nested arrays, deleted or duplicated fields, HTML instead of JSON; text
payloads (FRED CSV, Farside HTML) get truncation, NUL bytes, BOMs, CRLF and
wrong delimiters. The chain is run the way the connector runs it (extract,
transform, ``store.ingest``). Allowed outcomes: a frame the store accepts, or
an :class:`AltseasonError` whose message is non-empty and names the URL;
after a failed ingest the store is exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fuzz_support import FUZZ, fingerprint, mutated_json, mutated_text
from hypothesis import given
from hypothesis import strategies as st

from altseason.exceptions import AltseasonError, SourceError
from altseason.sources import (
    alternative_me,
    binance,
    coingecko,
    coinmetrics,
    deribit,
    farside,
    fred,
    lbma,
)
from altseason.sources._connector import coalesce_existing
from altseason.store import TABLES, Store

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
URL = "https://provider.test/endpoint?asset=btc"
WATCHED = [*TABLES, "ingest_log", "rejects", "fetch_state"]


def _load(provider: str, name: str) -> Any:
    path = PAYLOADS / provider / name
    return json.loads(path.read_text()) if path.suffix == ".json" else path.read_text()


# ---------------------------------------------------------------------- chains
# Each chain: payload -> {table: frame}, as the connector's fetch_* method does it.
def _coingecko_markets(p: Any) -> dict[str, pd.DataFrame]:
    coins = coingecko.extract_markets(p, URL)
    return {"assets": coingecko.transform_markets_assets(coins)}


def _coingecko_chart(p: Any) -> dict[str, pd.DataFrame]:
    frame = coingecko.transform_market_chart(
        p, "BTC", URL, start=pd.Timestamp("2023-01-01"), end=pd.Timestamp("2024-12-31")
    )
    return {"prices": frame}


def _coinmetrics(p: Any) -> dict[str, pd.DataFrame]:
    rows = coinmetrics.extract_asset_metrics(p, URL, list(coinmetrics.METRICS))
    return {"onchain": coinmetrics.transform_asset_metrics(rows, url=URL)}


def _binance_klines(p: Any) -> dict[str, pd.DataFrame]:
    rows = binance.extract_klines(p, URL)
    before = pd.Timestamp("2024-06-01")
    return {"prices": binance.transform_klines(rows, "BTC", before=before, url=URL)}


def _binance_funding(p: Any) -> dict[str, pd.DataFrame]:
    records = binance.extract_funding(p, URL)
    return {"funding": binance.transform_funding(records, "BTC", url=URL)}


def _deribit_book(p: Any) -> dict[str, pd.DataFrame]:
    instruments, summaries = p
    inst = deribit._result(instruments, URL, "get_instruments")
    summ = deribit._result(summaries, URL, "get_book_summary_by_currency")
    if not isinstance(inst, list) or not isinstance(summ, list):
        raise SourceError("deribit: expected lists of instruments and summaries.", url=URL)
    return {"options": deribit.transform_book_summary(summ, inst, URL)}


def _deribit_funding(p: Any) -> dict[str, pd.DataFrame]:
    records = deribit._result(p, URL, "get_funding_rate_history")
    if not isinstance(records, list):
        raise SourceError("deribit: funding history should be a list.", url=URL)
    return {"funding": deribit.transform_funding_history(records, "BTC-PERPETUAL", URL)}


def _deribit_dvol(p: Any) -> dict[str, pd.DataFrame]:
    res = deribit._result(p, URL, "get_volatility_index_data")
    data = deribit.require(res, "data", url=URL, source="deribit", what="volatility index data")
    return {"sentiment": deribit.transform_dvol(data, "BTC", URL)}


def _fred_api(p: Any) -> dict[str, pd.DataFrame]:
    obs = fred.require(p, "observations", url=URL, source="fred", what="the response")
    if not isinstance(obs, list):
        raise SourceError("fred: 'observations' should be a list.", url=URL)
    return {"macro": fred.transform_observations(obs, "M2SL", URL)}


def _alternative_me(p: Any) -> dict[str, pd.DataFrame]:
    entries = alternative_me.extract_fng(p, URL)
    return {"sentiment": alternative_me.transform_fng(entries, url=URL)}


def _lbma(p: Any) -> dict[str, pd.DataFrame]:
    return {"macro": lbma.transform_lbma(p, "GOLD", URL)}


def _fred_csv(text: str) -> dict[str, pd.DataFrame]:
    return {"macro": fred.parse_fredgraph_csv(text, "M2SL", URL)}


def _farside(text: str) -> dict[str, pd.DataFrame]:
    return {"etf_flows": farside.parse_farside_html(text, "BTC", URL)}


JSON_CHAINS: dict[str, tuple[Callable[[Any], dict[str, pd.DataFrame]], Callable[[], Any]]] = {
    "coingecko_markets": (_coingecko_markets, lambda: _load("coingecko", "markets.json")),
    "coingecko_chart": (_coingecko_chart, lambda: _load("coingecko", "market_chart_bitcoin.json")),
    "coinmetrics": (_coinmetrics, lambda: _load("coinmetrics", "asset_metrics_btc.json")),
    "binance_klines": (_binance_klines, lambda: _load("binance", "klines_BTCUSDT.json")),
    "binance_funding": (_binance_funding, lambda: _load("binance", "funding_BTCUSDT.json")),
    "deribit_book": (
        _deribit_book,
        lambda: (
            _load("deribit", "get_instruments_BTC.json"),
            _load("deribit", "get_book_summary_by_currency_BTC.json"),
        ),
    ),
    "deribit_funding": (
        _deribit_funding,
        lambda: _load("deribit", "get_funding_rate_history_BTC-PERPETUAL.json"),
    ),
    "deribit_dvol": (_deribit_dvol, lambda: _load("deribit", "get_volatility_index_data_BTC.json")),
    "fred_api": (_fred_api, lambda: _load("fred", "observations_M2SL.json")),
    "alternative_me": (_alternative_me, lambda: _load("alternative_me", "fng.json")),
    "lbma": (_lbma, lambda: _load("lbma", "gold_pm.json")),
}
TEXT_CHAINS: dict[str, tuple[Callable[[str], dict[str, pd.DataFrame]], Callable[[], str]]] = {
    "fred_csv": (_fred_csv, lambda: _load("fred", "fredgraph_M2SL.csv")),
    "farside": (_farside, lambda: _load("farside", "btc.html")),
}


@pytest.fixture
def mem_store() -> Iterator[Store]:
    with Store(":memory:") as s:
        yield s


def _as_written(store: Store, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """What ``Connector.write_batch`` hands the store (prices/assets are coalesced)."""
    out = {}
    for name, frame in tables.items():
        assert set(frame.columns) <= set(TABLES[name].column_names), (name, frame.columns)
        out[name] = coalesce_existing(store, name, frame) if name in ("assets", "prices") else frame
    return out


def _run_chain(store: Store, chain: Callable[[Any], dict[str, pd.DataFrame]], payload: Any) -> None:
    """Run a chain and ingest its output; only AltseasonErrors, never a partial write."""
    before = fingerprint(store.con, WATCHED)
    try:
        tables = chain(payload)
        tables = _as_written(store, tables)
        for name, frame in tables.items():
            numbers = frame.select_dtypes("number").to_numpy(dtype=float)
            assert not np.isinf(numbers).any(), (name, "an infinite value reached the store")
        store.ingest(dataset="fuzz", source="fuzz", tables=tables)
    except AltseasonError as exc:
        text = str(exc)
        assert text.strip(), "empty error message"
        assert "\n" not in text.strip() or "Traceback" not in text
        if isinstance(exc, SourceError):
            assert exc.url == URL and URL in text, text
        assert fingerprint(store.con, WATCHED) == before, "a failed batch changed the store"


def _seed_chains_run_clean(store: Store) -> None:
    for name, (chain, seed) in {**JSON_CHAINS, **TEXT_CHAINS}.items():
        tables = _as_written(store, chain(seed()))
        assert any(len(f) for f in tables.values()), name
        store.ingest(dataset="seed", source="seed", tables=tables)


def test_recorded_payloads_pass_unchanged(mem_store: Store) -> None:
    """The seeds themselves are valid: every chain yields rows the store accepts."""
    _seed_chains_run_clean(mem_store)


@pytest.mark.parametrize("name", sorted(JSON_CHAINS))
def test_json_transform_fuzz(name: str, mem_store: Store) -> None:
    chain, seed = JSON_CHAINS[name]

    base = seed()
    strategy = (
        st.tuples(*(mutated_json(part) for part in base))
        if isinstance(base, tuple)
        else mutated_json(base)
    )

    @FUZZ
    @given(payload=strategy)
    def run(payload: Any) -> None:
        _run_chain(mem_store, chain, payload)

    run()


@pytest.mark.parametrize("name", sorted(TEXT_CHAINS))
def test_text_transform_fuzz(name: str, mem_store: Store) -> None:
    chain, seed = TEXT_CHAINS[name]

    @FUZZ
    @given(text=mutated_text(seed()))
    def run(text: str) -> None:
        _run_chain(mem_store, chain, text)

    run()


@FUZZ
@given(name=st.text(max_size=40))
def test_parse_instrument_only_source_errors(name: str) -> None:
    try:
        parsed = deribit.parse_instrument(name)
    except SourceError as exc:
        assert repr(name) in str(exc)
    else:
        assert parsed["kind"] in ("C", "P") and parsed["strike"] >= 0


@pytest.mark.parametrize(
    "name", ["coingecko_chart", "coinmetrics", "binance_klines", "deribit_funding", "lbma"]
)
def test_html_and_scalars_instead_of_json(name: str, mem_store: Store) -> None:
    """A challenge page, a bare string, a number or null in place of the payload."""
    chain, _ = JSON_CHAINS[name]
    for payload in ["<html><body>Access denied</body></html>", 42, None, "", [], {}]:
        _run_chain(mem_store, chain, payload)


def test_huge_payload_is_transformed_without_error(mem_store: Store) -> None:
    """50,000 Binance klines (about 5 MB of JSON) go through the chain in one batch."""
    start = pd.Timestamp("1880-01-01")
    rows = [
        [
            int((start + pd.Timedelta(days=i)).timestamp() * 1000),
            "1.0",
            "2.0",
            "0.5",
            "1.5",
            "10",
            0,
            "15",
            1,
            "1",
            "1",
            "0",
        ]
        for i in range(50_000)
    ]
    tables = _binance_klines(rows)
    assert len(tables["prices"]) == 50_000
    result = mem_store.ingest(dataset="huge", source="fuzz", tables=tables)
    # days before 2009-01-03 (the prices floor) are rejected with their reason, not lost
    floor = pd.Timestamp("2009-01-03")
    kept = int((tables["prices"]["date"] >= floor).sum())
    assert mem_store.count("prices") == kept > 0
    assert result.rows_rejected == 50_000 - kept
    reasons = mem_store.read_table("rejects")["reason"]
    assert reasons.str.contains("before 2009-01-03").all()
