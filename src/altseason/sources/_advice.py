"""What to do about each provider's errors: one table, used by the connectors
and printed by ``altseason fetch --help``.

The shared :class:`~altseason.sources._http.HttpClient` closes its messages
with generic advice ("configure an API key", "check the API key and plan").
That is wrong for keyless sources (Binance, Deribit, alternative.me, Farside,
LBMA never take a key), so every connector runs inside :func:`advised`,
which swaps the closing advice of a :class:`~altseason.exceptions.SourceError`
for the one in :data:`ADVICE` that fits the source and the HTTP status. The
exception keeps its class, URL and status.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd

from altseason.exceptions import RateLimitError, RegionBlockedError, SourceError
from altseason.sources._connector import Connector, FetchResult, ProgressCallback
from altseason.store import Store

__all__ = [
    "ADVICE",
    "KEYLESS",
    "LIMITS",
    "AdvisedConnector",
    "PlannedRequest",
    "Planner",
    "advice_for",
    "advised",
]

#: Source -> HTTP status (or error class) -> what to do.
ADVICE: dict[str, dict[int, str]] = {
    "coingecko": {
        401: "Check COINGECKO_API_KEY and COINGECKO_API_PLAN (demo keys go to "
        "api.coingecko.com, pro keys to pro-api.coingecko.com). Error code 10012 means the "
        "request reaches further back than the free plan's 365 days: fetch with --since "
        "inside the last year, use a paid plan, or import older prices from files.",
        429: "CoinGecko allows about 10 calls/min without a key and 30/min with a free demo "
        "key: wait a minute and rerun (the fetch resumes), fetch fewer assets, or set "
        "COINGECKO_API_KEY.",
    },
    "coinmetrics": {
        400: "Coin Metrics rejected a parameter: check the asset id (e.g. 'btc').",
        403: "The data is outside your Coin Metrics tier: the community API serves a subset; "
        "a Pro key in COINMETRICS_API_KEY unlocks more.",
        429: "The community API allows 10 requests per 6 s per IP: wait and rerun (the fetch "
        "resumes); a Pro key (COINMETRICS_API_KEY) has higher limits.",
    },
    "binance": {
        403: "Binance's firewall refused the request (too many requests or a flagged IP): "
        "wait before retrying. Binance's public market data takes no API key.",
        418: "Binance banned this IP for ignoring HTTP 429 (bans last from 2 minutes up to "
        "3 days and grow with repeats): stop fetching from Binance until the ban ends "
        "(the Retry-After header gives the seconds). No API key lifts it.",
        429: "Binance's public endpoints take no API key: wait a few minutes before the next "
        "run and fetch fewer symbols; repeated 429s lead to an IP ban (HTTP 418).",
        451: "Binance does not serve this region (e.g. the US). Import Bybit or OKX exports "
        "with 'altseason import FILE', take prices from CoinGecko and funding from Deribit, "
        "or fetch from a region Binance serves.",
    },
    "deribit": {
        400: "Deribit rejected the request parameters (see its error message).",
        429: "Deribit limits public requests per IP with a credit system: wait a minute and "
        "rerun. Public market data takes no API key.",
    },
    "fred": {
        400: "FRED answered 400: the series id does not exist, or FRED_API_KEY is not a "
        "valid 32-character key (register one free at fredaccount.stlouisfed.org).",
        429: "FRED allows 120 requests/min per key: wait a minute and rerun (the fetch resumes).",
    },
    "alternative_me": {
        429: "alternative.me allows 60 requests/min per IP: wait a minute and rerun. It "
        "takes no API key.",
    },
    "farside": {
        403: "Farside refuses automated clients at times. Open the page in a browser, copy "
        "the flow table into a spreadsheet, save it as CSV and run 'altseason import "
        "FILE.csv' (the Farside table reader takes it), or retry later.",
        429: "Farside is a small website: wait several minutes before the next run. It takes "
        "no API key.",
    },
    "lbma": {
        403: "LBMA sometimes refuses automated clients: retry later, or import gold/silver "
        "prices (e.g. COMEX GC=F/SI=F or GLD/SLV CSVs) with 'altseason import'.",
        429: "Wait a few minutes and rerun. The LBMA price files take no API key.",
    },
}

#: Sources that take no API key: a 401/403 from them is never about a key.
KEYLESS = ("binance", "deribit", "alternative_me", "farside", "lbma")
for _source in KEYLESS:
    for _status in (401, 403):
        ADVICE[_source].setdefault(
            _status,
            f"{_source} takes no API key: the site refused this client; retry later, and "
            "report it if it persists.",
        )

#: Source -> the limits ``fetch --help`` states.
LIMITS: dict[str, str] = {
    "coingecko": "~10 calls/min without a key, 30/min demo, 500/min pro; public and demo "
    "plans serve only the last 365 days of history (clamped, with a warning)",
    "coinmetrics": "community API: 10 requests per 6 s per IP; metrics outside the free "
    "tier are left out and named in the summary",
    "binance": "spot 6,000 weight/min, futures fundingRate/fundingInfo 500 requests per "
    "5 min per IP; no key",
    "deribit": "credit-based per-IP limit (the connector sends <= 120/min); no key",
    "fred": "120 requests/min per key; keyless fredgraph.csv without FRED_API_KEY",
    "alternative_me": "60 requests/min per IP; no key",
    "farside": "one page per underlying, at most 6 requests/min; may answer 403 to bots",
    "lbma": "one JSON file per metal; no key",
}

_GENERIC_429 = (
    "Wait a few minutes, fetch fewer assets, or configure an API key for a higher rate limit."
)


def advice_for(source: str, status: int | None) -> str | None:
    """The advice for ``source`` answering ``status``, if the table has one."""
    if status is None:
        return None
    return ADVICE.get(source, {}).get(status)


def _message(exc: SourceError) -> str:
    """The exception's own message, without the ``(URL: ..., HTTP n)`` suffix."""
    text = str(exc)
    for tail in (f" (URL: {exc.url}", f" (HTTP {exc.status})"):
        if exc.url or exc.status is not None:
            cut = text.rfind(tail)
            if cut > 0:
                return text[:cut]
    return text


