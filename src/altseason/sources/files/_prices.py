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

from altseason.exceptions import FormatError, ValidationError
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
    canonical_columns,
    date_from_name,
    decimal_commas,
    first_line,
    has_columns,
    head_rows,
    header_keys,
    read_csv_text,
    read_head,
    slugify,
    sniff_delimiter,
    stream_position,
)
from altseason.sources.files._open import check_import_size, open_decompressed

__all__ = [
    "MAX_DAILY_VOLUME_USD",
    "MAX_VOLUME_TO_MARKET_CAP",
    "PRICE_READERS",
    "STABLECOIN_SYMBOLS",
    "carry_flags",
    "check_volume_pair",
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


_COMPRESSED = (".gz", ".gzip", ".zst", ".zstd")


def _plain_stem(path: Path) -> str:
    """The file name without compression and data suffixes (``X.csv.gz`` -> ``X``)."""
    name = path.name
    for suffix in _COMPRESSED:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return Path(name).stem


def _asset_from_name(path: Path) -> tuple[str, float]:
    """Asset and contract multiplier from the file name: ``BTCUSDT.csv``, ``btc_daily.csv``,
    ``BTC-USD.csv``, and data.binance.vision's ``BTCUSDT-1m-2024-01.csv(.gz)``."""
    stem = _plain_stem(path)
    if stem.lower().endswith("_daily"):
        stem = stem.split("_")[0]
    pair = stem.split("-", 1)[0].upper()
    if "-" in stem and _EXCHANGE_PAIR.match(pair):
        stem = pair
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


REFERENCE_SHARE = (1e-3, 10.0)
"""Plausible range of a file's typical USD volume as a multiple of what the store's
other sources give for the same asset and days: one venue may trade a thousandth of
an aggregate, or ten times another venue. The reference decides a unit only when
exactly one reading falls in this range; since the readings differ by the factor
``close``, a reading whose true share is in the range is never mistaken for the
other (for assets priced near 1 USD both fall in it and the question stays open)."""

MIN_REFERENCE_DAYS = 5
"""Days a file must share with the store's other sources before they count as evidence."""

VWAP_TOLERANCE = 0.01
"""Relative slack on ``[low, high]`` when checking ``quote volume / base volume``."""


def _example_day(
    v: np.ndarray, c: np.ndarray, ok: np.ndarray, dates: pd.Series | None
) -> tuple[str, float, float]:
    """The day with the median volume among the usable rows: (label, volume, close)."""
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(v[idx], kind="stable")]
    i = int(order[len(order) // 2])
    label = f"row {i + 1}"
    if dates is not None:
        d = pd.Timestamp(dates.iloc[i]) if pd.notna(dates.iloc[i]) else None
        if d is not None:
            label = str(d.date())
    return label, float(v[i]), float(c[i])


def _reference_verdict(
    readings: dict[str, np.ndarray],
    ok: np.ndarray,
    reference: np.ndarray,
    why_not: dict[str, str],
) -> tuple[str | None, str]:
    """Which reading the store's other sources support, with the sentence saying why."""
    has = ok & np.isfinite(reference) & (reference > 0)
    n = int(has.sum())
    if n < min(MIN_REFERENCE_DAYS, int(ok.sum())) or n == 0:
        return None, ""
    ratio = {u: _typical(usd[has] / reference[has]) for u, usd in readings.items()}
    if not all(r > 0 for r in ratio.values()):
        return None, ""
    best = min(ratio, key=lambda u: abs(float(np.log10(ratio[u]))))
    other = "quote" if best == "base" else "base"
    said = (
        f"the typical day is {ratio[best]:.3g}x the USD volume other sources in the store "
        f"give for the same asset on the same {n:,} day(s) when read as {best} units, "
        f"{ratio[other]:.3g}x when read as {other} units"
    )
    lo, hi = REFERENCE_SHARE
    inside = [u for u, r in ratio.items() if lo <= r <= hi and u not in why_not]
    if len(inside) == 1:
        return inside[0], said
    return None, said


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
    reference_volume: pd.Series | None = None,
    reference_market_cap: pd.Series | None = None,
    dates: pd.Series | None = None,
) -> tuple[VolumeUnit, str]:
    """Decide whether a volume column counts units of the asset or USD.

    Evidence, in order:

    1. **The data's bounds.** Each reading gives a USD volume (``base``:
       volume x close; ``quote``: volume). A reading is impossible when its
       typical (median) day exceeds :data:`MAX_DAILY_VOLUME_USD`, or
       :data:`MAX_VOLUME_TO_MARKET_CAP` x the market cap (the file's own, or
       else ``reference_market_cap``: other sources' market cap for the same
       asset and days). A declared unit (``--volume-unit``) the data makes
       impossible is refused.
    2. ``declared``: ``--volume-unit base|quote``.
    3. **Other sources.** ``reference_volume``: the USD volume other sources in
       the store give for the same asset and days (at least
       :data:`MIN_REFERENCE_DAYS` in common). When exactly one reading's typical
       ratio to it lies in :data:`REFERENCE_SHARE`, that reading wins.
    4. ``documented``: the unit the format documents (Binance klines' volume
       is base units; Yahoo Finance crypto pairs and CoinMarketCap/CoinGecko
       give USD), used when both readings fit the data.

    When the volume and a quote volume of the same rows both exist, use
    :func:`check_volume_pair` instead: ``quote / base`` is the day's average
    price, which must lie within the row's ``[low, high]``.

    Returns
    -------
    unit, reason
        ``"base"`` or ``"quote"`` and a sentence for the import notes.

    Raises
    ------
    FormatError
        Both readings impossible, a declared unit the data rules out, or both
        possible with nothing settling it: the message names the file, the
        column, both readings of a typical day and ``--volume-unit``.
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
    mc_from = "the market cap"
    own_cap = mc is not None and bool((np.isfinite(mc) & (mc > 0) & ok).any())
    if not own_cap and reference_market_cap is not None:
        mc = reference_market_cap.to_numpy(dtype="float64", na_value=np.nan)
        mc_from = "the market cap other sources in the store give"
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
                        f"read as {unit} units the typical day trades {ratio:.3g}x {mc_from} "
                        f"(bound {MAX_VOLUME_TO_MARKET_CAP:g}x)"
                    )
    fits = [u for u in readings if u not in why_not]
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
    ref_said = ""
    if reference_volume is not None:
        ref = reference_volume.to_numpy(dtype="float64", na_value=np.nan)
        unit_ref, ref_said = _reference_verdict(readings, ok, ref, why_not)
        if unit_ref is not None:
            return (
                unit_ref,
                f"{column} in {unit_ref} units, decided from other sources ({ref_said})",
            )
    if documented is not None:
        return documented, f"{column} in {documented} units ({documented_why or 'the format'})"
    day, vol, px = _example_day(v, c, ok, dates)
    raise FormatError(
        f"cannot tell whether column {column!r} counts units of the asset or USD. On {day} "
        f"(a typical day) {column} = {vol:,.6g} and close = {px:,.6g}: read as units of the "
        f"asset (base) that is {vol * px:,.4g} USD traded, read as USD (quote) it is "
        f"{vol:,.4g} USD ({vol / px:,.4g} units). Both are plausible: the file has no quote-"
        "volume column to check against, its name and layout do not document the unit, and "
        + (
            f"the store's other sources do not settle it ({ref_said})"
            if ref_said
            else "the store holds no other source's volume for this asset on these days"
        )
        + ". Pass --volume-unit base if the volume counts units of the asset (e.g. Binance "
        "or Coinbase klines), or --volume-unit quote if it is already in USD/USDT (e.g. "
        "Yahoo Finance, CoinMarketCap); or import a source with the asset's volume or "
        "market cap first",
        path=str(path),
    )


def check_volume_pair(
    base: pd.Series,
    quote: pd.Series,
    low: pd.Series,
    high: pd.Series,
    *,
    path: Path,
    base_column: str,
    quote_column: str,
    dates: pd.Series | None = None,
) -> str:
    """Check that ``quote`` is the USD value of ``base`` units: ``quote / base`` is the
    period's average price, so it lies within ``[low, high]`` (with
    :data:`VWAP_TOLERANCE`) on every row where both are positive.

    Returns
    -------
    str
        A sentence for the import notes.

    Raises
    ------
    FormatError
        The ratio lies outside the range on most rows (the columns are not a
        base/quote pair: swapped, scaled or another currency), naming both
        columns, an example row and the fix.
    """
    b = base.to_numpy(dtype="float64", na_value=np.nan)
    q = quote.to_numpy(dtype="float64", na_value=np.nan)
    lo = low.to_numpy(dtype="float64", na_value=np.nan)
    hi = high.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isfinite(b) & np.isfinite(q) & np.isfinite(lo) & np.isfinite(hi) & (b > 0) & (q > 0)
    ok &= (lo > 0) & (hi >= lo)
    if not ok.any():
        return f"{quote_column}: no rows with both volumes to check"
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = q / b
    inside = ok & (avg >= lo * (1 - VWAP_TOLERANCE)) & (avg <= hi * (1 + VWAP_TOLERANCE))
    share = inside.sum() / ok.sum()
    if share >= 0.9:
        return (
            f"{quote_column} / {base_column} lies within the day's low-high range on "
            f"{share:.0%} of rows: {base_column} counts units of the asset, {quote_column} is USD"
        )
    i = int(np.flatnonzero(ok & ~inside)[0])
    day = (
        str(pd.Timestamp(dates.iloc[i]).date())
        if dates is not None and pd.notna(dates.iloc[i])
        else f"row {i + 1}"
    )
    raise FormatError(
        f"columns {base_column!r} and {quote_column!r} are not a base/quote volume pair: "
        f"{quote_column} / {base_column} should be the day's average price, within low-high, "
        f"but on {day} it is {avg[i]:,.6g} against a range of {lo[i]:,.6g}-{hi[i]:,.6g} "
        f"(outside on {1 - share:.0%} of rows). Check which column is which; to import "
        f"anyway, drop one of them (or map the columns with --map and --format csv)",
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
_BINANCE_ALL = [
    *_BINANCE,
    "number_of_trades",
    "taker_buy_base_asset_volume",
    "taker_buy_quote_asset_volume",
    "ignore",
]
"""The 12 fields of a Binance kline, in order (also the columns of a headerless
data.binance.vision dump)."""

CHUNK_ROWS = 50_000
"""Lines the streaming readers parse at a time (about 6.5 MB of kline text)."""

_DAY_MS = 86_400_000


def _headerless_binance(head: str) -> bool:
    """A data.binance.vision kline dump: no header, 12 numeric fields a line, the
    open and close times epoch milliseconds (or microseconds, spot since 2025)."""
    rows = head_rows("x\n" + head, 5)
    if not rows:
        return False
    for r in rows:
        if len(r) != len(_BINANCE_ALL):
            return False
        try:
            nums = [float(x) for x in r]
        except ValueError:
            return False
        if not (1e12 <= nums[0] < 1e17 and nums[6] > nums[0]):
            return False
    return True


def _detect_binance(path: Path, head: str) -> bool:
    return header_keys(head)[: len(_BINANCE)] == _BINANCE or _headerless_binance(head)


def _epoch_unit(values: pd.Series) -> str | None:
    """``"ms"`` or ``"us"`` for an epoch column, None when it holds text dates."""
    if not pd.api.types.is_numeric_dtype(values):
        return None
    arr = values.to_numpy(dtype="float64")
    top = float(np.nanmax(arr)) if np.isfinite(arr).any() else 0.0
    return "us" if top >= 1e15 else "ms"


def _intraday_step_ms(head: str, headerless: bool) -> float | None:
    """The candle length in ms when the head's candles are shorter than a day."""
    rows = head_rows(("x\n" if headerless else "") + head, 60)
    if len(rows) < 2:
        return None
    first = pd.Series([r[0] for r in rows if r])
    nums = pd.to_numeric(first, errors="coerce")
    if nums.notna().all():
        ms = nums / (1000.0 if float(nums.max()) >= 1e15 else 1.0)
    else:
        ts = pd.to_datetime(first, errors="coerce", utc=True, format="ISO8601")
        if ts.isna().any():
            return None
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
        ms = pd.Series((ts - epoch) / pd.Timedelta(milliseconds=1), dtype="float64")
    steps = ms.diff().dropna()
    steps = steps[steps > 0]
    if steps.empty:
        return None
    step = float(steps.median())
    return step if step < _DAY_MS else None


