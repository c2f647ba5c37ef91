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
    funding -> ``funding`` (venue ``binance``, ``rate`` paid per interval).
USD-M ``GET https://fapi.binance.com/fapi/v1/fundingInfo``
    ``[{"symbol", "adjustedFundingRateCap", "adjustedFundingRateFloor",
    "fundingIntervalHours", "disclaimer"}]``, listing only the symbols whose
    cap, floor or interval Binance adjusted. Many USD-M perpetuals fund every
    4 h or 1 h; ``interval_hours`` is that symbol's ``fundingIntervalHours``,
    8 (the default schedule) for symbols not listed. Read once per run. In
    history, a record 1, 2, 4 or 8 hours after the previous one takes that
    spacing (symbols have moved between schedules).

Limits: spot klines weigh 2 of 6,000 per minute; ``fundingRate`` and
``fundingInfo`` share 500 requests per 5 minutes per IP. The connector stays
well below both. Binance's public market data takes no API key.

Errors: HTTP 451 (Binance does not serve the region, e.g. the US) raises
:class:`~altseason.exceptions.RegionBlockedError` naming the alternatives;
HTTP 418 means the IP was banned after ignoring 429s (no retry, wait for the
ban to end); see :data:`altseason.sources._advice.ADVICE`.
Klines are opt-in (``binance:klines``): by default prices come from
CoinGecko; when both write, each keeps the columns the other lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from altseason.exceptions import SourceError
from altseason.sources._advice import AdvisedConnector, PlannedRequest
from altseason.sources._connector import (
    FetchResult,
    ProgressCallback,
    parses_payload,
    require,
    to_float,
)
from altseason.store import Store

__all__ = [
    "Binance",
    "extract_funding",
    "extract_funding_intervals",
    "extract_klines",
    "transform_funding",
    "transform_klines",
]

SPOT_URL = "https://api.binance.com/api/v3/klines"
FUNDING_URL = "https://fapi.binance.com/fapi/v1/fundingRate"
FUNDING_INFO_URL = "https://fapi.binance.com/fapi/v1/fundingInfo"
DEFAULT_INTERVAL_HOURS = 8.0
LIMIT = 1000
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


@parses_payload("binance", "fundingInfo")
def extract_funding_intervals(payload: Any, url: str) -> dict[str, float]:
    """``symbol -> fundingIntervalHours`` from ``/fapi/v1/fundingInfo`` (listed symbols only)."""
    if not isinstance(payload, list):
        raise SourceError(
            f"binance: fundingInfo should be an array of objects, got {type(payload).__name__}.",
            url=url,
        )
    out: dict[str, float] = {}
    for i, rec in enumerate(payload):
        symbol = require(rec, "symbol", url=url, source="binance", what=f"fundingInfo entry {i}")
        hours = rec.get("fundingIntervalHours")
        if hours is None:
            continue
        value = to_float(hours)
        if not 0 < value <= 24:
            raise ValueError(f"fundingIntervalHours {hours!r} of {symbol} is not in (0, 24]")
        out[str(symbol)] = value
    return out


@parses_payload("binance", "fundingRate")
def transform_funding(
    records: Sequence[dict[str, Any]],
    asset_id: str,
    url: str = "",
    *,
    interval_hours: float = DEFAULT_INTERVAL_HOURS,
) -> pd.DataFrame:
    """``funding`` rows: ts (UTC), venue ``binance``, rate per funding interval (decimal).

    ``interval_hours`` is the symbol's published funding interval
    (``fundingInfo``; 8 by default). Binance has moved symbols between
    schedules (8 h to 4 h or 1 h), so a record that follows the previous one
    of the page after exactly 1, 2, 4 or 8 hours takes that spacing as its
    interval (the first record: its spacing to the second); a record after a
    gap, or alone, takes ``interval_hours``.
    ``url`` (where the records came from) is named in the error when a value
    cannot be read.
    """
    ts = pd.to_datetime([int(r["fundingTime"]) for r in records], unit="ms")
    gaps = (pd.Series(ts).diff().dt.total_seconds() / 3600.0).round(2)
    if len(gaps) > 1:
        gaps.iloc[0] = gaps.iloc[1]  # the first record: the spacing to the second
    intervals = [float(g) if g in _SCHEDULES else float(interval_hours) for g in gaps.fillna(-1.0)]
    return pd.DataFrame(
        {
            "ts": ts,
            "venue": "binance",
            "instrument": [str(r["symbol"]) for r in records],
            "asset_id": asset_id,
            "rate": [to_float(r["fundingRate"]) for r in records],
            "interval_hours": intervals,
        }
    )


