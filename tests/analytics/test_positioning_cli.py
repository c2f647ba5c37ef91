"""The flows, options, support and events commands on a small demo-labelled store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from altseason.cli import app
from altseason.labels import DEMO_LABEL, DEMO_SOURCE
from altseason.store import Store


@pytest.fixture
def demo_store(tmp_path: Path) -> Path:
    path = tmp_path / "pos.duckdb"
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=400, freq="D")
    prices = []
    for asset, p0 in (("BTC", 40_000.0), ("ETH", 2_000.0)):
        close = p0 * np.exp(np.cumsum(rng.normal(0, 0.03, len(days))))
        prices.append(
            pd.DataFrame(
                {
                    "asset_id": asset,
                    "date": days,
                    "close": close,
                    "volume_usd": 1e9,
                    "market_cap_usd": close * (19e6 if asset == "BTC" else 120e6),
                }
            )
        )
    flow_days = days[10:300]
    etf = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": flow_days,
                    "fund": fund,
                    "underlying": "BTC",
                    "flow_usd": rng.normal(50e6, 100e6, len(flow_days)),
                }
            )
            for fund in ("IBIT", "FBTC")
        ]
    )
    snap = pd.Timestamp("2025-02-01 08:00")
    opts = []
    for k in np.arange(60_000.0, 140_001.0, 5_000.0):
        for kind in ("C", "P"):
            opts.append(
                {
                    "snapshot_ts": snap,
                    "venue": "deribit",
                    "instrument": f"BTC-28MAR25-{int(k)}-{kind}",
                    "underlying": "BTC",
                    "expiry": pd.Timestamp("2025-03-28 08:00"),
                    "strike": k,
                    "kind": kind,
                    "open_interest": float(rng.integers(10, 1_000)),
                    "mark_iv": 0.55,
                    "underlying_price": 100_000.0,
                    "mark_price": 0.05,
                    "volume": 10.0,
                }
            )
    onchain = pd.DataFrame(
        {"date": days, "asset_id": "BTC", "metric": "mvrv", "value": np.linspace(1.5, 2.5, 400)}
    )
    events = pd.DataFrame(
        {
            "event_id": ["e1", "e2"],
            "date": [days[200], days[300]],
            "title": ["Rule A", "Rule B"],
            "category": "regulation",
        }
    )
    with Store(path) as store:
        store.ingest(
            dataset="demo-positioning",
            source=DEMO_SOURCE,
            tables={
                "prices": pd.concat(prices),
                "etf_flows": etf,
                "options": pd.DataFrame(opts),
                "onchain": onchain,
                "events": events,
            },
        )
    return path


def run(path: Path, *args: str) -> str:
    from altseason.cli import _register  # noqa: F401

    res = CliRunner().invoke(app, ["--store", str(path), *args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def test_positioning_commands_print_and_export(demo_store: Path, tmp_path: Path) -> None:
    out = run(demo_store, "flows", "--period", "month", "--export", str(tmp_path / "f.csv"))
    assert "BTC spot ETF flows per month" in out and DEMO_LABEL in out
    flows = pd.read_csv(tmp_path / "f.csv")
    assert (flows["data_label"] == DEMO_LABEL).all()
    assert "cost_basis_usd" in flows.columns

    out = run(
        demo_store, "options", "BTC", "--horizon-days", "90", "--export", str(tmp_path / "o.csv")
    )
    assert "max_pain" in out and "call_wall" in out and DEMO_LABEL in out
    oi = pd.read_csv(tmp_path / "o.csv")
    assert oi["total_oi"].sum() > 0 and "net_gex_usd" in oi.columns

    out = run(demo_store, "support", "--export", str(tmp_path / "s.parquet"))
    assert "realized_price" in out and "etf_cost_basis" in out and DEMO_LABEL in out
    assert "realized_price_distance" in pd.read_parquet(tmp_path / "s.parquet").columns

    out = run(demo_store, "events", "--asset", "ETH", "--export", str(tmp_path / "e.json"))
    assert "Rule A" in out and "[0, 20]" in out and DEMO_LABEL in out


def test_options_command_reports_a_bad_expiry(demo_store: Path) -> None:
    from altseason.cli import _register  # noqa: F401
    from altseason.exceptions import ValidationError

    res = CliRunner().invoke(
        app, ["--store", str(demo_store), "options", "BTC", "--expiry", "2030-01-01"]
    )
    assert res.exit_code != 0
    assert isinstance(res.exception, ValidationError)
    assert "no live BTC expiry" in str(res.exception)
