"""Findings: computed facts with units, dates and provenance.

A :class:`Finding` is one number (or short label) that ``analytics``,
``signals`` or ``backtest`` computed, together with where it came from: the
store tables, row counts, date range, sources and ingest times behind it
(:class:`Provenance`, built from :meth:`altseason.store.Store.provenance`).
Every number printed in a report is a finding; a finding that could not be
computed is *unavailable* and carries the reason instead of a value.

Units
-----
Percent-like values are stored as decimal fractions and formatted by unit:

=========  ===========================================  ==============
unit       value                                        formatted
=========  ===========================================  ==============
percent    a level or share, fraction (0.62)            ``62%``
return     a signed change, fraction (0.123)            ``+12.3%``
pp         a difference of percentages, fraction (0.05) ``+5.0 pp``
rate       a small rate per period, fraction (0.0001)   ``0.0100%``
usd        an amount in USD (1.2e9)                     ``$1.2B``
flow       a signed amount in USD (-3.4e8)              ``-$340M``
price      a price in USD (94530.2)                     ``$94,530``
ratio      a plain ratio (1.234)                        ``1.23``
multiple   a multiple (2.1)                             ``2.10x``
zscore     a z-score (1.3)                              ``+1.3σ``
count      a count (1234)                               ``1,234``
days       a number of days (12)                        ``12 days``
number     any other number (0.4567)                    ``0.457``
date       an ISO date string                           ``2025-12-04``
text       a short label (``"defi"``)                   as given
=========  ===========================================  ==============
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

from altseason.exceptions import ReportError
from altseason.labels import is_demo

__all__ = [
    "FINDINGS_SCHEMA",
    "STATUSES",
    "UNITS",
    "Finding",
    "FindingSet",
    "Provenance",
    "Unit",
    "format_value",
]

Unit: TypeAlias = Literal[
    "percent",
    "return",
    "pp",
    "rate",
    "usd",
    "flow",
    "price",
    "ratio",
    "multiple",
    "zscore",
    "count",
    "days",
    "number",
    "date",
    "text",
]
UNITS: tuple[str, ...] = (
    "percent",
    "return",
    "pp",
    "rate",
    "usd",
    "flow",
    "price",
    "ratio",
    "multiple",
    "zscore",
    "count",
    "days",
    "number",
    "date",
    "text",
)

Value: TypeAlias = float | int | str | None

FINDINGS_SCHEMA = Path(__file__).with_name("findings.schema.json")
"""JSON Schema (draft 2020-12) of findings.json and of every command's ``--export x.json``."""

STATUSES: tuple[str, ...] = ("ok", "caveat", "unavailable")
"""A finding's quality: a current fact, a fact with a stated caveat, or no value."""


# ---------------------------------------------------------------------- formatting
def _compact_usd(x: float) -> str:
    a = abs(x)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            v = a / div
            digits = 0 if v >= 100 else (1 if v >= 10 else 2)
            text = f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"
            return f"${text}{suffix}"
    return f"${a:,.0f}"


def _pct_digits(v: float) -> int:
    return 0 if abs(v) >= 10 else 1


