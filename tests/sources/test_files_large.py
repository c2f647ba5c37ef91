"""Large imports (issue 12c): Binance klines are streamed in chunks, so a file far
larger than the whole-file cap imports with bounded memory, its minute candles summed
into UTC days; a bad candle anywhere stops the import before anything is written."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.exceptions import ValidationError
from altseason.sources.files import ReadOptions, _prices, import_file, read_file
from altseason.store import Store

MIB = 1024 * 1024
HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_asset_volume,trades,"
    "taker_buy_base,taker_buy_quote,ignore"
)
START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def write_minute_klines(path: Path, days: int, seed: int = 7, header: bool = True) -> Path:
    """``days`` full UTC days of 1-minute BTCUSDT klines in Binance's layout."""
    rng = np.random.default_rng(seed)
    n = days * 1440
    t = START_MS + 60_000 * np.arange(n, dtype=np.int64)
    close = np.round(40_000 * np.exp(np.cumsum(rng.normal(0, 4e-4, n))), 2)
    open_ = np.round(np.r_[40_000.0, close[:-1]], 2)
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 5e-4, n)), 2)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 5e-4, n)), 2)
    vol = np.round(rng.uniform(1, 40, n), 5)
    quote = np.round(vol * (open_ + close) / 2, 8)
    frame = pd.DataFrame(
        {
            "open_time": t,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": vol,
            "close_time": t + 59_999,
            "quote_asset_volume": quote,
            "trades": rng.integers(10, 900, n),
            "taker_buy_base": np.round(vol / 2, 5),
            "taker_buy_quote": np.round(quote / 2, 8),
            "ignore": 0,
        }
    )
    frame.to_csv(path, index=False, header=header)
    return path


def expected_days(path: Path) -> pd.DataFrame:
    """The daily candles, computed with plain pandas from the whole file."""
    raw = pd.read_csv(path)
    raw["date"] = pd.to_datetime(raw["open_time"], unit="ms").dt.normalize()
    return raw.groupby("date").agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume_usd=("quote_asset_volume", "sum"),
    )


def _stored(store: Store) -> pd.DataFrame:
    got = store.con.execute(
        "SELECT date, open, high, low, close, volume_usd FROM prices ORDER BY date"
    ).df()
    got["date"] = pd.to_datetime(got["date"])
    return got.set_index("date")


