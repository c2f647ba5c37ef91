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

from altseason._advice_text import ADVICE, KEYLESS, LIMITS

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
