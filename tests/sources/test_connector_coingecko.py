"""CoinGecko: universe paging, daily history, sectors, plans, drift and resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from connector_support import (
    Counting,
    Interrupted,
    coingecko_handler,
    load,
    make_client,
    now,
    ok_batches,
    rows,
    settings,
)

from altseason.exceptions import SourceError
from altseason.sources import fetch
from altseason.sources.coingecko import EXCLUDED_CATEGORIES, CoinGecko, transform_market_chart
from altseason.store import Store


def _cg(store: Store, handler: Counting, datasets: str = "history", **kw: Any) -> list[Any]:
    conn = CoinGecko(make_client(handler), kw.pop("settings", None), now=now, top=kw.pop("top", 7))
    return conn.fetch(store, datasets=datasets.split(","), **kw)


def test_history_values_and_date_convention(store: Store) -> None:
    [res] = _cg(store, Counting(coingecko_handler), assets=["BTC", "ETH"])
    chart = load("coingecko", "market_chart_bitcoin.json")
    btc = rows(store, "prices", asset_id="BTC")
    # Independent: the point stamped 00:00 UTC on D+1 is the close of day D;
    # the intraday point of the running day is dropped.
    expected = {
        pd.Timestamp(ts, unit="ms").normalize() - pd.Timedelta(days=1): v
        for ts, v in chart["prices"]
        if pd.Timestamp(ts, unit="ms") == pd.Timestamp(ts, unit="ms").normalize()
    }
    assert dict(zip(btc["date"], btc["close"], strict=True)) == expected
    caps = dict(chart["market_caps"])
    assert btc["market_cap_usd"].tolist() == [
        caps[int((d + pd.Timedelta(days=1)).timestamp() * 1000)] for d in btc["date"]
    ]
    # Same days and closes as the Binance klines these values came from.
    klines = load("binance", "klines_BTCUSDT.json")
    assert btc["close"].tolist() == [float(k[4]) for k in klines]
    assert res.warnings and "365 days" in res.warnings[0]  # public plan clamps history


def test_request_spans_more_than_90_days_for_daily_granularity(store: Store) -> None:
    handler = Counting(coingecko_handler)
    _cg(store, handler, assets=["BTC"], since="2024-01-05")
    [req] = [r for r in handler.requests if "market_chart" in r.url.path]
    span = int(req.url.params["to"]) - int(req.url.params["from"])
    assert span > 90 * 86400
    assert rows(store, "prices")["date"].min() == pd.Timestamp("2024-01-05")


def test_markets_paging(store: Store) -> None:
    handler = Counting(coingecko_handler)
    conn = CoinGecko(make_client(handler), now=now, top=5, per_page=2)
    [res] = conn.fetch(store, datasets=["markets"])
    top = [r for r in handler.requests if "category" not in r.url.params]
    pages = [int(r.url.params["page"]) for r in top]
    assert pages == [1, 2, 3]
    assert all(r.url.params["per_page"] == "2" for r in top)
    assert rows(store, "assets")["asset_id"].tolist() == ["BNB", "BTC", "ETH", "SOL", "USDT"]
    assert res.batches == 1


def test_universe_stops_at_last_page(store: Store) -> None:
    handler = Counting(coingecko_handler)
    conn = CoinGecko(make_client(handler), now=now, top=300)
    coins = conn.universe()
    top = [r for r in handler.requests if "category" not in r.url.params]
    assert [int(r.url.params["page"]) for r in top] == [1]  # 9 < 250: last page
    # ranks 6 (stETH) and 8 (WBTC) are staked/wrapped and left out
    assert [c.rank for c in coins] == [1, 2, 3, 4, 5, 7, 9]


def test_sectors_from_categories(store: Store) -> None:
    _cg(store, Counting(coingecko_handler), datasets="markets,categories")
    assets = rows(store, "assets").set_index("asset_id")
    assert assets.loc["USDT", "sector"] == "stablecoin" and assets.loc["USDT", "is_stablecoin"]
    assert assets.loc["BNB", "sector"] == "exchange"  # exchange outranks layer-1
    assert assets.loc["DOGE", "sector"] == "culture" and assets.loc["DOGE", "subsector"] == "memes"
    assert assets.loc["LINK", "sector"] == "infrastructure"
    assert assets.loc["BTC", "sector"] == "currency"  # override of layer-1
    assert assets.loc["ETH", "sector"] == "smart_contract_l1"
    assert not assets.loc["ETH", "is_stablecoin"]
    # Markets again keeps the sectors (coalesced, not erased).
    _cg(store, Counting(coingecko_handler), datasets="markets")
    assert rows(store, "assets").set_index("asset_id").loc["DOGE", "sector"] == "culture"


@pytest.mark.parametrize(
    ("plan", "host", "header"),
    [
        ("demo", "api.coingecko.com", "x-cg-demo-api-key"),
        ("pro", "pro-api.coingecko.com", "x-cg-pro-api-key"),
    ],
)
def test_keys_and_hosts(store: Store, tmp_path: Path, plan: str, host: str, header: str) -> None:
    handler = Counting(coingecko_handler)
    s = settings(tmp_path, coingecko_api_key="CG-secret", coingecko_plan=plan)
    [res] = _cg(store, handler, settings=s, assets=["BTC"])
    assert {r.url.host for r in handler.requests} == {host}
    assert all(r.headers[header] == "CG-secret" for r in handler.requests)
    assert all("CG-secret" not in str(r.url) for r in handler.requests)
    assert bool(res.warnings) is (plan == "demo")


def test_schema_drift_names_field_and_url(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        if "market_chart" in request.url.path:
            body = coingecko_handler(request).json()
            body["price"] = body.pop("prices")
            return httpx.Response(200, json=body)
        return coingecko_handler(request)

    with pytest.raises(SourceError, match="'prices'") as info:
        _cg(store, Counting(drifted), assets=["BTC"])
    assert "/coins/bitcoin/market_chart/range" in (info.value.url or "")
    with pytest.raises(SourceError, match="timestamp_ms"):
        transform_market_chart(
            {"prices": [[1]], "market_caps": [], "total_volumes": []},
            "X",
            "u",
            start=pd.Timestamp(0),
            end=pd.Timestamp(0),
        )


def test_interruption_then_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "full.duckdb") as full:
        _cg(full, Counting(coingecko_handler), assets=["BTC", "ETH"])
        expected = rows(full, "prices")
    with Store(tmp_path / "s.duckdb") as store:
        # Requests 1-5 read the excluded categories, 6-7 the universe (two pages of 7:
        # two coins of the first are staked/wrapped), 8 is BTC's history; the crash
        # hits ETH's.
        first = len(EXCLUDED_CATEGORIES) + 3
        with pytest.raises(Interrupted):
            _cg(store, Counting(coingecko_handler, stop_after=first), assets=["BTC", "ETH"])
        assert ok_batches(store, "coingecko") == 1
        assert store.read_cursor("coingecko", "history", "BTC") == "2024-01-10"
        assert store.read_cursor("coingecko", "history", "ETH") is None
        resumed = Counting(coingecko_handler)
        _cg(store, resumed, assets=["BTC", "ETH"])
        charts = [r.url.path for r in resumed.requests if "market_chart" in r.url.path]
        assert charts == ["/api/v3/coins/ethereum/market_chart/range"]  # BTC is up to date
        pd.testing.assert_frame_equal(rows(store, "prices"), expected)


def test_fetch_entry_point_runs_default_datasets(store: Store) -> None:
    res = fetch(store, ["coingecko"], client=make_client(Counting(coingecko_handler)), now=now)
    assert [r.dataset for r in res] == ["markets", "history", "categories"]
    assert store.count("prices") == 20 and store.count("assets") == 7


def test_wrapped_and_staked_coins_left_out_by_category(store: Store) -> None:
    [res] = _cg(store, Counting(coingecko_handler), datasets="markets", top=50)
    assets = rows(store, "assets")["asset_id"].tolist()
    assert "WBTC" not in assets and "STETH" not in assets
    assert sorted(assets) == ["BNB", "BTC", "DOGE", "ETH", "LINK", "SOL", "USDT"]
    assert res.records_skipped == {
        "left out of the universe: category liquid-staking-tokens": 1,
        "left out of the universe: category wrapped-tokens": 1,
    }
    assert any("STETH, WBTC" in w for w in res.warnings)


def test_known_ids_are_the_fallback_when_a_category_fails(store: Store) -> None:
    def no_categories(request: httpx.Request) -> httpx.Response:
        if "category" in request.url.params:
            return httpx.Response(404, json={"error": "coin category not found"})
        return coingecko_handler(request)

    [res] = _cg(store, Counting(no_categories), datasets="markets", top=50)
    assert "WBTC" not in rows(store, "assets")["asset_id"].tolist()
    assert res.records_skipped == {
        "left out of the universe: known wrapped/staked id": 2,
    }
    assert sum("could not be read (HTTP 404)" in w for w in res.warnings) == 5


def test_market_supply_fields_go_to_onchain(store: Store) -> None:
    [res] = _cg(store, Counting(coingecko_handler), datasets="markets", top=50)
    supply = rows(store, "onchain").set_index(["asset_id", "metric"])["value"]
    coins = {c["symbol"].upper(): c for c in load("coingecko", "markets.json")}
    for (asset, metric), value in supply.items():
        assert value == coins[str(asset)][str(metric)]
    assert ("BTC", "max_supply") not in supply.index  # null in the payload: no row
    assert supply[("DOGE", "circulating_supply")] == coins["DOGE"]["circulating_supply"]
    dates = rows(store, "onchain")["date"].unique()
    assert list(dates) == [pd.Timestamp("2024-01-11")]  # the UTC day of last_updated
    assert store.count("prices") == 0  # rolling 24 h figures are not a closed day
    assert res.rows_written["onchain"] == len(supply)


def test_10012_names_the_free_plan_history_limit(store: Store) -> None:
    def too_old(request: httpx.Request) -> httpx.Response:
        if "market_chart" in request.url.path:
            return httpx.Response(401, json=load("coingecko", "error_10012.json"))
        return coingecko_handler(request)

    with pytest.raises(SourceError) as info:
        _cg(store, Counting(too_old), assets=["BTC"])
    msg = str(info.value)
    assert "error 10012" in msg and "last 365 days" in msg and "--since" in msg
    assert "altseason import" in msg and info.value.status == 401


def test_429_advice_names_the_demo_key(store: Store) -> None:
    failing = Counting(
        coingecko_handler,
        fail=99,
        failure=lambda r: httpx.Response(429, json=load("coingecko", "error_429.json")),
    )
    with pytest.raises(SourceError) as info:
        _cg(store, failing, datasets="markets")
    msg = str(info.value)
    assert "COINGECKO_API_KEY" in msg and "10 calls/min" in msg
    assert "configure an API key" not in msg


def test_asking_for_a_wrapped_coin_says_why_it_is_skipped(store: Store) -> None:
    [res] = _cg(store, Counting(coingecko_handler), assets=["WBTC", "BTC", "NOPE"], top=50)
    assert res.records_skipped == {
        "WBTC: left out of the universe (category wrapped-tokens)": 1,
        "NOPE: not in the top 50": 1,
    }
    assert set(rows(store, "prices")["asset_id"]) == {"BTC"}
