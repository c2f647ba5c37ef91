"""Combine signals into one score."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = ["composite_signal"]


def composite_signal(
    signals: Mapping[str, pd.Series], weights: Mapping[str, float] | None = None
) -> pd.Series:
    """Weighted average of signals in [-1, 1], skipping missing ones per date.

    On each date the weights of the available (non-NaN) signals are
    renormalised; a date with no available signal is NaN. The result stays in
    [-1, 1] because it is a convex combination.

    Parameters
    ----------
    signals
        Name -> score series (each in [-1, 1]) on a common or overlapping index.
    weights
        Name -> non-negative weight (default equal weights).
    """
    if not signals:
        raise ValidationError("composite_signal needs at least one signal")
    w = dict(weights) if weights is not None else {k: 1.0 for k in signals}
    unknown = set(w) - set(signals)
    if unknown:
        raise ValidationError(f"weights for unknown signals: {sorted(unknown)}")
    if any(v < 0 for v in w.values()):
        raise ValidationError("signal weights must be non-negative")
    frame = pd.DataFrame({k: signals[k] for k in signals if w.get(k, 0.0) > 0})
    if frame.empty:
        raise ValidationError("every signal has zero weight")
    wv = np.array([w[k] for k in frame.columns], dtype=float)
    vals = frame.to_numpy(dtype=float)
    avail = ~np.isnan(vals)
    num = np.where(avail, vals, 0.0) @ wv
    den = avail.astype(float) @ wv
    out = np.full(len(frame), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return pd.Series(np.clip(out, -1.0, 1.0), index=frame.index, name="composite")
