"""Shared pieces of the file readers: options, results, the reader record, CSV reading.

A reader turns one file into frames shaped like the store's tables. It never
writes and never prints; :mod:`altseason.sources.files._import` validates and
writes what it returns.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from altseason.exceptions import FormatError, ValidationError
from altseason.sources._validate import LINE_COL
from altseason.sources.files._open import (
    check_import_size,
    current_limits,
    open_decompressed,
)
from altseason.store import Reject

__all__ = [
    "HEAD_BYTES",
    "ReadOptions",
    "ReadResult",
    "Reader",
    "base_asset",
    "canonical_columns",
    "date_from_name",
    "decimal_commas",
    "first_line",
    "has_columns",
    "header_fields",
    "header_keys",
    "read_csv_chunks",
    "read_csv_text",
    "read_head",
    "slugify",
    "sniff_delimiter",
    "stream_position",
]

HEAD_BYTES = 64 * 1024
"""How much of a file detection looks at (decompressed for zstd)."""

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class ReadOptions:
    """Options a reader may need; every field has a documented default.

    Attributes
    ----------
    snapshot_ts
        UTC time of an option-chain snapshot; overrides the per-format
        default (see each options reader).
    asset
        Asset / underlying for files that do not name it (ETF totals, a
        ``date,funding_rate`` file, CryptoQuant exports). Upper-case id.
    mapping
        Generic CSV/Parquet import: ``{input column: store field}``; the key
        ``"*"`` melts every unmapped column of a wide file into that field,
        the column name filling the table's remaining key (asset, series, fund).
    constants
        Generic import: ``{store field: value}`` for every row.
    table
        Generic import: the target table when the mapping fits several.
    today
        The UTC day after which dates count as future (tests); default today.
    date_from_filename
        Take the rows' date from the file name (``..._20251103.csv``,
        ``2025-11-03``): for snapshot files that carry no date column, or to
        override one. Snapshot formats whose documented name holds the day
        (CoinGecko markets) do this without the flag.
    volume_unit
        ``"base"`` (units of the asset: volume_usd = volume x close) or
        ``"quote"`` (already USD/USDT) for a plain OHLCV file whose volume
        unit neither the data nor the format settles (see
        :func:`altseason.sources.files._prices.decide_volume_unit`).
    reference
        ``reference(asset_id) -> DataFrame`` indexed by date with ``volume_usd``
        and ``market_cap`` from the store's other sources (set by
        :func:`~altseason.sources.files.import_file`): evidence for the volume
        unit. Not part of the options' identity (``repr``/``==``), so it never
        changes a file's source id.
    progress
        ``progress(bytes_read, total_bytes)``, called by streaming readers as
        they go (the CLI draws a progress line; the library never prints).
        Not part of the options' identity either.
    """

    snapshot_ts: pd.Timestamp | None = None
    asset: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    table: str | None = None
    today: pd.Timestamp | None = None
    date_from_filename: bool = False
    volume_unit: str | None = None
    reference: Callable[[str], pd.DataFrame] | None = field(default=None, compare=False, repr=False)
    progress: Callable[[int, int], None] | None = field(default=None, compare=False, repr=False)


@dataclass
class ReadResult:
    """What a reader got out of one file.

    Attributes
    ----------
    tables
        ``{table: frame}`` in store columns and units; frames may carry the
        private ``_line`` / ``_error`` / ``_errcol`` columns of
        :mod:`altseason.sources._validate`.
    rejects
        Rows the reader itself refused (rare: most problems are flagged).
    notes
        Human-readable facts about the import, e.g. "dropped 1 partial last day".
    rows_read
        Data rows in the file (lines or records), before any drop.
    columns
        ``{table: {field: input column}}`` so errors name the file's columns.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    columns: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Reader:
    """A built-in file format.

    Attributes
    ----------
    name
        Format id used by ``--format`` and in the provenance string.
    description
        One line for ``--help`` and error messages.
    detect
        ``detect(path, head) -> bool``: True when the file is in this format.
        ``head`` is the first :data:`HEAD_BYTES` of the file as text
        (decompressed for zstd, empty for Parquet). Rules look at the header
        and content, the file name only to break ties the content cannot.
    read
        ``read(path, options) -> ReadResult``.
    stream
        ``stream(path, options) -> Iterator[ReadResult] | None``: the file in
        batches of rows, for files over the whole-file cap; None (from the
        function) when these options cannot be streamed. Each batch is validated
        and written as it comes, all in one transaction
        (:meth:`altseason.store.Store.ingest_batches`).
    """

    name: str
    description: str
    detect: Callable[[Path, str], bool]
    read: Callable[[Path, ReadOptions], ReadResult]
    stream: Callable[[Path, ReadOptions], Iterator[ReadResult] | None] | None = None