def _reworded(exc: SourceError, source: str) -> SourceError | None:
    advice = advice_for(source, exc.status)
    if advice is None or advice in str(exc):
        return None
    message = _message(exc)
    if not isinstance(exc, (RateLimitError, RegionBlockedError)) and "answered HTTP" not in message:
        return None  # a connector's own message already says what to do
    if isinstance(exc, RateLimitError) and message.endswith(_GENERIC_429):
        message = message[: -len(_GENERIC_429)].rstrip()
    else:
        # Drop the client's generic closing sentence (after the last ". "),
        # keeping the status line and the provider's body.
        head, sep, _ = message.rpartition(". ")
        if sep and "answered HTTP" in head:
            message = head + "."
    if not message.endswith("."):
        message += "."
    new = type(exc)(f"{message} {advice}", url=exc.url, status=exc.status)
    return new


@contextmanager
def advised(source: str) -> Iterator[None]:
    """Re-raise a :class:`SourceError` with the advice that fits ``source``."""
    try:
        yield
    except SourceError as exc:
        new = _reworded(exc, source)
        if new is None:
            raise
        raise new from exc


@dataclass(frozen=True)
class PlannedRequest:
    """One request a fetch would make (``altseason fetch --dry-run``).

    ``url`` is the full URL with its query, keys masked (``***``) and the
    source's base-URL override applied; ``headers`` names the credential
    headers (values masked); ``note`` says what follows (paging, windows).
    """

    source: str
    dataset: str
    url: str
    headers: tuple[str, ...] = ()
    note: str = ""


class Planner:
    """Mixin: ``planned_requests(store, dataset, ...)`` lists the requests ``fetch`` would
    make, from the same cursors and parameters, without sending any."""

    def planned_requests(
        self: Any,
        store: Store,
        dataset: str,
        *,
        since: Any = None,
        assets: Sequence[str] | None = None,
    ) -> list[PlannedRequest]:
        since_ts = None if since is None else pd.Timestamp(since).normalize()
        method = getattr(self, f"plan_{dataset}", None)
        if method is None:
            return []
        return list(method(store, since=since_ts, assets=assets))

    def planned(
        self: Any,
        dataset: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        note: str = "",
    ) -> PlannedRequest:
        """A :class:`PlannedRequest` for ``url`` with ``params`` (None values dropped)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        rebase = getattr(self.client, "_rebase", None)
        target = rebase(url, self.name) if callable(rebase) else url
        shown = self.client.scrub(httpx.URL(target, params=query) if query else target)
        # placeholders such as {id} stay readable (keys are already masked)
        shown = shown.replace("%7B", "{").replace("%7D", "}").replace("%20", " ")
        masked = tuple(f"{h}: ***" for h in (headers or {}))
        return PlannedRequest(self.name, dataset, shown, masked, note)


class AdvisedConnector(Planner, Connector):
    """A :class:`Connector` whose errors close with its source's advice, and
    which can list the requests a fetch would make (:meth:`planned_requests`)."""

    def run_dataset(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: Any = None,
        assets: Sequence[str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        with advised(self.name):
            super().run_dataset(store, result, since=since, assets=assets, progress=progress)
