"""Test support for the live connectors: fake time, and handlers that serve the
recorded payloads in ``tests/fixtures/payloads`` the way each real endpoint
pages them (imported by the ``test_connector_*`` files)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pandas as pd

from altseason.config import Settings
from altseason.sources import HttpClient, RetryPolicy

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
NOW = dt.datetime(2024, 1, 11, 12, 0)
Handler = Callable[[httpx.Request], httpx.Response]


def now() -> dt.datetime:
    return NOW


def load(provider: str, name: str) -> Any:
    path = PAYLOADS / provider / name
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else text


def ms(ts: Any) -> int:
    return int(pd.Timestamp(ts).timestamp() * 1000)


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Interrupted(RuntimeError):
    """Raised by a handler to simulate the process dying mid-run."""


def make_client(
    handler: Handler, time: FakeTime | None = None, settings: Settings | None = None, **kw: Any
) -> HttpClient:
    ft = time or FakeTime()
    return HttpClient(
        settings,
        transport=httpx.MockTransport(handler),
        sleep=ft.sleep,
        clock=ft.clock,
        seed=0,
        retry=kw.pop("retry", RetryPolicy(max_attempts=3, backoff_base=0.5)),
        **kw,
    )


def settings(tmp: Path, **kw: Any) -> Settings:
    return Settings(home=tmp, store_path=tmp / "s.duckdb", **kw)


def _json(obj: Any) -> httpx.Response:
    return httpx.Response(200, json=obj)


# ---------------------------------------------------------------------- emulators
def coingecko_handler(request: httpx.Request) -> httpx.Response:
    p = request.url.params
    path = request.url.path.removeprefix("/api/v3")
    if path == "/coins/markets":
        if "category" in p:
            return _json(load("coingecko", "category_markets.json").get(p["category"], []))
        per_page, page = int(p["per_page"]), int(p["page"])
        coins = load("coingecko", "markets.json")
        return _json(coins[(page - 1) * per_page : page * per_page])
    if path == "/coins/categories/list":
        return _json(load("coingecko", "categories_list.json"))
    if path.startswith("/coins/") and path.endswith("/market_chart/range"):
        cid = path.split("/")[2]
        try:
            chart = load("coingecko", f"market_chart_{cid}.json")
        except FileNotFoundError:
            chart = {"prices": [], "market_caps": [], "total_volumes": []}
        lo, hi = int(p["from"]) * 1000, int(p["to"]) * 1000
        return _json({k: [pt for pt in v if lo <= pt[0] <= hi] for k, v in chart.items()})
    return httpx.Response(404, json={"error": "Not Found"})


def coinmetrics_handler(request: httpx.Request) -> httpx.Response:
    """Serves ``asset_metrics_<asset>.json``; like the real API, a metric the asset
    lacks fails the whole request unless ``ignore_unsupported_errors=true``."""
    p = request.url.params
    try:
        rows = load("coinmetrics", f"asset_metrics_{p['assets']}.json")["data"]
    except FileNotFoundError:
        if p["assets"] in ("eth", "ltc", "xrp", "ada", "doge"):  # covered, nothing recorded
            rows = []
        else:
            body = load("coinmetrics", "error_unknown_asset.json")
            body["error"]["message"] = body["error"]["message"].replace("notacoin", p["assets"])
            return httpx.Response(400, json=body)
    supported = {k for r in rows for k in r}
    if (
        p.get("ignore_unsupported_errors") != "true"
        and not set(p["metrics"].split(",")) <= supported
    ):
        return httpx.Response(400, json=load("coinmetrics", "error_bad_parameter.json"))
    rows = [r for r in rows if r["asset"] in p["assets"].split(",")]
    rows = [r for r in rows if p["start_time"] <= r["time"][:10] <= p["end_time"]]
    size = int(p["page_size"])
    offset = int(p.get("next_page_token", "0"))
    page = rows[offset : offset + size]
    body: dict[str, Any] = {"data": page}
    if offset + size < len(rows):
        token = str(offset + size)
        params = dict(p)
        params["next_page_token"] = token
        body["next_page_token"] = token
        body["next_page_url"] = (
            f"{request.url.scheme}://{request.url.host}{request.url.path}?{urlencode(params)}"
        )
    return _json(body)


def binance_handler(request: httpx.Request) -> httpx.Response:
    p = request.url.params
    limit = int(p.get("limit", 500))
    start = int(p.get("startTime", 0))
    if request.url.path == "/api/v3/klines":
        rows = load("binance", f"klines_{p['symbol']}.json")
        end = int(p.get("endTime", 2**62))
        return _json([r for r in rows if start <= r[0] <= end][:limit])
    if request.url.path == "/fapi/v1/fundingInfo":
        return _json(load("binance", "fundingInfo.json"))
    if request.url.path == "/fapi/v1/fundingRate":
        try:
            recs = load("binance", f"funding_{p['symbol']}.json")
        except FileNotFoundError:
            recs = []
        return _json([r for r in recs if r["fundingTime"] >= start][:limit])
    return httpx.Response(404, json={"code": -1121, "msg": "Invalid symbol."})


def deribit_handler(request: httpx.Request) -> httpx.Response:
    p = request.url.params
    method = request.url.path.rsplit("/", 1)[-1]
    env = {"jsonrpc": "2.0", "usIn": 1, "usOut": 2, "usDiff": 1, "testnet": False}
    if method in ("get_instruments", "get_book_summary_by_currency"):
        try:
            return _json(load("deribit", f"{method}_{p['currency']}.json"))
        except FileNotFoundError:
            return _json({**env, "result": []})
    if method == "get_funding_rate_history":
        try:
            recs = load("deribit", f"{method}_{p['instrument_name']}.json")["result"]
        except FileNotFoundError:
            recs = []
        lo, hi = int(p["start_timestamp"]), int(p["end_timestamp"])
        return _json({**env, "result": [r for r in recs if lo <= r["timestamp"] <= hi]})
    if method == "get_volatility_index_data":
        try:
            data = load("deribit", f"{method}_{p['currency']}.json")["result"]["data"]
        except FileNotFoundError:
            data = []
        lo, hi = int(p["start_timestamp"]), int(p["end_timestamp"])
        return _json(
            {**env, "result": {"data": [c for c in data if lo <= c[0] <= hi], "continuation": None}}
        )
    return httpx.Response(
        400, json={**env, "error": {"code": -32601, "message": "Method not found"}}
    )


def fred_handler(request: httpx.Request) -> httpx.Response:
    p = request.url.params
    if request.url.path == "/graph/fredgraph.csv":
        text = load("fred", f"fredgraph_{p['id']}.csv")
        cosd = p.get("cosd")
        lines = text.splitlines()
        keep = [lines[0]] + [ln for ln in lines[1:] if not cosd or ln[:10] >= cosd]
        return httpx.Response(
            200, text="\n".join(keep) + "\n", headers={"content-type": "text/csv"}
        )
    if request.url.path == "/fred/series/observations":
        body = load("fred", f"observations_{p['series_id']}.json")
        obs = [o for o in body["observations"] if o["date"] >= p["observation_start"]]
        offset, limit = int(p.get("offset", 0)), int(p.get("limit", 100000))
        return _json(
            {
                **body,
                "count": len(obs),
                "offset": offset,
                "limit": limit,
                "observations": obs[offset : offset + limit],
            }
        )
    return httpx.Response(404, text="Not Found")


def alternative_me_handler(request: httpx.Request) -> httpx.Response:
    body = load("alternative_me", "fng.json")
    limit = int(request.url.params.get("limit", 1))
    if limit:
        body["data"] = body["data"][:limit]
    return _json(body)


def farside_handler(request: httpx.Request) -> httpx.Response:
    page = request.url.path.strip("/")
    return httpx.Response(
        200,
        text=load("farside", f"{page}.html"),
        headers={"content-type": "text/html; charset=UTF-8"},
    )


def lbma_handler(request: httpx.Request) -> httpx.Response:
    return _json(load("lbma", request.url.path.rsplit("/", 1)[-1]))


HANDLERS: dict[str, Handler] = {
    "coingecko": coingecko_handler,
    "coinmetrics": coinmetrics_handler,
    "binance": binance_handler,
    "deribit": deribit_handler,
    "fred": fred_handler,
    "alternative_me": alternative_me_handler,
    "farside": farside_handler,
    "lbma": lbma_handler,
}


class Counting:
    """Wraps a handler: records requests, can fail the first ``fail`` ones with
    ``failure`` and raise :class:`Interrupted` after ``stop_after`` requests."""

    def __init__(
        self,
        handler: Handler,
        *,
        failure: Callable[[httpx.Request], httpx.Response] | None = None,
        fail: int = 0,
        stop_after: int | None = None,
    ) -> None:
        self.handler = handler
        self.failure = failure
        self.fail = fail
        self.stop_after = stop_after
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.stop_after is not None and len(self.requests) > self.stop_after:
            raise Interrupted("simulated crash: the connection died mid-run")
        if self.failure is not None and len(self.requests) <= self.fail:
            return self.failure(request)
        return self.handler(request)


_HOSTS = {
    "api.coingecko.com": "coingecko",
    "pro-api.coingecko.com": "coingecko",
    "community-api.coinmetrics.io": "coinmetrics",
    "api.coinmetrics.io": "coinmetrics",
    "api.binance.com": "binance",
    "fapi.binance.com": "binance",
    "www.deribit.com": "deribit",
    "fred.stlouisfed.org": "fred",
    "api.stlouisfed.org": "fred",
    "api.alternative.me": "alternative_me",
    "farside.co.uk": "farside",
    "prices.lbma.org.uk": "lbma",
}


def router(request: httpx.Request) -> httpx.Response:
    """Dispatch to the provider emulator by host."""
    return HANDLERS[_HOSTS[request.url.host]](request)


def rows(store: Any, table: str, **filters: Any) -> pd.DataFrame:
    """A table's rows without ``ingested_at`` (for comparing runs)."""
    return store.read_table(table, **filters).drop(columns=["ingested_at"]).reset_index(drop=True)


def ok_batches(store: Any, source: str) -> int:
    log = store.read_table("ingest_log", source=source, status="ok")
    return len(log)
