"""Dashboard JSON pages on a small demo store, checked against the report and analytics."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from altseason.dashboard import PAGES, PageParams, create_app
from altseason.dashboard._pages import OVERVIEW_CHARTS, PAGE_SECTIONS, build_page
from altseason.dashboard._params import UNDERLYING_PAGES
from altseason.labels import DEMO_LABEL
from altseason.report import build_report, format_value
from altseason.sources.demo import write_demo
from altseason.store import Store

START, END = "2024-01-01", "2025-03-31"
EARLIER = "2024-11-15"


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dash") / "demo.duckdb"
    with Store(path) as s:
        # 100 assets: the altseason index needs 25 of the top 50, breadth 20 assets
        write_demo(s, n_assets=100, start=START, end=END)
    return path


@pytest.fixture(scope="module")
def client(demo_path: Path) -> Iterator[TestClient]:
    app = create_app(demo_path)
    try:
        yield TestClient(app, base_url="http://127.0.0.1")
    finally:
        app.state.store.close()


@pytest.fixture(scope="module")
def store(client: TestClient) -> Store:
    """The app's own read-only store (requests are sequential, so sharing it is safe)."""
    s: Store = client.app.state.store  # type: ignore[attr-defined]
    return s


@pytest.fixture(scope="module")
def payloads(client: TestClient) -> dict[str, dict[str, Any]]:
    out = {}
    for page in PAGES:
        r = client.get(f"/api/{page}", params={"asof": END})
        assert r.status_code == 200, (page, r.text[:300])
        out[page] = r.json()
    return out


def _by_id(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in payload["findings"]}


def _assert_error(r: Any, status: int, *words: str) -> None:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert "Traceback" not in r.text and 'File "' not in r.text
    for w in words:
        assert w in body["error"], (w, body["error"])


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_has_findings_charts_and_label(
    page: str, payloads: dict[str, dict[str, Any]]
) -> None:
    p = payloads[page]
    assert p["page"] == page and p["title"] == PAGES[page]
    assert p["demo"] is True and p["label"] == DEMO_LABEL
    assert DEMO_LABEL in p["data_label"]
    assert p["asof"] == END and p["first_date"] == START and p["last_date"] == END
    assert p["paragraphs"] and all(isinstance(t, str) and len(t) > 20 for t in p["paragraphs"])
    assert p["findings"], page
    for f in p["findings"]:
        assert {"id", "label", "text", "value", "unit", "asof", "window", "available"} <= set(f)
        assert {"reason", "provenance", "status", "coverage", "freshness"} <= set(f)
        if f["available"]:
            assert f["text"] == format_value(f["value"], f["unit"])
            assert f["status"] in ("ok", "caveat")
            assert (f["reason"] is None) == (f["status"] == "ok")  # a caveat says why
        else:
            assert f["status"] == "unavailable"
            assert f["value"] is None and f["reason"] and f["text"] == "not available"
    available = [f for f in p["findings"] if f["available"]]
    assert len(available) >= len(p["findings"]) // 2, page
    # numbers from the store carry their provenance, and the demo rows say so
    assert any("demo" in s for f in available for pr in f["provenance"] for s in pr["sources"])
    assert p["charts"], page
    for c in p["charts"]:
        fig = c["figure"]
        assert c["id"] and c["title"].endswith(DEMO_LABEL) and "Source: altseason" in c["caption"]
        assert isinstance(fig["data"], list) and len(fig["data"]) >= 1
        assert fig["layout"]["title"]["subtitle"]["text"] == DEMO_LABEL
        # no styled pseudo-HTML in the title: plotly.js styles it with attributes the CSP
        # blocks (a line break is a plain tspan)
        title = fig["layout"]["title"]["text"]
        assert "<" not in title.replace("<br>", "") and title.replace("<br>", " ") == c[
            "title"
        ].removesuffix(" — " + DEMO_LABEL)
        marks = [a.get("text", "") for a in fig["layout"].get("annotations", [])]
        assert DEMO_LABEL.upper() in marks  # the watermark
        assert not any(m.startswith("Source:") for m in marks)  # printed under the chart instead


