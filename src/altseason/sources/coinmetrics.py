"""Coin Metrics API v4: daily on-chain valuation metrics.

Endpoint (https://docs.coinmetrics.io/api/v4)
---------------------------------------------
``/timeseries/asset-metrics?assets=btc&metrics=PriceUSD,CapMrktCurUSD,CapMVRVCur,SplyCur
&frequency=1d&start_time=YYYY-MM-DD&page_size=N&paging_from=start``

Answers ``{"data": [{"asset": "btc", "time": "2024-01-01T00:00:00.000000000Z",
"PriceUSD": "42280.2", ...}], "next_page_token": "...", "next_page_url": "..."}``;
values are strings, a metric missing from a row is unsupported there and
``null`` is "no data". ``next_page_url`` is followed unmodified until absent.
One asset per request keeps one cursor per asset exact.

Unsupported or unlicensed metrics: without flags the API rejects the whole
request when one requested metric is unsupported for the asset (HTTP 400,
``{"error": {"type": "bad_parameter", "message": ...}}``) or not in the
caller's tier (HTTP 403, ``{"error": {"type": "forbidden", ...}}``). The
connector sends ``ignore_unsupported_errors=true`` and
``ignore_forbidden_errors=true``, so the API answers with the metrics it can
serve and leaves the others out of the rows; the run summary names, per
asset, the metrics that never appeared (and the derived metrics that could
not be computed without them). An asset Coin Metrics does not cover at all
(400 naming the asset) is skipped and reported; the other assets still run.

Stored as ``onchain`` rows (long format): ``market_cap_usd`` (CapMrktCurUSD),
``mvrv`` (CapMVRVCur), ``supply`` (SplyCur, native units), ``price_usd``
(PriceUSD), ``realized_cap_usd`` = market cap / MVRV and
``realized_price_usd`` = realized cap / supply (DESIGN "Realized price").

Keys and limits: the community API (community-api.coinmetrics.io) needs no
key and allows 10 requests per 6 seconds per IP; ``COINMETRICS_API_KEY``
switches to api.coinmetrics.io (``api_key`` query parameter, scrubbed from
every message).

Licence: Coin Metrics community data is licensed CC BY-NC 4.0
(non-commercial use, attribution "Coin Metrics"). Commercial use needs a
Coin Metrics licence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
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

__all__ = ["METRICS", "CoinMetrics", "extract_asset_metrics", "transform_asset_metrics"]

COMMUNITY_URL = "https://community-api.coinmetrics.io/v4"
PRO_URL = "https://api.coinmetrics.io/v4"
LICENCE = "Coin Metrics community data: CC BY-NC 4.0 (non-commercial use, attribute 'Coin Metrics')"

#: Coin Metrics metric -> ``onchain.metric``.
METRICS: dict[str, str] = {
    "PriceUSD": "price_usd",
    "CapMrktCurUSD": "market_cap_usd",
    "CapMVRVCur": "mvrv",
    "SplyCur": "supply",
}
#: Derived ``onchain`` metrics and the Coin Metrics metrics they need.
DERIVED: dict[str, tuple[str, ...]] = {
    "realized_cap_usd": ("CapMrktCurUSD", "CapMVRVCur"),
    "realized_price_usd": ("CapMrktCurUSD", "CapMVRVCur", "SplyCur"),
}


@parses_payload("coinmetrics", "asset-metrics")
def extract_asset_metrics(payload: Any, url: str, metrics: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of one page, checked: each has ``asset`` and ``time``, and at least
    one requested metric appears somewhere on a non-empty page."""
    data = require(payload, "data", url=url, source="coinmetrics", what="the response")
    if not isinstance(data, list):
        raise SourceError("coinmetrics: 'data' should be a list of rows.", url=url)
    for i, row in enumerate(data):
        require(row, "asset", url=url, source="coinmetrics", what=f"row {i} of 'data'")
        require(row, "time", url=url, source="coinmetrics", what=f"row {i} of 'data'")
    if data and not any(m in row for row in data for m in metrics):
        raise SourceError(
            f"coinmetrics: none of the metrics {', '.join(metrics)} is in the response rows "
            "(the metric names changed or the asset lacks them).",
            url=url,
        )
    return data


