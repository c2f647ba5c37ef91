"""Malformed inputs: each gives a clear error naming file/line/column and writes nothing
(or, with on_error="reject", writes the good rows and stores the bad ones in rejects)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.exceptions import FormatError, ValidationError
from altseason.sources.files import ReadOptions, base_asset, import_file, import_files, read_file
from altseason.store import TABLES, Store

HEADER = "date,open,high,low,close,volume\n"


def _days(n: int, start: str = "2024-01-01") -> list[str]:
    return [str(d.date()) for d in pd.date_range(start, periods=n, freq="D")]


def _ohlcv(tmp_path: Path, rows: list[str], name: str = "ETHUSDT.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


def _good_rows(n: int = 10, start: str = "2024-01-01") -> list[str]:
    return [f"{d},10,11,9,10.5,100" for d in _days(n, start)]


def _empty(store: Store) -> bool:
    """Nothing written but the reference calendar every store carries."""
    log = store.read_table("ingest_log")
    return (
        all(store.count(t) == 0 for t in TABLES if t != "events")
        and set(store.read_table("events", resolve=False)["source"]) <= {"calendar"}
        and set(log["source"]) <= {"calendar"}
    )


def test_good_small_file_roundtrip(tmp_path: Path, store: Store) -> None:
    report = import_file(store, _ohlcv(tmp_path, _good_rows()))
    assert report.format == "ohlcv_daily" and report.rows_written["prices"] == 10
    panel = store.read_prices("close")
    assert list(panel.columns) == ["ETH"] and (panel["ETH"] == 10.5).all()


def test_text_in_numeric_column(tmp_path: Path, store: Store) -> None:
    rows = _good_rows()
    rows[3] = rows[3].replace(",10.5,", ",ten,")
    path = _ohlcv(tmp_path, rows)
    with pytest.raises(ValidationError) as exc:
        import_file(store, path)
    e = exc.value
    assert e.path == str(path) and e.line == 5 and e.column == "close"
    assert "'ten'" in str(e) and "number" in str(e)
    assert _empty(store)
    report = import_file(store, path, on_error="reject")
    assert report.rows_rejected == 1 and report.rows_written["prices"] == 9
    rej = store.read_table("rejects")
    assert rej["line"].tolist() == [5] and rej["column_name"].tolist() == ["close"]


@pytest.mark.parametrize("price", ["0", "-3.5"])
def test_non_positive_price(tmp_path: Path, store: Store, price: str) -> None:
    rows = _good_rows()
    rows[6] = f"{_days(10)[6]},{price},11,9,10.5,100"
    path = _ohlcv(tmp_path, rows)
    with pytest.raises(ValidationError, match="non-positive open") as exc:
        import_file(store, path)
    assert exc.value.line == 8 and exc.value.column == "open"
    assert _empty(store)


def test_duplicate_keys(tmp_path: Path, store: Store) -> None:
    rows = _good_rows()
    identical = _ohlcv(tmp_path, [*rows, rows[2]], "A1USDT.csv")
    report = import_file(store, identical)
    assert report.rows_written["prices"] == 10
    assert any("identical duplicate" in n for n in report.notes)
    conflict = _ohlcv(tmp_path, [*rows, rows[2].replace("10.5", "12")], "A2USDT.csv")
    with pytest.raises(ValidationError, match="duplicate key") as exc:
        import_file(store, conflict)
    assert "lines 4, 12" in str(exc.value)
    assert store.count("prices") == 10  # only the first file's rows


def test_mixed_and_missing_timezones(tmp_path: Path, store: Store) -> None:
    head = "open_time,open,high,low,close,volume,close_time,quote_asset_volume\n"
    days = _days(5)
    mixed = tmp_path / "XUSDT.csv"
    lines = [f"{d} 00:00:00+00:00,1,2,0.5,1.5,10,0,15" for d in days]
    lines[2] = f"{days[2]} 00:00:00+02:00,1,2,0.5,1.5,10,0,15"
    mixed.write_text(head + "\n".join(lines) + "\n")
    with pytest.raises(ValidationError, match="mixed timezones") as exc:
        import_file(store, mixed)
    assert exc.value.line == 4 and exc.value.column == "open_time"
    missing = tmp_path / "YUSDT.csv"
    lines = [f"{d} 00:00:00+00:00,1,2,0.5,1.5,10,0,15" for d in days]
    lines[1] = f"{days[1]} 00:00:00,1,2,0.5,1.5,10,0,15"
    missing.write_text(head + "\n".join(lines) + "\n")
    with pytest.raises(ValidationError, match="without a timezone") as exc:
        import_file(store, missing)
    assert exc.value.line == 3
    assert _empty(store)


def test_offset_that_is_not_a_utc_day(tmp_path: Path, store: Store) -> None:
    head = "open_time,open,high,low,close,volume,close_time,quote_asset_volume\n"
    path = tmp_path / "ZUSDT.csv"
    path.write_text(head + "".join(f"{d} 00:00:00+02:00,1,2,0.5,1.5,10,0,15\n" for d in _days(3)))
    with pytest.raises(ValidationError, match="not 00:00 UTC"):
        import_file(store, path)


def test_truncated_file(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "ETHUSDT.csv"
    path.write_text(HEADER + "\n".join(_good_rows(10)) + "\n2024-01-11,10,11")
    with pytest.raises(ValidationError, match="truncated") as exc:
        import_file(store, path)
    assert exc.value.line == 12
    assert _empty(store)


def test_semicolon_delimiter_is_sniffed(tmp_path: Path, store: Store) -> None:
    """A ';'-separated export (European locale tools, CoinMarketCap) reads like a CSV."""
    path = tmp_path / "ETHUSDT.csv"
    path.write_text(
        HEADER.replace(",", ";") + "".join(r.replace(",", ";") + "\n" for r in _good_rows())
    )
    report = import_file(store, path)
    assert report.format == "ohlcv_daily" and report.rows_written["prices"] == 10
    got = store.con.execute("SELECT close, volume_usd FROM prices ORDER BY date").df()
    assert got["close"].tolist() == [10.5] * 10
    assert got["volume_usd"].tolist() == [100 * 10.5] * 10


@pytest.mark.parametrize(
    ("content", "match"), [("", "empty"), ("  \n\n", "empty"), (HEADER, "no data rows")]
)
def test_empty_files(tmp_path: Path, store: Store, content: str, match: str) -> None:
    path = tmp_path / "ETHUSDT.csv"
    path.write_text(content)
    with pytest.raises(ValidationError, match=match):
        import_file(store, path, format="ohlcv_daily")
    assert _empty(store)


def test_unknown_format(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "mystery.csv"
    path.write_text("alpha,beta\n1,2\n")
    with pytest.raises(FormatError, match="cannot detect") as exc:
        import_file(store, path)
    assert str(path) in str(exc.value)
    with pytest.raises(FormatError, match="unknown format 'nope'"):
        import_file(store, path, format="nope")
    assert _empty(store)


def test_directory_of_mixed_files(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    _ohlcv(folder, _good_rows(), "ETHUSDT.csv")
    (folder / "sub" / "fng.csv").write_text(
        "date,timestamp,value,classification\n2024-01-01,1704067200,50,Neutral\n"
    )
    (folder / "sub" / "M2SL.csv").write_text("date,value\n2024-01-01,21000\n2024-02-01,\n")
    (folder / "readme.txt").write_text("not data\n")
    with pytest.raises(FormatError, match=r"1 file\(s\): .*readme.txt"):
        import_files(store, [folder])
    assert _empty(store)  # detection runs before any write
    summary = import_files(store, [folder], skip_unknown=True)
    assert sorted(r.format for r in summary.reports) == ["fear_greed", "fred_series", "ohlcv_daily"]
    assert [p.name for p in summary.skipped] == ["readme.txt"]
    m2 = next(r for r in summary.reports if r.format == "fred_series")
    assert m2.rows_written == {"macro": 1} and any("skipped 1 blank" in n for n in m2.notes)


def test_failure_midway_through_a_batch_keeps_earlier_files(tmp_path: Path, store: Store) -> None:
    good = _ohlcv(tmp_path, _good_rows(), "AUSDT.csv")
    rows = _good_rows()
    rows[0] = rows[0].replace("10.5", "x")
    bad = _ohlcv(tmp_path, rows, "BUSDT.csv")
    with pytest.raises(ValidationError, match="1 file") as exc:
        import_files(store, [good, bad])
    assert exc.value.line == 2
    assert store.count("prices") == 10


def test_future_dates(tmp_path: Path, store: Store) -> None:
    path = _ohlcv(tmp_path, _good_rows(10, start="2030-01-01"))
    with pytest.raises(ValidationError, match="in the future"):
        import_file(store, path)
    ok = read_file(path, options=ReadOptions(today=pd.Timestamp("2031-01-01")))[1]
    assert len(ok.tables["prices"]) == 10


def test_gaps_and_jumps_are_reported(tmp_path: Path, store: Store) -> None:
    days = _days(12)
    rows = [f"{d},10,11,9,10.5,100" for i, d in enumerate(days) if i not in (4, 5)]
    rows[-1] = f"{days[-1]},10,999,9,99,100"
    report = import_file(store, _ohlcv(tmp_path, rows))
    notes = " ".join(report.notes)
    assert "1 gap(s)" in notes and "2 missing day(s)" in notes
    assert "absurd day-on-day jump" in notes


def test_generic_csv_long_and_wide(tmp_path: Path, store: Store) -> None:
    long = tmp_path / "long.csv"
    long.write_text("Ticker,Day,Px\nBTC,2024-01-01,42000\nETH,2024-01-01,2300\n")
    report = import_file(
        store,
        long,
        format="csv",
        options=ReadOptions(mapping={"Ticker": "asset_id", "Day": "date", "Px": "close"}),
    )
    assert report.rows_written == {"prices": 2}
    wide = tmp_path / "wide.csv"
    wide.write_text("Day,SOL,DOGE\n2024-01-01,100,0.09\n2024-01-02,101,\n")
    report = import_file(
        store, wide, format="csv", options=ReadOptions(mapping={"Day": "date", "*": "close"})
    )
    assert report.rows_written == {"prices": 3}
    panel = store.read_prices("close")
    assert panel.loc["2024-01-02", "SOL"] == 101 and pd.isna(panel.loc["2024-01-02", "DOGE"])
    # a Parquet file in store fields is detected without a mapping
    pq = tmp_path / "macro.parquet"
    pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-01"]), "series_id": ["GOLD"], "value": [2050.0]}
    ).to_parquet(pq)
    assert import_file(store, pq).format == "parquet"
    assert store.read_table("macro")["value"].tolist() == [2050.0]


@settings(max_examples=60, deadline=None)
@given(
    base=st.from_regex(r"[A-Z][A-Z0-9]{1,6}", fullmatch=True).filter(
        lambda s: not s.endswith(("USD", "FD", "US", "U")) and not s[-4:].isdigit()
    ),
    mult=st.sampled_from([1, 1000, 10000, 1000000]),
    quote=st.sampled_from(["USDT", "USDC"]),
)
def test_base_asset_roundtrip(base: str, mult: int, quote: str) -> None:
    pair = (f"{mult}{base}" if mult > 1 else base) + quote
    assert base_asset(pair) == (base, float(mult))
