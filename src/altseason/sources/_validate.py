"""Validation applied to every file import before anything is written.

Readers turn a file into frames shaped like the store's tables (see
:mod:`altseason.store`), parsing cells with the helpers here so that a bad
cell marks its row instead of disappearing. :func:`validate_tables` then runs
the table-level checks and applies the ``on_error`` policy.

Checks
------
* **types**: numbers must parse (text in a numeric column is an error; a
  blank cell is "no value"), dates and timestamps must parse;
* **UTC**: timestamps carrying UTC offsets must carry them on every row and
  all the same offset (mixed or missing offsets are errors); daily rows must
  fall on a UTC calendar day;
* **required values**: the store's NOT NULL columns must be filled;
* **signs and units**: prices, strikes, volumes, market caps and open
  interest are positive (prices strictly); ``mark_iv`` is a decimal (a value
  above 10, i.e. 1,000 %, is taken for a percentage and rejected); warnings
  when ETF flows look like US$ millions or funding rates like percentages;
* **future dates**: a row dated after today (UTC) is an error (option expiries
  are exempt, snapshots are not);
* **domain rules**: the rules every ingest path obeys
  (:mod:`altseason.store._rules`: finite numbers, high >= low, bounded
  indices such as Fear & Greed 0-100 and IV in (0, 5], funding within a sane
  bound, no dates before the dataset's floor), here with file lines;
* **duplicate keys**: identical duplicates collapse into one row with a note;
  the same key with different values is an error naming both lines;
* **gaps and jumps** (daily price, on-chain and sentiment series): reported
  as ``warning:`` notes, never silently fixed.

``on_error="fail"`` raises :class:`~altseason.exceptions.ValidationError` for
the first problem (file, line, column, the fix) and nothing is written;
``on_error="reject"`` drops the bad rows into
:class:`~altseason.store.Reject` records with their reason and keeps the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError
from altseason.store import TABLES, Reject, utcnow
from altseason.store._rules import row_reasons

__all__ = [
    "ERRCOL_COL",
    "ERROR_COL",
    "LINE_COL",
    "PRIVATE_COLUMNS",
    "OnError",
    "check_on_error",
    "flag",
    "to_date",
    "to_number",
    "to_timestamp",
    "validate_tables",
]

OnError = Literal["fail", "reject"]

LINE_COL = "_line"
"""Private column: the 1-based line of the input file a row came from (header = line 1)."""
ERROR_COL = "_error"
"""Private column: why a row is bad (``None`` when it is fine)."""
ERRCOL_COL = "_errcol"
"""Private column: the input column the problem is in."""
PRIVATE_COLUMNS = (LINE_COL, ERROR_COL, ERRCOL_COL)

_OFFSET_RE = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})$"

# Columns that must be > 0, and columns that must be >= 0, per table.
_STRICTLY_POSITIVE: dict[str, tuple[str, ...]] = {
    "prices": ("open", "high", "low", "close"),
    "options": ("strike", "underlying_price"),
}
_NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "prices": ("volume_usd", "market_cap_usd"),
    "options": ("open_interest", "mark_iv", "mark_price", "volume"),
    "funding": ("open_interest_usd", "interval_hours"),
    "etf_flows": ("holdings_units", "aum_usd"),
}
_POSITIVE_METRICS = frozenset(
    {"mvrv", "realized_cap_usd", "realized_price_usd", "market_cap_usd", "supply", "price_usd"}
)
# Series checked for calendar-day gaps and absurd jumps: table -> (series key, value column).
_SERIES_CHECKS: dict[str, tuple[tuple[str, ...], str]] = {
    "prices": (("asset_id",), "close"),
    "onchain": (("asset_id", "metric"), "value"),
    "sentiment": (("index_id",), "value"),
}
_JUMP_UP = 5.0  # a day-on-day ratio above this (+400 %) is reported
_JUMP_DOWN = 0.2  # ... or below this (-80 %)
_MAX_IV = 10.0  # mark_iv above 1,000 % is a percentage, not a decimal


def check_on_error(on_error: str) -> OnError:
    """Return ``on_error`` if it is ``"fail"`` or ``"reject"``; raise otherwise."""
    if on_error not in ("fail", "reject"):
        raise ValidationError(f"on_error must be 'fail' or 'reject', not {on_error!r}.")
    return on_error  # type: ignore[return-value]


# ---------------------------------------------------------------------- row flags
def _ensure_flags(frame: pd.DataFrame) -> None:
    if ERROR_COL not in frame.columns:
        frame[ERROR_COL] = pd.Series(None, index=frame.index, dtype=object)
    if ERRCOL_COL not in frame.columns:
        frame[ERRCOL_COL] = pd.Series(None, index=frame.index, dtype=object)


def flag(
    frame: pd.DataFrame,
    mask: pd.Series | np.ndarray,
    reason: str | pd.Series,
    column: str | None,
) -> int:
    """Mark rows as bad (in place); a row keeps its first problem.

    Parameters
    ----------
    frame
        A reader's frame; gains the private ``_error`` / ``_errcol`` columns.
    mask
        Boolean, aligned with ``frame``: rows that fail the check.
    reason
        What is wrong and the fix, one string or one per row.
    column
        The input column the problem is in.

    Returns
    -------
    int
        Rows newly marked.
    """
    arr = np.asarray(mask, dtype=bool)
    _ensure_flags(frame)
    if not arr.any():
        return 0
    m = pd.Series(arr, index=frame.index)
    m &= frame[ERROR_COL].isna()
    n = int(m.sum())
    if n:
        if isinstance(reason, pd.Series):
            frame.loc[m, ERROR_COL] = reason[m].astype(object)
        else:
            frame.loc[m, ERROR_COL] = reason
        frame.loc[m, ERRCOL_COL] = column
    return n


# ---------------------------------------------------------------------- parsing
def to_number(
    frame: pd.DataFrame,
    column: str,
    *,
    thousands: bool = False,
    percent: bool = False,
) -> pd.Series:
    """Parse a text column as float64; text that is not a number marks its row.

    Blank cells become NaN ("no value") without a mark. ``thousands`` strips
    ``,`` separators ("1,205.20"); ``percent`` strips a trailing ``%``.
    Numbers already parsed pass through.
    """
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    text = raw.astype("string").str.strip()
    cleaned = text
    if thousands:
        cleaned = cleaned.str.replace(",", "", regex=False)
    if percent:
        cleaned = cleaned.str.removesuffix("%")
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    blank = text.isna() | (text == "")
    bad = values.isna() & ~blank
    if bad.any():
        reason = (
            "text "
            + text.fillna("").str.slice(0, 40).map(repr)
            + (" where a number is expected; fix or remove the value")
        )
        flag(frame, bad.fillna(False).to_numpy(), reason.astype(object), column)
    return values


def _offsets(text: pd.Series) -> pd.Series:
    """The UTC-offset suffix of each timestamp string (NA when it has none)."""
    return text.str.extract(_OFFSET_RE, expand=False)


def to_timestamp(
    frame: pd.DataFrame,
    column: str,
    *,
    fmt: str | None = None,
    unit: str | None = None,
    daily: bool = False,
) -> pd.Series:
    """Parse a column to naive UTC timestamps; bad cells mark their row.

    Parameters
    ----------
    fmt
        ``strptime`` format, or None for ISO 8601.
    unit
        ``"s"`` or ``"ms"`` for epoch numbers.
    daily
        Rows are UTC calendar days: a time other than 00:00 UTC after
        conversion marks the row (e.g. midnight in +02:00 is 22:00 UTC the
        day before, which is not a UTC day).

    Notes
    -----
    Strings with a UTC offset are converted to UTC. When some rows carry an
    offset and others do not ("missing timezone"), or rows carry different
    offsets ("mixed timezones"), the odd rows are marked: the file's time
    basis is ambiguous. Strings without any offset are taken as UTC.
    """
    raw = frame[column]
    if unit is not None:
        nums = to_number(frame, column)
        out = pd.to_datetime(nums, unit=unit, errors="coerce")
    else:
        text = raw.astype("string").str.strip()
        blank = text.isna() | (text == "")
        if bool((text.str.len().fillna(0) <= 10).all()):
            # plain dates ("2024-01-31", "20240131"): no time, so no offset to check
            offs = pd.Series(pd.NA, index=text.index, dtype="string")
        else:
            offs = _offsets(text)
        has = offs.notna()
        if has.any():
            if (~has & ~blank).any():
                first_with = int(np.flatnonzero(has.to_numpy())[0])
                example = str(text.iloc[first_with])
                flag(
                    frame,
                    (~has & ~blank).to_numpy(),
                    f"timestamp without a timezone while other rows carry one (e.g. {example!r}); "
                    "write every timestamp with the same UTC offset, preferably +00:00",
                    column,
                )
            norm = offs.str.replace(":", "", regex=False).replace({"Z": "+0000"})
            counts = norm[has].value_counts()
            if len(counts) > 1:
                main = str(counts.index[0])
                flag(
                    frame,
                    (has & (norm != main)).to_numpy(),
                    "timestamp offset differs from the file's other rows "
                    f"({', '.join(map(str, counts.index[:3]))}): mixed timezones; "
                    "convert every timestamp to UTC",
                    column,
                )
        if fmt is not None:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
        else:
            # utc=True: strings without an offset are UTC (as documented), and an offset
            # the scan above missed cannot make pandas refuse the column ("mixed timezones")
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        bad = parsed.isna() & ~blank
        if bad.any():
            want = f"a date like {dt.date(2024, 1, 31).strftime(fmt)!r}" if fmt else "an ISO date"
            flag(
                frame,
                bad.to_numpy(),
                "cannot read "
                + text.fillna("").str.slice(0, 40).map(repr).astype(object)
                + f" as a date (expected {want}); fix the value",
                column,
            )
        out = parsed
    out = pd.Series(out, index=frame.index)
    if out.dtype != "datetime64[ns]":  # e.g. year -222 parsed at second resolution
        outside = (out.notna() & ((out < _FIRST_DAY) | (out > _LAST_DAY))).to_numpy()
        if outside.any():
            flag(frame, outside, "date outside the years 1678-2261; fix the value", column)
            out = out.mask(outside)
    out = out.astype("datetime64[ns]")
    if daily:
        off_day = out.notna() & (out != out.dt.normalize())
        if off_day.any():
            flag(
                frame,
                off_day.to_numpy(),
                "timestamp is not 00:00 UTC, so the row is not a UTC calendar day; "
                "export daily rows dated by their UTC day",
                column,
            )
        out = out.dt.normalize()
    return out


_FIRST_DAY = pd.Timestamp("1678-01-01")
_LAST_DAY = pd.Timestamp("2261-12-31")


def to_date(frame: pd.DataFrame, column: str, *, fmt: str | None = None) -> pd.Series:
    """Parse a column of UTC calendar days (see :func:`to_timestamp`)."""
    return to_timestamp(frame, column, fmt=fmt, daily=True)


# ---------------------------------------------------------------------- validation
def _src(columns: Mapping[str, str], field: str) -> str:
    return columns.get(field, field)


def _row_checks(
    table: str,
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    today: pd.Timestamp,
    notes: list[str],
) -> None:
    spec = TABLES[table]
    # types: coerce any remaining text columns the reader left untyped
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        if col.type == "DOUBLE" and not pd.api.types.is_float_dtype(frame[col.name]):
            frame[col.name] = to_number(frame, col.name)
        elif col.type in ("DATE", "TIMESTAMP") and not pd.api.types.is_datetime64_dtype(
            frame[col.name]
        ):
            frame[col.name] = to_timestamp(frame, col.name, daily=col.type == "DATE")
        elif col.type == "DATE":
            values = frame[col.name]
            off_day = values.notna() & (values != values.dt.normalize())
            flag(
                frame,
                off_day.to_numpy(),
                f"{col.name} is not a UTC calendar day (it has a time of day); "
                "date daily rows by their UTC day",
                _src(columns, col.name),
            )
    # required values
    for col in spec.columns:
        if col.nullable or col.name in ("source", "ingested_at") or col.name not in frame.columns:
            continue
        missing = frame[col.name].isna()
        if missing.any():
            flag(
                frame,
                missing.to_numpy(),
                f"no value for {col.name} ({col.doc or col.type}), which the store requires; "
                "fill it or remove the row",
                _src(columns, col.name),
            )
    # signs
    for name in _STRICTLY_POSITIVE.get(table, ()):
        if name in frame.columns:
            bad = (frame[name] <= 0).fillna(False).to_numpy()
            if not bad.any():
                continue
            flag(
                frame,
                bad,
                "non-positive "
                + name
                + " "
                + frame[name].map("{:g}".format).astype(object)
                + "; prices must be > 0: fix or remove the row",
                _src(columns, name),
            )
    for name in _NON_NEGATIVE.get(table, ()):
        if name in frame.columns:
            bad = (frame[name] < 0).fillna(False).to_numpy()
            if not bad.any():
                continue
            flag(
                frame,
                bad,
                "negative "
                + name
                + " "
                + frame[name].map("{:g}".format).astype(object)
                + "; it cannot be below 0: fix or remove the row",
                _src(columns, name),
            )
    if table == "onchain" and {"metric", "value"} <= set(frame.columns):
        bad = frame["metric"].isin(list(_POSITIVE_METRICS)) & (frame["value"] <= 0)
        flag(
            frame,
            bad.fillna(False).to_numpy(),
            "non-positive " + frame["metric"].astype(object) + " value; it must be > 0",
            _src(columns, "value"),
        )
    # units
    if table == "options" and "mark_iv" in frame.columns:
        bad = frame["mark_iv"] > _MAX_IV
        flag(
            frame,
            bad.fillna(False).to_numpy(),
            "mark_iv above 10 (1,000 %) looks like a percentage; store implied vol as a "
            "decimal (0.55 = 55 %)",
            _src(columns, "mark_iv"),
        )
    if table == "etf_flows" and "flow_usd" in frame.columns:
        vals = frame["flow_usd"].abs()
        nonzero = vals[vals > 0]
        if len(nonzero) >= 5 and float(nonzero.max()) < 1e4:
            notes.append(
                "warning: every ETF flow is below US$10,000 in size; if the file is in US$ "
                "millions, convert to USD (x 1e6)"
            )
    if table == "funding" and "rate" in frame.columns and bool((frame["rate"].abs() > 0.1).any()):
        notes.append(
            "warning: funding rates above 10 % per interval; check they are decimals, "
            "not percentages"
        )
    # future dates
    date_col = spec.date_column
    if date_col and date_col in frame.columns:
        limit = today.normalize() + pd.Timedelta(days=1)
        bad = (
            frame[date_col] >= limit
            if spec.column(date_col).type == "DATE"
            else (frame[date_col] > pd.Timestamp(utcnow()) + pd.Timedelta(minutes=5))
        )
        if bool(bad.fillna(False).any()):
            flag(
                frame,
                bad.fillna(False).to_numpy(),
                f"{date_col} "
                + frame[date_col].astype(str).astype(object)
                + f" is in the future (today is {today.date()} UTC); fix the date",
                _src(columns, date_col),
            )


def _domain_rules(table: str, frame: pd.DataFrame, today: pd.Timestamp) -> None:
    """The store's domain rules (:mod:`altseason.store._rules`), flagged with file lines."""
    reasons = row_reasons(table, frame, today)
    bad = reasons.notna()
    if bad.any():
        flag(frame, bad.to_numpy(), reasons.astype(object) + "; fix or remove the row", None)


