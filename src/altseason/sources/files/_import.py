"""Import files into the store: detect, read, validate, write atomically.

Each file goes through ONE :meth:`Store.ingest` call (one transaction):
``dataset`` is the file's absolute path and ``source`` is
``file:<format>:<file name>#<hash>``, where ``<hash>`` is the first 12 hex
digits of the SHA-256 of the file's bytes (and of the read options that
shape its rows). So:

* two different files with the same name in different folders are two
  sources and never overwrite each other;
* importing the same file again writes nothing (same source, same rows);
* a file at the same path with new content (a corrected re-export)
  *supersedes* the previous version: that version's rows are deleted in the
  same transaction.

Rows from several sources
-------------------------
Rows are never merged across sources: every source's rows are stored as they
are, and reads resolve one source per fact by precedence (DESIGN.md, "The
store: sources, precedence, conflicts"). Disagreements are recorded in the
``conflicts`` table at ingest. ``prefer=`` (``--prefer``) records a
preference (a source id, a source-id prefix or a kind) that reads honour
before the default precedence.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from altseason.exceptions import AltseasonError, FormatError, ValidationError
from altseason.sources._validate import OnError, check_on_error, validate_tables
from altseason.sources.files._base import Reader, ReadOptions, ReadResult
from altseason.sources.files._open import (
    check_import_size,
    check_input_file,
    current_limits,
    walk_folder,
)
from altseason.sources.files._registry import detect_format, get_reader
from altseason.store import IngestResult, Reject, Store

__all__ = [
    "FileReport",
    "ImportSummary",
    "file_source_id",
    "import_file",
    "import_files",
    "list_files",
    "plan_files",
    "read_file",
    "store_reference",
]

_IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db"})


@dataclass
class FileReport:
    """What importing one file did."""

    path: Path
    format: str
    source: str
    rows_read: int
    rows_valid: int
    rows_written: dict[str, int] = field(default_factory=dict)
    rows_rejected: int = 0
    conflicts: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total_written(self) -> int:
        """Rows written over all tables."""
        return sum(self.rows_written.values())


@dataclass
class ImportSummary:
    """Reports of the imported files and the files skipped as unknown."""

    reports: list[FileReport] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)

    @property
    def total_written(self) -> int:
        """Rows written over all files."""
        return sum(r.total_written for r in self.reports)


def list_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files named by ``paths``; folders are walked recursively (sorted, hidden files skipped).

    Raises
    ------
    ValidationError
        A path that does not exist, or a folder holding no files.
    """
    out: list[Path] = []
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir():
            # walk_folder reports unreadable subfolders, FIFOs and devices (never skipped)
            found = sorted(f for f in walk_folder(path) if f.name not in _IGNORED_NAMES)
            if not found:
                raise ValidationError("the folder holds no files to import", path=str(path))
            out.extend(found)
        elif path.is_file():
            check_input_file(path)
            out.append(path)
        elif os.path.lexists(path):
            check_input_file(path)  # a FIFO, device or unreadable path: says which
            raise ValidationError("cannot import this path; check it", path=str(path))
        else:
            raise ValidationError("no such file or folder; check the path", path=str(path))
    seen: set[Path] = set()
    unique = []
    for f in out:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique


def plan_files(
    paths: Sequence[Path], *, format: str | None = None, skip_unknown: bool = False
) -> tuple[list[tuple[Path, Reader]], list[Path]]:
    """Pair each file with its reader before anything is read in full.

    Returns
    -------
    planned, unknown
        ``[(file, reader)]`` and the files no rule recognised (only when
        ``skip_unknown``).

    Raises
    ------
    FormatError
        Files whose format cannot be detected (all listed), unless
        ``skip_unknown``; an unknown ``format`` name; an ambiguous file.
    """
    if format is not None:
        reader = get_reader(format)
        return [(p, reader) for p in paths], []
    planned: list[tuple[Path, Reader]] = []
    unknown: list[Path] = []
    for p in paths:
        r = detect_format(p)
        if r is None:
            unknown.append(p)
        else:
            planned.append((p, r))
    if unknown and not skip_unknown:
        shown = ", ".join(str(u) for u in unknown[:8])
        more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
        raise FormatError(
            f"cannot detect the format of {len(unknown)} file(s): {shown}{more}. Pass --format "
            "(see 'altseason import --help' for the formats), map columns with --map, or "
            "--skip-unknown to import the rest"
        )
    return planned, unknown


