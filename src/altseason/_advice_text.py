"""Per-source limits and error advice as plain text tables.

Kept free of heavy imports so that ``altseason fetch --help`` can print them
without loading pandas or httpx; :mod:`altseason.sources._advice` applies them
to the connectors' errors.
"""

from __future__ import annotations

__all__ = ["ADVICE", "KEYLESS", "LIMITS"]

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
