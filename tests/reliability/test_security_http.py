"""Issue 15 (HTTP side): each attack of the outside review, reproduced against a
real server on 127.0.0.1, and shown to hold.

* a 2 GiB body and a gzip bomb stop at the response cap with bounded memory;
* a server trickling one byte at a time is cut off by the request deadline;
* a ``next_page_url`` that returns itself stops at once; a long walk stops at the page cap;
* ``Retry-After: 1200`` is capped (max wait) and never waits past the run deadline;
* an API key in the status reason phrase, in the body or in a base-URL
  ``user:password@`` never reaches an error, ``ingest_log``, a log record or the CLI;
* the store's data tables are unchanged after each hostile answer.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from altseason.config import Limits, Settings, load_limits
from altseason.exceptions import ConfigError, SourceError
from altseason.sources import HttpClient, fetch
from altseason.store import Store

KEY = "cm-sekrit-key-0123456789abcdef"
MIB = 1024 * 1024
#: Peak Python memory allowed while refusing a hostile body with a 1 MiB cap.
MEMORY_LIMIT = 24 * MIB

Handler = Callable[[BaseHTTPRequestHandler], None]


class _Server:
    """A loopback HTTP server whose GET answer is a test-given function."""

    def __init__(self, respond: Handler) -> None:
        outer = self
        self.hits: list[str] = []

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer.hits.append(self.path)
                # the client may stop reading: what the caps are for
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    respond(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], _Server]]:
    servers: list[_Server] = []

    def start(respond: Handler) -> _Server:
        servers.append(_Server(respond))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _data_snapshot(store: Store) -> dict[str, int]:
    tables = [r[0] for r in store.con.execute("SHOW TABLES").fetchall()]
    return {t: store.count(t) for t in tables if t not in ("ingest_log",)}


# ---------------------------------------------------------------------- size caps
def _endless_zeros(h: BaseHTTPRequestHandler) -> None:
    """Claims 2 GiB and streams zeros until the client hangs up."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(2 * 1024 * MIB))
    h.end_headers()
    block = b"0" * 65536
    for _ in range(2 * 1024 * 16):
        h.wfile.write(block)


def _gzip_bomb() -> bytes:
    # 512 MiB of zeros in ~0.5 MB of gzip (the review's bomb was 6 MB -> 6 GB)
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (8 * MIB)
    return b"".join(comp.compress(block) for _ in range(64)) + comp.flush()


def _bounded_peak(call: Callable[[], Any]) -> tuple[BaseException | None, int]:
    tracemalloc.start()
    try:
        call()
    except Exception as exc:
        error: BaseException | None = exc
    else:
        error = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return error, peak


def test_huge_body_stops_at_the_response_cap(serve: Callable[[Handler], _Server]) -> None:
    server = serve(_endless_zeros)
    client = HttpClient(limits=Limits(max_response_bytes=MIB))
    error, peak = _bounded_peak(lambda: client.get_json(server.url + "/big", source="x"))
    client.close()
    assert isinstance(error, SourceError)
    assert "larger than 1 MiB" in str(error) and "ALTSEASON_MAX_RESPONSE_MB" in str(error)
    assert peak < MEMORY_LIMIT, f"peak {peak / MIB:.1f} MiB"
    assert len(server.hits) == 1  # a size error is not retried


def test_gzip_bomb_stops_at_the_cap_after_decompression(
    serve: Callable[[Handler], _Server],
) -> None:
    bomb = _gzip_bomb()
    assert len(bomb) < 2 * MIB

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        h.wfile.write(bomb)

    server = serve(respond)
    client = HttpClient(limits=Limits(max_response_bytes=MIB))
    error, peak = _bounded_peak(lambda: client.get_json(server.url + "/bomb", source="x"))
    client.close()
    assert isinstance(error, SourceError)
    assert "after gzip decompression" in str(error)
    assert peak < MEMORY_LIMIT, f"peak {peak / MIB:.1f} MiB"


def test_small_gzip_and_deflate_bodies_still_decode(serve: Callable[[Handler], _Server]) -> None:
    body = b'{"data": [1, 2, 3]}'
    encodings = {
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
        "identity": body,
    }

    def respond(h: BaseHTTPRequestHandler) -> None:
        enc = h.path.strip("/")
        h.send_response(200)
        h.send_header("Content-Encoding", enc)
        h.send_header("Content-Length", str(len(encodings[enc])))
        h.end_headers()
        h.wfile.write(encodings[enc])

    server = serve(respond)
    with HttpClient(limits=Limits(max_response_bytes=64)) as client:
        for enc in encodings:
            payload, _ = client.get_json(f"{server.url}/{enc}", source="x")
            assert payload == {"data": [1, 2, 3]}


