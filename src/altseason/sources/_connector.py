"""What every live connector shares: results, progress, cursors and batch writes.

A connector turns a query into requests (step 1, *query*), checks and pulls
the raw records out of each payload (step 2, *extract*: a missing field is a
:class:`~altseason.exceptions.SourceError` naming the field and the URL) and
turns them into the store's records (step 3, *transform*: pure functions on
plain Python/pandas objects, tested on recorded payloads).

Each batch (a page, or one asset's history) is written with one
``store.ingest`` call whose ``cursors=`` records how far the fetch got, in the
same transaction as the rows. Rows breaking the store's domain rules
(:mod:`altseason.store._rules`) are rejected with their reason, and the
cursor never advances past a rejected or future-dated row (``write_batch``). An interrupted fetch therefore leaves exactly
the batches it finished and their cursor; the next run starts after the
cursor, so nothing is fetched twice and nothing is skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, cast

import pandas as pd

from altseason.config import Settings
from altseason.exceptions import SourceError
from altseason.sources._http import HttpClient
from altseason.store import TABLES, Reject, Store, utcnow
from altseason.store._rules import apply_rules

__all__ = [
    "Connector",
    "FetchProgress",
    "FetchResult",
    "ProgressCallback",
    "parses_payload",
    "require",
]


@dataclass(frozen=True)
class FetchProgress:
    """One progress event: ``done`` of ``total`` units of a source's work."""

    source: str
    dataset: str
    key: str
    done: int
    total: int | None
    message: str = ""


ProgressCallback = Callable[[FetchProgress], None]


@dataclass
class FetchResult:
    """What one connector dataset fetched.

    Attributes
    ----------
    rows_written
        Rows inserted or changed, per table.
    batches
        ``store.ingest`` calls (each one transaction, one ingest_log row).
    warnings
        Limits that shaped the result (history clamped to the free tier, ...).
    error
        One-line error when the dataset failed (with ``raise_on_error=False``).
    rows_rejected
        Rows the store refused (domain validation), counted per reason.
    records_skipped
        Provider records the connector did not store, or stored only in part,
        counted per reason (e.g. ``"no mark_iv: stored with mark_iv NULL"``).
    """

    source: str
    dataset: str
    rows_written: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    requests: int = 0
    keys: int = 0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    rows_rejected: dict[str, int] = field(default_factory=dict)
    records_skipped: dict[str, int] = field(default_factory=dict)

    @property
    def total_written(self) -> int:
        return sum(self.rows_written.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rows_rejected.values())

    @property
    def total_skipped(self) -> int:
        return sum(self.records_skipped.values())

    def skip(self, reason: str, n: int = 1) -> None:
        """Count ``n`` provider records not stored (or stored in part) for ``reason``."""
        if n > 0:
            self.records_skipped[reason] = self.records_skipped.get(reason, 0) + n

    def reject(self, reason: str, n: int = 1) -> None:
        """Count ``n`` rows the store refused for ``reason``."""
        if n > 0:
            self.rows_rejected[reason] = self.rows_rejected.get(reason, 0) + n

    def _span(self, dates: Iterable[Any]) -> None:
        values = [pd.Timestamp(d) for d in dates if d is not None and not pd.isna(d)]
        if not values:
            return
        lo, hi = min(values), max(values)
        self.start = lo if self.start is None else min(self.start, lo)
        self.end = hi if self.end is None else max(self.end, hi)


def require(record: Mapping[str, Any], name: str, *, url: str, source: str, what: str) -> Any:
    """``record[name]``, or a SourceError naming the missing field and the URL."""
    if not isinstance(record, Mapping):
        raise SourceError(
            f"{source}: expected an object for {what}, got {type(record).__name__}; the "
            "provider may have changed its response format.",
            url=url,
        )
    if name not in record:
        raise SourceError(
            f"{source}: field {name!r} is missing from {what} (fields present: "
            f"{', '.join(sorted(map(str, record))[:12]) or 'none'}); the provider changed its "
            "response format. Update altseason or report it.",
            url=url,
        )
    return record[name]


