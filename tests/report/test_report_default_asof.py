"""The default report date is the newest day with a broad cross-section of prices."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from altseason.analytics import DivergenceAnalysis
from altseason.report import broad_asof, build_report, default_asof
from altseason.store import Store


def _extend(store: Store, assets: list[str], last: pd.Timestamp, days: int) -> pd.Timestamp:
    """``days`` more closes for ``assets`` only, from another source (a few-coin file)."""
    dates = pd.date_range(last + pd.Timedelta(days=1), periods=days, freq="D")
    prev = store.read_prices("close", end=last).iloc[-1]
    frame = pd.concat(
        [
            pd.DataFrame({"date": dates, "asset_id": a, "close": float(prev[a]) * 1.001})
            for a in assets
        ],
        ignore_index=True,
    )
    store.ingest(dataset="few_coins", source="few_coins", tables={"prices": frame})
    return pd.Timestamp(dates[-1])


def test_a_few_coins_running_past_the_rest_do_not_set_the_report_date(
    market_store: tuple[Store, pd.Timestamp],
) -> None:
    store, last = market_store
    # a broad store: the default is its newest day
    when, info = broad_asof(store)
    assert when == default_asof(store) == last and not info["thin"]
    newest = _extend(store, ["BTC", "ETH"], last, 20)
    when, info = broad_asof(store)
    assert default_asof(store) == newest
    assert info["thin"] and info["priced"] == 2 and info["recent"] > 20
    assert when == last == info["broad_asof"]
    # the same rule as the divergence command's coverage check (one definition)
    cov = DivergenceAnalysis.from_store(store, asof=newest).coverage()
    assert (cov["thin"], cov["priced"], cov["broad_asof"]) == (True, 2, last)
    # independently: the newest day on which at least half the daily-priced assets have a close
    close = store.read_prices("close", end=newest)
    window = close.loc[newest - pd.Timedelta(days=365) :]
    daily = window.loc[:, window.notna().sum() >= 30]
    counts = daily.notna().sum(axis=1)
    assert counts[counts >= 0.5 * daily.shape[1]].index[-1] == last
    # the report without --asof describes the broad day; an explicit as-of is never moved
    assert build_report(store, sections=["divergence"]).asof == last
    assert build_report(store, asof=newest, sections=["divergence"]).asof == newest


def test_report_cli_says_why_it_reports_on_an_earlier_day(
    market_store: tuple[Store, pd.Timestamp], tmp_path: pytest.TempPathFactory
) -> None:
    from altseason.cli import _register  # noqa: F401
    from altseason.cli._app import app

    store, last = market_store
    newest = _extend(
        store,
        ["BTC", "ETH", "SOL"] if "SOL" in store.read_prices("close").columns else ["BTC", "ETH"],
        last,
        15,
    )
    path = store.path
    store.close()
    res = CliRunner().invoke(
        app,
        [
            "--store",
            str(path),
            "report",
            "--format",
            "md",
            "--sections",
            "divergence",
            "--out",
            str(tmp_path / "out"),  # type: ignore[operator]
        ],
    )
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert f"Reporting as of {last.date()}, the newest day with a broad cross-section" in text
    assert f"Pass --asof {newest.date()}" in text
