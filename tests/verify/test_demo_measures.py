"""Measures the real-data store cannot show, on the simulated demo market.

Tier and sector indices, the sector spread, dominance, AUM and the capitulation
score need market caps, sector members, fund AUM and volumes; the demo market
has them. Expected values come from the analytics functions the report uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from altseason.analytics import DivergenceAnalysis
from altseason.analytics._divergence import dominance
from altseason.analytics._sentiment import capitulation_score
from altseason.store import Store
from altseason.verify import verify_note

END = "2025-06-30"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    from altseason.sources.demo import write_demo

    path: Path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    store = Store(path)
    write_demo(store, start="2024-06-01", end=END, n_assets=60)
    yield store
    store.close()


def _q2(level: pd.Series) -> float:
    return float(level.loc[:"2025-06-30"].iloc[-1] / level.loc[:"2025-03-31"].iloc[-1] - 1)


def test_tiers_sectors_spread_dominance_aum_capitulation(demo: Store) -> None:
    an = DivergenceAnalysis.from_store(demo, asof=END)
    mid = _q2(an.tier_levels["mid"])
    defi = _q2(an.sector_levels["defi"])
    sector_rets = {s: _q2(an.sector_levels[s]) for s in an.sector_levels.columns}
    spread = max(sector_rets.values()) - min(sector_rets.values())
    dom = float(dominance(an.market_cap).loc[END])
    flows = demo.read_table("etf_flows", underlying="BTC")
    last = flows.sort_values("date").groupby("fund").tail(1)
    aum = float(last["aum_usd"].sum())
    close = demo.read_prices("close", assets=["BTC"])["BTC"].dropna()
    vol = demo.read_prices("volume_usd", assets=["BTC"])["BTC"].dropna()
    fg = demo.read_table("sentiment", index_id="fear_greed").set_index("date")["value"]
    cap = float(capitulation_score(close, volume=vol, fear_greed=fg)["score"].loc[END])

    note = f"""Demo desk note 2025-07-01

Mid caps returned {mid:+.1%} in Q2 2025, while DeFi tokens returned {defi:+.1%} in Q2 2025.
BTC dominance was {dom:.1%} on June 30, 2025. Bitcoin ETF assets under management stood at
${aum / 1e9:.1f} billion on June 30, 2025. The capitulation score was {cap:.2f} on June 30, 2025.

Mid caps returned {mid + 0.15:+.1%} in Q2 2025. BTC dominance was {dom + 0.05:.1%} on June 30, 2025.
The spread between the best and worst sectors was {spread * 100:.0f} percentage points in Q2 2025.
"""
    result = verify_note(note, demo)
    verdicts = [
        (c.claim.subject.id if c.claim.subject else None, c.claim.measure, c.verdict)
        for c in result.checks
    ]
    assert verdicts[:5] == [
        ("MID_CAPS", "return", "supported"),
        ("SECTOR_DEFI", "return", "supported"),
        ("BTC", "dominance", "supported"),
        ("BTC_ETF", "aum", "supported"),
        ("BTC", "capitulation", "supported"),
    ]
    assert verdicts[5:7] == [
        ("MID_CAPS", "return", "contradicted"),
        ("BTC", "dominance", "contradicted"),
    ]
    spread_check = result.checks[7]
    assert spread_check.claim.measure == "spread"
    assert spread_check.readings[0].value == pytest.approx(spread, abs=1e-9)
    # a sector with fewer than three tokens makes the spread a caveat: never supported
    if spread_check.readings[0].status == "caveat":
        assert spread_check.verdict == "unverifiable"
    else:
        assert spread_check.verdict == "supported"
    assert result.checks[2].finding_ids == ["divergence.dominance"]
    # demo data carries its label on every surface
    from altseason.labels import DEMO_LABEL

    assert result.demo and result.to_dict()["data_label"] == DEMO_LABEL
    assert DEMO_LABEL in result.to_html()
    assert result.checks[4].finding_ids == ["sentiment.capitulation"]
