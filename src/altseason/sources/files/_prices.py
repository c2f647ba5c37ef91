"""Readers for daily price files: Binance and Bybit klines, plain and Yahoo-style
OHLCV, Coinbase, CoinMarketCap snapshots and historical exports, CoinGecko and
CoinMarketCap top-N market snapshots, and CoinGecko close JSON.

Units
-----
Prices in USD per token (USDT and USDC quotes are taken as USD).
``volume_usd`` is the quote-currency volume. Whether a file's volume counts
units of the asset (*base*) or USD (*quote*) is decided per file by
:func:`decide_volume_unit`, from the data where it can tell and otherwise
from the format's documented unit; never by assumption. A base volume becomes
``volume x close`` (an approximation, stated in the notes).
"""

from __future__ import annotations

import json
import re
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
    date_from_name,
    has_columns,
    head_rows,
    header_keys,
    read_csv_text,
    slugify,
)
from altseason.sources.files._open import check_import_size

__all__ = [
    "MAX_DAILY_VOLUME_USD",
    "MAX_VOLUME_TO_MARKET_CAP",
    "PRICE_READERS",
    "STABLECOIN_SYMBOLS",
    "carry_flags",
    "decide_volume_unit",
]

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


def _has_weekends(head: str, col: int | None = None) -> bool | None:
    """True if the head's dates include a Saturday or Sunday; None if unreadable.

    ``col``: the date column's index (default: the column named date/datetime/
    timestamp, else the first)."""
    if col is None:
        keys = header_keys(head)
        col = next((keys.index(k) for k in ("date", "datetime", "timestamp") if k in keys), 0)
    rows = head_rows(head, 40)
    dates = pd.to_datetime(pd.Series([r[col] for r in rows if len(r) > col]), errors="coerce")
    dates = dates.dropna()
    if len(dates) < 7:
        return None
    return bool((dates.dt.day_of_week >= 5).any())


# ---------------------------------------------------------------------- volume units
MAX_DAILY_VOLUME_USD = 1e12
"""Upper bound on one asset's daily traded volume in USD, all venues together.

Bitcoin's largest reported day is about 2e11 USD; a file implying more than
1e12 USD for a typical (median) day has its volume in another unit."""

MAX_VOLUME_TO_MARKET_CAP = 50.0
"""Upper bound on a typical day's USD volume as a multiple of market cap.

Even heavily traded small tokens turn over a few times their market cap per
day; 50x on the median day means the volume is not in USD (e.g. a base-unit
volume multiplied by the price once too often)."""

VolumeUnit = str  # "base" | "quote"


def _typical(values: np.ndarray) -> float:
    v = values[np.isfinite(values) & (values > 0)]
    return float(np.median(v)) if len(v) else float("nan")


