"""altseason.sources: live connectors, file import and the demo market.

Live connectors (one module per provider: ``coingecko``, ``coinmetrics``,
``binance``, ``deribit``, ``fred``, ``alternative_me``, ``farside``,
``lbma``) share one :class:`HttpClient` and write through ``store.ingest``;
:func:`fetch` runs them incrementally.
"""

from altseason.sources._connector import Connector, FetchProgress, FetchResult, ProgressCallback
from altseason.sources._fetch import (
    CONNECTORS,
    DEFAULT_SOURCES,
    fetch,
    make_connector,
    parse_source,
)
from altseason.sources._http import HttpClient, RateLimiter, RetryPolicy, scrub_url
from altseason.sources.deribit import snapshot_options

__all__ = [
    "CONNECTORS",
    "DEFAULT_SOURCES",
    "Connector",
    "FetchProgress",
    "FetchResult",
    "HttpClient",
    "ProgressCallback",
    "RateLimiter",
    "RetryPolicy",
    "fetch",
    "make_connector",
    "parse_source",
    "scrub_url",
    "snapshot_options",
]
