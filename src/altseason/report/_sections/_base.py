"""Section plumbing: the report context, section definitions and results.

A section has two halves. ``compute(ctx)`` calls analytics / signals /
backtest on the store and turns what they return into findings and chart
specs (glue only: picking the last value of a series, attaching provenance).
``write(fs)`` turns findings into paragraphs with rules and templates; it
sees only findings, so its wording can be pinned by golden tests on
hand-built findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from altseason.exceptions import DataUnavailableError, ReportError
from altseason.labels import data_label, is_demo
from altseason.report._charts import ChartSpec
from altseason.report._findings import Finding, Provenance, Value
from altseason.report._narrative import Paragraph, Ref, Token
from altseason.store import Store

__all__ = [
    "UNDERLYINGS",
    "UNDERLYING_SECTIONS",
    "Cell",
    "FindingSpec",
    "ReportContext",
    "Run",
    "SectionDef",
    "SectionResult",
    "Table",
    "check_underlyings",
    "expected",
    "table_cell",
    "underlying_of",
]


@dataclass(frozen=True)
class Run:
    """A table cell holding several numbers, e.g. ``+1.2% (t 0.81, p 0.40)``: labels and
    finding references in reading order."""

    tokens: tuple[Token, ...]

    @property
    def text(self) -> str:
        """The cell as plain text."""
        return "".join(t.text if isinstance(t, Ref) else t for t in self.tokens)

    @property
    def refs(self) -> list[Ref]:
        """The finding references in the cell."""
        return [t for t in self.tokens if isinstance(t, Ref)]


Cell = Token | Run
"""A table cell: a label, a finding reference, or a :class:`Run` of both."""


@dataclass
class Table:
    """A small table shown in a section (e.g. top movers); numbers are finding references.

    ``group`` names the finding group of the table's numeric cells (their
    findings carry it, see :attr:`Finding.group`), so the appendix lists them
    together under the table's title. ``note`` is a sentence printed under the
    table, e.g. why a column is missing.
    """

    title: str
    columns: list[str]
    rows: Sequence[Sequence[Cell]]
    group: str | None = None
    note: tuple[Token, ...] = ()


@dataclass
class SectionResult:
    """What a section's ``compute`` produced."""

    findings: list[Finding] = field(default_factory=list)
    charts: list[ChartSpec] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class SectionDef:
    """A report section.

    Attributes
    ----------
    id
        Short id used by ``--sections`` and as the finding-id prefix.
    title
        Heading in the report.
    compute
        ``ctx -> SectionResult``; may raise :class:`DataUnavailableError`.
    write
        ``FindingSet -> list[Paragraph]``.
    expected
        ``(finding_id, label, unit)`` of the findings the section writes
        about, so a failed compute still yields explicit unavailable findings.
    per_underlying
        The section computes and writes each of ``ctx.underlyings`` (BTC,
        ETH): ``write`` is called as ``write(fs, underlyings=...)`` and its
        expected ids are filtered by :func:`underlying_of`.
    """

    id: str
    title: str
    compute: Callable[[ReportContext], SectionResult]
    write: Callable[..., list[Paragraph]]
    expected: tuple[tuple[str, str, str], ...] = ()
    per_underlying: bool = False


