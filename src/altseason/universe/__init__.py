"""Universe: asset metadata, sector taxonomy, point-in-time membership, cap tiers."""

from altseason.universe._assets import (
    STABLECOINS,
    STAKED_TOKENS,
    WRAPPED_TOKENS,
    excluded_assets,
    exclusion_reason,
    is_excluded,
    normalize_symbol,
)
from altseason.universe._market import (
    Market,
    asset_metadata,
    check_asof,
    load_market,
    newest_price_date,
)
from altseason.universe._sectors import SECTORS, STABLECOIN_SECTOR, SUBSECTORS, sector_name
from altseason.universe._taxonomy import (
    SECTOR_MAP_COLUMNS,
    assign_sectors,
    default_sector_map,
    load_sector_map,
    read_coingecko_categories,
    sector_from_coingecko_categories,
    sector_map_from_coingecko,
    write_sector_map,
)
from altseason.universe._tiers import (
    TIERS,
    TierThresholds,
    cap_tiers,
    eligible,
    known_market_cap,
    rebalance_positions,
    tier_members,
)

__all__ = [
    "SECTORS",
    "SECTOR_MAP_COLUMNS",
    "STABLECOINS",
    "STABLECOIN_SECTOR",
    "STAKED_TOKENS",
    "SUBSECTORS",
    "TIERS",
    "WRAPPED_TOKENS",
    "Market",
    "TierThresholds",
    "asset_metadata",
    "assign_sectors",
    "cap_tiers",
    "check_asof",
    "default_sector_map",
    "eligible",
    "excluded_assets",
    "exclusion_reason",
    "is_excluded",
    "known_market_cap",
    "load_market",
    "load_sector_map",
    "newest_price_date",
    "normalize_symbol",
    "read_coingecko_categories",
    "rebalance_positions",
    "sector_from_coingecko_categories",
    "sector_map_from_coingecko",
    "sector_name",
    "tier_members",
    "write_sector_map",
]
