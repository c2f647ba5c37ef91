"""The same domain rules on every ingest path: each connector's transform (through
``Connector.write_batch``), the demo writer and a file reader. Invalid values are
rejected with their reason, no cursor advances past them, and ``check`` passes after.

The connector chains are the fuzz suite's (``test_fuzz_connectors``): each runs a
provider's real extract/transform on its recorded payload.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_connectors import JSON_CHAINS, TEXT_CHAINS

from altseason.exceptions import ValidationError
from altseason.sources import HttpClient
from altseason.sources._connector import Connector, FetchResult
from altseason.sources.demo import generate_demo, write_demo
from altseason.sources.files import import_file
from altseason.sources.files._base import ReadOptions
from altseason.store import TABLES, Store, check_store

FUTURE = pd.Timestamp("2100-01-01")
RULES = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# injection -> (tables it applies to, the reason's expected text)
INJECTIONS: dict[str, tuple[frozenset[str] | None, str]] = {
    "inf": (None, "not a finite number"),
    "future": (None, "after tomorrow"),
    "before_floor": (
        frozenset({"prices", "etf_flows", "options", "funding", "onchain", "sentiment"}),
        "before",
    ),
    "negative_price": (frozenset({"prices"}), "must be > 0"),
    "high_below_low": (frozenset({"prices"}), "high is below low"),
    "fear_greed": (frozenset({"sentiment"}), "Fear & Greed outside"),
    "iv": (frozenset({"options"}), "mark_iv outside"),
    "funding": (frozenset({"funding"}), "funding rate beyond"),
    "mvrv": (frozenset({"onchain"}), "must be > 0"),
}


def _value_column(table: str, frame: pd.DataFrame, row: int) -> str | None:
    spec = TABLES[table]
    for c in spec.value_columns:
        if spec.column(c).type == "DOUBLE" and c in frame and pd.notna(frame.at[row, c]):
            return c
    return None


def inject(table: str, frame: pd.DataFrame, row: int, kind: str) -> pd.DataFrame | None:
    """A copy of ``frame`` with one invalid row, or None when ``kind`` does not fit it."""
    f = frame.copy()
    date_col = TABLES[table].date_column
    if kind == "inf":
        col = _value_column(table, f, row)
        if col is None:
            return None
        f[col] = f[col].astype(float)
        f.at[row, col] = math.inf
    elif kind == "future" and date_col:
        f.at[row, date_col] = FUTURE
    elif kind == "before_floor" and date_col:
        f.at[row, date_col] = pd.Timestamp("1990-01-01")
    elif kind == "negative_price":
        f.at[row, "close"] = -3.5
    elif kind == "high_below_low":
        if pd.isna(f.at[row, "high"]) if "high" in f else True:
            return None
        f.at[row, "low"] = float(f.at[row, "high"]) * 2
    elif kind == "fear_greed":
        if f.at[row, "index_id"] != "fear_greed":
            return None
        f.at[row, "value"] = 150.0
    elif kind == "iv":
        f.at[row, "mark_iv"] = 7.0
    elif kind == "funding":
        if "rate" not in f or pd.isna(f.at[row, "rate"]):
            return None
        f.at[row, "rate"] = 5.0
    elif kind == "mvrv":
        f.at[row, "metric"] = "mvrv"
        f.at[row, "value"] = -1.0
    else:
        return None
    return f


def _applies(kind: str, table: str) -> bool:
    tables, _ = INJECTIONS[kind]
    return tables is None or table in tables


def _client() -> HttpClient:
    return HttpClient(transport=httpx.MockTransport(lambda r: httpx.Response(404)))


def _connector(name: str) -> Connector:
    probe = type(f"Probe_{name}", (Connector,), {"name": name, "datasets": ("probe",)})
    return probe(_client())


CHAINS = {**JSON_CHAINS, **TEXT_CHAINS}
DATED = sorted(n for n in CHAINS if n != "coingecko_markets")


@pytest.mark.parametrize("name", DATED)
def test_connector_transform_rows_obey_the_rules(name: str) -> None:
    chain, seed = CHAINS[name]
    tables = chain(seed())
    table, frame = next((t, f) for t, f in tables.items() if len(f) and t != "assets")
    frame = frame.reset_index(drop=True)
    kinds = [k for k in INJECTIONS if _applies(k, table)]

    @RULES
    @given(kind=st.sampled_from(kinds), row=st.integers(0, len(frame) - 1))
    def run(kind: str, row: int) -> None:
        bad = inject(table, frame, row, kind)
        if bad is None:
            return
        date_col = TABLES[table].date_column
        assert date_col is not None
        source = name.split("_")[0]
        conn = _connector(source)
        with Store(":memory:") as store:
            result = FetchResult(source, "probe")
            # the cursor a provider module passes: the newest date of the batch
            cursor = pd.to_datetime(bad[date_col]).max()
            conn.write_batch(store, result, key="K", tables={table: bad}, cursor=cursor)
            rejects = store.read_table("rejects")
            assert len(rejects) == 1, rejects
            assert INJECTIONS[kind][1] in rejects["reason"].iloc[0]
            assert rejects["source"].iloc[0] == source
            stored = store.read_table(table, resolve=False, source=source)
            assert len(stored) == len(frame) - 1  # every other row stored
            committed = store.read_cursor(source, "probe", "K")
            bad_when = pd.Timestamp(bad.at[row, date_col])
            good_when = pd.to_datetime(bad[date_col]).drop(index=row)
            assert committed is not None
            assert pd.Timestamp(committed) <= good_when.max()
            if bad_when <= good_when.max():
                assert pd.Timestamp(committed) < bad_when
            assert check_store(store).ok, check_store(store).problems

    run()


@pytest.fixture(scope="module")
def demo_tables() -> dict[str, pd.DataFrame]:
    market = generate_demo(7, "2024-06-01", "2024-10-01", 20)
    return market.tables()


class _Market:
    """A stand-in for DemoMarket whose ``tables()`` returns doctored frames."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self._tables = tables

    def tables(self) -> dict[str, pd.DataFrame]:
        return {k: v.copy() for k, v in self._tables.items()}


