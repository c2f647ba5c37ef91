"""Usage mistakes: one line naming the fix, exit code 2, never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from altseason import __version__
from altseason.cli._app import hoist_global_options, main

STRATEGIES = (
    "btc_eth_50_50",
    "btc_hold",
    "cap_weighted_market",
    "equal_weight_small_caps",
    "hedged_short",
    "momentum",
    "rotation",
)

#: (arguments, text the one-line message must contain)
MISTAKES: list[tuple[list[str], tuple[str, ...]]] = [
    (["divergence", "--window", "abc"], ("--window", "integer")),
    (["divergence", "--window", "1"], ("--window", "2")),
    (["backtest"], ("give a strategy", *STRATEGIES)),
    (["backtest", "nosuch"], ("unknown strategy 'nosuch'", *STRATEGIES)),
    (["backtest", "momentum", "-p", "foo=1"], ("foo", "lookback", "k", "rebalance")),
    (["backtest", "rotation", "-p", "lookback=abc"], ("lookback", "int", "60")),
    (["backtest", "momentum", "-p", "lookback"], ("key=value",)),
    (["backtest", "rotation", "-p", "nosuch=1"], ("nosuch", "lookback", "sleeves")),
    (["sweep", "momentum"], ("--grid",)),
    (["sweep", "nosuch", "-g", "lookback=1,2"], ("unknown strategy", *STRATEGIES)),
    (["--store", "/typo/x.duckdb", "status"], ("/typo", "--create")),
    (["status", "--store", "/typo/x.duckdb"], ("/typo", "--create")),
    (["nosuchcommand"], ("nosuchcommand", "--help")),
    (["status", "--nosuch-option"], ("--nosuch-option", "--help")),
    (["report", "--format", "docx"], ("docx", "html, md, pdf")),
    (["report", "--asof", "31/12/2025"], ("YYYY-MM-DD",)),
    (["report", "--sections", "nosuch"], ("nosuch", "divergence")),
    (["fetch", "nosuchsource"], ("unknown source", "coingecko")),
    (["fetch", "alternative_me", "--since", "yesterday"], ("YYYY-MM-DD",)),
    (["import", "x.csv", "--on-error", "ignore"], ("'fail' or 'reject'",)),
    (["demo", "--start", "someday"], ("2019-01-01",)),
    (["serve", "--port", "70000"], ("--port", "65535")),
    (["--lock-timeout", "-1", "status"], ("--lock-timeout",)),
    (["status", "--lock-timeout", "soon"], ("--lock-timeout",)),
    (["import", "x.csv", "--volume-unit", "usd"], ("--volume-unit", "'base' or 'quote'")),
    (["options", "BTC", "--zone-share", "2"], ("--zone-share", "(0, 1]")),
    (["options", "BTC", "--max-pain", "median"], ("--max-pain", "nearest_monthly")),
    (["report", "--zone-share", "0"], ("--zone-share", "(0, 1]")),
    (["report", "--max-pain", "median"], ("--max-pain", "all_expiries")),
    (["flows", "--period", "decade"], ("--period",)),
    (["verify", "-", "--date", "2025-13-01"], ("--date", "YYYY-MM-DD")),
    (["verify", "-", "--export", "out.txt"], ("--export", ".json or .html")),
]


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.argv", ["altseason", *args])
    code: object = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return (code if isinstance(code, int) else 1), out.out, out.err


@pytest.mark.parametrize(("args", "needles"), MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_usage_mistake_is_one_line_and_exit_2(
    args: list[str],
    needles: tuple[str, ...],
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(MISTAKES) >= 15
    code, out, err = _run(args, capsys, monkeypatch)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error:"), err
    assert "internal error" not in err and "Traceback" not in err + out
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    # nothing was created by a mistake
    assert not Path("/typo").exists()


def test_version(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _run(["--version"], capsys, monkeypatch)
    assert (code, out.strip(), err) == (0, f"altseason {__version__}", "")


def test_global_options_after_the_command_mean_the_same(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from altseason.store import Store

    path = home / "elsewhere.duckdb"
    Store(path).close()
    code_after, after, _ = _run(["status", "--store", str(path)], capsys, monkeypatch)
    code_before, before, _ = _run(["--store", str(path), "status"], capsys, monkeypatch)
    assert code_after == code_before == 0
    assert "elsewhere" in after  # the store named after the command was used
    assert after == before


def test_missing_store_folder_needs_create(
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "new" / "folder" / "s.duckdb"
    code, _, err = _run(["--store", str(path), "import", str(path)], capsys, monkeypatch)
    assert code == 2 and "--create" in err and not path.parent.exists()
    # a reader never creates a store; a writer with --create does
    code, _, err = _run(["--store", str(path), "--create", "status"], capsys, monkeypatch)
    assert code == 1 and "no store at" in err and not path.exists()
    wide = tmp_path / "wide.csv"
    wide.write_text("Date,ZZTOP\n2025-01-01,1.5\n")
    args = ["import", str(wide), "--map", "Date=date", "--map", "*=close", "--create"]
    code, _, err = _run(["--store", str(path), *args], capsys, monkeypatch)
    assert code == 0, err
    assert path.exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status", "--store", "s"], ["--store", "s", "status"]),
        (["status", "--store=s", "--debug"], ["--store=s", "--debug", "status"]),
        (
            ["backtest", "momentum", "--lock-timeout", "3"],
            ["--lock-timeout", "3", "backtest", "momentum"],
        ),
        (["import", "--", "--store"], ["import", "--", "--store"]),
        (["status", "--store"], ["--store", "status"]),
    ],
)
def test_hoist_global_options(argv: list[str], expected: list[str]) -> None:
    assert hoist_global_options(argv) == expected
