"""Narrative: wording pinned by golden files, hedging rules, "not available" statements."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from altseason.report import (
    Finding,
    FindingSet,
    Provenance,
    Ref,
    breadth_word,
    leadership,
    narrative_markdown,
    say,
)
from altseason.report._narrative import put_call_tilt, sentence_text
from altseason.report._sections._meta import headline, write_summary

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ALTSEASON_UPDATE_GOLDEN", "") == "1"

PROV = Provenance(
    "prices",
    4500,
    "2024-08-01",
    "2025-06-30",
    ("fixture",),
    "2026-01-01 00:00:00",
    "2026-01-01 00:00:00",
)

# (id, value, unit, window) of a market where small caps lead.
SMALL_CAPS_LEAD: list[tuple[str, object, str, str | None]] = [
    ("divergence.altseason_index", 0.78, "percent", "90d"),
    ("divergence.altseason_regime", "altseason", "text", "90d"),
    ("divergence.rs_small_btc_change", 0.214, "return", "90d"),
    ("divergence.rs_small_btc_z", 1.8, "zscore", "365d"),
    ("divergence.btc_return", -0.052, "return", "90d"),
    ("divergence.eth_return", 0.031, "return", "90d"),
    ("divergence.small_return", 0.151, "return", "90d"),
    ("divergence.breadth_50d", 0.71, "percent", None),
    ("divergence.breadth_200d", 0.64, "percent", None),
    ("divergence.dominance", 0.512, "percent", None),
    ("divergence.dominance_change", -0.034, "pp", "90d"),
    ("divergence.dispersion", 0.182, "percent", "30d"),
    ("sectors.best", "AI", "text", "90d"),
    ("sectors.best_return", 0.42, "return", "90d"),
    ("sectors.worst", "Exchange tokens", "text", "90d"),
    ("sectors.worst_return", -0.08, "return", "90d"),
    ("sectors.spread", 0.50, "pp", "90d"),
    ("sectors.top_mover_1", "FET", "text", "90d"),
    ("sectors.top_mover_1_return", 1.35, "return", "90d"),
    ("sectors.bottom_mover_1", "BNB", "text", "90d"),
    ("sectors.bottom_mover_1_return", -0.21, "return", "90d"),
    ("cross_asset.btc_return", -0.052, "return", "90d"),
    ("cross_asset.gold_return", 0.064, "return", "90d"),
    ("cross_asset.silver_return", 0.081, "return", "90d"),
    ("cross_asset.spx_return", 0.022, "return", "90d"),
    ("cross_asset.btc_spx_corr", 0.34, "ratio", "90d"),
    ("cross_asset.btc_gold_corr", 0.05, "ratio", "90d"),
    ("flows.net_flow", -1.25e9, "flow", "30d"),
    ("flows.cumulative_flow", 5.41e10, "flow", None),
    ("flows.last_flow", 2.3e8, "flow", "1d"),
    ("flows.last_flow_date", "2025-06-27", "date", None),
    ("flows.cost_basis", 84_200.0, "price", None),
    ("flows.btc_price", 91_500.0, "price", None),
    ("flows.holder_pnl", 0.0867, "return", None),
    ("flows.cost_basis_date", "2025-06-27", "date", None),
    ("flows.eth.net_flow", 3.1e8, "flow", "30d"),
    ("flows.eth.cumulative_flow", 9.8e9, "flow", None),
    ("flows.eth.last_flow", -4.0e7, "flow", "1d"),
    ("flows.eth.last_flow_date", "2025-06-27", "date", None),
    ("flows.eth.cost_basis", 3_050.0, "price", None),
    ("flows.eth.price", 2_480.0, "price", None),
    ("flows.eth.holder_pnl", 2_480.0 / 3_050.0 - 1, "return", None),
    ("flows.eth.cost_basis_date", "2025-06-27", "date", None),
    ("derivatives.snapshot", "2025-06-30", "date", None),
    ("derivatives.spot", 91_500.0, "price", None),
    ("derivatives.call_wall", 110_000.0, "price", None),
    ("derivatives.put_zone_low", 80_000.0, "price", None),
    ("derivatives.put_zone_high", 85_000.0, "price", None),
    ("derivatives.max_pain", 95_000.0, "price", None),
    ("derivatives.put_call_oi", 0.62, "ratio", None),
    ("derivatives.rr_25d", -0.021, "pp", None),
    ("derivatives.atm_iv", 0.48, "percent", None),
    ("derivatives.funding_rate", 0.0003, "rate", "1d"),
    ("derivatives.max_pain_expiry", "25JUL25", "text", None),
    ("derivatives.max_pain_all", 92_000.0, "price", None),
    ("derivatives.call_zone_low", 100_000.0, "price", None),
    ("derivatives.call_zone_high", 120_000.0, "price", None),
    ("derivatives.zone_share", 0.5, "percent", None),
    ("derivatives.max_pain_convention", "the nearest monthly (last-Friday) expiry", "text", None),
    ("derivatives.eth.snapshot", "2025-06-30", "date", None),
    ("derivatives.eth.spot", 2_480.0, "price", None),
    ("derivatives.eth.call_wall", 3_000.0, "price", None),
    ("derivatives.eth.put_zone_low", 2_000.0, "price", None),
    ("derivatives.eth.put_zone_high", 2_400.0, "price", None),
    ("derivatives.eth.call_zone_low", 2_600.0, "price", None),
    ("derivatives.eth.call_zone_high", 3_200.0, "price", None),
    ("derivatives.eth.max_pain", 2_500.0, "price", None),
    ("derivatives.eth.max_pain_expiry", "25JUL25", "text", None),
    ("derivatives.eth.max_pain_all", 2_400.0, "price", None),
    ("derivatives.eth.put_call_oi", 1.002, "ratio", None),
    ("derivatives.eth.zone_share", 0.5, "percent", None),
    (
        "derivatives.eth.max_pain_convention",
        "the nearest monthly (last-Friday) expiry",
        "text",
        None,
    ),
    ("derivatives.eth.funding_rate", -0.0001, "rate", "1d"),
    ("onchain.price", 91_500.0, "price", None),
    ("onchain.realized_price", 47_300.0, "price", None),
    ("onchain.mvrv", 1.93, "ratio", None),
    ("onchain.price_vs_realized", 0.934, "return", None),
    ("onchain.ma_200w", 52_100.0, "price", None),
    ("onchain.price_vs_200w", 0.756, "return", None),
    ("macro.m2_yoy", 0.041, "return", "365d"),
    ("macro.net_liquidity", 5.8e12, "usd", None),
    ("macro.net_liquidity_change", 1.2e11, "flow", "90d"),
    ("macro.btc_m2_ratio", 0.083, "percent", None),
    ("sentiment.fear_greed", 71.0, "number", "1d"),
    ("sentiment.fear_greed_label", "greed", "text", None),
    ("sentiment.fear_greed_avg_30d", 64.5, "number", "30d"),
    ("sentiment.capitulation", 0.08, "ratio", None),
    ("sentiment.capitulation_components", 5.0, "count", None),
    ("sentiment.capitulation_episodes", 3.0, "count", "2021-01-01..2025-06-30"),
    ("sentiment.capitulation_last_flagged", "2022-11-14", "date", None),
    ("correlation.avg_30d", 0.44, "ratio", "30d"),
    ("correlation.avg_90d", 0.52, "ratio", "90d"),
    ("correlation.regime", "decoupling", "text", "30d"),
    ("correlation.level", "moderate", "text", "30d"),
    ("correlation.small_beta", 1.35, "ratio", "90d"),
    ("strategy.name", "rotation", "text", None),
    ("strategy.weight_majors", 0.35, "percent", None),
    ("strategy.weight_alts", 0.55, "percent", None),
    ("strategy.weight_cash", 0.10, "percent", None),
    ("strategy.top_holding", "ETH", "text", None),
    ("strategy.top_weight", 0.2, "percent", None),
    ("strategy.cagr", 0.31, "return", "2021-01-01..2025-06-30"),
    ("strategy.sharpe", 1.12, "ratio", None),
    ("strategy.max_drawdown", -0.38, "return", None),
    ("strategy.benchmark", "BTC buy-and-hold", "text", None),
    ("strategy.benchmark_cagr", 0.27, "return", None),
    ("strategy.benchmark_max_drawdown", -0.55, "return", None),
    ("strategy.hedge.btc.none.total_return", -0.454, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.none.max_drawdown", -0.492, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.none.funding_received", 0.11, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.none.funding_paid", 0.019, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.none.premium_paid", 0.0, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.none.premium_received", 0.0, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.call.total_return", -0.216, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.call.max_drawdown", -0.315, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.call.funding_received", 0.13, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.call.funding_paid", 0.023, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.call.premium_paid", 0.14, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.call.premium_received", 0.0, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.collar.total_return", -0.113, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.collar.max_drawdown", -0.225, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.collar.funding_received", 0.14, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.collar.funding_paid", 0.024, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.collar.premium_paid", 0.15, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.btc.collar.premium_received", 0.11, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.none.total_return", -0.306, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.none.max_drawdown", -0.466, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.none.funding_received", 0.13, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.none.funding_paid", 0.047, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.none.premium_paid", 0.0, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.none.premium_received", 0.0, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.call.total_return", 0.02, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.call.max_drawdown", -0.412, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.call.funding_received", 0.15, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.call.funding_paid", 0.056, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.call.premium_paid", 0.17, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.call.premium_received", 0.0, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.collar.total_return", -0.032, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.collar.max_drawdown", -0.339, "return", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.collar.funding_received", 0.15, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.collar.funding_paid", 0.055, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.collar.premium_paid", 0.16, "percent", "2022-07-01..2025-06-30"),
    ("strategy.hedge.eth.collar.premium_received", 0.12, "percent", "2022-07-01..2025-06-30"),
    ("events.count", 14.0, "count", None),
    ("events.latest_title", "SEC approves spot ETH ETFs", "text", None),
    ("events.latest_date", "2025-05-23", "date", None),
    ("events.car_mean", 0.043, "return", "[0, +20] days"),
    ("events.car_t", 1.4, "number", "[0, +20] days"),
    ("events.assets", "BTC and ETH", "text", None),
    ("events.benchmark", "the total market (sum of market caps)", "text", None),
    ("risks.btc_drawdown", -0.16, "return", None),
    ("risks.small_drawdown", -0.41, "return", None),
    ("risks.btc_vol_30d", 0.46, "percent", "30d"),
    ("coverage.prices.rows", 4500.0, "count", None),
    ("coverage.prices.start", "2024-08-01", "date", None),
    ("coverage.prices.end", "2025-06-30", "date", None),
    ("coverage.prices.stale_days", 0.0, "days", None),
    ("coverage.etf_flows.rows", 640.0, "count", None),
    ("coverage.etf_flows.start", "2024-01-11", "date", None),
    ("coverage.etf_flows.end", "2025-06-27", "date", None),
    ("coverage.etf_flows.stale_days", 3.0, "days", None),
    ("coverage.options.rows", 676.0, "count", None),
    ("coverage.options.start", "2025-05-01", "date", None),
    ("coverage.options.end", "2025-05-01", "date", None),
    ("coverage.options.stale_days", 60.0, "days", None),
    ("changes.previous_asof", "2025-06-23", "date", None),
    ("changes.count", 2.0, "count", None),
    ("changes.prev.divergence.altseason_index", 0.66, "percent", None),
    ("changes.prev.sectors.best", "DeFi", "text", None),
]


def findings(rows: list[tuple[str, object, str, str | None]] = SMALL_CAPS_LEAD) -> FindingSet:
    fs = FindingSet()
    for fid, value, unit, window in rows:
        label = fid.split(".", 1)[1].replace("_", " ")
        fs.add(
            Finding.of(
                fid,
                label,
                value,
                unit,
                asof="2025-06-30",
                window=window,  # type: ignore[arg-type]
                provenance=[PROV],
            )
        )
    return fs


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {path} was missing and has been written; rerun the test")
    assert text == path.read_text(encoding="utf-8"), (
        f"narrative differs from {path}; if the change is intended rerun with "
        "ALTSEASON_UPDATE_GOLDEN=1 and review the diff"
    )


def test_golden_small_caps_lead() -> None:
    check_golden("small_caps_lead.md", narrative_markdown(findings()))


def test_golden_majors_lead_with_missing_data() -> None:
    rows = [r for r in SMALL_CAPS_LEAD if not r[0].startswith(("derivatives.", "flows."))]
    swap = {
        "divergence.altseason_index": 0.18,
        "divergence.altseason_regime": "bitcoin season",
        "divergence.rs_small_btc_change": -0.163,
        "divergence.breadth_50d": 0.28,
        "divergence.breadth_200d": 0.22,
        "correlation.level": "high",
        "correlation.avg_30d": 0.81,
    }
    rows = [(fid, swap.get(fid, v), u, w) for fid, v, u, w in rows]
    fs = findings(rows)
    fs.add(
        Finding.unavailable(
            "flows.net_flow", "Net ETF flow", "no ETF flows in the store", unit="flow"
        )
    )
    fs.add(
        Finding.unavailable(
            "derivatives.call_wall", "Call wall", "no options snapshots in the store", unit="price"
        )
    )
    check_golden("majors_lead_missing_data.md", narrative_markdown(fs))


def test_sentence_is_replaced_when_its_finding_is_unavailable() -> None:
    fs = findings()
    text = narrative_markdown(fs, sections=["onchain"])
    assert "MVRV is [1.93](#f-onchain.mvrv)" in text
    fs.add(
        Finding.unavailable("onchain.mvrv", "BTC MVRV", "no BTC MVRV in the store", unit="ratio")
    )
    text2 = narrative_markdown(fs, sections=["onchain"])
    assert "1.93" not in text2
    assert "MVRV is" not in text2
    assert "*Not available: BTC MVRV (no BTC MVRV in the store).*" in text2
    # the summary drops its MVRV sentence instead of guessing
    assert "MVRV stands at" not in text2


def test_say_links_every_number_to_its_finding() -> None:
    fs = findings()
    s = say(
        fs, "Index [[divergence.altseason_index]], change [[divergence.rs_small_btc_change|abs]]."
    )
    refs = s.refs
    assert refs == [
        Ref("divergence.altseason_index", "78%"),
        Ref("divergence.rs_small_btc_change", "21.4%"),
    ]
    assert sentence_text(s) == "Index 78%, change 21.4%."
    missing = say(fs, "X [[nothing.here]].", what="the thing")
    assert missing.missing
    assert sentence_text(missing) == "Not available: the thing (not computed in this report)."


@pytest.mark.parametrize(
    ("rs", "idx", "expected"),
    [
        (0.1, 0.8, "small caps lead"),
        (-0.1, 0.2, "majors lead"),
        (0.1, 0.3, "mixed"),
        (-0.1, 0.7, "mixed"),
        (0.1, 0.5, "mixed"),
        (None, 0.7, "unknown"),
    ],
)
def test_leadership_needs_both_measures_to_agree(
    rs: float | None, idx: float, expected: str
) -> None:
    assert leadership(rs, idx) == expected


def test_broad_only_when_breadth_says_so() -> None:
    assert breadth_word(0.6) == "broad"
    assert breadth_word(0.59) == "moderate"
    assert breadth_word(0.4) == "narrow"
    assert breadth_word(None) == "unknown"
    fs = findings()
    fs.add(replace(fs.get("divergence.breadth_50d"), value=0.5))
    text = narrative_markdown(fs, sections=["divergence"])
    assert "Participation is broad" not in text
    assert "Participation is moderate" in text


def test_narrative_names_the_fallback_tier() -> None:
    """A store without a small tier: the sections use the mid-cap index and the text says so."""
    fs = FindingSet()
    for f in findings():
        if f.id in (
            "divergence.rs_small_btc_change",
            "divergence.rs_small_btc_z",
            "divergence.small_return",
            "risks.small_drawdown",
        ):
            f = replace(f, label=f"Mid-cap index {f.label}")
        fs.add(f)
    md = narrative_markdown(fs)
    # (correlation.small_beta, the median beta of the largest alts, is not a tier index)
    tier_text = [p for p in md.split("\n\n") if "correlation.small_beta" not in p]
    assert not any("small-cap" in p or "Small caps" in p for p in tier_text)
    assert headline(fs) == "Mid caps lead BTC on broad participation"
    assert "Mid caps lead on both measures: the mid-cap index gained" in md
    assert "The mid-cap / BTC ratio stands" in md
    assert "and the mid-cap index [+15.1%](#f-divergence.small_return)" in md
    assert "the mid-cap index [-41.0%](#f-risks.small_drawdown) from its own" in md
    # the unchanged fixture still reads "small-cap"
    assert "the small-cap index gained" in narrative_markdown(findings())


def test_bottom_mover_is_the_worst_even_when_everything_falls(
    tmp_path: Path, market_builder: object
) -> None:
    """When every asset fell over the window, the 'largest loss' is still the worst one."""
    import numpy as np
    import pandas as pd

    from altseason.analytics import window_return
    from altseason.report import build_report
    from altseason.store import Store

    build_market = market_builder
    with Store(tmp_path / "fall.duckdb") as store:
        # 100 alts: movers are ranked among the 100 largest, which must all be there
        last = build_market(store, n_alts=100)  # type: ignore[operator]
        prices = store.read_table("prices")
        start = last - pd.Timedelta(days=100)
        late = prices["date"] > start
        steps = (prices.loc[late, "date"] - start).dt.days.to_numpy()
        factor = np.exp(-0.004 * steps * (1 + (prices.loc[late, "asset_id"].str.len() % 3)))
        for col in ("open", "high", "low", "close"):
            prices.loc[late, col] = prices.loc[late, col] * factor
        prices = prices.drop(columns=["ingested_at"])
        store.ingest(dataset="fall", source="fixture", tables={"prices": prices})
        report = build_report(store, asof=last, sections=["sectors"])
        close = store.read_prices("close", end=last)
    fs = report.findings
    worst = fs.get("sectors.bottom_mover_1").value
    worst_ret = fs.value("sectors.bottom_mover_1_return")
    best_ret = fs.value("sectors.top_mover_1_return")
    assert worst_ret is not None and best_ret is not None
    assert worst_ret < 0 and best_ret >= worst_ret
    rets = window_return(close[[worst]], 90)
    assert float(rets.iloc[0]) == pytest.approx(worst_ret)
    # No asset listed as a top mover has a lower return than the bottom mover.
    for i in range(1, 6):
        fid = f"sectors.top_mover_{i}_return"
        if fid in {f.id for f in fs}:
            assert fs.value(fid) >= worst_ret


# ---------------------------------------------------------------------- quality wording
def _stale_caps() -> FindingSet:
    """The real-data case: market caps last updated months before the report date."""
    from altseason.analytics import Quality

    fs = findings()
    tier_reason = (
        "no small-cap members on 2026-02-20: market caps last updated 2025-10-01, "
        "older than the 35-day reconstitution tolerance"
    )
    fresh = {"newest_input": "2025-10-01", "lag_days": 142}
    for fid in (
        "divergence.rs_small_btc_change",
        "divergence.rs_small_btc_z",
        "divergence.small_return",
    ):
        fs.add(fs.get(fid).with_quality(Quality("unavailable", None, fresh, tier_reason)))
    fs.add(
        fs.get("divergence.altseason_index").with_quality(
            Quality(
                "caveat",
                {"observed": 39, "expected": 50, "unit": "assets"},
                {"newest_input": "2026-02-20", "lag_days": 0},
                "on 39 of the top 50",
            )
        )
    )
    dom = Quality(
        "unavailable",
        {"observed": 0.61, "expected": 1.0, "unit": "weight"},
        fresh,
        "market caps on 2025-11-05 cover 61% of the market's value (1 assets; needs 90% and "
        "10 assets)",
    )
    fs.add(fs.get("divergence.dominance").with_quality(dom))
    fs.add(fs.get("divergence.dominance_change").with_quality(dom))
    fs.add(
        fs.get("cross_asset.spx_return").with_quality(
            Quality(
                "caveat",
                None,
                {"newest_input": "2025-12-31", "lag_days": 51},
                "the S&P 500 series ends on 2025-12-31",
            )
        )
    )
    return fs


def test_golden_stale_market_caps() -> None:
    check_golden(
        "stale_market_caps.md",
        narrative_markdown(_stale_caps(), sections=["divergence", "cross_asset"]),
    )


def test_caveat_and_unavailable_sentences() -> None:
    fs = _stale_caps()
    text = narrative_markdown(fs, sections=["divergence", "cross_asset"])
    # a caveated finding: the section's sentence says why, the summary leaves it out
    assert (
        "The altseason index reads [78%](#f-divergence.altseason_index): that share of the "
        "top 50 assets beat BTC over 90 days (caveat: on 39 of the top 50)."
    ) in text
    assert "(caveat: the S&P 500 series ends on 2025-12-31)" in text
    summary = text.split("## ", 1)[0]
    assert "78%" not in summary
    # an unavailable finding: a short "not available: reason" line, never a number
    assert (
        "*Not available: the large-cap / small-cap divergence (caveat: on 39 of the top 50; "
        "no small-cap members on 2026-02-20: market caps last updated 2025-10-01, older than "
        "the 35-day reconstitution tolerance).*"
    ) in summary
    assert "Not available: divergence.dominance" not in text
    assert "*Not available: dominance (market caps on 2025-11-05 cover 61%" in text
    assert "+21.4%" not in text and "21.4%" not in text
    assert headline(fs.only_ok()) == "Large-cap / small-cap divergence: data not available"


# ---------------------------------------------------------------- universe coverage (issue 13c)
def _small_universe(n_assets: int) -> FindingSet:
    """A store with ``n_assets`` priced assets and no market caps, judged by the real rules."""
    from altseason.analytics import (
        Quality,
        altseason_quality,
        cross_section_quality,
        regime_quality,
    )

    day = "2026-01-02"
    fs = findings([*SMALL_CAPS_LEAD, ("divergence.regime", "broad rally", "text", "90d")])
    q = {
        f"divergence.breadth_{w}d": cross_section_quality(
            n_assets,
            day,
            what=f"breadth above the {w}-day average",
            noun=f"assets with {w} days of closes",
        )
        for w in (50, 200)
    }
    q["divergence.dispersion"] = cross_section_quality(
        n_assets, day, what="cross-sectional dispersion", noun="assets with a 30-day return"
    )
    alt = altseason_quality(n_assets - 1, 50, n_assets - 1, day, day)
    q["divergence.altseason_index"] = q["divergence.altseason_regime"] = alt
    tier = Quality(
        "unavailable",
        None,
        None,
        f"the mid-cap index needs at least 5 priced members; the store has 1 on {day}",
    )
    for fid in ("rs_small_btc_change", "rs_small_btc_z", "small_return"):
        q[f"divergence.{fid}"] = tier
    dom = Quality("unavailable", None, None, f"no BTC market cap on or before {day}")
    q["divergence.dominance"] = q["divergence.dominance_change"] = dom
    for fid, quality in q.items():
        fs.add(fs.get(fid).with_quality(quality))
    measures = {
        "altseason_index": alt,
        "dominance_change_pp": dom,
        "breadth_50d": q["divergence.breadth_50d"],
        "breadth_200d": q["divergence.breadth_200d"],
        "smallcap_vs_btc": tier,
    }
    fs.add(
        fs.get("divergence.regime").with_quality(
            regime_quality("broad rally", measures, {"breadth_50d": "breadth (50-day)"})
        )
    )
    return fs


def test_golden_three_asset_store() -> None:
    fs = _small_universe(3)
    text = narrative_markdown(fs, sections=["divergence"])
    check_golden("three_asset_store.md", text)
    # the breadth number is withheld everywhere, with the count and the date
    assert "[71%]" not in text and "[64%]" not in text and "[18%]" not in text
    assert (
        "*Not available: breadth (share above the 50-day average) (breadth above the 50-day "
        "average needs at least 20 assets with 50 days of closes; the store has 3 on "
        "2026-01-02).*"
    ) in text
    assert "needs at least 25 of the top 50; computed on 2 of the top 50 on 2026-01-02" in text
    summary = text.split("## ", 1)[0]
    assert "Breadth is" not in summary and "71%" not in summary and "18%" not in summary
    assert headline(fs.only_ok()) == "Large-cap / small-cap divergence: data not available"
    assert not any(fs.get(i).ok for i in ("divergence.breadth_50d", "divergence.regime"))


def test_caveated_breadth_is_stated_with_its_count_and_kept_out_of_the_summary() -> None:
    fs = _small_universe(30)
    assert fs.get("divergence.breadth_50d").status == "caveat"
    assert fs.get("divergence.regime").status == "caveat"
    text = narrative_markdown(fs, sections=["divergence"])
    assert (
        "Participation is broad: [71%](#f-divergence.breadth_50d) of the universe trades above "
        "its 50-day average and [64%](#f-divergence.breadth_200d) above its 200-day average "
        "(caveat: breadth above the 50-day average on only 30 assets with 50 days of closes, "
        "50 for a full reading; breadth above the 200-day average on only 30 assets with 200 "
        "days of closes, 50 for a full reading)."
    ) in text
    assert (
        "Cross-sectional dispersion of returns is [18%](#f-divergence.dispersion) over the last "
        "30 days (caveat: cross-sectional dispersion on only 30 assets with a 30-day return, 50 "
        "for a full reading)."
    ) in text
    assert "on 29 of the top 50" in text
    summary = write_summary(fs.only_ok())
    said = " ".join(sentence_text(s) for p in summary for s in p.sentences)
    assert "71%" not in said and "Breadth is" not in said and "broad rally" not in said
    assert headline(fs.only_ok()) == "Large-cap / small-cap divergence: data not available"


# ---------------------------------------------------------------- contradiction cases (issue 18)
def _with(swap: dict[str, object], extra: list[tuple[str, object, str, str | None]]) -> FindingSet:
    rows = [(fid, swap.get(fid, v), u, w) for fid, v, u, w in SMALL_CAPS_LEAD] + extra
    return findings(rows)


def test_headline_and_summary_follow_a_mixed_regime() -> None:
    # Both leadership measures favour small caps, but the regime rules call nothing decisive:
    # the headline and summary must say "mixed", never "Small caps lead BTC".
    fs = _with(
        {
            "divergence.altseason_index": 0.62,
            "divergence.altseason_regime": "neutral",
            "divergence.rs_small_btc_change": 0.04,
        },
        [("divergence.regime", "mixed", "text", "90d")],
    )
    text = narrative_markdown(fs)
    assert headline(fs) == "Mixed: no divergence measure is decisive"
    assert "Small caps lead" not in text
    assert "lead on both measures" not in text
    check_golden("mixed_regime.md", text)


def test_headline_follows_each_regime() -> None:
    for reg, head in (
        ("altseason", "Altseason: most of the top 50 beat BTC"),
        ("rotation into alts", "Small caps lead BTC on broad participation"),
        ("bitcoin-led", "Majors lead as BTC dominance rises; small caps lag"),
        ("broad risk-off", "Broad risk-off: most assets below their 50- and 200-day averages"),
    ):
        fs = _with({}, [("divergence.regime", reg, "text", "90d")])
        assert headline(fs) == head
        first = sentence_text(write_summary(fs)[0].sentences[0])
        assert first.startswith(f"The divergence regime is {reg}: ")


def test_no_rotation_clause_when_every_sector_fell() -> None:
    fs = _with(
        {
            "sectors.best_return": -0.05,
            "sectors.worst_return": -0.41,
            "sectors.spread": 0.36,
        },
        [],
    )
    text = narrative_markdown(fs)
    sectors = text.split("## Sector rotation and top movers")[1].split("\n## ")[0]
    assert "rotation" not in sectors.replace("**Sector rotation.**", "")
    assert "rather than a market-wide move" not in text
    assert "Every sector fell" in text
    check_golden("all_sectors_fell.md", text)


def test_price_and_cost_basis_are_compared_on_one_date() -> None:
    fs = _with(
        {
            "flows.btc_price": 68_000.0,
            "flows.cost_basis": 85_098.0,
            "flows.holder_pnl": 68_000.0 / 85_098.0 - 1,
            "flows.cost_basis_date": "2025-11-20",
        },
        [],
    )
    text = narrative_markdown(fs)
    assert (
        "On [2025-11-20](#f-flows.cost_basis_date), BTC at [\\$68,000](#f-flows.btc_price) "
        "traded below the ETF holders' aggregate cost basis of [\\$85,098](#f-flows.cost_basis): "
        "the average ETF unit was [20.1%](#f-flows.holder_pnl) under water."
    ) in text


@pytest.mark.parametrize(
    ("ratio", "tilt"),
    [
        (1.0, "neither side"),
        (1.004, "neither side"),
        (0.9951, "neither side"),
        (1.006, "puts"),
        (0.994, "calls"),
        (0.62, "calls"),
    ],
)
def test_put_call_wording_follows_the_printed_ratio(ratio: float, tilt: str) -> None:
    fs = _with({"derivatives.put_call_oi": ratio}, [])
    assert put_call_tilt(fs, "derivatives.put_call_oi") == tilt
    shown = fs.get("derivatives.put_call_oi").format()
    assert f"is [{shown}](#f-derivatives.put_call_oi), tilted towards {tilt}." in (
        narrative_markdown(fs)
    )


def test_eth_options_name_the_headline_expiry_and_state_the_conventions() -> None:
    text = narrative_markdown(findings())
    eth = text.split("**ETH options positioning.**")[1].split("\n\n")[0]
    assert (
        "Max pain for the [25JUL25](#f-derivatives.eth.max_pain_expiry) expiry is "
        "[\\$2,500](#f-derivatives.eth.max_pain), above spot (over all expiries at once: "
        "[\\$2,400](#f-derivatives.eth.max_pain_all))"
    ) in eth
    assert "tilted towards neither side" in eth  # 1.002 prints as 1.00
    assert "holding [50%](#f-derivatives.eth.zone_share) of that side's open interest" in eth
    assert "nearest monthly (last-Friday) expiry" in eth


def test_max_pain_wording_follows_the_convention_used() -> None:
    """--max-pain all_expiries: no "for the all expiries expiry", and the conventions say so."""
    fs = _with(
        {
            "derivatives.max_pain_convention": "all expiries at once",
            "derivatives.max_pain_expiry": "all expiries",
        },
        [],
    )
    btc = narrative_markdown(fs).split("**BTC options positioning.**")[1].split("\n\n")[0]
    assert "Max pain over all expiries at once is [\\$95,000](#f-derivatives.max_pain)" in btc
    assert "expiries expiry" not in btc
    assert "the headline being over all expiries at once" in btc
    assert "nearest monthly" not in btc
    fs = _with({"derivatives.max_pain_convention": "the nearest expiry"}, [])
    btc = narrative_markdown(fs).split("**BTC options positioning.**")[1].split("\n\n")[0]
    assert "the headline being the nearest expiry, named." in btc


def test_hedged_shorts_show_funding_and_premium_separately() -> None:
    text = narrative_markdown(findings())
    hedged = text.split("**Hedged shorts.**")[1].split("\n\n")[0]
    assert (
        "Shorting BTC perps over the backtest window returned "
        "[-45.4%](#f-strategy.hedge.btc.none.total_return) naked"
    ) in hedged
    assert "Funding received was [11%](#f-strategy.hedge.btc.none.funding_received)" in hedged
    assert "brought in [12%](#f-strategy.hedge.eth.collar.premium_received)" in hedged


def test_a_caveat_is_stated_once_per_paragraph() -> None:
    from altseason.report import Paragraph

    fs = findings()
    for fid in ("derivatives.call_wall", "derivatives.put_zone_low", "derivatives.max_pain"):
        f = fs.get(fid)
        fs.add(replace(f, status="caveat", reason="data ends on 2025-12-05"))
    p = Paragraph()
    p.add(say(fs, "The call wall is [[derivatives.call_wall]]."))
    p.add(say(fs, "The put zone starts at [[derivatives.put_zone_low]]."))
    p.add(say(fs, "Max pain is [[derivatives.max_pain]] and spot [[derivatives.spot]]."))
    texts = [sentence_text(s) for s in p.sentences]
    assert texts[0] == "The call wall is $110,000 (caveat: data ends on 2025-12-05)."
    assert texts[1] == "The put zone starts at $80,000."
    assert texts[2] == "Max pain is $95,000 and spot $91,500."


def test_summary_states_the_tier_index_when_only_the_altseason_index_is_withheld() -> None:
    from altseason.analytics import altseason_quality

    fs = findings()
    q = altseason_quality(20, 50, 20, "2025-06-30", "2025-06-30")
    assert q.status == "unavailable"
    fs.add(fs.get("divergence.altseason_index").with_quality(q))
    said = [sentence_text(s) for p in write_summary(fs.only_ok()) for s in p.sentences]
    assert said[0] == "The small-cap index moved +21.4% relative to BTC."
    assert said[1] == (
        "Not available: the altseason index (the altseason index needs at least 25 of the top "
        "50; computed on 20 of the top 50 on 2025-06-30; the store ranks 20 eligible assets by "
        "market cap)."
    )
