"""Compute halves of the market sections: tiers, sectors, cross-asset, correlation, events.

Glue only: read the store, call ``altseason.analytics`` / ``altseason.universe``,
pick values out of their results and attach provenance.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from typing import Any

import pandas as pd

from altseason.exceptions import DataUnavailableError, ValidationError
from altseason.report._charts import ChartSpec, Marker, Trace
from altseason.report._findings import Finding
from altseason.report._narrative import Ref, Token
from altseason.report._sections._base import (
    Cell,
    FindingSpec,
    ReportContext,
    Run,
    SectionResult,
    Table,
    finding,
    last_valid,
    table_cell,
)

__all__ = [
    "EVENTS_FINDINGS",
    "SECTORS_FINDINGS",
    "WINDOW",
    "compute_correlation",
    "compute_cross_asset",
    "compute_events",
    "compute_sectors",
    "market_panels",
    "tier_levels",
]

WINDOW = 90
"""Look-back of the report's return comparisons, in days."""

CHART_DAYS = 365
TOP_N = 50
CORRELATION_TOP = 20
"""The correlation section measures the 20 largest non-stable assets."""
MOVERS_TOP = 100
"""Top and bottom movers are ranked among the 100 largest non-stable assets."""


def full_window_count(returns: pd.DataFrame, window: int, asof: Any) -> int:
    """How many columns have a return on each of the ``window`` days ending ``asof``."""
    tail = returns.loc[:asof].iloc[-window:]
    if len(tail) < window:
        return 0
    return int(tail.notna().all(axis=0).sum())


def market(ctx: ReportContext) -> Any:
    """The :class:`altseason.universe.Market` up to the report date (cached).

    The one data-loading layer: :func:`altseason.universe.load_market` is what
    the CLI (``DivergenceAnalysis.from_store``), the strategies
    (``market_data_from_store``) and the dashboard read too.
    """
    key = ("market",)
    if key not in ctx._cache:
        from altseason.universe import load_market

        ctx._cache[key] = load_market(ctx.store, end=ctx.asof)
    return ctx._cache[key]


