"""The built-in readers and format detection."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from altseason.exceptions import FormatError
from altseason.sources.files._base import Reader, ReadOptions, ReadResult, read_head
from altseason.sources.files._categories import CATEGORY_READERS
from altseason.sources.files._etf import ETF_READERS
from altseason.sources.files._generic import GENERIC_READERS
from altseason.sources.files._options import OPTION_READERS
from altseason.sources.files._prices import PRICE_READERS
from altseason.sources.files._series import SERIES_READERS

__all__ = ["READERS", "detect_format", "get_reader"]

_TIME_KEYS = ("date", "ts", "snapshot_ts")


def _in_time_order(
    read: Callable[[Path, ReadOptions], ReadResult],
) -> Callable[[Path, ReadOptions], ReadResult]:
    """Wrap a reader so its frames come out in ascending time order.

    Exports are often newest-first (CoinMarketCap, CryptoQuant, Farside
    pages): rows are sorted by their time key (stable, so rows of one day
    keep their file order and duplicate checks still name the first line),
    and the reversal is stated in the notes. Order never changes values.
    """

    def ordered(path: Path, options: ReadOptions) -> ReadResult:
        result = read(path, options)
        reversed_ = False
        for name, frame in list(result.tables.items()):
            key = next((k for k in _TIME_KEYS if k in frame.columns), None)
            if key is None or len(frame) < 2:
                continue
            t = pd.to_datetime(frame[key], errors="coerce", format="ISO8601")
            valid = t.dropna()
            if len(valid) > 1 and valid.iloc[0] > valid.iloc[-1]:
                reversed_ = True
            if not t.is_monotonic_increasing:
                order = t.reset_index(drop=True).sort_values(kind="stable", na_position="last")
                result.tables[name] = frame.iloc[order.index.to_numpy()].reset_index(drop=True)
        if reversed_ and not any("newest-first" in n for n in result.notes):
            result.notes.append("rows were newest-first; sorted by date (values unchanged)")
        return result

    return ordered


def _ordered(reader: Reader) -> Reader:
    return dataclasses.replace(reader, read=_in_time_order(reader.read))


_BUILTIN: tuple[Reader, ...] = tuple(
    _ordered(r)
    for r in (
        *PRICE_READERS,
        *ETF_READERS,
        *OPTION_READERS,
        *SERIES_READERS,
        *CATEGORY_READERS,
    )
)
READERS: dict[str, Reader] = {
    r.name: r for r in (*_BUILTIN, *(_ordered(g) for g in GENERIC_READERS))
}
"""Every reader by name: the built-in formats, then the generic ``csv`` and ``parquet``."""


def get_reader(name: str) -> Reader:
    """The reader called ``name``; a :class:`FormatError` lists the known ones."""
    try:
        return READERS[name]
    except KeyError:
        raise FormatError(f"unknown format {name!r}; choose one of {', '.join(READERS)}") from None


def detect_format(path: Path, head: str | None = None) -> Reader | None:
    """The reader whose ``detect`` rule accepts the file, or None.

    Built-in formats are tried first; the generic ``csv``/``parquet`` readers
    only when none matches (their rule: every column is a field of one store
    table).

    Raises
    ------
    FormatError
        When two built-in rules accept the file (ambiguous: pass ``--format``).
    """
    text = read_head(path) if head is None else head
    hits = [r for r in _BUILTIN if r.detect(path, text)]
    if len(hits) > 1:
        raise FormatError(
            f"ambiguous format: the file matches {', '.join(r.name for r in hits)}; "
            "choose one with --format",
            path=str(path),
        )
    if hits:
        return hits[0]
    for reader in GENERIC_READERS:
        if reader.detect(path, text):
            return READERS[reader.name]
    return None