def _check_candles(
    raw: pd.DataFrame, o: pd.Series, h: pd.Series, lo: pd.Series, c: pd.Series, q: pd.Series
) -> None:
    """Per-candle checks before candles are summed into days, so an error names its line."""
    for name, v in (("open", o), ("high", h), ("low", lo), ("close", c)):
        arr = v.to_numpy(dtype="float64")
        flag(raw, np.isnan(arr), "missing value; every candle needs a price", name)
        flag(raw, ~np.isnan(arr) & ~np.isfinite(arr), "value is not finite; fix it", name)
        flag(raw, np.isfinite(arr) & (arr <= 0), "non-positive price; prices must be > 0", name)
    flag(raw, (h < lo).to_numpy(), "high is below low; fix the candle", "high")
    vol = q.to_numpy(dtype="float64")
    flag(
        raw,
        ~np.isnan(vol) & ~(np.isfinite(vol) & (vol >= 0)),
        "volume must be finite and >= 0",
        "quote_asset_volume",
    )


def _day_aggregate(
    raw: pd.DataFrame,
    ts: pd.Series,
    o: pd.Series,
    h: pd.Series,
    lo: pd.Series,
    c: pd.Series,
    q: pd.Series,
) -> pd.DataFrame:
    """One chunk's candles summed per UTC day: first open, max high, min low, last
    close, summed quote volume, candle count and the day's first error."""
    bad = raw[ERROR_COL].notna().to_numpy() if ERROR_COL in raw else np.zeros(len(raw), bool)
    frame = pd.DataFrame(
        {
            "ts": ts.to_numpy(),
            "day": ts.dt.normalize().to_numpy(),
            "open": o.to_numpy(),
            "high": h.to_numpy(),
            "low": lo.to_numpy(),
            "close": c.to_numpy(),
            "vol": q.to_numpy(),
            "line": raw[LINE_COL].to_numpy(dtype="float64", na_value=np.nan),
            "err": raw[ERROR_COL].to_numpy() if ERROR_COL in raw else None,
            "errcol": raw[ERRCOL_COL].to_numpy() if ERRCOL_COL in raw else None,
        }
    )
    good = frame[~bad & frame["day"].notna()].sort_values("ts", kind="stable")
    agg = good.groupby("day").agg(
        first_ts=("ts", "min"),
        last_ts=("ts", "max"),
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        vol=("vol", "sum"),
        n=("ts", "size"),
        line=("line", "min"),
    )
    errs = frame[bad & frame["day"].notna()].sort_values("line").drop_duplicates("day")
    agg = agg.join(
        errs.set_index("day")[["err", "errcol", "line"]].rename(columns={"line": "errline"}),
        how="outer",
    )
    return agg


