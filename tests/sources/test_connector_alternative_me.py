"""alternative.me Fear & Greed: values, incremental limit, drift, resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest
from connector_support import (
    Counting,
    Interrupted,
    alternative_me_handler,
    load,
    make_client,
    now,
    rows,
)

from altseason.exceptions import SourceError
from altseason.sources.alternative_me import AlternativeMe
from altseason.store import Store


def _fng(store: Store, handler: Counting, **kw: object) -> None:
    AlternativeMe(make_client(handler), now=now).fetch(store, **kw)  # type: ignore[arg-type]


def test_values(store: Store) -> None:
    handler = Counting(alternative_me_handler)
    _fng(store, handler)
    assert handler.requests[0].url.params["limit"] == "0"  # full history on the first run
    got = rows(store, "sentiment")
    raw = load("alternative_me", "fng.json")["data"]
    want = sorted(
        (pd.Timestamp(int(e["timestamp"]), unit="s"), float(e["value"]), e["value_classification"])
        for e in raw
    )
    assert list(zip(got["date"], got["value"], got["label"], strict=True)) == want
    assert (got["index_id"] == "fear_greed").all()


def test_incremental_asks_only_for_missing_days(store: Store) -> None:
    _fng(store, Counting(alternative_me_handler))
    handler = Counting(alternative_me_handler)
    _fng(store, handler)
    # Stored through 10 Jan; today (11 Jan) is missing: ask for 1 day + margin.
    assert [r.url.params["limit"] for r in handler.requests] == ["2"]
    assert store.count("sentiment") == 10
    later = lambda: pd.Timestamp("2024-01-14 09:00").to_pydatetime()  # noqa: E731
    handler = Counting(alternative_me_handler)
    AlternativeMe(make_client(handler), now=later).fetch(store)
    assert int(handler.requests[0].url.params["limit"]) == 5  # 11..14 Jan + margin


def test_schema_drift(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        body = alternative_me_handler(request).json()
        for e in body["data"]:
            e["classification"] = e.pop("value_classification")
        return httpx.Response(200, json=body)

    with pytest.raises(SourceError, match="'value_classification'") as info:
        _fng(store, Counting(drifted))
    assert (info.value.url or "").startswith("https://api.alternative.me/fng/")

    def api_error(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [], "metadata": {"error": "limit invalid"}})

    with pytest.raises(SourceError, match="limit invalid"):
        _fng(store, Counting(api_error))


def test_interruption_then_resume(tmp_path: Path) -> None:
    """One request per run: a crash writes nothing, the rerun writes everything once."""
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(Interrupted):
            _fng(store, Counting(alternative_me_handler, stop_after=0))
        assert store.count("sentiment") == 0
        assert store.read_cursor("alternative_me", "fng", "fear_greed") is None
        _fng(store, Counting(alternative_me_handler))
        got = rows(store, "sentiment")
        assert len(got) == 10 and got["date"].is_unique
        assert got["date"].diff().dropna().eq(pd.Timedelta(days=1)).all()
        assert store.read_cursor("alternative_me", "fng", "fear_greed") == "2024-01-10"
