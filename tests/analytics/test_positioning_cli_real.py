"""`flows -u ETH`, `options ETH`/`options BTC` and `events` on real files imported into a store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from altseason.cli import app
from altseason.sources.files._import import import_file
from altseason.store import Store

FILES = (
    "etf_flows/kittycapital__btc-etf-dashboard/data/eth_etf_flows.json",
    "etf_flows/kittycapital__btc-etf-dashboard/data/eth_price.json",
    "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options.csv",
    "options/jiaxiang-cheng__definer/data/deribit_options.csv",
)


@pytest.fixture(scope="module")
def real_store(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store.duckdb"
    with Store(path) as store:
        for rel in FILES:
            import_file(store, real_data / rel)
    return path


def run(path: Path, *args: str) -> str:
    from altseason.cli import _register  # noqa: F401

    res = CliRunner().invoke(app, ["--store", str(path), *args], env={"COLUMNS": "220"})
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.real_data
def test_flows_for_eth(real_store: Path, tmp_path: Path) -> None:
    out = run(
        real_store, "flows", "-u", "ETH", "--period", "year", "--export", str(tmp_path / "f.csv")
    )
    assert "ETH spot ETF flows per year" in out and "ETH ETF holders by fund" in out
    table = pd.read_csv(tmp_path / "f.csv")
    row = table.loc[table["year"].str.startswith("2025")].iloc[0]
    assert row["net_flow_usd_m"] == pytest.approx(9_686.3, abs=0.05)
    assert 1_000 < row["cost_basis_usd"] < 5_000


@pytest.mark.real_data
def test_options_for_eth_and_btc(real_store: Path) -> None:
    out = run(real_store, "options", "ETH")
    assert "ETH options positioning" in out and "Max pain per expiry" in out
    assert "26JAN24" in out and "no implied vols" in out
    out = run(real_store, "options", "BTC")
    assert "26DEC25" in out and "100,000" in out
    assert "over all expiries 95,000" in out
    assert "holding 50% of below-spot put OI" in out
    out = run(real_store, "options", "BTC", "--zone-share", "0.8", "--max-pain", "all_expiries")
    assert "holding 80% of below-spot put OI" in out and "max pain 95,000" in out


@pytest.mark.real_data
def test_flows_by_fund_names_a_totals_only_row(real_data: Path, tmp_path: Path) -> None:
    """SOL flows whose early days come as a total only: the row says so, not a fund name."""
    path = tmp_path / "sol.duckdb"
    with Store(path) as store:
        for rel in ("sol_etf_flows.json", "sol_price.json"):
            import_file(store, real_data / "etf_flows/kittycapital__btc-etf-dashboard/data" / rel)
        funds = set(store.read_table("etf_flows", underlying="SOL")["fund"].astype(str))
    out = run(path, "flows", "-u", "SOL")
    assert "SOL ETF holders by fund" in out
    totals = sorted(f for f in funds if f.upper().startswith("TOTAL-"))
    assert totals == ["TOTAL-SOL"]  # the file gives its early days as totals only
    assert "TOTAL-SOL (total only)" in " ".join(out.split())
    assert "not a fund of its own" in " ".join(out.split())