def test_unrequested_encoding_is_refused(serve: Callable[[Handler], _Server]) -> None:
    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "br")
        h.send_header("Content-Length", "4")
        h.end_headers()
        h.wfile.write(b"\x1b\x00\x00\x00")

    server = serve(respond)
    with HttpClient() as client, pytest.raises(SourceError, match="Content-Encoding 'br'"):
        client.get(server.url + "/br", source="x")


# ---------------------------------------------------------------------- deadlines
def test_trickling_server_is_cut_off_by_the_request_deadline(
    serve: Callable[[Handler], _Server],
) -> None:
    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(100000):  # one byte every 50 ms: never a read timeout
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.05)

    server = serve(trickle)
    client = HttpClient(limits=Limits(request_deadline=0.6, stall_timeout=5))
    with pytest.raises(SourceError, match=r"per-request deadline of 0\.6 s") as info:
        client.get(server.url + "/slow", source="x")
    client.close()
    # the deadline, not the 5 s stall timeout, ended it (the body takes 80 minutes)
    assert "ALTSEASON_REQUEST_DEADLINE" in str(info.value)
    assert "still arriving" in str(info.value)


def test_stalled_server_is_detected(serve: Callable[[Handler], _Server]) -> None:
    def stall(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "10")
        h.end_headers()
        h.wfile.write(b"{")
        h.wfile.flush()
        time.sleep(3)

    server = serve(stall)
    from altseason.sources import RetryPolicy

    with (
        HttpClient(limits=Limits(stall_timeout=0.3), retry=RetryPolicy(max_attempts=1)) as client,
        pytest.raises(SourceError, match="ALTSEASON_STALL_TIMEOUT"),
    ):
        client.get(server.url + "/stall", source="x")


class _FakeTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def test_retry_after_1200_is_capped_and_bounded_by_the_run_deadline() -> None:
    ft = _FakeTime()
    calls: list[int] = []

    def storm(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429, headers={"Retry-After": "1200"})

    client = HttpClient(
        transport=httpx.MockTransport(storm),
        sleep=ft.sleep,
        clock=ft.clock,
        limits=Limits(max_retry_wait=30, fetch_deadline=100),
    )
    with pytest.raises(SourceError, match="fetch run's deadline of 100 s") as info:
        client.get("https://api.test/x", source="x")
    assert "ALTSEASON_FETCH_DEADLINE" in str(info.value)
    assert ft.sleeps and max(ft.sleeps) <= 30  # never 1200
    assert sum(ft.sleeps) <= 100  # never past the run deadline
    # a later request of the same run fails at once, without a request
    before = len(calls)
    ft.t = 101
    with pytest.raises(SourceError, match="deadline"):
        client.get("https://api.test/y", source="x")
    assert len(calls) == before


# ---------------------------------------------------------------------- pagination
def _coinmetrics_settings(tmp_path: Path, server: _Server, **limits: Any) -> Settings:
    return Settings(
        home=tmp_path,
        store_path=tmp_path / "s.duckdb",
        coinmetrics_api_key=KEY,
        base_urls=(("coinmetrics", server.url),),
        limits=Limits(**limits),
    )


def _page(h: BaseHTTPRequestHandler, next_url: str | None, day: int = 1) -> None:
    import json

    body = {
        "data": [
            {"asset": "btc", "time": f"2024-01-{day:02d}T00:00:00.000000000Z", "PriceUSD": "1.0"}
        ]
    }
    if next_url:
        body["next_page_url"] = next_url  # type: ignore[assignment]
    raw = json.dumps(body).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(raw)))
    h.end_headers()
    h.wfile.write(raw)


def test_next_page_url_returning_itself_stops_at_once(
    serve: Callable[[Handler], _Server], tmp_path: Path
) -> None:
    holder: dict[str, str] = {}

    def respond(h: BaseHTTPRequestHandler) -> None:
        _page(h, holder["url"] + "/v4/timeseries/asset-metrics?page_token=SAME&api_key=" + KEY)

    server = serve(respond)
    holder["url"] = server.url
    settings = _coinmetrics_settings(tmp_path, server)
    with Store(tmp_path / "s.duckdb") as store:
        results = fetch(
            store,
            ["coinmetrics"],
            assets=["BTC"],
            settings=settings,
            now=lambda: __import__("datetime").datetime(2024, 2, 1),
            raise_on_error=False,
        )
        error = results[0].error or ""
        logged = store.read_table("ingest_log")["error"].fillna("").str.cat(sep=" ")
    assert "already fetched" in error
    # first page, then its self-link once: two requests, not 251
    assert len(server.hits) == 2
    assert KEY not in error and KEY not in logged