def read_file(
    path: str | Path,
    *,
    format: str | None = None,
    options: ReadOptions | None = None,
    on_error: OnError = "fail",
) -> tuple[Reader, ReadResult]:
    """Read and validate one file without writing it.

    Returns
    -------
    reader, result
        The reader used and its validated result: clean frames in store
        columns, rejects (``on_error="reject"``) and notes.

    Raises
    ------
    FormatError
        Unknown or ambiguous format.
    ValidationError
        A bad row with ``on_error="fail"`` (file, line, column and the fix).
    """
    p = Path(path)
    mode = check_on_error(on_error)
    opts = options or ReadOptions()
    if format is not None:
        reader = get_reader(format)
    else:
        detected = detect_format(p)
        if detected is None:
            raise FormatError(
                "cannot detect the file's format; pass --format (see 'altseason import "
                "--help') or map its columns with --map column=field",
                path=str(p),
            )
        reader = detected
    try:
        result = reader.read(p, opts)
    except KeyError as exc:  # a forced --format whose columns the file lacks
        raise FormatError(
            f"the file has no field {exc.args[0]!r}, which the {reader.name} format needs; "
            "check --format or the file's header",
            path=str(p),
        ) from exc
    tables, rejects, notes = validate_tables(
        result.tables,
        path=str(p),
        on_error=mode,
        columns=result.columns,
        today=opts.today,
        rejects=result.rejects,
        notes=result.notes,
    )
    return reader, ReadResult(
        tables=tables,
        rejects=rejects,
        notes=notes,
        rows_read=result.rows_read,
        columns=result.columns,
    )