class ReportContext:
    """Cached store reads and finding helpers for one report.

    Parameters
    ----------
    store
        The warehouse.
    asof
        The report date: nothing after it is read.
    rules
        The :class:`altseason.analytics.QualityRules` that judge each finding
        (default :data:`altseason.analytics.DEFAULT_RULES`).
    options
        Options conventions for the derivatives section, passed to
        :func:`altseason.analytics.options_positioning` (``zone_share``,
        ``max_pain_convention``); empty means the defaults (50 % zones,
        nearest monthly expiry for the headline max pain).
    underlyings
        The underlyings whose own quantities (spot-ETF flows, options
        positioning, perp funding) the sections compute, in this order
        (default :data:`UNDERLYINGS`, both); the dashboard passes one.
    """

    def __init__(
        self,
        store: Store,
        asof: pd.Timestamp,
        rules: Any = None,
        options: Mapping[str, Any] | None = None,
        underlyings: Sequence[str] | None = None,
    ) -> None:
        from altseason.analytics import DEFAULT_RULES

        self.store = store
        self.asof = pd.Timestamp(asof).normalize()
        self.rules = DEFAULT_RULES if rules is None else rules
        self.options: dict[str, Any] = {k: v for k, v in (options or {}).items() if v is not None}
        self.underlyings = check_underlyings(underlyings)
        self._cache: dict[Any, Any] = {}
        self._status = store.status()

    # -- store reads (cached, bounded by asof)
    def prices(self, field: str = "close") -> pd.DataFrame:
        """Price panel ``(n_dates, n_assets)`` up to ``asof``."""
        key = ("prices", field)
        if key not in self._cache:
            self._cache[key] = self.store.read_prices(field, end=self.asof)
        return self._cache[key]  # type: ignore[no-any-return]

    def table(self, name: str, **filters: Any) -> pd.DataFrame:
        """A long table up to ``asof`` (cached)."""
        key = ("table", name, tuple(sorted((k, str(v)) for k, v in filters.items())))
        if key not in self._cache:
            end = self.asof if name != "assets" else None
            self._cache[key] = self.store.read_table(name, end=end, **filters)
        return self._cache[key]  # type: ignore[no-any-return]

    def assets(self) -> pd.DataFrame:
        """The ``assets`` table indexed by ``asset_id``."""
        return self.table("assets").set_index("asset_id")

    def prov(self, table: str, *, start: Any = None, end: Any = None, **filters: Any) -> Provenance:
        """Provenance of a table selection (cached); ``end`` defaults to ``asof``."""
        end = self.asof if end is None and table != "assets" else end
        key = (
            "prov",
            table,
            str(start),
            str(end),
            tuple(sorted((k, str(v)) for k, v in filters.items())),
        )
        if key not in self._cache:
            self._cache[key] = Provenance.from_dict(
                self.store.provenance(table, start=start, end=end, **filters)
            )
        return self._cache[key]  # type: ignore[no-any-return]

    # -- status
    @property
    def status(self) -> list[Any]:
        """``store.status()`` taken when the context was made."""
        return self._status

    def table_sources(self, table: str) -> tuple[str, ...]:
        """Sources of a table (from status)."""
        for s in self._status:
            if s.table == table:
                return tuple(s.sources)
        return ()

    def table_rows(self, table: str) -> int:
        """Rows in a table (from status)."""
        for s in self._status:
            if s.table == table:
                return int(s.rows)
        return 0

    def is_demo(self, *tables: str) -> bool:
        """True when any of ``tables`` (default: all) holds demo rows."""
        names = tables or tuple(s.table for s in self._status)
        return is_demo(s for t in names for s in self.table_sources(t))

    def source_line(self, *tables: str, extra: str = "") -> str:
        """``"Source: altseason store (prices, assets; binance) as of 2025-12-04"``."""
        srcs = sorted({s for t in tables for s in self.table_sources(t)})
        text = f"Source: altseason store ({', '.join(tables)}; {summarise_sources(srcs)})"
        if extra:
            text += f"; {extra}"
        return text + f"; as of {self.asof.date()}"

    def require(self, table: str, what: str) -> None:
        """Raise :class:`DataUnavailableError` when ``table`` has no rows."""
        if self.table_rows(table) == 0:
            raise DataUnavailableError(f"no {what} in the store (table {table} is empty)")


SOURCES_SHOWN = 4
"""At most this many sources are named in a chart caption or the subtitle."""


def summarise_sources(sources: Iterable[str], limit: int = SOURCES_SHOWN) -> str:
    """A short label for many sources: grouped by provider, counted, full list in the appendix.

    ``file:binance_klines:BTCUSDT.csv#..`` and 47 siblings read
    ``"binance_klines (48 files)"``; with more than ``limit`` groups the rest
    is counted (``"+ 9 more sources, see the appendix"``). A few sources are
    shown as :func:`altseason.labels.data_label` shows them.
    """
    srcs = sorted({str(s) for s in sources})
    if len(srcs) <= limit:
        return data_label(srcs)
    groups: dict[str, int] = {}
    for s in srcs:
        parts = s.split(":")
        key = parts[1] if parts[0] == "file" and len(parts) > 2 else parts[0]
        groups[key] = groups.get(key, 0) + 1
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
    named = [f"{k} ({n} files)" if n > 1 else k for k, n in ranked[:limit]]
    rest = sum(n for _k, n in ranked[limit:])
    text = ", ".join(named)
    if rest:
        text += f" + {rest} more source{'s' if rest > 1 else ''}, see the appendix"
    return text


