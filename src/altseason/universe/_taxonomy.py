"""Token -> sector map: the shipped default, user overrides, CoinGecko import.

The default map (``altseason/data/sector_map.csv``) assigns a few hundred real
tokens to the canonical sector ids of :mod:`altseason.universe._sectors`. A user
file with the same columns (``symbol, sector`` and optionally ``subsector,
name``) overrides it row by row. Tokens in neither can be classified from their
CoinGecko categories with :func:`sector_from_coingecko_categories`.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from altseason.exceptions import FormatError, ValidationError
from altseason.universe._sectors import SECTORS, SUBSECTORS

__all__ = [
    "SECTOR_MAP_COLUMNS",
    "assign_sectors",
    "default_sector_map",
    "load_sector_map",
    "read_coingecko_categories",
    "sector_from_coingecko_categories",
    "sector_map_from_coingecko",
    "write_sector_map",
]

SECTOR_MAP_COLUMNS = ("symbol", "name", "sector", "subsector")
"""Columns of a sector-map file (``name`` and ``subsector`` may be blank)."""


# ---------------------------------------------------------------------- files
def _validate(frame: pd.DataFrame, path: str) -> pd.DataFrame:
    missing = [c for c in ("symbol", "sector") if c not in frame.columns]
    if missing:
        raise FormatError(
            f"sector map lacks column(s) {', '.join(missing)}; expected a CSV with columns "
            f"{', '.join(SECTOR_MAP_COLUMNS)}.",
            path=path,
        )
    out = frame.copy()
    for col in ("name", "subsector"):
        if col not in out.columns:
            out[col] = None
    out = out.loc[:, list(SECTOR_MAP_COLUMNS)]
    out["symbol"] = out["symbol"].astype(str).str.strip().str.upper()
    out["sector"] = out["sector"].astype(str).str.strip()
    out["subsector"] = out["subsector"].where(out["subsector"].notna(), None)
    for i, row in enumerate(out.itertuples(index=False)):
        line = i + 2  # 1-based, counting the header line
        if row.sector not in SECTORS:
            raise ValidationError(
                f"unknown sector {row.sector!r} for {row.symbol}; use one of {', '.join(SECTORS)}.",
                path=path,
                line=line,
                column="sector",
            )
        sub = row.subsector
        if sub is not None and str(sub).strip() and str(sub).strip() not in SUBSECTORS[row.sector]:
            raise ValidationError(
                f"unknown subsector {sub!r} of sector {row.sector!r} for {row.symbol}; use one "
                f"of {', '.join(SUBSECTORS[row.sector])} or leave it blank.",
                path=path,
                line=line,
                column="subsector",
            )
    dup = out["symbol"].duplicated(keep=False)
    if dup.any():
        first = out.index[dup][0]
        raise ValidationError(
            f"symbol {out.loc[first, 'symbol']} appears more than once; keep one row per symbol.",
            path=path,
            line=int(first) + 2,
            column="symbol",
        )
    return out.set_index("symbol")


@functools.cache
def _default_map() -> pd.DataFrame:
    text = resources.files("altseason.data").joinpath("sector_map.csv").read_text("utf-8")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame = frame.replace({"": None})
    return _validate(frame, "altseason/data/sector_map.csv")


def default_sector_map() -> pd.DataFrame:
    """The sector map shipped with altseason.

    Returns
    -------
    DataFrame
        Indexed by upper-case ``symbol``; columns ``name``, ``sector``,
        ``subsector`` (canonical ids, see :data:`altseason.universe.SECTORS`).
    """
    return _default_map().copy()


def load_sector_map(
    path: str | Path | None = None, *, include_default: bool = True
) -> pd.DataFrame:
    """The default map overridden row by row by a user CSV.

    Parameters
    ----------
    path
        CSV with columns ``symbol, sector`` and optionally ``subsector, name``.
        Blank lines are ignored. ``None`` returns the default map.
    include_default
        When False only the user file is returned.

    Raises
    ------
    ValidationError
        An unknown sector/subsector id or a duplicated symbol (with the line).
    FormatError
        The file lacks the ``symbol`` or ``sector`` column.
    """
    base = (
        default_sector_map()
        if include_default
        else _validate(pd.DataFrame(columns=list(SECTOR_MAP_COLUMNS)), "<empty>")
    )
    if path is None:
        return base
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"sector map file not found: {p}; pass an existing CSV.", path=str(p))
    frame = pd.read_csv(p, dtype=str, keep_default_na=False, skip_blank_lines=True)
    frame = frame.replace({"": None}).dropna(how="all")
    user = _validate(frame.reset_index(drop=True), str(p))
    merged = pd.concat([base.loc[~base.index.isin(user.index)], user])
    return merged.sort_index()


def write_sector_map(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a sector map (as returned by the loaders) to a CSV file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    out = frame.reset_index() if "symbol" not in frame.columns else frame
    out.loc[:, list(SECTOR_MAP_COLUMNS)].to_csv(p, index=False)
    return p


def assign_sectors(assets: Iterable[str], sector_map: pd.DataFrame | None = None) -> pd.DataFrame:
    """Sector and subsector of each asset id (NaN/None when unmapped).

    Returns
    -------
    DataFrame
        Indexed by asset id in input order; columns ``sector``, ``subsector``.
    """
    smap = default_sector_map() if sector_map is None else sector_map
    ids = [str(a).upper() for a in assets]
    out = smap.reindex(ids).loc[:, ["sector", "subsector"]]
    out.index.name = "asset_id"
    return out


# ------------------------------------------------------------------ CoinGecko
def _cats(*names: str) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


# (categories, sector, subsector), checked in order: the first rule with a hit wins.
# This is the ONLY CoinGecko category -> sector table: the file reader
# (altseason.sources.files) and the CoinGecko connector both call
# sector_from_coingecko_categories.
_RULES: tuple[tuple[frozenset[str], str, str | None], ...] = (
    (
        _cats(
            "Fiat-backed Stablecoin",
            "USD Stablecoin",
            "EUR Stablecoin",
            "Stablecoins",
            "Bridged Stablecoins",
            "Yield-Bearing Stablecoin",
        ),
        "stablecoin",
        "fiat_backed",
    ),
    (_cats("Crypto-backed Stablecoin", "Algorithmic Stablecoin"), "stablecoin", "crypto_backed"),
    (
        _cats(
            "Meme",
            "Dog-Themed",
            "Cat-Themed",
            "Frog-Themed",
            "Solana Meme",
            "Base Meme",
            "AI Meme",
            "Political Meme",
            "PolitiFi",
            "Elon Musk-Inspired",
            "Memes",
        ),
        "culture",
        "memes",
    ),
    (
        _cats(
            "AI Agents",
            "AI Framework",
            "AI Applications",
            "DeFAI",
            "AI Agent Launchpad",
            "Virtuals Protocol Ecosystem",
        ),
        "ai",
        "ai_agents",
    ),
    (_cats("Centralized Exchange (CEX) Token"), "exchange", "cex_token"),
    (
        _cats(
            "Layer 2 (L2)",
            "Rollup",
            "Optimistic Rollup",
            "ZK Rollup",
            "Zero Knowledge Rollup",
            "Rollups-as-a-Service (RaaS)",
            "Bitcoin Layer 2",
        ),
        "l2_scaling",
        "rollup",
    ),
    (_cats("Sidechain", "Bitcoin Sidechains", "Layer 3 (L3)"), "l2_scaling", "sidechain"),
    (_cats("Oracle"), "infrastructure", "oracles"),
    (_cats("Privacy Coins"), "currency", "privacy"),
    (
        _cats("Proof of Work (PoW)", "Bitcoin Fork", "Payment Solutions", "Masternodes"),
        "currency",
        "payments",
    ),
    (_cats("Layer 1 (L1)"), "smart_contract_l1", "l1"),
    (
        _cats("Artificial Intelligence (AI)", "Decentralized Compute", "GPU", "Machine Learning"),
        "ai",
        "ai_compute",
    ),
    (
        _cats("Decentralized Exchange (DEX)", "Automated Market Maker (AMM)", "DEX Aggregator"),
        "defi",
        "dex",
    ),
    # CoinGecko's "Exchange-based Tokens" holds both CEX tokens and DEX tokens:
    # after the DEX rule, so UNI stays defi and a CEX token without the CEX tag is exchange.
    (_cats("Exchange-based Tokens"), "exchange", "cex_token"),
    (
        _cats(
            "Lending/Borrowing Protocols",
            "Lending/Borrowing",
            "CDP",
            "Fixed Interest",
            "Yield Aggregator",
        ),
        "defi",
        "lending",
    ),
    (
        _cats(
            "Derivatives",
            "Perpetuals",
            "Options",
            "Synthetic",
            "Synthetic Issuer",
            "Prediction Markets",
        ),
        "defi",
        "derivatives",
    ),
    (
        _cats(
            "Liquid Staking",
            "Liquid Staking Tokens",
            "Liquid Staked ETH",
            "Liquid Staked SOL",
            "Liquid Staking Governance Tokens",
            "Liquid Restaking Tokens",
            "Liquid Restaking Governance Tokens",
            "Restaking",
            "LSDFi",
        ),
        "defi",
        "liquid_staking",
    ),
    (
        _cats(
            "Real World Assets (RWA)",
            "Tokenized Assets",
            "RWA Protocol",
            "Tokenized Gold",
            "Tokenized Real Estate",
            "Tokenized Treasury Bonds (T-Bills)",
            "Tokenized Commodities",
        ),
        "rwa",
        "tokenized_assets",
    ),
    (
        _cats(
            "Cross-chain Communication", "Interoperability", "Bridge Governance Tokens", "Bridge"
        ),
        "infrastructure",
        "interoperability",
    ),
    (
        _cats("Storage", "Decentralized Storage", "Distributed Computing", "DePIN", "Depin"),
        "infrastructure",
        "storage_compute",
    ),
    (
        _cats("Data Availability", "Analytics", "Big Data", "Internet of Things (IOT)", "Data"),
        "infrastructure",
        "data",
    ),
    (
        _cats(
            "NFT",
            "NFT Marketplace",
            "NFTFi",
            "Collectibles",
            "Inscriptions",
            "BRC-20",
            "Runes",
            "Music",
            "Art",
        ),
        "culture",
        "nft",
    ),
    (
        _cats(
            "Gaming (GameFi)",
            "Play To Earn",
            "Metaverse",
            "Gaming Utility Token",
            "Gaming Governance Token",
            "Gaming Platform",
            "Entertainment",
            "Sports",
            "Fan Token",
            "Gaming Blockchains",
            "Gambling (GambleFi)",
            "Move To Earn",
        ),
        "culture",
        "gaming",
    ),
    (
        _cats("Decentralized Identifier (DID)", "Name Service", "Identity"),
        "web3_social",
        "identity",
    ),
    (
        _cats("SocialFi", "Social Money", "Communication", "Creator Economy"),
        "web3_social",
        "social",
    ),
    (_cats("Privacy"), "currency", "privacy"),
    (
        _cats(
            "Decentralized Finance (DeFi)",
            "Yield Farming",
            "Yield Optimizer",
            "Launchpad",
            "BTCfi",
            "DeFi Index",
            "Stablecoin Protocol",
        ),
        "defi",
        None,
    ),
    (
        _cats("Smart Contract Platform", "Avalanche L1", "Appchains"),
        "smart_contract_l1",
        "l1",
    ),
    (
        _cats("Infrastructure", "Wallets", "Account Abstraction", "Modular Blockchain"),
        "infrastructure",
        None,
    ),
)


def sector_from_coingecko_categories(
    categories: Sequence[str] | None,
) -> tuple[str, str | None] | None:
    """Map a coin's CoinGecko category names to ``(sector, subsector)``.

    This is the one CoinGecko category -> sector mapping of altseason: the
    file reader (CoinGecko bundles) and the CoinGecko connector use it too.
    Rules are checked in a fixed priority order (stablecoin, meme, AI agents,
    CEX token, L2, sidechain, oracle, privacy, proof-of-work/payments, L1, AI
    compute, DEX, exchange-based tokens, the other DeFi subsectors, RWA,
    infrastructure subsectors, NFT, gaming, identity/social, generic DeFi,
    smart-contract platform, generic infrastructure); the first rule that
    matches any category wins. Matching ignores case; any category containing
    ``"meme"`` counts as a meme. So BTC (PoW + L1) is ``currency``, DOGE (Meme +
    PoW) ``culture``, BNB (CEX token + L1) ``exchange``, UNI (DEX +
    exchange-based) ``defi``, ARB (L2 + smart-contract platform) ``l2_scaling``,
    NEAR (AI + L1) ``smart_contract_l1``.

    Examples: ``["Layer 2 (L2)"]`` -> ``("l2_scaling", "rollup")``;
    ``["Meme"]`` -> ``("culture", "memes")``; ``["Decentralized Finance (DeFi)"]``
    -> ``("defi", None)`` (no subsector); ``["Artificial Intelligence (AI)"]`` ->
    ``("ai", "ai_compute")``; ``["Real World Assets (RWA)"]`` -> ``("rwa",
    "tokenized_assets")``; ``["Oracle"]`` -> ``("infrastructure", "oracles")``.

    Returns
    -------
    tuple or None
        ``(sector, subsector)``, the subsector ``None`` for the generic DeFi
        and infrastructure rules; ``None`` when no category is recognised (ecosystem and portfolio tags
        such as "Ethereum Ecosystem" or "Binance Labs Portfolio" carry no sector).
    """
    if not categories:
        return None
    cats = {str(c).strip().lower() for c in categories if c}
    for names, sector, subsector in _RULES:
        if cats & names:
            return sector, subsector
        if sector == "culture" and subsector == "memes" and any("meme" in c for c in cats):
            return sector, subsector
    return None


def read_coingecko_categories(path: str | Path) -> pd.DataFrame:
    """Read CoinGecko coin records (JSON list, optionally zstd-compressed).

    Accepts a list of ``/coins/{id}`` responses, of ``/coins/markets`` rows
    with a ``categories`` field, or of ``{"id", "market_cap", "metadata": {...}}``
    wrappers (the trading-strategy bundle). ``.zst``/``.zstd`` files are
    decompressed with ``zstandard``.

    Returns
    -------
    DataFrame
        One row per coin: ``coingecko_id``, ``symbol`` (upper-case), ``name``,
        ``categories`` (list of str), ``market_cap_usd``, ``market_cap_rank``.
    """
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"CoinGecko file not found: {p}.", path=str(p))
    raw = p.read_bytes()
    if p.suffix.lower() in (".zst", ".zstd"):
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"not JSON ({exc.msg}); expected a list of CoinGecko coin records.",
            path=str(p),
            line=exc.lineno,
        ) from exc
    if isinstance(data, Mapping):
        data = data.get("coins", data.get("data", [data]))
    if not isinstance(data, list):
        raise FormatError("expected a JSON list of CoinGecko coin records.", path=str(p))
    return _coin_records(data)


def _coin_records(data: Iterable[Any]) -> pd.DataFrame:
    rows = []
    for item in data:
        if not isinstance(item, Mapping):
            continue
        md = item.get("metadata") if isinstance(item.get("metadata"), Mapping) else item
        assert isinstance(md, Mapping)
        mcap = item.get("market_cap")
        if mcap is None and isinstance(md.get("market_data"), Mapping):
            mcap = (md["market_data"].get("market_cap") or {}).get("usd")
        rows.append(
            {
                "coingecko_id": md.get("id", item.get("id")),
                "symbol": str(md.get("symbol") or "").strip().upper(),
                "name": md.get("name"),
                "categories": [c for c in (md.get("categories") or []) if c],
                "market_cap_usd": float(mcap) if isinstance(mcap, (int, float)) else float("nan"),
                "market_cap_rank": md.get("market_cap_rank"),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "coingecko_id",
            "symbol",
            "name",
            "categories",
            "market_cap_usd",
            "market_cap_rank",
        ],
    )


def sector_map_from_coingecko(coins: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a sector map from CoinGecko coin records.

    Parameters
    ----------
    coins
        The frame of :func:`read_coingecko_categories`, or raw records. Where
        several coins share a symbol the largest by market cap is kept.

    Returns
    -------
    DataFrame
        Indexed by ``symbol``; columns ``name``, ``sector``, ``subsector``.
        Coins whose categories map to no sector are left out.
    """
    frame = coins if isinstance(coins, pd.DataFrame) else _coin_records(coins)
    frame = frame.loc[frame["symbol"].astype(str) != ""]
    frame = frame.sort_values("market_cap_usd", ascending=False, na_position="last")
    frame = frame.drop_duplicates("symbol", keep="first")
    mapped = frame["categories"].map(sector_from_coingecko_categories)
    keep = mapped.notna()
    out = pd.DataFrame(
        {
            "symbol": frame.loc[keep, "symbol"].to_numpy(),
            "name": frame.loc[keep, "name"].to_numpy(),
            "sector": [m[0] for m in mapped[keep]],
            "subsector": [m[1] for m in mapped[keep]],
        }
    )
    return out.set_index("symbol").sort_index()
