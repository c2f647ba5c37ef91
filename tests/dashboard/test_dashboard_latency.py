"""What makes a new as-of page fast, checked for sameness with the slow path.

* the dashboard store reads each resolved table once per store version and
  filters it per request: every selection equals the store's own read;
* charts are written as plain Plotly JSON (``to_plotly_dict``): valid for
  ``plotly.graph_objects``, JSON without NaN, dates as ISO strings;
* an ``asof`` after the data is answered for the last price date with a
  "data ends on ..." caveat (the CLI refuses it);
* ``altseason options --export x.json`` writes the report's findings schema
  for ETH and for ``--expiry``/``--horizon-days`` runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from altseason.dashboard import PageParams
from altseason.dashboard._app import _DashboardStore
from altseason.dashboard._pages import build_page
from altseason.report._charts import Band, ChartSpec, Marker, Trace, to_plotly_dict
from altseason.sources.demo import write_demo
from altseason.store import Store

START, END = "2024-01-01", "2025-03-31"


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("latency") / "demo.duckdb"
    with Store(path) as s:
        write_demo(s, n_assets=30, start=START, end=END)
    return path


# ---------------------------------------------------------------------- shared reads
SELECTIONS: list[tuple[str, dict[str, Any]]] = [
    ("prices", {"end": "2024-09-30"}),
    (
        "prices",
        {"start": "2024-06-01", "end": "2024-09-30", "columns": ["asset_id", "date", "close"]},
    ),
    ("prices", {"asset_id": ["BTC", "ETH"], "end": "2025-01-15"}),
    ("prices", {"asset_id": "BTC"}),
    ("prices", {"asset_id": []}),
    ("prices", {"end": "2023-01-01"}),  # before the data: empty
    ("funding", {"end": "2024-12-31"}),
    ("macro", {"start": "2024-03-01", "end": "2024-12-31"}),
    ("sentiment", {"end": "2024-08-15"}),
    ("onchain", {"end": "2024-10-01", "asset_id": "BTC"}),
    ("options", {"end": "2024-12-31", "underlying": "BTC"}),  # read per request
    ("etf_flows", {"end": "2024-12-31"}),  # read per request
]


@pytest.mark.parametrize(("table", "kw"), SELECTIONS)
def test_shared_read_equals_the_store_read(demo_path: Path, table: str, kw: dict[str, Any]) -> None:
    with Store(demo_path, read_only=True) as plain:
        expected = plain.read_table(table, **kw)
    dash = _DashboardStore(demo_path, read_only=True)
    try:
        for _ in range(2):  # the first call reads the table, the second filters the copy
            got = dash.read_table(table, **kw)
            pd.testing.assert_frame_equal(got, expected)
    finally:
        dash.close()


@pytest.mark.parametrize("field", ["close", "market_cap_usd"])
@pytest.mark.parametrize("assets", [None, ["BTC"], ["ETH", "BTC", "NOPE"], []])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, None),
        (None, "2024-09-30"),
        ("2024-03-01", "2024-06-30"),
        ("2020-01-01", "2020-02-01"),
    ],
)
def test_shared_price_panel_equals_the_store_panel(
    demo_path: Path, field: str, assets: list[str] | None, start: str | None, end: str | None
) -> None:
    with Store(demo_path, read_only=True) as plain:
        expected = plain.read_prices(field, assets=assets, start=start, end=end)
    dash = _DashboardStore(demo_path, read_only=True)
    try:
        for _ in range(2):
            got = dash.read_prices(field, assets=assets, start=start, end=end)
            pd.testing.assert_frame_equal(got, expected)
    finally:
        dash.close()


def test_shared_read_is_dropped_with_the_store_version(demo_path: Path) -> None:
    dash = _DashboardStore(demo_path, read_only=True)
    try:
        dash.read_table("prices", end="2024-06-30")
        dash.read_prices("close", end="2024-06-30")
        assert "prices" in dash._shared and "close" in dash._panels
        assert dash._sources_cache  # precedence needs the sources
        dash.forget()
        assert dash._shared == {} and dash._panels == {}
        assert dash._sources_cache == {}  # a source added by another process counts
        assert dash.status_snapshot is None
    finally:
        dash.close()


def test_unknown_column_keeps_the_store_message(demo_path: Path) -> None:
    from altseason.exceptions import ValidationError

    dash = _DashboardStore(demo_path, read_only=True)
    try:
        with pytest.raises(ValidationError, match="has no column 'nope'"):
            dash.read_table("prices", columns=["nope"])
    finally:
        dash.close()


# ---------------------------------------------------------------------- plotly JSON
def _spec(**kw: Any) -> ChartSpec:
    base: dict[str, Any] = {
        "id": "c",
        "title": "A chart",
        "x_label": "date",
        "y_label": "return (%)",
        "source": "Source: store prices",
    }
    return ChartSpec(**{**base, **kw})


def test_plotly_dict_is_valid_plotly_json() -> None:
    import plotly.graph_objects as go

    days = [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    spec = _spec(
        demo=True,
        traces=[
            Trace("a", days, [0.1, float("nan"), 0.3]),
            Trace("b", days, [1.0, 2.0, 3.0], kind="bar", axis="y2"),
            Trace("c", days, [0.0, 0.1, 0.2], kind="area", dash=True),
        ],
        markers=[Marker("x", days[1], "event"), Marker("y", 0.2, "level")],
        bands=[Band("x", days[0], days[1], "window"), Band("y", 0.1, 0.2, "zone")],
        y2_label="flow (USD)",
        y_format="pct",
        y2_format="usd",
    )
    fig = to_plotly_dict(spec)
    text = json.dumps(fig, allow_nan=False)  # raises on NaN / inf
    back = json.loads(text)
    assert back["data"][0]["x"][0] == "2024-01-01T00:00:00"
    assert back["data"][0]["y"] == [0.1, None, 0.3]
    assert [t["type"] for t in back["data"]] == ["scatter", "bar", "scatter"]
    assert back["data"][1]["yaxis"] == "y2" and back["data"][2]["fill"] == "tozeroy"
    assert back["data"][2]["line"]["dash"] == "dash"
    layout = back["layout"]
    assert len(layout["shapes"]) == 4  # two reference lines, two bands
    texts = [a["text"] for a in layout["annotations"]]
    assert texts[:4] == ["event", "level", "window", "zone"]
    assert "Source: store prices" in texts and any("DEMO" in t for t in texts)
    assert layout["yaxis"]["tickformat"] == ".3~%" and layout["yaxis2"]["tickprefix"] == "$"
    assert layout["template"]["layout"]  # plotly_white, as plotly writes it
    go.Figure(back)  # plotly's own validation: raises on any unknown property


def test_plotly_dict_heatmap_and_horizontal_bars() -> None:
    import plotly.graph_objects as go

    hm = pd.DataFrame(
        [[1.0, 0.4], [0.4, float("nan")]], index=["BTC", "ETH"], columns=["BTC", "ETH"]
    )
    fig = json.loads(json.dumps(to_plotly_dict(_spec(kind="heatmap", heatmap=hm)), allow_nan=False))
    assert fig["data"][0]["z"] == [[1.0, 0.4], [0.4, None]]
    assert fig["layout"]["yaxis"] == {
        "title": {"text": "return (%)"},
        "type": "category",
        "autorange": "reversed",
    }
    go.Figure(fig)
    bars = _spec(horizontal=True, traces=[Trace("r", ["AI", "DeFi"], [0.2, -0.1], kind="bar")])
    fig2 = to_plotly_dict(bars)
    assert fig2["data"][0]["orientation"] == "h"
    assert fig2["data"][0]["x"] == [0.2, -0.1] and fig2["data"][0]["y"] == ["AI", "DeFi"]
    go.Figure(fig2)


# ---------------------------------------------------------------------- asof after the data
def test_asof_after_the_data_is_a_caveat(demo_path: Path) -> None:
    import datetime as dt

    with Store(demo_path, read_only=True) as store:
        late = build_page(store, "flows", PageParams(asof=dt.date(2026, 6, 1)))
        last = build_page(store, "flows", PageParams(asof=dt.date.fromisoformat(END)))
    assert last["freshness"] is None
    assert late["asof"] == last["asof"] == late["last_date"] == END
    fresh = late["freshness"]
    assert fresh["requested"] == "2026-06-01" and fresh["data_ends"] == END
    assert fresh["note"].startswith(f"data ends on {END}")
    ok_before = [f["id"] for f in last["findings"] if f["status"] == "ok"]
    assert ok_before  # something to turn into a caveat
    by_id = {f["id"]: f for f in late["findings"]}
    for fid in ok_before:
        assert by_id[fid]["status"] == "caveat"
        assert by_id[fid]["reason"] == fresh["note"]
    # the numbers are those of the last price date
    for f in last["findings"]:
        a, b = f["value"], by_id[f["id"]]["value"]
        assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


# ---------------------------------------------------------------------- options export
def _validate(payload: dict[str, Any]) -> None:
    import jsonschema

    from altseason.report import FINDINGS_SCHEMA

    jsonschema.validate(payload, json.loads(FINDINGS_SCHEMA.read_text(encoding="utf-8")))


def _export(demo_path: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    from altseason.cli import (
        _register,  # noqa: F401  (registers the commands)
        app,
    )

    out = tmp_path / "x.json"
    res = CliRunner().invoke(
        app, ["--store", str(demo_path), "options", *args, "--export", str(out)]
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    _validate(payload)
    return payload


def test_options_eth_export_matches_the_dashboard(demo_path: Path, tmp_path: Path) -> None:
    payload = _export(demo_path, tmp_path, "ETH")
    ids = {f["id"]: f for f in payload["findings"]}
    assert "derivatives.eth.call_wall" in ids and "derivatives.eth.max_pain" in ids
    with Store(demo_path, read_only=True) as store:
        page = build_page(store, "options", PageParams(underlying="ETH"))
    shown = {f["id"]: f for f in page["findings"]}
    for fid, f in ids.items():
        assert fid in shown
        assert f["value"] == shown[fid]["value"], fid


@pytest.mark.parametrize(
    ("args", "prefix", "kw"),
    [
        (("--horizon-days", "30"), "options.btc.horizon-30d", {"horizon_days": 30.0}),
        (("ETH", "--zone-share", "0.6"), "options.eth.zone-0_6", {"zone_share": 0.6}),
    ],
)
def test_options_export_with_choices(
    demo_path: Path, tmp_path: Path, args: tuple[str, ...], prefix: str, kw: dict[str, Any]
) -> None:
    from altseason.analytics import options_from_store, options_positioning

    payload = _export(demo_path, tmp_path, *args)
    ids = {f["id"]: f for f in payload["findings"]}
    assert all(i.startswith(prefix + ".") for i in ids)
    u = "ETH" if "ETH" in args else "BTC"
    with Store(demo_path, read_only=True) as store:
        frame = options_from_store(store, underlying=u)
    summary = options_positioning(frame, underlying=u, **kw).summary()
    for key in ("call_wall", "put_zone_low", "put_zone_high", "max_pain", "put_call_oi"):
        assert ids[f"{prefix}.{key}"]["value"] == pytest.approx(float(summary[key])), key
    assert all(str(next(iter(kw))) in f["window"] for f in ids.values())


def test_options_export_with_expiry(demo_path: Path, tmp_path: Path) -> None:
    from altseason.analytics import options_from_store, options_positioning

    with Store(demo_path, read_only=True) as store:
        frame = options_from_store(store, underlying="BTC")
    snap = frame["snapshot_ts"].max()
    expiry = str(pd.Timestamp(frame.loc[frame["snapshot_ts"] == snap, "expiry"].min()).date())
    payload = _export(demo_path, tmp_path, "BTC", "--expiry", expiry)
    prefix = f"options.btc.expiry-{expiry}"
    ids = {f["id"]: f for f in payload["findings"]}
    summary = options_positioning(frame, underlying="BTC", expiry=expiry).summary()
    assert ids[f"{prefix}.max_pain"]["value"] == pytest.approx(float(summary["max_pain"]))
    assert ids[f"{prefix}.call_wall"]["value"] == pytest.approx(float(summary["call_wall"]))


def test_api_answer_carries_the_freshness(demo_path: Path) -> None:
    from fastapi.testclient import TestClient

    from altseason.dashboard import create_app

    with TestClient(create_app(demo_path, warm_up=False), base_url="http://127.0.0.1") as client:
        late = client.get("/api/support", params={"asof": "2031-01-01"})
        now = client.get("/api/support", params={"asof": END})
    assert late.status_code == now.status_code == 200
    assert now.json()["freshness"] is None
    fresh = late.json()["freshness"]
    assert fresh == {
        "requested": "2031-01-01",
        "asof": END,
        "data_ends": END,
        "note": f"data ends on {END}; showing {END} instead of 2031-01-01",
    }
    assert all(f["status"] != "ok" for f in late.json()["findings"])


@pytest.mark.parametrize("asof", ["2024-10-31", END])
def test_pages_from_the_shared_reads_equal_the_plain_store(demo_path: Path, asof: str) -> None:
    import datetime as dt

    from altseason.dashboard import PAGES

    params = PageParams(asof=dt.date.fromisoformat(asof), assets=("BTC", "ETH"))
    dash = _DashboardStore(demo_path, read_only=True)
    try:
        with Store(demo_path, read_only=True) as plain:
            for page in PAGES:
                a = build_page(plain, page, params)
                b = build_page(dash, page, params)
                assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True), page
    finally:
        dash.close()
