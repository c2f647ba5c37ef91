"""Binance klines and funding: values, paging, 451, drift, interruption and resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest
from connector_support import (
    Counting,
    Interrupted,
    binance_handler,
    load,
    make_client,
    now,
    ok_batches,
    rows,
)

import altseason.sources.binance as binance_mod
from altseason.exceptions import RateLimitError, RegionBlockedError, SourceError
from altseason.sources import fetch
from altseason.store import Store


def _fetch(store: Store, handler: Counting, **kw: object) -> None:
    fetch(
        store,
        ["binance:klines,funding"],
        client=make_client(handler),
        now=now,
        assets=["BTC"],
        **kw,
    )


def test_klines_and_funding_values(store: Store) -> None:
    _fetch(store, Counting(binance_handler))
    raw = load("binance", "klines_BTCUSDT.json")
    prices = rows(store, "prices", asset_id="BTC")
    assert len(prices) == len(raw) == 10
    for kline, (_, row) in zip(raw, prices.iterrows(), strict=True):
        assert row["date"] == pd.Timestamp(kline[0], unit="ms")
        assert row["open"] == float(kline[1]) and row["close"] == float(kline[4])
        assert row["volume_usd"] == float(kline[7])  # quote (USDT) volume
        assert pd.isna(row["market_cap_usd"])
    funding = rows(store, "funding")
    recs = load("binance", "funding_BTCUSDT.json")
    assert funding["rate"].tolist() == [float(r["fundingRate"]) for r in recs]
    assert (funding["interval_hours"] == 8).all() and (funding["venue"] == "binance").all()
    assert funding["ts"].diff().dropna().eq(pd.Timedelta(hours=8)).all()


def test_running_day_not_stored(store: Store) -> None:
    later = lambda: pd.Timestamp("2024-01-10 15:00").to_pydatetime()  # noqa: E731
    fetch(
        store,
        ["binance:klines"],
        client=make_client(Counting(binance_handler)),
        now=later,
        assets=["BTC"],
    )
    assert rows(store, "prices")["date"].max() == pd.Timestamp("2024-01-09")


def test_paging(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binance_mod, "LIMIT", 3)
    handler = Counting(binance_handler)
    _fetch(store, handler)
    kl = [r for r in handler.requests if r.url.path == "/api/v3/klines"]
    assert len(kl) == 4  # 3 + 3 + 3 + 1
    starts = [int(r.url.params["startTime"]) for r in kl]
    assert starts == sorted(starts) and len(set(starts)) == 4
    assert len(rows(store, "prices")) == 10
    assert len(rows(store, "funding")) == 12


def test_451_names_alternatives(store: Store) -> None:
    handler = Counting(binance_handler, fail=9, failure=lambda r: httpx.Response(451))
    with pytest.raises(RegionBlockedError) as info:
        _fetch(store, handler)
    msg = str(info.value)
    assert "altseason import" in msg and "CoinGecko".lower() in msg.lower() and "region" in msg


def test_schema_drift_names_field_and_url(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fapi/v1/fundingRate":
            recs = load("binance", "funding_BTCUSDT.json")
            for r in recs:
                r["rate"] = r.pop("fundingRate")
            return httpx.Response(200, json=recs)
        return binance_handler(request)

    with pytest.raises(SourceError, match="'fundingRate'") as info:
        fetch(
            store,
            ["binance:funding"],
            client=make_client(Counting(drifted)),
            now=now,
            assets=["BTC"],
        )
    assert "fapi.binance.com/fapi/v1/fundingRate" in (info.value.url or "")
    short = [[1, "2"]]
    with pytest.raises(SourceError, match="quote_asset_volume"):
        binance_mod.extract_klines(short, "u")


def test_interruption_then_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binance_mod, "LIMIT", 3)
    with Store(tmp_path / "full.duckdb") as full:
        fetch(
            full,
            ["binance:klines"],
            client=make_client(Counting(binance_handler)),
            now=now,
            assets=["BTC"],
        )
        expected = rows(full, "prices")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(Interrupted):
            fetch(
                store,
                ["binance:klines"],
                now=now,
                assets=["BTC"],
                client=make_client(Counting(binance_handler, stop_after=2)),
            )
        assert ok_batches(store, "binance") == 2
        assert store.read_cursor("binance", "klines", "BTCUSDT") == "2024-01-06"
        assert len(rows(store, "prices")) == 6
        resumed = Counting(binance_handler)
        fetch(store, ["binance:klines"], client=make_client(resumed), now=now, assets=["BTC"])
        first = int(resumed.requests[0].url.params["startTime"])
        assert pd.Timestamp(first, unit="ms") == pd.Timestamp("2024-01-07")
        got = rows(store, "prices")
        pd.testing.assert_frame_equal(got, expected)
        assert got["date"].diff().dropna().eq(pd.Timedelta(days=1)).all()  # no gaps
        # A third run has nothing to do.
        again = Counting(binance_handler)
        fetch(store, ["binance:klines"], client=make_client(again), now=now, assets=["BTC"])
        assert len(again.requests) == 0


def test_klines_complement_coingecko_prices(store: Store) -> None:
    from connector_support import coingecko_handler

    from altseason.sources.coingecko import CoinGecko

    CoinGecko(make_client(Counting(coingecko_handler)), now=now, top=7).fetch(
        store, datasets=["history"], assets=["BTC"]
    )
    caps = rows(store, "prices")["market_cap_usd"].tolist()
    _fetch(store, Counting(binance_handler))
    got = rows(store, "prices", asset_id="BTC")
    assert got["market_cap_usd"].tolist() == caps  # kept from CoinGecko
    assert got["open"].notna().all() and (got["source"] == "binance").all()


def test_funding_interval_per_symbol_from_funding_info(store: Store) -> None:
    handler = Counting(binance_handler)
    [result] = fetch(
        store, ["binance:funding"], client=make_client(handler), now=now, assets=["BTC", "LPT"]
    )
    paths = [r.url.path for r in handler.requests]
    assert paths.count("/fapi/v1/fundingInfo") == 1 and paths[0] == "/fapi/v1/fundingInfo"
    info = {r["symbol"]: r["fundingIntervalHours"] for r in load("binance", "fundingInfo.json")}
    lpt = rows(store, "funding", instrument="LPTUSDT")
    assert info["LPTUSDT"] == 4 and (lpt["interval_hours"] == 4).all()
    recs = load("binance", "funding_LPTUSDT.json")
    assert lpt["rate"].tolist() == [float(r["fundingRate"]) for r in recs]
    # the spacing of the recorded funding times agrees with the published interval
    assert lpt["ts"].diff().dropna().dt.round("h").eq(pd.Timedelta(hours=4)).all()
    btc = rows(store, "funding", instrument="BTCUSDT")
    assert "BTCUSDT" not in info and (btc["interval_hours"] == 8).all()  # default schedule
    assert result.rows_written == {"funding": len(lpt) + len(btc)}


def test_bad_funding_interval_is_an_error_naming_the_url(store: Store) -> None:
    def odd(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fapi/v1/fundingInfo":
            return httpx.Response(200, json=[{"symbol": "BTCUSDT", "fundingIntervalHours": 0}])
        return binance_handler(request)

    with pytest.raises(SourceError, match="fundingIntervalHours") as info:
        fetch(store, ["binance:funding"], client=make_client(Counting(odd)), now=now)
    assert "fundingInfo" in (info.value.url or "")


def _failing(status: int, body: str) -> Counting:
    return Counting(
        binance_handler,
        fail=99,
        failure=lambda r: httpx.Response(status, json=load("binance", body)),
    )


def test_418_ip_ban_is_named_without_retry_or_key_hint(store: Store) -> None:
    handler = _failing(418, "error_418.json")
    with pytest.raises(SourceError) as info:
        fetch(store, ["binance:funding"], client=make_client(handler), now=now)
    msg = str(info.value)
    assert info.value.status == 418 and len(handler.requests) == 1
    assert "banned this IP" in msg and "banned until" in msg  # advice + Binance's own body
    assert "API key" not in msg.replace("No API key lifts it", "")


def test_429_advice_fits_a_keyless_source(store: Store) -> None:
    handler = _failing(429, "error_429.json")
    with pytest.raises(RateLimitError) as info:
        fetch(store, ["binance:funding"], client=make_client(handler), now=now)
    msg = str(info.value)
    assert "configure an API key" not in msg
    assert "take no API key" in msg and "IP ban (HTTP 418)" in msg
    assert info.value.status == 429 and "fapi.binance.com" in (info.value.url or "")


def test_451_body_and_alternatives(store: Store) -> None:
    with pytest.raises(RegionBlockedError) as info:
        fetch(
            store,
            ["binance:funding"],
            client=make_client(_failing(451, "error_451.json")),
            now=now,
        )
    msg = str(info.value)
    assert "HTTP 451" in msg and "does not serve this region" in msg and "Deribit" in msg


def test_schedule_change_in_history_keeps_each_record_interval() -> None:
    """A symbol that moved from 8 h to 4 h funding: older records keep 8 h."""
    start = pd.Timestamp("2024-01-01").value // 10**6
    hour = 3_600_000
    times = [start, start + 8 * hour, start + 16 * hour, start + 20 * hour, start + 24 * hour]
    records = [{"symbol": "LPTUSDT", "fundingTime": t + 1, "fundingRate": "0.0001"} for t in times]
    frame = binance_mod.transform_funding(records, "LPT", "u", interval_hours=4.0)
    assert frame["interval_hours"].tolist() == [8.0, 8.0, 8.0, 4.0, 4.0]
    gap = [*records[:2], {**records[2], "fundingTime": times[1] + 30 * hour}]
    frame = binance_mod.transform_funding(gap, "LPT", "u", interval_hours=4.0)
    assert frame["interval_hours"].tolist() == [8.0, 8.0, 4.0]  # a 30 h gap: published value
    one = binance_mod.transform_funding(records[:1], "LPT", "u", interval_hours=4.0)
    assert one["interval_hours"].tolist() == [4.0]
