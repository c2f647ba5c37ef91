"""LBMA gold and silver: values, incremental, drift, resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest
from connector_support import Counting, Interrupted, lbma_handler, load, make_client, now, rows

from altseason.exceptions import SourceError
from altseason.sources.lbma import Lbma
from altseason.store import Store


def _lb(store: Store, handler: Counting, **kw: object) -> None:
    Lbma(make_client(handler), now=now).fetch(store, **kw)  # type: ignore[arg-type]


def test_values(store: Store) -> None:
    _lb(store, Counting(lbma_handler))
    gold = rows(store, "macro", series_id="GOLD")
    raw = [(pd.Timestamp(e["d"]), e["v"][0]) for e in load("lbma", "gold_pm.json") if e["v"][0]]
    assert list(zip(gold["date"], gold["value"], strict=True)) == raw  # zero fix dropped
    assert len(rows(store, "macro", series_id="SILVER")) == 6


def test_incremental_keeps_only_new_rows(store: Store) -> None:
    _lb(store, Counting(lbma_handler))
    _lb(store, Counting(lbma_handler))
    log = store.read_table("ingest_log", source="lbma")
    assert len(log) == 2  # second run: nothing after the cursors, no batch written


def test_schema_drift(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        body = [{"date": e["d"], "v": e["v"]} for e in lbma_handler(request).json()]
        return httpx.Response(200, json=body)

    with pytest.raises(SourceError, match="'d'") as info:
        _lb(store, Counting(drifted))
    assert info.value.url == "https://prices.lbma.org.uk/json/gold_pm.json"


def test_interruption_then_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "full.duckdb") as full:
        _lb(full, Counting(lbma_handler))
        expected = rows(full, "macro")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(Interrupted):
            _lb(store, Counting(lbma_handler, stop_after=1))
        assert store.read_cursor("lbma", "prices", "GOLD") == "2024-01-09"
        assert store.read_cursor("lbma", "prices", "SILVER") is None
        _lb(store, Counting(lbma_handler))
        pd.testing.assert_frame_equal(rows(store, "macro"), expected)