@parses_payload("coinmetrics", "asset-metrics")
def transform_asset_metrics(rows: Sequence[dict[str, Any]], url: str = "") -> pd.DataFrame:
    """``onchain`` rows (``date, asset_id, metric, value``) from asset-metrics rows.

    Derives ``realized_cap_usd = market_cap_usd / mvrv`` and
    ``realized_price_usd = realized_cap_usd / supply`` where both inputs are
    present and positive; missing or null values give no row. ``url`` (the
    page the rows came from) is named in the error when a value cannot be read.
    """
    if not rows:
        return pd.DataFrame(columns=["date", "asset_id", "metric", "value"])
    wide = pd.DataFrame(
        {
            "asset_id": [str(r["asset"]).upper() for r in rows],
            "date": pd.to_datetime([str(r["time"])[:10] for r in rows]),
            **{name: [to_float(r.get(cm)) for r in rows] for cm, name in METRICS.items()},
        }
    )
    cap, mvrv, supply = wide["market_cap_usd"], wide["mvrv"], wide["supply"]
    with np.errstate(divide="ignore", invalid="ignore"):
        realized = cap / mvrv.where(mvrv > 0)
        wide["realized_cap_usd"] = realized
        wide["realized_price_usd"] = realized / supply.where(supply > 0)
    long = wide.melt(id_vars=["asset_id", "date"], var_name="metric", value_name="value")
    long = long[np.isfinite(long["value"].astype(float))]
    return long[["date", "asset_id", "metric", "value"]].sort_values(
        ["asset_id", "date", "metric"], ignore_index=True
    )


