"""Compute half of the divergence section (majors vs small caps).

Everything comes from :class:`altseason.analytics._divergence.DivergenceAnalysis`:
the altseason index, relative strength of the small-cap tier index to BTC,
breadth, dominance, dispersion and the performance table.
"""

from __future__ import annotations

import math

import pandas as pd

from altseason.exceptions import DataUnavailableError
from altseason.report._charts import Band, ChartSpec, Marker, Trace
from altseason.report._findings import Finding
from altseason.report._sections._base import (
    FindingSpec,
    ReportContext,
    SectionResult,
    last_valid,
)
from altseason.report._sections._market import TOP_N, WINDOW, market, market_panels

__all__ = ["DIVERGENCE_FINDINGS", "compute_divergence", "divergence_analysis"]

CHART_DAYS = 730

DIVERGENCE_FINDINGS: tuple[FindingSpec, ...] = (
    FindingSpec(
        "divergence.altseason_index",
        "Altseason index (share of top-50 beating BTC, 90 days)",
        "percent",
        "analytics.altseason_index",
    ),
    FindingSpec(
        "divergence.altseason_regime",
        "Altseason band",
        "text",
        "analytics.season_label (>= 75% altseason, <= 25% bitcoin season)",
    ),
    FindingSpec(
        "divergence.rs_small_btc_change",
        "Small-cap index relative to BTC, change",
        "return",
        "analytics.relative_strength of the cap-weighted tier index to BTC",
    ),
    FindingSpec(
        "divergence.rs_small_btc_z",
        "Small-cap / BTC ratio z-score",
        "zscore",
        "analytics.relative_strength of the cap-weighted tier index to BTC",
    ),
    FindingSpec("divergence.btc_return", "BTC return", "return", "analytics.performance_table"),
    FindingSpec("divergence.eth_return", "ETH return", "return", "analytics.performance_table"),
    FindingSpec(
        "divergence.small_return",
        "Small-cap index return (cap-weighted)",
        "return",
        "analytics.performance_table",
    ),
    FindingSpec(
        "divergence.breadth_50d",
        "Share above 50-day average",
        "percent",
        "analytics.breadth (eligible non-stable assets)",
    ),
    FindingSpec(
        "divergence.breadth_200d",
        "Share above 200-day average",
        "percent",
        "analytics.breadth (eligible non-stable assets)",
    ),
    FindingSpec(
        "divergence.dominance",
        "BTC dominance",
        "percent",
        "analytics.dominance (BTC cap / non-stable cap)",
    ),
    FindingSpec(
        "divergence.dominance_change",
        "BTC dominance change",
        "pp",
        "analytics.dominance: change over the window",
    ),
    FindingSpec(
        "divergence.dispersion",
        "Cross-sectional dispersion of 30-day returns",
        "percent",
        "analytics.dispersion",
    ),
    FindingSpec("divergence.regime", "Divergence regime", "text", "analytics.divergence_regime"),
)
"""The divergence section's findings table: every id, label, unit and method, once."""
SPEC = {s.id: s for s in DIVERGENCE_FINDINGS}


def divergence_analysis(ctx: ReportContext) -> object:
    """The report's :class:`DivergenceAnalysis` (cached on the context)."""
    key = ("divergence",)
    if key not in ctx._cache:
        from altseason.analytics import DivergenceAnalysis

        ctx._cache[key] = DivergenceAnalysis.from_market(
            market(ctx), asof=ctx.asof, window=WINDOW, top=TOP_N, rules=ctx.rules
        )
    return ctx._cache[key]


