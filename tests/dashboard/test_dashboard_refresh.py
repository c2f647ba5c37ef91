"""The dashboard holds the store only during a request and shows new rows without a restart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from altseason.dashboard import PageParams, create_app
from altseason.dashboard._app import store_signature
from altseason.store import Store

CALLS: list[str] = []


def _builder(store: Store, page: str, params: PageParams) -> dict[str, Any]:
    CALLS.append(page)
    close = store.read_prices("close")
    return {
        "findings": [{"id": "n", "text": str(close.size), "value": int(close.notna().sum().sum())}],
        "charts": [],
    }


def _prices(day: str, close: float) -> pd.DataFrame:
    return pd.DataFrame({"asset_id": ["BTC"], "date": pd.to_datetime([day]), "close": [close]})


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.ingest(dataset="t", source="test", tables={"prices": _prices("2024-01-01", 40000.0)})
    return path


def _write_in_other_process(path: Path, day: str) -> None:
    code = (
        "import sys, pandas as pd; from altseason.store import Store\n"
        "s = Store(sys.argv[1], lock_timeout=30)\n"
        "df = pd.DataFrame({'asset_id': ['BTC'], 'date': pd.to_datetime([sys.argv[2]]),"
        " 'close': [1.0]})\n"
        "s.ingest(dataset='t2', source='other', tables={'prices': df}); s.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), day], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_new_rows_show_without_restart(store_path: Path) -> None:
    CALLS.clear()
    app = create_app(store_path, page_builder=_builder)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        first = client.get("/api/overview").json()
        assert first["findings"][0]["value"] == 1
        assert not app.state.store.is_open  # released after the request
        assert client.get("/api/overview").json() == first
        assert CALLS == ["overview"]  # the second request was served from the cache
        status = client.get("/api/status").json()
        prices = next(t for t in status["tables"] if t["table"] == "prices")
        assert (prices["rows"], prices["sources"]) == (1, ["test"])

        # another process writes while the dashboard is up: no lock conflict
        _write_in_other_process(store_path, "2024-01-02")
        again = client.get("/api/overview").json()
        assert again["findings"][0]["value"] == 2
        assert CALLS == ["overview", "overview"]  # rebuilt once the file changed
        status = client.get("/api/status").json()
        prices = next(t for t in status["tables"] if t["table"] == "prices")
        assert (prices["rows"], prices["sources"]) == (2, ["other", "test"])
        assert not app.state.store.is_open


def test_store_signature_changes_with_a_commit(store_path: Path) -> None:
    before = store_signature(store_path)
    assert before == store_signature(store_path)
    with Store(store_path, read_only=True) as s:
        s.status()
    assert store_signature(store_path) == before  # reading changes nothing
    _write_in_other_process(store_path, "2024-01-03")
    assert store_signature(store_path) != before


def test_page_cache_is_bounded_in_entries_and_bytes() -> None:
    from altseason.dashboard._app import _LRU

    lru = _LRU(3, 1000)
    for i in range(5):
        lru.put(i, b"x" * 100)
    assert list(lru.data) == [2, 3, 4] and lru.nbytes == 300
    assert lru.get(2) == b"x" * 100  # now most recently used
    lru.put("big", b"y" * 850)
    assert list(lru.data) == [2, "big"] and lru.nbytes == 950  # the bytes bound evicts 3, 4
    lru.put("huge", b"z" * 5000)
    assert list(lru.data) == ["huge"]  # one oversized page is still served from the cache
    lru.clear()
    assert lru.nbytes == 0 and lru.get("huge") is None


def test_many_as_of_dates_keep_the_cache_bounded(store_path: Path) -> None:
    CALLS.clear()
    app = create_app(store_path, page_builder=_builder, cache_size=4)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for day in range(1, 11):
            assert client.get("/api/overview", params={"asof": f"2024-01-{day:02d}"}).is_success
        assert len(CALLS) == 10
        for day in range(7, 11):  # the last four are still cached
            assert client.get("/api/overview", params={"asof": f"2024-01-{day:02d}"}).is_success
        assert len(CALLS) == 10
        assert client.get("/api/overview", params={"asof": "2024-01-01"}).is_success
        assert len(CALLS) == 11  # the oldest was dropped
