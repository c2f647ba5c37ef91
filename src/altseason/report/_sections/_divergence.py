"""Compute half of the divergence section (majors vs small caps).

Everything comes from :class:`altseason.analytics._divergence.DivergenceAnalysis`:
the altseason index, relative strength of the small-cap tier index to BTC,
breadth, dominance, dispersion and the performance table.
"""

from __future__ import annotations

import math
from typing import Any

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


def _quality_of(f: Finding) -> Any:
    """The :class:`altseason.analytics.Quality` a finding carries."""
    from altseason.analytics import Quality

    if f.status == "ok":
        return Quality("ok", f.coverage, f.freshness)
    return Quality(f.status, f.coverage, f.freshness, f.reason or "no value")  # type: ignore[arg-type]


def divergence_analysis(ctx: ReportContext) -> object:
    """The report's :class:`DivergenceAnalysis` (cached on the context)."""
    key = ("divergence",)
    if key not in ctx._cache:
        from altseason.analytics import DivergenceAnalysis

        ctx._cache[key] = DivergenceAnalysis.from_market(market(ctx), asof=ctx.asof, window=WINDOW)
    return ctx._cache[key]


def compute_divergence(ctx: ReportContext) -> SectionResult:
    """Altseason index, small caps vs BTC, returns, breadth, dominance, dispersion."""
    from altseason.analytics import (
        DivergenceAnalysis,
        Quality,
        altseason_quality,
        cross_section_quality,
        divergence_regime,
        dominance_quality,
        regime_quality,
        season_label,
        tier_quality,
    )

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
    alt = da.altseason()
    d, v = last_valid(alt["altseason_index"])
    counted = top = None
    if d is not None:
        counted = float(alt.loc[d, "counted"])
        top = int(alt.loc[d, "top"]) if "top" in alt and pd.notna(alt.loc[d, "top"]) else TOP_N
    why = (
        f"no market caps in the store to rank the top {TOP_N}"
        if not _mcap.notna().to_numpy().any()
        else f"no asset of the top {TOP_N} has a {WINDOW}-day return and a known market cap"
    )
    alt_q = altseason_quality(counted, TOP_N, top or TOP_N, d, ctx.asof, why=why, rules=rules)
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
    tier_q = {
        t: tier_quality(da.tiers, close, _mcap, t, ctx.asof, WINDOW, rules=rules)
        for t in ("small", "mid", "large")
    }
    usable = [
        t
        for t, q in tier_q.items()
        if q.status != "unavailable"
        and f"tier:{t}" in rs.index
        and pd.notna(rs.loc[f"tier:{t}", "change_vs_BTC"])
    ]
    tier = usable[0] if usable else None
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
        # the count on the as-of date: a breadth that stopped earlier counts its universe then
        n = br[f"n_{wl}d"].loc[: d if d is not None else ctx.asof]
        bq = cross_section_quality(
            float(n.iloc[-1]) if len(n) else 0,
            d if d is not None else ctx.asof,
            what=f"breadth above the {wl}-day average",
            noun=f"assets with {wl} days of closes",
            rules=rules,
        )
        out.append(
            SPEC[f"divergence.breadth_{wl}d"].make(
                v, provenance=[p_all, p_assets], asof=d, quality=bq
            )
        )
    dom = da.dominance()
    d, v = last_valid(dom)
    prev = dom.loc[: ctx.asof - pd.Timedelta(days=WINDOW)].dropna()
    from altseason.universe import eligible

    elig = list(close.columns[eligible(close, sectors=_sectors).any(axis=0).to_numpy()])
    dom_q = dominance_quality(_mcap, elig, d, ctx.asof, rules=rules)
    dom_f = SPEC["divergence.dominance"].make(
        v,
        provenance=[p_all, p_assets],
        asof=d,
        quality=dom_q,
    )
    out.append(dom_f)
    chg_q = dom_q
    if not prev.empty:
        # the change also needs the caps of the window's first day to cover the market
        was = dominance_quality(_mcap, elig, prev.index[-1], prev.index[-1], rules=rules)
        if was.status != "ok":
            chg_q = dom_q.worst(
                Quality(
                    was.status,
                    dom_q.coverage,
                    dom_q.freshness,
                    f"at the start of the window: {was.reason}",
                )
            )
    chg_f = SPEC["divergence.dominance_change"].make(
        None if v is None or prev.empty else v - float(prev.iloc[-1]),
        provenance=[p_all, p_assets],
        asof=d,
        window=w,
        quality=chg_q,
    )
    out.append(chg_f)
    d, v = last_valid(da.dispersion(30))
    n_disp = da.dispersion_count(30).loc[: d if d is not None else ctx.asof]
    disp_q = cross_section_quality(
        float(n_disp.iloc[-1]) if len(n_disp) else 0,
        d if d is not None else ctx.asof,
        what="cross-sectional dispersion",
        noun="assets with a 30-day return",
        rules=rules,
    )
    out.append(
        SPEC["divergence.dispersion"].make(
            v,
            provenance=[p_all, p_assets],
            asof=d,
            window="30d",
            quality=disp_q,
        )
    )
    # The regime reads only measures that are available; its status follows theirs.
    by_id = {f.id: f for f in out}
    measures = {
        "altseason_index": by_id["divergence.altseason_index"],
        "dominance_change_pp": chg_f,
        "breadth_50d": by_id["divergence.breadth_50d"],
        "breadth_200d": by_id["divergence.breadth_200d"],
        "smallcap_vs_btc": by_id["divergence.rs_small_btc_change"],
    }
    quals = {k: _quality_of(f) for k, f in measures.items()}
    vals = {
        k: f.number * (100.0 if k == "dominance_change_pp" else 1.0)
        if f.available
        else float("nan")
        for k, f in measures.items()
    }
    reg = divergence_regime(
        altseason=vals["altseason_index"],
        dominance_change_pp=vals["dominance_change_pp"],
        breadth_50=vals["breadth_50d"],
        breadth_200=vals["breadth_200d"],
        smallcap_vs_btc=vals["smallcap_vs_btc"],
        window=WINDOW,
    )
    tier_name = (
        f"the {tier}-cap index relative to BTC" if tier else "the tier index relative to BTC"
    )
    reg_q = regime_quality(
        reg.label,
        quals,
        {
            "altseason_index": "the altseason index",
            "dominance_change_pp": "the BTC dominance change",
            "breadth_50d": "breadth (50-day)",
            "breadth_200d": "breadth (200-day)",
            "smallcap_vs_btc": tier_name,
        },
    )
    out.append(
        SPEC["divergence.regime"].make(
            reg.label,
            provenance=[p_win, p_assets],
            asof=ctx.asof,
            window=w,
            method=f"analytics.divergence_regime on the available measures: {reg.reason}",
            quality=reg_q,
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