_F = TypeVar("_F", bound=Callable[..., Any])

#: What a hostile value raises inside a conversion (``int("x")``, ``float([])``,
#: an out-of-range timestamp, a broken CSV line).
_PARSE_ERRORS = (ValueError, TypeError, ArithmeticError, csv.Error)


def parses_payload(source: str, what: str) -> Callable[[_F], _F]:
    """Decorate an extract/transform step so a value it cannot convert (text
    where a number belongs, a list where a timestamp belongs, an overflowing
    epoch) raises a :class:`SourceError` naming the step and the ``url``
    argument, instead of a bare ``ValueError``/``TypeError``."""

    def wrap(func: _F) -> _F:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except _PARSE_ERRORS as exc:
                bound = signature.bind_partial(*args, **kwargs)
                url = bound.arguments.get("url") or None
                detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
                raise SourceError(
                    f"{source}: {what} holds a value that cannot be read ({detail}); the "
                    "provider sent corrupt data or changed its response format. Retry later "
                    "or report it.",
                    url=str(url) if url else None,
                ) from exc

        return cast(_F, inner)

    return wrap


def to_float(value: Any) -> float:
    """A number from a JSON number or numeric string; NaN for None/''/'.'/null.

    Raises
    ------
    ValueError
        For text that is not a number and for infinite values (``"inf"``,
        ``1e999``): a provider never means them, so they must not reach the store.
    """
    if value is None:
        return float("nan")
    if isinstance(value, str):
        value = value.strip().replace(",", "")
        if value in ("", ".", "-", "null", "NaN"):
            return float("nan")
    number = float(value)
    if math.isinf(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


class Connector:
    """Base class of the live connectors.

    Parameters
    ----------
    client
        The shared :class:`HttpClient` (rate limits are registered on it).
    settings
        API keys and plans; ``None`` means no keys.
    now
        Clock returning the current UTC time (naive); tests pin it.
    """

    name: ClassVar[str] = ""
    datasets: ClassVar[tuple[str, ...]] = ()
    default_datasets: ClassVar[tuple[str, ...]] = ()
    licence: ClassVar[str] = ""
    rate_limit_per_minute: ClassVar[float] = 60.0

    def __init__(
        self,
        client: HttpClient,
        settings: Settings | None = None,
        *,
        now: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.client = client
        self.settings = settings
        self.now = now
        client.set_rate_limit(self.name, self.rate_per_minute())

    def rate_per_minute(self) -> float:
        """Requests per minute allowed for this source (may depend on the key)."""
        return self.rate_limit_per_minute

    # ------------------------------------------------------------------ entry point
    def fetch(
        self,
        store: Store,
        *,
        datasets: Sequence[str] | None = None,
        since: Any = None,
        assets: Sequence[str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[FetchResult]:
        """Fetch the datasets (default :attr:`default_datasets`) into ``store``."""
        chosen = list(datasets) if datasets else list(self.default_datasets)
        unknown = [d for d in chosen if d not in self.datasets]
        if unknown:
            raise SourceError(
                f"{self.name} has no dataset {', '.join(map(repr, unknown))}; it has "
                f"{', '.join(self.datasets)}."
            )
        results = []
        for name in chosen:
            result = FetchResult(self.name, name)
            self.run_dataset(store, result, since=since, assets=assets, progress=progress)
            results.append(result)
        return results

    def run_dataset(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: Any = None,
        assets: Sequence[str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Fetch ``result.dataset``, accumulating into ``result`` (kept on failure)."""
        since_ts = None if since is None else pd.Timestamp(since).normalize()
        before = self.client.requests_made
        try:
            method = getattr(self, f"fetch_{result.dataset}")
            method(store, result, since=since_ts, assets=assets, progress=progress)
        finally:
            result.requests = self.client.requests_made - before

    # ------------------------------------------------------------------ helpers
    @property
    def today(self) -> pd.Timestamp:
        """Today's UTC date (midnight)."""
        return pd.Timestamp(self.now()).normalize()

    def _progress(
        self,
        progress: ProgressCallback | None,
        dataset: str,
        key: str,
        done: int,
        total: int | None,
        message: str = "",
    ) -> None:
        if progress is not None:
            progress(FetchProgress(self.name, dataset, key, done, total, message))

    def resume_point(
        self,
        store: Store,
        dataset: str,
        key: str,
        *,
        since: pd.Timestamp | None,
        default: pd.Timestamp,
        table: str | None = None,
        step: pd.Timedelta = pd.Timedelta(days=1),
        **filters: Any,
    ) -> pd.Timestamp:
        """Where to start: ``since`` if given, else just after the committed cursor,
        else just after the newest row this source stored for the key
        (``table`` and ``filters``), else ``default``."""
        if since is not None:
            return since
        cursor = store.read_cursor(self.name, dataset, key)
        if cursor is not None:
            return pd.Timestamp(cursor) + step
        if table is not None:
            last = last_stored(store, table, source=self.name, **filters)
            if last is not None:
                return last + step
        return default

    def write_batch(
        self,
        store: Store,
        result: FetchResult,
        *,
        key: str,
        tables: Mapping[str, pd.DataFrame],
        cursor: Any = None,
        coalesce: bool = False,
    ) -> None:
        """One ``store.ingest`` transaction: the batch's rows and its cursor.

        ``coalesce=True`` keeps values this source stored earlier in columns
        the batch leaves empty (e.g. CoinGecko markets carry no sector that
        its category fetch wrote); other sources' rows are never mixed in.

        Every row passes the store's domain rules here (the store applies them
        again); rejected rows go to ``rejects`` with their reason. The cursor
        never moves past data that was not stored: it is clamped to the newest
        accepted row and to before the oldest rejected (or future-dated) row,
        and it is not written at all when the batch stored nothing.
        """
        frames: dict[str, pd.DataFrame] = {}
        rejects: list[Reject] = []
        accepted_max: pd.Timestamp | None = None
        rejected_min: pd.Timestamp | None = None
        for name, frame in tables.items():
            merged = coalesce_existing(store, name, frame, source=self.name) if coalesce else frame
            clean, bad = apply_rules(name, merged, source=self.name)
            frames[name] = clean
            rejects.extend(Reject(reason=r, location=loc, raw=raw) for r, loc, raw in bad)
            date_col = TABLES[name].date_column
            if date_col and date_col in merged.columns:
                when = pd.to_datetime(merged[date_col], errors="coerce")
                ok = when[merged.index.isin(clean.index)].dropna()
                bad_when = when[~merged.index.isin(clean.index)].dropna()
                if len(ok):
                    accepted_max = _later(accepted_max, ok.max())
                if len(bad_when):
                    low = bad_when.min()
                    rejected_min = low if rejected_min is None else min(rejected_min, low)
        cursors = None
        if cursor is not None:
            cursor = _clamp_cursor(cursor, accepted_max, rejected_min, bool(rejects))
        if cursor is not None:
            text = cursor if isinstance(cursor, str) else pd.Timestamp(cursor).isoformat()
            cursors = {(result.dataset, key): text}
        res = store.ingest(
            dataset=f"{self.name}:{result.dataset}:{key}",
            source=self.name,
            tables=frames,
            cursors=cursors,
            rejects=rejects,
        )
        if rejects:
            result.warnings.append(
                f"{len(rejects)} row(s) rejected by the store's rules (see the rejects table), "
                f"e.g. {rejects[0].reason}"
            )
        result.batches += 1
        _count_rejects(result, res, rejects)
        for name, n in res.rows_written.items():
            result.rows_written[name] = result.rows_written.get(name, 0) + n
        for name, frame in frames.items():
            date_col = TABLES[name].date_column
            if date_col and date_col in frame.columns and not frame.empty:
                result._span([frame[date_col].min(), frame[date_col].max()])


def _count_rejects(result: FetchResult, res: Any, rejects: Sequence[Reject]) -> None:
    """Add one batch's rejected rows to ``result`` by reason: those the connector's rules
    caught (``rejects``) plus any more the store's own rules refused."""
    for r in rejects:
        result.reject(str(r.reason).split(";")[0][:120])
    extra = int(getattr(res, "rows_rejected", 0) or 0) - len(rejects)
    if extra > 0:
        result.reject("failed the store's validation (see the rejects table)", extra)


def _later(a: pd.Timestamp | None, b: Any) -> pd.Timestamp:
    b = pd.Timestamp(b)
    return b if a is None else max(a, b)


def _clamp_cursor(
    cursor: Any,
    accepted_max: pd.Timestamp | None,
    rejected_min: pd.Timestamp | None,
    any_rejected: bool,
) -> Any:
    """The cursor to commit: never past stored data nor at/after a rejected row.

    A cursor that is not a time (an opaque page token) is kept unless rows
    were rejected, in which case it is dropped (the page is fetched again).
    Returns None when no cursor should be written.
    """
    try:
        when = pd.Timestamp(cursor)
    except (ValueError, TypeError):
        return None if any_rejected else cursor
    if pd.isna(when):
        return None if any_rejected else cursor
    if accepted_max is None:
        return None if any_rejected else cursor
    clamped = min(when, accepted_max)
    if rejected_min is not None and clamped >= rejected_min:
        clamped = rejected_min - pd.Timedelta(days=1)
    if clamped == when:
        return cursor
    if not isinstance(cursor, str):
        return clamped
    return clamped.strftime("%Y-%m-%d") if len(cursor.strip()) == 10 else clamped.isoformat()


def last_stored(store: Store, table: str, **filters: Any) -> pd.Timestamp | None:
    """Newest value of ``table``'s date column among rows matching ``filters``."""
    spec = TABLES[table]
    if spec.date_column is None:
        return None
    where = " AND ".join(f"{c} = ?" for c in filters) or "TRUE"
    row = store.con.execute(
        f"SELECT max({spec.date_column}) FROM {table} WHERE {where}", list(filters.values())
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return pd.Timestamp(row[0])


def coalesce_existing(
    store: Store, table: str, frame: pd.DataFrame, *, source: str | None = None
) -> pd.DataFrame:
    """Fill the frame's missing value columns from rows already stored under the same key.

    With ``source``, only that source's stored rows are used (what connectors
    do: rows of different sources are never merged); without it, the
    resolved rows.
    """
    spec = TABLES[table]
    if frame.empty:
        return frame
    key = list(spec.key)
    values = [c for c in spec.value_columns if c != "source"]
    first = key[0]
    ids = frame[first].dropna().unique().tolist()
    existing = store.read_table(table, source=source, **{first: ids})
    out = frame.copy()
    for c in values:
        if c not in out.columns:
            out[c] = None
    if not existing.empty:
        out = _merge_old(out, existing, key, values, spec)
    for c, default in _DEFAULTS.get(table, {}).items():
        out[c] = out[c].where(out[c].notna(), default).astype(type(default))
    return out


_DEFAULTS: dict[str, dict[str, Any]] = {"assets": {"is_stablecoin": False}}


def _merge_old(
    out: pd.DataFrame, existing: pd.DataFrame, key: list[str], values: list[str], spec: Any
) -> pd.DataFrame:
    for k in key:
        if spec.column(k).type in ("DATE", "TIMESTAMP"):
            out[k] = pd.to_datetime(out[k])
            existing[k] = pd.to_datetime(existing[k])
    merged = out.merge(existing[key + values], on=key, how="left", suffixes=("", "__old"))
    for c in values:
        old = merged.pop(f"{c}__old")
        merged[c] = merged[c].where(merged[c].notna(), old)
    return merged.infer_objects()
