"""Every connector survives 429 (honouring Retry-After), 5xx and timeouts, and
fails with a SourceError naming the URL on a truncated or invalid body."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from connector_support import Counting, FakeTime, make_client, now, router

from altseason.exceptions import SourceError
from altseason.sources import fetch
from altseason.store import Store

SOURCES = [
    "coingecko",
    "coinmetrics",
    "binance:funding,klines",
    "deribit",
    "fred",
    "alternative_me",
    "farside",
    "lbma",
]
SINCE = "2024-01-01"
TABLES = ["assets", "prices", "onchain", "funding", "options", "sentiment", "macro", "etf_flows"]


def _run(store: Store, source: str, handler: Counting, ft: FakeTime) -> None:
    client = make_client(handler, ft)
    fetch(store, [source], client=client, now=now, since=SINCE, series=["M2SL", "WALCL"])


def _counts(store: Store) -> dict[str, int]:
    return {t: store.count(t) for t in TABLES}


@pytest.fixture(scope="module")
def baseline() -> dict[str, dict[str, int]]:
    out = {}
    for source in SOURCES:
        with Store(":memory:") as store:
            _run(store, source, Counting(router), FakeTime())
            out[source] = _counts(store)
            assert sum(out[source].values()) > 0, source
    return out


@pytest.mark.parametrize("source", SOURCES)
def test_429_retry_after_is_honoured(
    source: str, tmp_path: Path, baseline: dict[str, dict[str, int]]
) -> None:
    ft = FakeTime()
    handler = Counting(
        router, fail=1, failure=lambda r: httpx.Response(429, headers={"Retry-After": "7"})
    )
    with Store(":memory:") as store:
        _run(store, source, handler, ft)
        assert _counts(store) == baseline[source]
    assert 7.0 in ft.sleeps
    # The retried request is the same request.
    assert handler.requests[0].url == handler.requests[1].url


@pytest.mark.parametrize("source", SOURCES)
def test_5xx_then_success(source: str, tmp_path: Path, baseline: dict[str, dict[str, int]]) -> None:
    ft = FakeTime()
    handler = Counting(router, fail=2, failure=lambda r: httpx.Response(503, text="busy"))
    with Store(":memory:") as store:
        _run(store, source, handler, ft)
        assert _counts(store) == baseline[source]
    assert handler.requests[0].url == handler.requests[2].url


@pytest.mark.parametrize("source", SOURCES)
def test_timeout_then_success(
    source: str, tmp_path: Path, baseline: dict[str, dict[str, int]]
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    handler = Counting(router, fail=1, failure=timeout)
    with Store(":memory:") as store:
        _run(store, source, handler, FakeTime())
        assert _counts(store) == baseline[source]


@pytest.mark.parametrize("source", SOURCES)
def test_timeouts_exhausted_raise_source_error(source: str, tmp_path: Path) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("connect timed out", request=request)

    handler = Counting(router, fail=10**6, failure=timeout)
    with Store(":memory:") as store, pytest.raises(SourceError, match="timed out"):
        _run(store, source, handler, FakeTime())
    # Bounded: 3 attempts per request, then the dataset fails (the others still run).
    assert len(handler.requests) % 3 == 0
    urls = [str(r.url) for r in handler.requests]
    assert all(urls[i] == urls[i + 1] == urls[i + 2] for i in range(0, len(urls), 3))


@pytest.mark.parametrize("source", SOURCES)
def test_truncated_or_invalid_body(source: str, tmp_path: Path) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        good = router(request)
        body = good.content
        if source in ("fred", "farside"):
            # A challenge / error page instead of the CSV or the table.
            return httpx.Response(200, text="<html><body>Just a moment...</body></html>")
        return httpx.Response(200, content=body[: len(body) // 2])

    handler = Counting(router, fail=10**6, failure=broken)
    with Store(":memory:") as store:
        with pytest.raises(SourceError) as info:
            _run(store, source, handler, FakeTime())
        assert info.value.url is not None and info.value.url.startswith("https://")
        assert "URL: https://" in str(info.value)
        failed = store.read_table("ingest_log", status="failed")
        assert len(failed) >= 1
        assert failed["error"].str.contains("URL: https://").all()
