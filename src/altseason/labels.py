"""Labels that must travel with data: the simulated-demo marker.

Anything computed from rows whose ``source`` is :data:`DEMO_SOURCE` carries
:data:`DEMO_LABEL` in tables, charts, reports and the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DEMO_LABEL", "DEMO_SOURCE", "data_label", "is_demo"]

DEMO_SOURCE = "demo"
"""The ``source`` value of every row the demo generator writes."""

DEMO_LABEL = "simulated demo market"
"""The label shown on everything made from demo data."""


def is_demo(sources: Iterable[str]) -> bool:
    """True when any of ``sources`` is the simulated demo market."""
    return any(s == DEMO_SOURCE or str(s).startswith(DEMO_SOURCE + ":") for s in sources)


def data_label(sources: Iterable[str]) -> str:
    """A short human label for a set of sources, e.g. ``"simulated demo market"``."""
    srcs = sorted({str(s) for s in sources})
    if is_demo(srcs):
        real = [s for s in srcs if not (s == DEMO_SOURCE or s.startswith(DEMO_SOURCE + ":"))]
        return DEMO_LABEL if not real else f"{DEMO_LABEL} + {', '.join(real)}"
    return ", ".join(srcs) if srcs else "no data"