class CoinMetrics(AdvisedConnector):
    """Coin Metrics connector (dataset ``asset_metrics`` -> ``onchain``).

    Parameters
    ----------
    page_size
        Rows per page (the API allows up to 10,000).
    """

    name = "coinmetrics"
    datasets = ("asset_metrics",)
    default_datasets = ("asset_metrics",)
    licence = LICENCE
    rate_limit_per_minute = 90.0  # community: 10 requests / 6 s per IP, with headroom
    default_assets = ("BTC", "ETH")
    history_start = pd.Timestamp("2010-07-18")

    def __init__(self, *args: Any, page_size: int = 1000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page_size = page_size
        if self.settings is not None:
            self.client.add_secret(self.settings.coinmetrics_api_key)

    @property
    def api_key(self) -> str | None:
        return self.settings.coinmetrics_api_key if self.settings else None

    def fetch_asset_metrics(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or self.default_assets)]
        base = PRO_URL if self.api_key else COMMUNITY_URL
        end = self.today - pd.Timedelta(days=1)
        refused: list[str] = []
        for i, asset in enumerate(chosen):
            start = self.resume_point(
                store,
                "asset_metrics",
                asset,
                since=since,
                default=self.history_start,
                table="onchain",
                asset_id=asset,
            )
            result.keys += 1
            if start > end:
                self._progress(progress, "asset_metrics", asset, i + 1, len(chosen), "up to date")
                continue
            params: dict[str, Any] | None = self._params(asset, start, end)
            url = f"{base}/timeseries/asset-metrics"
            page = 0
            seen: set[str] = set()
            covered = True
            guard = self.client.pages(self.name, f"asset-metrics for {asset}")
            while True:
                guard.visit(url, params, shown=self.client.scrub(url))
                try:
                    payload, shown = self.client.get_json(url, source=self.name, params=params)
                except SourceError as exc:
                    if exc.status in (400, 403) and page == 0 and _names_asset(exc, asset):
                        result.skip(f"{asset}: not served by Coin Metrics ({_error_type(exc)})")
                        covered = False
                        break
                    raise
                rows = extract_asset_metrics(payload, shown, list(METRICS))
                seen.update(m for r in rows for m in METRICS if r.get(m) is not None)
                frame = transform_asset_metrics(rows, url=shown)
                frame = frame[frame["asset_id"] == asset]
                page += 1
                if not frame.empty:
                    self.write_batch(
                        store,
                        result,
                        key=asset,
                        tables={"onchain": frame},
                        cursor=frame["date"].max().date().isoformat(),
                    )
                self._progress(progress, "asset_metrics", asset, i + 1, len(chosen), f"page {page}")
                next_url = payload.get("next_page_url") if isinstance(payload, dict) else None
                if not next_url:
                    break
                url, params = str(next_url), None  # the next_page_url carries every parameter
            if covered:
                _report_missing(result, asset, seen, page)
            else:
                refused.append(asset)
        if refused and len(refused) == len(chosen):
            raise SourceError(
                f"coinmetrics served none of the assets ({', '.join(refused)}): "
                f"{_reasons(result.records_skipped)}. Check the asset ids"
                + (" and COINMETRICS_API_KEY" if self.api_key else "")
                + "."
            )

    def plan_asset_metrics(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        base = PRO_URL if self.api_key else COMMUNITY_URL
        end = self.today - pd.Timedelta(days=1)
        out = []
        for asset in [a.upper() for a in (assets or self.default_assets)]:
            start = self.resume_point(
                store,
                "asset_metrics",
                asset,
                since=since,
                default=self.history_start,
                table="onchain",
                asset_id=asset,
            )
            if start > end:
                continue
            out.append(
                self.planned(
                    "asset_metrics",
                    f"{base}/timeseries/asset-metrics",
                    self._params(asset, start, end),
                    note="then follows next_page_url until the last page",
                )
            )
        return out

    def _params(self, asset: str, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, Any]:
        return {
            "assets": asset.lower(),
            "metrics": ",".join(METRICS),
            "frequency": "1d",
            "start_time": start.date().isoformat(),
            "end_time": end.date().isoformat(),
            "page_size": self.page_size,
            "paging_from": "start",
            "ignore_unsupported_errors": "true",
            "ignore_forbidden_errors": "true",
            "api_key": self.api_key,
        }


def _report_missing(result: FetchResult, asset: str, seen: set[str], pages: int) -> None:
    """Name the metrics Coin Metrics left out for ``asset`` (unsupported or not licensed)."""
    if not pages:
        return
    if not seen:
        result.warnings.append(f"Coin Metrics had no data for {asset} in the requested range.")
        return
    missing = [m for m in METRICS if m not in seen]
    if not missing:
        return
    lost = [name for name, needs in DERIVED.items() if any(m in missing for m in needs)]
    result.warnings.append(
        f"Coin Metrics served no {', '.join(missing)} for {asset} (unsupported for the asset "
        "or not in your tier)" + (f"; {', '.join(lost)} cannot be derived" if lost else "") + "."
    )
    for m in missing:
        result.skip(f"{asset}: metric {m} unavailable")


def _reasons(counts: dict[str, int]) -> str:
    return "; ".join(reason for reason in counts)


def _error_type(exc: SourceError) -> str:
    return "HTTP 403 forbidden: not in your tier" if exc.status == 403 else "unsupported asset"


def _names_asset(exc: SourceError, asset: str) -> bool:
    """Whether a 400/403 answer is about the asset itself (not a parameter we sent wrong)."""
    body = str(exc).split(" (URL: ")[0].lower()
    for quote in ("\\", "'", '"'):
        body = body.replace(quote, "")
    if exc.status == 403:  # Coin Metrics' own answer: the asset is outside the caller's tier
        return "type:forbidden" in body
    return "bad parameter assets" in body and asset.lower() in body