def _duplicates(
    table: str, frame: pd.DataFrame, columns: Mapping[str, str], notes: list[str]
) -> pd.DataFrame:
    spec = TABLES[table]
    key = [k for k in spec.key if k in frame.columns]
    if len(key) != len(spec.key) or frame.empty:
        return frame
    if not frame.duplicated(key).any():
        return frame
    ok = frame[ERROR_COL].isna()
    good = frame[ok]
    dup = good.duplicated(key, keep=False)
    if not dup.any():
        return frame
    values = [c for c in good.columns if c not in PRIVATE_COLUMNS]
    sub = good[dup]
    distinct = sub.drop_duplicates(values)
    conflict = distinct[distinct.duplicated(key, keep=False)][key].drop_duplicates()
    if not conflict.empty:
        marked = sub.reset_index().merge(conflict, on=key, how="inner").set_index("index")
        lines = marked.groupby(key, sort=False)[LINE_COL].agg(
            lambda s: ", ".join(str(int(v)) for v in s.dropna().head(4))
        )
        for keyvals, line_list in lines.items():
            kv = keyvals if isinstance(keyvals, tuple) else (keyvals,)
            rows = marked.index[
                np.logical_and.reduce([marked[k] == v for k, v in zip(key, kv, strict=True)])
            ]
            desc = ", ".join(f"{k}={_fmt_key(v)}" for k, v in zip(key, kv, strict=True))
            mask = frame.index.isin(rows)
            flag(
                frame,
                mask,
                f"duplicate key ({desc}) with different values on lines {line_list}; "
                "keep one row per key",
                _src(columns, key[-1]),
            )
    ok = frame[ERROR_COL].isna()
    exact = ok & frame[ok].duplicated(values, keep="first").reindex(frame.index, fill_value=False)
    n = int(exact.sum())
    if n:
        notes.append(f"collapsed {n:,} identical duplicate row{'s' if n > 1 else ''} in {table}")
        frame = frame[~exact]
    return frame


