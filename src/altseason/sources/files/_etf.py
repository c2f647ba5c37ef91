"""Readers for spot-ETF flow files: Farside tables (wide, long, totals), the
Farside "11 Jan 2024" totals export, and by-fund JSON (kittycapital).

Units: the files give US$ millions; the store holds ``flow_usd`` in USD
(x 1e6). Each fund's underlying comes from the fund ticker (IBIT -> BTC,
ETHA -> ETH, BSOL -> SOL, ...); a table naming no fund takes ``--asset`` or
the file name (``bitcoin``/``btc``, ``ethereum``/``eth``, ``solana``/``sol``).

Totals
------
A file's daily total is stored as fund ``TOTAL-<UNDERLYING>`` (e.g.
``TOTAL-BTC``), beside the per-fund rows. Sum per-fund flows *excluding*
funds starting with ``TOTAL-`` (see :func:`is_total_fund`), or read the
total row directly; never add both.

Non-trading days
----------------
Farside tables list calendar days and write 0.0 for every fund on weekends,
US market holidays and days not yet published. A date on which every value
in the file (all funds and the total) is exactly 0 is **not stored** when it
is a weekend day or NYSE holiday (:func:`nyse_holidays`), or one of the
all-zero days at the very end of the file (placeholders for days not yet
published, e.g. a last day of 0). An all-zero *trading* day elsewhere is kept
as a real zero flow. Every drop is counted in the notes; non-zero flows dated
on a closed day are kept and warned about.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from altseason.exceptions import FormatError
from altseason.sources._validate import LINE_COL, to_date, to_number
from altseason.sources.files._base import (
    Reader,
    ReadOptions,
    ReadResult,
    head_rows,
    header_fields,
    header_keys,
    read_csv_text,
)
from altseason.sources.files._open import check_import_size
from altseason.sources.files._prices import carry_flags

__all__ = [
    "ETF_READERS",
    "FUND_UNDERLYING",
    "TOTAL_PREFIX",
    "is_total_fund",
    "nyse_holidays",
    "total_fund",
]

TOTAL_PREFIX = "TOTAL-"

FUND_UNDERLYING: dict[str, str] = {
    **dict.fromkeys(
        [
            "IBIT",
            "FBTC",
            "BITB",
            "ARKB",
            "BTCO",
            "EZBC",
            "BRRR",
            "HODL",
            "BTCW",
            "GBTC",
            "DEFI",
            "MSBT",
            "BTC",
        ],
        "BTC",
    ),
    **dict.fromkeys(
        ["ETHA", "ETHB", "FETH", "ETHW", "TETH", "ETHV", "QETH", "EZET", "ETHE", "ETH"], "ETH"
    ),
    **dict.fromkeys(["BSOL", "VSOL", "FSOL", "TSOL", "SOEZ", "GSOL"], "SOL"),
}
"""Known US spot ETF tickers and their underlying asset id."""

_NAME_HINTS = (
    (re.compile(r"bitcoin|(^|[^a-z])btc", re.I), "BTC"),
    (re.compile(r"ethereum|ether|(^|[^a-z])eth", re.I), "ETH"),
    (re.compile(r"solana|(^|[^a-z])sol", re.I), "SOL"),
)


def total_fund(underlying: str) -> str:
    """The fund id that holds a file's daily total: ``TOTAL-BTC``."""
    return f"{TOTAL_PREFIX}{underlying.upper()}"


def is_total_fund(fund: str) -> bool:
    """True for the ``TOTAL-<UNDERLYING>`` rows (not a fund; do not add to fund sums)."""
    return fund.upper().startswith(TOTAL_PREFIX)


def _underlying_from(path: Path, text: str, options: ReadOptions) -> str:
    if options.asset:
        return options.asset.upper()
    for rx, u in _NAME_HINTS:
        if rx.search(text):
            return u
    for rx, u in _NAME_HINTS:
        if rx.search(path.stem):
            return u
    raise FormatError(
        "cannot tell which asset these ETF totals are for; pass --asset BTC (or ETH, SOL)",
        path=str(path),
    )


def _underlying_of_funds(funds: list[str], path: Path, options: ReadOptions) -> str:
    votes = pd.Series([FUND_UNDERLYING.get(f.upper()) for f in funds]).dropna()
    if options.asset:
        return options.asset.upper()
    if votes.empty:
        return _underlying_from(path, "", options)
    return str(votes.value_counts().index[0])