def _peak_import(store: Path, target: Path) -> tuple[str, int]:
    """Import ``target`` in a fresh interpreter; (report, peak VmHWM in MiB)."""
    code = textwrap.dedent(
        f"""
        from altseason.sources.files import import_files
        from altseason.store import Store
        with Store({str(store)!r}) as s:
            r = import_files(s, [{str(target)!r}]).reports[0]
        print(r.format, r.rows_read, r.total_written)
        with open("/proc/self/status") as fh:
            print(int([ln for ln in fh if ln.startswith("VmHWM:")][0].split()[1]) // 1024)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=os.environ
    )
    assert run.returncode == 0, run.stderr[-3000:]
    msg, rss = run.stdout.strip().rsplit("\n", 1)
    return msg, int(rss)


@pytest.fixture(scope="module")
def big_klines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_minute_klines(tmp_path_factory.mktemp("big") / "BTCUSDT-1m.csv", days=365)
    assert path.stat().st_size > 55_000_000
    return path


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_sixty_mb_minute_klines_import_with_bounded_memory(
    big_klines: Path, tmp_path: Path
) -> None:
    """A ~60 MB file (twice the whole-file cap) imports; the import's extra peak memory
    over importing a two-day file is well below the file's size as a pandas frame, and
    the stored days equal a pandas read of the whole file summed per day."""
    small = tmp_path / "BTCUSDT-1m-small.csv"
    small.write_text("".join(big_klines.open().readlines()[: 2 * 1440 + 1]))
    _, base = _peak_import(tmp_path / "base.duckdb", small)
    msg, peak = _peak_import(tmp_path / "big.duckdb", big_klines)
    assert msg == f"binance_klines {365 * 1440} 365", msg
    frame_mib = pd.read_csv(big_klines).memory_usage(deep=True).sum() / MIB
    assert peak - base < frame_mib / 2, (peak, base, frame_mib)
    with Store(tmp_path / "big.duckdb", read_only=True) as store:
        got = _stored(store)
    want = expected_days(big_klines)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, check_freq=False)


def test_corrupt_row_mid_file_fail_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad candle in a late chunk: --on-error fail names its line and column and the
    store is unchanged; reject stores every other day and rejects that day."""
    monkeypatch.setattr(_prices, "CHUNK_ROWS", 1000)
    path = write_minute_klines(tmp_path / "ETHUSDT-1m.csv", days=8)
    lines = path.read_text().splitlines(keepends=True)
    bad_line = 9001  # 1-based file line (header = 1): day 7, chunk 10
    fields = lines[bad_line - 1].split(",")
    fields[4] = "12x.5"
    lines[bad_line - 1] = ",".join(fields)
    path.write_text("".join(lines))
    with Store(tmp_path / "s.duckdb") as store:
        import_file(store, write_minute_klines(tmp_path / "BTCUSDT-1m.csv", days=3))
        before = {t: store.count(t) for t in ("prices", "rejects", "ingest_log", "sources")}
        with pytest.raises(ValidationError) as info:
            import_file(store, path)
        assert {t: store.count(t) for t in before} == before
        err = info.value
        assert err.line == bad_line and err.column == "close" and str(path) in str(err)
        report = import_file(store, path, on_error="reject")
        assert report.rows_written["prices"] == 7 and report.rows_rejected == 1


def test_gzip_and_headerless_dumps_read_the_same(tmp_path: Path) -> None:
    """data.binance.vision ships headerless dumps, often gzip-compressed: same days."""
    plain = write_minute_klines(tmp_path / "SOLUSDT-1m.csv", days=3)
    bare = write_minute_klines(tmp_path / "SOLUSDT-1m-2024-01.csv", days=3, header=False)
    gz = tmp_path / "SOLUSDT-1m.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    frames = []
    for p in (plain, bare, gz):
        reader, res = read_file(p)
        assert reader.name == "binance_klines", p
        assert res.tables["prices"]["asset_id"].unique().tolist() == ["SOL"], p
        frames.append(res.tables["prices"].set_index("date")[["open", "close", "volume_usd"]])
    pd.testing.assert_frame_equal(frames[0], frames[1])
    pd.testing.assert_frame_equal(frames[0], frames[2])
    want = expected_days(plain)
    np.testing.assert_allclose(frames[0]["volume_usd"], want["volume_usd"], rtol=1e-12)


def test_progress_callback_reaches_the_file_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_prices, "CHUNK_ROWS", 500)
    path = write_minute_klines(tmp_path / "BTCUSDT-1m.csv", days=2)
    seen: list[tuple[int, int]] = []
    read_file(path, options=ReadOptions(progress=lambda done, total: seen.append((done, total))))
    size = path.stat().st_size
    assert len(seen) >= 5 and all(t == size for _, t in seen)
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == size


def test_partial_first_and_last_days_are_dropped(tmp_path: Path) -> None:
    path = write_minute_klines(tmp_path / "BTCUSDT-1m.csv", days=4)
    lines = path.read_text().splitlines(keepends=True)
    cut = tmp_path / "BTCUSDT-1m-cut.csv"
    cut.write_text(lines[0] + "".join(lines[1 + 600 : 1 + 3 * 1440 + 100]))
    _, res = read_file(cut)
    days = res.tables["prices"]["date"].dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2024-01-02", "2024-01-03"]
    assert any("incomplete first/last day" in n for n in res.notes), res.notes


def test_cli_progress_flag_reports_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--progress writes how far the file has been read to stderr (a line per tenth when
    stderr is not a terminal); stdout keeps the summary only."""
    from typer.testing import CliRunner

    import altseason.cli._register  # noqa: F401  (registers the commands)
    from altseason.cli import app

    monkeypatch.setattr(_prices, "CHUNK_ROWS", 1000)
    monkeypatch.setenv("ALTSEASON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ALTSEASON_STORE", str(tmp_path / "store.duckdb"))
    path = write_minute_klines(tmp_path / "BTCUSDT-1m.csv", days=12)  # ~2 MB
    res = CliRunner().invoke(app, ["--create", "import", str(path), "--progress"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("import BTCUSDT-1m.csv:")]
    assert 3 <= len(lines) <= 11, res.stderr
    assert "100.0%" in lines[-1] and "import BTCUSDT-1m.csv" not in res.stdout
    quiet = CliRunner().invoke(app, ["import", str(path)])
    assert quiet.exit_code == 0 and "MiB read" not in quiet.stderr


# ---------------------------------------------------------------------- generic --map, batches
def _long_prices(path: Path, assets: int = 40, days: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {
            "Day": np.repeat(dates, assets),
            "Ticker": np.tile([f"C{i:03d}" for i in range(assets)], days),
            "Px": np.round(rng.uniform(0.5, 500, assets * days), 6),
        }
    )
    frame.to_csv(path, index=False)
    return frame


MAP = ReadOptions(mapping={"Day": "date", "Ticker": "asset_id", "Px": "close"})


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 MiB whole-file cap and 500-line batches: the streamed path on small files."""
    from altseason.sources.files import _generic

    monkeypatch.setenv("ALTSEASON_IMPORT_MAX_INMEMORY_MB", "0.05")
    monkeypatch.setattr(_generic, "STREAM_CHUNK_ROWS", 500)


