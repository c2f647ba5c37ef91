"""JSON and HTML output of a checked note, and the ``altseason verify`` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from altseason.cli import app
from altseason.exceptions import ValidationError
from altseason.store import Store
from altseason.verify import verify_note

HOSTILE = """Desk note 2025-12-05

<script>alert('x')</script> Bitcoin fell 6.3% in 2025 & "quotes" <img src=x onerror=alert(1)>.
This note has 17 charts.
"""

KEYS = {
    "text",
    "sentence",
    "subject",
    "measure",
    "period",
    "claimed",
    "computed",
    "verdict",
    "reason",
    "finding_ids",
}


def test_empty_store_makes_every_claim_unverifiable_and_json_has_the_schema(store: Store) -> None:
    result = verify_note(HOSTILE, store, "2025-12-05")
    payload = json.loads(result.to_json())
    assert payload["note_date"] == "2025-12-05"
    claims = payload["claims"]
    assert [c["text"] for c in claims] == ["6.3%", "1", "17"]  # "alert(1)" is a number too
    for c in claims:
        assert set(c) >= KEYS
    btc, one, charts = claims
    assert btc["verdict"] == "unverifiable" and "BTC" in btc["reason"]
    assert btc["claimed"] == pytest.approx(-0.063) and btc["computed"] is None
    assert one["verdict"] == charts["verdict"] == "not_understood"


def test_html_page_escapes_the_note_and_is_self_contained(store: Store, tmp_path: Path) -> None:
    result = verify_note(HOSTILE, store, "2025-12-05")
    page = result.write(tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(" in page  # the "1" inside is a highlighted claim
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)  # nothing external
    # each claim is highlighted and linked to its row, which links back
    for i in (1, 2, 3):
        assert f'id="c{i}"' in page and f'href="#row{i}"' in page and f'id="row{i}"' in page
    assert 'class="unverifiable"' in page and 'class="not_understood"' in page
    with pytest.raises(ValidationError, match=r"\.json or \.html"):
        result.write(tmp_path / "out.csv")


def test_a_note_without_a_date_needs_one(store: Store) -> None:
    with pytest.raises(ValidationError, match="--date"):
        verify_note("Bitcoin fell 6% in 2025.", store)
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        verify_note("Bitcoin fell 6% in 2025.", store, "last tuesday")


@pytest.mark.real_data
def test_cli_reads_a_file_or_stdin_and_exports(
    real_store_path: Path, tmp_path: Path, home: Path
) -> None:
    from altseason.cli import _register  # noqa: F401

    note = Path(__file__).parent / "corpus" / "options_desk.html"
    out = tmp_path / "checked.json"
    res = CliRunner().invoke(
        app, ["--store", str(real_store_path), "verify", str(note), "--export", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "call_wall" in res.output and "contradicted" in res.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["note_date"] == "2025-12-05"
    verdicts = [c["verdict"] for c in payload["claims"]]
    assert verdicts == ["supported", "contradicted", "contradicted", "supported", "supported"]
    assert payload["claims"][0]["finding_ids"] == ["derivatives.call_wall"]

    html_out = tmp_path / "checked.html"
    res = CliRunner().invoke(
        app,
        [
            "--store",
            str(real_store_path),
            "verify",
            "-",
            "--date",
            "2026-01-02",
            "--export",
            str(html_out),
        ],
        input="Spot bitcoin ETFs took in a net $21.3 billion in 2025.",
    )
    assert res.exit_code == 0, res.output
    assert "supported: 1" in res.output
    page = html_out.read_text(encoding="utf-8")
    assert 'class="supported"' in page and "etf_flows" in page  # provenance shown


def test_cli_errors_are_one_line(home: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    missing = tmp_path / "nope.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "altseason",
            "--store",
            str(tmp_path / "s.duckdb"),
            "verify",
            str(missing),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr
