"""One registry of strategies for ``backtest``, ``sweep``, ``allocate`` and the report.

Every strategy, built-in or yours, has one shape: a small dataclass whose
fields are its parameters (each with a default), a ``name`` field, and a
method ``weights(data: MarketData) -> DataFrame`` (plus ``option_legs(data)``
when it holds options). Register your own with :func:`register_strategy`;
then ``altseason backtest NAME -p key=value`` and ``altseason sweep NAME
--grid key=v1,v2`` run it, and :func:`~altseason.backtest.run_sweep` sweeps
it like any built-in.

Parameter strings from the command line are converted with the field's
declared type (:func:`parse_params`); a wrong name or value raises
:class:`~altseason.exceptions.StrategyError` naming the strategy, the
parameter, the value and what it accepts.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from altseason.exceptions import StrategyError

__all__ = [
    "StrategyParam",
    "make_strategy",
    "parse_param_value",
    "parse_params",
    "register_strategy",
    "strategy_class",
    "strategy_names",
    "strategy_params",
]

_REGISTRY: dict[str, type] = {}
_BUILTIN_NAMES = (
    ("momentum", "Momentum"),
    ("btc_hold", "BtcHold"),
    ("btc_eth_50_50", "BtcEth5050"),
    ("cap_weighted_market", "CapWeightedMarket"),
    ("equal_weight_small_caps", "EqualWeightSmallCaps"),
    ("rotation", "Rotation"),
    ("hedged_short", "HedgedShort"),
)


@dataclass(frozen=True)
class StrategyParam:
    """One parameter of a strategy: its name, type (as text), default and allowed values."""

    name: str
    type: str
    default: Any
    choices: tuple[Any, ...] | None = None


def _ensure_builtins() -> None:
    if any(name in _REGISTRY for name, _ in _BUILTIN_NAMES):
        return
    import altseason.strategies as s

    for name, attr in _BUILTIN_NAMES:
        _REGISTRY.setdefault(name, getattr(s, attr))


def register_strategy(cls: type, name: str | None = None) -> type:
    """Add a strategy class to the registry (usable as a decorator).

    Raises
    ------
    StrategyError
        When ``cls`` is not a dataclass with a ``weights`` method, or the
        name is taken by another class.
    """
    if not dataclasses.is_dataclass(cls) or not callable(getattr(cls, "weights", None)):
        raise StrategyError(
            f"{getattr(cls, '__name__', cls)!r} is not a strategy: write a @dataclass whose "
            "fields are its parameters, with a method weights(self, data) -> DataFrame."
        )
    _ensure_builtins()
    key = name or _default_name(cls)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise StrategyError(f"a strategy named {key!r} is already registered; pick another name.")
    _REGISTRY[key] = cls
    return cls


def _default_name(cls: type) -> str:
    for f in dataclasses.fields(cls):
        if f.name == "name" and isinstance(f.default, str):
            return f.default
    return cls.__name__.lower()


def strategy_names() -> list[str]:
    """Names of every registered strategy, built-ins first."""
    _ensure_builtins()
    return list(_REGISTRY)


def strategy_class(name: str) -> type:
    """The class registered as ``name``."""
    _ensure_builtins()
    if name not in _REGISTRY:
        raise StrategyError(f"unknown strategy {name!r}; choose one of {', '.join(_REGISTRY)}.")
    return _REGISTRY[name]


def _fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [
        f
        for f in dataclasses.fields(cls)
        if f.init and f.name != "name" and not f.name.endswith("_")
    ]


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:
        return {}


def _type_text(tp: Any) -> tuple[str, tuple[Any, ...] | None]:
    if get_origin(tp) is Literal:
        choices = get_args(tp)
        return "one of " + ", ".join(map(str, choices)), choices
    args = [a for a in get_args(tp) if a is not type(None)]
    if args and get_origin(tp) is not None:
        return " or ".join(_type_text(a)[0] for a in args), None
    return getattr(tp, "__name__", str(tp)), None


def strategy_params(name_or_cls: str | type) -> list[StrategyParam]:
    """The parameters of a strategy: name, type, default and choices."""
    cls = strategy_class(name_or_cls) if isinstance(name_or_cls, str) else name_or_cls
    hints = _hints(cls)
    out = []
    for f in _fields(cls):
        default: Any = f.default
        if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()  # type: ignore[misc,operator]
        tp = hints.get(f.name, type(default))
        text, choices = _type_text(tp)
        out.append(StrategyParam(f.name, text, default, choices))
    return out


def _convert(tp: Any, text: str) -> Any:
    origin = get_origin(tp)
    if origin is Literal:
        for choice in get_args(tp):
            if str(choice) == text:
                return choice
        raise ValueError("not one of " + ", ".join(map(str, get_args(tp))))
    if origin is not None:  # a union such as float | None or int | float
        args = get_args(tp)
        if type(None) in args and text.lower() in ("none", "null", ""):
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(a, text)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) or "no matching type")
    if tp is bool:
        low = text.lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise ValueError("expected true or false")
    if tp is int:
        return int(text)
    if tp is float:
        return float(text)
    if tp is str:
        return text
    raise ValueError(f"cannot parse a {getattr(tp, '__name__', tp)} from text")


def parse_param_value(name_or_cls: str | type, key: str, text: str) -> Any:
    """Convert one ``key=value`` string to the parameter's declared type.

    Raises
    ------
    StrategyError
        Unknown parameter (listing the valid ones) or a value of the wrong type.
    """
    cls = strategy_class(name_or_cls) if isinstance(name_or_cls, str) else name_or_cls
    label = name_or_cls if isinstance(name_or_cls, str) else _default_name(cls)
    params = {p.name: p for p in strategy_params(cls)}
    if key not in params:
        listed = ", ".join(f"{p.name} ({p.type}, default {p.default!r})" for p in params.values())
        raise StrategyError(
            f"unknown parameter {key!r} for strategy {label!r}; it takes: {listed or 'none'}."
        )
    tp = _hints(cls).get(key, type(params[key].default))
    try:
        return _convert(tp, text.strip())
    except ValueError as exc:
        raise StrategyError(
            f"bad value {text!r} for parameter {key!r} of strategy {label!r}: expected "
            f"{params[key].type} (default {params[key].default!r}); {exc}."
        ) from None


def parse_params(
    name_or_cls: str | type, items: Iterable[str] | Mapping[str, str]
) -> dict[str, Any]:
    """Convert ``["key=value", ...]`` (or a mapping of strings) to typed parameters."""
    pairs: list[tuple[str, str]] = []
    if isinstance(items, Mapping):
        pairs = [(str(k), str(v)) for k, v in items.items()]
    else:
        for item in items:
            key, sep, val = item.partition("=")
            if not sep or not key.strip():
                raise StrategyError(f"expected key=value, got {item!r} (e.g. -p lookback=30).")
            pairs.append((key.strip(), val))
    return {k: parse_param_value(name_or_cls, k, v) for k, v in pairs}


def make_strategy(name_or_cls: str | type, params: Mapping[str, Any] | None = None) -> Any:
    """An instance of a registered strategy with ``params`` (already typed, or strings)."""
    cls = strategy_class(name_or_cls) if isinstance(name_or_cls, str) else name_or_cls
    given = dict(params or {})
    known = {p.name for p in strategy_params(cls)}
    unknown = sorted(set(given) - known)
    if unknown:
        label = name_or_cls if isinstance(name_or_cls, str) else _default_name(cls)
        raise StrategyError(
            f"unknown parameter(s) {', '.join(unknown)} for strategy {label!r}; it takes "
            f"{', '.join(sorted(known)) or 'none'}."
        )
    typed = {k: parse_param_value(cls, k, v) if isinstance(v, str) else v for k, v in given.items()}
    try:
        return cls(**typed)
    except (TypeError, ValueError) as exc:
        raise StrategyError(f"bad parameters for {_default_name(cls)!r}: {exc}") from exc
