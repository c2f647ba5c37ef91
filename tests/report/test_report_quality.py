"""Findings that know their coverage and freshness, on the demo and on real data.

The real-data store mixes daily Binance prices that run into 2026 with the
CoinMarketCap monthly snapshots, whose market caps end on 2025-10-01: a report
as of 2026-02-20 must not present tiers, dominance or the altseason index as
current facts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from altseason.exceptions import ValidationError
from altseason.report import FINDINGS_SCHEMA, Report, build_report, write_report
from altseason.report._narrative import Ref
from altseason.store import Store

CMC = (
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/coinmarketcap_monthly_all_snapshots.csv"
)
REAL_ASOF = "2026-02-20"  # the report date of the conftest's real_report
DEMO_ASOF = "2025-06-30"  # the last day of the conftest's demo store
MARKET_CAP_FINDINGS = (
    "divergence.rs_small_btc_change",
    "divergence.rs_small_btc_z",
    "divergence.small_return",
    "divergence.dominance",
    "divergence.altseason_index",
)


def _summary_refs(report: Report) -> set[str]:
    return {t.finding_id for p in report.summary for s in p.sentences for t in s.refs}


def _validate(payload: dict[str, object]) -> None:
    import jsonschema

    schema = json.loads(FINDINGS_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(payload, schema)


# ---------------------------------------------------------------------- real data
@pytest.mark.real_data
def test_market_caps_really_end_on_2025_10_01(real_data: Path) -> None:
    """The premise, read from the raw file: the newest CMC snapshot."""
    raw = pd.read_csv(real_data / CMC, usecols=["snapshot_date"], dtype=str)
    newest = pd.to_datetime(raw["snapshot_date"], format="%Y%m%d").max()
    assert str(newest.date()) == "2025-10-01"


@pytest.mark.real_data
def test_real_report_marks_cap_based_findings(real_report: Report) -> None:
    fs = real_report.findings
    asof = pd.Timestamp(REAL_ASOF)
    for fid in ("divergence.rs_small_btc_change", "divergence.small_return"):
        f = fs.get(fid)
        assert f.status in ("unavailable", "caveat"), (fid, f.status, f.value)
        assert f.freshness is not None
        assert f.freshness["newest_input"] == "2025-10-01"
        assert f.freshness["lag_days"] == (asof - pd.Timestamp("2025-10-01")).days
        assert "2025-10-01" in (f.reason or "")
    dom = fs.get("divergence.dominance")
    assert not (dom.status == "ok" and dom.value == pytest.approx(1.0))
    assert dom.status != "ok" and dom.reason
    alt = fs.get("divergence.altseason_index")
    assert alt.coverage is not None and alt.coverage["unit"] == "assets"
    obs, exp = alt.coverage["observed"], alt.coverage["expected"]
    assert 0 < obs < exp <= 50
    assert f"on {obs} of the top {exp}" in (alt.reason or "")
    assert alt.freshness is not None and alt.freshness["newest_input"] == alt.asof
    assert alt.asof is not None and alt.asof < REAL_ASOF


@pytest.mark.real_data
def test_real_report_keeps_non_ok_findings_out_of_key_figures_and_summary(
    real_report: Report,
) -> None:
    fs = real_report.findings
    assert all(f.status == "ok" for f in real_report.key_figures)
    shown = {f.id for f in real_report.key_figures} | _summary_refs(real_report)
    assert not shown & set(MARKET_CAP_FINDINGS)
    assert all(fs.get(i).ok for i in _summary_refs(real_report))
    assert "lead" not in real_report.headline.lower() or "not available" in (
        real_report.headline.lower()
    )


@pytest.mark.real_data
def test_real_spx_return_carries_its_own_end_date(real_report: Report) -> None:
    f = real_report.findings.get("cross_asset.spx_return")
    assert f.status in ("caveat", "unavailable")
    assert f.freshness is not None and f.freshness["newest_input"] == "2025-12-31"
    assert "2025-12-31" in (f.reason or "")
    # the chart's S&P 500 line stops where the series ends (no flat run to the report date)
    chart = next(c for s in real_report.sections for c in s.charts if c.id == "cross-asset")
    spx = next(t for t in chart.traces if t.name == "S&P 500")
    assert pd.Timestamp(max(spx.x)) <= pd.Timestamp("2025-12-31")


@pytest.mark.real_data
def test_real_sector_ranking_names_the_stale_market_caps(real_report: Report) -> None:
    """Cap-weighted sector indices without fresh caps: the reason says so (not "history")."""
    best = real_report.findings.get("sectors.best")
    assert best.status == "unavailable"
    assert "market caps were updated last on 2025-10-01" in (best.reason or ""), best.reason
    # the movers rank assets, not sectors: their own reason, not the sector indices' one
    mover = real_report.findings.get("sectors.top_mover_1")
    assert "sector indices" not in (mover.reason or "")
    assert "largest assets" in (mover.reason or ""), mover.reason
    bottom = real_report.findings.get("sectors.bottom_mover_1")
    assert "sector indices" not in (bottom.reason or "")


@pytest.mark.real_data
def test_real_quality_table_lists_every_caveat(real_report: Report) -> None:
    cov = next(s for s in real_report.sections if s.id == "coverage")
    table = next(t for t in cov.tables if "caveat" in t.title)
    labels = {row[0] for row in table.rows}
    for f in real_report.findings:
        if f.status == "caveat" and f.section not in ("coverage", "changes"):
            if f.group is None:
                assert f.label in labels, f.id
            else:  # a table's cells: one row per table and reason, with the count
                n = sum(
                    1
                    for g in real_report.findings
                    if g.group == f.group and g.status == "caveat" and g.reason == f.reason
                )
                assert f"{n} table findings of {f.group}" in labels, f.id
    assert real_report.findings.get("divergence.small_return").label in labels


@pytest.mark.real_data
def test_real_findings_json_and_markdown(real_report: Report, tmp_path: Path) -> None:
    paths = write_report(real_report, tmp_path / "out", formats=("md",))
    payload = json.loads(paths["findings"].read_text(encoding="utf-8"))
    _validate(payload)
    md = paths["md"].read_text(encoding="utf-8")
    for f in real_report.key_figures:
        assert f"| {f.label} |" in md and str(f.asof) in md


@pytest.mark.real_data
def test_real_report_refuses_asof_after_the_data(real_store_path: Path) -> None:
    with Store(real_store_path) as store, pytest.raises(ValidationError, match="data ends on"):
        build_report(store, asof="2027-05-01")


# ---------------------------------------------------------------------- demo
UNIVERSE_SECTIONS = ["divergence", "sectors", "correlation"]
UNIVERSE_FINDINGS = (
    "divergence.breadth_50d",
    "divergence.breadth_200d",
    "divergence.dispersion",
    "divergence.regime",
    "correlation.avg_30d",
    "correlation.avg_90d",
    "correlation.small_beta",
    "sectors.best_return",
    "sectors.top_mover_1_return",
)


@pytest.fixture(scope="module")
def demo100_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The demo market with 100 non-stable assets: every universe has its members."""
    from altseason.sources.demo import write_demo

    with Store(tmp_path_factory.mktemp("demo100") / "demo.duckdb") as store:
        write_demo(store, start="2024-01-01", end=DEMO_ASOF, n_assets=100)
        return build_report(store, asof=DEMO_ASOF, sections=UNIVERSE_SECTIONS)