def market_panels(ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """``(close, market_cap, sectors)`` up to the report date (cached).

    From :func:`market`; excluded assets (stablecoins, wrapped and staked
    tokens) carry the sector ``"stablecoin"`` so every analytics function
    leaves them out, exactly as ``DivergenceAnalysis.from_market`` does.
    """
    key = ("market_panels",)
    if key not in ctx._cache:
        m = market(ctx)
        close = m.close
        if close.empty or close.notna().sum().sum() == 0:
            raise DataUnavailableError("no prices in the store up to the report date")
        mcap = m.market_cap.reindex(index=close.index, columns=close.columns)
        excluded = m.assets["excluded"].reindex(close.columns)
        sectors = m.assets["sector"].reindex(close.columns).where(excluded.isna(), "stablecoin")
        ctx._cache[key] = (close, mcap, sectors)
    return ctx._cache[key]  # type: ignore[no-any-return]


def tier_levels(ctx: ReportContext) -> pd.DataFrame:
    """Cap-weighted tier index levels (``altseason.analytics.tier_indices``), cached."""
    key = ("tier_levels",)
    if key not in ctx._cache:
        from altseason.analytics._indices import tier_indices
        from altseason.universe import cap_tiers

        close, mcap, sectors = market_panels(ctx)
        tiers = cap_tiers(mcap, close, sectors=sectors)
        ctx._cache[key] = tier_indices(close, tiers, market_cap=mcap)
    return ctx._cache[key]  # type: ignore[no-any-return]


def top_assets(ctx: ReportContext, n: int = TOP_N) -> list[str]:
    """The ``n`` largest eligible (non-stable) assets by market cap on the report date.

    Without market caps the assets are ranked by mean daily traded volume over the window.
    """
    from altseason.universe import eligible

    close, mcap, sectors = market_panels(ctx)
    elig = eligible(close, sectors=sectors)
    last_cap = mcap.ffill().iloc[-1].where(elig.iloc[-1])
    if last_cap.notna().sum() < 3:
        # no market caps (e.g. exchange klines only): rank by 90-day traded volume instead
        vol = ctx.prices("volume_usd").reindex(columns=close.columns)
        last_cap = vol.iloc[-WINDOW:].mean().where(elig.iloc[-1])
    return list(last_cap.dropna().sort_values(ascending=False).index[:n])


# ---------------------------------------------------------------------- sectors
SECTORS_FINDINGS: tuple[FindingSpec, ...] = (
    FindingSpec("sectors.best", "Best sector", "text"),
    FindingSpec("sectors.best_return", "Best sector return (cap-weighted)", "return"),
    FindingSpec("sectors.worst", "Worst sector", "text"),
    FindingSpec("sectors.worst_return", "Worst sector return (cap-weighted)", "return"),
    FindingSpec("sectors.spread", "Sector spread (best minus worst, cap-weighted)", "pp"),
    FindingSpec("sectors.top_mover_1", "Top mover #1", "text"),
    FindingSpec("sectors.top_mover_1_return", "Top mover #1 return", "return"),
    FindingSpec("sectors.bottom_mover_1", "Bottom mover #1", "text"),
    FindingSpec("sectors.bottom_mover_1_return", "Bottom mover #1 return", "return"),
)
"""The sectors section's findings table (per-sector ``sectors.return.<id>`` follow it)."""
SECTOR_SPEC = {s.id: s for s in SECTORS_FINDINGS}


def _movers(
    ctx: ReportContext, close: pd.DataFrame, sectors: pd.Series
) -> tuple[list[Finding], list[Table]]:
    """Top and bottom movers among the largest assets (findings and their table); a ranking
    of assets, independent of the sector indices."""
    from altseason.analytics._returns import window_return
    from altseason.universe import sector_name

    out: list[Finding] = []
    top = top_assets(ctx, MOVERS_TOP)
    movers = window_return(close[top], WINDOW).dropna().sort_values(ascending=False)
    from altseason.analytics import top_quality

    mover_q = top_quality(
        len(movers),
        MOVERS_TOP,
        ctx.asof,
        what="a ranking of movers",
        of=f"the {MOVERS_TOP} largest assets with a {WINDOW}-day return",
        rules=ctx.rules,
    )
    table_rows: list[list[str | Ref]] = []
    picks = list(movers.index[:5]) + [
        a for a in movers.index[-5:][::-1] if a not in movers.index[:5]
    ]
    rank = {"top": 0, "bottom": 0}
    for a in picks:
        side = "top" if a in movers.index[:5] else "bottom"
        rank[side] += 1
        fid = f"sectors.{side}_mover_{rank[side]}"
        label = f"{'Top' if side == 'top' else 'Bottom'} mover #{rank[side]}"
        pa = [ctx.prov("prices", start=ctx.asof - pd.Timedelta(days=WINDOW), asset_id=a)]
        out.append(
            finding(
                fid,
                label,
                a,
                "text",
                provenance=pa,
                asof=ctx.asof,
                window=f"{WINDOW}d",
                quality=mover_q,
            )
        )
        out.append(
            finding(
                f"{fid}_return",
                f"{label} return ({a})",
                movers[a],
                "return",
                provenance=pa,
                asof=ctx.asof,
                window=f"{WINDOW}d",
                method="analytics.window_return",
                quality=mover_q,
            )
        )
        table_rows.append(
            [
                a,
                sector_name(sectors.get(a) if isinstance(sectors.get(a), str) else "unclassified"),
                Ref(f"{fid}_return", out[-1].format()),
            ]
        )
    for side, n in rank.items():
        if n == 0:  # too few assets for this side: say so rather than leave it unexplained
            why = (
                f"only {len(movers)} of the {MOVERS_TOP} largest assets have a {WINDOW}-day "
                "return" + (", all of them among the top movers" if side == "bottom" else "")
            )
            label = f"{side.capitalize()} mover #1"
            out.append(Finding.unavailable(f"sectors.{side}_mover_1", label, why, unit="text"))
            out.append(
                Finding.unavailable(
                    f"sectors.{side}_mover_1_return", f"{label} return", why, unit="return"
                )
            )
    # a ranking that is withheld is not shown as a table of "not available" cells: the
    # section's text says why (the findings stay in the appendix with their reason)
    tables = (
        []
        if mover_q.status == "unavailable" or not table_rows
        else [
            Table(
                f"Top and bottom movers among the {MOVERS_TOP} largest assets, {WINDOW} days",
                ["Asset", "Sector", "Return"],
                table_rows,
            )
        ]
    )
    return out, tables


def compute_sectors(ctx: ReportContext) -> SectionResult:
    """Sector index returns over the window (majors excluded) and the top movers."""
    from altseason.analytics import SECTOR_METHOD, sector_returns
    from altseason.universe import sector_name

    close, mcap, sectors = market_panels(ctx)
    if sectors.dropna().empty:
        raise DataUnavailableError("no sector labels in the assets table")
    minimum = ctx.rules.min_sector_members
    table = sector_returns(
        close, sectors, market_cap=mcap, window=WINDOW, asof=ctx.asof, min_members=minimum
    )
    good = table[table["enough"] & table["return"].notna()]
    rets = good["return"]
    if rets.empty:
        priced = table[table["return"].notna()]
        caps = mcap.loc[: ctx.asof].dropna(how="all") if mcap is not None else None
        last_cap = None if caps is None or caps.empty else pd.Timestamp(caps.index[-1])
        stale = (
            last_cap is None or (ctx.asof - last_cap).days > ctx.rules.reconstitution_tolerance_days
        )
        if priced.empty and stale:
            when = "never" if last_cap is None else f"last on {last_cap.date()}"
            reason = (
                "sector indices are cap-weighted and the store's market caps were updated "
                f"{when}, older than the {ctx.rules.reconstitution_tolerance_days}-day "
                "reconstitution tolerance"
            )
        elif priced.empty:
            reason = f"no sector index has {WINDOW} days of history"
        else:
            reason = f"no sector has {minimum} or more members priced over the {WINDOW}-day window"
        # the movers rank assets, not sectors: they stand (or fall) on their own
        mover_findings, tables = _movers(ctx, close, sectors)
        got = {f.id for f in mover_findings}
        missing = [
            Finding.unavailable(sp.id, sp.label, reason, unit=sp.unit)
            for sp in SECTORS_FINDINGS
            if sp.id not in got and "_mover_" not in sp.id
        ]
        return SectionResult(findings=missing + mover_findings, tables=tables)
    prov = [ctx.prov("prices", start=ctx.asof - pd.Timedelta(days=WINDOW)), ctx.prov("assets")]
    kw = {"provenance": prov, "asof": ctx.asof, "window": f"{WINDOW}d"}
    m = f"analytics.sector_returns: {SECTOR_METHOD}; ranked among sectors with {minimum}+ priced members"
    n_sec = int((table["members"] > 0).sum())

    def members_cov(sec: object) -> dict[str, object]:
        return {"observed": int(table.loc[sec, "members"]), "expected": minimum, "unit": "assets"}

    sp = SECTOR_SPEC
    from altseason.analytics import Quality

    need = ctx.rules.min_ranked_sectors
    ranked = {"observed": len(rets), "expected": n_sec, "unit": "sectors"}
    rank_q = (
        Quality("ok", ranked)
        if len(rets) >= need
        else Quality(
            "unavailable",
            ranked,
            None,
            f"the sector ranking needs at least {need} sectors with {minimum}+ members priced "
            f"over the {WINDOW}-day window; the store has {len(rets)} on {ctx.asof.date()}",
        )
    )
    out = [
        sp["sectors.best"].make(sector_name(str(rets.index[0])), quality=rank_q, **kw),
        sp["sectors.best_return"].make(rets.iloc[0], method=m, quality=rank_q, **kw),
        sp["sectors.worst"].make(sector_name(str(rets.index[-1])), quality=rank_q, **kw),
        sp["sectors.worst_return"].make(rets.iloc[-1], method=m, quality=rank_q, **kw),
        sp["sectors.spread"].make(
            rets.iloc[0] - rets.iloc[-1],
            method="best minus worst sector return",
            quality=rank_q,
            **kw,
        ),
    ]
    out = [f if f.unit != "text" or f.status != "ok" else replace(f, coverage=None) for f in out]
    for sec, row in table.iterrows():
        if int(row["members"]) == 0:
            continue  # e.g. "currency" once BTC is left out: not a sector of this universe
        f = finding(
            f"sectors.return.{sec}",
            f"{sector_name(str(sec))} sector return (cap-weighted)",
            row["return"],
            "return",
            method=m,
            **kw,
        )
        if not row["enough"]:
            f = Finding(
                f.id,
                f.label,
                None,
                f.unit,
                f.asof,
                f.window,
                f.provenance,
                f"only {int(row['members'])} member(s) priced over the {WINDOW}-day window "
                f"(needs {minimum})",
                m,
                "unavailable",
                members_cov(sec),
            )
        else:
            f = replace(f, coverage=members_cov(sec))
        out.append(f)
    mover_findings, tables = _movers(ctx, close, sectors)
    demo = ctx.is_demo("prices", "assets")
    src = ctx.source_line("prices", "assets")
    charts = [
        ChartSpec(
            id="sector-returns",
            title=f"Sector index returns, last {WINDOW} days",
            x_label=f"sector ({SECTOR_METHOD}; {minimum}+ priced members)",
            y_label=f"{WINDOW}-day return (%)",
            y_format="pct",
            horizontal=True,
            traces=[
                Trace(
                    "return", [sector_name(str(s)) for s in rets.index], rets.tolist(), kind="bar"
                )
            ],
            source=src,
            demo=demo,
        )
    ]
    out += mover_findings
    return SectionResult(findings=out, charts=charts, tables=tables)


# ---------------------------------------------------------------------- cross-asset
_CROSS = (("gold", "GOLD", "Gold"), ("silver", "SILVER", "Silver"), ("spx", "SPX", "S&P 500"))


def _macro_level(ctx: ReportContext, series_ids: tuple[str, ...]) -> tuple[pd.Series, str] | None:
    if not ctx.table_rows("macro"):
        return None
    for sid in series_ids:
        m = ctx.table("macro", series_id=sid)
        if not m.empty:
            s = m.set_index("date")["value"].astype(float).sort_index()
            return s, sid
    return None


def compute_cross_asset(ctx: ReportContext) -> SectionResult:
    """BTC against gold, silver and the S&P 500: window returns and 90-day correlation."""
    from altseason.analytics import series_window_quality
    from altseason.analytics._correlation import rolling_pair_correlation
    from altseason.analytics._returns import log_returns, window_return

    close, _mcap, _sectors = market_panels(ctx)
    if "BTC" not in close:
        raise DataUnavailableError("no BTC prices in the store")
    aliases = {
        "gold": ("GOLD", "GOLDAMGBD228NLBM", "XAU"),
        "silver": ("SILVER", "XAG"),
        "spx": ("SPX", "SP500", "^GSPC"),
    }
    btc_prov = ctx.prov("prices", start=ctx.asof - pd.Timedelta(days=WINDOW), asset_id="BTC")
    kw = {"asof": ctx.asof, "window": f"{WINDOW}d"}
    btc_ret = window_return(close[["BTC"]], WINDOW)["BTC"]
    out = [
        finding(
            "cross_asset.btc_return",
            "BTC return",
            btc_ret,
            "return",
            provenance=[btc_prov],
            method="analytics.window_return",
            **kw,
        )
    ]
    start = ctx.asof - pd.Timedelta(days=CHART_DAYS)
    traces = [
        Trace.from_series(
            close["BTC"].loc[start:] / close["BTC"].loc[start:].dropna().iloc[0], "BTC"
        )
    ]
    btc_lr = log_returns(close["BTC"])
    for key, _sid, name in _CROSS:
        got = _macro_level(ctx, aliases[key])
        if got is None:
            reason = f"no {name} series in the store (macro table, ids {', '.join(aliases[key])})"
            out.append(
                Finding.unavailable(
                    f"cross_asset.{key}_return", f"{name} return", reason, unit="return"
                )
            )
            if key in ("gold", "spx"):
                out.append(
                    Finding.unavailable(
                        f"cross_asset.btc_{key}_corr",
                        f"BTC / {name} correlation (90 days)",
                        reason,
                        unit="ratio",
                    )
                )
            continue
        s, sid = got
        daily = s.reindex(pd.date_range(s.index[0], ctx.asof, freq="D")).ffill()
        daily.index.name = "date"
        prov = ctx.prov("macro", series_id=sid)
        r = window_return(daily.to_frame(sid), WINDOW)[sid]
        sq = series_window_quality(s, ctx.asof, WINDOW, what=name, rules=ctx.rules)
        out.append(
            finding(
                f"cross_asset.{key}_return",
                f"{name} return",
                r,
                "return",
                provenance=[prov],
                method="analytics.window_return (last close carried over non-trading days)",
                quality=sq,
                **kw,
            )
        )
        if key in ("gold", "spx"):
            lr = log_returns(s).rename(sid)  # trading days only
            pair = rolling_pair_correlation(btc_lr.reindex(lr.index), lr, 90)
            d, v = last_valid(pair.loc[: ctx.asof])
            out.append(
                finding(
                    f"cross_asset.btc_{key}_corr",
                    f"BTC / {name} correlation (90 observations)",
                    v,
                    "ratio",
                    provenance=[btc_prov, prov],
                    asof=d,
                    window="90d",
                    method="analytics.rolling_pair_correlation on log returns",
                )
            )
        # the line stops where the series ends (no flat run past its last value)
        seg = daily.loc[start : s.index[-1]].dropna()
        if len(seg):
            traces.append(Trace.from_series(seg / seg.iloc[0], name, dash=key == "silver"))
    charts = [
        ChartSpec(
            id="cross-asset",
            title="BTC against gold, silver and the S&P 500 (rebased)",
            x_label="date (UTC)",
            y_label="growth of 1 (start of chart = 1)",
            traces=traces,
            markers=[Marker("y", 1.0, "start", "#999999")],
            source=ctx.source_line("prices", "macro"),
            demo=ctx.is_demo("prices", "macro"),
        )
    ]
    return SectionResult(findings=out, charts=charts)


# ---------------------------------------------------------------------- correlation
def compute_correlation(ctx: ReportContext) -> SectionResult:
    """Average pairwise correlation (30/90 days), its regime, a heatmap, the alts' beta."""
    from altseason.analytics import top_quality
    from altseason.analytics._correlation import (
        average_pairwise_correlation,
        correlation_regime,
        rolling_beta,
        rolling_correlation,
    )
    from altseason.analytics._returns import log_returns

    close, _mcap, _sectors = market_panels(ctx)
    top = top_assets(ctx, CORRELATION_TOP)
    if len(top) < 3:
        raise DataUnavailableError("fewer than three non-stable assets with prices")
    lr = log_returns(close[top])
    avg30 = average_pairwise_correlation(lr, 30)
    avg90 = average_pairwise_correlation(lr, 90)
    reg = correlation_regime(avg30)
    prov = [ctx.prov("prices", start=ctx.asof - pd.Timedelta(days=90), asset_id=top)]
    kw = {"provenance": prov, "asof": ctx.asof}
    m = f"analytics.average_pairwise_correlation, {len(top)} largest assets, log returns"
    _, v30 = last_valid(avg30)
    _, v90 = last_valid(avg90)
    last_reg = reg.dropna(subset=["regime"])
    # a pair enters a window's correlation only with a full window of common returns
    q = {
        n: top_quality(
            full_window_count(lr, n, ctx.asof),
            CORRELATION_TOP,
            ctx.asof,
            what=f"the {n}-day average correlation",
            of=f"the {CORRELATION_TOP} largest assets with {n} days of returns",
            rules=ctx.rules,
        )
        for n in (30, 90)
    }
    out = [
        finding(
            "correlation.avg_30d",
            "Average pairwise correlation (30 days)",
            v30,
            "ratio",
            window="30d",
            method=m,
            quality=q[30],
            **kw,
        ),
        finding(
            "correlation.avg_90d",
            "Average pairwise correlation (90 days)",
            v90,
            "ratio",
            window="90d",
            method=m,
            quality=q[90],
            **kw,
        ),
        finding(
            "correlation.regime",
            "Correlation regime",
            None if last_reg.empty else last_reg["regime"].iloc[-1],
            "text",
            window="30d",
            method="analytics.correlation_regime (level and 30-day trend)",
            quality=q[30],
            **kw,
        ),
        finding(
            "correlation.level",
            "Correlation level",
            None if last_reg.empty else last_reg["level_label"].iloc[-1],
            "text",
            window="30d",
            method="analytics.correlation_regime",
            quality=q[30],
            **kw,
        ),
    ]
    alts = [a for a in top if a not in ("BTC", "ETH")]
    if "BTC" in top and alts:
        beta = rolling_beta(lr[["BTC", *alts]], "BTC", 90)
        med = beta[alts].iloc[-1].median()
        n_alts = CORRELATION_TOP - 2
        out.append(
            finding(
                "correlation.small_beta",
                "Median beta of the largest alts to BTC (90 days)",
                med,
                "ratio",
                window="90d",
                method="analytics.rolling_beta, median across alts",
                quality=top_quality(
                    int(beta[alts].iloc[-1].notna().sum()),
                    n_alts,
                    ctx.asof,
                    what="the median beta",
                    of=f"the {n_alts} largest alts with 90 days of returns",
                    rules=ctx.rules,
                ),
                **kw,
            )
        )
    demo = ctx.is_demo("prices")
    src = ctx.source_line("prices", extra=f"{len(top)} largest non-stable assets")
    mats = rolling_correlation(lr, 90)
    mat = mats.at(ctx.asof)
    start = ctx.asof - pd.Timedelta(days=CHART_DAYS * 2)
    charts = [
        ChartSpec(
            id="correlation-heatmap",
            title="Pairwise correlation, last 90 days",
            x_label="asset",
            y_label="asset",
            kind="heatmap",
            heatmap=mat,
            y2_label="correlation",
            source=src,
            demo=demo,
        ),
        ChartSpec(
            id="average-correlation",
            title="Average pairwise correlation",
            x_label="date (UTC)",
            y_label="correlation (Pearson, log returns)",
            traces=[
                Trace.from_series(avg30.loc[start:], "30-day"),
                Trace.from_series(avg90.loc[start:], "90-day", dash=True),
            ],
            markers=[
                Marker("y", 0.6, "high (0.6)", "#c0504d"),
                Marker("y", 0.3, "low (0.3)", "#4f9a55"),
            ],
            source=src,
            demo=demo,
        ),
    ]
    if q[30].status == "unavailable" and q[90].status == "unavailable":
        charts = charts[:1]  # the averages are withheld: no line of them either
    return SectionResult(findings=out, charts=charts)


# ---------------------------------------------------------------------- events & risks
EVENTS_FINDINGS: tuple[FindingSpec, ...] = (
    FindingSpec("events.count", "Events studied up to the report date", "count"),
    FindingSpec("events.latest_title", "Latest event", "text"),
    FindingSpec("events.latest_date", "Date of the latest event", "date"),
    FindingSpec("events.car_mean", "Mean cumulative abnormal return, days 0 to +20", "return"),
    FindingSpec("events.car_t", "t-statistic of the mean abnormal return", "ratio"),
    FindingSpec("risks.btc_drawdown", "BTC drawdown from its peak", "return"),
    FindingSpec("risks.small_drawdown", "Small-cap index drawdown from its peak", "return"),
    FindingSpec("risks.btc_vol_30d", "BTC 30-day realised volatility (annualised)", "percent"),
)
"""The events-and-risks section's findings table."""


def compute_events(ctx: ReportContext) -> SectionResult:
    """Event study of BTC around the store's events; drawdowns and volatility as risks."""
    from altseason.analytics._returns import drawdown, simple_returns

    close, _mcap, _sectors = market_panels(ctx)
    out: list[Finding] = []
    charts: list[ChartSpec] = []
    if "BTC" not in close:
        raise DataUnavailableError("no BTC prices in the store")
    btc = close["BTC"]
    pb = ctx.prov("prices", asset_id="BTC")
    dd = drawdown(btc.to_frame("BTC"))["BTC"]
    d, v = last_valid(dd)
    out.append(
        finding(
            "risks.btc_drawdown",
            "BTC drawdown from its peak",
            v,
            "return",
            provenance=[pb],
            asof=d,
            method="analytics.drawdown",
        )
    )
    from altseason.analytics import tier_quality
    from altseason.report._sections._divergence import divergence_analysis

    da = divergence_analysis(ctx)
    levels = da.tier_levels  # type: ignore[attr-defined]
    quality = {
        t: tier_quality(da.tiers, close, _mcap, t, ctx.asof, WINDOW, rules=ctx.rules)  # type: ignore[attr-defined]
        for t in ("small", "mid", "large")
        if t in levels and levels[t].notna().sum() > WINDOW
    }
    alt_tier = next((t for t, q in quality.items() if q.status != "unavailable"), None)
    spec = next(s for s in EVENTS_FINDINGS if s.id == "risks.small_drawdown")
    if alt_tier is not None:
        tdd = drawdown(levels[[alt_tier]])[alt_tier]
        d2, v2 = last_valid(tdd)
        out.append(
            spec.make(
                v2,
                label=f"{alt_tier.capitalize()}-cap index drawdown from its peak",
                provenance=[ctx.prov("prices")],
                asof=d2,
                method=f"analytics.drawdown of the {alt_tier}-cap tier index",
                quality=quality[alt_tier],
            )
        )
    elif quality:
        first = next(iter(quality.values()))
        out.append(
            Finding.unavailable(
                spec.id, spec.label, first.reason or "no tier index", unit=spec.unit
            )
        )
    rets = simple_returns(btc.to_frame("BTC"))["BTC"].dropna()
    tail = rets.loc[ctx.asof - pd.Timedelta(days=29) :]
    if len(tail) >= 20:
        from altseason.backtest._metrics import annual_volatility

        out.append(
            finding(
                "risks.btc_vol_30d",
                "BTC 30-day realised volatility (annualised)",
                annual_volatility(tail),
                "percent",
                provenance=[pb],
                asof=ctx.asof,
                window="30d",
                method="backtest.annual_volatility (365 periods a year)",
            )
        )
    start = ctx.asof - pd.Timedelta(days=CHART_DAYS * 2)
    traces = [Trace.from_series(dd.loc[start:], "BTC", kind="area")]
    if alt_tier is not None:
        traces.append(
            Trace.from_series(
                drawdown(levels[[alt_tier]])[alt_tier].loc[start:], f"{alt_tier}-cap index"
            )
        )
    charts.append(
        ChartSpec(
            id="drawdowns",
            title="Drawdown from the running peak",
            x_label="date (UTC)",
            y_label="drawdown (%)",
            y_format="pct",
            traces=traces,
            source=ctx.source_line("prices"),
            demo=ctx.is_demo("prices"),
        )
    )
    from altseason.analytics import EVENT_STUDY_METHOD, event_study_from_store

    try:
        study, mkt, _src, built_in = event_study_from_store(ctx.store, "BTC", end=ctx.asof)
    except (DataUnavailableError, ValidationError) as exc:
        for spec in EVENTS_FINDINGS:
            if spec.id.startswith("events."):
                out.append(Finding.unavailable(spec.id, spec.label, str(exc), unit=spec.unit))
        return SectionResult(findings=out, charts=charts)
    pe = ctx.prov("events") if not built_in else ctx.prov("prices", asset_id="BTC")
    evs = study.events.sort_values("date")
    cal = "the built-in event calendar" if built_in else "the store's events"
    out += [
        finding(
            "events.count",
            "Events studied up to the report date",
            len(evs),
            "count",
            provenance=[pe],
            asof=ctx.asof,
            method=f"events from {cal} with enough history",
        ),
        finding(
            "events.latest_title",
            "Latest event",
            str(evs["title"].iloc[-1]) if len(evs) and "title" in evs else None,
            "text",
            provenance=[pe],
            asof=ctx.asof,
        ),
        finding(
            "events.latest_date",
            "Date of the latest event",
            evs["date"].iloc[-1] if len(evs) else None,
            "date",
            provenance=[pe],
            asof=ctx.asof,
        ),
    ]
    summ = study.summary
    if "[0, 20]" not in summ.index:
        raise DataUnavailableError("the event study has no [0, +20] window")
    row = summ.loc["[0, 20]"]
    who = f"BTC against {'the total market (sum of market caps)' if mkt == 'TOTAL' else mkt}"
    out += [
        finding(
            "events.car_mean",
            f"Mean cumulative abnormal return of {who}, days 0 to +20",
            row["caar"],
            "return",
            provenance=[pe, pb],
            asof=ctx.asof,
            window="[0, +20] days",
            method=EVENT_STUDY_METHOD,
        ),
        finding(
            "events.car_t",
            "t-statistic of the mean abnormal return",
            row["t_caar"],
            "ratio",
            provenance=[pe, pb],
            asof=ctx.asof,
            window="[0, +20] days",
            method=EVENT_STUDY_METHOD,
        ),
    ]
    if alt_tier is None:
        tier_reason = next(
            (q.reason for q in quality.values() if q.reason),
            "the store has no market-cap tier index with more than "
            f"{WINDOW} days (prices with market caps beyond the largest assets)",
        )
    else:
        tier_reason = None
    same = {
        ("BTC", "[0, 20]", "caar"): next(f for f in out if f.id == "events.car_mean"),
        ("BTC", "[0, 20]", "t_caar"): next(f for f in out if f.id == "events.car_t"),
    }
    tables, table_found = event_tables(
        ctx,
        study,
        levels[alt_tier] if alt_tier is not None else None,
        alt_tier,
        tier_reason=tier_reason,
        same=same,
    )
    out += table_found
    studied = [str(c) for c in tables[0].columns[3:]]
    bench = "the total market (sum of market caps)" if mkt == "TOTAL" else mkt
    out += [
        finding(
            "events.assets",
            "Assets in the event study",
            ", ".join(studied[:-1]) + (" and " if len(studied) > 1 else "") + studied[-1],
            "text",
            provenance=[pe, pb],
            asof=ctx.asof,
            method=EVENT_STUDY_METHOD,
        ),
        finding(
            "events.benchmark",
            "Benchmark of the event study",
            bench,
            "text",
            provenance=[pe, pb],
            asof=ctx.asof,
            method=study.describe(),
        ),
    ]
    path = study.caar_path()
    charts.append(
        ChartSpec(
            id="event-caar",
            title=f"Cumulative average abnormal return of {who} around events",
            x_label="days relative to the event",
            y_label="CAAR (%)",
            y_format="pct",
            traces=[Trace("CAAR", list(path.index.astype(int)), path.tolist())],
            markers=[Marker("x", 0, "event day", "#555555")],
            source=ctx.source_line("prices", "events", extra=f"{len(evs)} events used"),
            demo=ctx.is_demo("prices", "events"),
        )
    )
    return SectionResult(findings=out, charts=charts, tables=tables)


def _slug(text: object) -> str:
    """A finding-id part: ``"small-cap index"`` -> ``small_cap_index``, ``"sec-sues-ripple"`` kept."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text).strip()).strip("_-") or "x"


def _asset_slug(name: str) -> str:
    """``"BTC"`` -> ``btc``, ``"small-cap index"`` -> ``small_cap_index``."""
    return _slug(name).lower().replace("-", "_")


def _window_slug(label: str) -> str:
    """``"[-5, 5]"`` -> ``m5_5``, ``"[0, 20]"`` -> ``0_20`` (as ``event_table`` names them)."""
    return label.strip("[]").replace(" ", "").replace(",", "_").replace("-", "m")


EVENT_CELL_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("car", "cumulative abnormal return", "return"),
    ("t", "t-statistic (with estimation error)", "ratio"),
    ("p", "placebo p-value", "ratio"),
)
"""Per event and asset: the cell ``CAR (t .., p ..)``; ids ``events.<event>.<asset>.<stat>``."""

CAAR_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("n_events", "events", "count"),
    ("caar", "CAAR", "return"),
    ("t_caar", "t_caar", "ratio"),
    ("t_bmp", "t_bmp", "ratio"),
    ("t_kp", "t_kp", "ratio"),
    ("placebo_p", "placebo p", "ratio"),
)
"""Columns of the CAAR table (``EventStudy.summary``); ids ``events.caar.<asset>.<window>.<col>``."""


def event_tables(
    ctx: ReportContext,
    btc_study: Any,
    tier_level: pd.Series | None,
    tier: str | None,
    *,
    tier_reason: str | None = None,
    same: dict[tuple[str, str, str], Finding] | None = None,
) -> tuple[list[Table], list[Finding]]:
    """Per-event CARs of BTC, ETH and the small-cap index against one benchmark, and the CAARs.

    Every study uses the benchmark of the BTC study (``TOTAL``, the sum of
    market caps) and the same windows and estimation window
    (``event_study`` defaults); an asset without enough history for an
    event shows ``n/a`` (an unavailable finding saying so). Per event: CAR,
    its t-statistic (including the market model's estimation error) and the
    placebo p-value. Across events: CAAR with ``t_caar`` (covariance of
    overlapping windows), ``t_bmp``, ``t_kp`` (overlap-adjusted) and the
    placebo p-value. Every number is a finding of group ``events.car_by_event``
    or ``events.caar_by_asset``; ``same`` maps ``(asset, window, column)`` to
    an existing finding of that quantity (``events.car_mean``), which the
    cell then references instead of a second id. Without a tier index the
    small-cap column is left out and ``events.small_cap_index`` (unavailable,
    ``tier_reason``) says why under the table.
    """
    from altseason.analytics import (
        EVENT_STUDY_METHOD,
        Quality,
        event_study,
        event_study_from_store,
        event_table,
        freshness,
    )
    from altseason.analytics._positioning_data import market_returns_from_store

    bench = str(btc_study.benchmark)
    studies: dict[str, Any] = {"BTC": btc_study}
    with contextlib.suppress(DataUnavailableError, ValidationError):
        studies["ETH"], _m, _s, _b = event_study_from_store(ctx.store, "ETH", bench, end=ctx.asof)
    small_reason = tier_reason or "no market-cap tier index up to the report date"
    if tier_level is not None and tier is not None:
        try:
            mkt = market_returns_from_store(ctx.store, bench, end=ctx.asof)
            studies[f"{tier}-cap index"] = event_study(
                tier_level.pct_change(),
                mkt,
                btc_study.events,
                asset=f"{tier}-cap index",
                benchmark=bench,
            )
        except (DataUnavailableError, ValidationError) as exc:
            small_reason = f"the {tier}-cap index event study failed: {exc}"
    tbl = event_table(studies)
    names = list(studies)
    wins = [
        c[len("car_") : -len("_BTC")]
        for c in tbl.columns
        if c.startswith("car_") and c.endswith("_BTC")
    ]
    win = "0_20" if "0_20" in wins else wins[-1]
    win_text = "[" + win.replace("m", "-").replace("_", ", +", 1) + "] days"
    used = tbl.loc[tbl[[f"car_{win}_{n}" for n in names]].notna().any(axis=1)]
    pe = ctx.prov("events") if ctx.table_rows("events") else None
    provs = {
        n: [
            p
            for p in (
                pe,
                ctx.prov("prices", asset_id=n) if n in ("BTC", "ETH") else ctx.prov("prices"),
            )
            if p is not None
        ]
        for n in names
    }
    bench_text = "the total market (sum of market caps)" if bench == "TOTAL" else bench
    # a past event's CAR is history, not stale data: its inputs are the prices up to the
    # newest day the studies read
    px = ctx.prices()
    history = Quality("ok", freshness=freshness(px.index.max() if len(px) else None, ctx.asof))
    found: list[Finding] = []
    group = "events.car_by_event"
    rows: list[list[Cell]] = []
    for eid, r in used.iterrows():
        day = pd.Timestamp(r["date"])
        cells: list[Cell] = [
            str(day.date()),
            str(r["jurisdiction"]) if "jurisdiction" in r and pd.notna(r["jurisdiction"]) else "—",
            str(r["title"]),
        ]
        for n in names:
            parts: list[Finding] = []
            for stat, label, unit in EVENT_CELL_FIGURES:
                fid = f"events.{_slug(eid)}.{_asset_slug(n)}.{stat}"
                text = f"{n} {label} around {r['title']} ({day.date()}), {win_text}, against {bench_text}"
                v = r.get(f"{stat}_{win}_{n}")
                if v is None or pd.isna(v):
                    parts.append(
                        Finding.unavailable(
                            fid,
                            text,
                            f"{n} has not enough history before the event for the "
                            "estimation window",
                            unit=unit,
                            asof=day,
                            provenance=provs[n],
                            group=group,
                        ).with_quality(history)
                    )
                else:
                    parts.append(
                        finding(
                            fid,
                            text,
                            v,
                            unit,
                            provenance=provs[n],
                            asof=day,
                            window=win_text,
                            method=EVENT_STUDY_METHOD,
                            group=group,
                            quality=history,
                        )
                    )
            found += parts
            car, t, p = parts
            if not car.available:
                cells.append(table_cell(car))
            else:
                cells.append(
                    Run((table_cell(car), " (t ", table_cell(t), ", p ", table_cell(p), ")"))
                )
        rows.append(cells)
    note: tuple[Token, ...] = ()
    if not any(n.endswith("-cap index") for n in names):
        miss = Finding.unavailable(
            "events.small_cap_index",
            "Small-cap index in the event study",
            small_reason,
            unit="return",
            provenance=[ctx.prov("prices")],
        )
        found.append(miss)
        note = (
            "No small-cap column: the small-cap index is ",
            Ref(miss.id, "not available"),
            f" ({small_reason}).",
        )
    out = [
        Table(
            f"Cumulative abnormal return per event, {win_text}, against {bench_text}: "
            "CAR (t with estimation error, placebo p)",
            ["date", "where", "event", *names],
            rows,
            group=group,
            note=note,
        )
    ]
    sgroup = "events.caar_by_asset"
    srows: list[list[Cell]] = []
    for n, st in studies.items():
        for label in ("[-5, 5]", "[0, 20]"):
            if label not in st.summary.index:
                continue
            row = st.summary.loc[label]
            wl = label.replace(", ", ", +").replace("+-", "-") + " days"
            cells = [n, wl]
            for col, clabel, unit in CAAR_FIGURES:
                f = (same or {}).get((n, label, col))
                if f is None:
                    f = finding(
                        f"events.caar.{_asset_slug(n)}.{_window_slug(label)}.{col}",
                        f"{n} {clabel} across events, {wl}, against {bench_text}",
                        row[col],
                        unit,
                        provenance=provs[n],
                        asof=ctx.asof,
                        window=wl,
                        method=EVENT_STUDY_METHOD,
                        group=sgroup,
                        quality=history,
                    )
                    found.append(f)
                cells.append(table_cell(f))
            srows.append(cells)
    out.append(
        Table(
            f"Mean CAR across events against {bench_text}: t_caar allows for overlapping "
            "windows, t_kp is the Kolari-Pynnonen adjustment of t_bmp, p from placebo dates",
            ["asset", "window", *[label for _c, label, _u in CAAR_FIGURES]],
            srows,
            group=sgroup,
            note=note,
        )
    )
    return out, found