# ---------------------------------------------------------------------- heads
def read_head(path: Path, n: int = HEAD_BYTES) -> str:
    """The first ``n`` bytes of a file as text (zstd decompressed; Parquet gives "").

    The file must be a readable regular file (:func:`~._open.check_input_file`).
    """
    with open_decompressed(path) as fh:
        raw = fh.read(n)
    if raw.startswith(_PARQUET_MAGIC):
        return ""
    return raw.decode("utf-8-sig", errors="replace")


def is_parquet(path: Path) -> bool:
    """True when the file starts with the Parquet magic bytes."""
    with path.open("rb") as fh:
        return fh.read(4) == _PARQUET_MAGIC


def first_line(head: str) -> str:
    """The header line of a text head (without the line break and any BOM)."""
    return head.split("\n", 1)[0].rstrip("\r").lstrip("\ufeff")


_DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(line: str) -> str:
    """The field separator of a CSV header line: ``,`` ``;`` tab or ``|``.

    The candidate that splits the line (read with CSV quoting) into the most
    fields wins; ties and single-field lines give ``,``. Exports from
    European-locale tools and CoinMarketCap's "Download" use ``;``.
    """
    best, most = ",", 1
    for delim in _DELIMITERS:
        if delim not in line:
            continue
        try:
            n = len(next(csv.reader([line], delimiter=delim), []))
        except csv.Error:
            continue
        if n > most:
            best, most = delim, n
    return best


def header_fields(head: str) -> list[str]:
    """The fields of the header line (separator sniffed), whitespace-trimmed."""
    line = first_line(head)
    if not line:
        return []
    try:
        return [f.strip() for f in next(csv.reader([line], delimiter=sniff_delimiter(line)))]
    except csv.Error:  # not a CSV header (e.g. a huge field): no format matches
        return []


def header_keys(head: str) -> list[str]:
    """:func:`header_fields` lower-cased: what detection rules compare (headers are
    matched case-insensitively, so ``Date,Open`` and ``date,open`` are one layout)."""
    return [f.lower() for f in header_fields(head)]


def has_columns(head: str, names: Iterable[str]) -> bool:
    """True when the header holds every one of ``names`` (case-insensitive, any order)."""
    return {n.lower() for n in names} <= set(header_keys(head))


def head_rows(head: str, n: int = 50) -> list[list[str]]:
    """Up to ``n`` complete data rows of a CSV head (the last, maybe cut, line is dropped)."""
    lines = head.splitlines()[1:]
    if not head.endswith("\n") and lines:
        lines = lines[:-1]
    delim = sniff_delimiter(first_line(head))
    try:
        return [r for r in csv.reader(lines[:n], delimiter=delim) if r]
    except csv.Error:  # not CSV rows: detection rules see none
        return []


_NAME_DATE = re.compile(
    r"(?<!\d)(20\d\d|19\d\d)([-_.]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)"
)


def date_from_name(path: Path) -> pd.Timestamp | None:
    """The calendar day written in a file name, or None when it holds none.

    Recognised: ``YYYYMMDD``, ``YYYY-MM-DD``, ``YYYY_MM_DD`` (e.g.
    ``coingecko_market_data_20251103.csv``). A 6-digit time after the date
    (``_20251025_124832``) is not a second date.

    Raises
    ------
    FormatError
        When the name holds two different days (e.g. ``..._20200101_to_20251025``):
        which one dates the rows is not decidable; rename the file.
    """
    days = []
    for m in _NAME_DATE.finditer(path.name):
        try:
            days.append(pd.Timestamp(int(m.group(1)), int(m.group(3)), int(m.group(4))))
        except ValueError:
            continue
    unique = sorted(set(days))
    if len(unique) > 1:
        raise FormatError(
            f"the file name holds several dates ({', '.join(str(d.date()) for d in unique)}); "
            "rename the file so that it names only the snapshot day (e.g. name_20251103.csv)",
            path=str(path),
        )
    return unique[0] if unique else None


