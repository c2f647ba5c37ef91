"""Validation of dashboard request parameters (never passed to SQL as text)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["PAGES", "UNDERLYING_PAGES", "PageParams", "ParamError", "parse_params", "scope_note"]

PAGES: dict[str, str] = {
    "overview": "Overview",
    "divergence": "Divergence",
    "flows": "ETF flows",
    "options": "Options",
    "support": "Support",
    "macro": "Macro & sentiment",
    "correlation": "Correlation",
    "strategy": "Strategy",
}
"""Page id -> title. The only pages (and API endpoints) the dashboard serves."""

UNDERLYING_PAGES: tuple[str, ...] = ("flows", "options")
"""Pages whose content follows the ``underlying`` selector (BTC or ETH): the spot-ETF
flows, cost basis and holders' P&L; options positioning, volatility and perp funding."""

_SCOPE: dict[str, str] = {
    "overview": "the whole market (BTC's key figures); choose BTC or ETH on the ETF flows "
    "and Options pages",
    "divergence": "the whole market (majors vs small caps, sectors)",
    "support": "BTC: the store's on-chain support levels (realized price, MVRV, 200-week "
    "average) are BTC's; ETH's ETF cost basis is on the ETF flows page",
    "macro": "the whole market (macro liquidity, sentiment, events)",
    "correlation": "the whole market (correlation and cross-asset)",
    "strategy": "the whole market (the rotation strategy; the hedged-short table shows BTC "
    "and ETH side by side)",
}


def scope_note(page: str) -> str | None:
    """Why the ``underlying`` selector does not apply to ``page`` (``None`` when it does)."""
    if page in UNDERLYING_PAGES:
        return None
    return f"This page covers {_SCOPE.get(page, 'the whole market')}: the underlying selector does not apply."


_ASSET_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,23}$")
_MAX_ASSETS = 50
_MIN_DATE = dt.date(2009, 1, 3)


class ParamError(ValueError):
    """A request parameter is invalid; the message says which and why (HTTP 400)."""


@dataclass(frozen=True)
class PageParams:
    """Validated parameters shared by every page."""

    asof: dt.date | None = None
    start: dt.date | None = None
    assets: tuple[str, ...] = ()
    underlying: str = "BTC"


def _date(name: str, raw: str | None) -> dt.date | None:
    if raw is None or raw == "":
        return None
    if len(raw) != 10:
        raise ParamError(f"{name} must be a date YYYY-MM-DD, got {raw[:40]!r}")
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ParamError(f"{name} must be a date YYYY-MM-DD, got {raw[:40]!r}") from exc
    if value < _MIN_DATE or value > dt.date(2100, 1, 1):
        raise ParamError(f"{name} {raw} is out of range (2009-01-03 to 2100-01-01)")
    return value


def parse_params(
    asof: str | None = None,
    start: str | None = None,
    assets: str | None = None,
    underlying: str | None = None,
) -> PageParams:
    """Validate raw query strings into :class:`PageParams`.

    Raises
    ------
    ParamError
        With a message naming the parameter and the accepted form.
    """
    a = _date("asof", asof)
    s = _date("start", start)
    if a is not None and s is not None and s > a:
        raise ParamError("start must not be after asof")
    ids: tuple[str, ...] = ()
    if assets:
        parts = [p.strip().upper() for p in assets.split(",") if p.strip()]
        if len(parts) > _MAX_ASSETS:
            raise ParamError(f"assets lists at most {_MAX_ASSETS} ids")
        for p in parts:
            if not _ASSET_RE.match(p):
                raise ParamError(
                    f"asset id {p[:30]!r} is invalid: use letters, digits, '.' or '-' (max 24)"
                )
        ids = tuple(dict.fromkeys(parts))
    u = (underlying or "BTC").strip().upper()
    if u not in ("BTC", "ETH"):
        raise ParamError(
            f"underlying {u[:20]!r} is not supported: underlying must be BTC or ETH "
            "(the underlyings with spot-ETF flows, options and funding in the store)"
        )
    return PageParams(asof=a, start=s, assets=ids, underlying=u)
