"""fetch never holds the store's lock while it talks to a provider."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from connector_support import Counting, alternative_me_handler, make_client, now

from altseason.sources import fetch
from altseason.store import Store

OPEN_ELSEWHERE = "import sys, duckdb; duckdb.connect(sys.argv[1]).close()"


def test_store_is_released_during_every_request(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = Store(path)
    seen: list[tuple[bool, int]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # another process can take the write lock while the request is in flight
        other = subprocess.run([sys.executable, "-c", OPEN_ELSEWHERE, str(path)], timeout=60)
        seen.append((store.is_open, other.returncode))
        return alternative_me_handler(request)

    client = make_client(Counting(handler))
    try:
        [result] = fetch(store, ["alternative_me"], client=client, now=now)
        assert result.error is None and result.total_written > 0
        assert seen and all(state == (False, 0) for state in seen), seen
        assert not store.is_open  # released at the end too
        assert client.get.__func__ is type(client).get  # type: ignore[attr-defined]  # unwrapped
        assert store.count("sentiment") == result.total_written  # reopens on use
    finally:
        client.close()
        store.close()