def compute_divergence(ctx: ReportContext) -> SectionResult:
    """Altseason index, small caps vs BTC, returns, breadth, dominance, dispersion."""
    from altseason.analytics import DivergenceAnalysis, season_label

    da = divergence_analysis(ctx)
    assert isinstance(da, DivergenceAnalysis)
    close, _mcap, _sectors = market_panels(ctx)
    rules = ctx.rules
    if "BTC" not in close:
        raise DataUnavailableError("no BTC prices in the store")
    p_win = ctx.prov("prices", start=ctx.asof - pd.Timedelta(days=WINDOW))
    p_all = ctx.prov("prices")
    p_assets = ctx.prov("assets")
    w = f"{WINDOW}d"
    out: list[Finding] = []
    # every measure's quality comes from the analysis: the CLI prints the same judgement
    judged = da.quality()
    alt = da.altseason()
    d, v = last_valid(alt["altseason_index"])
    alt_q = judged["altseason_index"]
    out.append(
        SPEC["divergence.altseason_index"].make(
            v,
            provenance=[p_win, p_assets],
            asof=d,
            window=w,
            quality=alt_q,
        )
    )
    out.append(
        SPEC["divergence.altseason_regime"].make(
            None if v is None else season_label(v),
            provenance=[p_win, p_assets],
            asof=d,
            window=w,
            quality=alt_q,
        )
    )
    rs = da.relative_strength()
    tier_q = {t: judged[f"tier:{t}"] for t in ("small", "mid", "large")}
    tier = da.lead_tier()
    perf = da.performance()
    if tier is None:
        first = next(iter(tier_q.values()), None)
        reason = (
            first.reason
            if first is not None and first.reason
            else "no small-, mid- or large-cap tier index has 90 days of history"
        )
        fr = None if first is None else first.freshness
        cov = None if first is None else first.coverage
        out += [
            Finding(
                fid,
                SPEC[fid].label,
                None,
                SPEC[fid].unit,
                str(ctx.asof.date()),
                w,
                (p_win, p_assets),
                reason,
                "analytics.tier_quality",
                "unavailable",
                cov,
                fr,
            )
            for fid in (
                "divergence.rs_small_btc_change",
                "divergence.rs_small_btc_z",
                "divergence.small_return",
            )
        ]
    else:
        name = f"{tier}-cap"
        tq = tier_q[tier]
        m = f"analytics.relative_strength of the cap-weighted {name} tier index to BTC"
        out += [
            SPEC["divergence.rs_small_btc_change"].make(
                rs.loc[f"tier:{tier}", "change_vs_BTC"],
                label=f"{name.capitalize()} index relative to BTC, change",
                provenance=[p_win, p_assets],
                asof=ctx.asof,
                window=w,
                method=m,
                quality=tq,
            ),
            SPEC["divergence.rs_small_btc_z"].make(
                rs.loc[f"tier:{tier}", "z_vs_BTC"],
                label=f"{name.capitalize()} / BTC ratio z-score",
                provenance=[p_all, p_assets],
                asof=ctx.asof,
                window="365d",
                method=m,
                quality=tq,
            ),
            SPEC["divergence.small_return"].make(
                perf.loc[f"tier:{tier}", f"{WINDOW}d"],
                label=f"{name.capitalize()} index return (cap-weighted)",
                provenance=[p_win, p_assets],
                asof=ctx.asof,
                window=w,
                quality=tq,
            ),
        ]
    for a in ("BTC", "ETH"):
        if a in perf.index:
            out.append(
                SPEC[f"divergence.{a.lower()}_return"].make(
                    perf.loc[a, f"{WINDOW}d"],
                    provenance=[
                        ctx.prov("prices", start=ctx.asof - pd.Timedelta(days=WINDOW), asset_id=a)
                    ],
                    asof=ctx.asof,
                    window=w,
                )
            )
    br = da.breadth()
    for col, wl in (("above_50d", "50"), ("above_200d", "200")):
        d, v = last_valid(br[col])
        out.append(
            SPEC[f"divergence.breadth_{wl}d"].make(
                v, provenance=[p_all, p_assets], asof=d, quality=judged[f"breadth_{wl}d"]
            )
        )
    d, chg = da.dominance_change()
    _, v = last_valid(da.dominance())
    out.append(
        SPEC["divergence.dominance"].make(
            v,
            provenance=[p_all, p_assets],
            asof=d,
            quality=judged["dominance"],
        )
    )
    out.append(
        SPEC["divergence.dominance_change"].make(
            chg,
            provenance=[p_all, p_assets],
            asof=d,
            window=w,
            quality=judged["dominance_change_pp"],
        )
    )
    d, v = last_valid(da.dispersion(30))
    out.append(
        SPEC["divergence.dispersion"].make(
            v,
            provenance=[p_all, p_assets],
            asof=d,
            window="30d",
            quality=judged["dispersion"],
        )
    )
    # the regime reads only measures that are available; its status follows theirs
    reg = da.regime()
    out.append(
        SPEC["divergence.regime"].make(
            reg.label,
            provenance=[p_win, p_assets],
            asof=ctx.asof,
            window=w,
            method=f"analytics.divergence_regime on the available measures: {reg.reason}",
            quality=reg.quality,
        )
    )

    # charts: the altseason index is drawn only on days it rests on enough of the top 50
    alt_need = math.ceil(rules.min_coverage_caveat * TOP_N - 1e-9)
    demo = ctx.is_demo("prices", "assets")
    src = ctx.source_line("prices", "assets")
    start = ctx.asof - pd.Timedelta(days=CHART_DAYS)
    shown_alt = alt["altseason_index"].where(alt["counted"] >= alt_need).loc[start:]
    charts = []
    if shown_alt.notna().any():
        charts.append(
            ChartSpec(
                id="altseason-index",
                title="Altseason index: share of the top 50 beating BTC over 90 days",
                x_label="date (UTC)",
                y_label="share of top-50 assets (%)",
                y_format="pct",
                traces=[
                    Trace.from_series(
                        shown_alt, f"altseason index (days on {alt_need}+ of the top {TOP_N})"
                    )
                ],
                bands=[
                    Band("y", 0.75, 1.0, "altseason (75% or more)", "#4f9a55"),
                    Band("y", 0.0, 0.25, "bitcoin season (25% or less)", "#e08a1e"),
                ],
                source=src,
                demo=demo,
            )
        )
    lv = da.tier_levels.loc[start:]
    btc = close["BTC"].loc[start:]
    traces = []
    shown_tiers = {"majors"} | {t for t, q in tier_q.items() if q.status != "unavailable"}
    for t in ("majors", "large", "mid", "small"):
        if t in shown_tiers and t in lv and lv[t].notna().sum() > 30:
            ratio = (lv[t] / btc).dropna()
            traces.append(Trace.from_series(ratio / ratio.iloc[0], f"{t} tier / BTC"))
    if traces:
        charts.append(
            ChartSpec(
                id="relative-strength",
                title="Tier indices relative to BTC (rebased to 1)",
                x_label="date (UTC)",
                y_label="index / BTC (start of chart = 1)",
                traces=traces,
                markers=[Marker("y", 1.0, "BTC", "#999999")],
                source=src,
                demo=demo,
            )
        )
    rows = [
        r
        for r in (
            "BTC",
            "ETH",
            "market_cap_weighted",
            "tier:large",
            "tier:mid",
            "tier:small",
            "tier:micro",
        )
        if r in perf.index
        and pd.notna(perf.loc[r, f"{WINDOW}d"])
        and (not r.startswith("tier:") or r[5:] in shown_tiers)
    ]
    if any(r.startswith("tier:") or r == "market_cap_weighted" for r in rows):
        names = {
            "market_cap_weighted": "total market",
            "tier:large": "large caps",
            "tier:mid": "mid caps",
            "tier:small": "small caps",
            "tier:micro": "micro caps",
        }
        charts.append(
            ChartSpec(
                id="tier-performance",
                title="Performance by cap tier (30 days, 90 days, one year)",
                x_label="",
                y_label="return (%)",
                y_format="pct",
                traces=[
                    Trace(
                        f"{c}",
                        [names.get(r, r) for r in rows],
                        [float(perf.loc[r, c]) for r in rows],
                        kind="bar",
                    )
                    for c in ("30d", f"{WINDOW}d", "1y")
                    if c in perf.columns
                ],
                source=src,
                demo=demo,
            )
        )
    return SectionResult(findings=out, charts=charts)
