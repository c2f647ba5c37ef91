"""One call from store to files: build the report, compare with the previous one, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from altseason.report._build import Report, build_report, default_asof
from altseason.report._render import FORMATS, write_report
from altseason.report._sections import find_previous
from altseason.store import Store

__all__ = ["generate_report"]


def generate_report(
    store: Store,
    out_dir: Path,
    *,
    asof: dt.date | str | pd.Timestamp | None = None,
    formats: Sequence[str] = FORMATS,
    sections: Sequence[str] | None = None,
    progress: object = None,
) -> tuple[Report, dict[str, Path]]:
    """Build the report for ``asof`` and write it to ``out_dir``.

    The previous report is the newest ``findings.json`` in a sibling folder
    of ``out_dir`` dated on or before ``asof``; what changed since it is a
    section of the report.

    Returns
    -------
    (Report, dict)
        The report and ``{format: path}`` of the files written (plus ``findings``).
    """
    when = pd.Timestamp(asof).normalize() if asof is not None else default_asof(store)
    previous = find_previous(out_dir, when)
    report = build_report(
        store,
        asof=when,
        sections=sections,
        previous=previous,
        progress=progress if callable(progress) else None,
    )
    return report, write_report(report, out_dir, formats=formats)