def decide_volume_unit(
    volume: pd.Series,
    close: pd.Series,
    *,
    path: Path,
    column: str,
    market_cap: pd.Series | None = None,
    declared: str | None = None,
    documented: str | None = None,
    documented_why: str = "",
) -> tuple[VolumeUnit, str]:
    """Decide whether a volume column counts units of the asset or USD.

    Evidence, in order:

    1. **The data.** Each reading gives a USD volume (``base``: volume x
       close; ``quote``: volume). A reading is impossible when its typical
       (median) day exceeds :data:`MAX_DAILY_VOLUME_USD`, or
       :data:`MAX_VOLUME_TO_MARKET_CAP` x the market cap when the file has one.
       A declared unit (``--volume-unit``) the data makes impossible is refused.
    2. ``declared``: ``--volume-unit base|quote``.
    3. ``documented``: the unit the format documents (Binance klines' volume
       is base units; Yahoo Finance crypto pairs and CoinMarketCap/CoinGecko
       give USD), used when both readings fit the data.

    Returns
    -------
    unit, reason
        ``"base"`` or ``"quote"`` and a sentence for the import notes.

    Raises
    ------
    FormatError
        Both readings impossible, a declared unit the data rules out, or both
        possible with nothing documented: the message names ``--volume-unit``.
    """
    v = volume.to_numpy(dtype="float64", na_value=np.nan)
    c = close.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(v) & np.isfinite(c) & (v > 0) & (c > 0)
    if not ok.any():
        unit = declared or documented or "quote"
        return unit, f"{column}: no positive volume values"
    readings = {"base": v * c, "quote": v}
    why_not: dict[str, str] = {}
    mc = None if market_cap is None else market_cap.to_numpy(dtype="float64", na_value=np.nan)
    for unit, usd in readings.items():
        typ = _typical(usd[ok])
        if typ > MAX_DAILY_VOLUME_USD:
            why_not[unit] = (
                f"read as {unit} units it gives a typical daily volume of {typ:.3g} USD, "
                f"above the {MAX_DAILY_VOLUME_USD:.0e} USD any asset trades in a day"
            )
            continue
        if mc is not None:
            has = ok & np.isfinite(mc) & (mc > 0)
            if has.sum() >= 1:
                ratio = _typical(usd[has] / mc[has])
                if ratio > MAX_VOLUME_TO_MARKET_CAP:
                    why_not[unit] = (
                        f"read as {unit} units the typical day trades {ratio:.3g}x the market "
                        f"cap (bound {MAX_VOLUME_TO_MARKET_CAP:g}x)"
                    )
    fits = [u for u in readings if u not in why_not]
    fix = (
        "pass --volume-unit quote if the volume is already in USD/USDT, or --volume-unit "
        "base if it counts units of the asset"
    )
    if not fits:
        raise FormatError(
            f"column {column!r} is implausible as a volume in either unit ("
            + "; ".join(why_not.values())
            + "); check the column or import without it (--map with --format csv)",
            path=str(path),
        )
    if declared is not None:
        if declared not in readings:
            raise FormatError(
                f"--volume-unit must be 'base' or 'quote', not {declared!r}", path=str(path)
            )
        if declared not in fits:
            other = fits[0]
            raise FormatError(
                f"--volume-unit {declared} does not fit column {column!r}: {why_not[declared]}; "
                f"use --volume-unit {other}",
                path=str(path),
            )
        return declared, f"{column} in {declared} units (--volume-unit)"
    if len(fits) == 1:
        unit = fits[0]
        other = "quote" if unit == "base" else "base"
        return unit, f"{column} in {unit} units, decided from the data ({why_not[other]})"
    if documented is not None:
        return documented, f"{column} in {documented} units ({documented_why or 'the format'})"
    raise FormatError(
        f"cannot tell whether column {column!r} counts units of the asset or USD: both "
        "readings are plausible and the format does not document it; " + fix,
        path=str(path),
    )


def _volume_usd(
    raw: pd.DataFrame,
    volume: pd.Series,
    close: pd.Series,
    unit: VolumeUnit,
    column: str,
) -> pd.Series:
    """USD volume for the decided unit; rows above the daily bound are flagged."""
    usd = volume * close if unit == "base" else volume
    # a non-finite close or volume is reported by the finite-number rule, not as a volume
    finite = np.isfinite(volume.to_numpy(dtype=float)) & np.isfinite(close.to_numpy(dtype=float))
    over = (usd > MAX_DAILY_VOLUME_USD).fillna(False).to_numpy() & finite
    if over.any():
        flag(
            raw,
            over,
            f"volume of more than {MAX_DAILY_VOLUME_USD:.0e} USD in one day is not plausible; "
            "fix the value or the volume unit (--volume-unit)",
            column,
        )
    return usd


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
    return header_keys(head)[: len(_BINANCE)] == _BINANCE


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


# ---------------------------------------------------------------------- plain / Yahoo OHLCV
_OHLCV = ["date", "open", "high", "low", "close", "volume"]
_ADJ = ("adj close", "adj_close", "adjclose")
_EXCHANGE_PAIR = re.compile(r"^[A-Z0-9]+?(USDT|USDC|BUSD|FDUSD)$")
_YAHOO_PAIR = re.compile(r"^[A-Z0-9]{2,}[-_]USD$")


def _detect_ohlcv(path: Path, head: str) -> bool:
    keys = header_keys(head)
    return (
        set(_OHLCV) <= set(keys)
        and set(keys) <= {*_OHLCV, *_ADJ}
        and len(keys) == len(set(keys))
        and _has_weekends(head) is True
    )