def _combine_days(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Chunk aggregates of the same day (a day split across chunks) merged into one."""
    if not parts:
        return pd.DataFrame()
    allp = pd.concat(parts).reset_index().rename(columns={"index": "day"})
    by_first = allp.sort_values("first_ts", kind="stable", na_position="last")
    by_last = allp.sort_values("last_ts", kind="stable", na_position="first")
    g = allp.groupby("day")
    out = pd.DataFrame(
        {
            "first_ts": g["first_ts"].min(),
            "last_ts": g["last_ts"].max(),
            "open": by_first.dropna(subset=["first_ts"]).groupby("day")["open"].first(),
            "close": by_last.dropna(subset=["last_ts"]).groupby("day")["close"].last(),
            "high": g["high"].max(),
            "low": g["low"].min(),
            "vol": g["vol"].sum(min_count=1),
            "n": g["n"].sum(),
            "line": g["line"].min(),
        }
    )
    errs = allp.dropna(subset=["err"]).sort_values("errline").drop_duplicates("day")
    return out.join(errs.set_index("day")[["err", "errcol", "errline"]], how="left")


def _read_binance(path: Path, options: ReadOptions) -> ReadResult:
    """Binance klines, read in chunks of :data:`CHUNK_ROWS` lines (plain, gzip or zstd;
    with the header or headerless as data.binance.vision ships them).

    Daily candles become one row each. Shorter candles (1m, 1h, ...) are summed per
    UTC day: first open, highest high, lowest low, last close, summed quote volume;
    an incomplete first or last day is dropped (noted) and interior days with
    missing candles are noted. A bad candle marks its day with the candle's line
    and column, so ``--on-error fail`` stops naming it and ``reject`` sends that
    day to rejects. Memory stays near one chunk whatever the file size
    (``ALTSEASON_IMPORT_MAX_MB``)."""
    size = check_import_size(path, whole=False)
    head = read_head(path)
    headerless = _headerless_binance(head)
    delim = "," if headerless else sniff_delimiter(first_line(head))
    step = _intraday_step_ms(head, headerless)
    asset, mult = _asset_from_name(path)
    if options.asset:
        asset, mult = options.asset.upper(), 1.0
    notes: list[str] = []
    daily_parts: list[pd.DataFrame] = []
    day_parts: list[pd.DataFrame] = []
    orphan_parts: list[pd.DataFrame] = []
    rows = 0
    extra: list[str] = []
    filled: set[str] = set()
    with open_decompressed(path) as fh:
        try:
            chunks = pd.read_csv(
                fh,  # type: ignore[arg-type]
                sep=delim,
                header=None if headerless else 0,
                names=_BINANCE_ALL if headerless else None,
                chunksize=CHUNK_ROWS,
                skip_blank_lines=False,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8-sig",
                encoding_errors="replace",
                low_memory=True,
            )
            for chunk in chunks:
                raw = _chunk_columns(chunk, path, delim)
                rows += _binance_chunk(
                    raw, path, headerless, asset, mult, step, daily_parts, day_parts, orphan_parts
                )
                for col in raw.columns:
                    if str(col).startswith("open_time."):
                        if col not in extra:
                            extra.append(col)
                        if raw[col].notna().any():
                            filled.add(col)
                if options.progress is not None:
                    options.progress(min(stream_position(fh), size), size)
        except pd.errors.ParserError as exc:
            m = re.search(r"line (\d+)", str(exc))
            raise ValidationError(
                f"malformed CSV: {exc}; every line needs the header's fields",
                path=str(path),
                line=int(m.group(1)) if m else None,
            ) from exc
        except pd.errors.EmptyDataError:
            raise ValidationError(
                "the file is empty; re-export it with a header line and data rows",
                path=str(path),
            ) from None
    if rows == 0:
        raise ValidationError(
            "the file has a header but no data rows; re-export it with its data",
            path=str(path),
            line=2,
        )
    if extra:
        notes.append(
            f"ignored {len(extra)} repeated open_time column(s)"
            + (f" ({len(filled)} not empty)" if filled else " (empty)")
        )
    if step is None:
        out = pd.concat(daily_parts, ignore_index=True)
    else:
        out, day_notes = _days_from_candles(day_parts, orphan_parts, asset, mult, step)
        notes.extend(day_notes)
    notes.insert(
        0,
        f"asset {asset} from the file name; volume_usd = quote_asset_volume (USDT)"
        + (f"; read in chunks of {CHUNK_ROWS:,} lines" if rows > CHUNK_ROWS else ""),
    )
    if mult != 1:
        notes.append(f"prices per {mult:,.0f} tokens divided by {mult:,.0f}")
    return ReadResult(
        tables={"prices": out},
        notes=notes,
        rows_read=rows,
        columns={"prices": {"date": "open_time", "volume_usd": "quote_asset_volume"}},
    )


def _chunk_columns(raw: pd.DataFrame, path: Path, delim: str) -> pd.DataFrame:
    """One chunk's columns as :func:`read_csv_text` gives them: header names trimmed
    and matched case-insensitively, decimal commas read, too many fields refused."""
    if not isinstance(raw.index, pd.RangeIndex):
        raise ValidationError(
            f"a line has more fields than the header's {raw.shape[1]}; every line needs "
            "exactly the header's fields (check for stray commas or a wrong delimiter)",
            path=str(path),
        )
    raw = canonical_columns(raw, _BINANCE_ALL)
    return decimal_commas(raw) if delim != "," else raw


def _binance_chunk(
    raw: pd.DataFrame,
    path: Path,
    headerless: bool,
    asset: str,
    mult: float,
    step: float | None,
    daily_parts: list[pd.DataFrame],
    day_parts: list[pd.DataFrame],
    orphan_parts: list[pd.DataFrame],
) -> int:
    """Parse one chunk; append its daily rows or per-day aggregates. Returns data rows."""
    raw[LINE_COL] = pd.array(raw.index.to_numpy() + (1 if headerless else 2), dtype="Int64")
    raw = raw[raw.drop(columns=[LINE_COL]).notna().any(axis=1)]
    if raw.empty:
        return 0
    missing = [c for c in _BINANCE if c not in raw.columns]
    if missing:
        raise FormatError(f"missing column(s) {missing}", path=str(path), line=1)
    unit = _epoch_unit(raw["open_time"])
    ts = to_timestamp(raw, "open_time", unit=unit, daily=step is None)
    o = to_number(raw, "open") / mult
    h = to_number(raw, "high") / mult
    lo = to_number(raw, "low") / mult
    c = to_number(raw, "close") / mult
    q = to_number(raw, "quote_asset_volume")
    if step is None:
        out = pd.DataFrame(
            {
                "asset_id": asset,
                "date": ts,
                "open": o,
                "high": h,
                "low": lo,
                "close": c,
                "volume_usd": q,
            },
            index=raw.index,
        )
        daily_parts.append(carry_flags(raw, out))
        return len(raw)
    _check_candles(raw, o, h, lo, c, q)
    day_parts.append(_day_aggregate(raw, ts, o, h, lo, c, q))
    orphans = raw[ts.isna().to_numpy()]
    if not orphans.empty:  # a candle whose time cannot be read: its own (bad) row
        orphan_parts.append(
            carry_flags(
                orphans,
                pd.DataFrame(
                    {"asset_id": asset, "date": pd.NaT, "close": np.nan}, index=orphans.index
                ),
            )
        )
    return len(raw)


def _days_from_candles(
    day_parts: list[pd.DataFrame],
    orphan_parts: list[pd.DataFrame],
    asset: str,
    mult: float,
    step: float,
) -> tuple[pd.DataFrame, list[str]]:
    """Daily rows from the chunks' per-day aggregates (see :func:`_read_binance`)."""
    days = _combine_days(day_parts)
    notes: list[str] = []
    per_day = round(_DAY_MS / step)
    minutes = step / 60_000
    length = f"{minutes:g}m" if minutes < 60 else f"{minutes / 60:g}h"
    if not days.empty:
        short = days["n"].fillna(0) < per_day
        ends = [days.index.min(), days.index.max()]
        cut = [d for d in ends if short.get(d, False) and pd.isna(days.loc[d, "err"])]
        if cut:
            days = days.drop(index=cut)
            notes.append(
                f"dropped the incomplete first/last day(s) {', '.join(str(d.date()) for d in cut)}"
                f" (fewer than the {per_day:,} {length} candles of a full day)"
            )
        gaps = int((days["n"].fillna(0) < per_day).sum())
        if gaps:
            notes.append(
                f"{gaps:,} day(s) have missing {length} candles (built from those present)"
            )
        notes.insert(
            0,
            f"{int(days['n'].sum()):,} {length} candles summed into {len(days):,} UTC day(s)",
        )
    out = pd.DataFrame(
        {
            "asset_id": asset,
            "date": days.index,
            "open": days["open"].to_numpy(),
            "high": days["high"].to_numpy(),
            "low": days["low"].to_numpy(),
            "close": days["close"].to_numpy(),
            "volume_usd": days["vol"].to_numpy(),
            LINE_COL: pd.array(days["errline"].fillna(days["line"]).to_numpy(), dtype="Int64")
            if len(days)
            else pd.array([], dtype="Int64"),
            ERROR_COL: days["err"].to_numpy(dtype=object) if len(days) else [],
            ERRCOL_COL: days["errcol"].to_numpy(dtype=object) if len(days) else [],
        }
    )
    frames = [out, *orphan_parts]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else out, notes


# ---------------------------------------------------------------------- plain / Yahoo OHLCV
_OHLCV = ["date", "open", "high", "low", "close", "volume"]
_ADJ = ("adj close", "adj_close", "adjclose")
_QUOTE_VOLUME = (
    "quote_asset_volume",
    "quote_volume",
    "quote_vol",
    "volume_quote",
    "volume_usd",
    "volume_usdt",
    "turnover",
)
"""Names of a quote (USD/USDT) volume column beside a base-unit ``volume``."""
_EXCHANGE_PAIR = re.compile(r"^[A-Z0-9]+?(USDT|USDC|BUSD|FDUSD)$")
_YAHOO_PAIR = re.compile(r"^[A-Z0-9]{2,}[-_]USD$")


def _detect_ohlcv(path: Path, head: str) -> bool:
    keys = header_keys(head)
    return (
        set(_OHLCV) <= set(keys)
        and set(keys) <= {*_OHLCV, *_ADJ, *_QUOTE_VOLUME}
        and len([k for k in keys if k in _QUOTE_VOLUME]) <= 1
        and len(keys) == len(set(keys))
        and _has_weekends(head) is True
    )


def _ohlcv_documented_unit(path: Path, columns: list[str]) -> tuple[str | None, str]:
    """The volume unit the file's layout documents, if any (see :func:`decide_volume_unit`)."""
    stem = _plain_stem(path).upper()
    if any(c.lower() in _ADJ for c in columns) or _YAHOO_PAIR.match(stem):
        return "quote", "Yahoo Finance layout: crypto pairs' Volume is in USD"
    if _EXCHANGE_PAIR.match(stem):
        return "base", f"exchange pair {stem}: kline volume counts units of the asset"
    return None, ""


def store_reference(
    options: ReadOptions, asset: str, dates: pd.Series
) -> tuple[pd.Series | None, pd.Series | None]:
    """Other sources' USD volume and market cap for ``asset`` on ``dates`` (aligned to
    the rows), from ``options.reference``; ``(None, None)`` without one."""
    if options.reference is None:
        return None, None
    ref = options.reference(asset)
    if ref is None or ref.empty:
        return None, None
    days = pd.DatetimeIndex(dates)
    vol = ref["volume_usd"].reindex(days) if "volume_usd" in ref else None
    mcap = ref["market_cap"].reindex(days) if "market_cap" in ref else None
    return (
        None if vol is None else pd.Series(vol.to_numpy(dtype="float64"), index=dates.index),
        None if mcap is None else pd.Series(mcap.to_numpy(dtype="float64"), index=dates.index),
    )


def _read_ohlcv(path: Path, options: ReadOptions) -> ReadResult:
    """Daily OHLCV of one crypto asset with weekend rows, any column order, any
    header case, with or without Yahoo's ``Adj Close`` (ignored: for crypto it
    equals Close) and with or without a quote-volume column (``quote_volume``,
    ``quote_asset_volume``, ``turnover``, ...). The asset comes from the file name
    (``BTCUSDT``, ``BTC-USD``, ``btc_daily``) or ``--asset``. With a quote-volume
    column, ``volume_usd`` is that column once :func:`check_volume_pair` confirms
    the pair; otherwise the volume unit comes from :func:`decide_volume_unit`."""
    raw = read_csv_text(path, required=_OHLCV, optional=["adj close", *_QUOTE_VOLUME])
    asset, mult = _asset_from_name(path)
    if options.asset:
        asset, mult = options.asset.upper(), 1.0
    close = to_number(raw, "close") / mult
    volume = to_number(raw, "volume")
    dates = to_date(raw, "date")
    quote_col = next((c for c in _QUOTE_VOLUME if c in raw.columns), None)
    if quote_col is not None:
        quote = to_number(raw, quote_col)
        reason = check_volume_pair(
            volume,
            quote,
            to_number(raw, "low"),
            to_number(raw, "high"),
            path=path,
            base_column="volume",
            quote_column=quote_col,
            dates=dates,
        )
        volume_usd = quote
        unit = "quote"
        vol_col = quote_col
    else:
        documented, why = _ohlcv_documented_unit(path, list(raw.columns))
        ref_vol, ref_mcap = store_reference(options, asset, dates)
        unit, reason = decide_volume_unit(
            volume,
            close * mult,  # the quoted (per-contract) price: volume counts contracts
            path=path,
            column="volume",
            declared=options.volume_unit,
            documented=documented,
            documented_why=why,
            reference_volume=ref_vol,
            reference_market_cap=ref_mcap,
            dates=dates,
        )
        volume_usd = _volume_usd(raw, volume, close * mult, unit, "volume")
        vol_col = "volume"
    out = pd.DataFrame(
        {
            "asset_id": asset,
            "date": dates,
            "open": to_number(raw, "open") / mult,
            "high": to_number(raw, "high") / mult,
            "low": to_number(raw, "low") / mult,
            "close": close,
            "volume_usd": volume_usd,
        },
        index=raw.index,
    )
    notes = [
        f"asset {asset} from the file name (pass --asset to override); {reason}"
        + ("; volume_usd = volume x close (approximation)" if unit == "base" else "")
        + (f"; volume_usd = {quote_col}" if quote_col else "")
    ]
    return ReadResult(
        tables={"prices": carry_flags(raw, out)},
        notes=notes,
        rows_read=len(raw),
        columns={"prices": {"volume_usd": vol_col}},
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
