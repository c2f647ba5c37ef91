"""Readers for sector data: the CoinGecko categories bundle (zstd JSON) and
one-sector-per-token CSV maps. Both write ``assets`` rows with the canonical
sector ids of :mod:`altseason.universe`.

CoinGecko category -> sector
----------------------------
A coin carries many CoinGecko categories (ecosystems, VC portfolios, ...);
its sector comes from :func:`altseason.universe.sector_from_coingecko_categories`,
the one mapping shared with the CoinGecko connector (first matching rule in a
fixed priority order). Coins with no matching category (wrapped and bridged
tokens, e.g. WBTC) get no sector.

Asset ids: the upper-case symbol for the coin with the largest market cap
among those sharing it; others get ``SYMBOL-<coingecko id>``.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from altseason.exceptions import FormatError
from altseason.sources._validate import LINE_COL, flag
from altseason.sources.files._base import (
    Reader,
    ReadOptions,
    ReadResult,
    header_keys,
    read_csv_text,
)
from altseason.sources.files._open import MAX_JSON_ELEMENT_CHARS, open_decompressed
from altseason.sources.files._prices import STABLECOIN_SYMBOLS, carry_flags
from altseason.universe import sector_from_coingecko_categories

__all__ = ["CATEGORY_MAP_SECTORS", "CATEGORY_READERS"]


# ---------------------------------------------------------------------- streaming JSON
def _iter_json_array(path: Path, chunk: int = 1 << 22) -> Iterator[Any]:
    """Yield the elements of a top-level JSON array, reading a zstd (or plain) file in chunks.

    Only one chunk of text plus one element is held at a time, so the
    125 MB CoinGecko bundle never sits in memory as one string.

    Raises
    ------
    FormatError
        Not a JSON array, truncated, not UTF-8, nested too deeply or a
        corrupt zstd stream.
    """
    import zstandard

    try:
        yield from _iter_json_array_raw(path, chunk)
    except (UnicodeDecodeError, RecursionError, zstandard.ZstdError) as exc:
        raise FormatError(
            f"not a readable JSON array ({type(exc).__name__}: {exc}): the file is not UTF-8, "
            "is nested too deeply or is a corrupt zstd stream",
            path=str(path),
        ) from exc


def _iter_json_array_raw(path: Path, chunk: int) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    with open_decompressed(path) as stream:  # size-capped; zstd errors name the file
        text_decoder = __import__("codecs").getincrementaldecoder("utf-8")()
        buf = ""
        pos = 0
        started = False
        eof = False
        while True:
            # skip separators
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n,":
                    pos += 1
                if pos < len(buf) or eof:
                    break
                data = stream.read(chunk)
                eof = not data
                buf = buf[pos:] + text_decoder.decode(data, final=eof)
                pos = 0
            if pos >= len(buf):
                if not started:
                    raise FormatError("the file is empty; expected a JSON array", path=str(path))
                raise FormatError(
                    "the JSON array is not closed: the file looks truncated", path=str(path)
                )
            if not started:
                if buf[pos] != "[":
                    raise FormatError("expected a JSON array of coins", path=str(path))
                started = True
                pos += 1
                continue
            if buf[pos] == "]":
                return
            try:
                obj, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if eof:
                    raise FormatError(
                        f"invalid JSON ({exc.msg}): the file looks truncated or corrupt",
                        path=str(path),
                    ) from exc
                if len(buf) - pos > MAX_JSON_ELEMENT_CHARS:
                    raise FormatError(
                        f"one element of the JSON array is larger than "
                        f"{MAX_JSON_ELEMENT_CHARS // 2**20} MiB; the file is corrupt or hostile",
                        path=str(path),
                    ) from None
                data = stream.read(chunk)
                eof = not data
                buf = buf[pos:] + text_decoder.decode(data, final=eof)
                pos = 0
                continue
            pos = end
            yield obj
            if pos > chunk:
                buf = buf[pos:]
                pos = 0


def _obj(coin: dict[str, Any], key: str, i: int, path: Path) -> dict[str, Any]:
    """``coin[key]`` as an object ({} when absent); another type is a FormatError."""
    value = coin.get(key) or {}
    if not isinstance(value, dict):
        raise FormatError(f"coin {i}: field {key!r} is not an object", path=str(path))
    return value


def _detect_cg_bundle(path: Path, head: str) -> bool:
    h = head.lstrip()
    return h.startswith('[{"id":{"id":') or (
        h.startswith("[") and '"market_cap_rank"' in head and '"categories"' in head
    )


def _read_cg_bundle(path: Path, options: ReadOptions) -> ReadResult:
    """CoinGecko bundle: ``[{id: {id, symbol, name}, market_cap: {...}, metadata: {categories}}]``.

    Writes ``assets`` (sector from
    :func:`altseason.universe.sector_from_coingecko_categories`) and a one-day
    ``prices`` cross-section (price, market cap, 24h volume) dated by each
    coin's ``last_updated`` UTC day. Coins without a positive price get no
    price row (noted).
    """
    rows: list[dict[str, Any]] = []
    for i, coin in enumerate(_iter_json_array(path)):
        if not isinstance(coin, dict):
            raise FormatError(f"coin {i} of the bundle is not an object", path=str(path))
        ident, market, meta = (_obj(coin, k, i, path) for k in ("id", "market_cap", "metadata"))
        cats = meta.get("categories") or []
        if isinstance(cats, str):
            try:
                cats = ast.literal_eval(cats)
            except (ValueError, SyntaxError):
                cats = []
        sector, sub = sector_from_coingecko_categories(list(cats)) or (None, None)
        rows.append(
            {
                "record": i,
                "cg_id": ident.get("id") or market.get("id"),
                "symbol": str(ident.get("symbol") or market.get("symbol") or "").upper(),
                "name": ident.get("name") or market.get("name"),
                "sector": sector,
                "subsector": sub,
                "price": market.get("current_price"),
                "market_cap": market.get("market_cap"),
                "volume": market.get("total_volume"),
                "updated": market.get("last_updated") or meta.get("last_updated"),
            }
        )
    raw = pd.DataFrame(rows)
    if raw.empty:
        raise FormatError("the bundle holds no coins", path=str(path))
    raw["market_cap"] = pd.to_numeric(raw["market_cap"], errors="coerce")
    order = raw.sort_values("market_cap", ascending=False, na_position="last")
    owner = order.drop_duplicates("symbol").set_index("symbol")["cg_id"]
    raw["asset_id"] = np.where(
        raw["symbol"].map(owner) == raw["cg_id"], raw["symbol"], raw["symbol"] + "-" + raw["cg_id"]
    )
    raw[LINE_COL] = pd.array([pd.NA] * len(raw), dtype="Int64")
    flag(raw, (raw["symbol"] == "").to_numpy(), "coin without a symbol", "id.symbol")
    assets = pd.DataFrame(
        {
            "asset_id": raw["asset_id"],
            "symbol": raw["symbol"],
            "name": raw["name"],
            "sector": raw["sector"],
            "subsector": raw["subsector"],
            "is_stablecoin": (raw["sector"] == "stablecoin")
            | raw["symbol"].isin(list(STABLECOIN_SYMBOLS)) & raw["sector"].isna(),
        }
    )
    assets = carry_flags(raw, assets)
    updated = pd.to_datetime(raw["updated"], utc=True, errors="coerce").dt.tz_localize(None)
    price = pd.to_numeric(raw["price"], errors="coerce")
    has_price = (price > 0) & updated.notna()
    prices = pd.DataFrame(
        {
            "asset_id": raw["asset_id"],
            "date": updated.dt.normalize(),
            "close": price,
            "market_cap_usd": raw["market_cap"].where(raw["market_cap"] > 0),
            "volume_usd": pd.to_numeric(raw["volume"], errors="coerce"),
        }
    )
    prices = carry_flags(raw, prices)[has_price.to_numpy()]
    unmapped = int(raw["sector"].isna().sum())
    dup_ids = int((raw["asset_id"] != raw["symbol"]).sum())
    notes = [
        f"{len(raw):,} coins; {len(raw) - unmapped:,} mapped to a sector, {unmapped:,} without "
        "a sector (no matching category, e.g. wrapped/bridged tokens)",
        f"{dup_ids:,} coins sharing a symbol got SYMBOL-<coingecko id> ids",
        f"{len(prices):,} price/market-cap rows as of "
        f"{updated.max().date() if updated.notna().any() else '?'}; "
        f"{int((~has_price).sum()):,} coins without a positive price skipped",
    ]
    return ReadResult(
        tables={"assets": assets, "prices": prices},
        notes=notes,
        rows_read=len(raw),
        columns={"prices": {"close": "current_price", "market_cap_usd": "market_cap"}},
    )


# ---------------------------------------------------------------------- one-sector CSV
CATEGORY_MAP_SECTORS: dict[str, tuple[str, str | None]] = {
    "btc ecosystem": ("currency", "payments"),
    "ai/compute": ("ai", "ai_compute"),
    "creator economy": ("web3_social", "social"),
    "web3 social": ("web3_social", "social"),
    "dex tokens": ("defi", "dex"),
    "data economy": ("infrastructure", "data"),
    "defi blue chips": ("defi", None),
    "legacy defi": ("defi", None),
    "yield aggregators": ("defi", None),
    "lst/lrt": ("defi", "liquid_staking"),
    "dino coins": ("currency", "payments"),
    "privacy coins": ("currency", "privacy"),
    "privacy/infra": ("currency", "privacy"),
    "enterprise": ("infrastructure", None),
    "infra/tooling": ("infrastructure", None),
    "storage/infra": ("infrastructure", "storage_compute"),
    "oracle networks": ("infrastructure", "oracles"),
    "exchange tokens": ("exchange", "cex_token"),
    "fan tokens": ("culture", "gaming"),
    "gaming/metaverse": ("culture", "gaming"),
    "move-to-earn": ("culture", "gaming"),
    "real estate/metaverse": ("culture", "gaming"),
    "meme coins": ("culture", "memes"),
    "memecoins": ("culture", "memes"),
    "nft marketplaces": ("culture", "nft"),
    "nft/culture": ("culture", "nft"),
    "l1 smart contract": ("smart_contract_l1", "l1"),
    "move vms": ("smart_contract_l1", "l1"),
    "l2 scaling": ("l2_scaling", "rollup"),
    "l2": ("l2_scaling", "rollup"),
    "rwa": ("rwa", "tokenized_assets"),
    "stablecoins": ("stablecoin", "fiat_backed"),
    "ai": ("ai", None),
    "defi": ("defi", None),
}
"""Category names of the one-sector maps -> (sector, subsector). ``<X> Ecosystem``
categories (other than BTC's) name a chain family, not a sector: they are a
fallback to ``smart_contract_l1`` used only when a token has no other category."""

_ECOSYSTEM = re.compile(r"ecosystem$", re.I)


def _detect_category_map(path: Path, head: str) -> bool:
    fields = header_keys(head)
    return fields[:2] == ["symbol", "category"] and set(fields[2:]) <= {"priority", "notes"}


def _read_category_map(path: Path, options: ReadOptions) -> ReadResult:
    """``symbol,category[,priority,notes]``: one sector per token.

    A token listed several times takes, in order: its ``primary`` rows
    before ``secondary`` ones, a mapped sector before an ``<X> Ecosystem``
    fallback, and the first such row in the file. Unknown categories are
    noted and leave the token without a sector row.
    """
    raw = read_csv_text(path, required=["symbol", "category"], optional=["priority", "notes"])
    raw["symbol"] = raw["symbol"].astype("string").str.strip().str.upper()
    cat = raw["category"].astype("string").str.strip()
    key = cat.str.lower()

    def lookup(k: object) -> tuple[str, str | None] | None:
        if not isinstance(k, str):
            return None
        if k in CATEGORY_MAP_SECTORS:
            return CATEGORY_MAP_SECTORS[k]
        if _ECOSYSTEM.search(k):
            return ("smart_contract_l1", "l1")
        return None

    mapped = pd.Series([lookup(k) for k in key.tolist()], index=raw.index, dtype=object)
    eco = pd.Series(
        [
            isinstance(k, str) and k not in CATEGORY_MAP_SECTORS and bool(_ECOSYSTEM.search(k))
            for k in key.tolist()
        ],
        index=raw.index,
    )
    unknown = sorted(cat[mapped.isna() & cat.notna()].unique().tolist())
    prio = raw["priority"].astype("string").str.strip().str.lower() if "priority" in raw else None
    raw["_rank"] = (
        0 if prio is None else (prio != "primary").fillna(True).astype(int)
    ) * 2 + eco.astype(int)
    raw["_order"] = np.arange(len(raw))
    raw["_sector"] = mapped.map(lambda t: t[0] if isinstance(t, tuple) else None)
    raw["_sub"] = mapped.map(lambda t: t[1] if isinstance(t, tuple) else None)
    flag(raw, raw["symbol"].isna().to_numpy(), "row without a symbol; fill or remove it", "symbol")
    ok = raw[raw["_sector"].notna() | raw["_error"].notna()]
    best = ok.sort_values(["symbol", "_rank", "_order"]).drop_duplicates("symbol")
    best = best.sort_values("_order")
    assets = pd.DataFrame(
        {
            "asset_id": best["symbol"],
            "symbol": best["symbol"],
            "sector": best["_sector"],
            "subsector": best["_sub"],
            "is_stablecoin": best["_sector"] == "stablecoin",
        },
        index=best.index,
    )
    assets = carry_flags(best, assets)
    notes = [f"{len(assets):,} tokens mapped to sectors from {len(raw):,} rows"]
    if unknown:
        notes.append(
            f"warning: categories without a sector mapping (ignored): {', '.join(unknown)}"
        )
    return ReadResult(
        tables={"assets": assets},
        notes=notes,
        rows_read=len(raw),
        columns={"assets": {"sector": "category"}},
    )


CATEGORY_READERS = (
    Reader(
        "coingecko_bundle",
        "CoinGecko coins bundle with categories (zstd JSON array)",
        _detect_cg_bundle,
        _read_cg_bundle,
    ),
    Reader(
        "category_map",
        "one sector per token (symbol,category,priority,notes)",
        _detect_category_map,
        _read_category_map,
    ),
)
