"""Binance spot daily klines and USD-M perpetual funding rates (public, keyless).

Endpoints
---------
Spot ``GET https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1d
&startTime=ms&endTime=ms&limit=1000``
    An array of arrays: ``[open_time_ms, open, high, low, close, volume,
    close_time_ms, quote_asset_volume, trades, taker_buy_base,
    taker_buy_quote, ignore]`` with prices as strings. Paged by moving
    ``startTime`` past the last open time. A kline opened at 00:00 UTC on D
    is stored under D; ``volume_usd`` is the quote (USDT) volume. The running
    day's kline is not stored until it closes.
USD-M ``GET https://fapi.binance.com/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=ms
&limit=1000``
    ``[{"symbol", "fundingTime", "fundingRate", "markPrice"}]``: one row per
    8-hour funding -> ``funding`` (venue ``binance``, ``interval_hours`` 8).

Limits: spot klines weigh 2 of 6,000 per minute; ``fundingRate`` shares 500
requests per 5 minutes per IP. The connector stays well below both.

Binance answers HTTP 451 to some regions (e.g. the US): that raises
:class:`~altseason.exceptions.RegionBlockedError` naming the alternatives.
Klines are opt-in (``binance:klines``): by default prices come from
CoinGecko; when both write, each keeps the columns the other lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from altseason.exceptions import SourceError
from altseason.sources._connector import (
    Connector,
    FetchResult,
    ProgressCallback,
    parses_payload,
    require,
    to_float,
)
from altseason.store import Store

__all__ = ["Binance", "extract_funding", "extract_klines", "transform_funding", "transform_klines"]

SPOT_URL = "https://api.binance.com/api/v3/klines"
FUNDING_URL = "https://fapi.binance.com/fapi/v1/fundingRate"
LIMIT = 1000
REGION_HINT = (
    "Alternatives: import Bybit or OKX perp/kline exports with 'altseason import FILE', "
    "fetch prices from CoinGecko ('altseason fetch coingecko') and funding from Deribit "
    "('altseason fetch deribit'), or run the fetch from a region Binance serves."
)
_KLINE_FIELDS = 11


def _symbol(asset: str, quote: str = "USDT") -> str:
    asset = asset.upper()
    return asset if asset.endswith(quote) else f"{asset}{quote}"


@parses_payload("binance", "klines")
def extract_klines(payload: Any, url: str) -> list[list[Any]]:
    """Kline rows, checked to be arrays of at least 11 fields."""
    if not isinstance(payload, list):
        raise SourceError(
            f"binance: klines should be an array of arrays, got {type(payload).__name__}.",
            url=url,
        )
    for i, row in enumerate(payload):
        if not isinstance(row, list) or len(row) < _KLINE_FIELDS:
            raise SourceError(
                f"binance: kline {i} has {len(row) if isinstance(row, list) else 'no'} fields, "
                f"expected {_KLINE_FIELDS}+ (field 'quote_asset_volume' is index 7); the API "
                "format changed.",
                url=url,
            )
    return payload


@parses_payload("binance", "klines")
def transform_klines(
    rows: Sequence[Sequence[Any]], asset_id: str, *, before: pd.Timestamp, url: str = ""
) -> pd.DataFrame:
    """``prices`` rows from klines opened before ``before`` (closed days only).

    ``url`` (where the rows came from) is named in the error when a value cannot be read.
    """
    frame = pd.DataFrame(
        {
            "asset_id": asset_id,
            "date": pd.to_datetime([int(r[0]) for r in rows], unit="ms").normalize(),
            "open": [to_float(r[1]) for r in rows],
            "high": [to_float(r[2]) for r in rows],
            "low": [to_float(r[3]) for r in rows],
            "close": [to_float(r[4]) for r in rows],
            "volume_usd": [to_float(r[7]) for r in rows],
        }
    )
    return frame[frame["date"] < before].reset_index(drop=True)


@parses_payload("binance", "fundingRate")
def extract_funding(payload: Any, url: str) -> list[dict[str, Any]]:
    """Funding records, checked for ``fundingTime`` and ``fundingRate``."""
    if not isinstance(payload, list):
        raise SourceError(
            f"binance: fundingRate should be an array of objects, got {type(payload).__name__}.",
            url=url,
        )
    for i, rec in enumerate(payload):
        for name in ("symbol", "fundingTime", "fundingRate"):
            require(rec, name, url=url, source="binance", what=f"funding record {i}")
    return payload


@parses_payload("binance", "fundingRate")
def transform_funding(
    records: Sequence[dict[str, Any]], asset_id: str, url: str = ""
) -> pd.DataFrame:
    """``funding`` rows: ts (UTC), venue ``binance``, rate per 8 h (decimal).

    ``url`` (where the records came from) is named in the error when a value cannot be read.
    """
    return pd.DataFrame(
        {
            "ts": pd.to_datetime([int(r["fundingTime"]) for r in records], unit="ms"),
            "venue": "binance",
            "instrument": [str(r["symbol"]) for r in records],
            "asset_id": asset_id,
            "rate": [to_float(r["fundingRate"]) for r in records],
            "interval_hours": 8.0,
        }
    )


class Binance(Connector):
    """Binance connector: ``funding`` (default) and ``klines`` (opt-in)."""

    name = "binance"
    datasets = ("funding", "klines")
    default_datasets = ("funding",)
    licence = "Binance public market data (Binance Terms of Use)"
    rate_limit_per_minute = 60.0
    default_assets = ("BTC", "ETH")
    klines_start = pd.Timestamp("2017-08-17")
    funding_start = pd.Timestamp("2019-09-10")

    def fetch_klines(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or self.default_assets)]
        today = self.today
        for i, asset in enumerate(chosen):
            symbol = _symbol(asset)
            start = self.resume_point(
                store,
                "klines",
                symbol,
                since=since,
                default=self.klines_start,
                table="prices",
                asset_id=asset,
            )
            result.keys += 1
            guard = self.client.pages(self.name, f"klines of {symbol}")
            while start < today:
                guard.visit(SPOT_URL, {"start": start})
                payload, url = self.client.get_json(
                    SPOT_URL,
                    source=self.name,
                    blocked_hint=REGION_HINT,
                    params={
                        "symbol": symbol,
                        "interval": "1d",
                        "startTime": int(start.timestamp() * 1000),
                        "endTime": int(today.timestamp() * 1000) - 1,
                        "limit": LIMIT,
                    },
                )
                rows = extract_klines(payload, url)
                frame = transform_klines(rows, asset, before=today, url=url)
                if frame.empty:
                    break
                last = frame["date"].max()
                self.write_batch(
                    store,
                    result,
                    key=symbol,
                    tables={"prices": frame},
                    cursor=last.date().isoformat(),
                    coalesce=True,
                )
                self._progress(progress, "klines", asset, i + 1, len(chosen), str(last.date()))
                if len(rows) < LIMIT:
                    break
                start = last + pd.Timedelta(days=1)

    def fetch_funding(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or self.default_assets)]
        now = pd.Timestamp(self.now())
        for i, asset in enumerate(chosen):
            symbol = _symbol(asset)
            start = self.resume_point(
                store,
                "funding",
                symbol,
                since=since,
                default=self.funding_start,
                table="funding",
                step=pd.Timedelta(milliseconds=1),
                venue="binance",
                instrument=symbol,
            )
            result.keys += 1
            guard = self.client.pages(self.name, f"funding of {symbol}")
            while start <= now:
                guard.visit(FUNDING_URL, {"start": start})
                payload, url = self.client.get_json(
                    FUNDING_URL,
                    source=self.name,
                    blocked_hint=REGION_HINT,
                    params={
                        "symbol": symbol,
                        "startTime": int(start.timestamp() * 1000),
                        "limit": LIMIT,
                    },
                )
                records = extract_funding(payload, url)
                frame = transform_funding(records, asset, url=url)
                if frame.empty:
                    break
                last = frame["ts"].max()
                self.write_batch(
                    store,
                    result,
                    key=symbol,
                    tables={"funding": frame},
                    cursor=last.isoformat(),
                )
                self._progress(progress, "funding", asset, i + 1, len(chosen), str(last.date()))
                if len(records) < LIMIT:
                    break
                start = last + pd.Timedelta(milliseconds=1)