def test_demo_report_findings_are_ok(demo100_report: Report) -> None:
    fs = demo100_report.findings
    for fid in (*MARKET_CAP_FINDINGS, *UNIVERSE_FINDINGS):
        f = fs.get(fid)
        assert f.status == "ok", (fid, f.reason)
        assert f.freshness is not None and f.freshness["lag_days"] <= 7
    alt = fs.get("divergence.altseason_index")
    assert alt.coverage == {"observed": 50, "expected": 50, "unit": "assets"}
    for fid in ("divergence.breadth_50d", "divergence.dispersion"):
        cov = fs.get(fid).coverage
        assert cov is not None and cov["observed"] >= cov["expected"] == 50
    tier = fs.get("divergence.rs_small_btc_change").coverage
    assert tier is not None and tier["members"] >= 10
    assert 0 < fs.get("divergence.dominance").number < 1
    key = {f.id for f in demo100_report.key_figures}
    assert {
        "divergence.altseason_index",
        "divergence.dominance",
        "divergence.breadth_50d",
        "correlation.avg_30d",
    } <= key
    assert "divergence.rs_small_btc_change" in _summary_refs(demo100_report)
    assert "divergence.breadth_50d" in _summary_refs(demo100_report)
    assert not demo100_report.headline.endswith("data not available")
    drawn = {c.id for c in demo100_report.charts}
    assert {"altseason-index", "average-correlation", "tier-performance"} <= drawn


