"""CLI: altseason backtest / sweep over the store's close panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from altseason.cli import app
from altseason.config import load_settings
from altseason.labels import DEMO_LABEL
from altseason.store import Store


def _seed(home: Path, source: str) -> None:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2023-01-01", periods=160, freq="D")
    rows = []
    for j, asset in enumerate(["BTC", "ETH", "SOL", "DOGE", "LINK", "AVAX"]):
        close = 10.0 * (j + 1) * np.exp(np.cumsum(rng.normal(0.001, 0.04, len(dates))))
        start = 0 if j < 3 else 20 * j
        rows += [
            {"asset_id": asset, "date": d, "close": c, "volume_usd": 1e7}
            for d, c in zip(dates[start:], close[start:], strict=True)
        ]
    home.mkdir(parents=True, exist_ok=True)
    with Store(load_settings().store_path) as store:
        store.ingest(dataset="prices", source=source, tables={"prices": pd.DataFrame(rows)})


@pytest.fixture
def runner() -> CliRunner:
    import altseason.cli._register  # noqa: F401

    return CliRunner()


def test_backtest_prints_metrics_with_the_demo_label(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    _seed(home, "demo")
    out = tmp_path / "daily.csv"
    res = runner.invoke(
        app,
        [
            "backtest",
            "momentum",
            "--param",
            "lookback=20",
            "-p",
            "k=2",
            "--fees-bps",
            "15",
            "--start",
            "2023-01-15",
            "--export",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "sharpe" in res.output and "max_drawdown" in res.output
    assert DEMO_LABEL in res.output
    daily = pd.read_csv(out, index_col=0, parse_dates=True)
    assert daily.index[0] == pd.Timestamp("2023-01-15") and len(daily) == 146
    assert {"equity", "returns", "gross", "fees"} <= set(daily.columns)
    assert (daily["data_label"] == DEMO_LABEL).all()


def test_backtest_rejects_unknown_strategy_and_bad_params(home: Path, runner: CliRunner) -> None:
    _seed(home, "test")
    res = runner.invoke(app, ["backtest", "nope"])
    assert res.exit_code != 0 and "unknown strategy" in str(res.exception)
    res = runner.invoke(app, ["backtest", "momentum", "-p", "lookback"])
    assert "key=value" in str(res.exception)


def test_sweep_prints_top_configurations_dsr_and_pbo(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    _seed(home, "test")
    out = tmp_path / "sweep.csv"
    res = runner.invoke(
        app,
        [
            "sweep",
            "momentum",
            "--grid",
            "lookback=5,10,20",
            "--grid",
            "k=1,2",
            "--scheduler",
            "serial",
            "--top",
            "4",
            "--export",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "top 4 of 6" in res.output
    assert (
        "deflated Sharpe ratio" in res.output
        and "probability of backtest overfitting" in res.output
    )
    assert DEMO_LABEL not in res.output
    table = pd.read_csv(out)
    assert len(table) == 6 and {"lookback", "k", "sharpe", "cagr"} <= set(table.columns)


def test_backtest_nosuch_lists_every_registered_strategy(home: Path, runner: CliRunner) -> None:
    _seed(home, "test")
    res = runner.invoke(app, ["backtest", "nosuch"])
    msg = str(res.exception)
    for name in ("momentum", "rotation", "hedged_short", "btc_hold", "equal_weight_small_caps"):
        assert name in msg
    res = runner.invoke(app, ["backtest", "momentum", "-p", "k=two"])
    assert "bad value 'two' for parameter 'k'" in str(res.exception)


def test_backtest_prints_a_tearsheet_beside_the_benchmarks(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    _seed(home, "test")
    res = runner.invoke(
        app,
        ["backtest", "momentum", "-p", "lookback=20", "-p", "k=2", "--charts", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    for text in (
        "btc_hold",
        "btc_eth_50_50",
        "monthly returns",
        "deepest drawdowns",
        "rolling 90-day Sharpe",
        "P&L attribution",
        "one-way",
        "warmup_days",
    ):
        assert text in res.output, text
    # benchmarks that need market caps or tiers are skipped with the reason
    assert "benchmark skipped: equal_weight_small_caps" in res.output.replace("\n", " ")
    for what in ("equity", "drawdown", "rolling_sharpe", "monthly"):
        assert (tmp_path / f"momentum_{what}.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("name", "grid"),
    [("btc_eth_50_50", "rebalance_days=7,30"), ("hedged_short", "hedge=none,call")],
)
def test_sweep_any_registered_strategy_with_walk_forward(
    home: Path, runner: CliRunner, name: str, grid: str
) -> None:
    _seed(home, "test")
    res = runner.invoke(
        app,
        ["sweep", name, "--grid", grid, "--scheduler", "serial", "--train-days", "60",
         "--test-days", "30"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "top 2 of 2" in res.output
    assert "out-of-sample check (rolling" in res.output and "in-sample Sharpe" in res.output
    res = runner.invoke(app, ["sweep", name, "--grid", "nosuch=1", "--scheduler", "serial"])
    assert "unknown parameter 'nosuch'" in str(res.exception)
