"""The public names of ``altseason`` are exactly ``__all__``, sorted, and all resolve."""

from __future__ import annotations

import importlib

import pytest

import altseason


def test_all_is_sorted_and_resolves() -> None:
    assert altseason.__all__ == sorted(altseason.__all__)
    for name in altseason.__all__:
        assert getattr(altseason, name) is not None, name
    assert [n for n in dir(altseason) if not n.startswith("_")] == altseason.__all__
    with pytest.raises(AttributeError):
        altseason.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    "module",
    [
        "altseason.store",
        "altseason.universe",
        "altseason.analytics",
        "altseason.signals",
        "altseason.strategies",
        "altseason.backtest",
        "altseason.report",
        "altseason.dashboard",
        "altseason.sources",
        "altseason.exceptions",
        "altseason.verify",
    ],
)
def test_subpackage_all_is_sorted_and_public(module: str) -> None:
    mod = importlib.import_module(module)
    names = list(mod.__all__)

    # isort-style order, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    def key(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[0].isupper() else 2, n)

    assert names == sorted(names, key=key), f"{module}.__all__ is not sorted"
    for name in names:
        assert hasattr(mod, name), f"{module}.{name} is in __all__ but missing"
        assert not name.startswith("_")


def test_verify_note_is_the_verify_package_function() -> None:
    from altseason.verify import verify_note

    assert altseason.verify_note is verify_note