def test_overview_matches_the_report(payloads: dict[str, dict[str, Any]], store: Store) -> None:
    report = build_report(store, asof=END, sections=list(PAGE_SECTIONS["overview"]))
    got = _by_id(payloads["overview"])
    assert list(got) == [f.id for f in report.key_figures]
    for f in report.key_figures:
        assert got[f.id]["value"] == f.value, f.id
        assert got[f.id]["text"] == f.format()
    assert payloads["overview"]["headline"] == report.headline
    # the index alone, from a report of just that section
    alone = build_report(store, asof=END, sections=["divergence"])
    idx = alone.findings["divergence.altseason_index"]
    assert idx.available
    assert got["divergence.altseason_index"]["value"] == pytest.approx(idx.number, abs=1e-12)
    drawn = {s.id for s in report.charts}
    assert [c["id"] for c in payloads["overview"]["charts"]] == [
        c for c in OVERVIEW_CHARTS if c in drawn
    ]
    assert len(payloads["overview"]["charts"]) == len(OVERVIEW_CHARTS)


@pytest.mark.parametrize("page", ["divergence", "flows", "support", "strategy"])
def test_section_pages_match_the_report(
    page: str, payloads: dict[str, dict[str, Any]], store: Store
) -> None:
    # the flows page follows the underlying selector (default BTC)
    underlyings = ["BTC"] if page in UNDERLYING_PAGES else None
    report = build_report(
        store, asof=END, sections=list(PAGE_SECTIONS[page]), underlyings=underlyings
    )
    got = _by_id(payloads[page])
    assert list(got) == report.findings.ids()
    for f in report.findings:
        assert got[f.id]["value"] == f.value and got[f.id]["available"] == f.available, f.id
    assert [c["id"] for c in payloads[page]["charts"]] == [c.id for c in report.charts]
    n_traces = [len(c["figure"]["data"]) for c in payloads[page]["charts"]]
    assert n_traces == [len(c.traces) + (c.kind == "heatmap") for c in report.charts]


