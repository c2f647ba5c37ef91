"""Coin Metrics asset-metrics: values, realized cap, next_page_url paging, drift, resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from connector_support import (
    Counting,
    Interrupted,
    coinmetrics_handler,
    load,
    make_client,
    now,
    ok_batches,
    rows,
    settings,
)

from altseason.exceptions import SourceError
from altseason.sources.coinmetrics import CoinMetrics
from altseason.store import Store


def _cm(store: Store, handler: Counting, page_size: int = 1000, **kw: object) -> None:
    s = kw.pop("settings", None)
    CoinMetrics(make_client(handler), s, now=now, page_size=page_size).fetch(  # type: ignore[arg-type]
        store,
        assets=["BTC"],
        **kw,  # type: ignore[arg-type]
    )


def test_values_and_realized_cap(store: Store) -> None:
    _cm(store, Counting(coinmetrics_handler))
    got = rows(store, "onchain").pivot(index="date", columns="metric", values="value")
    raw = pd.DataFrame(load("coinmetrics", "asset_metrics_btc.json")["data"])
    raw.index = pd.to_datetime(raw["time"].str[:10])
    cap = raw["CapMrktCurUSD"].astype(float)
    mvrv = raw["CapMVRVCur"].astype(float)
    supply = raw["SplyCur"].astype(float)
    np.testing.assert_allclose(got["market_cap_usd"], cap)
    np.testing.assert_allclose(got["realized_cap_usd"], cap / mvrv)
    np.testing.assert_allclose(got["realized_price_usd"], cap / mvrv / supply)
    np.testing.assert_allclose(got["mvrv"], mvrv)
    np.testing.assert_allclose(got["price_usd"], raw["PriceUSD"].astype(float))
    # realized price = price / mvrv up to the supply used in market cap
    np.testing.assert_allclose(got["realized_price_usd"], got["price_usd"] / got["mvrv"], rtol=1e-6)


def test_next_page_url_paging(store: Store) -> None:
    handler = Counting(coinmetrics_handler)
    _cm(store, handler, page_size=3)
    assert len(handler.requests) == 3  # 7 days in pages of 3
    assert "next_page_token" not in handler.requests[0].url.params
    assert handler.requests[1].url.params["next_page_token"] == "3"
    assert len(rows(store, "onchain")["date"].unique()) == 7
    assert ok_batches(store, "coinmetrics") == 3


def test_key_switches_host_and_is_scrubbed(store: Store, tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": {"type": "unauthorized", "message": f"bad {request.url}"}}
        )

    handler = Counting(refuse)
    with pytest.raises(SourceError) as info:
        _cm(store, handler, settings=settings(tmp_path, coinmetrics_api_key="cm-SECRET"))
    assert handler.requests[0].url.host == "api.coinmetrics.io"
    assert handler.requests[0].url.params["api_key"] == "cm-SECRET"
    assert "cm-SECRET" not in str(info.value)


def test_schema_drift(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        body = coinmetrics_handler(request).json()
        for r in body["data"]:
            r["timestamp"] = r.pop("time")
        return httpx.Response(200, json=body)

    with pytest.raises(SourceError, match="'time'") as info:
        _cm(store, Counting(drifted))
    assert "community-api.coinmetrics.io/v4/timeseries/asset-metrics" in (info.value.url or "")

    def renamed(request: httpx.Request) -> httpx.Response:
        body = coinmetrics_handler(request).json()
        body["data"] = [
            {"asset": r["asset"], "time": r["time"], "PriceUsd": r["PriceUSD"]}
            for r in body["data"]
        ]
        return httpx.Response(200, json=body)

    with pytest.raises(SourceError, match="CapMVRVCur"):
        _cm(store, Counting(renamed))


def test_interruption_then_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "full.duckdb") as full:
        _cm(full, Counting(coinmetrics_handler), page_size=3)
        expected = rows(full, "onchain")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(Interrupted):
            _cm(store, Counting(coinmetrics_handler, stop_after=2), page_size=3)
        assert ok_batches(store, "coinmetrics") == 2
        assert store.read_cursor("coinmetrics", "asset_metrics", "BTC") == "2024-01-06"
        resumed = Counting(coinmetrics_handler)
        _cm(store, resumed, page_size=3)
        assert resumed.requests[0].url.params["start_time"] == "2024-01-07"
        assert len(resumed.requests) == 1
        pd.testing.assert_frame_equal(rows(store, "onchain"), expected)


def test_sends_the_ignore_flags_and_reports_missing_metrics(store: Store) -> None:
    handler = Counting(coinmetrics_handler)
    [result] = CoinMetrics(make_client(handler), now=now).fetch(store, assets=["BTC", "SOL"])
    for request in handler.requests:
        assert request.url.params["ignore_unsupported_errors"] == "true"
        assert request.url.params["ignore_forbidden_errors"] == "true"
    sol = rows(store, "onchain", asset_id="SOL")
    assert sorted(sol["metric"].unique()) == ["market_cap_usd", "price_usd"]
    raw = load("coinmetrics", "asset_metrics_sol.json")["data"]
    np.testing.assert_allclose(
        sol[sol["metric"] == "price_usd"]["value"], [float(r["PriceUSD"]) for r in raw]
    )
    assert len(rows(store, "onchain", asset_id="BTC")) == 7 * 6
    [warning] = result.warnings
    assert "CapMVRVCur, SplyCur for SOL" in warning
    assert "realized_cap_usd, realized_price_usd cannot be derived" in warning
    assert result.records_skipped == {
        "SOL: metric CapMVRVCur unavailable": 1,
        "SOL: metric SplyCur unavailable": 1,
    }


def test_without_the_flags_the_api_rejects_the_whole_request(store: Store) -> None:
    """The emulator behaves like the API: one unsupported metric fails the request."""
    request = httpx.Request(
        "GET",
        "https://community-api.coinmetrics.io/v4/timeseries/asset-metrics",
        params={"assets": "sol", "metrics": "PriceUSD,CapMVRVCur"},
    )
    answer = coinmetrics_handler(request)
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "bad_parameter"


def test_uncovered_asset_is_skipped_and_the_others_run(store: Store) -> None:
    [result] = CoinMetrics(make_client(Counting(coinmetrics_handler)), now=now).fetch(
        store, assets=["NOTACOIN", "BTC"]
    )
    assert result.error is None and result.rows_written["onchain"] == 7 * 6
    assert result.records_skipped == {"NOTACOIN: not served by Coin Metrics (unsupported asset)": 1}


def test_forbidden_asset_is_skipped_with_the_tier_reason(store: Store) -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        if request.url.params["assets"] == "eth":
            return httpx.Response(403, json=load("coinmetrics", "error_forbidden.json"))
        return coinmetrics_handler(request)

    [result] = CoinMetrics(make_client(Counting(forbidden)), now=now).fetch(
        store, assets=["ETH", "BTC"]
    )
    assert result.records_skipped == {
        "ETH: not served by Coin Metrics (HTTP 403 forbidden: not in your tier)": 1
    }
    assert store.count("onchain") == 7 * 6


def test_a_400_about_a_metric_is_not_taken_for_an_unknown_asset(store: Store) -> None:
    def metric_error(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=load("coinmetrics", "error_bad_parameter.json"))

    with pytest.raises(SourceError, match="HTTP 400") as info:
        CoinMetrics(make_client(Counting(metric_error)), now=now).fetch(store, assets=["SOL"])
    assert "check the asset id" in str(info.value)


def test_no_asset_served_is_a_failed_run(store: Store) -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json=load("coinmetrics", "error_forbidden.json"))

    with pytest.raises(SourceError, match=r"served none of the assets \(BTC, ETH\)"):
        CoinMetrics(make_client(Counting(forbidden)), now=now).fetch(store, assets=["BTC", "ETH"])

    def not_coin_metrics(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="<html>Access denied</html>")

    with pytest.raises(SourceError, match="HTTP 403"):  # a proxy's 403 is not a tier answer
        CoinMetrics(make_client(Counting(not_coin_metrics)), now=now).fetch(store, assets=["BTC"])
