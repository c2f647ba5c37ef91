"""Universe: asset metadata, sector taxonomy, point-in-time membership, cap tiers."""

from altseason.universe._sectors import SECTORS, STABLECOIN_SECTOR, SUBSECTORS, sector_name

__all__ = ["SECTORS", "STABLECOIN_SECTOR", "SUBSECTORS", "sector_name"]
