"""The warehouse: schema, idempotent upserts, atomic batches, reads, integrity."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from altseason.exceptions import StoreError, ValidationError
from altseason.store import SCHEMA_VERSION, TABLES, Reject, Store, check_store


def _prices(n: int = 5, assets: tuple[str, ...] = ("BTC", "ETH")) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=n, freq="D")
    rows = []
    for j, a in enumerate(assets):
        for i, d in enumerate(dates):
            rows.append({"asset_id": a, "date": d, "close": 100.0 * (j + 1) + i, "volume_usd": 1e6})
    return pd.DataFrame(rows)


def _dump(store: Store) -> dict[str, pd.DataFrame]:
    out = {}
    for name in [*TABLES, "ingest_log", "rejects", "fetch_state"]:
        out[name] = store.con.execute(f"SELECT * FROM {name} ORDER BY ALL").df()
    return out


def test_every_design_table_exists_with_its_key(store: Store) -> None:
    for name, spec in TABLES.items():
        cols = [r[0] for r in store.con.execute(f"DESCRIBE {name}").fetchall()]
        assert cols == spec.column_names
        assert "source" in cols and "ingested_at" in cols
        # The primary key is enforced by DuckDB.
        pk = store.con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
            [name],
        ).fetchone()
        assert pk is not None and tuple(pk[0]) == spec.stored_key == (*spec.key, "source")
    assert store.schema_version() == SCHEMA_VERSION


def test_upsert_is_idempotent_and_replaces_changed_rows(store: Store) -> None:
    first = store.ingest(dataset="a", source="test", tables={"prices": _prices()})
    assert first.rows_written == {"prices": 10}
    before = _dump(store)["prices"]
    second = store.ingest(dataset="a", source="test", tables={"prices": _prices()})
    assert second.rows_written == {"prices": 0}
    pd.testing.assert_frame_equal(_dump(store)["prices"], before)  # ingested_at untouched
    changed = _prices()
    changed.loc[3, "close"] = 999.0
    third = store.ingest(dataset="a", source="test", tables={"prices": changed})
    assert third.rows_written == {"prices": 1}
    panel = store.read_prices("close")
    assert panel.loc["2024-01-04", "BTC"] == 999.0
    log = store.read_table("ingest_log")
    log = log[log["source"] != "calendar"]  # the reference calendar every store gets
    assert list(log["rows_written"].sort_values()) == [0, 1, 10]


def test_failure_mid_batch_leaves_store_unchanged(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ingest(dataset="seed", source="test", tables={"prices": _prices()})
    before = _dump(store)
    calls = {"n": 0}
    original = Store._upsert_frame

    def failing(
        self: Store, con: duckdb.DuckDBPyConnection, spec: object, df: pd.DataFrame, now: object
    ) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise duckdb.IOException("injected disk failure")
        return original(self, con, spec, df, now)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_upsert_frame", failing)
    more = _prices(8, ("BTC", "ETH", "SOL"))
    macro = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-01"]), "series_id": ["M2SL"], "value": [1.0]}
    )
    with pytest.raises(StoreError, match="rolled back"):
        store.ingest(
            dataset="b",
            source="test",
            tables={"prices": more, "macro": macro},
            rejects=[Reject("bad row", line=3)],
        )
    assert calls["n"] == 2
    after = _dump(store)
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)


def test_conflicting_duplicate_keys_are_rejected_identical_ones_collapse(store: Store) -> None:
    df = _prices(2, ("BTC",))
    dup = pd.concat([df, df.iloc[[0]]])
    assert store.ingest(dataset="d", source="t", tables={"prices": dup}).rows_written == {
        "prices": 2
    }
    bad = dup.copy()
    bad.iloc[-1, bad.columns.get_loc("close")] = 1.0
    with pytest.raises(ValidationError, match="more than once with different values"):
        store.ingest(dataset="d2", source="t", tables={"prices": bad})


def test_missing_required_column_and_unknown_column(store: Store) -> None:
    with pytest.raises(ValidationError, match="needs column 'close'"):
        store.ingest(dataset="x", source="t", tables={"prices": _prices().drop(columns="close")})
    with pytest.raises(ValidationError, match="not in table 'prices'"):
        store.ingest(dataset="x", source="t", tables={"prices": _prices().assign(foo=1)})
    with pytest.raises(ValidationError, match="key column 'asset_id' is empty"):
        bad = _prices()
        bad.loc[2, "asset_id"] = None
        store.ingest(dataset="x", source="t", tables={"prices": bad})


def test_read_prices_panel_shape_and_filters(store: Store) -> None:
    df = _prices(5)
    df = df[~((df.asset_id == "ETH") & (df.date == "2024-01-03"))]  # a gap
    store.ingest(dataset="a", source="t", tables={"prices": df})
    panel = store.read_prices("close", assets=["ETH", "BTC"], start="2024-01-02", end="2024-01-04")
    assert list(panel.columns) == ["ETH", "BTC"]
    assert list(panel.index) == list(pd.date_range("2024-01-02", "2024-01-04"))
    assert np.isnan(panel.loc["2024-01-03", "ETH"])
    assert panel.loc["2024-01-04", "BTC"] == 103.0
    with pytest.raises(ValidationError, match="unknown price field"):
        store.read_prices("price")
    long = store.read_table("prices", asset_id="BTC", start="2024-01-05")
    assert len(long) == 1 and long["close"].iloc[0] == 104.0


def test_rejects_are_stored_with_their_reason(store: Store) -> None:
    res = store.ingest(
        dataset="f.csv",
        source="file",
        tables={"prices": _prices(1, ("BTC",))},
        rejects=[
            Reject("close must be > 0", location="f.csv", line=7, column="close", raw={"close": -1})
        ],
    )
    rej = store.read_table("rejects")
    assert res.rows_rejected == 1 and len(rej) == 1
    assert rej.loc[0, "reason"] == "close must be > 0" and rej.loc[0, "line"] == 7
    assert check_store(store).ok


def test_check_store_finds_inconsistencies(store: Store) -> None:
    store.ingest(dataset="a", source="t", tables={"prices": _prices()})
    assert check_store(store).ok
    # A row written behind the store's back: no ingest_log entry for its source.
    store.con.execute(
        "INSERT INTO prices (asset_id, date, close, source, ingested_at) "
        "VALUES ('XRP', DATE '2024-01-01', 1.0, 'sneaky', now()::TIMESTAMP)"
    )
    store.con.execute(
        "INSERT INTO rejects VALUES ('nope', 'x', 0, 's', NULL, NULL, NULL, 'r', NULL, now()::TIMESTAMP)"
    )
    report = check_store(store)
    assert not report.ok
    checks = {(p.check, p.table) for p in report.errors}
    assert ("ingest_log", "prices") in checks
    assert ("orphans", "rejects") in checks


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE schema_meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="newer than this altseason"):
        Store(path)


def test_read_only_store(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.ingest(dataset="a", source="t", tables={"prices": _prices()})
    with Store(path, read_only=True) as ro:
        assert ro.count("prices") == 10
        with pytest.raises(StoreError, match="read-only"):
            ro.ingest(dataset="b", source="t", tables={"prices": _prices()})
    with pytest.raises(StoreError, match="no store at"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.duckdb"
    path.write_text("this is not a database")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path)


def test_migration_from_v1_makes_funding_rate_nullable(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute("INSERT INTO schema_meta VALUES ('schema_version', '1')")
    con.execute(
        "CREATE TABLE funding (ts TIMESTAMP NOT NULL, venue VARCHAR NOT NULL, instrument VARCHAR "
        "NOT NULL, asset_id VARCHAR NOT NULL, rate DOUBLE NOT NULL, interval_hours DOUBLE NOT NULL, "
        "open_interest_usd DOUBLE, source VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL, "
        "PRIMARY KEY (ts, venue, instrument))"
    )
    con.execute(
        "INSERT INTO funding VALUES ('2024-01-01', 'binance', 'BTCUSDT', 'BTC', 0.0001, 8, NULL, "
        "'x', '2024-01-02')"
    )
    con.close()
    with Store(path) as s:
        assert s.schema_version() == SCHEMA_VERSION == 3
        oi = pd.DataFrame(
            {
                "ts": pd.to_datetime(["2024-01-02"]),
                "venue": ["coinalyze"],
                "instrument": ["BTC"],
                "asset_id": ["BTC"],
                "open_interest_usd": [1e10],
            }
        )
        s.ingest(dataset="oi", source="t", tables={"funding": oi})
        assert s.count("funding") == 2
