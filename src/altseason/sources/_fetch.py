"""Orchestration: ``fetch(store, sources=[...])`` runs the live connectors.

Each source is incremental (it starts after the cursor committed with its
last batch, or after the newest stored row) and resumable (an interruption
keeps the finished batches and their cursor). Sources run one after another
through one shared :class:`~altseason.sources._http.HttpClient`; a failing
source is logged in ``ingest_log`` and, unless ``raise_on_error=False``,
its error is raised after the other sources have run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from altseason.config import Settings
from altseason.exceptions import AltseasonError, SourceError
from altseason.sources._connector import Connector, FetchResult, ProgressCallback
from altseason.sources._http import HttpClient
from altseason.sources.alternative_me import AlternativeMe
from altseason.sources.binance import Binance
from altseason.sources.coingecko import CoinGecko
from altseason.sources.coinmetrics import CoinMetrics
from altseason.sources.deribit import Deribit
from altseason.sources.farside import Farside
from altseason.sources.fred import Fred
from altseason.sources.lbma import Lbma
from altseason.store import Store, utcnow

__all__ = [
    "CONNECTORS",
    "DEFAULT_SOURCES",
    "fetch",
    "make_connector",
    "parse_source",
    "store_released_during_requests",
]

#: Source name -> connector class, in the default run order.
CONNECTORS: dict[str, type[Connector]] = {
    "coingecko": CoinGecko,
    "coinmetrics": CoinMetrics,
    "binance": Binance,
    "deribit": Deribit,
    "fred": Fred,
    "alternative_me": AlternativeMe,
    "farside": Farside,
    "lbma": Lbma,
}
DEFAULT_SOURCES: tuple[str, ...] = tuple(CONNECTORS)

#: Which crypto assets a source can take (None: any symbol; missing: ignores ``assets``).
_ASSET_SCOPE: dict[str, frozenset[str] | None] = {
    "coingecko": None,
    "coinmetrics": None,
    "binance": None,
    "deribit": frozenset({"BTC", "ETH"}),
    "farside": frozenset({"BTC", "ETH", "SOL"}),
}
_ALIASES = {
    "alternative.me": "alternative_me",
    "alternative": "alternative_me",
    "fng": "alternative_me",
    "gold": "lbma",
    "metals": "lbma",
    "cm": "coinmetrics",
}


def parse_source(spec: str) -> tuple[str, list[str] | None]:
    """``"binance:klines,funding"`` -> ``("binance", ["klines", "funding"])``.

    Raises
    ------
    SourceError
        If the source or a dataset is unknown (the message lists the choices).
    """
    name, _, rest = spec.strip().lower().partition(":")
    name = _ALIASES.get(name, name)
    if name not in CONNECTORS:
        raise SourceError(
            f"unknown source {spec!r}; choose from {', '.join(CONNECTORS)} "
            "(optionally 'source:dataset', e.g. 'binance:klines')."
        )
    datasets = [d.strip() for d in rest.split(",") if d.strip()] or None
    cls = CONNECTORS[name]
    bad = [d for d in datasets or [] if d not in cls.datasets]
    if bad:
        raise SourceError(
            f"source {name!r} has no dataset {', '.join(map(repr, bad))}; it has "
            f"{', '.join(cls.datasets)}."
        )
    return name, datasets


def make_connector(
    name: str,
    client: HttpClient,
    settings: Settings | None = None,
    *,
    now: Callable[[], dt.datetime] = utcnow,
    **options: Any,
) -> Connector:
    """Build the connector ``name`` on a shared client."""
    source, _ = parse_source(name)
    return CONNECTORS[source](client, settings, now=now, **options)


@contextmanager
def store_released_during_requests(http: HttpClient, store: Store) -> Iterator[None]:
    """Give up the store's file lock before every HTTP request made through ``http``.

    Connectors read the store (cursors, newest rows), request a page, then
    write it in one short transaction. Releasing before each request (and so
    before any rate-limit or retry wait) means the lock is held only while
    the store is read or written, never during a network wait: a reader such
    as the dashboard, or another writer, can open the file in between. The
    next store call reopens it, waiting for the lock with the store's
    ``lock_timeout``.
    """
    original = http.get

    def get(*args: Any, **kwargs: Any) -> httpx.Response:
        store.release()
        return original(*args, **kwargs)

    http.get = get  # type: ignore[method-assign]
    try:
        yield
    finally:
        del http.get  # back to the class's method
        store.release()


def fetch(
    store: Store,
    sources: Sequence[str] | None = None,
    *,
    since: Any = None,
    assets: Sequence[str] | None = None,
    series: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    settings: Settings | None = None,
    client: HttpClient | None = None,
    transport: httpx.BaseTransport | None = None,
    now: Callable[[], dt.datetime] = utcnow,
    raise_on_error: bool = True,
) -> list[FetchResult]:
    """Bring the store up to date from the live providers.

    Parameters
    ----------
    store
        The warehouse to write (one transaction per batch).
    sources
        Source names, optionally with datasets (``"binance:klines"``);
        default all of :data:`DEFAULT_SOURCES` with their default datasets.
    since
        Refetch from this UTC date instead of resuming after the cursor.
    assets
        Crypto symbols (``["BTC", "ETH"]``) for the crypto sources; Deribit
        (BTC, ETH) and Farside (BTC, ETH, SOL) keep those they cover.
    series
        FRED series ids (default the built-in list).
    progress
        Called with a :class:`~altseason.sources.FetchProgress` as work advances.
    settings
        Keys, plans and User-Agent (default: no keys).
    client, transport
        A shared :class:`HttpClient`, or an ``httpx`` transport for a new one
        (tests pass ``httpx.MockTransport``).
    now
        Clock (naive UTC) deciding "today"; tests pin it.
    raise_on_error
        Raise the first source's error after all sources ran (default);
        otherwise report it in :attr:`FetchResult.error`.

    Returns
    -------
    list of FetchResult
        One per (source, dataset), in run order.
    """
    specs = [parse_source(s) for s in (sources or DEFAULT_SOURCES)]
    own_client = client is None
    http = client or HttpClient(settings, transport=transport)
    results: list[FetchResult] = []
    first_error: AltseasonError | None = None
    wanted = [a.upper() for a in assets] if assets else None
    try:
        with store_released_during_requests(http, store):
            for name, datasets in specs:
                connector = CONNECTORS[name](http, settings, now=now)
                chosen: Sequence[str] | None
                if name == "fred":
                    chosen = list(series) if series else None
                elif name in _ASSET_SCOPE:
                    scope = _ASSET_SCOPE[name]
                    chosen = (
                        wanted
                        if scope is None or wanted is None
                        else [a for a in wanted if a in scope]
                    )
                    if chosen is not None and not chosen:
                        for ds in datasets or connector.default_datasets:
                            skipped = FetchResult(name, ds)
                            skipped.warnings.append(
                                f"{name} covers {', '.join(sorted(scope or ()))} only; skipped."
                            )
                            results.append(skipped)
                        continue
                else:
                    chosen = None
                for ds in datasets or list(connector.default_datasets):
                    started = utcnow()
                    result = FetchResult(name, ds)
                    results.append(result)
                    try:
                        connector.run_dataset(
                            store, result, since=since, assets=chosen, progress=progress
                        )
                    except AltseasonError as exc:
                        result.error = http.scrub(str(exc))  # no key reaches ingest_log
                        store.log_failure(
                            dataset=f"{name}:{ds}",
                            source=name,
                            error=result.error,
                            started_at=started,
                        )
                        if first_error is None:
                            first_error = exc
    finally:
        if own_client:
            http.close()
    if raise_on_error and first_error is not None:
        raise first_error
    return results