def finding(
    id: str,
    label: str,
    value: Value | Any,
    unit: str,
    *,
    provenance: Iterable[Provenance],
    asof: dt.date | pd.Timestamp | str | None = None,
    window: str | None = None,
    method: str | None = None,
    quality: Any = None,
    group: str | None = None,
) -> Finding:
    """Build a finding from any scalar (numpy, pandas or Python).

    ``quality`` (an :class:`altseason.analytics.Quality`) sets its status,
    coverage, freshness and reason; ``group`` makes it a cell of that table
    (see :attr:`Finding.group`).
    """
    v: Value
    if value is None or isinstance(value, str):
        v = value
    elif isinstance(value, (pd.Timestamp, dt.date)):
        v = str(pd.Timestamp(value).date())
    else:
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = str(value)
    a = (
        None
        if asof is None
        else (str(pd.Timestamp(asof).date()) if not isinstance(asof, str) else asof)
    )
    f = Finding.of(id, label, v, unit, asof=a, window=window, provenance=provenance, method=method)
    if group is not None:
        f = replace(f, group=group)
    return f if quality is None else f.with_quality(quality)


def table_cell(f: Finding) -> Ref:
    """A table cell showing ``f``: its :meth:`Finding.format` text linked to it (``n/a`` when
    unavailable; the appendix row gives the reason)."""
    return Ref(f.id, f.format() if f.available else "n/a")


UNDERLYINGS: tuple[str, ...] = ("BTC", "ETH")
"""The underlyings with quantities of their own (ETF flows, options, funding), in report order."""

UNDERLYING_SECTIONS: tuple[str, ...] = ("flows", "derivatives")
"""Sections computed per underlying: ids ``<section>.*`` are BTC's, ``<section>.eth.*`` ETH's."""


def check_underlyings(underlyings: Sequence[str] | None) -> tuple[str, ...]:
    """``underlyings`` upper-cased and checked against :data:`UNDERLYINGS` (``None``: all).

    Raises
    ------
    ReportError
        Naming the unknown underlying and the accepted ones.
    """
    if underlyings is None:
        return UNDERLYINGS
    chosen = tuple(dict.fromkeys(str(u).strip().upper() for u in underlyings))
    bad = [u for u in chosen if u not in UNDERLYINGS]
    if bad or not chosen:
        raise ReportError(
            f"unknown underlying {', '.join(bad) or '(none)'}: use one or more of "
            f"{', '.join(UNDERLYINGS)}"
        )
    return tuple(u for u in UNDERLYINGS if u in chosen)


def underlying_of(finding_id: str) -> str | None:
    """The underlying a finding id of a per-underlying section belongs to, else ``None``.

    ``flows.eth.net_flow`` -> ``"ETH"``, ``flows.net_flow`` -> ``"BTC"``,
    ``divergence.altseason_index`` -> ``None`` (see :data:`UNDERLYING_SECTIONS`).
    """
    section, _, rest = finding_id.partition(".")
    if section not in UNDERLYING_SECTIONS:
        return None
    head = rest.partition(".")[0].upper()
    return head if head in UNDERLYINGS and head != UNDERLYINGS[0] else UNDERLYINGS[0]


def unavailable_findings(
    expected: Sequence[tuple[str, str, str]], reason: str, skip: Mapping[str, Finding] | None = None
) -> list[Finding]:
    """Unavailable findings for every expected id not already in ``skip``."""
    skip = skip or {}
    return [
        Finding.unavailable(fid, label, reason, unit=unit)
        for fid, label, unit in expected
        if fid not in skip
    ]


def last_valid(s: pd.Series) -> tuple[pd.Timestamp | None, float | None]:
    """Date and value of the last non-NaN entry of a series."""
    s = s.dropna()
    if s.empty:
        return None, None
    return pd.Timestamp(s.index[-1]), float(s.iloc[-1])


@dataclass(frozen=True)
class FindingSpec:
    """One row of a section's findings table: the single declaration of an id.

    The section's compute builds the finding from it (:meth:`make`), its
    ``expected`` list (unavailable placeholders when the compute fails) is
    derived from the same table (:func:`expected`), so an id's label, unit and
    method are written once.
    """

    id: str
    label: str
    unit: str
    method: str | None = None

    def make(
        self,
        value: Value | Any,
        *,
        provenance: Iterable[Provenance],
        asof: dt.date | pd.Timestamp | str | None = None,
        window: str | None = None,
        quality: Any = None,
        label: str | None = None,
        method: str | None = None,
        id: str | None = None,
        group: str | None = None,
    ) -> Finding:
        """The finding for ``value`` (see :func:`finding`); ``id`` overrides the spec's."""
        return finding(
            id or self.id,
            label or self.label,
            value,
            self.unit,
            provenance=provenance,
            asof=asof,
            window=window,
            method=method or self.method,
            quality=quality,
            group=group,
        )


def expected(specs: Iterable[FindingSpec]) -> tuple[tuple[str, str, str], ...]:
    """``(id, label, unit)`` rows of a findings table, for :class:`SectionDef`."""
    return tuple((s.id, s.label, s.unit) for s in specs)
