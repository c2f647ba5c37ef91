"""The dashboard left open while data refreshes: readers never block writers for long.

A real ``altseason serve`` process answers requests while ``import``, ``fetch``
(against a local fake alternative.me), ``status`` and ``report`` run on the same
store in other processes. Every command succeeds, the dashboard keeps answering,
and afterwards it shows the new rows without a restart.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

PAYLOAD = Path(__file__).parents[1] / "fixtures" / "payloads" / "alternative_me" / "fng.json"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALTSEASON_")}
    env.update(ALTSEASON_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1", **extra)
    env.setdefault("COLUMNS", "200")
    return env


def _cli(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "altseason", "--store", str(store), *args]


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


class _FearGreed(BaseHTTPRequestHandler):
    """alternative.me's /fng/ endpoint, answering with the recorded payload."""

    body = PAYLOAD.read_bytes()
    hits: list[str] = []  # noqa: RUF012  (shared by the handler instances)

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_alternative_me() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FearGreed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.communicate()}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the dashboard did not start")


def _table(status: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in status["tables"] if t["table"] == name)


def test_writers_and_readers_share_the_store_with_the_dashboard_open(
    tmp_path: Path, fake_alternative_me: str
) -> None:
    env = _env(tmp_path, ALTSEASON_ALTERNATIVE_ME_BASE_URL=fake_alternative_me)
    store = tmp_path / "shared.duckdb"
    seeded = _run(
        _cli(store, "demo", "--assets", "30", "--start", "2024-06-01", "--end", "2025-03-01"), env
    )
    assert seeded.returncode == 0, seeded.stderr
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen(
        _cli(store, "serve", "--port", str(port)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    answers: list[int] = []
    stop = threading.Event()

    def browse() -> None:  # a user clicking around while the data refreshes
        pages = ["/api/status", "/api/health", "/api/overview?asof=2025-02-28"]
        i = 0
        while not stop.is_set():
            r = httpx.get(base + pages[i % len(pages)], timeout=120)
            answers.append(r.status_code)
            i += 1

    try:
        _wait_for(base + "/api/health", serve, time.monotonic() + 120)
        before = httpx.get(base + "/api/status", timeout=60).json()
        browser = threading.Thread(target=browse, daemon=True)
        browser.start()
        wide = tmp_path / "wide.csv"
        wide.write_text("Date,ZZTOP\n2025-01-01,1.5\n2025-01-02,1.6\n2025-01-03,1.7\n")
        commands = [
            ("import", str(wide), "--map", "Date=date", "--map", "*=close"),
            ("fetch", "alternative_me"),
            ("status",),
            ("report", "--format", "md", "--sections", "divergence,coverage"),
        ]
        for args in commands:
            done = _run(_cli(store, *args), env)
            assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
            assert "locked" not in done.stderr, done.stderr
        assert _FearGreed.hits, "fetch did not reach the fake alternative.me"
        stop.set()
        browser.join(timeout=300)
        assert answers and set(answers) == {200}, answers

        # the dashboard shows the new rows without a restart
        after = httpx.get(base + "/api/status", timeout=60).json()
        # `--map` implies the generic format: the wide file's column becomes asset ZZTOP's closes
        prices_before, prices_after = _table(before, "prices"), _table(after, "prices")
        assert prices_after["rows"] == prices_before["rows"] + 3
        sentiment = _table(after, "sentiment")
        assert "alternative_me" in sentiment["sources"]
        assert "alternative_me" not in _table(before, "sentiment")["sources"]
        assert sentiment["rows"] == _table(before, "sentiment")["rows"] + len(
            json.loads(PAYLOAD.read_text())["data"]
        )
        assert serve.poll() is None  # still serving
    finally:
        stop.set()
        serve.terminate()
        serve.communicate(timeout=60)