def test_small_demo_counts_against_the_definitions(
    demo_report: Report, demo_store_path: Path
) -> None:
    """The 30-asset demo: the counts are computed independently and judged by the rules."""
    from altseason.analytics import DEFAULT_RULES
    from altseason.universe import eligible, load_market

    with Store(demo_store_path, read_only=True) as store:
        m = load_market(store, end=DEMO_ASOF)
    excluded = m.assets["excluded"].reindex(m.close.columns)
    sectors = m.assets["sector"].reindex(m.close.columns).where(excluded.isna(), "stablecoin")
    elig = eligible(m.close, sectors=sectors).iloc[-1]
    last50 = m.close.iloc[-50:]
    n50 = int((elig & last50.notna().all() & m.close.iloc[-1].notna()).sum())
    fs = demo_report.findings
    b50 = fs.get("divergence.breadth_50d")
    assert b50.coverage is not None and b50.coverage["observed"] == n50
    expected = (
        "unavailable"
        if n50 < DEFAULT_RULES.min_cross_section
        else ("caveat" if n50 < DEFAULT_RULES.ok_cross_section else "ok")
    )
    assert b50.status == expected, b50.reason
    assert str(n50) in (b50.reason or "")
    # the altseason index counts against the top 50, not against the store's 30 assets
    alt = fs.get("divergence.altseason_index")
    assert alt.coverage is not None and alt.coverage["expected"] == 50
    assert alt.coverage["observed"] < 45 and alt.status in ("caveat", "unavailable")
    assert f"on {alt.coverage['observed']} of the top 50" in (alt.reason or "")
    # withheld or caveated figures stay out of the key figures and the summary
    key = {f.id for f in demo_report.key_figures}
    assert "divergence.altseason_index" not in key and "divergence.breadth_50d" not in key
    assert all(fs.get(i).ok for i in _summary_refs(demo_report))