@RULES
@given(
    picks=st.lists(
        st.tuples(
            st.sampled_from(["prices", "sentiment", "options", "funding", "macro", "etf_flows"]),
            st.sampled_from(sorted(INJECTIONS)),
            st.integers(0, 10_000),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_demo_writer_rows_obey_the_rules(
    demo_tables: dict[str, pd.DataFrame], picks: list[tuple[str, str, int]]
) -> None:
    tables = {k: v.reset_index(drop=True) for k, v in demo_tables.items()}
    expected: list[str] = []
    touched: set[tuple[str, int]] = set()
    for table, kind, n in picks:
        frame = tables[table]
        row = n % len(frame)
        if not _applies(kind, table) or (table, row) in touched:
            continue
        bad = inject(table, frame, row, kind)
        if bad is None:
            continue
        tables[table] = bad
        touched.add((table, row))
        expected.append(INJECTIONS[kind][1])
    with Store(":memory:") as store:
        result = write_demo(store, market=_Market(tables))  # type: ignore[arg-type]
        rejects = store.read_table("rejects")
        assert result.rows_rejected == len(expected) == len(rejects)
        for text in expected:
            assert rejects["reason"].str.contains(text, regex=False).any(), (text, rejects)
        assert (rejects["source"] == "demo").all()
        prices = store.read_table("prices", resolve=False)
        assert np.isfinite(prices[["close", "open"]].to_numpy(float)).all()
        assert check_store(store).ok, check_store(store).problems


def _ohlcv_file(path: Path, rows: list[tuple[str, float, float, float, float]]) -> Path:
    lines = ["date,open,high,low,close,volume"]
    lines += [f"{d},{o!r},{h!r},{lo!r},{c!r},100" for d, o, h, lo, c in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


BASE = ReadOptions(volume_unit="base")  # the file names no pair: say what its volume counts

BAD_CELLS = {
    "inf": ("2024-01-05", 10.0, 11.0, 9.0, math.inf, "finite"),
    "1e309": ("2024-01-05", 10.0, 11.0, 9.0, 1e309, "finite"),
    "negative": ("2024-01-05", 10.0, 11.0, 9.0, -3.5, "non-positive"),
    "high<low": ("2024-01-05", 10.0, 9.0, 11.0, 10.0, "high is below low"),
    "2100": ("2100-01-05", 10.0, 11.0, 9.0, 10.0, "future"),
    "1990": ("1990-01-05", 10.0, 11.0, 9.0, 10.0, "before 2009-01-03"),
}


@RULES
@given(which=st.lists(st.sampled_from(sorted(BAD_CELLS)), min_size=1, max_size=3, unique=True))
def test_file_reader_rows_obey_the_rules(tmp_path: Path, which: list[str]) -> None:
    good = [(f"2024-01-{d:02d}", 10.0, 11.0, 9.0, 10.5) for d in range(10, 20)]
    bad = [BAD_CELLS[w] for w in which]
    rows = good + [b[:5] for b in bad]
    path = _ohlcv_file(tmp_path / f"btc_{'_'.join(sorted(which))}.csv", rows)  # type: ignore[arg-type]
    with Store(":memory:") as store:
        with pytest.raises(ValidationError):
            import_file(store, path, format="ohlcv_daily", options=BASE)  # fail: nothing written
        assert store.count("prices") == 0
        report = import_file(store, path, format="ohlcv_daily", options=BASE, on_error="reject")
        assert report.rows_rejected == len(bad)
        reasons = store.read_table("rejects")["reason"].tolist()
        for b in bad:
            assert any(b[5] in r for r in reasons), (b, reasons)
        assert store.count("prices") == len(good)
        assert check_store(store).ok


def test_fear_and_greed_file_out_of_range_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "fng.csv"
    path.write_text(
        "date,timestamp,value,classification\n"
        "2024-01-01,1704067200,50,Neutral\n"
        "2024-01-02,1704153600,150,Extreme Greed\n"
        "2024-01-03,1704240000,-20,Extreme Fear\n"
    )
    with Store(":memory:") as store:
        report = import_file(store, path, on_error="reject")
        assert report.rows_rejected == 2
        assert store.read_table("sentiment")["value"].tolist() == [50.0]
        reasons: Any = store.read_table("rejects")["reason"]
        assert reasons.str.contains("Fear & Greed outside 0-100").all()