def _fmt_key(v: Any) -> str:
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    return str(v)


def _series_notes(table: str, frame: pd.DataFrame, notes: list[str]) -> None:
    if table not in _SERIES_CHECKS or frame.empty:
        return
    keys, value = _SERIES_CHECKS[table]
    date_col = TABLES[table].date_column
    assert date_col is not None
    if value not in frame.columns:
        return
    df = frame[[*keys, date_col, value]].dropna(subset=[date_col])
    if df.empty:
        return
    codes = (
        pd.factorize(df[keys[0]])[0]
        if len(keys) == 1
        else pd.MultiIndex.from_frame(df[list(keys)]).factorize()[0]
    )
    order = np.lexsort((df[date_col].to_numpy(), codes))
    codes = codes[order]
    days = df[date_col].to_numpy()[order].astype("datetime64[D]").astype(np.int64)
    vals = df[value].to_numpy(dtype=float)[order]
    new_group = np.r_[True, codes[1:] != codes[:-1]]
    step = np.diff(days, prepend=days[:1]).astype(float)
    step[new_group] = np.nan
    n_groups = int(codes.max()) + 1
    ones = np.bincount(codes, weights=(step == 1).astype(float), minlength=n_groups)
    steps = np.bincount(codes, weights=(~np.isnan(step)).astype(float), minlength=n_groups)
    # Only series that are mostly daily are checked for gaps.
    daily = (steps > 0) & (ones >= 0.5 * steps)
    gap = daily[codes] & (step > 1)
    if gap.any():
        missing = np.where(gap, step - 1, 0)
        worst = int(np.argmax(missing))
        row = df.iloc[order[worst]]
        label = "/".join(str(row[k]) for k in keys)
        notes.append(
            f"warning: {int(gap.sum()):,} gap(s) in {len(np.unique(codes[gap])):,} {table} "
            f"series, {int(missing.sum()):,} missing day(s); largest {int(missing[worst])} "
            f"day(s) in {label} before {pd.Timestamp(row[date_col]).date()}"
        )
    if table != "prices":
        return
    prev = np.r_[np.nan, vals[:-1]]
    prev[new_group] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = vals / prev
    jump = (ratio > _JUMP_UP) | (ratio < _JUMP_DOWN)
    if jump.any():
        idx = np.flatnonzero(jump)
        examples = "; ".join(
            f"{'/'.join(str(df.iloc[order[i]][k]) for k in keys)} "
            f"{pd.Timestamp(df.iloc[order[i]][date_col]).date()} x{ratio[i]:.3g}"
            for i in idx[:3]
        )
        notes.append(
            f"warning: {len(idx):,} absurd day-on-day jump(s) in {value} (beyond +400 %/-80 %): "
            f"{examples}"
        )


