"""altseason: crypto market research and allocation.

Measure the large-cap / small-cap divergence from data, backtest disciplined
allocations and write reports in which every number is traceable.

The curated API below is loaded lazily (``altseason.run_backtest`` imports
the backtest engine on first use), so ``import altseason`` and the CLI stay
fast. Subpackages: :mod:`altseason.sources`, :mod:`altseason.store`,
:mod:`altseason.universe`, :mod:`altseason.analytics`,
:mod:`altseason.signals`, :mod:`altseason.strategies`,
:mod:`altseason.backtest`, :mod:`altseason.report`, :mod:`altseason.dashboard`.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AltseasonError": "altseason.exceptions",
    "BacktestResult": "altseason.backtest",
    "DivergenceAnalysis": "altseason.analytics",
    "Finding": "altseason.report",
    "MarketData": "altseason.strategies",
    "Rotation": "altseason.strategies",
    "Settings": "altseason.config",
    "Store": "altseason.store",
    "build_report": "altseason.report",
    "check_store": "altseason.store",
    "create_app": "altseason.dashboard",
    "fetch": "altseason.sources",
    "generate_demo": "altseason.sources.demo",
    "generate_report": "altseason.report",
    "import_files": "altseason.sources.files",
    "load_market": "altseason.universe",
    "load_settings": "altseason.config",
    "market_data_from_store": "altseason.strategies",
    "open_store": "altseason.store",
    "options_positioning": "altseason.analytics",
    "run_backtest": "altseason.backtest",
    "run_strategy": "altseason.strategies",
    "run_sweep": "altseason.backtest",
    "verify_note": "altseason.verify",
    "write_demo": "altseason.sources.demo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'altseason' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
