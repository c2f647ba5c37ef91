"""``altseason fetch`` and ``altseason snapshot options`` through the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from connector_support import Counting, make_client, router
from typer.testing import CliRunner

import altseason.cli._fetch as cli_fetch
import altseason.cli._register  # noqa: F401
from altseason.cli import app, main
from altseason.config import Settings
from altseason.store import Store


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Counting:
    handler = Counting(router)
    monkeypatch.setattr(cli_fetch, "client_factory", lambda s: make_client(handler, settings=s))
    return handler


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["altseason", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_fetch_help_documents_keys_limits_and_licences() -> None:
    result = CliRunner().invoke(app, ["fetch", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for needle in (
        "COINGECKO_API_KEY",
        "COINGECKO_API_PLAN",
        "COINMETRICS_API_KEY",
        "FRED_API_KEY",
        "ALTSEASON_USER_AGENT",
        "CC BY-NC 4.0",
        "Data provided by CoinGecko",
        "365 days",
        "Retry-After",
        "Farside",
        "FRED",
        "--since",
        "--assets",
        "binance:klines",
        "30/min",
    ):
        assert needle in text, needle


def test_snapshot_help_has_cron_line() -> None:
    result = CliRunner().invoke(app, ["snapshot", "options", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "0 * * * * altseason snapshot options" in result.output


def test_fetch_writes_and_summarises(
    home: Path,
    served: Counting,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _main(monkeypatch, "fetch", "alternative_me", "lbma", "--since", "2024-01-01")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "alternative_me" in out and "lbma" in out
    with Store(home / "altseason.duckdb", read_only=True) as store:
        assert store.count("sentiment") == 10 and store.count("macro") == 12


def test_snapshot_options(
    home: Path,
    served: Counting,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _main(monkeypatch, "snapshot", "options", "--currency", "BTC")
    assert code == 0
    assert "archived 6 option rows for BTC" in capsys.readouterr().out
    with Store(home / "altseason.duckdb", read_only=True) as store:
        assert store.count("options") == 6


def test_failure_is_one_line_and_nonzero(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = Counting(router, fail=99, failure=lambda r: httpx.Response(451))
    monkeypatch.setattr(cli_fetch, "client_factory", lambda s: make_client(handler, settings=s))
    code = _main(monkeypatch, "fetch", "binance", "--assets", "BTC")
    err = capsys.readouterr().err
    assert code == 1
    assert "error:" in err and "451" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3  # one message (soft-wrapped at most)


def test_bad_arguments_fail_cleanly(
    home: Path,
    served: Counting,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _main(monkeypatch, "fetch", "nosuchsource") == 2  # usage mistakes exit 2
    assert "unknown source" in capsys.readouterr().err
    assert _main(monkeypatch, "fetch", "fng", "--since", "yesterday") == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert served.requests == []


def test_settings_keys_reach_client(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Settings] = []

    def factory(s: Settings) -> object:
        seen.append(s)
        return make_client(Counting(router), settings=s)

    monkeypatch.setattr(cli_fetch, "client_factory", factory)
    monkeypatch.setenv("FRED_API_KEY", "k-123")
    assert _main(monkeypatch, "fetch", "fred", "--series", "M2SL") == 0
    assert seen and seen[0].fred_api_key == "k-123"


def test_fetch_help_gives_limits_and_advice_per_source() -> None:
    result = CliRunner().invoke(app, ["fetch", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    for needle in (
        "Limits per source",
        "What to do about each error class",
        "418 IP banned",
        "451 region blocked",
        "error code 10012".lower(),
        "--dry-run",
        "rows the store rejected",
        "skipped",
    ):
        assert needle.lower() in text.lower(), needle
    advice = text[text.index("What to do about each error class") :]
    binance = advice[advice.index("binance") : advice.index("deribit")]
    assert "429 rate limited Binance's public endpoints take no API key" in binance


def test_dry_run_lists_requests_masks_keys_and_sends_nothing(
    home: Path,
    served: Counting,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FRED_API_KEY", "fred-secret-123")
    monkeypatch.setenv("COINGECKO_API_KEY", "CG-secret-456")
    monkeypatch.setenv("COLUMNS", "400")
    code = _main(
        monkeypatch, "fetch", "--dry-run", "fred", "coingecko:history", "binance", "deribit:funding",
        "--series", "M2SL", "--assets", "BTC", "--since", "2024-01-01",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert served.requests == []  # nothing sent
    assert not (home / "altseason.duckdb").exists()  # nothing written
    assert "fred-secret-123" not in out and "CG-secret-456" not in out
    assert "api_key=***" in out and "x-cg-demo-api-key: ***" in out
    assert "series_id=M2SL" in out and "observation_start=2024-01-01" in out
    assert "/coins/{id of BTC}/market_chart/range" in out
    assert "/fapi/v1/fundingInfo" in out and "symbol=BTCUSDT" in out
    assert "startTime=1704067200000" in out
    assert "instrument_name=BTC-PERPETUAL" in out and "30-day windows" in out


def test_dry_run_resumes_from_the_store(
    home: Path,
    served: Counting,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _main(monkeypatch, "fetch", "alternative_me", "--since", "2024-01-01") == 0
    capsys.readouterr()
    before = len(served.requests)
    monkeypatch.setenv("COLUMNS", "400")
    assert (
        _main(monkeypatch, "fetch", "--dry-run", "alternative_me", "fred", "--series", "M2SL") == 0
    )
    out = capsys.readouterr().out
    assert len(served.requests) == before
    assert "limit=" in out and "fredgraph.csv?id=M2SL&cosd=1959-01-01" in out


def test_summary_shows_rejected_and_skipped_with_reasons(
    home: Path,
    served: Counting,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    code = _main(monkeypatch, "fetch", "deribit:options", "--assets", "BTC")
    out = capsys.readouterr().out
    assert code == 0, out
    header = next(line for line in out.splitlines() if "rejected" in line)
    assert "skipped" in header and "rows" in header
    row = next(line for line in out.splitlines() if "options" in line and "deribit" in line)
    cells = [c.strip() for c in row.split("│")]
    assert cells[3:6] == ["6", "0", "1"]  # rows written, rejected, skipped
    assert "skipped: 1 BTC: option expired before the snapshot: left out" in row


def test_dry_run_of_every_source_plans_without_sending(
    home: Path,
    served: Counting,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert _main(monkeypatch, "fetch", "--dry-run") == 0
    out = capsys.readouterr().out
    assert served.requests == []
    for section in (
        "coingecko:markets",
        "coingecko:history",
        "coingecko:categories",
        "coinmetrics:asset_metrics",
        "binance:funding",
        "deribit:options",
        "deribit:funding",
        "deribit:dvol",
        "fred:series",
        "alternative_me:fng",
        "farside:flows",
        "lbma:prices",
    ):
        assert section in out, section
    assert "ignore_unsupported_errors=true" in out and "/sol/" in out
