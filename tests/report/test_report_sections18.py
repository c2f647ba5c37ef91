"""Issue 18 sections: capitulation from five components, ETH positioning, hedged shorts, events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from altseason.analytics._positioning_data import capitulation_from_store
from altseason.report._sections._base import ReportContext
from altseason.report._sections._positioning import capitulation_findings
from altseason.store import Store

DEMO_ASOF = "2025-06-30"  # the demo_store_path fixture ends here


def _runs(flags: pd.Series, gap: int = 7) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Independent run-finding: flagged days at most ``gap`` days apart form one run."""
    days = [pd.Timestamp(d) for d, f in flags.items() if f]
    runs: list[list[pd.Timestamp]] = []
    for d in days:
        if runs and (d - runs[-1][-1]).days <= gap:
            runs[-1].append(d)
        else:
            runs.append([d])
    return [(r[0], r[-1]) for r in runs]


def test_capitulation_uses_all_five_components_and_lists_flagged_dates(
    demo_store_path: Path,
) -> None:
    with Store(demo_store_path) as store:
        ctx = ReportContext(store, pd.Timestamp(DEMO_ASOF))
        found, charts, tables = capitulation_findings(ctx)
        cap = capitulation_from_store(store, "BTC", end=DEMO_ASOF)
    by_id = {f.id: f for f in found}
    scored = cap.dropna(subset=["score"])
    # the finding is the analytics' last score, from the components that day
    assert by_id["sentiment.capitulation"].value == scored["score"].iloc[-1]
    n = int(scored["n_components"].iloc[-1])
    assert by_id["sentiment.capitulation_components"].value == n
    assert (by_id["sentiment.capitulation"].status == "ok") == (n == 5)
    runs = _runs(scored["score"] >= 0.5)
    assert by_id["sentiment.capitulation_episodes"].value == len(runs)
    if runs:
        assert by_id["sentiment.capitulation_last_flagged"].value == str(runs[-1][1].date())
        assert len(tables) == 1 and len(tables[0].rows) == min(12, len(runs))
        assert tables[0].rows[-1][0] == str(runs[-1][0].date())
    # the chart shows the score and every component the store could give
    (chart,) = charts
    names = [t.name for t in chart.traces]
    assert names[0] == "score (weighted)"
    given = [
        c
        for c in ("drawdown", "volume_surge", "fear_greed", "funding", "mvrv")
        if cap[c].notna().any()
    ]
    assert len(names) == 1 + len(given)
    assert min(t.x[0] for t in chart.traces) >= pd.Timestamp(DEMO_ASOF) - pd.Timedelta(days=730)


def test_eth_options_positioning_names_the_headline_expiry(demo_store_path: Path) -> None:
    from altseason.analytics._options import headline_max_pain, max_pain_by_expiry
    from altseason.report._sections._positioning import compute_derivatives

    with Store(demo_store_path) as store:
        ctx = ReportContext(store, pd.Timestamp(DEMO_ASOF))
        res = compute_derivatives(ctx)
        opts = store.read_table("options", end=DEMO_ASOF, underlying="ETH")
    by_id = {f.id: f for f in res.findings}
    snap = pd.Timestamp(opts["snapshot_ts"].max())
    chain = opts.loc[pd.to_datetime(opts["snapshot_ts"]) == snap]
    mp = headline_max_pain(chain, underlying="ETH")
    table = max_pain_by_expiry(chain, underlying="ETH")
    assert by_id["derivatives.eth.max_pain"].value == mp.value
    assert by_id["derivatives.eth.max_pain_expiry"].value == mp.label
    assert by_id["derivatives.eth.max_pain_all"].value == mp.all_expiries
    assert by_id["derivatives.eth.zone_share"].value == 0.5
    lo, hi = (
        by_id["derivatives.eth.put_zone_low"].value,
        by_id["derivatives.eth.put_zone_high"].value,
    )
    assert lo <= hi < by_id["derivatives.eth.spot"].value  # type: ignore[operator]
    (eth_table,) = [t for t in res.tables if t.title.startswith("ETH max pain")]
    assert [str(r[0]).removesuffix(" (headline)") for r in eth_table.rows] == list(table["label"])
    assert sum(str(r[0]).endswith("(headline)") for r in eth_table.rows) == 1
    ids = [c.id for c in res.charts]
    assert "oi-by-strike-eth" in ids and "oi-by-strike" in ids
    oi = next(c for c in res.charts if c.id == "oi-by-strike-eth")
    assert oi.barmode == "group"  # calls and puts side by side, not overlaid


