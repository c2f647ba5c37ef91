"""The DuckDB warehouse: open, migrate, upsert in one transaction, read.

Writes are idempotent upserts: a row whose key exists with identical values
is left untouched (its ``ingested_at`` keeps the first write), a row whose
values differ is replaced, a new key is inserted. Everything one ingest
writes (data tables, rejects, ingest_log, fetch cursors) commits in one
transaction, so a crash or a failing batch leaves the store as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from altseason._lazy import LazyModule
from altseason.exceptions import StoreError, StoreLockedError, ValidationError
from altseason.store._schema import (
    BOOKKEEPING_DDL,
    SCHEMA_VERSION,
    TABLES,
    TableSpec,
    create_table_sql,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: 'altseason status' needs neither (start-up time)
    np = LazyModule("numpy")
    pd = LazyModule("pandas")

__all__ = ["IngestResult", "Reject", "Store", "TableStatus", "open_store", "utcnow"]

PRICE_FIELDS = ("open", "high", "low", "close", "volume_usd", "market_cap_usd")

# Migrations from version N to N+1. Version 1 is the initial schema.
_MIGRATIONS: dict[int, list[str]] = {
    # v2: funding rows may carry only open interest (no rate).
    1: [
        "ALTER TABLE funding ALTER COLUMN rate DROP NOT NULL",
        "ALTER TABLE funding ALTER COLUMN interval_hours DROP NOT NULL",
    ],
}


def utcnow() -> dt.datetime:
    """Current UTC time as a naive datetime (the store's convention), to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Reject:
    """A row that failed validation, kept with its reason (``rejects`` table)."""

    reason: str
    location: str | None = None
    line: int | None = None
    column: str | None = None
    raw: Any = None


@dataclass
class IngestResult:
    """What one ingest did, per table."""

    run_id: str
    dataset: str
    source: str
    rows_in: int
    rows_written: dict[str, int] = field(default_factory=dict)
    rows_rejected: int = 0

    @property
    def total_written(self) -> int:
        return sum(self.rows_written.values())


@dataclass(frozen=True)
class TableStatus:
    """Row count, coverage and freshness of one table."""

    table: str
    rows: int
    assets: int | None
    start: dt.datetime | None
    end: dt.datetime | None
    sources: tuple[str, ...]
    last_ingest: dt.datetime | None

    def staleness_days(self, asof: dt.date | None = None) -> int | None:
        """Whole days between the newest row and ``asof`` (default: today, UTC)."""
        if self.end is None:
            return None
        ref = asof or utcnow().date()
        if isinstance(ref, dt.datetime):
            ref = ref.date()
        return (ref - _as_datetime(self.end).date()).days


def _as_datetime(value: Any) -> dt.datetime:
    """A DuckDB DATE or TIMESTAMP value as a naive datetime (no pandas needed)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def _one(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of a query, fetching the whole result so nothing stays pending."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text)


def _lock_holder(exc: BaseException) -> str:
    """The 'held by PID n' part of DuckDB's lock message, when it names one."""
    import re

    match = re.search(r"PID (\d+)", str(exc))
    return f"held by process {match.group(1)}" if match else "locked by another process"


#: Default seconds a writer or reader waits for another process's lock before giving up.
DEFAULT_LOCK_TIMEOUT = 30.0
#: Longest a reader defers opening while a writer waits for the lock.
READER_YIELD = 5.0
#: Suffix of the file a waiting writer keeps fresh beside the store.
_WAIT_SUFFIX = ".writer-waiting"
#: A wait mark older than this (seconds) is stale: its writer stopped waiting or died.
_WAIT_FRESH = 1.0


def _mark_waiting(flag: Path) -> bool:
    """Create or refresh the writer's wait mark; False when the folder refuses it."""
    try:
        flag.touch()
    except OSError:
        return False
    return True


def _yield_to_waiting_writer(flag: Path, limit: float) -> None:
    """Sleep while a fresh writer's wait mark exists, at most ``limit`` seconds."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            age = time.time() - flag.stat().st_mtime
        except OSError:
            return
        if age > _WAIT_FRESH:
            return
        time.sleep(0.05)


class Store:
    """A DuckDB warehouse file.

    Parameters
    ----------
    path
        The ``.duckdb`` file. ``":memory:"`` gives an in-memory store (tests).
    read_only
        Open without write access; several readers may share the file.
    create
        Create a missing file (and its folder) on write access (default). With
        ``create=False`` a missing file or folder is an error naming the fix.
    lock_timeout
        Seconds to wait while another process holds the file's lock (DuckDB
        allows one writing process or many reading ones per file), retrying
        with backoff; then :class:`~altseason.exceptions.StoreLockedError`.
    on_wait
        Called once with a message when the open has to wait for a lock (the
        CLI prints it; the library never prints).

    Notes
    -----
    A ``Store`` holds one connection; use it from one thread at a time, or
    take :meth:`cursor` for another thread. :meth:`release` closes the
    connection and gives up the file lock; the next use reopens it (waiting
    for the lock as above), so a long-running process can hold the file only
    while it reads or writes.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        create: bool = True,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.read_only = read_only
        self.lock_timeout = float(lock_timeout)
        self.on_wait = on_wait
        self._lock = threading.RLock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._closed = False
        if self.path is not None and not read_only:
            if not create and not self.path.exists():
                where = (
                    f"the folder {self.path.parent} does not exist"
                    if not self.path.parent.is_dir()
                    else "the file does not exist"
                )
                raise StoreError(
                    f"no store at {self.path} ({where}). Check the path, or add --create "
                    "to make a new store there."
                )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store folder {self.path.parent}: {exc}. "
                    "Choose a writable location with --store or ALTSEASON_HOME."
                ) from exc
        if self.path is not None and read_only and not self.path.exists():
            raise StoreError(
                f"no store at {self.path}. Run 'altseason demo' or 'altseason import PATH' first, "
                "or point --store at an existing file."
            )
        self._conn = self._connect()
        if read_only:
            self._check_version()
        else:
            self.migrate()

    # ------------------------------------------------------------------ life cycle
    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Open the DuckDB connection, waiting up to ``lock_timeout`` for another process.

        A writer that has to wait marks the wait in a file beside the store
        (``<store>.writer-waiting``, refreshed at every retry); readers about
        to open yield to a fresh mark for up to :data:`READER_YIELD` seconds,
        so a stream of short reads (the dashboard) cannot starve a writer.
        """
        target = ":memory:" if self.path is None else str(self.path)
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        waited = False
        marked = False
        flag = None if self.path is None else self.path.with_name(self.path.name + _WAIT_SUFFIX)
        if flag is not None and self.read_only:
            _yield_to_waiting_writer(flag, min(READER_YIELD, self.lock_timeout))
        try:
            while True:
                try:
                    con = duckdb.connect(target, read_only=self.read_only)
                    break
                except duckdb.Error as exc:
                    if not _is_lock_error(exc):
                        raise StoreError(
                            f"cannot open the store {target}: {exc}. If the file is not a "
                            "DuckDB database, move it away or choose another path with --store."
                        ) from exc
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise StoreLockedError(
                            f"the store {target} stayed locked by another altseason process "
                            f"for {self.lock_timeout:g} s ({_lock_holder(exc)}). Wait for it "
                            "to finish, or allow a longer wait with --lock-timeout SECONDS "
                            "(ALTSEASON_LOCK_TIMEOUT)."
                        ) from exc
                    if not waited and self.on_wait is not None:
                        self.on_wait(
                            f"the store {target} is busy ({_lock_holder(exc)}); waiting up to "
                            f"{self.lock_timeout:g} s for it …"
                        )
                    waited = True
                    if flag is not None and not self.read_only:
                        marked = _mark_waiting(flag) or marked
                    time.sleep(min(delay, remaining))
                    delay = min(delay * 2, 0.1 if marked else 0.25)
        finally:
            if marked and flag is not None:
                with contextlib.suppress(OSError):
                    flag.unlink()
        # The library never prints: DuckDB's own progress bar would write to stdout.
        con.execute("SET enable_progress_bar = false")
        return con

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        conn = self._conn
        if conn is None:
            if self._closed:
                raise StoreError(f"the store {self.path} was closed; open it again to use it.")
            with self._lock:
                if self._conn is None:
                    self._conn = self._connect()
                conn = self._conn
        return conn

    def release(self) -> None:
        """Close the connection and give up the file lock; the next use reopens it.

        In-memory stores keep their connection (closing would lose the data).
        """
        if self.path is None:
            return
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(duckdb.Error):
                    self._conn.close()
                self._conn = None

    @property
    def is_open(self) -> bool:
        """Whether the store currently holds a connection (and so the file's lock)."""
        return self._conn is not None

    def close(self) -> None:
        """Close the connection (idempotent); the store cannot be used afterwards."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(duckdb.Error):
                    self._conn.close()
                self._conn = None
            self._closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The underlying DuckDB connection (read it; write through the store)."""
        return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the same database, for use from another thread."""
        return self._con.cursor()

    # ------------------------------------------------------------------ schema
    def schema_version(self) -> int | None:
        """The schema version recorded in the file, or None for an empty file."""
        try:
            row = _one(
                self._con.execute("SELECT value FROM schema_meta WHERE key = 'schema_version'")
            )
        except duckdb.CatalogException:
            return None
        return int(row[0]) if row else None

    def _check_version(self) -> None:
        version = self.schema_version()
        if version is None:
            raise StoreError(
                f"{self.path} is not an altseason store (no schema_version). "
                "Point --store at a store made by 'altseason demo' or 'altseason import'."
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this altseason "
                f"({SCHEMA_VERSION}). Upgrade altseason."
            )

    def migrate(self) -> None:
        """Create missing tables and apply migrations up to :data:`SCHEMA_VERSION`."""
        with self._lock:
            try:
                self._con.execute("BEGIN TRANSACTION")
                for ddl in BOOKKEEPING_DDL.values():
                    self._con.execute(ddl)
                version = self.schema_version()
                if version is not None and version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path} has schema version {version}, newer than this "
                        f"altseason ({SCHEMA_VERSION}). Upgrade altseason."
                    )
                if version is None:
                    for spec in TABLES.values():
                        self._con.execute(create_table_sql(spec))
                else:
                    for v in range(version, SCHEMA_VERSION):
                        for stmt in _MIGRATIONS.get(v, []):
                            self._con.execute(stmt)
                    for spec in TABLES.values():
                        self._con.execute(create_table_sql(spec))
                self._con.execute(
                    "INSERT OR REPLACE INTO schema_meta VALUES ('schema_version', ?)",
                    [str(SCHEMA_VERSION)],
                )
                self._con.execute("COMMIT")
            except Exception:
                self._rollback()
                raise

    def _rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self._con.execute("ROLLBACK")

    # ------------------------------------------------------------------ writing
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction; any exception rolls everything back."""
        if self.read_only:
            raise StoreError(
                f"the store {self.path} is open read-only; open it for writing to change it."
            )
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield self._con
            except BaseException:
                self._rollback()
                raise
            else:
                try:
                    self._con.execute("COMMIT")
                except duckdb.Error as exc:
                    self._rollback()
                    raise StoreError(f"commit failed, nothing was written: {exc}") from exc

    def ingest(
        self,
        *,
        dataset: str,
        source: str,
        tables: Mapping[str, pd.DataFrame],
        rejects: Sequence[Reject] = (),
        rows_in: int | None = None,
        cursors: Mapping[tuple[str, str], str] | None = None,
        run_id: str | None = None,
        started_at: dt.datetime | None = None,
    ) -> IngestResult:
        """Write one batch atomically and log it.

        Parameters
        ----------
        dataset
            Name of the batch in ``ingest_log`` (e.g. a file name or
            ``coingecko:markets``).
        source
            Provenance written on every row (unless the frame has its own
            ``source`` column).
        tables
            Frames to upsert, keyed by table name; columns named as in the
            schema (missing nullable columns become NULL).
        rejects
            Rows that failed validation; stored in ``rejects``.
        rows_in
            Rows read from the input (default: the rows offered plus rejects).
        cursors
            ``{(dataset_key, key): cursor}`` fetch positions committed with the data.

        Raises
        ------
        ValidationError
            If a frame misses a required column, has NULL keys or holds the
            same key twice with different values. Nothing is written.
        StoreError
            If DuckDB fails; nothing is written.
        """
        run_id = run_id or uuid.uuid4().hex
        started = started_at or utcnow()
        offered = sum(len(df) for df in tables.values())
        result = IngestResult(
            run_id=run_id,
            dataset=dataset,
            source=source,
            rows_in=rows_in if rows_in is not None else offered + len(rejects),
            rows_rejected=len(rejects),
        )
        prepared = {name: self._prepare(name, df, source) for name, df in tables.items()}
        try:
            with self.transaction() as con:
                now = utcnow()
                for name, frame in prepared.items():
                    result.rows_written[name] = self._upsert_frame(con, TABLES[name], frame, now)
                if rejects:
                    self._write_rejects(con, run_id, dataset, source, rejects, now)
                for (ds_key, key), cursor in (cursors or {}).items():
                    con.execute(
                        "INSERT OR REPLACE INTO fetch_state VALUES (?, ?, ?, ?, ?)",
                        [source, ds_key, key, cursor, now],
                    )
                con.execute(
                    "INSERT OR REPLACE INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        run_id,
                        dataset,
                        source,
                        started,
                        utcnow(),
                        result.rows_in,
                        result.total_written,
                        result.rows_rejected,
                        "ok",
                        None,
                    ],
                )
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise StoreLockedError(f"the store is locked by another writer: {exc}") from exc
            raise StoreError(
                f"writing {dataset!r} to the store failed and was rolled back: {exc}"
            ) from exc
        return result

    def log_failure(
        self,
        *,
        dataset: str,
        source: str,
        error: str,
        run_id: str | None = None,
        started_at: dt.datetime | None = None,
    ) -> None:
        """Record a failed ingest in ``ingest_log`` (its data was not written)."""
        with self.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO ingest_log VALUES (?, ?, ?, ?, ?, 0, 0, 0, 'failed', ?)",
                [
                    run_id or uuid.uuid4().hex,
                    dataset,
                    source,
                    started_at or utcnow(),
                    utcnow(),
                    error[:2000],
                ],
            )

    def upsert(
        self, table: str, frame: pd.DataFrame, *, source: str, dataset: str | None = None
    ) -> int:
        """Upsert one frame atomically, logged in ``ingest_log``; returns rows written."""
        result = self.ingest(
            dataset=dataset or f"{table}:{source}", source=source, tables={table: frame}
        )
        return result.rows_written.get(table, 0)

    def _prepare(self, table: str, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        if table not in TABLES:
            raise ValidationError(f"unknown table {table!r}; the store has {', '.join(TABLES)}.")
        spec = TABLES[table]
        df = frame.copy()
        if isinstance(df.index, pd.MultiIndex) or df.index.name in spec.key:
            df = df.reset_index()
        unknown = [c for c in df.columns if c not in spec.column_names]
        if unknown:
            raise ValidationError(
                f"columns {unknown} are not in table {table!r} "
                f"(it has {', '.join(spec.column_names)}); rename or drop them."
            )
        if "source" not in df.columns:
            df["source"] = source
        df["source"] = df["source"].fillna(source)
        for col in spec.columns:
            if col.name == "ingested_at":
                continue
            if col.name not in df.columns:
                if not col.nullable:
                    raise ValidationError(
                        f"table {table!r} needs column {col.name!r} ({col.doc or col.type}); "
                        "add it to the input or map a column to it."
                    )
                df[col.name] = None
        df = df[[c for c in spec.column_names if c != "ingested_at"]]
        for k in spec.key:
            if df[k].isna().any():
                bad = int(np.flatnonzero(df[k].isna().to_numpy())[0])
                raise ValidationError(
                    f"table {table!r}: key column {k!r} is empty in row {bad + 1} of the batch; "
                    "every row needs its key."
                )
        for col in spec.columns:
            if (
                not col.nullable
                and col.name in df.columns
                and col.name not in spec.key
                and col.name != "ingested_at"
                and df[col.name].isna().any()
            ):
                bad = int(np.flatnonzero(df[col.name].isna().to_numpy())[0])
                raise ValidationError(
                    f"table {table!r}: column {col.name!r} is empty in row {bad + 1} of the batch "
                    f"(key {df.iloc[bad][list(spec.key)].to_dict()}); it is required."
                )
        key = list(spec.key)
        dup = df.duplicated(key, keep=False)
        if dup.any():
            exact = df[dup].drop_duplicates()
            if exact.duplicated(key).any():
                first = exact[exact.duplicated(key, keep=False)].iloc[0]
                raise ValidationError(
                    f"table {table!r}: key {first[key].to_dict()} appears more than once with "
                    "different values; remove the conflicting rows or fix the source."
                )
            df = df.drop_duplicates(key)
        return df

    def _upsert_frame(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, df: pd.DataFrame, now: dt.datetime
    ) -> int:
        if df.empty:
            return 0
        view = f"_incoming_{uuid.uuid4().hex[:8]}"
        con.register(view, df)
        try:
            casts = ", ".join(
                f"CAST({c.name} AS {c.type}) AS {c.name}"
                for c in spec.columns
                if c.name != "ingested_at"
            )
            con.execute(f"CREATE OR REPLACE TEMP TABLE _staging AS SELECT {casts} FROM {view}")
        except duckdb.ConversionException as exc:
            raise ValidationError(
                f"table {spec.name!r}: a value cannot be stored as the column's type: {exc}. "
                "Check the input's units and number formats."
            ) from exc
        finally:
            con.unregister(view)
        join = " AND ".join(f"s.{k} = t.{k}" for k in spec.key)
        compare = [c for c in spec.column_names if c not in spec.key and c != "ingested_at"]
        differs = " OR ".join(f"s.{c} IS DISTINCT FROM t.{c}" for c in compare) or "FALSE"
        first_key = spec.key[0]
        cols = ", ".join(f"s.{c}" for c in spec.column_names if c != "ingested_at")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT {cols}, ?::TIMESTAMP AS ingested_at "
            f"FROM _staging s LEFT JOIN {spec.name} t ON {join} "
            f"WHERE t.{first_key} IS NULL OR {differs}",
            [now],
        )
        n = _one(con.execute("SELECT count(*) FROM _changed"))
        written = int(n[0]) if n else 0
        if written:
            con.execute(
                f"INSERT OR REPLACE INTO {spec.name} ({', '.join(spec.column_names)}) "
                f"SELECT {', '.join(spec.column_names)} FROM _changed"
            )
        con.execute("DROP TABLE IF EXISTS _staging")
        con.execute("DROP TABLE IF EXISTS _changed")
        return written

    def _write_rejects(
        self,
        con: duckdb.DuckDBPyConnection,
        run_id: str,
        dataset: str,
        source: str,
        rejects: Sequence[Reject],
        now: dt.datetime,
    ) -> None:
        rows = []
        for i, r in enumerate(rejects):
            raw = r.raw
            if raw is not None and not isinstance(raw, str):
                raw = json.dumps(raw, default=str)
            rows.append(
                (run_id, dataset, i, source, r.location, r.line, r.column, r.reason, raw, now)
            )
        frame = pd.DataFrame(
            rows,
            columns=[
                "run_id",
                "dataset",
                "seq",
                "source",
                "location",
                "line",
                "column_name",
                "reason",
                "raw",
                "rejected_at",
            ],
        )
        con.register("_rej", frame)
        try:
            con.execute("INSERT INTO rejects SELECT * FROM _rej")
        finally:
            con.unregister("_rej")

    # ------------------------------------------------------------------ reading
    def read_table(
        self,
        table: str,
        *,
        start: Any = None,
        end: Any = None,
        columns: Sequence[str] | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """Rows of a table as a long frame, filtered with bound parameters.

        Parameters
        ----------
        table
            A data table (``prices``, ``etf_flows``, ...) or ``ingest_log`` / ``rejects``.
        start, end
            Inclusive bounds on the table's date column (UTC).
        columns
            Columns to return (default all).
        **filters
            ``column=value`` or ``column=[values]`` equality filters.
        """
        spec = TABLES.get(table)
        known = (
            spec.column_names
            if spec
            else [
                r[0] for r in self._con.execute(f"DESCRIBE {self._bookkeeping(table)}").fetchall()
            ]
        )
        cols = list(columns) if columns else known
        for c in [*cols, *filters]:
            if c not in known:
                raise ValidationError(
                    f"table {table!r} has no column {c!r}; it has {', '.join(known)}."
                )
        where: list[str] = []
        params: list[Any] = []
        date_col = spec.date_column if spec else None
        if (start is not None or end is not None) and date_col is None:
            raise ValidationError(f"table {table!r} has no date column to filter on.")
        if start is not None:
            where.append(f"{date_col} >= ?")
            params.append(pd.Timestamp(start).to_pydatetime())
        if end is not None:
            if spec is not None and spec.column(date_col or "").type == "DATE":  # type: ignore[arg-type]
                where.append(f"{date_col} <= ?")
                params.append(pd.Timestamp(end).to_pydatetime())
            else:
                where.append(f"{date_col} < ?")
                params.append(
                    (pd.Timestamp(end).normalize() + pd.Timedelta(days=1)).to_pydatetime()
                )
        for c, v in filters.items():
            if v is None:
                continue
            if isinstance(v, (list, tuple, set, frozenset, np.ndarray, pd.Index)):
                vals = list(v)
                if not vals:
                    where.append("FALSE")
                    continue
                where.append(f"{c} IN ({', '.join('?' for _ in vals)})")
                params.extend(vals)
            else:
                where.append(f"{c} = ?")
                params.append(v)
        order = ", ".join(spec.key) if spec else "1"
        sql = f"SELECT {', '.join(cols)} FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order}"
        with self._lock:
            frame = self._con.execute(sql, params).df()
        for c in frame.columns:
            col_type = spec.column(c).type if spec and c in spec.column_names else None
            if col_type in ("DATE", "TIMESTAMP"):
                frame[c] = pd.to_datetime(frame[c])
        return frame

    @staticmethod
    def _bookkeeping(table: str) -> str:
        if table not in BOOKKEEPING_DDL:
            raise ValidationError(
                f"unknown table {table!r}; the store has {', '.join([*TABLES, *BOOKKEEPING_DDL])}."
            )
        return table

    def read_prices(
        self,
        field: str = "close",
        *,
        assets: Sequence[str] | None = None,
        start: Any = None,
        end: Any = None,
    ) -> pd.DataFrame:
        """A ``(n_dates, n_assets)`` panel of one price field.

        Parameters
        ----------
        field
            ``open``, ``high``, ``low``, ``close``, ``volume_usd`` or ``market_cap_usd``.
        assets
            Asset ids to include (default all), in that column order.
        start, end
            Inclusive UTC date bounds.

        Returns
        -------
        DataFrame
            Index: every calendar day from the first to the last date present
            (a daily ``DatetimeIndex`` named ``date``); columns: asset ids
            sorted, or in the order given. NaN where an asset has no row that
            day (not yet listed, delisted, or a gap).
        """
        if field not in PRICE_FIELDS:
            raise ValidationError(
                f"unknown price field {field!r}; choose one of {', '.join(PRICE_FIELDS)}."
            )
        long = self.read_table(
            "prices",
            start=start,
            end=end,
            columns=["asset_id", "date", field],
            asset_id=list(assets) if assets is not None else None,
        )
        if long.empty:
            cols = list(assets) if assets is not None else []
            return pd.DataFrame(
                index=pd.DatetimeIndex([], name="date"),
                columns=pd.Index(cols, name="asset_id"),
                dtype=float,
            )
        panel = long.pivot(index="date", columns="asset_id", values=field).astype(float)
        full = pd.date_range(panel.index.min(), panel.index.max(), freq="D", name="date")
        panel = panel.reindex(full)
        if assets is not None:
            panel = panel.reindex(columns=list(assets))
        panel.columns.name = "asset_id"
        return panel

    def read_cursor(self, source: str, dataset: str, key: str) -> str | None:
        """The committed fetch cursor for ``(source, dataset, key)``, if any."""
        row = _one(
            self._con.execute(
                "SELECT cursor FROM fetch_state WHERE source = ? AND dataset = ? AND key = ?",
                [source, dataset, key],
            )
        )
        return str(row[0]) if row else None

    def count(self, table: str) -> int:
        """Number of rows in a table."""
        name = table if table in TABLES else self._bookkeeping(table)
        row = _one(self._con.execute(f"SELECT count(*) FROM {name}"))
        return int(row[0]) if row else 0

    def is_empty(self) -> bool:
        """True when no data table holds a row."""
        return all(self.count(t) == 0 for t in TABLES)

    def status(self) -> list[TableStatus]:
        """Per data table: rows, assets, date range, sources and last ingest time."""
        out = []
        for name, spec in TABLES.items():
            asset_col = (
                "asset_id"
                if "asset_id" in spec.column_names
                else (
                    "fund"
                    if name == "etf_flows"
                    else (
                        "underlying"
                        if name == "options"
                        else (
                            "series_id"
                            if name == "macro"
                            else ("index_id" if name == "sentiment" else None)
                        )
                    )
                )
            )
            date_col = spec.date_column
            parts = ["count(*)"]
            parts.append(f"count(DISTINCT {asset_col})" if asset_col else "NULL")
            parts.append(f"min({date_col})" if date_col else "NULL")
            parts.append(f"max({date_col})" if date_col else "NULL")
            parts.append("max(ingested_at)")
            row = _one(self._con.execute(f"SELECT {', '.join(parts)} FROM {name}"))
            assert row is not None
            sources = tuple(
                r[0]
                for r in self._con.execute(
                    f"SELECT DISTINCT source FROM {name} ORDER BY source"
                ).fetchall()
            )
            out.append(
                TableStatus(
                    table=name,
                    rows=int(row[0]),
                    assets=int(row[1]) if row[1] is not None else None,
                    start=_as_datetime(row[2]) if row[2] is not None else None,
                    end=_as_datetime(row[3]) if row[3] is not None else None,
                    sources=sources,
                    last_ingest=_as_datetime(row[4]) if row[4] is not None else None,
                )
            )
        return out

    def provenance(
        self, table: str, *, start: Any = None, end: Any = None, **filters: Any
    ) -> dict[str, Any]:
        """Row count, date range, sources and ingest times behind a selection.

        Used by report findings so every number can be traced to its rows.
        """
        spec = TABLES[table]
        frame = self.read_table(
            table,
            start=start,
            end=end,
            columns=[c for c in ([spec.date_column] if spec.date_column else []) if c]
            + ["source", "ingested_at"],
            **filters,
        )
        date_col = spec.date_column
        return {
            "table": table,
            "rows": len(frame),
            "filters": {k: v for k, v in filters.items() if v is not None},
            "start": None if frame.empty or not date_col else str(frame[date_col].min().date()),
            "end": None if frame.empty or not date_col else str(frame[date_col].max().date()),
            "sources": sorted(frame["source"].unique().tolist()) if not frame.empty else [],
            "ingested_from": None if frame.empty else str(frame["ingested_at"].min()),
            "ingested_to": None if frame.empty else str(frame["ingested_at"].max()),
        }


def open_store(
    path: str | Path,
    *,
    read_only: bool = False,
    create: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Store:
    """Open (and if needed create and migrate) the store at ``path``."""
    return Store(path, read_only=read_only, create=create, lock_timeout=lock_timeout)
