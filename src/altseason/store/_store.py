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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from altseason._lazy import LazyModule
from altseason.exceptions import StoreError, StoreLockedError, ValidationError
from altseason.store._conflicts import (
    SNAPSHOT_WINDOW,
    TOLERANCES,
    conflict_asset_column,
    detect_conflicts,
)
from altseason.store._rules import apply_rules
from altseason.store._schema import (
    BOOKKEEPING_DDL,
    SCHEMA_VERSION,
    TABLES,
    TableSpec,
    create_table_sql,
)
from altseason.store._sources import rank_sources, source_kind

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
# Versions whose data tables are rebuilt with ``source`` in the primary key
# (v3: one row per source and natural key; rows are copied unchanged).
_REKEY_FROM = 2
_REFERENCE_KINDS = frozenset({"reference"})
# Columns resolved separately from the rest of their row: each comes from the
# best-ranked source that has a value (a market cap is a separate fact from an
# exchange's OHLCV; open interest from a funding rate; a sector from a listing).
_SEPARATE: dict[str, list[tuple[str, ...]]] = {
    "prices": [("market_cap_usd",)],
    "funding": [("open_interest_usd",)],
    "assets": [("sector", "subsector")],
}
# The column whose presence decides the main row's source (rows without it lose).
_LEAD: dict[str, str] = {"funding": "rate"}
# Pseudo-columns naming the source of a separately resolved group.
_PSEUDO: dict[str, dict[str, str]] = {"prices": {"market_cap_source": "market_cap_usd"}}


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
    conflicts: int = 0

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


