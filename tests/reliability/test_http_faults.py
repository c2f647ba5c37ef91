"""HTTP faults the shared client must survive (beyond tests/sources/test_http.py
and test_connector_resilience.py): redirects to other hosts, slow and
resetting servers on 127.0.0.1, 429 storms with hostile ``Retry-After``
values, undecodable and hostile bodies, and API keys that must never reach
a log record, an exception, ``ingest_log`` or ``rejects``.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fuzz_support import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from altseason.config import Settings, load_settings
from altseason.exceptions import ConfigError, RateLimitError, SourceError
from altseason.sources import HttpClient, RetryPolicy, fetch
from altseason.store import Store

URL = "https://api.provider.test/v1/data"
KEYS = {
    "coingecko_api_key": "CG-sekrit-0123456789",
    "coinmetrics_api_key": "cm-sekrit-9876543210",
    "fred_api_key": "fredsekrit00000000000000000000ab",
}


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def _client(handler: Any, ft: FakeTime | None = None, **kw: Any) -> HttpClient:
    ft = ft or FakeTime()
    return HttpClient(
        kw.pop("settings", None),
        transport=httpx.MockTransport(handler),
        sleep=ft.sleep,
        clock=ft.clock,
        seed=0,
        **kw,
    )


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(home=tmp_path, store_path=tmp_path / "s.duckdb", **{**KEYS, **kw})


# ---------------------------------------------------------------------- redirects
def test_redirect_to_another_host_is_not_followed(tmp_path: Path) -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        if request.url.host == "api.provider.test":
            return httpx.Response(302, headers={"Location": "https://evil.test/collect"})
        return httpx.Response(200, json={"stolen": dict(request.headers)})

    client = _client(handler, settings=_settings(tmp_path))
    with pytest.raises(SourceError, match="another origin") as info:
        client.get_json(
            URL, source="coingecko", headers={"x-cg-demo-api-key": KEYS["coingecko_api_key"]}
        )
    assert hosts == ["api.provider.test"]  # evil.test never saw the key header
    assert info.value.url == URL and info.value.status == 302
    assert KEYS["coingecko_api_key"] not in str(info.value)


@pytest.mark.parametrize(
    "location",
    [
        "http://api.provider.test/v1/data",  # downgrade to plain HTTP
        "https://api.provider.test:8443/v1/data",  # another port
        "https://provider.test.evil.test/v1/data",
        "//evil.test/v1/data",  # scheme-relative
    ],
)
def test_redirect_to_another_origin_variants(location: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(301, headers={"Location": location})

    with pytest.raises(SourceError, match="not followed"):
        _client(handler).get(URL, source="x")
    assert seen == [URL]


def test_same_origin_redirect_is_followed_and_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/data":
            return httpx.Response(302, headers={"Location": "/v2/data"})
        return httpx.Response(200, json={"ok": True})

    payload, _ = _client(handler).get_json(URL, source="x")
    assert payload == {"ok": True}

    hops: list[str] = []

    def loop(request: httpx.Request) -> httpx.Response:
        hops.append(request.url.path)
        return httpx.Response(302, headers={"Location": f"/hop{len(hops)}"})

    with pytest.raises(SourceError, match="redirected more than"):
        _client(loop).get(URL, source="x")
    assert len(hops) <= 10


def test_connector_redirected_off_host_writes_nothing(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "https://evil.test/fng"})

    with Store(":memory:") as store:
        results = fetch(
            store,
            ["alternative_me"],
            client=_client(handler),
            raise_on_error=False,
        )
        assert results[0].error and "another origin" in results[0].error
        assert store.count("sentiment") == 0
        log = store.read_table("ingest_log")
        log = log[log["source"] != "calendar"]  # the reference calendar every store gets
        assert log["status"].tolist() == ["failed"]


# ---------------------------------------------------------------------- local servers
class _Slow(BaseHTTPRequestHandler):
    delay = 2.0
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        time.sleep(self.delay)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    _Slow.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slow"
    finally:
        server.shutdown()
        server.server_close()


def test_slow_server_times_out_with_bounded_attempts(slow_server: str) -> None:
    ft = FakeTime()
    client = HttpClient(
        timeout=0.3, retry=RetryPolicy(max_attempts=2), sleep=ft.sleep, clock=ft.clock, seed=1
    )
    with pytest.raises(SourceError, match="timed out") as info:
        client.get_json(slow_server, source="x")
    assert _Slow.hits == 2 and len(ft.sleeps) == 1
    assert info.value.url == slow_server
    client.close()


@pytest.fixture
def resetting_server() -> Iterator[tuple[str, list[int]]]:
    """Accepts, then closes with a TCP reset (SO_LINGER 0) before answering."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            accepted.append(1)
            conn.recv(1024)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/reset", accepted
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def test_connection_resets_are_retried_then_source_error(
    resetting_server: tuple[str, list[int]],
) -> None:
    url, accepted = resetting_server
    ft = FakeTime()
    client = HttpClient(retry=RetryPolicy(max_attempts=3), sleep=ft.sleep, clock=ft.clock, seed=2)
    with pytest.raises(SourceError, match="connection failed") as info:
        client.get(url, source="x")
    assert len(accepted) == 3 and len(ft.sleeps) == 2
    assert all(0 <= s <= RetryPolicy().backoff_max for s in ft.sleeps)
    assert info.value.url == url
    client.close()


