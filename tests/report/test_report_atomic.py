"""Atomic report output: a failure leaves the previous complete report; folders per as-of."""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from altseason.cli import app
from altseason.exceptions import ReportError
from altseason.report import generate_report
from altseason.report._atomic import atomic_path, next_report_folder, staged_folder
from altseason.store import Store


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".tmp-" in p.name or ".staging-" in p.name]


def _disk_full_after(limit: int, real: Callable[..., int]) -> Callable[[Path, str, Any, Any], int]:
    """A Path.write_text that writes part of the text, then fails as on a full disk."""
    calls = {"n": 0}

    def write_text(self: Path, data: str, encoding: Any = None, errors: Any = None) -> int:
        calls["n"] += 1
        if calls["n"] > limit:
            real(self, data[: len(data) // 2], encoding=encoding)
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data, encoding=encoding)

    return write_text


@pytest.mark.parametrize("completed_files", [0, 1])
def test_full_disk_mid_report_keeps_the_previous_report(
    market_store: tuple[Store, pd.Timestamp],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    completed_files: int,
) -> None:
    store, last = market_store
    out = tmp_path / "reports" / "latest"
    kwargs: dict[str, Any] = {"formats": ["html", "md"], "sections": ["divergence", "coverage"]}
    generate_report(store, out, asof=last - pd.Timedelta(days=30), **kwargs)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert {"report.html", "report.md", "findings.json"} <= set(before)

    monkeypatch.setattr(Path, "write_text", _disk_full_after(completed_files, Path.write_text))
    with pytest.raises(ReportError, match="intact") as exc:
        generate_report(store, out, asof=last, **kwargs)
    assert "No space left" in str(exc.value) and str(out) in str(exc.value)
    monkeypatch.undo()

    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # every previous file whole and unchanged
    assert _leftovers(out.parent) == []
    # and a later run that succeeds replaces the report
    _, paths = generate_report(store, out, asof=last, **kwargs)
    assert paths["html"] == out / "report.html"
    assert (out / "report.html").read_bytes() != before["report.html"]
    assert _leftovers(out.parent) == []


def test_atomic_path_keeps_old_content_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(OSError, match="disk full"), atomic_path(target) as tmp:
        tmp.write_text("new but trunc")
        raise OSError(errno.ENOSPC, "disk full")
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent  # same folder: the rename is atomic
        tmp.write_text("new\n")
    assert target.read_text() == "new\n"
    assert list(tmp_path.iterdir()) == [target]


def test_staged_folder_moves_only_complete_output(tmp_path: Path) -> None:
    target = tmp_path / "r"
    with staged_folder(target) as stage:
        (stage / "a.txt").write_text("1")
        (stage / "sub").mkdir()
        (stage / "sub" / "b.png").write_text("2")
    assert (target / "a.txt").read_text() == "1" and (target / "sub" / "b.png").read_text() == "2"
    with pytest.raises(RuntimeError), staged_folder(target) as stage:
        (stage / "a.txt").write_text("half")
        raise RuntimeError("render failed")
    assert (target / "a.txt").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_export_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from altseason.cli._app import export_frame

    path = tmp_path / "out.csv"
    export_frame(pd.DataFrame({"a": [1, 2]}), path)
    old = path.read_text()

    def full(self: pd.DataFrame, target: Any, *args: Any, **kwargs: Any) -> None:
        Path(target).write_text("a\n1")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(OSError, match="No space"):
        export_frame(pd.DataFrame({"a": [3, 4, 5]}), path)
    assert path.read_text() == old
    assert list(tmp_path.iterdir()) == [path]


def test_next_report_folder_numbers_repeats(tmp_path: Path) -> None:
    day = dt.date(2026, 2, 20)
    assert next_report_folder(tmp_path, day) == tmp_path / "2026-02-20"
    (tmp_path / "2026-02-20").mkdir()
    assert next_report_folder(tmp_path, day) == tmp_path / "2026-02-20-2"
    (tmp_path / "2026-02-20-2").mkdir()
    assert next_report_folder(tmp_path, day) == tmp_path / "2026-02-20-3"
    assert next_report_folder(tmp_path, day, overwrite=True) == tmp_path / "2026-02-20"
    assert next_report_folder(tmp_path, dt.date(2026, 2, 21)) == tmp_path / "2026-02-21"


def test_cli_report_folders_are_named_after_the_asof_date(home: Path, market_builder: Any) -> None:
    from altseason.cli import _register  # noqa: F401

    with Store(home / "altseason.duckdb") as s:
        last = market_builder(s, days=420, n_alts=12)
    asof = last.date().isoformat()
    args = ["report", "--format", "md", "--sections", "coverage"]
    for _ in range(2):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, [*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    reports = home / "reports"
    assert sorted(p.name for p in reports.iterdir()) == [asof, f"{asof}-2"]
    for name in (asof, f"{asof}-2"):
        assert (reports / name / "report.md").exists()