def _counts(store: Store) -> dict[str, int]:
    return {t: store.count(t) for t in ("prices", "rejects", "ingest_log", "sources")}


@pytest.mark.usefixtures("small_caps")
def test_generic_map_file_over_the_cap_is_written_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "closes.csv"
    frame = _long_prices(path)
    assert path.stat().st_size > 0.05 * MIB
    with Store(tmp_path / "s.duckdb") as store:
        report = import_file(store, path, format="csv", options=MAP)
        got = store.con.execute(
            "SELECT asset_id, strftime(date, '%Y-%m-%d') AS d, close FROM prices "
            "ORDER BY asset_id, d"
        ).df()
        again = import_file(store, path, format="csv", options=MAP)
        n_log = store.count("ingest_log")
    assert report.rows_read == len(frame) and report.rows_written["prices"] == len(frame)
    assert any("read in batches" in n for n in report.notes)
    want = frame.rename(columns={"Ticker": "asset_id", "Day": "d", "Px": "close"})
    want = want.sort_values(["asset_id", "d"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[["asset_id", "d", "close"]], check_dtype=False)
    assert again.total_written == 0 and n_log >= 2  # re-import: a no-op, logged


@pytest.mark.usefixtures("small_caps")
def test_generic_batches_bad_row_or_repeated_key_write_nothing(tmp_path: Path) -> None:
    """A bad value in a late batch, or a key repeated with another value in a later
    batch, rolls back the batches already written: the store is unchanged."""
    path = tmp_path / "closes.csv"
    frame = _long_prices(path)
    bad = frame.copy()
    bad.loc[3210, "Px"] = -4.0  # line 3212, batch 7
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    rep = pd.concat([frame, frame.iloc[[5]].assign(Px=1.0)], ignore_index=True)
    rep_path = tmp_path / "repeat.csv"
    rep.to_csv(rep_path, index=False)
    with Store(tmp_path / "s.duckdb") as store:
        import_file(store, write_minute_klines(tmp_path / "BTCUSDT-1m.csv", days=2))
        before = _counts(store)
        with pytest.raises(ValidationError) as info:
            import_file(store, bad_path, format="csv", options=MAP)
        assert info.value.line == 3212 and str(bad_path) in str(info.value)
        assert _counts(store) == before
        with pytest.raises(ValidationError, match="appears twice") as info2:
            import_file(store, rep_path, format="csv", options=MAP)
        assert str(rep_path) in str(info2.value) and "C005" in str(info2.value)
        assert _counts(store) == before
        report = import_file(store, bad_path, format="csv", options=MAP, on_error="reject")
        assert report.rows_rejected == 1 and report.rows_written["prices"] == len(frame) - 1


def test_streamed_import_equals_whole_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same file imported whole and in batches gives the same stored rows and the
    same conflicts with another source (including days at the batch seams)."""
    from altseason.sources.files import _generic

    path = tmp_path / "closes.csv"
    frame = _long_prices(path)
    other = frame[frame["Ticker"].isin(["C001", "C017", "C039"])].assign(Px=lambda f: f["Px"] * 1.1)
    ref = tmp_path / "other.csv"
    other.to_csv(ref, index=False)
    keep = "dataset, asset, key, date, field, source_a, source_b, value_a, value_b, kind"
    out = []
    for streamed in (False, True):
        if streamed:
            monkeypatch.setenv("ALTSEASON_IMPORT_MAX_INMEMORY_MB", "0.05")
            monkeypatch.setattr(_generic, "STREAM_CHUNK_ROWS", 500)
        with Store(tmp_path / f"s{streamed}.duckdb") as store:
            import_file(store, ref, format="csv", options=MAP)
            report = import_file(store, path, format="csv", options=MAP)
            assert any("read in batches" in n for n in report.notes) == streamed
            prices = store.con.execute(
                "SELECT * EXCLUDE (ingested_at) FROM prices ORDER BY ALL"
            ).df()
            conflicts = store.con.execute(f"SELECT {keep} FROM conflicts ORDER BY ALL").df()
        out.append((prices, conflicts))
    assert len(out[0][1]) == len(other)  # every row of the three assets differs by 10%
    pd.testing.assert_frame_equal(out[0][0], out[1][0])
    pd.testing.assert_frame_equal(out[0][1], out[1][1])