# ---------------------------------------------------------------------- a three-asset store
@pytest.fixture(scope="module")
def three_asset_report(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Binance BTC, ETH and SOL daily klines only (no market caps), as a new user imports them."""
    from altseason.sources.files import import_files

    folder = real_data / "prices" / "djienne__Hurst_Crypto" / "data"
    files = [folder / f"{a}USDT.csv" for a in ("BTC", "ETH", "SOL")]
    with Store(tmp_path_factory.mktemp("three") / "three.duckdb") as store:
        import_files(store, files, on_error="reject")
        return build_report(store, sections=UNIVERSE_SECTIONS)


@pytest.mark.real_data
def test_three_asset_store_withholds_every_universe_number(
    three_asset_report: Report, tmp_path: Path
) -> None:
    rep = three_asset_report
    fs = rep.findings
    day = str(rep.asof.date())
    b50 = fs.get("divergence.breadth_50d")
    assert b50.status == "unavailable" and b50.value is None
    assert b50.reason == (
        "breadth above the 50-day average needs at least 20 assets with 50 days of closes; "
        f"the store has 3 on {day}"
    )
    assert b50.coverage == {"observed": 3, "expected": 50, "unit": "assets"}
    disp = fs.get("divergence.dispersion")
    assert disp.status == "unavailable" and f"the store has 3 on {day}" in (disp.reason or "")
    assert fs.get("divergence.altseason_index").status == "unavailable"
    assert "no market caps" in (fs.get("divergence.altseason_index").reason or "")
    assert fs.get("divergence.regime").status == "unavailable"
    corr = fs.get("correlation.avg_30d")
    assert corr.status == "unavailable" and "computed on 3 of the 20 largest" in (corr.reason or "")
    assert fs.get("divergence.btc_return").ok  # BTC's own return needs no universe
    assert rep.headline == "Large-cap / small-cap divergence: data not available"
    assert not {f.id for f in rep.key_figures} & set(UNIVERSE_FINDINGS)
    assert not _summary_refs(rep) & set(UNIVERSE_FINDINGS)
    md = write_report(rep, tmp_path / "out", formats=("md",))["md"].read_text(encoding="utf-8")
    body = md.split("## Appendix", 1)[0]
    for fid in ("divergence.breadth_50d", "divergence.dispersion", "correlation.avg_30d"):
        assert f"(#f-{fid})" not in body, fid  # never stated as a number
    assert f"the store has 3 on {day}" in body
    # no chart draws a withheld series either; the pairwise heatmap of the three stays
    drawn = {c.id for c in rep.charts}
    assert not drawn & {"altseason-index", "average-correlation", "tier-performance"}
    assert "correlation-heatmap" in drawn
    # a withheld movers ranking is said once in the text, not shown as a table of n/a cells
    assert fs.get("sectors.top_mover_1_return").status == "unavailable"
    tables = [t.title for s in rep.sections for t in s.tables]
    assert not any(t.startswith("Top and bottom movers") for t in tables), tables


def test_demo_findings_json_validates(demo_report: Report, tmp_path: Path) -> None:
    paths = write_report(demo_report, tmp_path / "out", formats=("md",))
    payload = json.loads(paths["findings"].read_text(encoding="utf-8"))
    _validate(payload)
    statuses = {f["status"] for f in payload["findings"]}
    assert statuses <= {"ok", "caveat", "unavailable"} and "ok" in statuses


def test_schema_rejects_an_ok_finding_without_value() -> None:
    import jsonschema

    bad = {
        "meta": {"asof": "2025-06-30"},
        "findings": [
            {
                "id": "divergence.dominance",
                "label": "BTC dominance",
                "value": None,
                "unit": "percent",
                "formatted": "n/a",
                "asof": "2025-06-30",
                "window": None,
                "status": "ok",
                "coverage": None,
                "freshness": None,
                "reason": None,
                "method": None,
                "provenance": [],
            }
        ],
    }
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)
    bad["findings"][0]["status"] = "unavailable"  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):  # unavailable needs a reason
        _validate(bad)
    bad["findings"][0]["reason"] = "no market caps"  # type: ignore[index]
    _validate(bad)


def test_demo_report_refuses_asof_after_the_data(demo_store_path: Path) -> None:
    with Store(demo_store_path) as store, pytest.raises(ValidationError) as exc:
        build_report(store, asof="2027-05-01")
    assert "data ends on 2025-06-30" in str(exc.value)


def test_summary_never_refs_a_caveat(demo_report: Report) -> None:
    refs = [
        t for p in demo_report.summary for s in p.sentences for t in s.tokens if isinstance(t, Ref)
    ]
    assert refs and all(demo_report.findings.get(r.finding_id).ok for r in refs)


def test_divergence_findings_table_is_the_one_declaration(demo_report: Report) -> None:
    from altseason.report._sections import SECTIONS
    from altseason.report._sections._divergence import DIVERGENCE_FINDINGS

    sec = next(s for s in SECTIONS if s.id == "divergence")
    assert sec.expected == tuple((s.id, s.label, s.unit) for s in DIVERGENCE_FINDINGS)
    tier_ids = {"divergence.rs_small_btc_change", "divergence.rs_small_btc_z"}
    tier_ids.add("divergence.small_return")
    for spec in DIVERGENCE_FINDINGS:
        f = demo_report.findings.get(spec.id)
        assert f.unit == spec.unit, spec.id
        if spec.id not in tier_ids:  # tier findings name the tier they use
            assert f.label == spec.label, spec.id


@pytest.mark.parametrize(
    "args",
    [
        ["divergence", "--asof", "2030-01-01"],
        ["allocate", "--asof", "2030-01-01"],
        ["backtest", "rotation", "--end", "2030-01-01"],
        ["report", "--asof", "2030-01-01", "--format", "md"],
    ],
)
def test_every_command_refuses_asof_after_the_data(
    demo_store_path: Path, tmp_path: Path, args: list[str]
) -> None:
    from typer.testing import CliRunner

    from altseason.cli import _register  # noqa: F401
    from altseason.cli._app import app

    if args[0] == "report":
        args = [*args, "--out", str(tmp_path / "out")]
    res = CliRunner().invoke(app, ["--store", str(demo_store_path), *args])
    assert res.exit_code != 0
    assert isinstance(res.exception, ValidationError), res.exception
    assert "the data ends on 2025-06-30" in str(res.exception)
