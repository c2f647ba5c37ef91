"""Readers for daily price files: Binance and Bybit klines, plain OHLCV, Coinbase,
CoinMarketCap monthly snapshots and CoinGecko close JSON.

Units: prices in USD per token (USDT and USDC quotes are taken as USD);
``volume_usd`` is the quote-currency volume when the file has it, otherwise
base volume x close (an approximation, stated in the notes).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from altseason.exceptions import FormatError
from altseason.sources._validate import (
    ERRCOL_COL,
    ERROR_COL,
    LINE_COL,
    flag,
    to_date,
    to_number,
    to_timestamp,
)
from altseason.sources.files._base import (
    Reader,
    ReadOptions,
    ReadResult,
    base_asset,
    head_rows,
    header_fields,
    read_csv_text,
    slugify,
)
from altseason.sources.files._open import check_import_size

__all__ = ["PRICE_READERS", "STABLECOIN_SYMBOLS", "carry_flags"]

STABLECOIN_SYMBOLS = frozenset(
    {
        "USDT",
        "USDC",
        "DAI",
        "BUSD",
        "TUSD",
        "USDP",
        "PAX",
        "GUSD",
        "FDUSD",
        "USDD",
        "PYUSD",
        "USDE",
        "USDS",
        "FRAX",
        "LUSD",
        "SUSD",
        "USTC",
        "UST",
        "EURS",
        "EURC",
        "EURT",
        "USD1",
        "RLUSD",
        "USDX",
        "HUSD",
        "USDJ",
        "USDK",
        "USDN",
        "CUSD",
        "DOLA",
        "GHO",
        "CRVUSD",
        "MIM",
        "USDB",
        "USD0",
        "BSC-USD",
        "XAUT",
        "PAXG",
        "USDG",
        "USDTB",
        "USDF",
        "SUSDE",
        "BUIDL",
    }
)
"""Symbols treated as stablecoins (or fiat/gold-pegged tokens) when a source has no flag."""


def carry_flags(raw: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    """Copy the private line/error columns of ``raw`` onto ``out`` (same index)."""
    for c in (LINE_COL, ERROR_COL, ERRCOL_COL):
        if c in raw.columns:
            out[c] = raw[c]
    return out


def _asset_from_name(path: Path) -> tuple[str, float]:
    stem = path.stem.split("_")[0] if path.stem.lower().endswith("_daily") else path.stem
    return base_asset(stem)


def _has_weekends(head: str, col: int = 0) -> bool | None:
    """True if the head's dates include a Saturday or Sunday; None if unreadable."""
    rows = head_rows(head, 40)
    dates = pd.to_datetime(pd.Series([r[col] for r in rows if len(r) > col]), errors="coerce")
    dates = dates.dropna()
    if len(dates) < 7:
        return None
    return bool((dates.dt.day_of_week >= 5).any())


# ---------------------------------------------------------------------- Binance
_BINANCE = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_asset_volume",
]


def _detect_binance(path: Path, head: str) -> bool:
    return header_fields(head)[: len(_BINANCE)] == _BINANCE


def _read_binance(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_BINANCE)
    asset, mult = _asset_from_name(path)
    notes: list[str] = []
    extra = [c for c in raw.columns if c.startswith("open_time.")]
    if extra:
        filled = [c for c in extra if raw[c].notna().any()]
        notes.append(
            f"ignored {len(extra)} repeated open_time column(s)"
            + (f" ({len(filled)} not empty)" if filled else " (empty)")
        )
    out = pd.DataFrame(
        {
            "asset_id": asset,
            "date": to_timestamp(raw, "open_time", daily=True),
            "open": to_number(raw, "open") / mult,
            "high": to_number(raw, "high") / mult,
            "low": to_number(raw, "low") / mult,
            "close": to_number(raw, "close") / mult,
            "volume_usd": to_number(raw, "quote_asset_volume"),
        },
        index=raw.index,
    )
    notes.insert(0, f"asset {asset} from the file name; volume_usd = quote_asset_volume (USDT)")
    if mult != 1:
        notes.append(f"prices per {mult:,.0f} tokens divided by {mult:,.0f}")
    return ReadResult(
        tables={"prices": carry_flags(raw, out)},
        notes=notes,
        rows_read=len(raw),
        columns={"prices": {"date": "open_time", "volume_usd": "quote_asset_volume"}},
    )


