"""Small wording helpers shared by the section writers."""

from __future__ import annotations

import re

from altseason.report._findings import FindingSet

__all__ = ["over_window", "tier_word", "window_days"]

_DAYS = re.compile(r"^(\d+)d$")


def window_days(fs: FindingSet, fid: str) -> int | None:
    """The look-back of finding ``fid`` in days when its window reads ``"<n>d"``."""
    f = fs.get(fid)
    m = _DAYS.match(f.window or "")
    return int(m.group(1)) if m else None


def over_window(fs: FindingSet, fid: str, default: str = "over the window") -> str:
    """``"over the last 90 days"`` from the window of ``fid`` (``default`` otherwise)."""
    n = window_days(fs, fid)
    if n is None:
        f = fs.get(fid)
        if f.window and ".." in f.window:
            a, b = f.window.split("..", 1)
            return f"from {a} to {b}"
        return default
    return f"over the last {n} days"


def tier_word(fs: FindingSet, fid: str) -> str:
    """``"small"``, ``"mid"`` or ``"large"``: the cap tier whose index finding ``fid`` used.

    The divergence and risk sections fall back to the mid- or large-cap tier
    index when a store has no small tier, and say so in the finding's label
    (``"Mid-cap index ..."``); the narrative names that tier. ``"small"``
    when the finding is absent or its label names no tier.
    """
    if fid in fs:
        label = fs.get(fid).label.strip().lower()
        for tier in ("mid", "large"):
            if label.startswith(f"{tier}-cap"):
                return tier
    return "small"
