"""One call from store to files: build the report, compare with the previous one, render.

Output is atomic: the files are rendered into a staging folder beside the
target and moved into place only once all of them are complete, so a
failure (a full disk, an error while rendering) leaves the previous
complete report as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from altseason.exceptions import ReportError
from altseason.report._atomic import next_report_folder, staged_folder
from altseason.report._build import Report, broad_asof, build_report, store_id
from altseason.report._render import FORMATS, write_report
from altseason.report._sections import find_previous
from altseason.store import Store

__all__ = ["generate_report", "next_report_folder", "write_report_atomic"]


def write_report_atomic(
    report: Report, out_dir: Path, *, formats: Sequence[str] = FORMATS
) -> dict[str, Path]:
    """:func:`~altseason.report.write_report` into ``out_dir``, all or nothing.

    Every file is first written to a staging folder beside ``out_dir`` and
    then renamed into ``out_dir``; on failure the staging folder is removed
    and ``out_dir`` keeps its previous files.

    Returns
    -------
    dict
        ``{format: path}`` of the files in ``out_dir`` (plus ``findings``).
    """
    try:
        with staged_folder(out_dir) as stage:
            staged = write_report(report, stage, formats=formats)
    except OSError as exc:
        raise ReportError(
            f"cannot write the report to {out_dir}: {exc}. Nothing was replaced: the previous "
            "report there (if any) is intact. Free disk space or choose another folder with --out."
        ) from exc
    return {kind: out_dir / path.relative_to(stage) for kind, path in staged.items()}


def generate_report(
    store: Store,
    out_dir: Path,
    *,
    asof: dt.date | str | pd.Timestamp | None = None,
    formats: Sequence[str] = FORMATS,
    sections: Sequence[str] | None = None,
    progress: object = None,
) -> tuple[Report, dict[str, Path]]:
    """Build the report for ``asof`` and write it to ``out_dir`` (atomically).

    The previous report is the newest ``findings.json`` in a sibling folder
    of ``out_dir`` dated on or before ``asof``; what changed since it is a
    section of the report.

    Returns
    -------
    (Report, dict)
        The report and ``{format: path}`` of the files written (plus ``findings``).
    """
    when = pd.Timestamp(asof).normalize() if asof is not None else broad_asof(store)[0]
    previous = find_previous(out_dir, when, store_id(store))
    report = build_report(
        store,
        asof=when,
        sections=sections,
        previous=previous,
        progress=progress if callable(progress) else None,
    )
    return report, write_report_atomic(report, out_dir, formats=formats)