def test_options_page_btc_and_eth(client: TestClient, store: Store) -> None:
    btc = client.get("/api/options", params={"asof": END}).json()
    eth = client.get("/api/options", params={"asof": END, "underlying": "ETH"}).json()
    assert btc["underlying"] == "BTC" and eth["underlying"] == "ETH"
    assert "derivatives.call_wall" in _by_id(btc)
    got = {k.replace("derivatives.eth.", "options.eth."): v for k, v in _by_id(eth).items()}
    # one underlying per page: no BTC figure on the ETH page, no ETH figure on the BTC page
    assert not any(k.startswith("derivatives.eth.") for k in _by_id(btc))
    assert all(k.startswith("derivatives.eth.") for k in _by_id(eth))
    # independent computation on the raw chain: latest ETH snapshot up to asof,
    # live expiries only, strike above spot with the most call OI
    raw = store.read_table("options", underlying="ETH", end=END)
    snap = raw["snapshot_ts"].max()
    chain = raw.loc[(raw["snapshot_ts"] == snap) & (raw["expiry"] > snap)]
    chain = chain.loc[chain["open_interest"].notna()]
    nearest = chain.loc[chain["expiry"] == chain["expiry"].min(), "underlying_price"].iloc[0]
    calls = chain.loc[chain["kind"] == "C"].groupby("strike")["open_interest"].sum()
    above = calls.loc[calls.index > nearest]
    assert got["options.eth.snapshot"]["value"] == str(pd.Timestamp(snap).date())
    assert got["options.eth.spot"]["value"] == pytest.approx(nearest)
    assert got["options.eth.call_wall"]["value"] == pytest.approx(above.idxmax())
    puts = chain.loc[chain["kind"] == "P", "open_interest"].sum()
    assert got["options.eth.put_call_oi"]["value"] == pytest.approx(
        puts / chain.loc[chain["kind"] == "C", "open_interest"].sum()
    )
    # max pain by brute force over the listed strikes of the headline expiry:
    # the nearest monthly (last Friday of its month), else the nearest expiry
    expiries = sorted(pd.to_datetime(chain["expiry"].unique()))
    monthly = [
        e for e in expiries if e.weekday() == 4 and (e + pd.Timedelta(days=7)).month != e.month
    ]
    one = chain.loc[pd.to_datetime(chain["expiry"]) == (monthly or expiries)[0]]
    strikes = np.sort(one["strike"].unique())
    pay = [
        sum(
            oi * (max(s - k, 0.0) if kind == "C" else max(k - s, 0.0))
            for k, kind, oi in one[["strike", "kind", "open_interest"]].itertuples(index=False)
        )
        for s in strikes
    ]
    assert got["options.eth.max_pain"]["value"] == pytest.approx(strikes[int(np.argmin(pay))])
    assert got["options.eth.spot"]["value"] != _by_id(btc)["derivatives.spot"]["value"]
    # the report's own ETH findings (both underlyings in one report): the same numbers
    report = build_report(store, asof=END, sections=["derivatives"])
    for f in report.findings:
        if f.id.startswith("derivatives.eth."):
            assert _by_id(eth)[f.id]["value"] == f.value, f.id
    chart = {c["id"]: c for c in eth["charts"]}["oi-by-strike-eth"]
    assert [t["name"] for t in chart["figure"]["data"]] == ["calls", "puts"]
    assert "ETH" in chart["title"] and DEMO_LABEL in chart["title"]
    assert any("ETH options snapshot" in p for p in eth["paragraphs"])
    assert not any("BTC options snapshot" in p for p in eth["paragraphs"])
    assert any("ETH perp funding" in p for p in eth["paragraphs"])
    assert [t["title"][:3] for t in eth["tables"]] == ["ETH"] * len(eth["tables"])


def test_assets_filter_adds_returns_and_rebased_chart(client: TestClient, store: Store) -> None:
    others = [a for a in store.read_prices("close", end=END).columns if a not in ("BTC", "ETH")]
    ids = ["BTC", "ETH", others[0]]
    r = client.get("/api/flows", params={"asof": END, "assets": ",".join(ids).lower()})
    assert r.status_code == 200
    p = r.json()
    got = _by_id(p)
    closes = store.read_prices("close", assets=ids, end=END)
    end = pd.Timestamp(END)
    for a in ids:
        for days in (30, 90):
            f = got[f"assets.{a}.return_{days}d"]
            expect = closes.loc[end, a] / closes.loc[end - pd.Timedelta(days=days), a] - 1
            assert f["value"] == pytest.approx(expect, rel=1e-12), (a, days)
            assert f["unit"] == "return" and f["window"] == f"{days}d" and f["asof"] == END
    chart = p["charts"][0]
    assert chart["id"] == "selected-assets"
    assert chart["title"].startswith("Selected assets, rebased to 100")
    traces = chart["figure"]["data"]
    assert [t["name"] for t in traces] == ids
    for t in traces:
        assert t["y"][0] == pytest.approx(100.0)
        assert str(t["x"][0])[:10] == str((end - pd.Timedelta(days=365)).date())
    # the ETF charts of the page are still there after the selected-assets chart: the
    # flows page follows the underlying selector (default BTC), so BTC's charts only
    assert [c["id"] for c in p["charts"][1:]] == ["etf-flows", "etf-cost-basis"]
    assert p["underlying"] == "BTC"


FLOW_FIGURES = ("net_flow", "cumulative_flow", "last_flow", "cost_basis", "holder_pnl")