# ---------------------------------------------------------------------- CSV
def read_csv_text(
    path: Path,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
    dtype_str: bool = False,
) -> pd.DataFrame:
    """Read a delimited text file as columns with a ``_line`` column.

    The separator (``,`` ``;`` tab ``|``) is sniffed from the header line;
    a UTF-8 BOM is dropped; header names are whitespace-trimmed, and a
    header matching a ``required`` or ``optional`` name case-insensitively
    is renamed to that spelling (``Date`` -> ``date``), so readers see one
    layout whatever the export's capitalisation.

    Parameters
    ----------
    path
        The file (UTF-8, optional BOM).
    required
        Columns the format needs; a missing one is a :class:`FormatError`.
    optional
        Columns the format reads when present (renamed like ``required``).
    dtype_str
        Read every cell as text. By default pandas infers numbers; a column
        holding any text stays text, so the parse helpers can flag the bad
        cells, while a clean numeric column takes the fast path.

    Returns
    -------
    DataFrame
        One row per non-blank data line; ``_line`` is the 1-based line in the
        file (header = 1). Duplicate header names get pandas' ``.1`` suffixes.

    Raises
    ------
    ValidationError
        Empty file, header without rows, a truncated last line, a line with
        too many fields, or a wrong delimiter.
    """
    p = str(path)
    check_import_size(path)  # readable regular file, under ALTSEASON_IMPORT_MAX_INMEMORY_MB
    required = list(required)
    cap = current_limits().import_max_inmemory_bytes
    try:
        with open_decompressed(path) as fh:  # gzip/zstd: decompressed, capped
            data = fh.read(cap + 1)
    except OSError as exc:
        raise ValidationError(f"cannot read the file: {exc}", path=p) from exc
    if len(data) > cap:
        raise ValidationError(
            f"the file decompresses to more than {cap / (1 << 20):,.0f} MiB, the limit for "
            "formats read whole (ALTSEASON_IMPORT_MAX_INMEMORY_MB); decompress and split it",
            path=p,
        )
    text = data.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise ValidationError(
            "the file is empty; re-export it with a header line and data rows", path=p
        )
    header = first_line(text)
    delim = sniff_delimiter(header)
    fields = _csv_fields(header, p, 1, delim)
    lines = text.splitlines()
    last_idx = max(i for i, ln in enumerate(lines) if ln.strip())
    if last_idx == 0:
        raise ValidationError(
            "the file has a header but no data rows; re-export it with its data", path=p, line=2
        )
    last = _csv_fields(lines[last_idx], p, last_idx + 1, delim)
    if not text.endswith(("\n", "\r")) and len(last) < len(fields):
        raise ValidationError(
            f"the last line has {len(last)} of the header's {len(fields)} fields: the file "
            "looks truncated (it ends mid-row); download or export it again",
            path=p,
            line=last_idx + 1,
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str if dtype_str else None,
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=[""],
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ValidationError(
            f"malformed CSV: {exc}; every line needs the header's {len(fields)} fields",
            path=p,
            line=int(m.group(1)) if m else None,
        ) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas made the first column the index: a line has more fields than the header
        raise ValidationError(
            f"a line has more fields than the header's {len(fields)}; every line needs "
            "exactly the header's fields (check for stray commas or a wrong delimiter)",
            path=p,
            line=_first_long_line(text, len(fields), delim),
        )
    frame = canonical_columns(frame, [*required, *optional])
    if delim != "," and not dtype_str:
        frame = decimal_commas(frame)
    frame[LINE_COL] = pd.array(frame.index.to_numpy() + 2, dtype="Int64")
    data_cols = [c for c in frame.columns if c != LINE_COL]
    frame = frame[frame[data_cols].notna().any(axis=1)].reset_index(drop=True)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise FormatError(f"missing column(s) {missing}; the file has {data_cols}", path=p, line=1)
    return frame


def read_csv_chunks(
    path: Path, chunk_rows: int, progress: Callable[[int, int], None] | None = None
) -> Iterator[pd.DataFrame]:
    """A delimited file (plain, gzip or zstd) as frames of ``chunk_rows`` data lines,
    each shaped as :func:`read_csv_text` shapes the whole file (``_line``, trimmed
    headers, decimal commas, blank lines dropped). Memory holds one chunk.

    Raises
    ------
    ValidationError
        Empty file, a line with too many fields or another malformed line.
    """
    p = str(path)
    head = read_head(path)
    if not head.strip():
        raise ValidationError(
            "the file is empty; re-export it with a header line and data rows", path=p
        )
    delim = sniff_delimiter(first_line(head))
    size = path.stat().st_size
    with open_decompressed(path) as fh:
        try:
            reader = pd.read_csv(
                fh,  # type: ignore[arg-type]
                sep=delim,
                chunksize=chunk_rows,
                skip_blank_lines=False,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8-sig",
                encoding_errors="replace",
            )
            for frame in reader:
                if not isinstance(frame.index, pd.RangeIndex):
                    raise ValidationError(
                        f"a line has more fields than the header's {frame.shape[1]}; every "
                        "line needs exactly the header's fields (check for stray commas or a "
                        "wrong delimiter)",
                        path=p,
                    )
                frame = frame.rename(columns=lambda c: c.strip() if isinstance(c, str) else c)
                if delim != ",":
                    frame = decimal_commas(frame)
                frame[LINE_COL] = pd.array(frame.index.to_numpy() + 2, dtype="Int64")
                data_cols = [c for c in frame.columns if c != LINE_COL]
                frame = frame[frame[data_cols].notna().any(axis=1)]
                if progress is not None:
                    progress(min(stream_position(fh), size), size)
                if not frame.empty:
                    yield frame
        except pd.errors.ParserError as exc:
            m = re.search(r"line (\d+)", str(exc))
            raise ValidationError(
                f"malformed CSV: {exc}; every line needs the header's fields",
                path=p,
                line=int(m.group(1)) if m else None,
            ) from exc


def stream_position(fh: object) -> int:
    """Bytes of the file consumed so far (the compressed position for gzip/zstd)."""
    raw = getattr(fh, "raw_file", fh)
    try:
        return int(raw.tell())  # type: ignore[attr-defined]
    except (OSError, AttributeError, ValueError):
        return 0


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+(,\d+)?([eE][+-]?\d+)?$")


def decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers written with a decimal comma (``108667,44``) in a ``;``/tab/``|`` file.

    Only a text column whose every non-blank cell is a plain number with at
    most one comma and no other separator, and at least one comma, is
    converted; anything else (dates, ids, thousands separators) stays text
    for the readers to parse or flag.
    """
    for c in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]):
            continue
        text = frame[c].astype("string").str.strip()
        cells = text[text.notna() & (text != "")]
        if cells.empty or not cells.str.contains(",", regex=False).any():
            continue
        if cells.str.match(_DECIMAL_COMMA.pattern).all():
            frame[c] = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    return frame


def canonical_columns(frame: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """Trim header names and rename case-insensitive matches of ``names`` to that spelling."""
    frame = frame.rename(columns=lambda c: c.strip() if isinstance(c, str) else c)
    want = {n.lower(): n for n in names}
    have: dict[str, list[str]] = {}
    for c in frame.columns:
        if isinstance(c, str):
            have.setdefault(c.lower(), []).append(c)
    renames = {}
    for low, name in want.items():
        cols = have.get(low, [])
        if name not in frame.columns and len(cols) == 1:
            renames[cols[0]] = name
    return frame.rename(columns=renames) if renames else frame


def _first_long_line(text: str, n_fields: int, delim: str = ",") -> int | None:
    """The 1-based line of the first CSV record with more than ``n_fields`` fields."""
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        for row in reader:
            if len(row) > n_fields:
                return reader.line_num
    except csv.Error:
        return None
    return None


def _csv_fields(line: str, path: str, lineno: int, delim: str = ",") -> list[str]:
    """The fields of one CSV line; a line the csv module refuses is a ValidationError."""
    try:
        return next(csv.reader([line], delimiter=delim), [])
    except csv.Error as exc:
        raise ValidationError(
            f"malformed CSV line ({exc}); the file is corrupt or not a CSV export",
            path=path,
            line=lineno,
        ) from exc


# ---------------------------------------------------------------------- ids
_QUOTES = ("USDT", "USDC", "FDUSD", "USD")
_MULT_PREFIX = re.compile(r"^(10{3,})([A-Z].*)$")
_MULT_SUFFIX = re.compile(r"^([A-Z][A-Z0-9]*?)(10{3,})$")


def base_asset(pair: str) -> tuple[str, float]:
    """Base asset id and contract multiplier of a venue pair name.

    ``"BTCUSDT"`` -> ``("BTC", 1)``; ``"1000PEPEUSDT"`` -> ``("PEPE", 1000)``;
    ``"SHIB1000USDT"`` -> ``("SHIB", 1000)``. Prices quoted per 1,000 tokens are
    divided by the multiplier to give a per-token price. A dash or slash
    separates base and quote when present (``"BTC-USD"``, ``"ETH/USD"``).
    """
    s = pair.strip().upper()
    for sep in ("/", "-", "_"):
        if sep in s:
            s = s.split(sep, 1)[0]
            break
    else:
        for q in _QUOTES:
            if s.endswith(q) and len(s) > len(q):
                s = s[: -len(q)]
                break
    mult = 1.0
    m = _MULT_PREFIX.match(s) or None
    if m:
        mult, s = float(m.group(1)), m.group(2)
    else:
        m = _MULT_SUFFIX.match(s)
        if m:
            s, mult = m.group(1), float(m.group(2))
    return s, mult


def slugify(name: str) -> str:
    """Lower-case ASCII slug of a name: ``"Terra Classic"`` -> ``"terra-classic"``."""
    s = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return s or "unnamed"
