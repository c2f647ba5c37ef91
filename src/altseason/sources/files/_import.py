"""Import files into the store: detect, read, validate, merge, write atomically.

Each file goes through ONE :meth:`Store.ingest` call (one transaction):
``dataset`` is the file's absolute path and ``source`` is
``file:<format>:<file name>``.

Rows from several sources
-------------------------
Many files cover the same keys (BTC's close on a day comes from Binance,
Bybit, Coinbase, CoinMarketCap ...). So that importing the same files again,
in any order, changes nothing, a row that already exists is merged:

* stored by the **same source**: the file's non-empty values replace the
  stored ones (a corrected re-export wins); empty cells keep stored values;
* stored by **another source**: the stored values are kept; only columns
  the stored row lacks (NULL) are filled from the file (e.g. open interest
  onto a funding row, a sector onto an asset). The row keeps its source.
  The number of rows kept this way is in the file's report.

``replace=True`` (``--replace``) writes the file's rows as they are instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from altseason.exceptions import AltseasonError, FormatError, ValidationError
from altseason.sources._validate import OnError, check_on_error, validate_tables
from altseason.sources.files._base import Reader, ReadOptions, ReadResult
from altseason.sources.files._open import check_input_file, walk_folder
from altseason.sources.files._registry import detect_format, get_reader
from altseason.store import TABLES, Store

__all__ = [
    "FileReport",
    "ImportSummary",
    "import_file",
    "import_files",
    "list_files",
    "plan_files",
    "read_file",
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
    rows_kept: int = 0
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


def _merge_existing(
    store: Store, table: str, frame: pd.DataFrame, source: str
) -> tuple[pd.DataFrame, int]:
    """Merge a frame with the rows already stored under its keys (module docstring)."""
    spec = TABLES[table]
    key = list(spec.key)
    if frame.empty:
        return frame, 0
    view = f"_keys_{uuid.uuid4().hex[:8]}"
    keys = frame[key].drop_duplicates()
    cur = store.cursor()  # its own cursor: never disturbs a pending result on store.con
    try:
        cur.register(view, keys)
        join = " AND ".join(f"t.{k} = k.{k}" for k in key)
        old = cur.execute(f"SELECT t.* FROM {table} t JOIN {view} k ON {join}").df()
        cur.unregister(view)
    finally:
        cur.close()
    if old.empty:
        return frame, 0
    for k in key:
        if pd.api.types.is_datetime64_any_dtype(frame[k]):
            old[k] = pd.to_datetime(old[k]).astype(frame[k].dtype)
    values = [c for c in spec.column_names if c not in key and c not in ("source", "ingested_at")]
    new = frame.copy()
    for c in values:
        if c not in new.columns:
            new[c] = np.nan if spec.column(c).type == "DOUBLE" else None
    merged = new.merge(
        old[[*key, *values, "source"]].rename(
            columns={c: f"{c}__old" for c in [*values, "source"]}
        ),
        on=key,
        how="left",
    )
    exists = merged["source__old"].notna()
    same = exists & (merged["source__old"] == source)
    other = exists & ~same
    changed_other = pd.Series(False, index=merged.index)
    for c in values:
        old_c = merged[f"{c}__old"]
        new_c = merged[c]
        keep_old = other & old_c.notna()
        if keep_old.any():
            differs = keep_old & new_c.notna() & (new_c.astype(object) != old_c.astype(object))
            changed_other |= differs
        take_old = (other & old_c.notna()) | (same & new_c.isna() & old_c.notna())
        if take_old.any():
            col = new_c.astype(object) if new_c.dtype != old_c.dtype else new_c.copy()
            col[take_old] = (
                old_c[take_old].astype(object) if col.dtype == object else old_c[take_old]
            )
            merged[c] = col
    merged["source"] = merged["source__old"].where(other, source)
    out = merged[[*key, *values, "source"]]
    for c in values:
        if spec.column(c).type == "DOUBLE":
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        elif spec.column(c).type == "BOOLEAN":
            out[c] = out[c].astype(object)
    return out, int(changed_other.sum())


def import_file(
    store: Store,
    path: str | Path,
    *,
    format: str | None = None,
    options: ReadOptions | None = None,
    on_error: OnError = "fail",
    replace: bool = False,
    reader: Reader | None = None,
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
        Overwrite rows stored by other sources instead of merging (module docstring).

    Returns
    -------
    FileReport
        Rows read, valid, written per table, rejected and kept; notes.

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
    used, result = read_file(p, format=format, options=options, on_error=on_error)
    source = f"file:{used.name}:{p.name}"
    kept = 0
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in result.tables.items():
        if replace:
            tables[name] = frame
        else:
            tables[name], n = _merge_existing(store, name, frame, source)
            kept += n
    valid = sum(len(f) for f in result.tables.values())
    ingest = store.ingest(
        dataset=str(p.resolve()),
        source=source,
        tables=tables,
        rejects=result.rejects,
        rows_in=result.rows_read,
    )
    notes = list(result.notes)
    if kept:
        notes.append(
            f"{kept:,} row(s) already stored from another source kept their values "
            "(--replace overwrites them)"
        )
    return FileReport(
        path=p,
        format=used.name,
        source=source,
        rows_read=result.rows_read,
        rows_valid=valid,
        rows_written=dict(ingest.rows_written),
        rows_rejected=len(result.rejects),
        rows_kept=kept,
        notes=notes,
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
                store, p, options=options, on_error=on_error, replace=replace, reader=reader
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