def validate_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    path: str,
    on_error: OnError = "fail",
    columns: Mapping[str, Mapping[str, str]] | None = None,
    today: pd.Timestamp | dt.date | None = None,
    rejects: Sequence[Reject] = (),
    notes: Sequence[str] = (),
) -> tuple[dict[str, pd.DataFrame], list[Reject], list[str]]:
    """Check reader frames, then fail or split them into good rows and rejects.

    Parameters
    ----------
    tables
        ``{table: frame}`` in store columns, optionally carrying the private
        ``_line`` / ``_error`` / ``_errcol`` columns set by the parse helpers.
    path
        The file, named in errors and rejects.
    on_error
        ``"fail"``: raise on the first problem; ``"reject"``: drop bad rows
        into rejects.
    columns
        ``{table: {field: input column}}`` so messages name the file's columns.
    today
        The UTC day after which dates count as future (default: today).
    rejects, notes
        Rejects and notes the reader already produced (kept, in order).

    Returns
    -------
    tables, rejects, notes
        Clean frames without private columns, all rejects, all notes.

    Raises
    ------
    ValidationError
        With ``on_error="fail"`` and any bad row: names the file, the line,
        the column and the fix.
    """
    mode = check_on_error(on_error)
    columns = columns or {}
    ref = pd.Timestamp(today) if today is not None else pd.Timestamp(utcnow())
    out_rejects = list(rejects)
    out_notes = list(notes)
    checked: dict[str, pd.DataFrame] = {}
    for table, frame in tables.items():
        if table not in TABLES:
            raise ValidationError(f"unknown table {table!r}; the store has {', '.join(TABLES)}.")
        df = frame.copy()
        if LINE_COL not in df.columns:
            df[LINE_COL] = pd.array([pd.NA] * len(df), dtype="Int64")
        _ensure_flags(df)
        cols = columns.get(table, {})
        _row_checks(table, df, cols, ref, out_notes)
        _domain_rules(table, df, ref)
        df = _duplicates(table, df, cols, out_notes)
        checked[table] = df
    bad_frames = [(t, df[df[ERROR_COL].notna()]) for t, df in checked.items()]
    n_bad = sum(len(b) for _, b in bad_frames)
    if n_bad and mode == "fail":
        _, first = min(
            ((t, b) for t, b in bad_frames if len(b)),
            key=lambda tb: tb[1][LINE_COL].min() if tb[1][LINE_COL].notna().any() else np.inf,
        )
        row = first.sort_values(LINE_COL, na_position="last").iloc[0]
        line = None if pd.isna(row[LINE_COL]) else int(row[LINE_COL])
        more = f" ({n_bad - 1:,} more bad row(s) in this file)" if n_bad > 1 else ""
        raise ValidationError(
            f"{row[ERROR_COL]}{more}. Nothing was written; fix the file, or import with "
            "--on-error reject to store the good rows and send the bad ones to rejects.",
            path=path,
            line=line,
            column=None if row[ERRCOL_COL] is None else str(row[ERRCOL_COL]),
        )
    clean: dict[str, pd.DataFrame] = {}
    for table, df in checked.items():
        bad = df[ERROR_COL].notna()
        for _, r in df[bad].iterrows():
            raw = {
                k: (_fmt_key(v) if isinstance(v, pd.Timestamp) else (None if _isna(v) else v))
                for k, v in r.items()
                if k not in PRIVATE_COLUMNS
            }
            out_rejects.append(
                Reject(
                    reason=str(r[ERROR_COL]),
                    location=f"{path} ({table})",
                    line=None if pd.isna(r[LINE_COL]) else int(r[LINE_COL]),
                    column=None if r[ERRCOL_COL] is None else str(r[ERRCOL_COL]),
                    raw=raw,
                )
            )
        good = df[~bad].drop(columns=list(PRIVATE_COLUMNS))
        _series_notes(table, good, out_notes)
        clean[table] = good.reset_index(drop=True)
    return clean, out_rejects, out_notes


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
