"""FRED: keyless fredgraph.csv and the keyed API give the same rows; paging, drift, resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest
from connector_support import (
    Counting,
    Interrupted,
    fred_handler,
    load,
    make_client,
    now,
    ok_batches,
    rows,
    settings,
)

import altseason.sources.fred as fred_mod
from altseason.exceptions import SourceError
from altseason.sources.fred import Fred, parse_fredgraph_csv
from altseason.store import Store

SERIES = ["M2SL", "WALCL"]


def _fred(
    store: Store, handler: Counting, key: str | None = None, tmp: Path | None = None, **kw: object
) -> None:
    s = settings(tmp, fred_api_key=key) if key and tmp else None
    Fred(make_client(handler), s, now=now).fetch(store, assets=SERIES, **kw)  # type: ignore[arg-type]


def _independent(sid: str) -> pd.DataFrame:
    lines = load("fred", f"fredgraph_{sid}.csv").splitlines()[1:]
    pairs = [ln.split(",") for ln in lines]
    keep = [(pd.Timestamp(d), float(v)) for d, v in pairs if v not in ("", ".")]
    return pd.DataFrame(keep, columns=["date", "value"])


def test_keyless_csv_values(store: Store) -> None:
    handler = Counting(fred_handler)
    _fred(store, handler)
    assert {r.url.host for r in handler.requests} == {"fred.stlouisfed.org"}
    for sid in SERIES:
        got = rows(store, "macro", series_id=sid)[["date", "value"]]
        pd.testing.assert_frame_equal(got, _independent(sid))
    # WALCL has a '.' (missing) observation: no row for that day.
    assert pd.Timestamp("2025-11-26") not in set(rows(store, "macro", series_id="WALCL")["date"])


def test_keyed_api_equals_keyless(tmp_path: Path) -> None:
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        _fred(a, Counting(fred_handler))
        handler = Counting(fred_handler)
        _fred(b, handler, key="fredSECRET", tmp=tmp_path)
        assert {r.url.host for r in handler.requests} == {"api.stlouisfed.org"}
        assert handler.requests[0].url.params["file_type"] == "json"
        pd.testing.assert_frame_equal(rows(a, "macro"), rows(b, "macro"))


def test_api_paging(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fred_mod, "API_LIMIT", 3)
    handler = Counting(fred_handler)
    _fred(store, handler, key="fredSECRET", tmp=tmp_path)
    m2 = [r for r in handler.requests if r.url.params["series_id"] == "M2SL"]
    assert [r.url.params["offset"] for r in m2] == ["0", "3", "6"]
    assert len(rows(store, "macro", series_id="M2SL")) == 8


def test_incremental_rereads_revision_window(store: Store) -> None:
    _fred(store, Counting(fred_handler))
    handler = Counting(fred_handler)
    results = Fred(make_client(handler), now=now).fetch(store, assets=SERIES)
    cosd = {r.url.params["id"]: r.url.params["cosd"] for r in handler.requests}
    # Cursor + 1 day - 90 days revision window.
    assert cosd["M2SL"] == str((pd.Timestamp("2025-11-02") - pd.Timedelta(days=90)).date())
    assert results[0].total_written == 0  # unchanged values are not rewritten


def test_schema_drift(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        text = fred_handler(request).text.replace("observation_date", "obs_date")
        return httpx.Response(200, text=text)

    with pytest.raises(SourceError, match="observation_date") as info:
        _fred(store, Counting(drifted))
    assert "fredgraph.csv?id=M2SL" in (info.value.url or "")
    with pytest.raises(SourceError, match="'value'"):
        fred_mod.transform_observations([{"date": "2024-01-01", "val": "1"}], "X", "u")
    with pytest.raises(SourceError, match="line 2"):
        parse_fredgraph_csv("DATE,X\nnot-a-date,1\n", "X", "u")


def test_interruption_then_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "full.duckdb") as full:
        _fred(full, Counting(fred_handler))
        expected = rows(full, "macro")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(Interrupted):
            _fred(store, Counting(fred_handler, stop_after=1))
        assert ok_batches(store, "fred") == 1
        assert store.read_cursor("fred", "series", "M2SL") == "2025-11-01"
        assert store.read_cursor("fred", "series", "WALCL") is None
        resumed = Counting(fred_handler)
        _fred(store, resumed)
        assert "cosd" in resumed.requests[0].url.params
        pd.testing.assert_frame_equal(rows(store, "macro"), expected)


def test_header_without_the_requested_id_names_the_columns(store: Store) -> None:
    def other_series(request: httpx.Request) -> httpx.Response:
        text = fred_handler(request).text.replace(",M2SL", ",WM2NS", 1)
        return httpx.Response(200, text=text, headers={"content-type": "text/csv"})

    with pytest.raises(SourceError, match="no column 'M2SL'") as info:
        _fred(store, Counting(other_series))
    assert "'observation_date', 'WM2NS'" in str(info.value)
    assert "fredgraph.csv?id=M2SL" in (info.value.url or "")
    assert store.count("macro") == 0


@pytest.mark.parametrize("date_header", ["observation_date", "DATE"])
def test_both_fredgraph_header_styles(date_header: str) -> None:
    text = load("fred", "fredgraph_M2SL.csv")
    styled = text.replace(text.split(",", 1)[0], date_header, 1)
    frame = parse_fredgraph_csv(styled, "M2SL", "u")
    body = [ln.split(",") for ln in text.splitlines()[1:] if ln.strip()]
    expected = [(pd.Timestamp(d), float(v)) for d, v in body if v not in ("", ".")]
    assert list(zip(frame["date"], frame["value"], strict=True)) == expected


def test_bad_api_key_error_body(store: Store, tmp_path: Path) -> None:
    body = load("fred", "error_400_api_key.json")
    handler = Counting(fred_handler, fail=9, failure=lambda r: httpx.Response(400, json=body))
    with pytest.raises(SourceError) as info:
        _fred(store, handler, key="not-a-key", tmp=tmp_path)
    msg = str(info.value)
    assert "HTTP 400" in msg and "32 character" in msg and "FRED_API_KEY" in msg
    assert "not-a-key" not in msg
