"""Conflicts between sources reach the findings: counted in provenance, a caveat on sums."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from altseason.report import build_report
from altseason.store import Store


def _flows(store: Store, source: str, rows: list[tuple[str, str, float]]) -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime([d for d, _f, _v in rows]),
            "fund": [f for _d, f, _v in rows],
            "underlying": "BTC",
            "flow_usd": [v for _d, _f, v in rows],
        }
    )
    store.ingest(dataset=source, source=source, tables={"etf_flows": frame})


def test_flow_sums_over_conflicting_rows_are_caveats(
    market_store: tuple[Store, pd.Timestamp], tmp_path: Path
) -> None:
    store, last = market_store
    before = build_report(store, asof=last, sections=["flows"])
    net0 = before.findings.get("flows.net_flow")
    # the fixture's own flows: count the conflicts the store holds on the window independently
    window_start = last - pd.Timedelta(days=29)
    stored = store.conflicts(dataset="etf_flows", start=window_start, end=last)
    assert (net0.status == "ok") == stored.empty
    # a second source disagreeing on one day of the window
    day = store.read_table("etf_flows", start=window_start, end=last).iloc[-1]
    _flows(
        store,
        "other_provider",
        [(str(pd.Timestamp(day["date"]).date()), str(day["fund"]), float(day["flow_usd"]) + 5e8)],
    )
    after = build_report(store, asof=last, sections=["flows"])
    net = after.findings.get("flows.net_flow")
    assert net.status == "caveat"
    assert "listed by 'altseason conflicts' for etf_flows" in (net.reason or "")
    n = sum(p.conflicts for p in net.provenance)
    assert n >= 1 and f"{n:,} of the rows it sums" in (net.reason or "")
    # the value is still the resolved data's sum (the caveat does not change it)
    assert net.value is not None
    # the provenance in findings.json carries the count; a non-additive finding keeps its status
    payload = json.loads(after.findings.to_json(asof=str(last.date())))
    row = next(f for f in payload["findings"] if f["id"] == "flows.net_flow")
    assert sum(p.get("conflicts", 0) for p in row["provenance"]) == n
    when = after.findings.get("flows.last_flow_date")
    assert when.available and "altseason conflicts" not in (when.reason or "")


def test_options_use_the_newest_chain_with_open_interest_per_underlying(
    market_store: tuple[Store, pd.Timestamp],
) -> None:
    """A newer quotes-only BTC chain is passed over (and named); an ETH chain without open
    interest makes the ETH figures unavailable without taking BTC's with it."""
    store, last = market_store
    before = build_report(store, asof=last, sections=["derivatives"]).findings
    chain = store.read_table("options", underlying="BTC")
    snap = pd.Timestamp(chain["snapshot_ts"].max())
    quotes = chain.assign(snapshot_ts=snap + pd.Timedelta(hours=1), open_interest=float("nan"))
    eth = chain.assign(
        underlying="ETH",
        instrument=chain["instrument"].str.replace("BTC-", "ETH-", regex=False),
        strike=chain["strike"] / 25.0,
        underlying_price=chain["underlying_price"] / 25.0,
        open_interest=float("nan"),
    )
    frame = pd.concat([quotes, eth], ignore_index=True).drop(
        columns=[c for c in ("source", "ingested_at") if c in chain.columns]
    )
    store.ingest(dataset="quotes", source="quotes_only", tables={"options": frame})
    after = build_report(store, asof=last, sections=["derivatives"]).findings
    for key in ("call_wall", "max_pain", "put_zone_low", "put_call_oi"):
        b, a = before.get(f"derivatives.{key}"), after.get(f"derivatives.{key}")
        assert a.status == b.status and a.value == b.value, key
    wall = after.get("derivatives.call_wall")
    assert f"the newer snapshot of {snap + pd.Timedelta(hours=1):%Y-%m-%d %H:%M}" in (
        wall.window or ""
    )
    eth_wall = after.get("derivatives.eth.call_wall")
    assert not eth_wall.available and "open interest" in (eth_wall.reason or "")
