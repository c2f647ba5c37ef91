"""The ``altseason demo`` command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import altseason.cli._register  # noqa: F401  (registers the commands)
from altseason.cli import app
from altseason.labels import DEMO_LABEL
from altseason.store import Store


def test_demo_command_writes_a_labelled_store(home: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        ["demo", "--seed", "3", "--start", "2024-01-01", "--end", "2024-08-31", "--assets", "25"],
    )
    assert res.exit_code == 0, res.output
    assert DEMO_LABEL in res.output
    assert "prices" in res.output
    path = next(home.rglob("*.duckdb"))
    with Store(path, read_only=True) as s:
        assert s.count("prices") > 1000
        sources = {r[0] for r in s.con.execute("SELECT DISTINCT source FROM prices").fetchall()}
        assert sources == {"demo"}


def test_demo_command_rejects_a_bad_date(home: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["demo", "--start", "not-a-date"])
    assert res.exit_code != 0
