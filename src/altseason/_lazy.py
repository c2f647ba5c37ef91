"""A module imported on first use, so command start-up pays only for what it runs."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """Stands in for the module ``name`` and imports it on the first attribute access.

    Use it for heavy dependencies (pandas, NumPy) of modules that light
    commands import, behind ``if TYPE_CHECKING:`` so type checkers see the
    real module.
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