@pytest.mark.parametrize(("chosen", "other"), [("ETH", "BTC"), ("BTC", "ETH")])
def test_flows_page_follows_the_underlying(
    client: TestClient, store: Store, chosen: str, other: str
) -> None:
    p = client.get("/api/flows", params={"asof": END, "underlying": chosen.lower()}).json()
    assert p["underlying"] == chosen and p["underlying_note"] is None
    got = _by_id(p)
    # the full report (BTC and ETH) computes the same findings under the same ids
    report = build_report(store, asof=END, sections=["flows"])
    pre = {"BTC": "flows", "ETH": "flows.eth"}
    mine = [f for f in report.findings if f.id.startswith(pre[chosen] + ".")]
    if chosen == "BTC":
        mine = [f for f in mine if not f.id.startswith("flows.eth.")]
    assert [f.id for f in mine] == list(got)
    for f in mine:
        assert got[f.id]["value"] == f.value and got[f.id]["available"], f.id
    for fig in FLOW_FIGURES:
        assert got[f"{pre[chosen]}.{fig}"]["available"]
    # independent check of the net flow: the sum of the chosen underlying's daily
    # flows over the 30 days to the last flow date (from the raw table)
    raw = store.read_table("etf_flows", underlying=chosen, end=END)
    daily = raw.groupby("date")["flow_usd"].sum().sort_index()
    last = pd.Timestamp(daily.index[-1])
    window = daily.loc[(daily.index > last - pd.Timedelta(days=30)) & (daily.index <= last)]
    assert got[f"{pre[chosen]}.net_flow"]["value"] == pytest.approx(window.sum(), rel=1e-9)
    # none of the other underlying's numbers, charts or text
    other_ids = {f.id for f in report.findings if f.id not in got}
    assert other_ids and all(pre[other] in i or i.startswith("flows.") for i in other_ids)
    assert not other_ids & set(got)
    texts = {f.format() for f in report.findings if f.id in other_ids and f.available} - {
        got[i]["text"] for i in got
    }
    body = " ".join(p["paragraphs"])
    assert texts and not any(t in body for t in texts if "$" in t)
    assert other not in " ".join(c["title"] for c in p["charts"])
    assert all(c["title"].startswith(chosen) for c in p["charts"])
    assert chosen in body and f"{other} spot ETF" not in body


