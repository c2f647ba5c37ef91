"""Asset metadata helpers and the exclusion of non-investable tokens.

Stablecoins, wrapped tokens and staked / liquid-staking receipts track another
asset (a fiat currency, BTC, ETH, SOL, ...): counting them would double-count
market cap and put near-constant returns into every cross-sectional measure.
They are excluded from tiers, indices, the altseason index, breadth, dispersion
and dominance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from altseason.universe._sectors import STABLECOIN_SECTOR

__all__ = [
    "STABLECOINS",
    "STAKED_TOKENS",
    "WRAPPED_TOKENS",
    "excluded_assets",
    "exclusion_reason",
    "is_excluded",
    "normalize_symbol",
]

STABLECOINS: frozenset[str] = frozenset(
    {
        "USDT",
        "USDC",
        "DAI",
        "BUSD",
        "TUSD",
        "USDP",
        "PAX",
        "GUSD",
        "USDD",
        "FDUSD",
        "PYUSD",
        "USDE",
        "USDS",
        "FRAX",
        "LUSD",
        "SUSD",
        "USTC",
        "UST",
        "USDX",
        "USDK",
        "HUSD",
        "USDN",
        "EURS",
        "EURT",
        "EURC",
        "AEUR",
        "XSGD",
        "CUSD",
        "RLUSD",
        "USD0",
        "USDB",
        "USDY",
        "USYC",
        "USD1",
        "GHO",
        "CRVUSD",
        "MIM",
        "DOLA",
        "ALUSD",
        "FEI",
        "USDJ",
        "OUSD",
        "USDG",
        "BFUSD",
        "USDF",
        "USDTB",
        "SUSDE",
        "SUSDS",
        "SDAI",
        "BUIDL",
        "USTB",
        "USR",
        "DEUSD",
        "AUSD",
        "EUSD",
        "FXUSD",
        "ZUSD",
        "VAI",
        "TRYB",
        "BIDR",
        "IDRT",
        "BVND",
        "UAHG",
        "XAUT",
        "PAXG",
    }
)
"""Stablecoins and fiat / gold-backed tokens (PAXG and XAUT track gold, not crypto)."""

WRAPPED_TOKENS: frozenset[str] = frozenset(
    {
        "WBTC",
        "WETH",
        "WBNB",
        "WSOL",
        "WAVAX",
        "WMATIC",
        "WPOL",
        "WFTM",
        "WTRX",
        "WEETH",
        "WBETH",
        "CBBTC",
        "TBTC",
        "RENBTC",
        "HBTC",
        "BTCB",
        "SOLVBTC",
        "LBTC",
        "FBTC",
        "UBTC",
        "EBTC",
        "PUMPBTC",
        "CLBTC",
        "WHBAR",
        "WCRO",
        "WGLMR",
        "WROSE",
        "WXDAI",
        "WONE",
        "WEMIX",
        "WZEC",
        "BTC.B",
        "ETH.B",
    }
)
"""Wrapped or bridged representations of another asset."""

STAKED_TOKENS: frozenset[str] = frozenset(
    {
        "STETH",
        "WSTETH",
        "CBETH",
        "RETH",
        "FRXETH",
        "SFRXETH",
        "SWETH",
        "ETHX",
        "OSETH",
        "METH",
        "EZETH",
        "RSETH",
        "PUFETH",
        "EETH",
        "ANKRETH",
        "BNSOL",
        "JITOSOL",
        "MSOL",
        "BSOL",
        "JUPSOL",
        "INF",
        "STSOL",
        "STKAAVE",
        "STMATIC",
        "MATICX",
        "SAVAX",
        "STX.ST",
        "STATOM",
        "STOSMO",
        "STKATOM",
        "SLISBNB",
        "WBNSOL",
        "SOLVBTC.BBN",
        "STBTC",
        "SUPEROETHB",
        "OETH",
        "TETH",
        "LSETH",
        "STTON",
        "TSTON",
        "KSUI",
        "HASUI",
        "STSUI",
        "AFSUI",
        "STAPT",
        "THAPT",
        "XSOLVBTC",
        "STHYPE",
        "KHYPE",
        "BBSOL",
        "HSOL",
        "DSOL",
    }
)
"""Staked and liquid-staking receipts (value tracks the staked asset)."""

_STAKED_PATTERN = re.compile(
    r"^(ST|WST|CB|R|S|B|J|M|OS|EZ|RS|PUF|E|ANKR)(ETH|SOL|BTC|AVAX|ATOM|BNB)$"
)


def normalize_symbol(symbol: str) -> str:
    """Upper-case, strip whitespace and a trailing quote-currency pair suffix.

    ``"btcusdt"`` and ``" BTC "`` both give ``"BTC"``; ``"USDT"`` itself is
    left alone.
    """
    s = str(symbol).strip().upper()
    for quote in ("USDT", "USDC", "BUSD", "FDUSD"):
        if s.endswith(quote) and len(s) > len(quote) and s != quote:
            return s[: -len(quote)]
    return s


def exclusion_reason(symbol: str, *, sector: str | None = None) -> str | None:
    """Why an asset is excluded from the investable universe, or ``None``.

    Parameters
    ----------
    symbol
        Asset id or ticker (case-insensitive).
    sector
        The asset's sector id when known; ``"stablecoin"`` excludes it.

    Returns
    -------
    str or None
        ``"stablecoin"``, ``"wrapped"`` or ``"staked"``; ``None`` when eligible.
    """
    s = str(symbol).strip().upper()
    if s in STABLECOINS or sector == STABLECOIN_SECTOR:
        return "stablecoin"
    if s in WRAPPED_TOKENS:
        return "wrapped"
    if s in STAKED_TOKENS or (
        _STAKED_PATTERN.match(s) is not None and s not in _PATTERN_FALSE_POSITIVES
    ):
        return "staked"
    return None


# Real tokens that happen to look like staked receipts.
_PATTERN_FALSE_POSITIVES = frozenset({"SETH"})


def is_excluded(symbol: str, *, sector: str | None = None) -> bool:
    """True when ``symbol`` is a stablecoin, a wrapped or a staked token."""
    return exclusion_reason(symbol, sector=sector) is not None


def excluded_assets(
    assets: Iterable[str], *, sectors: pd.Series | dict[str, str] | None = None
) -> list[str]:
    """The subset of ``assets`` to exclude, in input order.

    Parameters
    ----------
    assets
        Asset ids.
    sectors
        Optional asset id -> sector id mapping (``assets`` table ``sector``).
    """
    lookup = dict(sectors.items()) if sectors is not None else {}
    out = []
    for a in assets:
        sec = lookup.get(a)
        if is_excluded(a, sector=sec if isinstance(sec, str) else None):
            out.append(a)
    return out