def test_long_pagination_stops_at_the_page_cap(
    serve: Callable[[Handler], _Server], tmp_path: Path
) -> None:
    def respond(h: BaseHTTPRequestHandler) -> None:
        n = len(server.hits)
        _page(h, f"{server.url}/v4/timeseries/asset-metrics?page_token={n}", day=min(n, 28))

    server = serve(respond)
    settings = _coinmetrics_settings(tmp_path, server, max_pages=3)
    with Store(tmp_path / "s.duckdb") as store:
        results = fetch(
            store,
            ["coinmetrics"],
            assets=["BTC"],
            settings=settings,
            now=lambda: __import__("datetime").datetime(2024, 2, 1),
            raise_on_error=False,
        )
    assert "page cap (ALTSEASON_MAX_PAGES=3)" in (results[0].error or "")
    assert len(server.hits) == 3


# ---------------------------------------------------------------------- secrets
def test_key_in_reason_phrase_body_and_base_url_never_leaks(
    serve: Callable[[Handler], _Server], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def respond(h: BaseHTTPRequestHandler) -> None:
        body = f"invalid api key {KEY} for {h.path}".encode()
        h.send_response(403, f"Invalid key {KEY}")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server = serve(respond)
    password = "pa55-w0rd-secret"
    settings = Settings(
        home=tmp_path,
        store_path=tmp_path / "s.duckdb",
        coinmetrics_api_key=KEY,
        base_urls=(("coinmetrics", f"http://analyst:{password}@127.0.0.1:{server.port}"),),
    )
    caplog.set_level(logging.DEBUG)
    with Store(tmp_path / "s.duckdb") as store:
        before = _data_snapshot(store)
        results = fetch(
            store,
            ["coinmetrics"],
            assets=["BTC"],
            settings=settings,
            raise_on_error=False,
        )
        assert _data_snapshot(store) == before
        logged = store.read_table("ingest_log")["error"].fillna("").str.cat(sep=" ")
    error = results[0].error or ""
    assert "HTTP 403" in error and "Invalid key ***" in error
    records = " ".join(r.getMessage() for r in caplog.records)
    for secret in (KEY, password):
        for where, text in (("error", error), ("ingest_log", logged), ("logs", records)):
            assert secret not in text, f"secret leaked into {where}: {text[:300]}"
    assert "analyst:" not in error


def test_cli_output_never_shows_the_key_or_url_password(
    serve: Callable[[Handler], _Server], tmp_path: Path
) -> None:
    def respond(h: BaseHTTPRequestHandler) -> None:
        body = f"bad key {KEY}".encode()
        h.send_response(401, f"Unauthorized {KEY}")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server = serve(respond)
    env = {
        **os.environ,
        "ALTSEASON_HOME": str(tmp_path),
        "COINMETRICS_API_KEY": KEY,
        "ALTSEASON_COINMETRICS_BASE_URL": f"http://analyst:pa55-w0rd-secret@127.0.0.1:{server.port}",
        "COLUMNS": "400",
    }
    run = subprocess.run(
        [sys.executable, "-m", "altseason", "fetch", "coinmetrics", "--assets", "BTC"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "401" in out, out
    assert KEY not in out and "pa55-w0rd-secret" not in out, out


# ---------------------------------------------------------------------- configuration
def test_limits_come_from_the_environment() -> None:
    limits = load_limits({"ALTSEASON_MAX_RESPONSE_MB": "2", "ALTSEASON_FETCH_DEADLINE": "90"})
    assert limits.max_response_bytes == 2 * MIB and limits.fetch_deadline == 90
    with pytest.raises(ConfigError, match="ALTSEASON_MAX_PAGES"):
        load_limits({"ALTSEASON_MAX_PAGES": "-1"})


def test_fetch_help_names_every_fetch_limit() -> None:
    from typer.testing import CliRunner

    from altseason.cli._app import app
    from altseason.cli._register import __name__ as _registered  # noqa: F401

    text = CliRunner().invoke(app, ["fetch", "--help"], env={"COLUMNS": "200"}).output
    for var in (
        "ALTSEASON_FETCH_DEADLINE",
        "ALTSEASON_REQUEST_DEADLINE",
        "ALTSEASON_STALL_TIMEOUT",
        "ALTSEASON_MAX_RESPONSE_MB",
        "ALTSEASON_MAX_PAGES",
        "ALTSEASON_MAX_RETRY_WAIT",
    ):
        assert var in text
