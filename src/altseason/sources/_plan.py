"""``plan_fetch``: the requests ``fetch`` would make, without sending any
(``altseason fetch --dry-run``).

Each connector lists, per dataset, the first request for every key from the
same cursors and parameters a real run uses, with a note on what follows
(pages, windows). Keys are masked (``***``); header credentials are named,
never shown. Requests that depend on answers (CoinGecko's per-coin history
before the universe is known) show a placeholder such as ``{id}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from altseason.config import Settings
from altseason.sources._advice import PlannedRequest, Planner
from altseason.sources._fetch import _ASSET_SCOPE, CONNECTORS, DEFAULT_SOURCES, parse_source
from altseason.sources._http import HttpClient
from altseason.store import Store, utcnow

__all__ = ["plan_fetch"]


def plan_fetch(
    store: Store,
    sources: Sequence[str] | None = None,
    *,
    since: Any = None,
    assets: Sequence[str] | None = None,
    series: Sequence[str] | None = None,
    settings: Settings | None = None,
    client: HttpClient | None = None,
    now: Callable[[], dt.datetime] = utcnow,
) -> list[PlannedRequest]:
    """The requests :func:`~altseason.sources.fetch` would make, in run order.

    Parameters are those of :func:`~altseason.sources.fetch`; nothing is sent
    and nothing is written. ``client`` (or a new one) only scrubs keys and
    applies base-URL overrides.
    """
    specs = [parse_source(s) for s in (sources or DEFAULT_SOURCES)]
    http = client or HttpClient(settings)
    wanted = [a.upper() for a in assets] if assets else None
    out: list[PlannedRequest] = []
    try:
        for name, datasets in specs:
            connector = CONNECTORS[name](http, settings, now=now)
            chosen: Sequence[str] | None
            if name == "fred":
                chosen = list(series) if series else None
            elif name in _ASSET_SCOPE:
                scope = _ASSET_SCOPE[name]
                chosen = (
                    wanted if scope is None or wanted is None else [a for a in wanted if a in scope]
                )
                if chosen is not None and not chosen:
                    continue
            else:
                chosen = None
            if not isinstance(connector, Planner):
                continue
            for ds in datasets or list(connector.default_datasets):
                out.extend(connector.planned_requests(store, ds, since=since, assets=chosen))
    finally:
        if client is None:
            http.close()
    return out