# ---------------------------------------------------------------------- plain OHLCV (btctree)
_OHLCV = ["date", "open", "high", "low", "close", "volume"]


def _detect_ohlcv(path: Path, head: str) -> bool:
    fields = [f.lower() for f in header_fields(head)]
    return fields == _OHLCV and _has_weekends(head) is True


def _read_ohlcv(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_OHLCV)
    asset, mult = _asset_from_name(path)
    if options.asset:
        asset, mult = options.asset.upper(), 1.0
    close = to_number(raw, "close") / mult
    out = pd.DataFrame(
        {
            "asset_id": asset,
            "date": to_date(raw, "date"),
            "open": to_number(raw, "open") / mult,
            "high": to_number(raw, "high") / mult,
            "low": to_number(raw, "low") / mult,
            "close": close,
            "volume_usd": to_number(raw, "volume") * mult * close,
        },
        index=raw.index,
    )
    notes = [
        f"asset {asset} from the file name (pass --asset to override); "
        "volume_usd = base volume x close (approximation)"
    ]
    return ReadResult(
        tables={"prices": carry_flags(raw, out)},
        notes=notes,
        rows_read=len(raw),
        columns={"prices": {"volume_usd": "volume"}},
    )


# ---------------------------------------------------------------------- Bybit
_BYBIT = ["timestamp", "open", "high", "low", "close", "volume", "turnover", "date"]


def _detect_bybit(path: Path, head: str) -> bool:
    return header_fields(head) == _BYBIT


def _read_bybit(path: Path, options: ReadOptions) -> ReadResult:
    """Bybit v5 linear-perp daily klines.

    The last candle of a Bybit kline download is the day still trading at
    download time (Bybit returns the open candle), so the newest day is
    always dropped as partial, with a note. Identical repeated rows collapse
    during validation (noted); repeated days with different values are errors.
    """
    raw = read_csv_text(path, required=_BYBIT)
    asset, mult = _asset_from_name(path)
    ts = to_timestamp(raw, "timestamp", unit="ms", daily=True)
    day = to_date(raw, "date")
    mismatch = ts.notna() & day.notna() & (ts != day)
    flag(raw, mismatch.to_numpy(), "timestamp and date columns disagree; fix one of them", "date")
    out = pd.DataFrame(
        {
            "asset_id": asset,
            "date": day,
            "open": to_number(raw, "open") / mult,
            "high": to_number(raw, "high") / mult,
            "low": to_number(raw, "low") / mult,
            "close": to_number(raw, "close") / mult,
            "volume_usd": to_number(raw, "turnover"),
        },
        index=raw.index,
    )
    out = carry_flags(raw, out)
    notes = [
        f"asset {asset} from the file name; perpetual (not spot) prices; volume_usd = turnover"
    ]
    if mult != 1:
        notes.append(f"prices per {mult:,.0f} tokens divided by {mult:,.0f}")
    last = out["date"].max()
    if pd.notna(last):
        partial = out["date"] == last
        out = out[~partial]
        notes.append(
            f"dropped {int(partial.sum())} row(s) of the partial last day {last.date()} "
            "(the candle still open at download time)"
        )
    return ReadResult(
        tables={"prices": out},
        notes=notes,
        rows_read=len(raw),
        columns={"prices": {"volume_usd": "turnover"}},
    )


# ---------------------------------------------------------------------- Coinbase
_COINBASE = ["date", "symbol", "base", "open", "high", "low", "close", "volume"]