def file_source_id(path: Path, format: str, options: ReadOptions | None = None) -> str:
    """The source id of a file: ``file:<format>:<name>#<content hash>`` (module docstring)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if options is not None and options != ReadOptions():
        digest.update(repr(options).encode())
    return f"file:{format}:{path.name}#{digest.hexdigest()[:12]}"


def _previous_versions(store: Store, path: str, source: str) -> list[str]:
    """Sources recorded for the same path with other content (they are superseded)."""
    try:
        rows = store.con.execute(
            "SELECT source FROM sources WHERE path = ? AND source <> ?", [path, source]
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [str(r[0]) for r in rows]


def store_reference(store: Store, path: str) -> Callable[[str], pd.DataFrame]:
    """``reference(asset_id)``: the median USD volume and market cap per day that the
    store's sources give for the asset, leaving out every version of the file at
    ``path`` (evidence for :func:`~._prices.decide_volume_unit`)."""
    cache: dict[str, pd.DataFrame] = {}

    def reference(asset: str) -> pd.DataFrame:
        if asset not in cache:
            try:
                frame = store.con.execute(
                    "SELECT date, median(volume_usd) AS volume_usd, "
                    "median(market_cap_usd) AS market_cap FROM prices "
                    "WHERE asset_id = ? AND source NOT IN "
                    "(SELECT source FROM sources WHERE path = ?) GROUP BY date",
                    [asset, path],
                ).df()
            except duckdb.Error:
                frame = pd.DataFrame(columns=["date", "volume_usd", "market_cap"])
            frame["date"] = pd.to_datetime(frame["date"])
            cache[asset] = frame.set_index("date").sort_index()
        return cache[asset]

    return reference


def import_file(
    store: Store,
    path: str | Path,
    *,
    format: str | None = None,
    options: ReadOptions | None = None,
    on_error: OnError = "fail",
    replace: bool = False,
    reader: Reader | None = None,
    prefer: str | None = None,
) -> FileReport:
    """Read, validate and write one file in one atomic ingest.

    Parameters
    ----------
    store
        The warehouse to write to.
    path
        The file.
    format
        Reader name (default: detected from the content).
    options
        Reader options (snapshot time, asset, column mapping).
    on_error
        ``"fail"`` (default): any bad row raises and nothing is written;
        ``"reject"``: bad rows go to the ``rejects`` table, good rows are written.
    replace
        Prefer this file's source over every other in reads (same as
        ``prefer=<its source id>``); nothing is overwritten.
    prefer
        Record a read preference (a source id, a source-id prefix or a kind)
        in the store; reads honour it before the default precedence.

    Returns
    -------
    FileReport
        Rows read, valid, written per table, rejected; conflicts of this
        file's source with others; notes.

    Raises
    ------
    FormatError, ValidationError
        Nothing was written.
    StoreError
        The write failed and was rolled back.
    """
    p = Path(path)
    if reader is not None:
        format = reader.name
    resolved = str(p.resolve())
    opts = options or ReadOptions()
    if opts.reference is None:
        opts = dataclasses.replace(opts, reference=store_reference(store, resolved))
    streamed = _streamed(p, reader or (get_reader(format) if format else None), opts)
    if streamed is not None:
        used, batches = streamed
        source = file_source_id(p, used.name, options)
        previous = _previous_versions(store, resolved, source)
        ingest, valid, rows_read, read_notes = _ingest_stream(
            store, p, used, batches, source, previous, opts, check_on_error(on_error)
        )
        notes = read_notes
    else:
        used, result = read_file(p, format=format, options=opts, on_error=on_error)
        source = file_source_id(p, used.name, options)
        previous = _previous_versions(store, resolved, source)
        valid = sum(len(f) for f in result.tables.values())
        rows_read = result.rows_read
        ingest = store.ingest(
            dataset=resolved,
            source=source,
            tables=result.tables,
            rejects=result.rejects,
            rows_in=result.rows_read,
            source_info={
                "format": used.name,
                "path": resolved,
                "content_hash": source.rsplit("#", 1)[1],
            },
            supersedes=previous,
        )
        notes = list(result.notes)
    if previous:
        notes.append(f"replaces the earlier version of this file ({', '.join(previous)})")
    if prefer or replace:
        store.set_preference(prefer or source)
        notes.append(f"reads now prefer {prefer or source}")
    row = store.con.execute(
        "SELECT count(*) FROM conflicts WHERE source_a = ? OR source_b = ?", [source, source]
    ).fetchone()
    n_conf = int(row[0]) if row else 0
    if n_conf:
        notes.append(
            f"{n_conf:,} conflict(s) with other sources beyond tolerance "
            "(see 'altseason conflicts')"
        )
    return FileReport(
        path=p,
        format=used.name,
        source=source,
        rows_read=rows_read,
        rows_valid=valid,
        rows_written=dict(ingest.rows_written),
        rows_rejected=ingest.rows_rejected,
        conflicts=n_conf,
        notes=notes,
    )


MAX_STREAM_NOTES = 20
"""Distinct notes kept from the batches of a streamed file."""


def _streamed(
    path: Path, reader: Reader | None, options: ReadOptions
) -> tuple[Reader, Iterator[ReadResult]] | None:
    """``(reader, batches)`` when the file is over the whole-file cap and its reader
    streams it with these options; None to read it whole (which applies the cap)."""
    st = check_input_file(path)
    limits = current_limits()
    if st.st_size <= limits.import_max_inmemory_bytes:
        return None
    if reader is None:
        reader = detect_format(path)
    if reader is None or reader.stream is None:
        return None
    check_import_size(path, limits, whole=False)
    batches = reader.stream(path, options)
    return None if batches is None else (reader, batches)


def _ingest_stream(
    store: Store,
    path: Path,
    reader: Reader,
    batches: Iterator[ReadResult],
    source: str,
    previous: list[str],
    options: ReadOptions,
    on_error: OnError,
) -> tuple[IngestResult, int, int, list[str]]:
    """Validate and write a streamed file batch by batch in one transaction.

    Returns the ingest result, valid rows, rows read and the (distinct) notes."""
    state = {"rows": 0, "valid": 0}
    notes: list[str] = []

    def validated() -> Iterator[tuple[dict[str, pd.DataFrame], list[Reject]]]:
        for result in batches:
            try:
                tables, rejects, batch_notes = validate_tables(
                    result.tables,
                    path=str(path),
                    on_error=on_error,
                    columns=result.columns,
                    today=options.today,
                    rejects=result.rejects,
                    notes=result.notes,
                )
            except KeyError as exc:
                raise FormatError(
                    f"the file has no field {exc.args[0]!r}, which the {reader.name} format "
                    "needs; check --format or the file's header",
                    path=str(path),
                ) from exc
            state["rows"] += result.rows_read
            state["valid"] += sum(len(f) for f in tables.values())
            for n in batch_notes:
                if n not in notes and len(notes) < MAX_STREAM_NOTES:
                    notes.append(n)
            yield tables, rejects

    try:
        ingest = _write_batches(store, path, reader, validated(), source, previous, state)
    except ValidationError as exc:
        if exc.path is not None:
            raise
        raise ValidationError(
            f"{exc.args[0] if exc.args else exc}; nothing was written", path=str(path)
        ) from exc
    notes.append(
        f"read in batches (a file over {current_limits().import_max_inmemory_bytes >> 20} MiB), "
        "written in one transaction; gap checks ran per batch"
    )
    return ingest, state["valid"], state["rows"], notes


def _write_batches(
    store: Store,
    path: Path,
    reader: Reader,
    batches: Iterator[tuple[dict[str, pd.DataFrame], list[Reject]]],
    source: str,
    previous: list[str],
    state: dict[str, int],
) -> IngestResult:
    return store.ingest_batches(
        dataset=str(path.resolve()),
        source=source,
        batches=batches,
        rows_in=lambda: state["rows"],
        source_info={
            "format": reader.name,
            "path": str(path.resolve()),
            "content_hash": source.rsplit("#", 1)[1],
        },
        supersedes=previous,
    )


def import_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    options: ReadOptions | None = None,
    on_error: OnError = "fail",
    skip_unknown: bool = False,
    replace: bool = False,
    progress: Callable[[Path, int, int], None] | None = None,
    prefer: str | None = None,
) -> ImportSummary:
    """Import files and folders (recursively), each file with its own format.

    Formats are detected for every file before any is read in full, so an
    undetectable file stops the batch before anything is written (unless
    ``skip_unknown``). Each file is then written in its own transaction; if
    file *k* fails, files before it stay imported and the error says so.

    Parameters
    ----------
    progress
        Called as ``progress(path, index, total)`` before each file.

    Returns
    -------
    ImportSummary
        One :class:`FileReport` per imported file and the skipped files.
    """
    files = list_files(paths)
    planned, unknown = plan_files(files, format=format, skip_unknown=skip_unknown)
    summary = ImportSummary(skipped=unknown)
    total = len(planned)
    for i, (p, reader) in enumerate(planned):
        if progress is not None:
            progress(p, i, total)
        try:
            report = import_file(
                store,
                p,
                options=options,
                on_error=on_error,
                replace=replace,
                reader=reader,
                prefer=prefer,
            )
        except AltseasonError as exc:
            if i == 0:
                raise
            _note_partial(exc, i)
            raise
        summary.reports.append(report)
    if progress is not None and total:
        progress(planned[-1][0], total, total)
    return summary


def _note_partial(exc: AltseasonError, done: int) -> None:
    """Append "the N files before it were imported" to an error's message."""
    suffix = f" (the {done} file(s) before it were imported; each file is written atomically)"
    exc.args = (f"{exc.args[0]}{suffix}" if exc.args else suffix.strip(), *exc.args[1:])
    if isinstance(exc, ValidationError):
        exc.reason = f"{exc.reason}{suffix}"