def nyse_holidays(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """NYSE full-day closures between ``start`` and ``end`` (US spot ETFs do not trade).

    New Year's Day (Sunday -> Monday), Martin Luther King Jr. Day, Presidents'
    Day, Good Friday, Memorial Day, Juneteenth (from 2022), Independence Day,
    Labor Day, Thanksgiving and Christmas (nearest weekday), plus the
    2025-01-09 national day of mourning.
    """
    from pandas.tseries.holiday import (
        AbstractHolidayCalendar,
        GoodFriday,
        Holiday,
        USLaborDay,
        USMartinLutherKingJr,
        USMemorialDay,
        USPresidentsDay,
        USThanksgivingDay,
        nearest_workday,
        sunday_to_monday,
    )

    class _NYSE(AbstractHolidayCalendar):
        rules = [  # noqa: RUF012 - pandas' calendar API uses a class attribute
            Holiday("New Year", month=1, day=1, observance=sunday_to_monday),
            USMartinLutherKingJr,
            USPresidentsDay,
            GoodFriday,
            USMemorialDay,
            Holiday(
                "Juneteenth", month=6, day=19, start_date="2022-01-01", observance=nearest_workday
            ),
            Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
            USLaborDay,
            USThanksgivingDay,
            Holiday("Christmas", month=12, day=25, observance=nearest_workday),
        ]

    days = _NYSE().holidays(start, end)
    extra = pd.DatetimeIndex(["2025-01-09"])
    return days.union(extra[(extra >= start) & (extra <= end)])


def _drop_zero_days(long: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Drop all-zero non-trading days and trailing placeholders (see the module notes)."""
    valid = long["date"].notna()
    if not valid.any():
        return long
    by_day = long[valid].groupby("date")["flow_usd"]
    zero = by_day.apply(lambda v: bool((v.fillna(0) == 0).all()))
    days = pd.DatetimeIndex(zero.index)
    closed = (days.day_of_week >= 5) | days.isin(nyse_holidays(days.min(), days.max()))
    # trailing all-zero days: not yet published
    trailing = np.zeros(len(days), dtype=bool)
    for k in range(len(days) - 1, -1, -1):
        if not zero.iloc[k]:
            break
        trailing[k] = True
    drop = zero.to_numpy() & (closed | trailing)
    kept_zero = int((zero.to_numpy() & ~drop).sum())
    open_flows = days[~zero.to_numpy() & closed]
    if drop.any():
        n_closed = int((zero.to_numpy() & closed).sum())
        parts = [f"dropped {int(drop.sum()):,} all-zero day(s): {n_closed:,} weekend/US-holiday"]
        if trailing.any():
            parts.append(
                f"{int(trailing.sum())} trailing placeholder(s) from {days[trailing][0].date()}"
            )
        notes.append(", ".join(parts) + " (a 0 on a day without trading is not a flow)")
        long = long[~long["date"].isin(days[drop])]
    if kept_zero:
        notes.append(f"kept {kept_zero:,} all-zero trading day(s) as real zero flows")
    if len(open_flows):
        notes.append(
            f"warning: non-zero flows dated on {len(open_flows)} weekend/US-holiday day(s) "
            f"(first {open_flows[0].date()}), kept as given"
        )
    return long


def _has_total(fields: list[str]) -> str | None:
    for f in fields:
        if f.strip().lower() == "total":
            return f
    return None


# ---------------------------------------------------------------------- wide
def _detect_wide(path: Path, head: str) -> bool:
    fields = header_fields(head)
    if len(fields) < 3 or fields[0].lower() not in ("date", "datetime"):
        return False
    funds = [f for f in fields[1:] if f.lower() != "total"]
    known = sum(f.upper() in FUND_UNDERLYING for f in funds)
    return known >= max(2, len(funds) // 2)


def _read_wide(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path)
    fields = [c for c in raw.columns if c != LINE_COL]
    date_col = fields[0]
    total_col = _has_total(fields)
    funds = [c for c in fields[1:] if c != total_col]
    under = _underlying_of_funds(funds, path, options)
    dates = to_date(raw, date_col)
    parts = []
    for col in [*funds, *([total_col] if total_col else [])]:
        values = to_number(raw, col, thousands=True)
        fund = total_fund(under) if col == total_col else col.upper()
        part = pd.DataFrame(
            {
                "date": dates,
                "fund": fund,
                "underlying": FUND_UNDERLYING.get(fund, under) if col != total_col else under,
                "flow_usd": values * 1e6,
            },
            index=raw.index,
        )
        parts.append(carry_flags(raw, part))
    long = pd.concat(parts, ignore_index=True)
    notes = [f"{len(funds)} funds ({under}); US$ millions converted to USD"]
    if total_col:
        per_day = long[~long["fund"].map(is_total_fund)].groupby("date")["flow_usd"].sum()
        # grouped: a repeated date (flagged as a duplicate key later) must not break the check
        tot = long[long["fund"].map(is_total_fund)].groupby("date")["flow_usd"].sum(min_count=1)
        diff = (per_day - tot.reindex(per_day.index)).abs() > 0.051e6
        if diff.any():
            notes.append(
                f"warning: on {int(diff.sum())} day(s) the funds do not sum to {total_col} "
                f"(first {diff[diff].index[0].date()}); both are stored as given"
            )
    long = _drop_zero_days(long, notes)
    return ReadResult(
        tables={"etf_flows": long},
        notes=notes,
        rows_read=len(raw),
        columns={"etf_flows": {"date": date_col, "flow_usd": "fund columns"}},
    )


# ---------------------------------------------------------------------- long
_LONG = ["date", "fund", "flow_usd_millions"]


def _detect_long(path: Path, head: str) -> bool:
    return header_keys(head)[:3] == _LONG


def _read_long(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_LONG)
    fund = raw["fund"].astype("string").str.strip().str.upper()
    under = _underlying_of_funds(fund.dropna().unique().tolist(), path, options)
    out = pd.DataFrame(
        {
            "date": to_date(raw, "date"),
            "fund": fund.astype(object),
            "underlying": fund.map(lambda f: FUND_UNDERLYING.get(f, under)).astype(object),
            "flow_usd": to_number(raw, "flow_usd_millions", thousands=True) * 1e6,
        },
        index=raw.index,
    )
    out = carry_flags(raw, out)
    notes = [f"{fund.nunique()} funds ({under}); US$ millions converted to USD"]
    out = _drop_zero_days(out, notes)
    return ReadResult(
        tables={"etf_flows": out},
        notes=notes,
        rows_read=len(raw),
        columns={"etf_flows": {"flow_usd": "flow_usd_millions"}},
    )


# ---------------------------------------------------------------------- totals
_TOTALS = ["date", "total_usd_millions"]


def _detect_totals(path: Path, head: str) -> bool:
    return header_keys(head)[:2] == _TOTALS


def _read_totals(path: Path, options: ReadOptions) -> ReadResult:
    raw = read_csv_text(path, required=_TOTALS, optional=["cumulative_usd_millions"])
    under = _underlying_from(path, "", options)
    out = pd.DataFrame(
        {
            "date": to_date(raw, "date"),
            "fund": total_fund(under),
            "underlying": under,
            "flow_usd": to_number(raw, "total_usd_millions", thousands=True) * 1e6,
        },
        index=raw.index,
    )
    out = carry_flags(raw, out)
    notes = [
        f"daily totals stored as fund {total_fund(under)} (underlying from the file name; "
        "--asset overrides); cumulative column ignored (derivable)"
    ]
    out = _drop_zero_days(out, notes)
    return ReadResult(
        tables={"etf_flows": out},
        notes=notes,
        rows_read=len(raw),
        columns={"etf_flows": {"flow_usd": "total_usd_millions"}},
    )


# ---------------------------------------------------------------------- Date,Total tables
_DMY = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_FOOTERS = frozenset({"total", "average", "maximum", "minimum", "sum", "mean", "max", "min"})
_TOTAL_HEADER = re.compile(r"^total( ?\((us\$|usd) ?m(illions?)?\))?$")


def _detect_dmy_totals(path: Path, head: str) -> bool:
    keys = header_keys(head)
    if len(keys) != 2 or keys[0] not in ("date", "datetime") or not _TOTAL_HEADER.match(keys[1]):
        return False
    rows = head_rows(head, 5)
    first = rows[0][0].strip() if rows and rows[0] else ""
    return bool(_DMY.match(first) or _ISO.match(first))


def _read_dmy_totals(path: Path, options: ReadOptions) -> ReadResult:
    """Farside totals as exported from the web table: ``Date,Total`` (or
    ``Datetime,Total``) with ``"11 Jan 2024"`` dates or ISO dates/datetimes
    (``2025-01-02 00:00:00``), ``"1,205.20"`` numbers, any row order (often
    newest first) and footer rows (Total, Average, Maximum, Minimum), which
    are dropped with a note. A 0 total on a non-trading day or at the end is
    a placeholder and is dropped."""
    raw = read_csv_text(path)
    cols = [c for c in raw.columns if c != LINE_COL]
    date_col, total_col = cols[0], cols[1]
    label = raw[date_col].astype("string").str.strip()
    footer = label.str.lower().isin(list(_FOOTERS))
    n_footer = int(footer.sum())
    raw = raw[~footer.fillna(False)].reset_index(drop=True)
    under = _underlying_from(path, "", options)
    dmy = raw[date_col].astype("string").str.strip().str.match(_DMY.pattern).fillna(False)
    fmt = "%d %b %Y" if bool(dmy.mean() > 0.5) else None
    out = pd.DataFrame(
        {
            "date": to_date(raw, date_col, fmt=fmt),
            "fund": total_fund(under),
            "underlying": under,
            "flow_usd": to_number(raw, total_col, thousands=True) * 1e6,
        },
        index=raw.index,
    )
    out = carry_flags(raw, out)
    notes = [f"daily totals stored as fund {total_fund(under)}; US$ millions converted to USD"]
    if n_footer:
        notes.append(f"dropped {n_footer} footer row(s) (Total/Average/Maximum/Minimum)")
    out = _drop_zero_days(out, notes)
    return ReadResult(
        tables={"etf_flows": out},
        notes=notes,
        rows_read=len(raw) + n_footer,
        columns={"etf_flows": {"date": date_col, "flow_usd": total_col}},
    )


# ---------------------------------------------------------------------- by-fund JSON
def _detect_json(path: Path, head: str) -> bool:
    return head.lstrip().startswith("{") and '"daily_flows"' in head


def _read_json(path: Path, options: ReadOptions) -> ReadResult:
    """``{"metadata": {...}, "daily_flows": [{"date", "flows": {fund: US$m}, "total"}]}``.

    Per-fund values become fund rows, ``total`` a ``TOTAL-<U>`` row; a day
    with no per-fund values stores only its total. Days on which the funds
    do not sum to the total are counted in a warning.
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
    days = doc.get("daily_flows") if isinstance(doc, dict) else None
    if not isinstance(days, list):
        raise FormatError("expected an object with a 'daily_flows' list", path=str(path))
    meta = doc.get("metadata") or {}
    if not isinstance(meta, dict):
        raise FormatError("'metadata' is not an object", path=str(path))
    info = meta.get("etf_info") or {}
    funds_meta = list(info.keys()) if isinstance(info, dict) else []
    recs: list[tuple[object, str, object, int]] = []
    for i, day in enumerate(days):
        if not isinstance(day, dict):
            raise FormatError(f"daily_flows[{i}] is not an object", path=str(path))
        flows = day.get("flows") or {}
        if not isinstance(flows, dict):
            raise FormatError(f"daily_flows[{i}].flows is not an object", path=str(path))
        for fund, v in flows.items():
            recs.append((day.get("date"), str(fund).upper(), v, i))
        if "total" in day:
            recs.append((day.get("date"), "", day.get("total"), i))
    raw = pd.DataFrame(recs, columns=["date", "fund", "value", "record"])
    fund_names = [f for f in raw["fund"].unique().tolist() if f] or funds_meta
    under = _underlying_of_funds(fund_names, path, options)
    if not fund_names:
        under = _underlying_from(path, str(meta.get("description", "")), options)
    fund = raw["fund"].where(raw["fund"] != "", total_fund(under))
    value = to_number(raw, "value")
    out = pd.DataFrame(
        {
            "date": to_date(raw, "date"),
            "fund": fund,
            "underlying": fund.map(lambda f: FUND_UNDERLYING.get(f, under)),
            "flow_usd": value * 1e6,
        },
        index=raw.index,
    )
    out = carry_flags(raw, out)
    is_tot = out["fund"].map(is_total_fund)
    per_day = out[~is_tot].groupby("date")["flow_usd"].sum()
    tot = out[is_tot].groupby("date")["flow_usd"].last()
    common = per_day.index.intersection(tot.index)
    mismatch = ((per_day[common] - tot[common]).abs() > 0.051e6).sum()
    only_total = len(tot.index.difference(per_day.index))
    notes = [f"{len(fund_names)} funds ({under}); US$ millions converted to USD"]
    if mismatch:
        notes.append(
            f"warning: on {int(mismatch)} day(s) the funds do not sum to the total; both are "
            "stored as given"
        )
    if only_total:
        notes.append(f"{only_total} day(s) carry only a total (no per-fund values)")
    out = _drop_zero_days(out, notes)
    return ReadResult(
        tables={"etf_flows": out},
        notes=notes,
        rows_read=len(days),
        columns={"etf_flows": {"flow_usd": "flows"}},
    )


ETF_READERS = (
    Reader(
        "farside_wide",
        "ETF flows, one column per fund (date,IBIT,FBTC,...,Total), US$m",
        _detect_wide,
        _read_wide,
    ),
    Reader(
        "farside_long", "ETF flows, long (date,fund,flow_usd_millions)", _detect_long, _read_long
    ),
    Reader(
        "farside_totals",
        "ETF daily totals (date,total_usd_millions,...)",
        _detect_totals,
        _read_totals,
    ),
    Reader(
        "farside_totals_dmy",
        "ETF totals table (Date,Total), '11 Jan 2024' or ISO dates, any order, footer rows",
        _detect_dmy_totals,
        _read_dmy_totals,
    ),
    Reader(
        "etf_flows_json",
        "ETF flows by fund, JSON ({daily_flows: [{date, flows, total}]})",
        _detect_json,
        _read_json,
    ),
)
