"""Issue 18 sections: capitulation from five components, ETH positioning, hedged shorts, events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from altseason.analytics._positioning_data import capitulation_from_store
from altseason.report import Report
from altseason.report._findings import Finding
from altseason.report._narrative import Ref
from altseason.report._sections._base import ReportContext, Run, Table
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


def _cell_refs(cell: object) -> list[Ref]:
    """The finding references of a table cell (a Ref, a Run of several, or none)."""
    if isinstance(cell, Ref):
        return [cell]
    if isinstance(cell, Run):
        return cell.refs
    return []


def _assert_cells_are_findings(table: Table, found: dict[str, Finding]) -> int:
    """Every Ref cell names a finding of the table's group and shows its ``format()``."""
    n = 0
    for row in table.rows:
        for cell in row:
            for ref in _cell_refs(cell):
                f = found[ref.finding_id]
                assert ref.text == (f.format() if f.available else "n/a")
                if f.group is not None:
                    assert f.group == table.group
                n += 1
    return n


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
    assert per_event.group == "events.car_by_event" and caar.group == "events.caar_by_asset"
    # every number is a finding; labels (date, jurisdiction, title) stay text
    assert _assert_cells_are_findings(per_event, f) >= 3 * len(per_event.rows)
    assert all(isinstance(c, str) for row in per_event.rows for c in row[:3])
    # BTC's CAR, t and placebo p per event are the study's, under events.<event id>.btc.*
    tbl = event_table({"BTC": btc, "ETH": eth})
    checked = 0
    for eid, r in tbl.iterrows():
        for stat in ("car", "t", "p"):
            for name in ("BTC", "ETH"):
                fid = f"events.{eid}.{name.lower()}.{stat}"
                v = r[f"{stat}_0_20_{name}"]
                if pd.isna(v):
                    assert fid not in f or not f[fid].available
                    continue
                assert f[fid].value == v and f[fid].group == "events.car_by_event"
                checked += 1
    assert checked >= 3 * 2  # at least a few events with both assets
    # the CAAR table: the summary of each study; BTC's [0, +20] CAAR and t are the
    # narrative's events.car_mean and events.car_t (one id per quantity)
    rows = {(r[0], r[1]): r for r in caar.rows}
    s = btc.summary.loc["[0, 20]"]
    btc_row = rows[("BTC", "[0, +20] days")]
    assert btc_row[3] == Ref("events.car_mean", f["events.car_mean"].format())
    assert btc_row[4] == Ref("events.car_t", f["events.car_t"].format())
    assert f["events.car_mean"].value == s["caar"] and f["events.car_t"].value == s["t_caar"]
    assert f["events.caar.btc.0_20.placebo_p"].value == s["placebo_p"]
    assert f["events.caar.btc.0_20.n_events"].value == s["n_events"]
    e = eth.summary.loc["[0, 20]"]
    assert f["events.caar.eth.0_20.t_kp"].value == e["t_kp"]
    assert f["events.caar.eth.m5_5.caar"].value == eth.summary.loc["[-5, 5]", "caar"]
    _assert_cells_are_findings(caar, f)


def test_event_table_without_a_tier_index_says_why_the_small_cap_column_is_missing(
    demo_store_path: Path,
) -> None:
    from altseason.analytics import event_study_from_store
    from altseason.report._sections._market import event_tables

    with Store(demo_store_path) as store:
        ctx = ReportContext(store, pd.Timestamp(DEMO_ASOF))
        btc, _m, _s, _b = event_study_from_store(store, "BTC", end=DEMO_ASOF)
        tables, found = event_tables(
            ctx, btc, None, None, tier_reason="no small-cap tier in this store (test)"
        )
    per_event, caar = tables
    assert per_event.columns == ["date", "where", "event", "BTC", "ETH"]
    miss = next(x for x in found if x.id == "events.small_cap_index")
    assert miss.status == "unavailable" and miss.reason == "no small-cap tier in this store (test)"
    # the note under each table names the missing column and links to the reason
    for t in (per_event, caar):
        assert Ref("events.small_cap_index", "not available") in t.note
        assert "no small-cap tier in this store (test)" in "".join(
            x if isinstance(x, str) else x.text for x in t.note
        )


