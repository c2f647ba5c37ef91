"""One definition per quantity: the same id gives the same number on every surface.

Surfaces: the report's findings.json, every command's ``--export x.json``, the
dashboard API (``build_page``) and the Python API (the analytics and strategy
functions a user calls directly). Checked on the demo store and on a store
built from the real datasets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from altseason.cli import app
from altseason.report import FindingSet, Report, build_report
from altseason.store import Store

# command -> its extra arguments; every one exports findings with --export x.json
COMMANDS: dict[str, tuple[str, ...]] = {
    "divergence": (),
    "events": (),
    "allocate": (),
    "flows": (),
}

# dashboard page -> report sections it shows (the ids compared)
PAGES = ("divergence", "strategy", "flows")


def _api_values(store: Store, asof: pd.Timestamp, fs: FindingSet) -> dict[str, float | None]:
    """The shared quantities, from the functions a Python user calls."""
    from altseason.analytics import DivergenceAnalysis, event_study_from_store
    from altseason.report._sections._strategy import (
        BACKTEST_DAYS,
        BACKTEST_DEFAULTS,
        current_allocation,
        strategy_data,
    )
    from altseason.strategies import Rotation, run_strategy

    out: dict[str, float | None] = {}
    da = DivergenceAnalysis.from_store(store, asof=asof, window=90)
    perf = da.performance()
    out["divergence.btc_return"] = float(perf.loc["BTC", "90d"])
    out["divergence.eth_return"] = float(perf.loc["ETH", "90d"])
    alt = da.altseason()["altseason_index"].dropna()
    out["divergence.altseason_index"] = float(alt.iloc[-1])
    br = da.breadth()["above_50d"].dropna()
    out["divergence.breadth_50d"] = float(br.iloc[-1])
    dom = da.dominance().dropna()
    out["divergence.dominance"] = float(dom.iloc[-1])
    sr = da.sector_returns()
    for sec, row in sr.iterrows():
        if row["enough"] and pd.notna(row["return"]):
            out[f"sectors.return.{sec}"] = float(row["return"])
            assert float(perf.loc[f"sector:{sec}", "90d"]) == pytest.approx(row["return"])
    label = fs.get("divergence.small_return").label.lower()
    tier = next((t for t in ("small", "mid", "large") if label.startswith(t)), None)
    if tier is not None and f"tier:{tier}" in perf.index:
        out["divergence.small_return"] = float(perf.loc[f"tier:{tier}", "90d"])
    study, _mkt, _src, _builtin = event_study_from_store(store, "BTC", end=asof)
    out["events.car_mean"] = float(study.summary.loc["[0, 20]", "caar"])
    full = strategy_data(store, end=asof)
    _when, target, _s = current_allocation(full)
    majors = float(target.reindex(["BTC", "ETH"]).fillna(0).sum())
    out["strategy.weight_majors"] = majors
    start = max(full.close.index[0], asof - pd.Timedelta(days=BACKTEST_DAYS))
    res = run_strategy(Rotation(), strategy_data(store, start=start, end=asof), **BACKTEST_DEFAULTS)
    out["strategy.sharpe"] = float(res.metrics["sharpe"])
    out["strategy.cagr"] = float(res.metrics["cagr"])
    return out


def _validate(payload: dict[str, Any]) -> None:
    import jsonschema

    from altseason.report import FINDINGS_SCHEMA

    jsonschema.validate(payload, json.loads(FINDINGS_SCHEMA.read_text(encoding="utf-8")))


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def _check(
    store_path: Path, tmp_path: Path, report_of: Callable[[Store], Report]
) -> tuple[int, int]:
    """Compare every surface; returns (ids compared across exports, API values compared)."""
    from altseason.cli import _register  # noqa: F401
    from altseason.dashboard._pages import build_page
    from altseason.dashboard._params import PageParams

    with Store(store_path) as store:
        report = report_of(store)
    asof = report.asof
    out = tmp_path / "report"
    from altseason.report import write_report

    paths = write_report(report, out, formats=("md",))
    main = {f["id"]: f for f in json.loads(paths["findings"].read_text())["findings"]}

    compared = 0
    runner = CliRunner()
    for cmd, extra in COMMANDS.items():
        path = tmp_path / f"{cmd}.json"
        args = ["--store", str(store_path), cmd, *extra]
        args += ["--asof", str(asof.date())]  # every command takes the report's as-of
        res = runner.invoke(app, [*args, "--export", str(path)], env={"COLUMNS": "200"})
        assert res.exit_code == 0, (cmd, res.output, res.exception)
        payload = json.loads(path.read_text())
        _validate(payload)
        assert payload["meta"]["asof"] == str(asof.date()), cmd
        assert payload["meta"]["command"] == cmd
        assert payload["findings"], cmd
        for f in payload["findings"]:
            assert f["id"] in main, (cmd, f["id"])
            m = main[f["id"]]
            assert _same(f["value"], m["value"]), (cmd, f["id"], f["value"], m["value"])
            assert f["status"] == m["status"] and f["label"] == m["label"], (cmd, f["id"])
            compared += 1

    # the report's backtest is `altseason backtest rotation` over the same window
    start, end = str(main["strategy.cagr"]["window"]).split("..")
    path = tmp_path / "backtest.json"
    res = runner.invoke(
        app,
        [
            "--store",
            str(store_path),
            "backtest",
            "rotation",
            "--start",
            start,
            "--end",
            end,
            "--export",
            str(path),
        ],
    )
    assert res.exit_code == 0, (res.output, res.exception)
    bt = json.loads(path.read_text())
    _validate(bt)
    by_id = {f["id"]: f for f in bt["findings"]}
    for metric in ("cagr", "sharpe", "max_drawdown"):
        assert _same(
            by_id[f"backtest.rotation.{metric}"]["value"], main[f"strategy.{metric}"]["value"]
        )
        compared += 1

    with Store(store_path, read_only=True) as store:
        views = [(p, "BTC") for p in PAGES] + [("flows", "ETH"), ("options", "ETH")]
        for page, u in views:  # the selector picks the report's findings of one underlying
            payload = build_page(store, page, PageParams(asof=asof.date(), underlying=u))
            assert payload["asof"] == str(asof.date())
            for f in payload["findings"]:
                if f["id"] in main:
                    assert _same(f["value"], main[f["id"]]["value"]), (page, f["id"])
                    assert f["status"] == main[f["id"]]["status"], (page, f["id"])
                    compared += 1
        api = _api_values(store, asof, report.findings)
    n_api = 0
    for fid, value in api.items():
        m = main.get(fid)
        assert m is not None, fid
        if m["status"] == "unavailable":
            continue  # judged unusable: the report withholds the number the API computes
        assert _same(m["value"], value), (fid, m["value"], value)
        n_api += 1
    return compared, n_api


def test_every_surface_agrees_on_the_demo(demo_store_path: Path, tmp_path: Path) -> None:
    compared, n_api = _check(demo_store_path, tmp_path, lambda s: build_report(s))
    assert compared > 40
    assert n_api >= 12  # every quantity of _api_values, all ok on the demo


@pytest.mark.real_data
def test_every_surface_agrees_on_real_data(real_store_path: Path, tmp_path: Path) -> None:
    compared, n_api = _check(real_store_path, tmp_path, lambda s: build_report(s))
    assert compared > 20
    assert n_api >= 4