def _write_error(dataset: str, exc: duckdb.Error) -> StoreError:
    """The error a failed (rolled-back) write raises: locked, or failed."""
    if _is_lock_error(exc):
        return StoreLockedError(f"the store is locked by another writer: {exc}")
    return StoreError(f"writing {dataset!r} to the store failed and was rolled back: {exc}")


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
        prefer: Sequence[str] = (),
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.read_only = read_only
        self.prefer: tuple[str, ...] = tuple(prefer)
        self._sources_cache: dict[str, list[str]] = {}
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
            self.ensure_reference_data()

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
                        if v == _REKEY_FROM:
                            self._rekey_tables()
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

    def _rekey_tables(self) -> None:
        """v2 -> v3: rebuild each data table with ``source`` in its primary key."""
        existing = {r[0] for r in self._con.execute("SHOW TABLES").fetchall()}
        for spec in TABLES.values():
            if spec.name not in existing:
                continue  # created with the new key below
            tmp = f"_v3_{spec.name}"
            self._con.execute(f"DROP TABLE IF EXISTS {tmp}")
            self._con.execute(create_table_sql(spec).replace(spec.name, tmp, 1))
            cols = ", ".join(spec.column_names)
            self._con.execute(f"INSERT INTO {tmp} ({cols}) SELECT {cols} FROM {spec.name}")
            self._con.execute(f"DROP TABLE {spec.name}")
            self._con.execute(f"ALTER TABLE {tmp} RENAME TO {spec.name}")
        now = utcnow()
        for spec in TABLES.values():
            if spec.name not in existing:
                continue
            for (src,) in self._con.execute(f"SELECT DISTINCT source FROM {spec.name}").fetchall():
                self._con.execute(
                    "INSERT OR IGNORE INTO sources VALUES (?, ?, NULL, NULL, NULL, ?, ?)",
                    [src, source_kind(src), now, now],
                )

    def ensure_reference_data(self) -> None:
        """Write the packaged event calendar when the store lacks this version of it.

        Every writable store gets it (created, migrated or old), with its own
        source (``calendar``) and ingest-log entry; the demo is not needed.
        """
        from altseason.sources.calendar import (
            CALENDAR_SOURCE,
            calendar_hash,
            regulatory_events,
        )

        digest = calendar_hash()
        row = _one(
            self._con.execute(
                "SELECT content_hash FROM sources WHERE source = ?", [CALENDAR_SOURCE]
            )
        )
        if row is not None and row[0] == digest:
            return
        self.ingest(
            dataset="reference:calendar",
            source=CALENDAR_SOURCE,
            tables={"events": regulatory_events()},
            source_info={"format": "calendar", "content_hash": digest},
        )

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
        source_info: Mapping[str, Any] | None = None,
        supersedes: Sequence[str] = (),
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
        source_info
            ``format``, ``path`` and ``content_hash`` of the source, recorded in
            the ``sources`` table (its ``kind`` is :func:`source_kind`).
        supersedes
            Sources whose rows (and conflicts) this ingest replaces, e.g. the
            previous version of a re-exported file at the same path.

        Notes
        -----
        Every row passes the domain rules (:mod:`altseason.store._rules`)
        first; a row that breaks one is not written but stored in ``rejects``
        with its reason and source, whatever the caller. Rows are stored per
        source (``source`` is part of each table's primary key); conflicts
        with other sources' rows are recomputed (:mod:`altseason.store._conflicts`).

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
        prepared = {name: self._prepare(name, df, source) for name, df in tables.items()}
        rejects = list(rejects)
        n_given = len(rejects)
        for name in list(prepared):
            clean, bad = apply_rules(name, prepared[name], source=source)
            prepared[name] = clean
            rejects.extend(Reject(reason=r, location=loc, raw=raw) for r, loc, raw in bad)
        n_rule = len(rejects) - n_given  # rule rejects were among the rows offered
        result = IngestResult(
            run_id=run_id,
            dataset=dataset,
            source=source,
            rows_in=rows_in if rows_in is not None else offered + len(rejects) - n_rule,
            rows_rejected=len(rejects),
        )
        info = dict(source_info or {})
        try:
            with self.transaction() as con:
                now = utcnow()
                for old in supersedes:
                    if old != source:
                        self._drop_source(con, old)
                written_sources = {source}
                for frame in prepared.values():
                    written_sources.update(frame["source"].dropna().astype(str).unique())
                for src in sorted(written_sources):
                    self._register_source(con, src, info if src == source else {}, now)
                for name, frame in prepared.items():
                    result.rows_written[name] = self._upsert_frame(con, TABLES[name], frame, now)
                for name, frame in prepared.items():
                    if frame.empty:
                        continue
                    for src, part in frame.groupby("source", sort=True):
                        detect_conflicts(con, name, part, str(src), now)
                self._sources_cache.clear()
                if rejects:
                    self._write_rejects(con, run_id, dataset, source, rejects, now)
                for (ds_key, key), cursor in (cursors or {}).items():
                    con.execute(
                        "INSERT OR REPLACE INTO fetch_state VALUES (?, ?, ?, ?, ?)",
                        [source, ds_key, key, cursor, now],
                    )
                self._log_ingest(con, result, started)
        except duckdb.Error as exc:
            raise _write_error(dataset, exc) from exc
        return result

    def ingest_batches(
        self,
        *,
        dataset: str,
        source: str,
        batches: Iterable[tuple[Mapping[str, pd.DataFrame], Sequence[Reject]]],
        rows_in: Callable[[], int] | None = None,
        source_info: Mapping[str, Any] | None = None,
        supersedes: Sequence[str] = (),
    ) -> IngestResult:
        """Write a stream of batches of one source in ONE transaction (large files).

        Like :meth:`ingest`, but ``batches`` yields ``(tables, rejects)`` pairs as a
        streaming reader produces them; each batch is prepared, checked by the
        domain rules, upserted and compared with other sources as it arrives, so
        memory holds one batch. Any exception (a bad row with ``--on-error fail``,
        a key repeated with other values in a later batch, a DuckDB error) rolls
        back every batch: nothing is half-written. ``rows_in`` is called at the
        end (the reader counts lines as it goes).

        Raises
        ------
        ValidationError
            A batch misses a required column, has NULL keys, or repeats a key of
            this ingest with different values. Nothing is written.
        StoreError
            If DuckDB fails; nothing is written.
        """
        run_id = uuid.uuid4().hex
        started = utcnow()
        info = dict(source_info or {})
        result = IngestResult(run_id=run_id, dataset=dataset, source=source, rows_in=0)
        offered = 0
        n_rejects = 0
        try:
            with self.transaction() as con:
                now = utcnow()
                for old in supersedes:
                    if old != source:
                        self._drop_source(con, old)
                self._register_source(con, source, info, now)
                for tables, given in batches:
                    rejects = list(given)
                    for name, frame in tables.items():
                        offered += len(frame)
                        prepared = self._prepare(name, frame, source)
                        if (prepared["source"] != source).any():
                            raise ValidationError(
                                "a streamed batch carries rows of another source; stream one "
                                "source per ingest"
                            )
                        clean, bad = apply_rules(name, prepared, source=source)
                        rejects.extend(
                            Reject(reason=r, location=loc, raw=raw) for r, loc, raw in bad
                        )
                        offered -= len(bad)
                        self._check_repeats(con, TABLES[name], clean, now)
                        result.rows_written[name] = result.rows_written.get(
                            name, 0
                        ) + self._upsert_batch(con, TABLES[name], clean, now)
                    if rejects:
                        self._write_rejects(con, run_id, dataset, source, rejects, now)
                    n_rejects += len(rejects)
                for name in result.rows_written:
                    self._conflicts_by_asset(con, name, source, now)
                self._sources_cache.clear()
                result.rows_in = rows_in() if rows_in is not None else offered + n_rejects
                result.rows_rejected = n_rejects
                self._log_ingest(con, result, started)
        except duckdb.Error as exc:
            raise _write_error(dataset, exc) from exc
        return result

    @staticmethod
    def _register_source(
        con: duckdb.DuckDBPyConnection, source: str, info: Mapping[str, Any], now: dt.datetime
    ) -> None:
        """Record ``source`` in ``sources`` (first and last seen; its file's format, path and
        content hash when ``info`` gives them)."""
        con.execute(
            "INSERT OR IGNORE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                source,
                source_kind(source),
                info.get("format"),
                info.get("path"),
                info.get("content_hash"),
                now,
                now,
            ],
        )
        con.execute(
            "UPDATE sources SET last_seen = ?, format = coalesce(?, format), "
            "path = coalesce(?, path), content_hash = coalesce(?, content_hash) "
            "WHERE source = ?",
            [now, info.get("format"), info.get("path"), info.get("content_hash"), source],
        )

    @staticmethod
    def _log_ingest(
        con: duckdb.DuckDBPyConnection, result: IngestResult, started: dt.datetime
    ) -> None:
        """The ``ingest_log`` row of a successful write."""
        con.execute(
            "INSERT OR REPLACE INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.run_id,
                result.dataset,
                result.source,
                started,
                utcnow(),
                result.rows_in,
                result.total_written,
                result.rows_rejected,
                "ok",
                None,
            ],
        )

    #: Rows compared with other sources at a time after a streamed ingest.
    CONFLICT_GROUP_ROWS = 500_000

    def _conflicts_by_asset(
        self, con: duckdb.DuckDBPyConnection, table: str, source: str, now: dt.datetime
    ) -> None:
        """Conflicts of ``source``'s rows in ``table``, computed once after all batches,
        asset group by asset group (each group's rows whole, so no seam between batches
        splits a comparison; memory holds one group)."""
        col = conflict_asset_column(table)
        if col is None:
            return
        counts = con.execute(
            f"SELECT {col}, count(*) FROM {table} WHERE source = ? GROUP BY {col} ORDER BY {col}",
            [source],
        ).fetchall()
        group: list[str] = []
        size = 0
        for i, (asset, n) in enumerate(counts):
            group.append(asset)
            size += int(n)
            if size >= self.CONFLICT_GROUP_ROWS or i == len(counts) - 1:
                marks = ", ".join("?" for _ in group)
                frame = con.execute(
                    f"SELECT * FROM {table} WHERE source = ? AND {col} IN ({marks})",
                    [source, *group],
                ).df()
                detect_conflicts(con, table, frame.drop(columns=["ingested_at"]), source, now)
                group, size = [], 0

    def _upsert_batch(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, df: pd.DataFrame, now: dt.datetime
    ) -> int:
        """:meth:`_upsert_frame` without temporary tables: a long transaction would keep
        every batch's dropped temp tables until the commit."""
        if df.empty:
            return 0
        view = f"_batch_{uuid.uuid4().hex[:8]}"
        con.register(view, df)
        try:
            casts = ", ".join(
                f"CAST({c.name} AS {c.type}) AS {c.name}"
                for c in spec.columns
                if c.name != "ingested_at"
            )
            join = " AND ".join(f"s.{k} = t.{k}" for k in spec.stored_key)
            compare = [
                c for c in spec.column_names if c not in spec.stored_key and c != "ingested_at"
            ]
            differs = " OR ".join(f"s.{c} IS DISTINCT FROM t.{c}" for c in compare) or "FALSE"
            body = (
                f"FROM (SELECT {casts} FROM {view}) s LEFT JOIN {spec.name} t ON {join} "
                f"WHERE t.{spec.key[0]} IS NULL OR {differs}"
            )
            n = _one(con.execute(f"SELECT count(*) {body}"))
            written = int(n[0]) if n else 0
            if written:
                cols = [c for c in spec.column_names if c != "ingested_at"]
                con.execute(
                    f"INSERT OR REPLACE INTO {spec.name} ({', '.join(cols)}, ingested_at) "
                    f"SELECT {', '.join(f's.{c}' for c in cols)}, ?::TIMESTAMP {body}",
                    [now],
                )
        except duckdb.ConversionException as exc:
            raise ValidationError(
                f"table {spec.name!r}: a value cannot be stored as the column's type: {exc}. "
                "Check the input's units and number formats."
            ) from exc
        finally:
            con.unregister(view)
        return written

    def _check_repeats(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, df: pd.DataFrame, now: dt.datetime
    ) -> None:
        """Refuse a batch row whose key an earlier batch of this ingest (same ``now``)
        wrote with different values: the file holds the key twice."""
        if df.empty:
            return
        view = f"_batch_{uuid.uuid4().hex[:8]}"
        con.register(view, df)
        try:
            join = " AND ".join(
                f"CAST(s.{k} AS {spec.column(k).type}) = t.{k}" for k in spec.stored_key
            )
            compare = [
                c
                for c in spec.column_names
                if c not in spec.stored_key and c != "ingested_at" and c in df.columns
            ]
            differs = (
                " OR ".join(
                    f"CAST(s.{c} AS {spec.column(c).type}) IS DISTINCT FROM t.{c}" for c in compare
                )
                or "FALSE"
            )
            keys = ", ".join(f"t.{k}" for k in spec.key)
            row = con.execute(
                f"SELECT {keys} FROM {view} s JOIN {spec.name} t ON {join} "
                f"WHERE t.ingested_at = ? AND ({differs}) LIMIT 1",
                [now],
            ).fetchall()
        finally:
            con.unregister(view)
        if row:
            key = ", ".join(f"{k}={v}" for k, v in zip(spec.key, row[0], strict=True))
            raise ValidationError(
                f"table {spec.name!r}: the key ({key}) appears twice in the file with different "
                "values (in different parts of it); keep one row per key"
            )

    def _drop_source(self, con: duckdb.DuckDBPyConnection, source: str) -> None:
        """Delete a superseded source's rows, conflicts and bookkeeping row."""
        for name in TABLES:
            con.execute(f"DELETE FROM {name} WHERE source = ?", [source])
        con.execute("DELETE FROM conflicts WHERE source_a = ? OR source_b = ?", [source, source])
        con.execute("DELETE FROM sources WHERE source = ?", [source])

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
        key = list(spec.stored_key)
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
        join = " AND ".join(f"s.{k} = t.{k}" for k in spec.stored_key)
        compare = [c for c in spec.column_names if c not in spec.stored_key and c != "ingested_at"]
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
        resolve: bool = True,
        **filters: Any,
    ) -> pd.DataFrame:
        """Rows of a table as a long frame, filtered with bound parameters.

        Parameters
        ----------
        table
            A data table (``prices``, ``etf_flows``, ...) or a bookkeeping
            table (``ingest_log``, ``rejects``, ``sources``, ``conflicts``, ...).
        start, end
            Inclusive bounds on the table's date column (UTC).
        columns
            Columns to return (default all).
        resolve
            ``True`` (default): one row per natural key, from the source that
            wins by precedence (:meth:`source_ranks`; DESIGN.md, "The store:
            sources, precedence, conflicts"): a price row's fields all come
            from one source, its market cap from the best source that has
            one; option snapshots of the same chain from several files are
            one snapshot (the fullest wins); ETF flows defer to a published
            totals table. ``False``: every source's rows. A ``source=``
            filter reads that source's rows as stored.
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
        extra = ["market_cap_source"] if table == "prices" and resolve else []
        for c in [*cols, *filters]:
            if c not in known and c not in extra:
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
        if spec is not None and resolve and filters.get("source") is None:
            frame = self._read_resolved(spec, cols, where, params)
        else:
            order = ", ".join(spec.stored_key) if spec else "1"
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

    # ------------------------------------------------------------------ precedence
    def preferences(self) -> list[str]:
        """The preference list, first wins: ``altseason import --prefer`` entries
        recorded in the store (newest first), then ``Store(prefer=...)`` (config)."""
        stored: list[str] = []
        with contextlib.suppress(duckdb.CatalogException):
            stored = [
                str(r[0])
                for r in self._con.execute(
                    "SELECT value FROM preferences ORDER BY set_at DESC, value"
                ).fetchall()
            ]
        return list(dict.fromkeys([*stored, *self.prefer]))

    def set_preference(self, value: str) -> None:
        """Record a preference (a source id, a source-id prefix or a kind) in the store."""
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO preferences VALUES (?, ?)", [value, utcnow()])
        self._sources_cache.clear()

    def _table_sources(self, table: str) -> list[str]:
        if table not in self._sources_cache:
            rows = self._con.execute(f"SELECT DISTINCT source FROM {table}").fetchall()
            self._sources_cache[table] = sorted(str(r[0]) for r in rows)
        return self._sources_cache[table]

    def source_ranks(self, table: str) -> dict[str, int]:
        """``{source: rank}`` of a table's sources; 0 wins (see :mod:`altseason.store._sources`)."""
        return rank_sources(self._table_sources(table), self.preferences())

    def _rank_sql(self, table: str) -> tuple[str, list[Any]]:
        ranks = self.source_ranks(table)
        if not ranks:
            return "0", []
        parts = " ".join("WHEN ? THEN ?" for _ in ranks)
        params: list[Any] = []
        for src, r in ranks.items():
            params.extend([src, r])
        return f"CASE source {parts} ELSE {len(ranks)} END", params

    def _read_resolved(
        self, spec: TableSpec, cols: list[str], where: list[str], params: list[Any]
    ) -> pd.DataFrame:
        table = spec.name
        with self._lock:
            rank_sql, rank_params = self._rank_sql(table)
        want = spec.column_names if table in ("options", "etf_flows") else cols
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        keys = list(spec.key)
        base = f"SELECT *, {rank_sql} AS _rank FROM {table}{cond}"
        groups = _SEPARATE.get(table, [])
        lead = _LEAD.get(table)
        parts = [f"base AS ({base})"]
        order0 = f"({lead} IS NULL), _rank, source" if lead else "_rank, source"
        parts.append(
            f"g0 AS (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {', '.join(keys)} "
            f"ORDER BY {order0}) AS _rn FROM base) WHERE _rn = 1)"
        )
        select: list[str] = []
        joins = ""
        pseudo = _PSEUDO.get(table, {})
        for n, grp in enumerate(groups, start=1):
            gcols = ", ".join([*keys, *grp])
            parts.append(
                f"g{n} AS (SELECT {gcols}, source AS _src FROM (SELECT {gcols}, source, "
                f"row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY _rank, source) "
                f"AS _rn FROM base WHERE {grp[0]} IS NOT NULL) WHERE _rn = 1)"
            )
            on = " AND ".join(f"g0.{k} = g{n}.{k}" for k in keys)
            joins += f" LEFT JOIN g{n} ON {on}"
        for c in want:
            owner = next((n for n, g in enumerate(groups, 1) if c in g), None)
            if owner is not None:
                select.append(f"g{owner}.{c} AS {c}")
            elif c in pseudo:
                n = next(n for n, g in enumerate(groups, 1) if pseudo[c] in g)
                select.append(f"g{n}._src AS {c}")
            else:
                select.append(f"g0.{c} AS {c}")
        order = ", ".join(f"g0.{k}" for k in keys)
        sql = f"WITH {', '.join(parts)} SELECT {', '.join(select)} FROM g0{joins} ORDER BY {order}"
        with self._lock:
            frame = self._con.execute(sql, [*rank_params, *params]).df()
            if table == "options":
                frame = self._one_snapshot(frame)
            elif table == "etf_flows":
                frame = self._defer_to_totals(frame)
        if table in ("options", "etf_flows"):
            frame = frame[cols].reset_index(drop=True)
        return frame

    def _one_snapshot(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Option files of the same venue snapshot are one snapshot: the fullest chain wins.

        Snapshots of one venue and underlying less than :data:`SNAPSHOT_WINDOW`
        apart that share most instruments (at least half of the smaller one's)
        are the same chain; the source with the most instruments wins (then
        precedence, then the source id), so a strict subset never replaces the
        full chain, whichever file came first.
        """
        if frame.empty or frame["source"].nunique() < 2:
            return frame
        ranks = self.source_ranks("options")
        frame = frame.assign(snapshot_ts=pd.to_datetime(frame["snapshot_ts"]))
        snaps = (
            frame.groupby(["venue", "underlying", "source", "snapshot_ts"])["instrument"]
            .agg(lambda x: frozenset(x))
            .reset_index()
            .sort_values(["venue", "underlying", "snapshot_ts", "source"])
        )
        drop: set[tuple[str, str, str, pd.Timestamp]] = set()
        for _, grp in snaps.groupby(["venue", "underlying"], sort=False):
            rows = list(grp.itertuples(index=False))
            cluster: list[Any] = []
            clusters = []
            for r in rows:
                if cluster and r.snapshot_ts - cluster[-1].snapshot_ts > SNAPSHOT_WINDOW:
                    clusters.append(cluster)
                    cluster = []
                cluster.append(r)
            if cluster:
                clusters.append(cluster)
            for c in clusters:
                if len({r.source for r in c}) < 2:
                    continue
                best = min(c, key=lambda r: (-len(r.instrument), ranks.get(r.source, 0), r.source))
                for r in c:
                    if r.source == best.source:
                        continue
                    shared = len(r.instrument & best.instrument)
                    if shared >= 0.5 * len(r.instrument):
                        drop.add((r.venue, r.underlying, r.source, r.snapshot_ts))
        if not drop:
            return frame
        keys = pd.MultiIndex.from_frame(frame[["venue", "underlying", "source", "snapshot_ts"]])
        return frame[~keys.isin(list(drop))]

    def _defer_to_totals(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Within the span of a better-ranked source's ETF totals, that source decides the day.

        A day the totals source does not list counts as zero flow; lower-ranked
        rows that contradict it (per-fund rows whose sum differs from the
        published total by more than the ``etf_flows`` tolerance, or a
        lower-ranked total row) are dropped, so the sum of the resolved rows is
        the published total on every day of its span.
        """
        if frame.empty or frame["source"].nunique() < 2:
            return frame
        ranks = self.source_ranks("etf_flows")
        spans = self._con.execute(
            "SELECT source, underlying, min(date), max(date) FROM etf_flows "
            "WHERE upper(fund) LIKE 'TOTAL-%' GROUP BY source, underlying"
        ).fetchall()
        if not spans:
            return frame
        rel, abs_ = TOLERANCES["etf_flows"]["flow_usd"]
        frame = frame.assign(date=pd.to_datetime(frame["date"]))
        is_total = frame["fund"].astype(str).str.upper().str.startswith("TOTAL-")
        row_rank = frame["source"].map(ranks).fillna(len(ranks)).to_numpy()
        auth = pd.Series(None, index=frame.index, dtype=object)
        auth_rank = np.full(len(frame), np.inf)
        for src, under, lo, hi in sorted(spans, key=lambda t: ranks.get(t[0], len(ranks))):
            m = (
                (frame["underlying"] == under)
                & (frame["date"] >= pd.Timestamp(lo))
                & (frame["date"] <= pd.Timestamp(hi))
                & auth.isna()
            )
            auth[m] = src
            auth_rank[m.to_numpy()] = ranks.get(src, len(ranks))
        lower = auth.notna().to_numpy() & (row_rank > auth_rank)
        if not lower.any():
            return frame
        drop = lower & is_total.to_numpy()  # the authority lacks the day: it counts as 0
        published = frame[is_total & (frame["source"] == auth)].set_index(["underlying", "date"])[
            "flow_usd"
        ]
        funds = frame[lower & ~is_total.to_numpy()]
        if not funds.empty:
            sums = funds.groupby(["underlying", "date"])["flow_usd"].sum()
            total = published.reindex(sums.index).fillna(0.0)
            a, b = sums.to_numpy(float), total.to_numpy(float)
            bad_days = sums.index[
                np.abs(a - b) > np.maximum(rel * np.maximum(abs(a), abs(b)), abs_)
            ]
            if len(bad_days):
                idx = pd.MultiIndex.from_frame(frame[["underlying", "date"]])
                drop |= lower & ~is_total.to_numpy() & idx.isin(bad_days)
        return frame[~drop]

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
        """True when no data table holds a row other than reference data (the calendar)."""
        for t in TABLES:
            if self.count(t) == 0:
                continue
            if any(source_kind(s) not in _REFERENCE_KINDS for s in self._table_sources(t)):
                return False
        return True

    def status(self) -> list[TableStatus]:
        """Per data table: rows, assets, date range, sources, last ingest time and conflicts."""
        summary = self.conflict_summary()
        n_conf = summary.groupby("dataset")["conflicts"].sum().to_dict() if len(summary) else {}
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
                    conflicts=int(n_conf.get(name, 0)),
                )
            )
        return out

    def provenance(
        self, table: str, *, start: Any = None, end: Any = None, **filters: Any
    ) -> dict[str, Any]:
        """Row count, date range, sources, seams and conflicts behind a selection.

        Used by report findings so every number can be traced to its rows.
        The rows are the resolved ones (:meth:`read_table`). ``seams`` lists,
        per series, each day where the winning source changes
        (``{"key", "date", "from", "to"}``); ``market_cap_sources`` (prices)
        the sources of the resolved market caps; ``conflicts`` the number of
        stored conflicts on the selection (:meth:`selection_conflicts`).
        """
        spec = TABLES[table]
        date_col = spec.date_column
        series = [k for k in spec.key if k != date_col]
        cols = list(
            dict.fromkeys([*series, *([date_col] if date_col else []), "source", "ingested_at"])
        )
        if table == "prices":
            cols.append("market_cap_source")
        frame = self.read_table(table, start=start, end=end, columns=cols, **filters)
        seams: list[dict[str, Any]] = []
        if not frame.empty and date_col and series and frame["source"].nunique() > 1:
            ordered = frame.sort_values([*series, date_col])
            sk = ordered[series].astype(str).agg(":".join, axis=1)
            prev_src = ordered["source"].shift()
            change = (sk == sk.shift()) & (ordered["source"] != prev_src)
            for idx in ordered.index[change.to_numpy()][:200]:
                seams.append(
                    {
                        "key": sk[idx],
                        "date": str(pd.Timestamp(ordered.at[idx, date_col]).date()),
                        "from": str(prev_src[idx]),
                        "to": str(ordered.at[idx, "source"]),
                    }
                )
        out: dict[str, Any] = {
            "table": table,
            "rows": len(frame),
            "filters": {k: v for k, v in filters.items() if v is not None},
            "start": None if frame.empty or not date_col else str(frame[date_col].min().date()),
            "end": None if frame.empty or not date_col else str(frame[date_col].max().date()),
            "sources": sorted(frame["source"].unique().tolist()) if not frame.empty else [],
            "ingested_from": None if frame.empty else str(frame["ingested_at"].min()),
            "ingested_to": None if frame.empty else str(frame["ingested_at"].max()),
            "seams": seams,
        }
        if table == "prices":
            out["market_cap_sources"] = (
                sorted(frame["market_cap_source"].dropna().unique().tolist())
                if not frame.empty
                else []
            )
        out["conflicts"] = len(self.selection_conflicts(table, start=start, end=end, **filters))
        return out

    # ------------------------------------------------------------------ conflicts
    def conflicts(
        self,
        *,
        dataset: str | None = None,
        asset: str | None = None,
        start: Any = None,
        end: Any = None,
    ) -> pd.DataFrame:
        """Stored conflicts (DESIGN.md, "The store: sources, precedence, conflicts").

        Returns
        -------
        DataFrame
            One row per conflict: ``dataset, asset, key, date, field, sources``
            (``"a | b"``), ``values`` (``"va | vb"``), ``rel_diff``, ``kind``
            (``difference``, ``shift`` or ``unit``), ``note``, and the raw
            ``source_a, source_b, value_a, value_b``; sorted by dataset, key, date.
        """
        where, params = [], []
        if dataset is not None:
            where.append("dataset = ?")
            params.append(dataset)
        if asset is not None:
            where.append("upper(asset) = upper(?)")
            params.append(asset)
        if start is not None:
            where.append("date >= ?")
            params.append(pd.Timestamp(start).date())
        if end is not None:
            where.append("date <= ?")
            params.append(pd.Timestamp(end).date())
        sql = (
            "SELECT dataset, asset, key, date, field, source_a || ' | ' || source_b AS sources, "
            "value_a, value_b, rel_diff, kind, note, source_a, source_b FROM conflicts"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY dataset, key, date, field, source_a, source_b"
        try:
            with self._lock:
                frame = self._con.execute(sql, params).df()
        except duckdb.CatalogException:  # a store older than v3, opened read-only
            frame = pd.DataFrame(
                columns=[
                    "dataset", "asset", "key", "date", "field", "sources", "value_a",
                    "value_b", "rel_diff", "kind", "note", "source_a", "source_b",
                ]
            )  # fmt: skip
        frame["date"] = pd.to_datetime(frame["date"])
        frame.insert(
            6,
            "values",
            [f"{_g(a)} | {_g(b)}" for a, b in zip(frame["value_a"], frame["value_b"], strict=True)],
        )
        return frame

    def selection_conflicts(
        self, table: str, *, start: Any = None, end: Any = None, **filters: Any
    ) -> pd.DataFrame:
        """Conflicts touching the inputs of a selection of ``table``.

        The report layer calls this (or :meth:`has_conflicts`) with the same
        arguments as :meth:`read_table` to learn whether the rows behind a
        finding include facts on which sources disagree. Filters on the asset
        column (``asset_id``, ``underlying``, ``series_id``, ``index_id``) and
        on ``fund`` narrow the result; other filters are ignored (the answer
        then covers more, never less). Only conflicts involving a source that
        the resolved selection actually uses are returned.

        Returns
        -------
        DataFrame
            The rows of :meth:`conflicts` that apply.
        """
        frame = self.conflicts(dataset=table, start=start, end=end)
        if frame.empty:
            return frame
        for col in ("asset_id", "underlying", "series_id", "index_id"):
            v = filters.get(col)
            if v is not None:
                vals = {str(x).upper() for x in (v if _listlike(v) else [v])}
                frame = frame[frame["asset"].str.upper().isin(vals)]
        if filters.get("fund") is not None:
            v = filters["fund"]
            vals = {str(x) for x in (v if _listlike(v) else [v])}
            frame = frame[frame["key"].isin(vals)]
        if frame.empty:
            return frame
        used = set(self._table_sources(table))
        return frame[frame["source_a"].isin(used) | frame["source_b"].isin(used)].reset_index(
            drop=True
        )

    def has_conflicts(
        self, table: str, *, start: Any = None, end: Any = None, **filters: Any
    ) -> bool:
        """True when the inputs of this selection include conflicting rows
        (:meth:`selection_conflicts` is not empty)."""
        return not self.selection_conflicts(table, start=start, end=end, **filters).empty

    def conflict_summary(self) -> pd.DataFrame:
        """Conflicts counted per dataset and kind (``dataset, kind, conflicts, keys``)."""
        try:
            with self._lock:
                return self._con.execute(
                    "SELECT dataset, kind, count(*) AS conflicts, count(DISTINCT key) AS keys "
                    "FROM conflicts GROUP BY dataset, kind ORDER BY dataset, kind"
                ).df()
        except duckdb.CatalogException:
            return pd.DataFrame(columns=["dataset", "kind", "conflicts", "keys"])


def _g(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.6g}"


def _listlike(v: Any) -> bool:
    return isinstance(v, (list, tuple, set, frozenset, np.ndarray, pd.Index))


def open_store(
    path: str | Path,
    *,
    read_only: bool = False,
    create: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Store:
    """Open (and if needed create and migrate) the store at ``path``."""
    return Store(path, read_only=read_only, create=create, lock_timeout=lock_timeout)
