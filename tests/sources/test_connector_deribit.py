"""Deribit: option snapshot, instrument names, funding windows, DVOL, drift, resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest
from connector_support import (
    Counting,
    Interrupted,
    deribit_handler,
    load,
    make_client,
    now,
    ok_batches,
    rows,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.exceptions import SourceError
from altseason.sources import snapshot_options
from altseason.sources.deribit import Deribit, parse_instrument
from altseason.store import Store


def _d(store: Store, handler: Counting, datasets: str, **kw: object) -> None:
    Deribit(make_client(handler), now=now).fetch(  # type: ignore[arg-type]
        store, datasets=datasets.split(","), assets=["BTC"], **kw
    )


def test_parse_instrument() -> None:
    p = parse_instrument("BTC-27DEC24-100000-C")
    assert p == {
        "underlying": "BTC",
        "expiry": pd.Timestamp("2024-12-27 08:00"),
        "strike": 100000.0,
        "kind": "C",
    }
    assert parse_instrument("BTC-6DEC25-80000-P")["expiry"] == pd.Timestamp("2025-12-06 08:00")
    q = parse_instrument("XRP_USDC-30MAY25-0d625-P")
    assert q["underlying"] == "XRP" and q["strike"] == 0.625 and q["kind"] == "P"
    with pytest.raises(SourceError, match="cannot parse"):
        parse_instrument("BTC-PERPETUAL")


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(
        min_value=pd.Timestamp("2019-01-01").date(), max_value=pd.Timestamp("2035-12-31").date()
    ),
    strike=st.integers(1, 500_000),
    kind=st.sampled_from("CP"),
)
def test_parse_instrument_roundtrip(day: object, strike: int, kind: str) -> None:
    ts = pd.Timestamp(day)  # type: ignore[arg-type]
    name = f"ETH-{ts.day}{ts.strftime('%b').upper()}{ts.strftime('%y')}-{strike}-{kind}"
    p = parse_instrument(name)
    assert p["expiry"] == ts + pd.Timedelta(hours=8)
    assert p["strike"] == strike and p["kind"] == kind


def test_option_snapshot_values(store: Store) -> None:
    result = snapshot_options(
        store, Deribit(make_client(Counting(deribit_handler)), now=now), ["BTC"]
    )
    got = rows(store, "options")
    books = {
        b["instrument_name"]: b
        for b in load("deribit", "get_book_summary_by_currency_BTC.json")["result"]
    }
    insts = {i["instrument_name"]: i for i in load("deribit", "get_instruments_BTC.json")["result"]}
    assert sorted(got["instrument"]) == sorted(insts)  # expired name (not listed) dropped
    for _, row in got.iterrows():
        b, i = books[row["instrument"]], insts[row["instrument"]]
        assert row["mark_iv"] == pytest.approx(b["mark_iv"] / 100)
        assert row["mark_price"] == b["mark_price"]  # inverse: BTC per option
        assert row["open_interest"] == b["open_interest"] and row["volume"] == b["volume"]
        assert row["underlying_price"] == b["underlying_price"]
        assert row["expiry"] == pd.Timestamp(i["expiration_timestamp"], unit="ms")
        assert row["expiry"].hour == 8 and row["strike"] == i["strike"]
        assert row["kind"] == ("C" if i["option_type"] == "call" else "P")
    stamp = max(b["creation_timestamp"] for b in books.values())
    assert (got["snapshot_ts"] == pd.Timestamp(stamp, unit="ms").floor("min")).all()
    assert result.rows_written == {"options": len(got)}


def test_snapshots_accumulate(store: Store) -> None:
    conn = Deribit(make_client(Counting(deribit_handler)), now=now)
    snapshot_options(store, conn, ["BTC"])

    def later(request: httpx.Request) -> httpx.Response:
        body = deribit_handler(request).json()
        if "book_summary" in request.url.path:
            for b in body["result"]:
                b["creation_timestamp"] += 3_600_000
                b["open_interest"] += 1.0
        return httpx.Response(200, json=body)

    snapshot_options(store, Deribit(make_client(Counting(later)), now=now), ["BTC"])
    got = rows(store, "options")
    assert got["snapshot_ts"].nunique() == 2 and len(got) == 12


def test_funding_windows_and_rate(store: Store) -> None:
    handler = Counting(deribit_handler)
    _d(store, handler, "funding", since="2023-12-01")
    windows = [
        (int(r.url.params["start_timestamp"]), int(r.url.params["end_timestamp"]))
        for r in handler.requests
    ]
    assert len(windows) == 2  # 30-day windows up to now
    assert all(b > a for a, b in windows) and windows[1][0] > windows[0][1]  # no overlap
    got = rows(store, "funding")
    recs = load("deribit", "get_funding_rate_history_BTC-PERPETUAL.json")["result"]
    assert got["rate"].tolist() == [r["interest_1h"] for r in recs]
    assert (got["interval_hours"] == 1).all() and (got["asset_id"] == "BTC").all()


def test_dvol_into_sentiment(store: Store) -> None:
    _d(store, Counting(deribit_handler), "dvol", since="2024-01-01")
    got = rows(store, "sentiment")
    data = load("deribit", "get_volatility_index_data_BTC.json")["result"]["data"]
    assert got["value"].tolist() == [c[4] for c in data]
    assert (got["index_id"] == "dvol_btc").all()


def test_dvol_follows_continuation(store: Store) -> None:
    data = load("deribit", "get_volatility_index_data_BTC.json")["result"]["data"]

    def paged(request: httpx.Request) -> httpx.Response:
        hi = int(request.url.params["end_timestamp"])
        inside = [c for c in data if c[0] <= hi]
        page, rest = inside[-4:], inside[:-4]
        cont = page[0][0] - 1 if rest else None
        return httpx.Response(
            200, json={"jsonrpc": "2.0", "result": {"data": page, "continuation": cont}}
        )

    handler = Counting(paged)
    _d(store, handler, "dvol", since="2024-01-01")
    assert len(handler.requests) == 3
    assert len(rows(store, "sentiment")) == 10


def test_missing_mark_iv_is_null_and_counted(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        body = deribit_handler(request).json()
        if "book_summary" in request.url.path:
            body["result"][0].pop("mark_iv")
        return httpx.Response(200, json=body)

    [result] = Deribit(make_client(Counting(drifted)), now=now).fetch(
        store, datasets=["options"], assets=["BTC"]
    )
    got = rows(store, "options")
    assert len(got) == 6 and int(got["mark_iv"].isna().sum()) == 1
    assert result.records_skipped["BTC: no mark_iv: stored with mark_iv NULL"] == 1
    assert result.records_skipped["BTC: option expired before the snapshot: left out"] == 1

    def nameless(request: httpx.Request) -> httpx.Response:
        body = deribit_handler(request).json()
        if "book_summary" in request.url.path:
            for b in body["result"]:
                b.pop("instrument_name")
        return httpx.Response(200, json=body)

    with pytest.raises(SourceError, match="'instrument_name'") as info:
        _d(store, Counting(nameless), "options")
    assert "get_book_summary_by_currency" in (info.value.url or "")

    def rpc_error(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"jsonrpc": "2.0", "error": {"code": 10001, "message": "bad currency"}}
        )

    with pytest.raises(SourceError, match="bad currency"):
        _d(store, Counting(rpc_error), "options")


def _eth(refresh_lists: bool = True) -> Counting:
    """The ETH chain: the first instruments answer lacks the newest listing."""
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        if method == "get_instruments" and request.url.params["currency"] == "ETH":
            calls["n"] += 1
            name = "get_instruments_ETH.json"
            if calls["n"] > 1 and refresh_lists:
                name = "get_instruments_ETH_refreshed.json"
            return httpx.Response(200, json=load("deribit", name))
        return deribit_handler(request)

    return Counting(handler)


def test_eth_chain_refreshes_instruments_for_unknown_names(store: Store) -> None:
    handler = _eth()
    [result] = Deribit(make_client(handler), now=now).fetch(
        store, datasets=["options"], assets=["ETH"]
    )
    methods = [r.url.path.rsplit("/", 1)[-1] for r in handler.requests]
    assert methods == ["get_instruments", "get_book_summary_by_currency", "get_instruments"]
    got = rows(store, "options").set_index("instrument")
    books = {
        b["instrument_name"]: b
        for b in load("deribit", "get_book_summary_by_currency_ETH.json")["result"]
    }
    refreshed = load("deribit", "get_instruments_ETH_refreshed.json")["result"]
    assert sorted(got.index) == sorted(i["instrument_name"] for i in refreshed)
    assert (got["underlying"] == "ETH").all()
    new = got.loc["ETH-27MAR26-2400-C"]
    assert pd.isna(new["mark_iv"]) and new["strike"] == 2400.0
    assert new["expiry"] == pd.Timestamp("2026-03-27 08:00")
    for name, row in got.drop(index="ETH-27MAR26-2400-C").iterrows():
        assert row["mark_iv"] == pytest.approx(books[str(name)]["mark_iv"] / 100)
        assert row["open_interest"] == books[str(name)]["open_interest"]
    assert result.rows_written == {"options": 7}
    assert result.records_skipped == {
        "ETH: no mark_iv: stored with mark_iv NULL": 1,
        "ETH: option expired before the snapshot: left out": 1,
    }


def test_unknown_name_after_refresh_keeps_the_record_from_its_name(store: Store) -> None:
    [result] = Deribit(make_client(_eth(refresh_lists=False)), now=now).fetch(
        store, datasets=["options"], assets=["ETH"]
    )
    got = rows(store, "options").set_index("instrument")
    assert got.loc["ETH-27MAR26-2400-C", "strike"] == 2400.0
    reason = "ETH: not in the instruments list: expiry and strike read from the name"
    assert result.records_skipped[reason] == 1


def test_empty_snapshot_is_a_failed_run_with_a_reason(store: Store) -> None:
    def all_expired(request: httpx.Request) -> httpx.Response:
        body = deribit_handler(request).json()
        if "book_summary" in request.url.path:
            body["result"] = [
                b for b in body["result"] if b["instrument_name"] == "BTC-27FEB26-60000-C"
            ]
        return httpx.Response(200, json=body)

    with pytest.raises(SourceError, match=r"BTC option snapshot has no rows .*1 option expired"):
        _d(store, Counting(all_expired), "options")
    assert store.count("options") == 0

    def nothing(request: httpx.Request) -> httpx.Response:
        body = deribit_handler(request).json()
        body["result"] = []
        return httpx.Response(200, json=body)

    with pytest.raises(SourceError, match="Deribit listed no options"):
        _d(store, Counting(nothing), "options")


def test_eth_funding_windows_and_rates(store: Store) -> None:
    Deribit(make_client(Counting(deribit_handler)), now=now).fetch(
        store, datasets=["funding"], assets=["ETH"], since="2023-12-20"
    )
    got = rows(store, "funding")
    recs = load("deribit", "get_funding_rate_history_ETH-PERPETUAL.json")["result"]
    assert got["rate"].tolist() == [r["interest_1h"] for r in recs]
    assert (got["instrument"] == "ETH-PERPETUAL").all() and (got["asset_id"] == "ETH").all()
    assert got["ts"].tolist() == [pd.Timestamp(r["timestamp"], unit="ms") for r in recs]
    assert (got["rate"] < 0).sum() == 1


def test_invalid_params_error_body(store: Store) -> None:
    body = load("deribit", "error_invalid_params.json")

    def bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=body)

    with pytest.raises(SourceError, match=r"HTTP 400.*Invalid params"):
        _d(store, Counting(bad), "dvol")


def test_interruption_then_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "full.duckdb") as full:
        _d(full, Counting(deribit_handler), "funding", since="2023-11-01")
        expected = rows(full, "funding")
    with Store(tmp_path / "s.duckdb") as store:
        # Windows: Nov (empty), Dec (empty), Dec-Jan (all 48 h); crash before the last.
        with pytest.raises(Interrupted):
            _d(store, Counting(deribit_handler, stop_after=2), "funding", since="2023-11-01")
        assert store.count("funding") == 0 and ok_batches(store, "deribit") == 0

        def half(request: httpx.Request) -> httpx.Response:
            body = deribit_handler(request).json()
            body["result"] = [r for r in body["result"] if r["timestamp"] < 1704153600000]
            return httpx.Response(200, json=body)

        # A run that sees only the first day commits it with its cursor ...
        _d(store, Counting(half), "funding")
        assert store.read_cursor("deribit", "funding", "BTC-PERPETUAL") == "2024-01-01T23:00:00"
        # ... and the next run starts one hour later, without gaps or duplicates.
        resumed = Counting(deribit_handler)
        _d(store, resumed, "funding")
        first = int(resumed.requests[0].url.params["start_timestamp"])
        assert pd.Timestamp(first, unit="ms") == pd.Timestamp("2024-01-02 00:00")
        got = rows(store, "funding").drop(columns=["source"])
        pd.testing.assert_frame_equal(got, expected.drop(columns=["source"]))
        assert got["ts"].diff().dropna().eq(pd.Timedelta(hours=1)).all()


def test_option_without_mark_iv_is_kept_for_oi_and_counted_by_the_analytics(
    store: Store,
) -> None:
    from altseason.analytics import prepare_chain

    Deribit(make_client(_eth()), now=now).fetch(store, datasets=["options"], assets=["ETH"])
    chain = prepare_chain(store.read_table("options"), underlying="ETH")
    assert "ETH-27MAR26-2400-C" in set(chain.frame["instrument"])  # kept for OI, max pain
    iv = chain.exclusions[chain.exclusions["reason"] == "implied vol missing"]
    assert len(iv) == 1 and (iv["scope"] == "iv").all()
    assert float(iv["strike"].iloc[0]) == 2400.0
