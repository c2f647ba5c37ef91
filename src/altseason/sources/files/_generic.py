"""Generic CSV / Parquet import with a column mapping, long or wide.

* **Long**: columns named like the store's fields (``asset_id, date,
  close``) are taken as they are; others are mapped with ``--map
  column=field`` (``ReadOptions.mapping``); fixed values with
  ``--map field:=value`` (``ReadOptions.constants``).
* Header names match store fields and ``--map`` columns case-insensitively
  (``Date`` is ``date``); ``--date-from-filename`` sets ``date`` from the
  file name (``..._20251103.csv``) for snapshot files without a date column.
* **Wide**: ``--map '*=close'`` melts every unmapped column into ``close``,
  the column name filling the table's one remaining key column (``asset_id``
  for prices, ``series_id`` for macro, ``fund`` for ETF flows, ...).

The table is the one whose required columns the mapped frame covers
(``--table`` when several fit). Values must already be in the store's units
(USD, decimals, UTC). Unmapped columns that are no field of the table are
ignored with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from altseason.exceptions import FormatError
from altseason.sources._validate import LINE_COL
from altseason.sources.files._base import (
    Reader,
    ReadOptions,
    ReadResult,
    date_from_name,
    header_keys,
    is_parquet,
    read_csv_chunks,
    read_csv_text,
)
from altseason.store import TABLES

__all__ = ["GENERIC_READERS", "infer_table"]

_PROV = {"source", "ingested_at"}


def _fields(table: str) -> set[str]:
    return {c for c in TABLES[table].column_names if c not in _PROV}


def _required(table: str) -> set[str]:
    return {c.name for c in TABLES[table].columns if not c.nullable and c.name not in _PROV}


def infer_table(
    columns: set[str], *, wide_field: str | None = None
) -> list[tuple[str, str | None]]:
    """Tables a set of field names fits: ``[(table, key column filled by a wide melt)]``."""
    out: list[tuple[str, str | None]] = []
    for table in TABLES:
        fields = _fields(table)
        if wide_field is not None:
            if wide_field not in fields:
                continue
            missing_keys = [k for k in TABLES[table].key if k not in columns]
            if len(missing_keys) != 1:
                continue
            have = columns | {wide_field, missing_keys[0]}
            if _required(table) <= have and columns <= fields:
                out.append((table, missing_keys[0]))
        elif _required(table) <= columns:
            out.append((table, None))
    return out


def _as_fields(names: list[str]) -> set[str]:
    return {n for n in names if n != LINE_COL}


def _name_day(path: Path) -> pd.Timestamp | None:
    try:
        return date_from_name(path)
    except FormatError:
        return None


def _fits(cols: set[str], path: Path) -> bool:
    """True when the columns (plus a date from the file name, if it has one) fill a table."""
    if any(cols <= _fields(t) for t, _ in infer_table(cols)):
        return True
    if "date" in cols or _name_day(path) is None:
        return False
    with_date = cols | {"date"}
    return any(with_date <= _fields(t) for t, _ in infer_table(with_date))


def _detect_csv(path: Path, head: str) -> bool:
    if not head or path.suffix.lower() in (".json", ".zstd", ".zst"):
        return False
    cols = set(header_keys(head))
    return bool(cols) and _fits(cols, path)


def _detect_parquet(path: Path, head: str) -> bool:
    if head or not is_parquet(path):
        return False
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        cols = {n.strip().lower() for n in pq.read_schema(path).names}
    except (pa.ArrowException, OSError):  # corrupt or truncated: no rule matches
        return False
    return _fits(cols, path)


def _load(path: Path) -> pd.DataFrame:
    if is_parquet(path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            # full validation first: a damaged page can hold invalid UTF-8 that pyarrow
            # reads without complaint and only trips over later
            pq.read_table(path).validate(full=True)
            frame = pd.read_parquet(path)
        except (pa.ArrowException, OSError) as exc:
            from altseason.exceptions import FormatError

            raise FormatError(
                f"cannot read the Parquet file ({exc}); it is truncated or corrupt",
                path=str(path),
            ) from exc
        frame[LINE_COL] = pd.array(range(1, len(frame) + 1), dtype="Int64")
        if frame.empty:
            from altseason.exceptions import ValidationError

            raise ValidationError("the Parquet file has no rows", path=str(path))
        return frame
    return read_csv_text(path)


def _case_insensitive(frame: pd.DataFrame, mapping: dict[str, str]) -> dict[str, str]:
    """Resolve ``--map`` columns and store-field headers case-insensitively.

    Returns the mapping with its keys spelled as in the file, plus
    ``{Header: field}`` for unmapped headers equal to a store field but for
    case and surrounding spaces (``Date`` -> ``date``).
    """
    by_low: dict[str, list[str]] = {}
    for c in frame.columns:
        if c != LINE_COL:
            by_low.setdefault(str(c).strip().lower(), []).append(c)
    out: dict[str, str] = {}
    for src, dst in mapping.items():
        hits = by_low.get(src.strip().lower(), [])
        out[hits[0] if src not in frame.columns and len(hits) == 1 else src] = dst
    all_fields = set().union(*(_fields(t) for t in TABLES))
    taken = set(out.values())
    for c in frame.columns:
        if c == LINE_COL or c in out or c in all_fields:
            continue
        low = str(c).strip().lower()
        if low in all_fields and low not in taken and low not in frame.columns:
            out[c] = low
            taken.add(low)
    return out


STREAM_CHUNK_ROWS = 200_000
"""Lines per batch when a large generic CSV is streamed (--map)."""


def _read_generic(path: Path, options: ReadOptions) -> ReadResult:
    return _generic_frame(_load(path), path, options)


def _stream_generic(path: Path, options: ReadOptions) -> Iterator[ReadResult] | None:
    """A large generic CSV in batches, when ``--map`` says what its columns are.

    Without ``--map`` (a file recognised only by its header) or for Parquet, None:
    such files are read whole, within the whole-file cap."""
    if not options.mapping or is_parquet(path):
        return None
    return (
        _generic_frame(chunk, path, options)
        for chunk in read_csv_chunks(path, STREAM_CHUNK_ROWS, options.progress)
    )


def _generic_frame(frame: pd.DataFrame, path: Path, options: ReadOptions) -> ReadResult:
    mapping = dict(options.mapping)
    wide_field = mapping.pop("*", None)
    mapping = _case_insensitive(frame, mapping)
    unknown_src = [c for c in mapping if c not in frame.columns]
    if unknown_src:
        raise FormatError(
            f"--map names column(s) {unknown_src} that the file does not have; it has "
            f"{[c for c in frame.columns if c != LINE_COL]}",
            path=str(path),
        )
    frame = frame.rename(columns=mapping)
    src_of = {v: k for k, v in mapping.items()}
    for field, value in options.constants.items():
        frame[field] = value
    notes: list[str] = []
    present = _as_fields(list(frame.columns))
    all_fields = set().union(*(_fields(t) for t in TABLES))
    name_day = (
        wide_field is None
        and "date" not in present
        and not infer_table(present & all_fields)
        and _name_day(path) is not None
    )
    if options.date_from_filename or name_day:
        day = date_from_name(path)
        if day is None:
            raise FormatError(
                "--date-from-filename: the file name holds no date; rename it to include the "
                "day (e.g. name_20251103.csv)",
                path=str(path),
            )
        if "date" in frame.columns:
            notes.append(f"date column replaced by {day.date()} from the file name")
        else:
            notes.append(f"date {day.date()} from the file name")
        frame["date"] = day.strftime("%Y-%m-%d")
        src_of["date"] = "file name"
    present = _as_fields(list(frame.columns))
    all_fields = set().union(*(_fields(t) for t in TABLES))
    if wide_field is not None:
        known = present & all_fields
        candidates = infer_table(known, wide_field=wide_field)
    else:
        candidates = infer_table(present & all_fields)
    if options.table:
        candidates = [c for c in candidates if c[0] == options.table]
    if not candidates:
        raise FormatError(
            "the columns (after --map) fit no store table; map the file's columns to fields "
            "with --map column=field (e.g. --map Close=close --map Ticker=asset_id), or "
            "--map '*=close' for a wide file with one column per asset",
            path=str(path),
        )
    if len(candidates) > 1:
        names = ", ".join(t for t, _ in candidates)
        raise FormatError(
            f"the columns fit several tables ({names}); choose one with --table", path=str(path)
        )
    table, melt_key = candidates[0]
    fields = _fields(table)
    if melt_key is not None and wide_field is not None:
        id_cols = [c for c in frame.columns if c in fields or c == LINE_COL]
        value_cols = [c for c in frame.columns if c not in id_cols]
        frame = frame.melt(
            id_vars=id_cols, value_vars=value_cols, var_name=melt_key, value_name=wide_field
        )
        frame = frame[frame[wide_field].notna()]
        notes.append(f"wide file: {len(value_cols)} columns melted into {melt_key} / {wide_field}")
    ignored = [c for c in frame.columns if c not in fields and c != LINE_COL]
    if ignored:
        notes.append(f"ignored column(s) that are not fields of {table}: {', '.join(ignored)}")
        frame = frame.drop(columns=ignored)
    if "is_stablecoin" in frame.columns and frame["is_stablecoin"].dtype != bool:
        text = frame["is_stablecoin"].astype("string").str.strip().str.lower()
        frame["is_stablecoin"] = text.isin(["true", "1", "yes", "y", "t"])
    notes.insert(0, f"generic import into {table}")
    return ReadResult(
        tables={table: frame.reset_index(drop=True)},
        notes=notes,
        rows_read=int(frame[LINE_COL].nunique()) if LINE_COL in frame else len(frame),
        columns={table: src_of},
    )


GENERIC_READERS = (
    Reader(
        "csv",
        "generic CSV in store fields, long or wide (with --map col=field)",
        _detect_csv,
        _read_generic,
        _stream_generic,
    ),
    Reader(
        "parquet",
        "generic Parquet in store fields, long or wide (with --map col=field)",
        _detect_parquet,
        _read_generic,
    ),
)
