"""Readers for single-value daily series: FRED, Yahoo futures/ETFs (macro),
CryptoQuant and Coin Metrics exports (on-chain), Fear & Greed (sentiment),
and perpetual funding / open interest (funding).

Blank values are "no observation" (FRED marks gaps that way): the row is
skipped and counted in the notes, never stored as 0.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from altseason.sources._validate import LINE_COL, to_date, to_number, to_timestamp
from altseason.sources.files._base import (
    Reader,
    ReadOptions,
    ReadResult,
    header_fields,
    header_keys,
    read_csv_text,
    slugify,
)
from altseason.sources.files._prices import _has_weekends, carry_flags

__all__ = ["SERIES_READERS", "YAHOO_SERIES"]

YAHOO_SERIES: dict[str, str] = {
    "GC=F": "GOLD",
    "SI=F": "SILVER",
    "^GSPC": "SPX",
    "^IXIC": "NASDAQ",
    "^VIX": "VIX",
    "DX-Y.NYB": "DXY",
    "CL=F": "WTI",
    "HG=F": "COPPER",
}
"""Yahoo tickers stored under a friendlier macro series id; others keep their ticker."""

_CQ_METRICS: dict[str, str] = {
    "realized price": "realized_price_usd",
    "mvrv ratio": "mvrv",
    "net unrealized profit/loss (nupl)": "nupl",
    "nupl": "nupl",
    "realized cap": "realized_cap_usd",
    "sopr": "sopr",
}


def _skip_blank(raw: pd.DataFrame, values: pd.Series, notes: list[str], what: str) -> pd.Series:
    blank = values.isna() & raw.get("_error", pd.Series(None, index=raw.index)).isna()
    n = int(blank.sum())
    if n:
        notes.append(f"skipped {n:,} blank {what} value(s) (no observation)")
    return ~blank


def _single(raw: pd.DataFrame, keep: pd.Series, cols: dict[str, object]) -> pd.DataFrame:
    out = pd.DataFrame(cols, index=raw.index)
    out = carry_flags(raw, out)
    return out[keep.to_numpy()]


# ---------------------------------------------------------------------- FRED
_FRED_DATE = {"date", "observation_date"}
_SERIES_ID = re.compile(r"^[A-Z0-9_]{2,}$")


def _detect_fred(path: Path, head: str) -> bool:
    fields = header_fields(head)
    return (
        len(fields) == 2
        and fields[0].lower() in _FRED_DATE
        and (fields[1].lower() == "value" or bool(_SERIES_ID.match(fields[1])))
    )


def _read_fred(path: Path, options: ReadOptions) -> ReadResult:
    """FRED ``date,value`` (series id = file name) or ``DATE,<SERIES_ID>`` downloads."""
    raw = read_csv_text(path)
    date_col, val_col = [c for c in raw.columns if c != LINE_COL][:2]
    named = val_col.lower() == "value"
    series = path.stem.upper() if named else val_col
    notes = [f"series {series} ({'file name' if named else 'column name'})"]
    text = raw[val_col].astype("string").str.strip()
    raw[val_col] = text.where(text != ".")  # FRED writes '.' for a missing observation
    values = to_number(raw, val_col)
    keep = _skip_blank(raw, values, notes, series)
    out = _single(raw, keep, {"date": to_date(raw, date_col), "series_id": series, "value": values})
    return ReadResult(
        tables={"macro": out},
        notes=notes,
        rows_read=len(raw),
        columns={"macro": {"date": date_col, "value": val_col}},
    )


# ---------------------------------------------------------------------- Yahoo
_YAHOO = ["date", "open", "high", "low", "close"]


def _detect_yahoo(path: Path, head: str) -> bool:
    keys = header_keys(head)
    return (
        set(_YAHOO) <= set(keys)
        and set(keys) <= {*_YAHOO, "adj close", "adj_close", "adjclose", "volume"}
        and len(keys) == len(set(keys))
        and (_has_weekends(head) is False)
    )


def _read_yahoo(path: Path, options: ReadOptions) -> ReadResult:
    """Yahoo daily bars of a market ticker (no weekend rows): macro series = close.

    Series id: :data:`YAHOO_SERIES` for known tickers (GC=F -> GOLD,
    SI=F -> SILVER), else the file name upper-cased (SPY, GLD, ...).
    """
    raw = read_csv_text(path, required=_YAHOO)
    cols = {c: c for c in _YAHOO}
    ticker = path.stem.upper()
    series = options.asset.upper() if options.asset else YAHOO_SERIES.get(ticker, ticker)
    notes = [f"series {series} = daily close of {path.stem}"]
    values = to_number(raw, cols["close"])
    keep = _skip_blank(raw, values, notes, "close")
    out = _single(
        raw, keep, {"date": to_date(raw, cols["date"]), "series_id": series, "value": values}
    )
    return ReadResult(
        tables={"macro": out},
        notes=notes,
        rows_read=len(raw),
        columns={"macro": {"date": cols["date"], "value": cols["close"]}},
    )


# ---------------------------------------------------------------------- CryptoQuant
def _detect_cq(path: Path, head: str) -> bool:
    keys = header_keys(head)
    # "Datetime,Total" is a Farside ETF totals table, not an on-chain metric
    return len(keys) == 2 and keys[0] == "datetime" and not keys[1].startswith("total")


def _read_cq(path: Path, options: ReadOptions) -> ReadResult:
    """CryptoQuant chart export ``Datetime,<Metric>`` (often newest first).

    Metric ids: Realized Price -> ``realized_price_usd``, MVRV Ratio -> ``mvrv``,
    NUPL -> ``nupl``, others their slug. Asset BTC unless ``--asset``.
    """
    raw = read_csv_text(path)
    date_col, val_col = [c for c in raw.columns if c != LINE_COL][:2]
    metric = _CQ_METRICS.get(val_col.strip().lower(), slugify(val_col).replace("-", "_"))
    asset = (options.asset or "BTC").upper()
    notes = [f"metric {metric} for {asset}" + ("" if options.asset else " (assumed; --asset)")]
    dates = to_date(raw, date_col)
    if dates.is_monotonic_decreasing and len(dates) > 1:
        notes.append("rows are newest-first; stored by date")
    values = to_number(raw, val_col)
    keep = _skip_blank(raw, values, notes, metric)
    out = _single(raw, keep, {"date": dates, "asset_id": asset, "metric": metric, "value": values})
    return ReadResult(
        tables={"onchain": out},
        notes=notes,
        rows_read=len(raw),
        columns={"onchain": {"date": date_col, "value": val_col}},
    )


# ---------------------------------------------------------------------- Coin Metrics style
_CM = ["date", "mvrv", "market_cap", "price", "supply"]


def _detect_cm(path: Path, head: str) -> bool:
    return header_keys(head) == _CM


def _read_cm(path: Path, options: ReadOptions) -> ReadResult:
    """Daily ``date,mvrv,market_cap,price,supply`` (Coin Metrics community series).

    Stores ``mvrv``, ``market_cap_usd``, ``price_usd``, ``supply`` and the
    derived ``realized_cap_usd = market_cap / mvrv`` and
    ``realized_price_usd = realized_cap_usd / supply``. Blank cells are skipped.
    """
    raw = read_csv_text(path, required=_CM)
    asset = (options.asset or "BTC").upper()
    dates = to_date(raw, "date")
    mvrv = to_number(raw, "mvrv")
    mcap = to_number(raw, "market_cap")
    supply = to_number(raw, "supply")
    realized_cap = mcap / mvrv.where(mvrv > 0)
    metrics = {
        "mvrv": (mvrv, "mvrv"),
        "market_cap_usd": (mcap, "market_cap"),
        "price_usd": (to_number(raw, "price"), "price"),
        "supply": (supply, "supply"),
        "realized_cap_usd": (realized_cap, "market_cap"),
        "realized_price_usd": (realized_cap / supply.where(supply > 0), "market_cap"),
    }
    parts = []
    blanks = 0
    for metric, (vals, _) in metrics.items():
        part = pd.DataFrame(
            {"date": dates, "asset_id": asset, "metric": metric, "value": vals}, index=raw.index
        )
        part = carry_flags(raw, part)
        keep = vals.notna() | part["_error"].notna() if "_error" in part else vals.notna()
        blanks += int((~keep).sum())
        parts.append(part[keep.to_numpy()])
    out = pd.concat(parts, ignore_index=True)
    notes = [
        f"asset {asset}"
        + ("" if options.asset else " (assumed; --asset)")
        + "; realized_cap_usd = market_cap / mvrv, realized_price_usd = realized_cap / supply",
    ]
    if blanks:
        notes.append(f"skipped {blanks:,} blank metric value(s) (no observation)")
    return ReadResult(tables={"onchain": out}, notes=notes, rows_read=len(raw))


# ---------------------------------------------------------------------- Fear & Greed
def _detect_fng(path: Path, head: str) -> bool:
    fields = set(header_keys(head))
    return (
        "value" in fields
        and bool(fields & {"classification", "value_classification"})
        and bool(fields & {"date", "timestamp"})
    )


def _read_fng(path: Path, options: ReadOptions) -> ReadResult:
    """alternative.me Crypto Fear & Greed: ``index_id = fear_greed``, value 0-100, label."""
    raw = read_csv_text(
        path, optional=["value", "classification", "value_classification", "date", "timestamp"]
    )
    label_col = "classification" if "classification" in raw.columns else "value_classification"
    dates = (
        to_date(raw, "date")
        if "date" in raw.columns
        else to_timestamp(raw, "timestamp", unit="s", daily=True)
    )
    values = to_number(raw, "value")
    notes = ["index fear_greed (alternative.me), 0-100"]
    keep = _skip_blank(raw, values, notes, "fear_greed")
    out = _single(
        raw,
        keep,
        {
            "date": dates,
            "index_id": "fear_greed",
            "value": values,
            "label": raw[label_col].astype(object),
        },
    )
    return ReadResult(
        tables={"sentiment": out},
        notes=notes,
        rows_read=len(raw),
        columns={"sentiment": {"label": label_col}},
    )


# ---------------------------------------------------------------------- funding
def _detect_funding_daily(path: Path, head: str) -> bool:
    return header_keys(head) == ["date", "funding_rate"]


def _read_funding_daily(path: Path, options: ReadOptions) -> ReadResult:
    """``date,funding_rate``: one summed rate per day (Binance USDT perp).

    Stored with ``interval_hours = 24`` (the day's total of the 8-hour
    payments, which is what a 0.0003 typical value means), venue binance,
    instrument ``<ASSET>USDT``; asset BTC unless ``--asset``.
    """
    raw = read_csv_text(path, required=["date", "funding_rate"])
    asset = (options.asset or "BTC").upper()
    rate = to_number(raw, "funding_rate")
    notes = [
        f"binance {asset}USDT daily funding (24h total)"
        + ("" if options.asset else "; asset BTC assumed (--asset)")
    ]
    keep = _skip_blank(raw, rate, notes, "funding_rate")
    out = _single(
        raw,
        keep,
        {
            "ts": to_date(raw, "date"),
            "venue": "binance",
            "instrument": f"{asset}USDT",
            "asset_id": asset,
            "rate": rate,
            "interval_hours": 24.0,
        },
    )
    return ReadResult(
        tables={"funding": out},
        notes=notes,
        rows_read=len(raw),
        columns={"funding": {"ts": "date", "rate": "funding_rate"}},
    )


_COINALYZE = ["coin_symbol", "symbol", "date", "timestamp"]


def _detect_coinalyze_funding(path: Path, head: str) -> bool:
    fields = header_keys(head)
    return set(_COINALYZE) <= set(fields) and "funding_rate" in fields


def _detect_coinalyze_oi(path: Path, head: str) -> bool:
    fields = header_keys(head)
    return set(_COINALYZE) <= set(fields) and "oi_close" in fields


def _coinalyze_keys(raw: pd.DataFrame) -> dict[str, object]:
    return {
        "ts": to_timestamp(raw, "timestamp", unit="s", daily=True),
        "venue": "coinalyze",
        "instrument": raw["symbol"].astype("string").str.strip().astype(object),
        "asset_id": raw["coin_symbol"].astype("string").str.strip().str.upper().astype(object),
    }


def _read_coinalyze_funding(path: Path, options: ReadOptions) -> ReadResult:
    """Coinalyze daily funding history: the day's closing rate per 8-hour interval.

    Coinalyze quotes funding in percent (0.01 = 0.01 %), so ``rate`` =
    ``funding_rate`` / 100. Venue ``coinalyze``; the instrument is Coinalyze's
    symbol, whose suffix names the exchange (``BTCUSD_PERP.A``).
    """
    raw = read_csv_text(path, required=[*_COINALYZE, "funding_rate"])
    rate = to_number(raw, "funding_rate") / 100.0
    notes = ["Coinalyze funding: percent -> decimal per 8h interval (daily close)"]
    keep = _skip_blank(raw, rate, notes, "funding_rate")
    out = _single(raw, keep, {**_coinalyze_keys(raw), "rate": rate, "interval_hours": 8.0})
    return ReadResult(
        tables={"funding": out},
        notes=notes,
        rows_read=len(raw),
        columns={"funding": {"ts": "timestamp", "asset_id": "coin_symbol", "rate": "funding_rate"}},
    )


def _read_coinalyze_oi(path: Path, options: ReadOptions) -> ReadResult:
    """Coinalyze daily open interest in USD -> ``funding.open_interest_usd``.

    Rows share the funding table's key (day, ``coinalyze``, symbol); ``rate``
    stays empty unless a funding file fills it (imports fill empty columns
    without overwriting other sources' values).
    """
    raw = read_csv_text(path, required=[*_COINALYZE, "oi_close"])
    oi = to_number(raw, "oi_close")
    notes = ["Coinalyze open interest (USD, daily close) -> funding.open_interest_usd"]
    keep = _skip_blank(raw, oi, notes, "oi_close")
    out = _single(
        raw,
        keep,
        {**_coinalyze_keys(raw), "rate": np.nan, "interval_hours": np.nan, "open_interest_usd": oi},
    )
    return ReadResult(
        tables={"funding": out},
        notes=notes,
        rows_read=len(raw),
        columns={
            "funding": {
                "ts": "timestamp",
                "asset_id": "coin_symbol",
                "open_interest_usd": "oi_close",
            }
        },
    )


SERIES_READERS = (
    Reader(
        "fred_series",
        "FRED series (date,value with the id as file name, or DATE,<ID>)",
        _detect_fred,
        _read_fred,
    ),
    Reader(
        "yahoo_daily",
        "Yahoo daily bars of a market ticker, no weekends (Date,Open,...,Close)",
        _detect_yahoo,
        _read_yahoo,
    ),
    Reader("cryptoquant", "CryptoQuant chart export (Datetime,<Metric>)", _detect_cq, _read_cq),
    Reader(
        "coinmetrics_daily",
        "on-chain daily date,mvrv,market_cap,price,supply",
        _detect_cm,
        _read_cm,
    ),
    Reader(
        "fear_greed",
        "Crypto Fear & Greed index (date,timestamp,value,classification)",
        _detect_fng,
        _read_fng,
    ),
    Reader(
        "funding_daily",
        "daily perp funding (date,funding_rate)",
        _detect_funding_daily,
        _read_funding_daily,
    ),
    Reader(
        "coinalyze_funding",
        "Coinalyze funding history (coin_symbol,symbol,...,funding_rate)",
        _detect_coinalyze_funding,
        _read_coinalyze_funding,
    ),
    Reader(
        "coinalyze_oi",
        "Coinalyze open interest history (coin_symbol,symbol,...,oi_close)",
        _detect_coinalyze_oi,
        _read_coinalyze_oi,
    ),
)
