"""Readers for Deribit option-chain snapshots in four CSV layouts.

Units in the store: ``strike`` and ``underlying_price`` in USD,
``mark_price`` in units of the underlying (Deribit options are inverse),
``open_interest`` and ``volume`` in contracts (= underlying units),
``mark_iv`` as a decimal (the files' percentages are divided by 100),
``expiry`` at 08:00 UTC on the expiry day (Deribit's settlement time).

``snapshot_ts`` (the key of a chain)
------------------------------------
``--snapshot-ts`` always wins. Without it each layout derives one time for
the whole file, stated in the import notes:

* ``deribit_heston`` (``expiry_date, T_years, S0, market_price_btc``):
  expiry - ``T_years`` x 365 days, the median over rows, rounded to the
  minute (T is ACT/365 time to the 08:00 UTC expiry). Checked on the
  GitHubAvailable/heston-bitcoin-pricing chain: with 365-day years the 11
  expiries (6DEC25 .. 25SEP26) each give 2025-12-05 01:08-01:13 UTC (the
  spread is T's 5-decimal rounding, 0.00001 y = 5.3 min), 5 minutes before
  the file's commit (2025-12-05 01:15 UTC); 365.25-day years would drift
  from 01:09 for the first expiry to 20:19 the day before for the last, so
  they are not the file's convention. The snapshot is 2025-12-05 01:10 UTC;
  data/real SOURCES.md's "about 2025-12-04 23:10 UTC" is two hours early.
* ``deribit_summary`` (``creation_timestamp`` of ``get_book_summary``): the
  newest ``creation_timestamp``, floored to the minute;
* ``deribit_instruments`` and ``deribit_quotes`` (only instrument creation
  times): the newest creation time, floored to the minute. This is a lower
  bound on the real snapshot time; pass ``--snapshot-ts`` when you know it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from altseason.exceptions import FormatError
from altseason.sources._validate import flag, to_number, to_timestamp
from altseason.sources.files._base import (
    Reader,
    ReadOptions,
    ReadResult,
    has_columns,
    header_keys,
    read_csv_text,
)
from altseason.sources.files._prices import carry_flags

__all__ = ["OPTION_READERS", "deribit_instrument"]

_VENUE = "deribit"
_SETTLE = pd.Timedelta(hours=8)


def deribit_instrument(
    underlying: str, expiry: pd.Series, strike: pd.Series, kind: pd.Series
) -> pd.Series:
    """Deribit instrument names, e.g. ``BTC-6DEC25-80000-C``."""
    day = expiry.dt.day.astype("Int64").astype(str)
    mon = expiry.dt.strftime("%b%y").str.upper()
    k = strike.map(lambda v: f"{v:.0f}" if pd.notna(v) and float(v).is_integer() else f"{v:g}")
    return underlying + "-" + day + mon + "-" + k + "-" + kind


def _kind(raw: pd.DataFrame, col: str) -> pd.Series:
    text = raw[col].astype("string").str.strip().str.upper()
    kind = text.str[0].where(text.isin(["C", "P", "CALL", "PUT"]))
    flag(
        raw,
        (kind.isna() & text.notna()).to_numpy(),
        "option type must be call/put or C/P; fix the value",
        col,
    )
    return kind.astype(object)


def _expiry_code(raw: pd.DataFrame, col: str) -> pd.Series:
    """``6DEC25`` -> 2025-12-06 08:00 UTC."""
    day = to_timestamp(raw, col, fmt="%d%b%y")
    return day + _SETTLE


def _snapshot(
    options: ReadOptions, derived: pd.Timestamp | None, rule: str, path: Path
) -> tuple[pd.Timestamp, str]:
    if options.snapshot_ts is not None:
        ts = pd.Timestamp(options.snapshot_ts)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts, f"snapshot_ts {ts} UTC from --snapshot-ts"
    if derived is None or pd.isna(derived):
        raise FormatError(
            "cannot derive the snapshot time; pass --snapshot-ts 'YYYY-MM-DD HH:MM' (UTC)",
            path=str(path),
        )
    return derived, f"snapshot_ts {derived} UTC derived from {rule}; --snapshot-ts overrides"


def _frame(
    raw: pd.DataFrame,
    *,
    snapshot: pd.Timestamp,
    instrument: pd.Series,
    underlying: pd.Series | str,
    expiry: pd.Series,
    strike: pd.Series,
    kind: pd.Series,
    open_interest: pd.Series | float,
    mark_iv: pd.Series | float,
    underlying_price: pd.Series,
    mark_price: pd.Series,
    volume: pd.Series | float = np.nan,
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "snapshot_ts": snapshot,
            "venue": _VENUE,
            "instrument": instrument.astype(object),
            "underlying": underlying,
            "expiry": expiry,
            "strike": strike,
            "kind": kind,
            "open_interest": open_interest,
            "mark_iv": mark_iv,
            "underlying_price": underlying_price,
            "mark_price": mark_price,
            "volume": volume,
        },
        index=raw.index,
    )
    out["snapshot_ts"] = out["snapshot_ts"].astype("datetime64[ns]")
    return carry_flags(raw, out)


def _underlying_from_name(path: Path, options: ReadOptions) -> str:
    if options.asset:
        return options.asset.upper()
    stem = path.stem.lower()
    for token, u in (("btc", "BTC"), ("eth", "ETH"), ("sol", "SOL")):
        if stem.startswith(token) or f"_{token}_" in stem or stem.endswith(f"_{token}"):
            return u
    raise FormatError(
        "cannot tell the underlying from the file; pass --asset BTC (or ETH)", path=str(path)
    )


# ---------------------------------------------------------------------- heston layout
_HESTON = ["instrument_name", "type", "expiry_date", "strike", "T_years", "S0", "market_price_btc"]


def _detect_heston(path: Path, head: str) -> bool:
    return has_columns(head, _HESTON)


def _read_heston(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=[*_HESTON, "mark_iv", "open_interest"])
    expiry = _expiry_code(raw, "expiry_date")
    t_years = to_number(raw, "T_years")
    t_years = t_years.where(t_years.abs() <= 100)  # an absurd maturity cannot date the snapshot
    derived = (expiry - pd.to_timedelta(t_years * 365, unit="D")).median()
    derived = derived.round("min") if pd.notna(derived) else None
    snap, note = _snapshot(options, derived, "expiry - T_years (ACT/365), median", path)
    names = raw["instrument_name"].astype("string").str.strip()
    out = _frame(
        raw,
        snapshot=snap,
        instrument=names,
        underlying=names.str.split("-").str[0].astype(object),
        expiry=expiry,
        strike=to_number(raw, "strike"),
        kind=_kind(raw, "type"),
        open_interest=to_number(raw, "open_interest"),
        mark_iv=to_number(raw, "mark_iv") / 100.0,
        underlying_price=to_number(raw, "S0"),
        mark_price=to_number(raw, "market_price_btc"),
    )
    return ReadResult(
        tables={"options": out},
        notes=[note, "mark_iv percent -> decimal; underlying_price = S0"],
        rows_read=len(raw),
        columns={
            "options": {"kind": "type", "underlying_price": "S0", "mark_price": "market_price_btc"}
        },
    )


# ---------------------------------------------------------------------- instruments + ticker
_INSTR = [
    "instrument_name",
    "type",
    "strike",
    "expiration_timestamp",
    "creation_timestamp",
    "mark_price",
    "underlying_price",
    "mark_iv",
    "open_interest",
]


def _detect_instruments(path: Path, head: str) -> bool:
    return has_columns(head, _INSTR)


def _read_instruments(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_INSTR, optional=["currency", "volume"])
    created = to_timestamp(raw, "creation_timestamp", unit="ms")
    derived = created.max()
    snap, note = _snapshot(
        options,
        derived.floor("min") if pd.notna(derived) else None,
        "the newest instrument creation time (a lower bound)",
        path,
    )
    names = raw["instrument_name"].astype("string").str.strip()
    under = (
        raw["currency"].astype("string").str.strip().str.upper()
        if "currency" in raw.columns
        else names.str.split("-").str[0]
    )
    out = _frame(
        raw,
        snapshot=snap,
        instrument=names,
        underlying=under.astype(object),
        expiry=to_timestamp(raw, "expiration_timestamp", unit="ms"),
        strike=to_number(raw, "strike"),
        kind=_kind(raw, "type"),
        open_interest=to_number(raw, "open_interest"),
        mark_iv=to_number(raw, "mark_iv") / 100.0,
        underlying_price=to_number(raw, "underlying_price"),
        mark_price=to_number(raw, "mark_price"),
        volume=to_number(raw, "volume") if "volume" in raw.columns else np.nan,
    )
    return ReadResult(
        tables={"options": out},
        notes=[note, "mark_iv percent -> decimal"],
        rows_read=len(raw),
        columns={"options": {"kind": "type", "expiry": "expiration_timestamp"}},
    )


# ---------------------------------------------------------------------- book summary
_SUMMARY = [
    "instrument_name",
    "expire_date",
    "strike_price",
    "option_type",
    "creation_timestamp",
    "underlying_price",
    "mark_price",
    "open_interest",
]


def _detect_summary(path: Path, head: str) -> bool:
    return has_columns(head, _SUMMARY)


def _read_summary(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_SUMMARY, optional=["base_currency", "mark_iv", "volume"])
    created = to_timestamp(raw, "creation_timestamp", unit="ms")
    derived = created.max()
    snap, note = _snapshot(
        options,
        derived.floor("min") if pd.notna(derived) else None,
        "the newest book-summary creation_timestamp",
        path,
    )
    names = raw["instrument_name"].astype("string").str.strip()
    under = (
        raw["base_currency"].astype("string").str.strip().str.upper()
        if "base_currency" in raw.columns
        else names.str.split("-").str[0]
    )
    out = _frame(
        raw,
        snapshot=snap,
        instrument=names,
        underlying=under.astype(object),
        expiry=_expiry_code(raw, "expire_date"),
        strike=to_number(raw, "strike_price"),
        kind=_kind(raw, "option_type"),
        open_interest=to_number(raw, "open_interest"),
        mark_iv=to_number(raw, "mark_iv") / 100.0 if "mark_iv" in raw.columns else np.nan,
        underlying_price=to_number(raw, "underlying_price"),
        mark_price=to_number(raw, "mark_price"),
        volume=to_number(raw, "volume") if "volume" in raw.columns else np.nan,
    )
    notes = [note]
    if "mark_iv" not in raw.columns:
        notes.append("no mark_iv column: implied vol left empty")
    return ReadResult(
        tables={"options": out},
        notes=notes,
        rows_read=len(raw),
        columns={
            "options": {"kind": "option_type", "strike": "strike_price", "expiry": "expire_date"}
        },
    )


# ---------------------------------------------------------------------- quotes without OI
_QUOTES = ["option_type", "strike", "creation", "maturity", "mark_price", "mark_iv", "index_price"]


def _detect_quotes(path: Path, head: str) -> bool:
    return has_columns(head, _QUOTES) and "instrument_name" not in header_keys(head)


def _read_quotes(path: Path, options: ReadOptions) -> ReadResult:
    """Quotes without instrument names or open interest (``btc_options.csv``).

    The underlying comes from the file name (``btc_``/``eth_``) or ``--asset``;
    instrument names are rebuilt in Deribit's form from maturity, strike and type.
    """
    raw = read_csv_text(path, required=_QUOTES)
    under = _underlying_from_name(path, options)
    created = to_timestamp(raw, "creation")
    derived = created.max()
    snap, note = _snapshot(
        options,
        derived.floor("min") if pd.notna(derived) else None,
        "the newest creation time (a lower bound)",
        path,
    )
    expiry = to_timestamp(raw, "maturity")
    strike = to_number(raw, "strike")
    kind = _kind(raw, "option_type")
    out = _frame(
        raw,
        snapshot=snap,
        instrument=deribit_instrument(under, expiry, strike, kind.fillna("?")),
        underlying=under,
        expiry=expiry,
        strike=strike,
        kind=kind,
        open_interest=np.nan,
        mark_iv=to_number(raw, "mark_iv") / 100.0,
        underlying_price=to_number(raw, "index_price"),
        mark_price=to_number(raw, "mark_price"),
    )
    return ReadResult(
        tables={"options": out},
        notes=[note, f"underlying {under} from the file name; no open interest in this file"],
        rows_read=len(raw),
        columns={
            "options": {
                "kind": "option_type",
                "expiry": "maturity",
                "underlying_price": "index_price",
            }
        },
    )


OPTION_READERS = (
    Reader(
        "deribit_heston",
        "Deribit chain with expiry_date, T_years, S0, market_price_btc",
        _detect_heston,
        _read_heston,
    ),
    Reader(
        "deribit_instruments",
        "Deribit instruments + ticker (expiration_timestamp, greeks)",
        _detect_instruments,
        _read_instruments,
    ),
    Reader(
        "deribit_summary",
        "Deribit book summary (expire_date, strike_price, option_type)",
        _detect_summary,
        _read_summary,
    ),
    Reader(
        "deribit_quotes",
        "Deribit quotes without OI (option_type,strike,creation,maturity,...)",
        _detect_quotes,
        _read_quotes,
    ),
)
