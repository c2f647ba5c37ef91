"""Shipped sector map, user overrides, CoinGecko category import, exclusions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from altseason.exceptions import FormatError, ValidationError
from altseason.universe import (
    SECTORS,
    SUBSECTORS,
    assign_sectors,
    default_sector_map,
    excluded_assets,
    exclusion_reason,
    is_excluded,
    load_sector_map,
    normalize_symbol,
    read_coingecko_categories,
    sector_from_coingecko_categories,
    sector_map_from_coingecko,
    write_sector_map,
)

BUNDLE = Path(
    "sectors/PyPI__trading-strategy-0.28/tradingstrategy/data_bundles/coingecko.json.zstd"
)


def test_default_map_covers_200_real_tokens_with_canonical_ids() -> None:
    smap = default_sector_map()
    assert len(smap) >= 200
    assert smap["sector"].isin(list(SECTORS)).all()
    for sector, sub in smap[["sector", "subsector"]].itertuples(index=False):
        assert sub in SUBSECTORS[sector]
    assert smap.loc["BTC", "sector"] == "currency"
    assert smap.loc["ETH", "sector"] == "smart_contract_l1"
    assert smap.loc["ARB", "sector"] == "l2_scaling"
    assert smap.loc["LINK", "subsector"] == "oracles"
    assert smap.loc["PEPE", "subsector"] == "memes"
    assert smap.index.is_unique


def test_user_file_overrides_and_validates(tmp_path: Path) -> None:
    f = tmp_path / "map.csv"
    f.write_text("symbol,sector,subsector\nlink,defi,\nNEWTOKEN,ai,ai_agents\n\n")
    smap = load_sector_map(f)
    assert smap.loc["LINK", "sector"] == "defi"  # overridden
    assert smap.loc["NEWTOKEN", "subsector"] == "ai_agents"  # added
    assert smap.loc["BTC", "sector"] == "currency"  # default kept
    only = load_sector_map(f, include_default=False)
    assert set(only.index) == {"LINK", "NEWTOKEN"}
    bad = tmp_path / "bad.csv"
    bad.write_text("symbol,sector\nBTC,currency\nXYZ,memes\n")
    with pytest.raises(ValidationError) as err:
        load_sector_map(bad)
    assert err.value.line == 3 and err.value.column == "sector"
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("ticker,sector\nBTC,currency\n")
    with pytest.raises(FormatError, match="symbol"):
        load_sector_map(nocol)
    out = write_sector_map(smap, tmp_path / "out.csv")
    assert load_sector_map(out, include_default=False).equals(smap)
    sec = assign_sectors(["btc", "NOPE"], smap)
    assert sec.loc["BTC", "sector"] == "currency" and pd.isna(sec.loc["NOPE", "sector"])


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        (["Layer 2 (L2)", "Ethereum Ecosystem"], ("l2_scaling", "rollup")),
        (["Meme", "Solana Ecosystem"], ("culture", "memes")),
        (["Decentralized Finance (DeFi)"], ("defi", None)),
        (
            ["Exchange-based Tokens", "Layer 1 (L1)", "Centralized Exchange (CEX) Token"],
            (
                "exchange",
                "cex_token",
            ),
        ),
        (["Decentralized Exchange (DEX)", "Exchange-based Tokens"], ("defi", "dex")),
        (["Liquid Staked ETH"], ("defi", "liquid_staking")),
        (["Artificial Intelligence (AI)"], ("ai", "ai_compute")),
        (["Real World Assets (RWA)"], ("rwa", "tokenized_assets")),
        (["Oracle", "Decentralized Finance (DeFi)"], ("infrastructure", "oracles")),
        (["Lending/Borrowing Protocols", "Decentralized Finance (DeFi)"], ("defi", "lending")),
        (["USD Stablecoin"], ("stablecoin", "fiat_backed")),
        (["Proof of Work (PoW)", "Layer 1 (L1)"], ("currency", "payments")),
        (["Some Dog Meme Thing"], ("culture", "memes")),
        (["Binance Labs Portfolio", "Ethereum Ecosystem"], None),
        ([], None),
    ],
)
def test_coingecko_categories_to_sector(categories: list[str], expected: object) -> None:
    assert sector_from_coingecko_categories(categories) == expected


def test_sector_map_from_coingecko_records(tmp_path: Path) -> None:
    records = [
        {
            "id": "a",
            "market_cap": 10.0,
            "metadata": {"id": "a", "symbol": "abc", "name": "A", "categories": ["Meme"]},
        },
        {
            "id": "b",
            "market_cap": 99.0,
            "metadata": {"id": "b", "symbol": "abc", "name": "B", "categories": ["Oracle"]},
        },
        {"id": "c", "symbol": "wbtc", "name": "Wrapped", "categories": ["Wrapped-Tokens"]},
    ]
    f = tmp_path / "cg.json"
    f.write_text(json.dumps(records))
    coins = read_coingecko_categories(f)
    smap = sector_map_from_coingecko(coins)
    assert smap.loc["ABC", "sector"] == "infrastructure"  # the larger coin wins the ticker
    assert "WBTC" not in smap.index
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FormatError):
        read_coingecko_categories(tmp_path / "bad.json")


def test_exclusions() -> None:
    for sym in ("USDT", "USDC", "WBTC", "STETH", "WSTETH", "CBETH", "WETH", "WBETH", "BNSOL"):
        assert is_excluded(sym), sym
    assert exclusion_reason("WBTC") == "wrapped"
    assert exclusion_reason("steth") == "staked"
    assert exclusion_reason("RETH") == "staked"
    assert exclusion_reason("FOO", sector="stablecoin") == "stablecoin"
    for sym in ("BTC", "ETH", "SOL", "SETH", "ETHFI", "LDO"):
        assert not is_excluded(sym), sym
    assert excluded_assets(["BTC", "USDC", "X"], sectors={"X": "stablecoin"}) == ["USDC", "X"]
    assert normalize_symbol(" btcusdt ") == "BTC"
    assert normalize_symbol("USDT") == "USDT"


@pytest.mark.real_data
def test_real_coingecko_bundle_maps_known_tokens(real_data: Path) -> None:
    coins = read_coingecko_categories(real_data / BUNDLE)
    assert len(coins) == 3000
    smap = sector_map_from_coingecko(coins)
    expected = {
        "ARB": "l2_scaling",
        "PEPE": "culture",
        "LINK": "infrastructure",
        "UNI": "defi",
        "ONDO": "rwa",
        "FET": "ai",
        "AAVE": "defi",
        "USDC": "stablecoin",
        "BTC": "currency",
        "DOGE": "culture",
    }
    for sym, sector in expected.items():
        assert smap.loc[sym, "sector"] == sector, sym
    # the shipped map and CoinGecko agree on most shared tokens
    shared = default_sector_map().join(smap.add_suffix("_cg"), how="inner")
    assert len(shared) > 200
    assert (shared["sector"] == shared["sector_cg"]).mean() > 0.7


def test_one_coingecko_mapping_for_reader_connector_and_universe() -> None:
    """The file reader and the connector have no category table of their own."""
    import altseason.sources.coingecko as cg
    import altseason.sources.files as files
    import altseason.sources.files._categories as cat_reader

    assert not hasattr(files, "coingecko_sector") and not hasattr(files, "COINGECKO_RULES")
    assert not hasattr(cat_reader, "COINGECKO_RULES")
    assert not hasattr(cg, "CATEGORY_SECTORS")
    assert cat_reader.sector_from_coingecko_categories is sector_from_coingecko_categories
    assert cg.sector_from_coingecko_categories is sector_from_coingecko_categories