def _detect_coinbase(path: Path, head: str) -> bool:
    return header_fields(head) == _COINBASE


def _read_coinbase(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_COINBASE)
    close = to_number(raw, "close")
    out = pd.DataFrame(
        {
            "asset_id": raw["base"].astype("string").str.strip().str.upper().astype(object),
            "date": to_date(raw, "date"),
            "open": to_number(raw, "open"),
            "high": to_number(raw, "high"),
            "low": to_number(raw, "low"),
            "close": close,
            "volume_usd": to_number(raw, "volume") * close,
        },
        index=raw.index,
    )
    quotes = raw["symbol"].astype("string").str.split("/").str[-1].value_counts()
    notes = [
        "Coinbase spot; volume_usd = base volume x close (approximation); quotes "
        + ", ".join(f"{q} ({n:,})" for q, n in quotes.items())
    ]
    return ReadResult(
        tables={"prices": carry_flags(raw, out)},
        notes=notes,
        rows_read=len(raw),
        columns={"prices": {"asset_id": "base", "volume_usd": "volume"}},
    )


# ---------------------------------------------------------------------- CoinMarketCap
_CMC = ["Rank", "Name", "Symbol", "Market Cap", "Price"]


def _detect_cmc(path: Path, head: str) -> bool:
    fields = header_fields(head)
    return fields[: len(_CMC)] == _CMC and "snapshot_date" in fields


def cmc_asset_ids(frame: pd.DataFrame) -> pd.Series:
    """Disambiguated asset ids for CoinMarketCap rows (``Symbol``, ``Name``, date, rank).

    Rule: a coin is a (symbol, name) pair. For each symbol, the coin holding
    it at the latest snapshot in which the symbol appears (the best-ranked
    one if two share it that day) keeps the plain upper-case ``SYMBOL``; every
    other coin that used the ticker gets ``SYMBOL-<slug of its name>``
    (e.g. ``LUNA`` for Terra 2.0 and ``LUNA-terra`` for the old Terra).
    """
    sym = frame["Symbol"].astype("string").str.strip().str.upper()
    name = frame["Name"].astype("string").str.strip().fillna("")
    df = pd.DataFrame({"sym": sym, "name": name, "date": frame["_date"], "rank": frame["_rank"]})
    latest = (
        df.dropna(subset=["sym"])
        .sort_values(["sym", "date", "rank"], ascending=[True, False, True])
        .drop_duplicates("sym")
        .set_index("sym")["name"]
    )
    owner = sym.map(latest)
    slug = name.map(slugify)
    return sym.where((owner == name).fillna(True), sym + "-" + slug)


def _read_cmc(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=[*_CMC, "snapshot_date"])
    raw["_date"] = to_date(raw, "snapshot_date", fmt="%Y%m%d")
    raw["_rank"] = to_number(raw, "Rank")
    ids = cmc_asset_ids(raw)
    out = pd.DataFrame(
        {
            "asset_id": ids,
            "date": raw["_date"],
            "close": to_number(raw, "Price"),
            "market_cap_usd": to_number(raw, "Market Cap"),
            "volume_usd": to_number(raw, "Volume (24h)") if "Volume (24h)" in raw else np.nan,
        },
        index=raw.index,
    )
    out = carry_flags(raw, out)
    sym = raw["Symbol"].astype(str).str.strip().str.upper()
    assets = (
        pd.DataFrame(
            {"asset_id": ids, "symbol": sym, "name": raw["Name"].str.strip(), "date": raw["_date"]}
        )
        .groupby("asset_id", as_index=False)
        .agg(
            symbol=("symbol", "last"),
            name=("name", "last"),
            first_date=("date", "min"),
            last_date=("date", "max"),
        )
    )
    assets["is_stablecoin"] = assets["symbol"].isin(list(STABLECOIN_SYMBOLS))
    assets["sector"] = assets["is_stablecoin"].map({True: "stablecoin", False: None}).astype(object)
    renamed = int((ids != sym).sum())
    n_ids = int((assets["asset_id"] != assets["symbol"]).sum())
    notes = [
        f"{raw['_date'].nunique()} snapshot(s), {len(assets):,} coins; {n_ids} coin(s) that "
        f"re-used a ticker got SYMBOL-<name-slug> ids ({renamed:,} rows)",
        "assets.first_date/last_date = first/last snapshot listing the coin",
    ]
    return ReadResult(
        tables={"prices": out, "assets": assets},
        notes=notes,
        rows_read=len(raw),
        columns={
            "prices": {
                "asset_id": "Symbol",
                "date": "snapshot_date",
                "close": "Price",
                "market_cap_usd": "Market Cap",
                "volume_usd": "Volume (24h)",
            }
        },
    )


