"""A connector and the file reader for the same content give identical store rows.

The files are built from the recorded payloads in the formats the real-data
files use (FRED ``date,value`` and ``observation_date,<ID>`` CSVs,
alternative.me ``fng.csv``, a Deribit ``get_book_summary_by_currency`` CSV).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from connector_support import (
    Counting,
    alternative_me_handler,
    deribit_handler,
    fred_handler,
    load,
    make_client,
    now,
    settings,
)

from altseason.sources.alternative_me import AlternativeMe
from altseason.sources.deribit import Deribit
from altseason.sources.fred import Fred
from altseason.store import Store

files = pytest.importorskip("altseason.sources.files")


def _rows(store: Store, table: str) -> pd.DataFrame:
    frame = store.read_table(table).drop(columns=["source", "ingested_at"])
    return frame.reset_index(drop=True)


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("keyed", [False, True])
def test_fred_connector_equals_file_reader(tmp_path: Path, keyed: bool) -> None:
    obs = load("fred", "observations_WALCL.json")["observations"]
    # Real-data layout: date,value with the series id as the file name; '.'
    # becomes a blank cell as in those files.
    path = _write_csv(
        tmp_path / "WALCL.csv",
        ["date", "value"],
        [[o["date"], "" if o["value"] == "." else o["value"]] for o in obs],
    )
    with Store(tmp_path / "conn.duckdb") as a, Store(tmp_path / "file.duckdb") as b:
        s = settings(tmp_path, fred_api_key="k") if keyed else None
        Fred(make_client(Counting(fred_handler)), s, now=now).fetch(a, assets=["WALCL"])
        files.import_file(b, path)
        pd.testing.assert_frame_equal(_rows(a, "macro"), _rows(b, "macro"))
        assert len(_rows(a, "macro")) == 7  # the '.' observation has no row


def test_fredgraph_download_reads_the_same_through_the_file_reader(tmp_path: Path) -> None:
    path = tmp_path / "M2SL.csv"
    path.write_text(load("fred", "fredgraph_M2SL.csv"))
    with Store(tmp_path / "conn.duckdb") as a, Store(tmp_path / "file.duckdb") as b:
        Fred(make_client(Counting(fred_handler)), now=now).fetch(a, assets=["M2SL"])
        files.import_file(b, path)
        pd.testing.assert_frame_equal(_rows(a, "macro"), _rows(b, "macro"))


def test_fear_greed_connector_equals_file_reader(tmp_path: Path) -> None:
    data = load("alternative_me", "fng.json")["data"]
    rows = [
        [
            pd.Timestamp(int(e["timestamp"]), unit="s").date().isoformat(),
            e["timestamp"],
            f"{float(e['value']):.1f}",
            e["value_classification"],
        ]
        for e in reversed(data)
    ]
    path = _write_csv(tmp_path / "fng.csv", ["date", "timestamp", "value", "classification"], rows)
    with Store(tmp_path / "conn.duckdb") as a, Store(tmp_path / "file.duckdb") as b:
        AlternativeMe(make_client(Counting(alternative_me_handler)), now=now).fetch(a)
        files.import_file(b, path)
        pd.testing.assert_frame_equal(_rows(a, "sentiment"), _rows(b, "sentiment"))


def test_deribit_chain_connector_equals_file_reader(tmp_path: Path) -> None:
    books = load("deribit", "get_book_summary_by_currency_BTC.json")["result"]
    live = {i["instrument_name"] for i in load("deribit", "get_instruments_BTC.json")["result"]}
    # A saved get_book_summary_by_currency answer with the instrument split into
    # expire_date / strike_price / option_type columns (the 'definer' layout).
    header = [
        "instrument_name",
        "base_currency",
        "creation_timestamp",
        "underlying_price",
        "mark_price",
        "mark_iv",
        "open_interest",
        "volume",
        "expire_date",
        "strike_price",
        "option_type",
    ]
    rows = []
    for b in books:
        if b["instrument_name"] not in live:
            continue
        _, code, strike, kind = b["instrument_name"].split("-")
        rows.append(
            [
                b["instrument_name"],
                b["base_currency"],
                b["creation_timestamp"],
                b["underlying_price"],
                b["mark_price"],
                b["mark_iv"],
                b["open_interest"],
                b["volume"],
                code,
                strike,
                kind,
            ]
        )
    path = _write_csv(tmp_path / "deribit_btc_book_summary.csv", header, rows)
    with Store(tmp_path / "conn.duckdb") as a, Store(tmp_path / "file.duckdb") as b:
        Deribit(make_client(Counting(deribit_handler)), now=now).fetch(
            a, datasets=["options"], assets=["BTC"]
        )
        files.import_file(b, path)
        pd.testing.assert_frame_equal(_rows(a, "options"), _rows(b, "options"))