def test_max_pain_per_expiry_cells_are_the_analytics_per_expiry_max_pain(
    demo_store_path: Path,
) -> None:
    from altseason.analytics._options import max_pain_by_expiry
    from altseason.report._sections._positioning import compute_derivatives

    with Store(demo_store_path) as store:
        res = compute_derivatives(ReportContext(store, pd.Timestamp(DEMO_ASOF)))
        chains = {
            u: store.read_table("options", end=DEMO_ASOF, underlying=u) for u in ("BTC", "ETH")
        }
    f = {x.id: x for x in res.findings}
    for u, pre in (("BTC", "derivatives"), ("ETH", "derivatives.eth")):
        opts = chains[u]
        snap = pd.Timestamp(opts["snapshot_ts"].max())
        chain = opts.loc[pd.to_datetime(opts["snapshot_ts"]) == snap]
        expected = max_pain_by_expiry(chain, underlying=u)
        (table,) = [t for t in res.tables if t.title.startswith(f"{u} max pain")]
        assert table.group == f"{pre}.max_pain_by_expiry"
        assert len(table.rows) == len(expected) > 1
        for (_exp, r), row in zip(expected.iterrows(), table.rows, strict=True):
            assert str(row[0]).removesuffix(" (headline)") == r["label"]  # a label, not a ref
            for col in ("days", "max_pain", "call_oi", "put_oi", "put_call_oi"):
                g = f[f"{pre}.expiry.{r['label']}.{col}"]
                assert g.value == pytest.approx(r[col], rel=1e-12)
                assert g.group == table.group and g.asof == str(snap.date())
            mp = f[f"{pre}.expiry.{r['label']}.max_pain"]
            assert row[3] == Ref(mp.id, mp.format())
        _assert_cells_are_findings(table, f)
    # the headline max pain is the named expiry's own row
    head = f["derivatives.max_pain_expiry"].value
    assert f["derivatives.max_pain"].value == f[f"derivatives.expiry.{head}.max_pain"].value


def test_capitulation_episode_cells_are_findings_of_the_episode_peak(
    demo_store_path: Path,
) -> None:
    from altseason.analytics._sentiment import CAPITULATION_WEIGHTS, capitulation_episodes

    with Store(demo_store_path) as store:
        ctx = ReportContext(store, pd.Timestamp(DEMO_ASOF))
        found, _charts, tables = capitulation_findings(ctx)
        cap = capitulation_from_store(store, "BTC", end=DEMO_ASOF)
    eps = capitulation_episodes(cap, threshold=0.5).tail(12)
    assert not eps.empty, "the demo store should flag at least one capitulation episode"
    f = {x.id: x for x in found}
    (table,) = tables
    assert table.group == "sentiment.capitulation.episodes"
    for (_i, e), row in zip(eps.iterrows(), table.rows, strict=True):
        peak = pd.Timestamp(e["peak_date"]).date()
        pre = f"sentiment.capitulation.episode.{peak}"
        assert row[3] == str(peak)  # dates stay labels
        assert f[f"{pre}.score"].value == e["peak_score"]
        assert f[f"{pre}.flagged_days"].value == e["flagged_days"]
        assert row[4] == Ref(f"{pre}.score", f[f"{pre}.score"].format())
        for c in CAPITULATION_WEIGHTS:
            g = f[f"{pre}.{c}"]
            if pd.isna(e[c]):
                assert g.status == "unavailable" and g.reason
            else:
                assert g.value == e[c]
            # a past episode is history: its status is not judged by its own date
            assert g.status == ("unavailable" if pd.isna(e[c]) else "ok")
    _assert_cells_are_findings(table, f)


