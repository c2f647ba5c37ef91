"""The built-in readers and format detection."""

from __future__ import annotations

from pathlib import Path

from altseason.exceptions import FormatError
from altseason.sources.files._base import Reader, read_head
from altseason.sources.files._categories import CATEGORY_READERS
from altseason.sources.files._etf import ETF_READERS
from altseason.sources.files._generic import GENERIC_READERS
from altseason.sources.files._options import OPTION_READERS
from altseason.sources.files._prices import PRICE_READERS
from altseason.sources.files._series import SERIES_READERS

__all__ = ["READERS", "detect_format", "get_reader"]

_BUILTIN: tuple[Reader, ...] = (
    *PRICE_READERS,
    *ETF_READERS,
    *OPTION_READERS,
    *SERIES_READERS,
    *CATEGORY_READERS,
)
READERS: dict[str, Reader] = {r.name: r for r in (*_BUILTIN, *GENERIC_READERS)}
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
        When two built-in rules accept the file (ambiguous: pass ``--format``),
        or when the header is separated by ``;``, tabs or ``|``.
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
            return reader
    line = text.split("\n", 1)[0]
    if "," not in line:
        for delim, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delim in line:
                raise FormatError(
                    f"the header is separated by {name}, not commas; re-export the file as "
                    "comma-separated CSV",
                    path=str(path),
                    line=1,
                )
    return None
