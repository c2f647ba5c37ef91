"""Compute halves of the sections: analytics results -> findings and chart specs."""

from __future__ import annotations

from altseason.report._sections._divergence import compute_divergence
from altseason.report._sections._market import (
    compute_correlation,
    compute_cross_asset,
    compute_events,
    compute_sectors,
)
from altseason.report._sections._positioning import (
    compute_derivatives,
    compute_flows,
    compute_macro,
    compute_onchain,
)
from altseason.report._sections._strategy import compute_strategy

__all__ = [
    "compute_correlation",
    "compute_cross_asset",
    "compute_derivatives",
    "compute_divergence",
    "compute_events",
    "compute_flows",
    "compute_macro",
    "compute_onchain",
    "compute_sectors",
    "compute_strategy",
]
