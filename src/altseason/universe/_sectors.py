"""The DESIGN sector taxonomy: ids, display names and subsectors.

Every component (the demo market, the shipped token map, CoinGecko category
import, indices and the report) uses these ids.
"""

from __future__ import annotations

__all__ = ["SECTORS", "STABLECOIN_SECTOR", "SUBSECTORS", "sector_name"]

SECTORS: dict[str, str] = {
    "currency": "Currency",
    "smart_contract_l1": "Smart-contract L1",
    "l2_scaling": "L2 / scaling",
    "defi": "DeFi",
    "infrastructure": "Infrastructure",
    "culture": "Culture & entertainment",
    "web3_social": "Web3 / social",
    "ai": "AI",
    "rwa": "RWA",
    "exchange": "Exchange tokens",
    "stablecoin": "Stablecoins",
}
"""Sector id -> display name. ``stablecoin`` is excluded from every index."""

SUBSECTORS: dict[str, tuple[str, ...]] = {
    "currency": ("payments", "privacy"),
    "smart_contract_l1": ("l1",),
    "l2_scaling": ("rollup", "sidechain"),
    "defi": ("dex", "lending", "derivatives", "liquid_staking"),
    "infrastructure": ("oracles", "interoperability", "storage_compute", "data"),
    "culture": ("memes", "gaming", "nft"),
    "web3_social": ("social", "identity"),
    "ai": ("ai_agents", "ai_compute"),
    "rwa": ("tokenized_assets",),
    "exchange": ("cex_token",),
    "stablecoin": ("fiat_backed", "crypto_backed"),
}

STABLECOIN_SECTOR = "stablecoin"


def sector_name(sector_id: str) -> str:
    """Display name of a sector id (the id itself when unknown)."""
    return SECTORS.get(sector_id, sector_id)
