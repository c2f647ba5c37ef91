"""Issue 15 (dashboard): DNS rebinding, per-instance cookies, the printed URL
winning over a stale cookie, and no token in any log record, each reproduced
against the real app (uvicorn on 127.0.0.1 for the rebinding request).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from altseason.dashboard import create_app
from altseason.dashboard._params import PageParams
from altseason.dashboard._security import allowed_hosts, cookie_name, host_allowed
from altseason.store import Store

TOKEN = "printed-token-0123456789abcdef"


def _builder(store: Store, page: str, params: PageParams) -> dict[str, Any]:
    return {"findings": [], "charts": []}


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        frame = pd.DataFrame(
            {"asset_id": ["BTC"], "date": pd.to_datetime(["2024-01-01"]), "close": [1.0]}
        )
        s.ingest(dataset="t", source="test", tables={"prices": frame})
    return path


@pytest.fixture
def live_url(store_path: Path) -> Iterator[str]:
    """The dashboard served by uvicorn on 127.0.0.1 (a real socket, as curl sees it)."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    app = create_app(store_path, page_builder=_builder, host="127.0.0.1", port=port)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# ---------------------------------------------------------------------- DNS rebinding
def test_dns_rebinding_host_is_refused(live_url: str) -> None:
    # curl -H 'Host: evil.example' http://127.0.0.1:PORT/api/status
    for evil in ("evil.example", "evil.example:80", "127.0.0.1.evil.example", "localhost.evil"):
        r = httpx.get(f"{live_url}/api/status", headers={"Host": evil})
        assert r.status_code == 421, (evil, r.status_code)
        assert "tables" not in r.text
        assert r.headers["content-security-policy"]  # refused answers are hardened too
    for good in (None, "localhost:1234", "127.0.0.1", "[::1]:8765"):
        headers = {"Host": good} if good else {}
        assert httpx.get(f"{live_url}/api/status", headers=headers).status_code == 200, good


def test_allowed_hosts_per_bind() -> None:
    loop = allowed_hosts("127.0.0.1")
    assert host_allowed("localhost:8765", loop, "127.0.0.1")
    assert host_allowed("127.0.0.2", loop, "127.0.0.1")
    assert not host_allowed("192.168.1.5", loop, "127.0.0.1")
    assert not host_allowed("evil.example", loop, "127.0.0.1")
    assert not host_allowed(None, loop, "127.0.0.1")
    assert not host_allowed("", loop, "127.0.0.1")
    lan = allowed_hosts("192.168.1.5", ["dash.lan"])
    assert host_allowed("192.168.1.5:8765", lan, "192.168.1.5")
    assert host_allowed("dash.lan", lan, "192.168.1.5")
    assert not host_allowed("evil.example", lan, "192.168.1.5")
    wild = allowed_hosts("0.0.0.0")
    assert host_allowed(f"{socket.gethostname()}:8765", wild, "0.0.0.0")
    assert host_allowed("10.1.2.3:8765", wild, "0.0.0.0")  # an IP literal cannot rebind
    assert not host_allowed("evil.example", wild, "0.0.0.0")


def test_only_get_is_answered(store_path: Path) -> None:
    client = TestClient(create_app(store_path, page_builder=_builder), base_url="http://127.0.0.1")
    assert client.get("/api/status").status_code == 200
    for method in ("HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = client.request(method, "/api/status")
        assert r.status_code == 405, method
        assert r.headers["content-security-policy"]


# ---------------------------------------------------------------------- cookies
def _client(store_path: Path, token: str, port: int) -> TestClient:
    app = create_app(store_path, token=token, page_builder=_builder, port=port)
    return TestClient(app, base_url=f"http://127.0.0.1:{port}")


def test_cookie_is_per_instance_and_never_the_token(store_path: Path) -> None:
    a = _client(store_path, TOKEN, 8765)
    r = a.get(f"/api/overview?token={TOKEN}")
    assert r.status_code == 200
    set_cookie = r.headers["set-cookie"]
    assert set_cookie.startswith(cookie_name("8765") + "=")
    assert TOKEN not in set_cookie
    assert "httponly" in set_cookie.lower() and "samesite=strict" in set_cookie.lower()
    assert a.get("/api/overview").status_code == 200  # the cookie alone works
    # another dashboard on another port of the host does not accept A's cookie
    b = _client(store_path, "another-token-0123456789abcd", 8766)
    b.cookies.set(cookie_name("8765"), a.cookies[cookie_name("8765")])
    assert b.get("/api/overview").status_code == 401
    assert cookie_name("8765") != cookie_name("8766")


def test_printed_token_wins_over_a_stale_cookie(store_path: Path) -> None:
    old = _client(store_path, TOKEN, 8765)
    assert old.get(f"/?token={TOKEN}").status_code == 200
    stale = old.cookies[cookie_name("8765")]
    # restart on the same port with a new token; the browser still holds the old cookie
    new_token = "restarted-token-0123456789abc"
    new = _client(store_path, new_token, 8765)
    new.cookies.set(cookie_name("8765"), stale)
    assert new.get("/api/overview").status_code == 401  # the stale cookie alone: refused
    r = new.get(f"/api/overview?token={new_token}")
    assert r.status_code == 200  # the URL printed by the new server works at once
    assert new.get("/api/overview").status_code == 200  # and replaced the cookie
    assert new.get(f"/api/overview?token={TOKEN}").status_code == 401  # old token: refused


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_token_never_logged(store_path: Path) -> None:
    collect = _Collect()
    names = ("uvicorn.access", "uvicorn.error", "altseason.dashboard")
    for name in names:
        logging.getLogger(name).addHandler(collect)
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        client = _client(store_path, TOKEN, 8765)
        assert client.get(f"/api/overview?token={TOKEN}").status_code == 200
        # what uvicorn's access and error loggers write for such a request
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/?token={TOKEN}", "1.1", 200
        )
        logging.getLogger("uvicorn.error").info("Authorization: Bearer %s", TOKEN)
    finally:
        for name in names:
            logging.getLogger(name).removeHandler(collect)
    text = " ".join(collect.lines)
    assert "token=***" in text and "Bearer ***" in text
    assert TOKEN not in text


def test_altseason_serve_refuses_a_rebinding_host(store_path: Path, tmp_path: Path) -> None:
    """The CLI wiring: ``altseason serve`` passes its host and port to the checks."""
    import subprocess
    import sys

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "ALTSEASON_STORE": str(store_path), "ALTSEASON_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "altseason", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/status"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "altseason serve exited"
            try:
                ok = httpx.get(url)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "altseason serve did not start"
                time.sleep(0.2)
        assert ok.status_code == 200
        assert httpx.get(url, headers={"Host": "evil.example"}).status_code == 421
        assert httpx.get(url, headers={"Host": f"localhost:{port}"}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
