"""Open interest by strike in bins of a "nice" width, for charts of dense option chains.

A BTC chain lists hundreds of strikes; drawn one bar per strike, call and put
bars are hair-thin. :func:`bin_by_strike` sums a by-strike table (such as
:func:`altseason.analytics.oi_by_strike`) into bins whose width is a nice
number (1, 2, 2.5 or 5 x 10^k: 1,000 / 2,500 / 5,000 for BTC, 50 / 100 for ETH),
chosen by :func:`nice_bin_width` to give about :data:`TARGET_BINS` bins over the
shown range. Bin ``k`` holds the strikes in ``[k * width, (k + 1) * width)``,
so every edge is a multiple of the width and every strike falls in exactly one
bin: bin totals sum to the unbinned totals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "MAX_STRIKE_BARS",
    "NICE_STEPS",
    "TARGET_BINS",
    "StrikeBins",
    "bin_by_strike",
    "nice_bin_width",
]

NICE_STEPS: tuple[float, ...] = (1.0, 2.0, 2.5, 5.0)
"""Mantissas of a nice bin width: the width is one of these times a power of ten."""

TARGET_BINS = 50
"""Number of bins :func:`nice_bin_width` aims for (the result lands in about 35-70)."""

MAX_STRIKE_BARS = 60
"""At most this many listed strikes in the shown range are drawn one bar each; more are binned."""


def nice_bin_width(span: float, target_bins: int = TARGET_BINS) -> float:
    """The nice width (see :data:`NICE_STEPS`) whose bin count over ``span`` is nearest ``target_bins``.

    Parameters
    ----------
    span
        Width of the range to cover (strike units, e.g. USD), > 0.
    target_bins
        Wanted number of bins, >= 1.

    Returns
    -------
    float
        ``m * 10**k`` with ``m`` in :data:`NICE_STEPS`, nearest to
        ``span / target_bins`` on a log scale (ties: the wider).

    Raises
    ------
    ValidationError
        When ``span`` is not a positive finite number or ``target_bins`` < 1.
    """
    if not (isinstance(span, (int, float)) and math.isfinite(span) and span > 0):
        raise ValidationError(f"strike bins: span must be a positive number, got {span!r}")
    if target_bins < 1:
        raise ValidationError(f"strike bins: target_bins must be at least 1, got {target_bins}")
    raw = span / target_bins
    k = math.floor(math.log10(raw))
    candidates = [m * 10.0**e for e in (k - 1, k, k + 1) for m in NICE_STEPS]
    best = min(candidates, key=lambda w: (abs(math.log(w / raw)), -w))
    # round away float noise (2.5 * 10**3 -> 2500.0 exactly)
    return float(f"{best:.6g}")


@dataclass(frozen=True)
class StrikeBins:
    """A by-strike table summed into strike bins.

    Attributes
    ----------
    table
        Index ``strike``: the bin's centre (or the strike itself when not
        binned), ascending; columns ``bin_low``, ``bin_high`` (edges, USD),
        ``n_strikes`` (listed strikes in the bin) and the summed value
        columns of the input. Bins without a listed strike are left out.
    width
        Bin width (USD), or ``None`` when the strikes were few enough to
        draw one bar each (then ``bin_low == bin_high == strike``).
    """

    table: pd.DataFrame
    width: float | None

    @property
    def label(self) -> str:
        """``"bins of 2,500"`` or ``"one bar per listed strike"``, for an axis title."""
        if self.width is None:
            return "one bar per listed strike"
        return f"bins of {self.width:,.6g}"


def _few_enough(strikes: np.ndarray, max_bars: int) -> bool:
    """True when one bar per strike stays readable (see :func:`bin_by_strike`)."""
    if len(strikes) <= 1:
        return True
    gap = float(np.diff(strikes).min())
    return len(strikes) <= max_bars and (strikes[-1] - strikes[0]) / gap + 1 <= max_bars


def bin_by_strike(
    table: pd.DataFrame,
    *,
    max_bars: int = MAX_STRIKE_BARS,
    target_bins: int = TARGET_BINS,
    width: float | None = None,
) -> StrikeBins:
    """Sum a by-strike table into nice-width strike bins when it has too many strikes.

    Parameters
    ----------
    table
        Indexed by strike (USD, positive), numeric value columns (e.g.
        ``call_oi, put_oi`` from :func:`altseason.analytics.oi_by_strike`),
        already cut to the range to show. NaN values count as zero.
    max_bars
        Strikes are returned one per bar (``width`` None) when a bar as wide
        as the closest two strikes' gap still leaves room for at most this
        many bars over the range (so the bars are not hair-thin even when
        strikes crowd near spot and thin out in the wings).
    target_bins
        Bins aimed for when binning (:func:`nice_bin_width` over the listed
        strikes' range).
    width
        A bin width to use instead of choosing one (always bins).

    Returns
    -------
    StrikeBins
        The summed table and the width; the sum of each value column equals
        the input's.

    Raises
    ------
    ValidationError
        When a strike is missing, not positive, or a value column is not numeric.
    """
    strikes = np.asarray(table.index, dtype=float)
    if len(strikes) and (not np.all(np.isfinite(strikes)) or strikes.min() <= 0):
        raise ValidationError("strike bins: every strike must be a positive number")
    values = table.select_dtypes(include="number")
    if list(values.columns) != list(table.columns):
        bad = [c for c in table.columns if c not in values.columns]
        raise ValidationError(f"strike bins: columns {bad} are not numeric; pass value columns")
    values = values.fillna(0.0).astype(float)
    if width is None and _few_enough(np.unique(strikes), max_bars):
        out = values.copy()
        out.index = pd.Index(strikes, name="strike")
        out.insert(0, "n_strikes", 1)
        out.insert(0, "bin_high", strikes)
        out.insert(0, "bin_low", strikes)
        return StrikeBins(out.sort_index(), None)
    if width is None:
        span = float(strikes.max() - strikes.min()) or float(strikes.max())
        width = nice_bin_width(span, target_bins)
    elif not (math.isfinite(width) and width > 0):
        raise ValidationError(f"strike bins: width must be a positive number, got {width!r}")
    k = np.floor(strikes / width + 1e-9).astype(np.int64)
    grouped = values.groupby(k).sum()
    counts = pd.Series(1, index=k).groupby(level=0).sum()
    low = grouped.index.to_numpy(dtype=float) * width
    out = grouped.copy()
    out.insert(0, "n_strikes", counts.reindex(grouped.index).to_numpy())
    out.insert(0, "bin_high", low + width)
    out.insert(0, "bin_low", low)
    out.index = pd.Index(low + width / 2.0, name="strike")
    return StrikeBins(out.sort_index(), float(width))
