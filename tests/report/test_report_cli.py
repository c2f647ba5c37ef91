"""The ``altseason report`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from altseason.cli import app
from altseason.labels import DEMO_LABEL


def _small_demo(store: Any, **_kw: Any) -> bool:
    from altseason.sources.demo import write_demo

    if not store.is_empty():
        return False
    write_demo(store, start="2024-01-01", end="2025-06-30", n_assets=30)
    return True


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the empty-store seeding write a small demo (fast tests)."""
    import altseason.sources.demo as demo

    monkeypatch.setattr(demo, "ensure_demo", _small_demo)


def test_report_seeds_the_demo_and_writes_every_format(home: Path, small_demo: None) -> None:
    from altseason.cli import _register  # noqa: F401

    out = home / "out"
    res = CliRunner().invoke(app, ["report", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "empty" in res.output and DEMO_LABEL in res.output
    for name in ("report.html", "report.md", "report.pdf", "findings.json"):
        assert (out / name).exists(), name
        assert str(out / name) in res.output.replace("\n", "")
    meta = json.loads((out / "findings.json").read_text())["meta"]
    assert meta["demo"] is True and meta["asof"] == "2025-06-30"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert DEMO_LABEL.upper() in html


def test_report_default_folder_format_and_sections(home: Path, small_demo: None) -> None:
    from altseason.cli import _register  # noqa: F401

    res = CliRunner().invoke(
        app, ["report", "--asof", "2025-03-31", "--format", "md", "--sections", "flows,coverage"]
    )
    assert res.exit_code == 0, res.output
    folder = home / "reports" / "2025-03-31"
    assert (folder / "report.md").exists()
    assert not (folder / "report.html").exists() and not (folder / "report.pdf").exists()
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "ETF and fund flows" in md and "Majors vs small caps" not in md
    # a second report compares with the first
    res2 = CliRunner().invoke(
        app,
        [
            "report",
            "--asof",
            "2025-04-30",
            "--format",
            "md",
            "--sections",
            "flows,coverage,changes",
        ],
    )
    assert res2.exit_code == 0, res2.output
    md2 = (home / "reports" / "2025-04-30" / "report.md").read_text(encoding="utf-8")
    assert "Since the previous report, dated [2025-03-31]" in md2


def test_report_rejects_bad_options(home: Path) -> None:
    import sys

    from altseason.cli import main

    for args in (["report", "--format", "docx"], ["report", "--asof", "31/12/2025"]):
        old = sys.argv
        sys.argv = ["altseason", *args]
        try:
            with pytest.raises(SystemExit) as exc:
                main()
        finally:
            sys.argv = old
        assert exc.value.code == 2  # a usage mistake