def _ohlcv_documented_unit(path: Path, columns: list[str]) -> tuple[str | None, str]:
    """The volume unit the file's layout documents, if any (see :func:`decide_volume_unit`)."""
    stem = path.stem.upper()
    if any(c.lower() in _ADJ for c in columns) or _YAHOO_PAIR.match(stem):
        return "quote", "Yahoo Finance layout: crypto pairs' Volume is in USD"
    if _EXCHANGE_PAIR.match(stem):
        return "base", f"exchange pair {path.stem}: kline volume counts units of the asset"
    return None, ""


def _read_ohlcv(path: Path, options: ReadOptions) -> ReadResult:
    """Daily OHLCV of one crypto asset with weekend rows, any column order, any
    header case, with or without Yahoo's ``Adj Close`` (ignored: for crypto it
    equals Close). The asset comes from the file name (``BTCUSDT``, ``BTC-USD``,
    ``btc_daily``) or ``--asset``; the volume unit from :func:`decide_volume_unit`."""
    raw = read_csv_text(path, required=_OHLCV, optional=["adj close"])
    asset, mult = _asset_from_name(path)
    if options.asset:
        asset, mult = options.asset.upper(), 1.0
    close = to_number(raw, "close") / mult
    volume = to_number(raw, "volume")
    documented, why = _ohlcv_documented_unit(path, list(raw.columns))
    unit, reason = decide_volume_unit(
        volume,
        close * mult,  # the quoted (per-contract) price: volume counts contracts
        path=path,
        column="volume",
        declared=options.volume_unit,
        documented=documented,
        documented_why=why,
    )
    out = pd.DataFrame(
        {
            "asset_id": asset,
            "date": to_date(raw, "date"),
            "open": to_number(raw, "open") / mult,
            "high": to_number(raw, "high") / mult,
            "low": to_number(raw, "low") / mult,
            "close": close,
            "volume_usd": _volume_usd(raw, volume, close * mult, unit, "volume"),
        },
        index=raw.index,
    )
    notes = [
        f"asset {asset} from the file name (pass --asset to override); {reason}"
        + ("; volume_usd = volume x close (approximation)" if unit == "base" else "")
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
    return header_keys(head) == _BYBIT


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
    return header_keys(head) == _COINBASE


def _read_coinbase(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_COINBASE)
    close = to_number(raw, "close")
    volume = to_number(raw, "volume")
    unit, reason = decide_volume_unit(
        volume,
        close,
        path=path,
        column="volume",
        declared=options.volume_unit,
        documented="base",
        documented_why="Coinbase Exchange candles give volume in the base currency",
    )
    out = pd.DataFrame(
        {
            "asset_id": raw["base"].astype("string").str.strip().str.upper().astype(object),
            "date": to_date(raw, "date"),
            "open": to_number(raw, "open"),
            "high": to_number(raw, "high"),
            "low": to_number(raw, "low"),
            "close": close,
            "volume_usd": _volume_usd(raw, volume, close, unit, "volume"),
        },
        index=raw.index,
    )
    quotes = raw["symbol"].astype("string").str.split("/").str[-1].value_counts()
    notes = [
        f"Coinbase spot; {reason}"
        + ("; volume_usd = base volume x close (approximation)" if unit == "base" else "")
        + "; quotes "
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
    keys = header_keys(head)
    return keys[: len(_CMC)] == [c.lower() for c in _CMC] and "snapshot_date" in keys


RENAME_MAX_SUPPLY_RATIO = 1.5
"""A ticker's name change is a rename (the same coin) when the two names never
share a snapshot and the circulating supply moves less than this factor between
the old name's last snapshot and the new name's first (a token's supply changes
slowly: Binance Coin -> BNB, Matic Network -> Polygon, Elrond -> MultiversX); a
re-used ticker is another token (old Terra: 6.9 trillion LUNA, Terra 2.0: 0.2
billion). Without supplies the price must move less than
:data:`RENAME_MAX_PRICE_RATIO`."""

RENAME_MAX_PRICE_RATIO = 4.0


def _continuous(prev: pd.Series, cur: pd.Series) -> bool:
    """The same token across a name change: supply (else price) continuous."""

    def ratio(a: float, b: float) -> float:
        return max(a, b) / min(a, b) if a > 0 and b > 0 else float("nan")

    sup = ratio(float(prev["sup_last"]), float(cur["sup_first"]))
    if np.isfinite(sup):
        return bool(sup < RENAME_MAX_SUPPLY_RATIO)
    px = ratio(float(prev["px_last"]), float(cur["px_first"]))
    return bool(np.isfinite(px) and px < RENAME_MAX_PRICE_RATIO)


def cmc_asset_ids(frame: pd.DataFrame) -> pd.Series:
    """Disambiguated asset ids for CoinMarketCap rows (``Symbol``, ``Name``, date, rank,
    and ``_price`` when given).

    Rule: a coin is a chain of (symbol, name) pairs. Names of one symbol are
    chained in order of first appearance when the next name starts after the
    previous one ends and the price is continuous across the change
    (:data:`RENAME_MAX_PRICE_RATIO`): "Binance Coin" -> "BNB" is one coin. The
    chain holding the symbol at the latest snapshot in which it appears (the
    best-ranked one if two share it that day) keeps the plain upper-case
    ``SYMBOL``; every other name that used the ticker gets ``SYMBOL-<slug of its
    name>`` (e.g. ``LUNA`` for Terra 2.0 and ``LUNA-terra`` for the old Terra).
    """
    sym = frame["Symbol"].astype("string").str.strip().str.upper()
    name = frame["Name"].astype("string").str.strip().fillna("")
    nan = pd.Series(np.nan, index=frame.index)
    price = pd.to_numeric(frame["_price"], errors="coerce") if "_price" in frame else nan
    supply = pd.to_numeric(frame["_supply"], errors="coerce") if "_supply" in frame else nan
    df = pd.DataFrame(
        {
            "sym": sym,
            "name": name,
            "date": frame["_date"],
            "rank": frame["_rank"],
            "px": price,
            "sup": supply,
        }
    )
    latest = (
        df.dropna(subset=["sym"])
        .sort_values(["sym", "date", "rank"], ascending=[True, False, True])
        .drop_duplicates("sym")
        .set_index("sym")["name"]
    )
    owners: set[tuple[str, str]] = {(str(k), str(v)) for k, v in latest.items()}
    # renames: walk each symbol's names back from the owner while the chain is continuous
    spans = (
        df.dropna(subset=["sym", "date"])
        .sort_values("date")
        .groupby(["sym", "name"], sort=False)
        .agg(
            first=("date", "min"),
            last=("date", "max"),
            px_first=("px", "first"),
            px_last=("px", "last"),
            sup_first=("sup", "first"),
            sup_last=("sup", "last"),
        )
    )
    for s_, grp in spans.groupby(level="sym", sort=False):
        if len(grp) < 2:
            continue
        grp = grp.droplevel("sym").sort_values("first")
        owner = str(latest.get(s_, ""))
        if owner not in grp.index:
            continue
        names = list(grp.index)
        i = names.index(owner)
        while i > 0:
            prev, cur = grp.iloc[i - 1], grp.iloc[i]
            if not prev["last"] < cur["first"]:
                break
            if not _continuous(prev, cur):
                break
            owners.add((str(s_), str(names[i - 1])))
            i -= 1
    is_owner = pd.Series(
        [(str(a), str(b)) in owners for a, b in zip(sym.fillna(""), name, strict=True)],
        index=frame.index,
    )
    slug = name.map(slugify)
    return sym.where(is_owner | sym.isna(), sym + "-" + slug)


def _read_cmc(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(
        path, required=[*_CMC, "snapshot_date"], optional=["Volume (24h)", "Circulating Supply"]
    )
    raw["_date"] = to_date(raw, "snapshot_date", fmt="%Y%m%d")
    raw["_rank"] = to_number(raw, "Rank")
    close = to_number(raw, "Price")
    raw["_price"] = close
    if "Circulating Supply" in raw:
        raw["_supply"] = pd.to_numeric(
            raw["Circulating Supply"].astype("string").str.replace(",", ""), errors="coerce"
        )
    ids = cmc_asset_ids(raw)
    mcap = to_number(raw, "Market Cap")
    volume: pd.Series | float = np.nan
    vol_note = "no volume column"
    if "Volume (24h)" in raw:
        vol = to_number(raw, "Volume (24h)")
        unit, vol_note = decide_volume_unit(
            vol,
            close,
            path=path,
            column="Volume (24h)",
            market_cap=mcap,
            declared=options.volume_unit,
            documented="quote",
            documented_why="CoinMarketCap quotes 24h volume in USD",
        )
        volume = _volume_usd(raw, vol, close, unit, "Volume (24h)")
    out = pd.DataFrame(
        {
            "asset_id": ids,
            "date": raw["_date"],
            "close": close,
            "market_cap_usd": mcap,
            "volume_usd": volume,
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
        vol_note,
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


# ---------------------------------------------------------------------- CoinMarketCap history
_CMC_HIST = ["timeOpen", "timeClose", "open", "high", "low", "close", "volume", "marketCap"]
_CMC_USD_ID = "2781"
"""CoinMarketCap's id of the US dollar: the ``name`` column of a USD export."""

CMC_NAME_SYMBOLS: dict[str, str] = {
    "bitcoin": "BTC",
    "ethereum": "ETH",
    "tether": "USDT",
    "tether-usdt": "USDT",
    "bnb": "BNB",
    "solana": "SOL",
    "xrp": "XRP",
    "usd-coin": "USDC",
    "usdc": "USDC",
    "cardano": "ADA",
    "dogecoin": "DOGE",
    "tron": "TRX",
    "toncoin": "TON",
    "chainlink": "LINK",
    "avalanche": "AVAX",
    "polkadot": "DOT",
    "polygon": "POL",
    "litecoin": "LTC",
    "shiba-inu": "SHIB",
    "bitcoin-cash": "BCH",
    "stellar": "XLM",
    "sui": "SUI",
    "near-protocol": "NEAR",
    "uniswap": "UNI",
    "aptos": "APT",
    "hedera": "HBAR",
    "monero": "XMR",
    "ethereum-classic": "ETC",
    "cosmos": "ATOM",
    "pepe": "PEPE",
    "aave": "AAVE",
    "filecoin": "FIL",
    "arbitrum": "ARB",
    "optimism": "OP",
    "internet-computer": "ICP",
    "hyperliquid": "HYPE",
}
"""CoinMarketCap coin names (slugged) of the file-name prefix -> asset id."""


def _detect_cmc_history(path: Path, head: str) -> bool:
    return has_columns(head, _CMC_HIST)


def _asset_from_cmc_name(path: Path, options: ReadOptions) -> str:
    """The asset of a CoinMarketCap export: ``--asset``, else the file name.

    CoinMarketCap names downloads ``<Coin name>_<from>-<to>_historical_data_coinmarketcap.csv``;
    the coin name maps through :data:`CMC_NAME_SYMBOLS`; a name part that is
    an upper-case ticker (``BTC_history.csv``, ``..._coinmarketcap_ETH.csv``)
    is taken as it is.
    """
    if options.asset:
        return options.asset.upper()
    parts = [p for p in re.split(r"[_\s]+", path.stem) if p]
    if parts:
        slug = slugify(parts[0])
        if slug in CMC_NAME_SYMBOLS:
            return CMC_NAME_SYMBOLS[slug]
    for part in (parts[:1] + parts[-1:]) if parts else []:
        if re.fullmatch(r"[A-Z][A-Z0-9]{1,9}", part):
            return part
    raise FormatError(
        "cannot tell which coin this CoinMarketCap export is for (the file name "
        f"{path.name!r} names no known coin); pass --asset, e.g. --asset BTC",
        path=str(path),
    )


def _read_cmc_history(path: Path, options: ReadOptions) -> ReadResult:
    """CoinMarketCap "Historical data" download (one coin, daily, USD).

    ``timeOpen;timeClose;timeHigh;timeLow;name;open;high;low;close;volume;marketCap[;circulatingSupply];timestamp``,
    ``;``-separated, with a BOM, quoted ISO timestamps and newest first.
    The date is ``timeOpen``'s UTC day (the close is at ``timeClose``, 23:59:59.999
    of that day); ``volume`` and ``marketCap`` are USD (CoinMarketCap quotes
    both in the convert currency, id 2781 = USD in ``name``), checked
    against each other by :func:`decide_volume_unit`.
    """
    raw = read_csv_text(
        path, required=_CMC_HIST, optional=["name", "timestamp", "circulatingSupply"]
    )
    if "name" in raw.columns:
        ids = raw["name"].astype("string").str.strip().dropna().unique().tolist()
        numeric = [i for i in ids if i.isdigit()]
        if numeric and numeric != [_CMC_USD_ID]:
            raise FormatError(
                f"the export is quoted in CoinMarketCap currency id(s) {numeric}, not USD "
                f"({_CMC_USD_ID}); download it again with USD selected",
                path=str(path),
                line=2,
            )
    asset = _asset_from_cmc_name(path, options)
    close = to_number(raw, "close")
    mcap = to_number(raw, "marketCap")
    volume = to_number(raw, "volume")
    unit, reason = decide_volume_unit(
        volume,
        close,
        path=path,
        column="volume",
        market_cap=mcap,
        declared=options.volume_unit,
        documented="quote",
        documented_why="CoinMarketCap exports give volume in USD",
    )
    out = pd.DataFrame(
        {
            "asset_id": asset,
            "date": to_date(raw, "timeOpen"),
            "open": to_number(raw, "open"),
            "high": to_number(raw, "high"),
            "low": to_number(raw, "low"),
            "close": close,
            "volume_usd": _volume_usd(raw, volume, close, unit, "volume"),
            "market_cap_usd": mcap,
        },
        index=raw.index,
    )
    notes = [f"CoinMarketCap daily history of {asset}; date = timeOpen (UTC day); {reason}"]
    return ReadResult(
        tables={"prices": carry_flags(raw, out)},
        notes=notes,
        rows_read=len(raw),
        columns={
            "prices": {"date": "timeOpen", "volume_usd": "volume", "market_cap_usd": "marketCap"}
        },
    )


# ---------------------------------------------------------------------- top-N market snapshots
_CG_MARKETS = ["id", "symbol", "name", "current_price", "market_cap", "total_volume"]
_CMC_LISTING = ["symbol", "name", "cmc_rank", "market_cap", "price", "volume_24h"]


def _detect_cg_markets(path: Path, head: str) -> bool:
    return has_columns(head, _CG_MARKETS)


def _detect_cmc_listing(path: Path, head: str) -> bool:
    return has_columns(head, _CMC_LISTING) and not has_columns(head, ["current_price"])


def _snapshot_day(
    raw: pd.DataFrame, path: Path, options: ReadOptions, ts_cols: tuple[str, ...], notes: list[str]
) -> pd.Timestamp:
    """The day of a top-N snapshot file: the file name's date, else its timestamp column.

    A market snapshot is taken once; the day written in its name
    (``coingecko_market_data_20251103.csv``) is the day it stands for. With
    ``--date-from-filename`` the name must hold a date; without a date in the
    name the latest value of the timestamp column (``last_updated``,
    ``timestamp``) gives the UTC day.
    """
    named = date_from_name(path)
    ts_col = next((c for c in ts_cols if c in raw.columns), None)
    stamped = None
    if ts_col is not None:
        ts = pd.to_datetime(raw[ts_col], errors="coerce", utc=True, format="ISO8601")
        if ts.notna().any():
            stamped = ts.max().tz_convert("UTC").tz_localize(None)
    if named is not None:
        how = "from the file name"
        if stamped is not None and stamped.normalize() != named:
            how += f"; its {ts_col} column says {stamped:%Y-%m-%d %H:%M} UTC"
        notes.append(f"snapshot day {named.date()} ({how})")
        return named
    if options.date_from_filename:
        raise FormatError(
            "--date-from-filename: the file name holds no date; rename it to include the day "
            "(e.g. name_20251103.csv)",
            path=str(path),
        )
    if stamped is None:
        raise FormatError(
            "the snapshot has no date: neither its name (e.g. name_20251103.csv) nor a "
            "timestamp column gives one; rename the file with its day",
            path=str(path),
        )
    notes.append(f"snapshot day {stamped.date()} (from the {ts_col} column, UTC)")
    return stamped.normalize()


def _snapshot_ids(symbol: pd.Series, key: pd.Series, mcap: pd.Series) -> pd.Series:
    """Upper-case symbols; where two coins share one, the larger market cap keeps
    ``SYMBOL`` and the others get ``SYMBOL-<slug of their id or name>``."""
    sym = symbol.astype("string").str.strip().str.upper()
    order = mcap.fillna(-1).rank(method="first", ascending=False)
    first = pd.DataFrame({"sym": sym, "o": order}).groupby("sym")["o"].transform("min")
    slug = key.astype("string").fillna("").map(slugify)
    return sym.where(order == first, sym + "-" + slug).astype(object)


def _read_snapshot(
    path: Path,
    options: ReadOptions,
    *,
    what: str,
    price: str,
    volume: str,
    key: str,
    ts_cols: tuple[str, ...],
    required: list[str],
) -> ReadResult:
    raw = read_csv_text(path, required=required, optional=list(ts_cols))
    notes: list[str] = []
    day = _snapshot_day(raw, path, options, ts_cols, notes)
    close = to_number(raw, price)
    mcap = to_number(raw, "market_cap")
    vol = to_number(raw, volume)
    unit, reason = decide_volume_unit(
        vol,
        close,
        path=path,
        column=volume,
        market_cap=mcap,
        declared=options.volume_unit,
        documented="quote",
        documented_why=f"{what} gives 24h volume in USD",
    )
    ids = _snapshot_ids(raw["symbol"], raw[key], mcap)
    out = pd.DataFrame(
        {
            "asset_id": ids,
            "date": day,
            "close": close,
            "volume_usd": _volume_usd(raw, vol, close, unit, volume),
            "market_cap_usd": mcap,
        },
        index=raw.index,
    )
    out = carry_flags(raw, out)
    sym = raw["symbol"].astype("string").str.strip().str.upper()
    assets = pd.DataFrame(
        {
            "asset_id": ids,
            "symbol": sym.astype(object),
            "name": raw["name"].astype("string").str.strip().astype(object),
            "first_date": day,
            "last_date": day,
        }
    ).drop_duplicates("asset_id")
    assets["is_stablecoin"] = assets["symbol"].isin(list(STABLECOIN_SYMBOLS))
    assets["sector"] = assets["is_stablecoin"].map({True: "stablecoin", False: None}).astype(object)
    n_renamed = int((ids != sym.astype(object)).sum())
    notes.insert(
        0,
        f"{what} snapshot of {len(raw):,} coins; close = {price} at the snapshot; {reason}"
        + (f"; {n_renamed} coin(s) sharing a ticker got SYMBOL-<id> ids" if n_renamed else ""),
    )
    return ReadResult(
        tables={"prices": out, "assets": assets},
        notes=notes,
        rows_read=len(raw),
        columns={
            "prices": {
                "asset_id": "symbol",
                "close": price,
                "volume_usd": volume,
                "market_cap_usd": "market_cap",
            }
        },
    )


def _read_cg_markets(path: Path, options: ReadOptions) -> ReadResult:
    """CoinGecko ``/coins/markets`` top-N snapshot saved as CSV (one file per day,
    the day in its name, e.g. ``coingecko_market_data_20251103.csv``). USD."""
    return _read_snapshot(
        path,
        options,
        what="CoinGecko markets",
        price="current_price",
        volume="total_volume",
        key="id",
        ts_cols=("last_updated", "timestamp"),
        required=_CG_MARKETS,
    )


def _read_cmc_listing(path: Path, options: ReadOptions) -> ReadResult:
    """CoinMarketCap ``listings/latest`` snapshot saved as CSV (USD quote)."""
    return _read_snapshot(
        path,
        options,
        what="CoinMarketCap listings",
        price="price",
        volume="volume_24h",
        key="name",
        ts_cols=("timestamp", "last_updated"),
        required=_CMC_LISTING,
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
        "cmc_history",
        "CoinMarketCap historical-data download (timeOpen;timeClose;...;marketCap;timestamp)",
        _detect_cmc_history,
        _read_cmc_history,
    ),
    Reader(
        "coingecko_markets",
        "CoinGecko top-N market snapshot (id,symbol,name,current_price,...), day in the file name",
        _detect_cg_markets,
        _read_cg_markets,
    ),
    Reader(
        "cmc_listings",
        "CoinMarketCap latest-listings snapshot (symbol,name,cmc_rank,...,volume_24h)",
        _detect_cmc_listing,
        _read_cmc_listing,
    ),
    Reader(
        "coingecko_prices_json",
        "CoinGecko daily closes JSON ({prices: {date: close}})",
        _detect_cg_json,
        _read_cg_json,
    ),
)