# ---------------------------------------------------------------------- CoinGecko close JSON
def _detect_cg_json(path: Path, head: str) -> bool:
    h = head.lstrip()
    return (
        h.startswith("{")
        and '"prices"' in head
        and "coingecko" in head.lower()
        and ('"daily_flows"' not in head)
    )


def _read_cg_json(path: Path, options: ReadOptions) -> ReadResult:
    """``{"description": "BTC/USD daily closing prices", "prices": {date: close}}``.

    The asset is the first word of ``description`` (else the file name's
    prefix, e.g. ``btc_price.json``); ``--asset`` overrides.
    """
    check_import_size(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"invalid JSON: {exc.msg}; the file looks truncated or corrupt",
            path=str(path),
            line=exc.lineno,
        ) from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise FormatError(
            f"not a readable JSON document ({type(exc).__name__}): the file is not UTF-8, "
            "is nested too deeply or is corrupt",
            path=str(path),
        ) from exc
    prices = doc.get("prices") if isinstance(doc, dict) else None
    if not isinstance(prices, dict):
        raise FormatError("expected an object with a 'prices' {date: close} map", path=str(path))
    asset = options.asset
    if not asset:
        desc = str(doc.get("description", "")).strip()
        token = desc.split("/")[0].split()[0] if desc else path.stem.split("_")[0]
        asset = token
    raw = pd.DataFrame({"date": list(prices.keys()), "close": list(prices.values())})
    out = pd.DataFrame(
        {
            "asset_id": asset.upper(),
            "date": to_date(raw, "date"),
            "close": to_number(raw, "close"),
        },
        index=raw.index,
    )
    return ReadResult(
        tables={"prices": carry_flags(raw, out)},
        notes=[f"CoinGecko daily closes for {asset.upper()} (close only)"],
        rows_read=len(raw),
    )


PRICE_READERS = (
    Reader(
        "binance_klines",
        "Binance spot daily klines (open_time, ..., quote_asset_volume)",
        _detect_binance,
        _read_binance,
    ),
    Reader(
        "bybit_klines",
        "Bybit perpetual daily klines (timestamp ms, ..., turnover, date)",
        _detect_bybit,
        _read_bybit,
    ),
    Reader(
        "ohlcv_daily",
        "crypto daily OHLCV with weekend rows (date,open,high,low,close,volume)",
        _detect_ohlcv,
        _read_ohlcv,
    ),
    Reader(
        "coinbase_ohlcv",
        "Coinbase daily OHLCV, many pairs (date,symbol,base,...)",
        _detect_coinbase,
        _read_coinbase,
    ),
    Reader(
        "cmc_snapshots",
        "CoinMarketCap top-N snapshots (Rank,Name,Symbol,...,snapshot_date)",
        _detect_cmc,
        _read_cmc,
    ),
    Reader(
        "coingecko_prices_json",
        "CoinGecko daily closes JSON ({prices: {date: close}})",
        _detect_cg_json,
        _read_cg_json,
    ),
)