#: Funding schedules Binance uses (hours between fundings).
_SCHEDULES = frozenset({1.0, 2.0, 4.0, 8.0})


class Binance(AdvisedConnector):
    """Binance connector: ``funding`` (default) and ``klines`` (opt-in)."""

    name = "binance"
    datasets = ("funding", "klines")
    default_datasets = ("funding",)
    licence = "Binance public market data (Binance Terms of Use)"
    rate_limit_per_minute = 60.0
    default_assets = ("BTC", "ETH")
    klines_start = pd.Timestamp("2017-08-17")
    funding_start = pd.Timestamp("2019-09-10")

    def _klines_start(self, store: Store, asset: str, since: pd.Timestamp | None) -> pd.Timestamp:
        """Where ``asset``'s klines resume (the fetch and its dry-run plan)."""
        return self.resume_point(
            store,
            "klines",
            _symbol(asset),
            since=since,
            default=self.klines_start,
            table="prices",
            asset_id=asset,
        )

    def _funding_start(self, store: Store, symbol: str, since: pd.Timestamp | None) -> pd.Timestamp:
        """Where ``symbol``'s funding history resumes (the fetch and its dry-run plan)."""
        return self.resume_point(
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
            start = self._klines_start(store, asset, since)
            result.keys += 1
            guard = self.client.pages(self.name, f"klines of {symbol}")
            while start < today:
                guard.visit(SPOT_URL, {"start": start})
                payload, url = self.client.get_json(
                    SPOT_URL,
                    source=self.name,
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
        info, info_url = self.client.get_json(FUNDING_INFO_URL, source=self.name)
        intervals = extract_funding_intervals(info, info_url)
        for i, asset in enumerate(chosen):
            symbol = _symbol(asset)
            hours = intervals.get(symbol, DEFAULT_INTERVAL_HOURS)
            start = self._funding_start(store, symbol, since)
            result.keys += 1
            guard = self.client.pages(self.name, f"funding of {symbol}")
            while start <= now:
                guard.visit(FUNDING_URL, {"start": start})
                payload, url = self.client.get_json(
                    FUNDING_URL,
                    source=self.name,
                    params={
                        "symbol": symbol,
                        "startTime": int(start.timestamp() * 1000),
                        "limit": LIMIT,
                    },
                )
                records = extract_funding(payload, url)
                frame = transform_funding(records, asset, url=url, interval_hours=hours)
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

    # ------------------------------------------------------------------ dry run
    def plan_funding(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        out = [self.planned("funding", FUNDING_INFO_URL, note="funding interval per symbol")]
        for asset in [a.upper() for a in (assets or self.default_assets)]:
            symbol = _symbol(asset)
            start = self._funding_start(store, symbol, since)
            out.append(
                self.planned(
                    "funding",
                    FUNDING_URL,
                    {"symbol": symbol, "startTime": int(start.timestamp() * 1000), "limit": LIMIT},
                    note=f"then pages of {LIMIT} until the newest funding",
                )
            )
        return out

    def plan_klines(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        today = self.today
        out = []
        for asset in [a.upper() for a in (assets or self.default_assets)]:
            symbol = _symbol(asset)
            start = self._klines_start(store, asset, since)
            if start >= today:
                continue
            out.append(
                self.planned(
                    "klines",
                    SPOT_URL,
                    {
                        "symbol": symbol,
                        "interval": "1d",
                        "startTime": int(start.timestamp() * 1000),
                        "endTime": int(today.timestamp() * 1000) - 1,
                        "limit": LIMIT,
                    },
                    note=f"then pages of {LIMIT} days until yesterday",
                )
            )
        return out