# ---------------------------------------------------------------------- 429 storms
RETRY_AFTER = st.one_of(
    st.sampled_from(
        [
            "",
            "-5",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "1e309",
            "abc",
            "0",
            "10",
            "999999999",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "\x00",
        ]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=20),
)


@FUZZ
@given(values=st.lists(RETRY_AFTER, min_size=1, max_size=8))
def test_429_storm_is_bounded_whatever_retry_after_says(values: list[str]) -> None:
    ft = FakeTime()
    calls: list[int] = []
    policy = RetryPolicy()

    def storm(request: httpx.Request) -> httpx.Response:
        value = values[len(calls) % len(values)]
        calls.append(1)
        try:
            return httpx.Response(429, headers={"Retry-After": value})
        except (ValueError, TypeError):  # a header httpx itself refuses to build
            return httpx.Response(429)

    with pytest.raises(RateLimitError) as info:
        _client(storm, ft).get(URL, source="x")
    assert len(calls) == policy.max_attempts
    assert len(ft.sleeps) == policy.max_attempts - 1
    assert all(0.0 <= s <= policy.retry_after_max for s in ft.sleeps), ft.sleeps
    assert sum(ft.sleeps) <= (policy.max_attempts - 1) * policy.retry_after_max
    assert info.value.status == 429 and info.value.url == URL


def test_429_storm_through_fetch_logs_one_failure_per_dataset(tmp_path: Path) -> None:
    ft = FakeTime()
    calls: list[str] = []

    def storm(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with Store(":memory:") as store:
        results = fetch(store, ["lbma"], client=_client(storm, ft), raise_on_error=False)
        assert "429" in (results[0].error or "")
        assert store.count("macro") == 0
    # the first series fails after the bounded attempts; the dataset stops there
    assert len(calls) == RetryPolicy().max_attempts
    assert max(ft.sleeps) <= RetryPolicy().retry_after_max


# ---------------------------------------------------------------------- hostile bodies
@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Encoding": "gzip"}, b"this is not gzip"),
        ({"Content-Encoding": "deflate"}, b"\x00\x01\x02"),
        ({"Content-Type": "application/json; charset=utf-8"}, b"\xff\xfe{\x00}\x00"),
        ({"Content-Type": "application/json"}, b"[" * 100_000 + b"]" * 100_000),
        ({"Content-Type": "text/html"}, b"<html><body>Just a moment...</body></html>"),
        ({}, b""),
        ({}, b"\x00" * 1000),
        ({}, b'{"data": NaN}' + b" " * 10),
    ],
    ids=["bad-gzip", "bad-deflate", "utf16", "deep-nesting", "html", "empty", "nul", "nan-json"],
)
def test_hostile_bodies_raise_source_error(headers: dict[str, str], body: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=body)

    try:
        payload, _ = _client(handler).get_json(URL, source="x")
    except SourceError as exc:
        assert exc.url == URL and URL in str(exc)
    else:
        # only bodies that really are JSON may parse: UTF-16 with a BOM, and NaN
        # (Python's json accepts it; the transforms' to_float keeps it as missing)
        assert payload in ({}, {"data": payload.get("data")}), payload