def format_value(value: Value, unit: str, *, signed: bool | None = None) -> str:
    """Format ``value`` for prose by its unit (see the module docstring).

    Parameters
    ----------
    value
        The number or label; ``None`` or NaN gives ``"n/a"``.
    unit
        One of :data:`UNITS`.
    signed
        Force (``True``) or suppress (``False``) a leading sign; the default
        follows the unit (signed for ``return``, ``pp``, ``flow``, ``zscore``).
    """
    if unit not in UNITS:
        raise ReportError(f"unknown finding unit {unit!r}; use one of {', '.join(UNITS)}.")
    if value is None:
        return "n/a"
    if unit in ("text", "date"):
        return str(value)
    if isinstance(value, str):
        return value
    x = float(value)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    default_signed = unit in ("return", "pp", "flow", "zscore")
    sign_on = default_signed if signed is None else signed
    sign = ("+" if x > 0 else ("-" if x < 0 else "")) if sign_on else ("-" if x < 0 else "")
    a = abs(x)
    if unit in ("percent", "return"):
        v = a * 100
        body = f"{v:.{_pct_digits(v)}f}%" if unit == "percent" else f"{v:.1f}%"
    elif unit == "pp":
        body = f"{a * 100:.1f} pp"
    elif unit == "rate":
        body = f"{a * 100:.4f}%"
    elif unit in ("usd", "flow"):
        body = _compact_usd(a)
    elif unit == "price":
        body = f"${a:,.0f}" if a >= 100 else (f"${a:,.2f}" if a >= 1 else f"${a:.4g}")
    elif unit == "ratio":
        body = f"{a:.2f}"
    elif unit == "multiple":
        body = f"{a:.2f}x"
    elif unit == "zscore":
        body = f"{a:.1f}σ"
    elif unit == "count":
        body = f"{a:,.0f}"
    elif unit == "days":
        n = round(a)
        body = f"{n:,} day" + ("" if n == 1 else "s")
    else:  # number
        body = f"{a:,.0f}" if a >= 1000 else f"{a:.3g}"
    if (unit in ("percent", "return", "pp") and body.startswith(("0%", "0.0%", "0.0 pp"))) or (
        body in ("$0", "0")
    ):
        sign = ""
    return sign + body