def test_table_findings_render_as_compact_appendix_groups(demo_report: Report) -> None:
    import json

    import jsonschema

    from altseason._escape import markdown_anchor
    from altseason.report import FINDINGS_SCHEMA
    from altseason.report._render import render_html, render_markdown, split_findings

    single, groups = split_findings(demo_report)
    grouped = [x for g in groups for x in g.findings]
    ids = {g.id for g in groups}
    assert {
        "derivatives.max_pain_by_expiry",
        "derivatives.eth.max_pain_by_expiry",
        "sentiment.capitulation.episodes",
        "events.car_by_event",
        "events.caar_by_asset",
        "rules",
    } <= ids
    assert len(grouped) > 100 and len(single) + len(grouped) == len(demo_report.findings)
    html = render_html(demo_report)
    appendix = html[html.index('id="appendix-findings"') :]
    # one full provenance row per single finding; grouped findings keep an anchor row
    prov = appendix[: appendix.index("</table>")]
    assert prov.count('<tr id="f-') == len(single)
    for x in grouped:
        assert f'<span id="f-{x.id}"' in appendix
    # the group's shared provenance is printed once, its title is the table's
    assert appendix.count('class="fgroup"') == len(groups)
    assert "BTC max pain per expiry" in appendix
    md = render_markdown(demo_report)
    for x in grouped:
        assert f'<a id="f-{markdown_anchor(x.id)}"></a>' in md
    payload = json.loads(demo_report.findings.to_json(**demo_report.meta()))
    jsonschema.validate(payload, json.loads(FINDINGS_SCHEMA.read_text(encoding="utf-8")))
    groups_json = {d["group"] for d in payload["findings"]}
    assert ids <= groups_json


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


@pytest.mark.real_data
def test_real_report_tables_say_why_a_column_is_empty_and_link_every_number(
    real_report: Report,
) -> None:
    from altseason.report._lint import unlinked_numbers
    from altseason.report._render import render_html

    tables = [t for s in real_report.sections for t in s.tables]
    fs = real_report.findings

    def note_text(t: Table) -> str:
        return "".join(x if isinstance(x, str) else x.text for x in t.note)

    def note_refs(t: Table) -> list[Ref]:
        return [x for x in t.note if isinstance(x, Ref)]

    # the real store has no small-cap tier: the events tables drop the column and say why
    per_event = next(t for t in tables if t.group == "events.car_by_event")
    assert not any(c.endswith("-cap index") for c in per_event.columns)
    miss = fs.get("events.small_cap_index")
    assert miss.status == "unavailable" and miss.reason
    assert Ref("events.small_cap_index", "not available") in per_event.note
    assert miss.reason in note_text(per_event)
    # ... nor funding or MVRV: those capitulation columns are n/a at every peak, and say why
    cap = next(t for t in tables if t.group == "sentiment.capitulation.episodes")
    empty = [
        name
        for j, name in enumerate(cap.columns)
        if j >= 5 and all(not isinstance(r[j], str) and r[j].text == "n/a" for r in cap.rows)
    ]
    assert empty, "the real store has no funding and no MVRV inputs"
    for name in empty:
        head = name[:1].upper() + name[1:]
        assert f"{head} is not available at any of these peaks" in note_text(cap)
    for ref in note_refs(cap) + note_refs(per_event):
        f = fs.get(ref.finding_id)
        assert ref.finding_id in fs and f.status == "unavailable" and f.reason
    # and no number of the real report's body is outside a finding link
    assert unlinked_numbers(render_html(real_report), context=True) == []


def test_previous_report_must_come_from_the_same_store(
    demo_store_path: Path, tmp_path: Path
) -> None:
    """A report of another store with the same as-of is not "the previous report"."""
    import json
    import shutil

    from altseason.report._build import store_id
    from altseason.report._generate import generate_report

    other = tmp_path / "other.duckdb"
    shutil.copy(demo_store_path, other)
    reports = tmp_path / "reports"
    with Store(other) as store:
        generate_report(store, reports / "a", asof=DEMO_ASOF, formats=["md"])
        theirs = json.loads((reports / "a" / "findings.json").read_text())["meta"]
        assert theirs["store"] == store_id(store) == str(other.resolve())
    with Store(demo_store_path) as store:
        mine, _ = generate_report(store, reports / "b", asof=DEMO_ASOF, formats=["md"])
        assert mine.previous is None  # report "a" came from other.duckdb
        again, _ = generate_report(store, reports / "c", asof=DEMO_ASOF, formats=["md"])
    # a second report of the same store and as-of compares with the first one
    assert again.previous == (reports / "b" / "findings.json").resolve()