# ---------------------------------------------------------------------- secrets
def _echo_everything(request: httpx.Request) -> httpx.Response:
    """A provider that puts the request (URL, headers) into every kind of failure."""
    echo = f"{request.url} {dict(request.headers)}"
    n = int(request.headers.get("x-n", "0"))
    kind = hash(str(request.url)) % 5 if n == 0 else n
    if kind == 0:
        return httpx.Response(403, text=f"forbidden: {echo}")
    if kind == 1:
        return httpx.Response(500, text=f"boom: {echo}")
    if kind == 2:
        return httpx.Response(200, text=f"<html>{echo}</html>")
    if kind == 3:
        return httpx.Response(302, headers={"Location": f"https://evil.test/?u={request.url}"})
    return httpx.Response(200, json={"error": echo, "data": [{"oops": echo}]})


@pytest.mark.parametrize("source", ["coingecko", "coinmetrics", "fred", "deribit", "farside"])
def test_api_keys_never_leak(source: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(tmp_path, coingecko_plan="pro")
    caplog.set_level(logging.DEBUG)
    with Store(tmp_path / "s.duckdb") as store:
        results = fetch(
            store,
            [source],
            settings=settings,
            client=_client(_echo_everything, settings=settings),
            raise_on_error=False,
            series=["M2SL"],
            assets=["BTC"],
        )
        errors = [r.error or "" for r in results]
        assert any(errors), "every request failed, so the dataset must report an error"
        log = store.read_table("ingest_log")
        rejects = store.read_table("rejects")
        stored = " ".join([*log["error"].fillna("").tolist(), rejects.astype(str).to_string()])
    records = " ".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for key in KEYS.values():
        for where, text in (
            ("error", " ".join(errors)),
            ("ingest_log/rejects", stored),
            ("log records", records),
        ):
            assert key not in text, f"{key[:6]}... leaked into {where}"


def test_settings_repr_masks_keys(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    for key in KEYS.values():
        assert key not in repr(settings) and key not in str(settings)


# ---------------------------------------------------------------------- base-URL override
def test_base_url_override_rewrites_scheme_and_host(tmp_path: Path) -> None:
    settings = load_settings(
        {"ALTSEASON_HOME": str(tmp_path), "ALTSEASON_LBMA_BASE_URL": "http://127.0.0.1:9/"}
    )
    assert settings.base_url("lbma") == "http://127.0.0.1:9"
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=[])

    client = _client(handler, settings=settings)
    client.get_json("https://prices.lbma.org.uk/json/gold_pm.json?x=1", source="lbma")
    client.get_json("https://other.test/a", source="fred")  # other sources untouched
    assert seen == ["http://127.0.0.1:9/json/gold_pm.json?x=1", "https://other.test/a"]


@pytest.mark.parametrize("value", ["127.0.0.1:9", "ftp://h", "http://h/path", "http://"])
def test_base_url_override_is_validated(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ALTSEASON_FRED_BASE_URL"):
        load_settings({"ALTSEASON_HOME": str(tmp_path), "ALTSEASON_FRED_BASE_URL": value})