def test_flows_page_for_eth_without_eth_flows(demo_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "no-eth.duckdb"
    shutil.copy(demo_path, path)
    with Store(path) as s:
        s.con.execute("DELETE FROM etf_flows WHERE underlying = 'ETH'")
        btc = build_page(s, "flows", PageParams(asof=pd.Timestamp(END).date()))
        eth = build_page(s, "flows", PageParams(asof=pd.Timestamp(END).date(), underlying="ETH"))
    assert _by_id(btc)["flows.net_flow"]["available"]
    got = _by_id(eth)
    assert got and all(i.startswith("flows.eth.") for i in got)
    assert not any(f["available"] for f in got.values())
    assert {"flows.eth.net_flow", "flows.eth.cost_basis", "flows.eth.holder_pnl"} <= set(got)
    assert "no ETH spot-ETF flows in the store" in got["flows.eth.net_flow"]["reason"]
    assert eth["charts"] == [] and eth["sections"][0]["note"]
    body = " ".join(eth["paragraphs"])
    assert "no ETH spot-ETF flows in the store" in body
    # no BTC number anywhere on the ETH page
    btc_numbers = {f["text"] for f in btc["findings"] if f["available"] and "$" in f["text"]}
    assert btc_numbers and not any(t in body for t in btc_numbers)


def test_pages_without_an_underlying_say_so(
    client: TestClient, payloads: dict[str, dict[str, Any]]
) -> None:
    for page, p in payloads.items():
        if page in UNDERLYING_PAGES:
            assert p["underlying"] == "BTC" and p["underlying_note"] is None
            assert '<select id="underlying" name="underlying">' in client.get(f"/{page}").text
        else:
            assert p["underlying"] is None
            assert "underlying selector does not apply" in p["underlying_note"], page
            html = client.get(f"/{page}").text
            assert '<select id="underlying" name="underlying" disabled' in html, page
    # the selector is ignored there, not silently: ETH gives the same whole-market numbers
    eth = client.get("/api/divergence", params={"asof": END, "underlying": "ETH"}).json()
    assert _by_id(eth) == _by_id(payloads["divergence"])


def test_asof_filter_changes_the_answer(client: TestClient, store: Store) -> None:
    late = client.get("/api/divergence", params={"asof": END}).json()
    early = client.get("/api/divergence", params={"asof": EARLIER}).json()
    assert (late["asof"], early["asof"]) == (END, EARLIER)
    a, b = _by_id(late), _by_id(early)
    assert a["divergence.altseason_index"]["value"] != b["divergence.altseason_index"]["value"]
    report = build_report(store, asof=EARLIER, sections=["divergence"])
    assert b["divergence.altseason_index"]["value"] == report.findings.value(
        "divergence.altseason_index"
    )
    # after the data: clamped to the last price date; no asof: the last price date
    assert client.get("/api/flows", params={"asof": "2030-01-01"}).json()["asof"] == END
    assert client.get("/api/support").json()["asof"] == END


def test_invalid_parameters_give_clear_json_errors(client: TestClient) -> None:
    _assert_error(client.get("/api/overview", params={"asof": "2025-02-30"}), 400, "asof")
    _assert_error(client.get("/api/overview", params={"asof": "soon"}), 400, "YYYY-MM-DD")
    _assert_error(client.get("/api/nowhere"), 404, "unknown page", "overview")
    _assert_error(
        client.get("/api/overview", params={"assets": "BTC,NOPE1,NOPE2"}),
        400,
        "NOPE1",
        "NOPE2",
    )
    _assert_error(client.get("/api/options", params={"underlying": "SOL"}), 400, "BTC or ETH")
    _assert_error(
        client.get("/api/flows", params={"underlying": "DOGE"}), 400, "underlying", "DOGE"
    )
    _assert_error(
        client.get("/api/overview", params={"asof": "2020-05-01"}), 400, "before", START, END
    )


def test_cache_and_warm_up_build_each_payload_once(demo_path: Path, tmp_path: Path) -> None:
    calls: list[tuple[str, PageParams]] = []

    def counting(store: Store, page: str, params: PageParams) -> dict[str, Any]:
        calls.append((page, params))
        return {"asof": END, "findings": [], "charts": [], "paragraphs": []}

    path = tmp_path / "tiny.duckdb"
    with Store(path) as s:
        df = pd.DataFrame({"asset_id": ["BTC"], "date": [pd.Timestamp(END)], "close": [1.0]})
        s.ingest(dataset="t", source="test", tables={"prices": df})
    with TestClient(
        create_app(path, page_builder=counting, warm_up=True), base_url="http://127.0.0.1"
    ) as c:
        assert c.get("/api/overview").status_code == 200
        assert c.get("/api/overview").json()["asof"] == END
    assert calls == [("overview", PageParams())]


def test_build_page_refuses_unknown_page(store: Store) -> None:
    from altseason.dashboard import ParamError

    with pytest.raises(ParamError, match="unknown page"):
        build_page(store, "nope", PageParams())


def test_html_preloads_plotly_styles_for_the_csp(client: TestClient) -> None:
    from altseason.dashboard._plotly_static import plotly_css, plotly_style_guards

    html = client.get("/options").text
    assert (
        '<link id="plotly.js-style-global" class="no-inline-styles" rel="stylesheet" '
        'href="/static/plotly.css">' in html
    )
    guards = plotly_style_guards()
    assert guards and all(f'<template id="{g}"></template>' in html for g in guards)
    css = client.get("/static/plotly.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.text == plotly_css()
    # the rules plotly.js would have injected, with its X / Y placeholders expanded
    assert ".js-plotly-plot .plotly .modebar{" in css.text
    assert ".plotly-notifier{" in css.text
    assert css.text.count("{") == css.text.count("}") > 40