def test_eth_etf_flows_and_cost_basis_beside_btc(demo_store_path: Path) -> None:
    from altseason.report._sections._positioning import compute_flows

    with Store(demo_store_path) as store:
        res = compute_flows(ReportContext(store, pd.Timestamp(DEMO_ASOF)))
        eth_raw = store.read_table("etf_flows", end=DEMO_ASOF, underlying="ETH")
    f = {x.id: x for x in res.findings}
    for pre, price in (("flows", "flows.btc_price"), ("flows.eth", "flows.eth.price")):
        # price, cost basis and P&L are of one date, so the sentence's arithmetic holds
        assert f[price].asof == f[f"{pre}.cost_basis"].asof == f[f"{pre}.cost_basis_date"].value
        pnl = f[price].value / f[f"{pre}.cost_basis"].value - 1  # type: ignore[operator]
        assert abs(f[f"{pre}.holder_pnl"].value - pnl) < 1e-12  # type: ignore[operator]
    # ETH flows are ETH's own: the cumulative flow is the sum of the ETH rows
    daily = eth_raw.groupby("date")["flow_usd"].sum()
    assert abs(f["flows.eth.cumulative_flow"].value - daily.sum()) < 1.0  # type: ignore[operator]
    assert {"etf-flows-eth", "etf-cost-basis-eth"} <= {c.id for c in res.charts}


def test_what_changed_comes_first_with_a_table_and_says_when_there_is_none(
    demo_report: object, tmp_path: Path
) -> None:
    from altseason.report import FindingSet
    from altseason.report._narrative import sentence_text
    from altseason.report._sections._meta import change_findings, changes_table, write_changes

    fs = demo_report.findings  # type: ignore[attr-defined]
    assert demo_report.sections[0].id == "changes"  # type: ignore[attr-defined]
    first = sentence_text(write_changes(fs)[0].sentences[0])
    assert first.startswith("There is no previous report in this reports folder")
    # a previous report whose BTC return differs: one table row per changed id
    prev = FindingSet(fs)
    old = fs.get("divergence.btc_return")
    assert old.ok
    from dataclasses import replace

    prev.add(replace(old, value=float(old.value) / 2 + 0.01))  # type: ignore[arg-type]
    cur = FindingSet(fs)
    cur.extend(change_findings(cur, prev, {"asof": "2025-06-01"}, tmp_path / "findings.json"))
    table = changes_table(cur)
    assert table is not None
    labels = [r[0] for r in table.rows]
    assert old.label in labels


def test_event_tables_state_assets_benchmark_and_inference(demo_store_path: Path) -> None:
    from altseason.analytics import event_study_from_store, event_table
    from altseason.report._sections._market import compute_events

    with Store(demo_store_path) as store:
        res = compute_events(ReportContext(store, pd.Timestamp(DEMO_ASOF)))
        btc, mkt, _s, _b = event_study_from_store(store, "BTC", end=DEMO_ASOF)
        eth, _m, _s, _b = event_study_from_store(store, "ETH", mkt, end=DEMO_ASOF)
    f = {x.id: x for x in res.findings}
    assert f["events.assets"].value.startswith("BTC, ETH")  # type: ignore[union-attr]
    assert f["events.benchmark"].value == "the total market (sum of market caps)"
    per_event, caar = res.tables
    assert per_event.columns[:5] == ["date", "where", "event", "BTC", "ETH"]
    # one row per event that any study used; BTC's CAR per event as the study computed it
    cars = event_table({"BTC": btc})["car_0_20_BTC"].dropna()
    shown = [str(r[3]) for r in per_event.rows if r[3] != "n/a"]
    assert shown == [f"{c:+.1%}" for c in cars] or [x.split(" ")[0] for x in shown] == [
        f"{c:+.1%}" for c in cars
    ]
    rows = {(r[0], r[1]): r for r in caar.rows}
    s = btc.summary.loc["[0, 20]"]
    assert rows[("BTC", "[0, +20] days")][4] == f"{s['t_caar']:.2f}"
    assert rows[("BTC", "[0, +20] days")][7] == f"{s['placebo_p']:.2f}"
    e = eth.summary.loc["[0, 20]"]
    assert rows[("ETH", "[0, +20] days")][6] == f"{e['t_kp']:.2f}"


def test_hedged_short_findings_match_the_comparison(demo_store_path: Path) -> None:
    from altseason.analytics import hedged_short_comparison
    from altseason.report._sections._strategy import (
        BACKTEST_DEFAULTS,
        hedged_short_findings,
        strategy_data,
    )

    with Store(demo_store_path) as store:
        ctx = ReportContext(store, pd.Timestamp(DEMO_ASOF))
        data = strategy_data(store, start="2024-06-01", end=DEMO_ASOF)
        found, tables = hedged_short_findings(ctx, data)
    table = hedged_short_comparison(data, **dict(BACKTEST_DEFAULTS))  # type: ignore[arg-type]
    f = {x.id: x for x in found}
    for u in ("BTC", "ETH"):
        for h in ("none", "call", "collar"):
            row = table.loc[(u, h)]
            pre = f"strategy.hedge.{u.lower()}.{h}"
            for col in ("total_return", "funding_received", "funding_paid", "premium_paid"):
                assert f[f"{pre}.{col}"].value == row[col]
    # the naked short buys no options; the collar both pays and receives premium
    assert f["strategy.hedge.btc.none.premium_paid"].value == 0
    assert f["strategy.hedge.btc.collar.premium_received"].value > 0  # type: ignore[operator]
    (t,) = tables
    assert len(t.rows) == 6 and t.columns[4:6] == ["funding received", "funding paid"]
