"""Atomic output: write beside the target, then rename.

A file is written to a temporary name in its own folder and renamed over
the target (``os.replace`` is atomic within a file system), so a reader
sees either the previous complete file or the new complete one, and a
failure (a full disk, an interrupted run) leaves the previous file intact.
A report, several files, is written into a staging folder beside its
target and moved into place file by file once every file is complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "next_report_folder", "staged_folder"]


def _temp_name(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    tmp = _temp_name(path, "tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``target``; move its files into ``target``.

    Only when the block completes are the staged files moved, each with an
    atomic rename, into ``target`` (created if missing; a missing ``target``
    is replaced by the staging folder in one rename). On any exception the
    staging folder is deleted and ``target`` keeps its previous files.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = _temp_name(target, "staging")
    stage.mkdir()
    try:
        yield stage
        if not target.exists():
            os.replace(stage, target)
            return
        for src in sorted(stage.rglob("*")):
            if src.is_dir():
                continue
            dest = target / src.relative_to(stage)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def next_report_folder(base: Path, asof: dt.date, *, overwrite: bool = False) -> Path:
    """The folder for a report as of ``asof`` under ``base``.

    ``base/2026-02-20`` for the first report of that as-of date; a second
    report for the same date gets ``2026-02-20-2``, then ``-3`` and so on,
    unless ``overwrite`` (then the first folder is reused).
    """
    name = asof.isoformat()
    first = base / name
    if overwrite or not first.exists():
        return first
    n = 2
    while (base / f"{name}-{n}").exists():
        n += 1
    return base / f"{name}-{n}"