# ---------------------------------------------------------------------- provenance
@dataclass(frozen=True)
class Provenance:
    """Where a finding's rows came from (one table selection).

    Attributes
    ----------
    table
        Store table, or a pseudo-table such as ``"previous_report"``.
    rows
        Rows in the selection.
    start, end
        First and last date of the selection (ISO strings), if any.
    sources
        Distinct ``source`` values of the rows.
    ingested_from, ingested_to
        Oldest and newest ``ingested_at`` of the rows (ISO strings).
    filters
        The equality filters that defined the selection (e.g. ``asset_id``).
    conflicts
        Stored conflicts on the selection's inputs (facts on which sources
        disagree, flows booked on exchange holidays; ``altseason conflicts``).
    """

    table: str
    rows: int
    start: str | None = None
    end: str | None = None
    sources: tuple[str, ...] = ()
    ingested_from: str | None = None
    ingested_to: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    conflicts: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Provenance:
        """Build from :meth:`Store.provenance` output or :meth:`to_dict`."""
        return cls(
            table=str(d["table"]),
            rows=int(d.get("rows", 0)),
            start=d.get("start"),
            end=d.get("end"),
            sources=tuple(str(s) for s in d.get("sources", ())),
            ingested_from=d.get("ingested_from"),
            ingested_to=d.get("ingested_to"),
            filters=dict(d.get("filters") or {}),
            conflicts=int(d.get("conflicts") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        filters = {
            k: (list(v) if isinstance(v, (list, tuple, set, frozenset)) else v)
            for k, v in self.filters.items()
        }
        return {
            "table": self.table,
            "rows": self.rows,
            "start": self.start,
            "end": self.end,
            "sources": list(self.sources),
            "ingested_from": self.ingested_from,
            "ingested_to": self.ingested_to,
            "filters": json.loads(json.dumps(filters, default=str)),
            "conflicts": self.conflicts,
        }

    def describe_filters(self) -> str:
        """Filters as ``key=value`` text (long lists shortened)."""
        parts = []
        for k, v in self.filters.items():
            if isinstance(v, (list, tuple, set, frozenset)):
                vals = [str(x) for x in v]
                text = ",".join(vals[:6]) + (f",… ({len(vals)})" if len(vals) > 6 else "")
            else:
                text = str(v)
            parts.append(f"{k}={text}")
        return "; ".join(parts)


# ---------------------------------------------------------------------- finding
def _date_str(d: dt.date | str | None) -> str | None:
    if d is None:
        return None
    if isinstance(d, str):
        return d[:10]
    if isinstance(d, dt.datetime):
        return d.date().isoformat()
    return d.isoformat()


NO_VALUE = "the computation returned no value (insufficient data)"
"""The reason of a finding without a value and without a stated reason."""


@dataclass(frozen=True)
class Finding:
    """One computed fact.

    Attributes
    ----------
    id
        Dotted id, ``<section>.<name>`` (e.g. ``divergence.altseason_index``).
    label
        Human name used in prose and the appendix ("Altseason index").
    value
        The number (see units in the module docstring) or a short label;
        ``None`` when unavailable.
    unit
        One of :data:`UNITS`.
    asof
        The date the value refers to (ISO string).
    window
        The look-back it covers, e.g. ``"90d"`` or ``"2024-01-11..2025-12-04"``.
    provenance
        The table selections behind it.
    reason
        Why the finding is a caveat or unavailable (``None`` when ``ok``).
    method
        One line on how it was computed (which analytics function).
    status
        ``"ok"``, ``"caveat"`` (a value that rests on partial or older
        inputs; ``reason`` says how) or ``"unavailable"`` (no value).
    coverage
        ``{"observed": n, "expected": m, "unit": "assets"|"weight"|"days"|...}``
        or ``None`` where it does not apply.
    freshness
        ``{"newest_input": "YYYY-MM-DD", "lag_days": n}``: the newest input
        date behind the value and its distance from the report date.
    group
        The table the finding is a cell of (e.g.
        ``derivatives.max_pain_by_expiry``), or ``None``. The appendix shows
        a group's findings together as one compact table with the provenance
        and method they share printed once.
    """

    id: str
    label: str
    value: Value
    unit: str
    asof: str | None = None
    window: str | None = None
    provenance: tuple[Provenance, ...] = ()
    reason: str | None = None
    method: str | None = None
    status: str = "ok"
    coverage: Mapping[str, Any] | None = None
    freshness: Mapping[str, Any] | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ReportError(
                f"finding {self.id!r} has unknown unit {self.unit!r}; use one of {', '.join(UNITS)}."
            )
        if not self.id or " " in self.id:
            raise ReportError(f"finding id {self.id!r} must be a dotted name without spaces.")
        object.__setattr__(self, "asof", _date_str(self.asof))
        v = self.value
        if v is not None and not isinstance(v, str):
            fv = float(v)
            object.__setattr__(self, "value", None if math.isnan(fv) else fv)
        if self.status not in STATUSES:
            raise ReportError(
                f"finding {self.id!r} has unknown status {self.status!r}; "
                f"use one of {', '.join(STATUSES)}."
            )
        if self.value is None and self.status != "unavailable":
            object.__setattr__(self, "status", "unavailable")
        if self.status == "ok" and self.reason is not None:
            # legacy: a reason without a status marks the finding unavailable
            object.__setattr__(self, "status", "unavailable")
        if self.status != "ok" and not self.reason:
            object.__setattr__(
                self,
                "reason",
                NO_VALUE if self.status == "unavailable" else "see the data-quality table",
            )

    def with_quality(self, quality: Any) -> Finding:
        """This finding judged by an :class:`altseason.analytics.Quality`.

        The worse of the finding's own status and ``quality.status`` wins;
        an ``unavailable`` judgement drops the value.
        """
        rank = {"ok": 0, "caveat": 1, "unavailable": 2}
        status = quality.status if rank[quality.status] >= rank[self.status] else self.status
        reasons: list[str] = []
        for st, r in ((quality.status, quality.reason), (self.status, self.reason)):
            if st != "ok" and r and r not in reasons:
                reasons.append(r)
        if len(reasons) > 1 and quality.status == "unavailable" and self.reason == NO_VALUE:
            reasons.remove(NO_VALUE)  # the judgement already says why there is no value
        reason = "; ".join(reasons) or None
        return replace(
            self,
            value=None if status == "unavailable" else self.value,
            status=status,
            reason=reason if status != "ok" else None,
            coverage=quality.coverage if quality.coverage is not None else self.coverage,
            freshness=quality.freshness if quality.freshness is not None else self.freshness,
        )

    # -- constructors
    @classmethod
    def of(
        cls,
        id: str,
        label: str,
        value: Value,
        unit: str,
        *,
        asof: dt.date | str | None = None,
        window: str | None = None,
        provenance: Iterable[Provenance | Mapping[str, Any]] = (),
        method: str | None = None,
    ) -> Finding:
        """A finding; a NaN/None value makes it unavailable ("no value computed")."""
        prov = tuple(
            p if isinstance(p, Provenance) else Provenance.from_dict(p) for p in provenance
        )
        return cls(id, label, value, unit, _date_str(asof), window, prov, None, method)

    @classmethod
    def unavailable(
        cls,
        id: str,
        label: str,
        reason: str,
        *,
        unit: str = "text",
        asof: dt.date | str | None = None,
        provenance: Iterable[Provenance | Mapping[str, Any]] = (),
        group: str | None = None,
    ) -> Finding:
        """A finding that could not be computed, with the reason."""
        prov = tuple(
            p if isinstance(p, Provenance) else Provenance.from_dict(p) for p in provenance
        )
        return cls(
            id,
            label,
            None,
            unit,
            _date_str(asof),
            None,
            prov,
            reason,
            None,
            "unavailable",
            group=group,
        )

    # -- queries
    @property
    def available(self) -> bool:
        """True when the finding has a value (``ok`` or ``caveat``)."""
        return self.status != "unavailable" and self.value is not None

    @property
    def ok(self) -> bool:
        """True when the finding is ``ok``: a value a reader can take as a current fact."""
        return self.status == "ok" and self.value is not None

    @property
    def section(self) -> str:
        """The first part of the id."""
        return self.id.split(".", 1)[0]

    @property
    def number(self) -> float:
        """The value as a float (raises :class:`ReportError` if not numeric)."""
        if not self.available or isinstance(self.value, str):
            raise ReportError(f"finding {self.id!r} has no numeric value ({self.reason}).")
        return float(self.value)  # type: ignore[arg-type]

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct sources across the provenance."""
        return tuple(sorted({s for p in self.provenance for s in p.sources}))

    @property
    def is_demo(self) -> bool:
        """True when any row behind it is simulated demo data."""
        return is_demo(self.sources)

    def format(self, *, signed: bool | None = None, absolute: bool = False) -> str:
        """The value as prose text (``"not available"`` when unavailable)."""
        if not self.available:
            return "not available"
        v = self.value
        if absolute and not isinstance(v, str) and v is not None:
            v = abs(float(v))
        return format_value(v, self.unit, signed=signed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (see :meth:`from_dict`)."""
        return {
            "id": self.id,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "formatted": self.format(),
            "asof": self.asof,
            "window": self.window,
            "status": self.status,
            "coverage": None if self.coverage is None else dict(self.coverage),
            "freshness": None if self.freshness is None else dict(self.freshness),
            "reason": self.reason,
            "method": self.method,
            "provenance": [p.to_dict() for p in self.provenance],
            "group": self.group,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=str(d["id"]),
            label=str(d.get("label", d["id"])),
            value=d.get("value"),
            unit=str(d.get("unit", "number")),
            asof=d.get("asof"),
            window=d.get("window"),
            provenance=tuple(Provenance.from_dict(p) for p in d.get("provenance", ())),
            reason=d.get("reason"),
            method=d.get("method"),
            status=str(d.get("status") or ("unavailable" if d.get("reason") else "ok")),
            coverage=d.get("coverage"),
            freshness=d.get("freshness"),
            group=d.get("group"),
        )


# ---------------------------------------------------------------------- set
class FindingSet:
    """An ordered collection of findings keyed by id.

    Looking up an id that was never added gives an unavailable finding
    ("not computed in this report") rather than an error, so narrative
    rules degrade to an explicit "not available" sentence.
    """

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._items: dict[str, Finding] = {}
        for f in findings:
            self.add(f)

    def add(self, finding: Finding) -> Finding:
        """Add (or replace) a finding; returns it."""
        self._items[finding.id] = finding
        return finding

    def extend(self, findings: Iterable[Finding]) -> None:
        """Add several findings."""
        for f in findings:
            self.add(f)

    def get(self, id: str) -> Finding:
        """The finding ``id``, or an unavailable placeholder when absent."""
        f = self._items.get(id)
        if f is None:
            if id.startswith("rules."):
                # a rule threshold (report._rules) reads the same in every set
                from altseason.report._rules import RULES

                rule = RULES.get(id)
                if rule is not None:
                    return rule
            return Finding.unavailable(id, id, "not computed in this report")
        return f

    __getitem__ = get

    def __contains__(self, id: object) -> bool:
        return id in self._items

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def available(self, id: str) -> bool:
        """True when ``id`` is present (or a rule threshold) and has a value."""
        return self.get(id).available

    def ok(self, id: str) -> bool:
        """True when ``id`` is present (or a rule threshold) and ``ok``."""
        return self.get(id).ok

    def only_ok(self) -> FindingSet:
        """A view in which every finding that is not ``ok`` is unavailable.

        Used for the headline, the summary and the key figures, which state
        only current facts; a caveated finding keeps its reason.
        """
        out = FindingSet()
        for f in self:
            if f.ok or f.status == "unavailable":
                out.add(f)
            else:
                out.add(replace(f, value=None, status="unavailable", reason=f"caveat: {f.reason}"))
        return out

    def caveats(self) -> list[Finding]:
        """Findings with status ``caveat``."""
        return [f for f in self if f.status == "caveat"]

    def value(self, id: str) -> float | None:
        """The numeric value of ``id``, or ``None`` when unavailable or a label."""
        f = self.get(id)
        if not f.available or isinstance(f.value, str):
            return None
        return float(f.value)  # type: ignore[arg-type]

    def text(self, id: str) -> str | None:
        """The value of ``id`` as a string, or ``None`` when unavailable."""
        f = self.get(id)
        return None if not f.available else str(f.value)

    def ids(self) -> list[str]:
        """The ids in insertion order."""
        return list(self._items)

    def section(self, prefix: str) -> list[Finding]:
        """Findings whose id starts with ``prefix + "."``."""
        return [f for f in self if f.id.startswith(prefix + ".")]

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct sources across every finding."""
        return tuple(sorted({s for f in self for s in f.sources}))

    @property
    def is_demo(self) -> bool:
        """True when any finding rests on simulated demo data."""
        return is_demo(self.sources)

    # -- JSON
    def to_json(self, **meta: Any) -> str:
        """JSON text: ``{"meta": {...}, "findings": [...]}``."""
        payload = {"meta": meta, "findings": [f.to_dict() for f in self]}
        return json.dumps(payload, indent=1, default=str)

    def write_json(self, path: Path, **meta: Any) -> Path:
        """Write :meth:`to_json` to ``path``."""
        path.write_text(self.to_json(**meta), encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, text: str) -> tuple[FindingSet, dict[str, Any]]:
        """Parse :meth:`to_json` output; returns the set and its meta dict."""
        try:
            payload = json.loads(text)
            findings = [Finding.from_dict(d) for d in payload["findings"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ReportError(
                f"cannot read a findings file: {exc}. Delete or regenerate the report."
            ) from exc
        return cls(findings), dict(payload.get("meta") or {})

    @classmethod
    def read_json(cls, path: Path) -> tuple[FindingSet, dict[str, Any]]:
        """Read a findings JSON file written by :meth:`write_json`."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ReportError(f"cannot read findings file {path}: {exc}") from exc
        try:
            return cls.from_json(text)
        except ReportError as exc:
            raise ReportError(f"{path}: {exc}") from exc
