"""``altseason check`` exit codes and JSON, ``altseason conflicts`` (issues 12 and 14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

import altseason.cli._register  # noqa: F401  (registers the commands)
from altseason.cli import app
from altseason.store import Store

DEMO = ["demo", "--seed", "5", "--start", "2024-06-01", "--end", "2024-10-01", "--assets", "20"]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    res = CliRunner().invoke(app, DEMO, env={"ALTSEASON_HOME": str(home)})
    assert res.exit_code == 0, res.output
    return home


def _store(home: Path) -> Path:
    return next(home.rglob("*.duckdb"))


def _run(home: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args), env={"ALTSEASON_HOME": str(home)})
    return res.exit_code, res.output


def test_fresh_demo_passes_check(demo_home: Path) -> None:
    code, out = _run(demo_home, "check")
    assert code == 0, out
    assert "OK:" in out
    code, out = _run(demo_home, "check", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["ok"] is True and report["errors"] == 0
    assert all(p["severity"] == "warning" for p in report["problems"])


# defect -> SQL that plants it behind the store's back, and the check that must see it
DEFECTS = {
    "inf close": (
        "UPDATE prices SET close = 'inf'::DOUBLE WHERE asset_id = 'BTC' AND date = DATE '2024-07-01'",
        "close is not a finite number",
    ),
    "negative price": (
        "UPDATE prices SET close = -1 WHERE asset_id = 'ETH' AND date = DATE '2024-07-01'",
        "close must be > 0",
    ),
    "high below low": (
        "UPDATE prices SET high = low / 2 WHERE asset_id = 'BTC' AND date = DATE '2024-07-02'",
        "high is below low",
    ),
    "fear & greed -20": (
        "UPDATE sentiment SET value = -20 WHERE index_id = 'fear_greed' "
        "AND date = DATE '2024-07-01'",
        "Fear & Greed outside",
    ),
    "dated 2100": (
        "INSERT INTO prices (asset_id, date, close, source, ingested_at) "
        "SELECT 'BTC', DATE '2100-01-01', 1.0, 'demo', min(ingested_at) FROM prices",
        "after tomorrow",
    ),
    "iv zero": (
        "UPDATE options SET mark_iv = 0 WHERE instrument = (SELECT min(instrument) FROM options)",
        "mark_iv outside",
    ),
    "unlogged source": (
        "INSERT INTO prices (asset_id, date, close, source, ingested_at) "
        "SELECT 'BTC', DATE '2024-07-01', 1.0, 'sneaky', min(ingested_at) FROM prices",
        "no successful ingest logged",
    ),
    "reject count": (
        "UPDATE ingest_log SET rows_rejected = rows_rejected + 3 WHERE source = 'demo'",
        "logged 3 rejects",
    ),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_injected_defect_fails_check(demo_home: Path, tmp_path: Path, defect: str) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    sql, expected = DEFECTS[defect]
    con = duckdb.connect(str(_store(home)))
    before = con.execute("SELECT count(*) FROM prices").fetchone()
    con.execute(sql)
    assert con.execute("SELECT count(*) FROM prices").fetchone() is not None and before
    con.close()
    code, out = _run(home, "check", "--json")
    assert code == 1, out
    report = json.loads(out)
    assert report["ok"] is False
    details = " ".join(p["detail"] for p in report["problems"] if p["severity"] == "error")
    assert expected in details, details
    code, out = _run(home, "check")
    assert code == 1 and "FAILED" in out


def test_conflicts_command_lists_and_exports(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    flow = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-07-03", "2024-07-04"]),
            "fund": ["IBIT", "IBIT"],
            "underlying": ["BTC", "BTC"],
            "flow_usd": [5e7, 1e8],
        }
    )
    with Store(_store(home)) as store:
        store.ingest(dataset="f", source="file:farside_wide:f.csv#abc", tables={"etf_flows": flow})
    out_csv = tmp_path / "conflicts.csv"
    code, out = _run(home, "conflicts", "--dataset", "etf_flows", "--export", str(out_csv))
    assert code == 0, out
    frame = pd.read_csv(out_csv)
    assert {"dataset", "key", "date", "sources", "values", "rel_diff", "kind"} <= set(frame.columns)
    mine = frame[frame["sources"].str.contains("file:farside_wide:f.csv#abc", regex=False)]
    holiday = mine[mine["sources"].str.contains("calendar:nyse", regex=False)]
    assert holiday["date"].tolist() == ["2024-07-04"]  # Independence Day, not the 3rd
    assert holiday["values"].tolist() == ["0 | 1e+08"]  # pair sorted: calendar:nyse first
    # the demo's own flows: only ever flagged on US market holidays in its range
    demo = frame[frame["sources"] == "calendar:nyse | demo"]
    assert set(demo["date"]) <= {"2024-06-19", "2024-07-04", "2024-09-02"}
    code, out = _run(home, "check")
    assert code == 0 and "conflict" in out  # conflicts are warnings, summarised
    code, out = _run(home, "conflicts", "--asset", "NOPE")
    assert code == 0 and "no conflicts" in out
