"""Escaping for text derived from data (asset names, symbols, file names,
sources, event titles) in each output format.

* HTML: :func:`html.escape` / Jinja autoescape at the render sites.
* Markdown: :func:`escape_markdown` backslash-escapes every character that
  CommonMark (and GitHub's flavour) could read as markup, ``<`` and ``&``
  included, so no raw HTML, link, image or emphasis survives a render;
  :func:`markdown_anchor` makes an id safe for ``#f-<id>`` links and anchors.
* PDF (fpdf2 ``markdown=True``): :func:`escape_pdf_markdown` breaks the
  emphasis markers and the ``[text](url)`` link syntax.
* CSV: :func:`neutralise_csv_cell` / :func:`neutralise_csv_frame` follow the
  OWASP CSV-injection guidance: a text cell starting with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return gets a leading ``'`` so a spreadsheet shows it
  as text instead of running it as a formula. Numbers (numeric columns, and
  text cells that are plain numbers such as ``-5``) stay as they are. JSON and
  Parquet exports keep the raw values.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = [
    "escape_line_start",
    "escape_markdown",
    "escape_pdf_markdown",
    "markdown_anchor",
    "neutralise_csv_cell",
    "neutralise_csv_frame",
]

#: Inline markup anywhere in a line (emphasis, code, links, images, raw HTML,
#: tables, maths, strikethrough). Entities (``&lt;``) can only make text, never markup.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!|$~])")
#: Block markup at the start of a line (heading, list, quote, setext underline).
_MD_LEADING = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?")


def escape_markdown(text: object) -> str:
    """``text`` as literal inline Markdown: markup characters backslash-escaped,
    line breaks turned into spaces (a table cell or a sentence stays on its
    line). Text that starts a line also needs :func:`escape_line_start`."""
    flat = " ".join(str(text).splitlines())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def escape_line_start(line: str) -> str:
    """``line`` with a leading block marker (``#``, ``>``, ``-``, ``+``, ``=``,
    ``1.``) escaped, so a paragraph cannot turn into a heading, list or quote."""
    return _MD_LEADING.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], line)


def markdown_anchor(identifier: object) -> str:
    """An id usable in ``#f-<id>`` links and ``<a id>`` anchors: only
    ``[A-Za-z0-9._-]`` kept, everything else a ``-``."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", str(identifier))


def escape_pdf_markdown(text: object) -> str:
    """``text`` safe inside an fpdf2 ``markdown=True`` cell: the emphasis markers
    (``**``, ``__``, ``~~``, ``--``) and the link syntax ``[..](..)`` broken apart."""
    out = str(text).replace("\\", "\\ ")
    for marker in ("**", "__", "~~", "--"):
        while marker in out:
            out = out.replace(marker, f"{marker[0]} {marker[1]}")
    return out.replace("](", "] (")


def neutralise_csv_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'``.

    Non-text values, and text that is a plain number (``-5``, ``+1.5e3``,
    ``-3%``), are returned unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_CSV_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, text index and column names are
    neutralised (:func:`neutralise_csv_cell`); numeric columns are untouched."""
    out = frame.copy()
    for i in range(out.shape[1]):
        series = out.iloc[:, i]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            out.iloc[:, i] = series.map(neutralise_csv_cell).astype(series.dtype)
    out.columns = pd.Index([neutralise_csv_cell(c) for c in out.columns], name=out.columns.name)
    if out.index.dtype == object or isinstance(out.index.dtype, pd.StringDtype):
        out.index = pd.Index(
            [neutralise_csv_cell(v) for v in out.index], name=neutralise_csv_cell(out.index.name)
        )
    return out
