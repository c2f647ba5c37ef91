"""The report's sections, in reading order (see :data:`SECTIONS`)."""

from __future__ import annotations

from altseason.report._sections._base import (
    ReportContext,
    SectionDef,
    SectionResult,
    Table,
)
from altseason.report._sections._compute import (
    compute_correlation,
    compute_cross_asset,
    compute_derivatives,
    compute_divergence,
    compute_events,
    compute_flows,
    compute_macro,
    compute_onchain,
    compute_sectors,
    compute_strategy,
)
from altseason.report._sections._market_text import (
    CROSS_ASSET_EXPECTED,
    DIVERGENCE_EXPECTED,
    SECTORS_EXPECTED,
    write_cross_asset,
    write_divergence,
    write_sectors,
)
from altseason.report._sections._meta import (
    KEY_FIGURES,
    change_findings,
    compute_coverage,
    find_previous,
    headline,
    write_changes,
    write_coverage,
    write_summary,
)
from altseason.report._sections._portfolio_text import (
    CORRELATION_EXPECTED,
    EVENTS_EXPECTED,
    STRATEGY_EXPECTED,
    write_correlation,
    write_events,
    write_strategy,
)
from altseason.report._sections._positioning_text import (
    DERIVATIVES_EXPECTED,
    FLOWS_EXPECTED,
    MACRO_EXPECTED,
    ONCHAIN_EXPECTED,
    write_derivatives,
    write_flows,
    write_macro,
    write_onchain,
)

__all__ = [
    "KEY_FIGURES",
    "SECTIONS",
    "ReportContext",
    "SectionDef",
    "SectionResult",
    "Table",
    "change_findings",
    "find_previous",
    "headline",
    "section_ids",
    "write_changes",
    "write_summary",
]


def _no_compute(ctx: ReportContext) -> SectionResult:
    return SectionResult()


SECTIONS: tuple[SectionDef, ...] = (
    SectionDef("changes", "What changed since the previous report", _no_compute, write_changes),
    SectionDef(
        "divergence",
        "Majors vs small caps",
        compute_divergence,
        write_divergence,
        DIVERGENCE_EXPECTED,
    ),
    SectionDef(
        "sectors",
        "Sector rotation and top movers",
        compute_sectors,
        write_sectors,
        SECTORS_EXPECTED,
    ),
    SectionDef(
        "cross_asset",
        "Cross-asset: gold, silver, equities",
        compute_cross_asset,
        write_cross_asset,
        CROSS_ASSET_EXPECTED,
    ),
    SectionDef(
        "flows",
        "ETF and fund flows",
        compute_flows,
        write_flows,
        FLOWS_EXPECTED,
        per_underlying=True,
    ),
    SectionDef(
        "derivatives",
        "Derivatives positioning",
        compute_derivatives,
        write_derivatives,
        DERIVATIVES_EXPECTED,
        per_underlying=True,
    ),
    SectionDef(
        "onchain",
        "On-chain and cost-basis support",
        compute_onchain,
        write_onchain,
        ONCHAIN_EXPECTED,
    ),
    SectionDef(
        "macro", "Macro liquidity and sentiment", compute_macro, write_macro, MACRO_EXPECTED
    ),
    SectionDef(
        "correlation",
        "Correlation and diversification",
        compute_correlation,
        write_correlation,
        CORRELATION_EXPECTED,
    ),
    SectionDef(
        "strategy",
        "Strategy allocation and backtest",
        compute_strategy,
        write_strategy,
        STRATEGY_EXPECTED,
    ),
    SectionDef("events", "Events and risks", compute_events, write_events, EVENTS_EXPECTED),
    SectionDef("coverage", "Data coverage and staleness", compute_coverage, write_coverage),
)
"""Every section in reading order (what changed first); ``summary`` is always written first
from all findings."""


def section_ids() -> list[str]:
    """Ids accepted by ``--sections``."""
    return [s.id for s in SECTIONS]
