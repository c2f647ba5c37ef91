"""``verify_note``: every numeric claim of a note, checked against the store."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from altseason.exceptions import ValidationError
from altseason.labels import data_label, is_demo
from altseason.verify._extract import Claim, extract_claims
from altseason.verify._lexicon import SubjectSpec, lexicon
from altseason.verify._measures import Computed, compute, reading_cache
from altseason.verify._text import note_date, note_text
from altseason.verify._verdicts import verdict

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = ["ClaimCheck", "VerifyResult", "read_note", "verify_note"]


@dataclass
class ClaimCheck:
    """One claim, its readings from the store and the verdict."""

    claim: Claim
    readings: list[Computed]
    verdict: str
    reason: str

    @property
    def finding_ids(self) -> list[str]:
        ids: list[str] = []
        for r in self.readings:
            for i in r.finding_ids:
                if i not in ids:
                    ids.append(i)
        return ids

    @property
    def computed(self) -> Any:
        """The computed value (one reading) or a list of values (several)."""
        vals: list[Any] = [
            list(r.value) if isinstance(r.value, tuple) else r.value for r in self.readings
        ]
        if not vals:
            return None
        return vals[0] if len(vals) == 1 else vals

    def to_dict(self) -> dict[str, Any]:
        """The JSON record (see :meth:`VerifyResult.to_json`)."""
        from altseason.verify._output import format_claimed, format_computed

        c = self.claim
        claimed: Any = c.value if c.high is None else [c.value, c.high]
        return {
            "text": c.text,
            "sentence": c.sentence,
            "span": [c.start, c.end],
            "subject": c.subject.label if c.subject else None,
            "measure": c.measure,
            "period": c.period_label,
            "claimed": claimed,
            "claimed_text": format_claimed(c),
            "qualifier": c.qualifier,
            "computed": self.computed,
            "computed_text": "; ".join(format_computed(r) for r in self.readings) or None,
            "verdict": self.verdict,
            "reason": self.reason,
            "finding_ids": self.finding_ids,
            "readings": [
                {
                    "label": r.label,
                    "value": list(r.value) if isinstance(r.value, tuple) else r.value,
                    "unit": r.unit,
                    "status": r.status,
                    "reason": r.reason,
                    "coverage": r.coverage,
                    "freshness": r.freshness,
                    "method": r.method,
                    "provenance": r.provenance,
                }
                for r in self.readings
            ],
        }


@dataclass
class VerifyResult:
    """The checked note: its text, date and one :class:`ClaimCheck` per claim."""

    text: str
    note_date: dt.date
    checks: list[ClaimCheck] = field(default_factory=list)

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct ``source`` values behind every reading."""
        return tuple(
            sorted(
                {
                    str(src)
                    for c in self.checks
                    for r in c.readings
                    for p in r.provenance
                    for src in p.get("sources", ())
                }
            )
        )

    @property
    def demo(self) -> bool:
        """True when any reading rests on the simulated demo market."""
        return is_demo(self.sources)

    @property
    def data_label(self) -> str:
        """The data behind the readings, e.g. ``"simulated demo market"``."""
        return data_label(self.sources)

    def counts(self) -> dict[str, int]:
        from altseason.verify._verdicts import VERDICTS

        out = dict.fromkeys(VERDICTS, 0)
        for c in self.checks:
            out[c.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "note_date": self.note_date.isoformat(),
            "data_label": self.data_label,
            "counts": self.counts(),
            "claims": [c.to_dict() for c in self.checks],
        }

    def to_json(self) -> str:
        """``{"note_date": ..., "claims": [{"text", "sentence", "subject", ...}]}``."""
        return json.dumps(self.to_dict(), indent=1, default=str)

    def to_html(self) -> str:
        """A self-contained HTML page (see :func:`altseason.verify._output.render_html`)."""
        from altseason.verify._output import render_html

        return render_html(self)

    def write(self, path: Path) -> Path:
        """Write JSON (``.json``) or HTML (``.html``/``.htm``) by the file's suffix."""
        suffix = path.suffix.lower()
        if suffix == ".json":
            body = self.to_json()
        elif suffix in (".html", ".htm"):
            body = self.to_html()
        else:
            raise ValidationError(f"cannot export to {path}: use a .json or .html file name.")
        try:
            path.write_text(body, encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot write {path}: {exc}") from exc
        return path


def read_note(source: str | Path) -> str:
    """The raw text of a note file (UTF-8), with a clear error when unreadable."""
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValidationError(
            f"note file {path} does not exist; give a path or '-' for stdin."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"note file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from exc
    except OSError as exc:
        raise ValidationError(f"cannot read note file {path}: {exc}") from exc


def _subject_readings(store: Store, claim: Claim) -> list[SubjectSpec]:
    """Subjects to compute: one, or every ETF group in the store for "the ETFs"."""
    subj = claim.subject
    assert subj is not None
    if subj.kind == "options":
        frame = store.read_table("options", columns=["underlying"])
        unders = sorted({str(u).upper() for u in frame["underlying"].unique()})
        subjects = lexicon().subjects
        return [subjects.get(u, SubjectSpec(id=u, kind="asset")) for u in unders] or [
            subjects["BTC"]
        ]
    if subj.kind == "etf" and subj.asset is None:
        try:
            frame = store.read_table("etf_flows", columns=["underlying"])
        except Exception:
            frame = None
        unders = (
            sorted({str(u).upper() for u in frame["underlying"].unique()})
            if frame is not None and not frame.empty
            else []
        )
        if not unders:
            return [subj]
        out = [SubjectSpec(id=f"{u}_ETF", kind="etf", asset=u) for u in unders]
        if len(unders) > 1 and claim.measure == "flows":
            out.append(SubjectSpec(id="ALL_ETF", kind="etf", asset="ALL"))
        return out
    return [subj]


def verify_note(text: str, store: Store, date: dt.date | str | None = None) -> VerifyResult:
    """Check every numeric claim of a market note against the store.

    Parameters
    ----------
    text
        The note: plain text, Markdown or HTML.
    store
        The store to compute from (read only).
    date
        The note's date (``YYYY-MM-DD`` or a date); default: the first full
        date in the note's header. Periods ("in December", "year-end") are
        read relative to it.

    Returns
    -------
    VerifyResult
        One :class:`ClaimCheck` per number in the note, in order.

    Raises
    ------
    ValidationError
        No date given and none found in the note's header.
    """
    plain = note_text(text)
    if date is None:
        when = note_date(plain)
        if when is None:
            raise ValidationError(
                "the note has no date in its header; pass one (--date YYYY-MM-DD or date=...)."
            )
    elif isinstance(date, str):
        try:
            when = dt.date.fromisoformat(date.strip()[:10])
        except ValueError as exc:
            raise ValidationError(
                f"note date {date!r} is not a date; write it as YYYY-MM-DD."
            ) from exc
    elif isinstance(date, dt.datetime):
        when = date.date()
    else:
        when = date
    lexicon()
    result = VerifyResult(plain, when)
    with reading_cache():
        _check_all(result, store, when)
    return result


def _check_all(result: VerifyResult, store: Store, when: dt.date) -> None:
    plain = result.text
    for claim in extract_claims(plain, when):
        readings: list[Computed] = []
        if claim.subject is not None and claim.measure is not None:
            subjects = _subject_readings(store, claim)
            if len(subjects) == 1:
                claim.subject = subjects[0]  # the only underlying the store has
            for subj in subjects:
                for period in claim.periods:
                    if period.end > when and period.start is not None and period.start <= when:
                        # "in 2025" in a note of December 2025 means the year so far
                        period = replace(
                            period, label=f"{period.label} (to date)", end=when, kind="to_date"
                        )
                    if period.end > when:
                        readings.append(
                            Computed.unavailable(
                                f"the period ends {period.end}, after the note's date {when} (a forecast)",
                                label=f"{subj.label}, {period.to_text()}",
                            )
                        )
                        continue
                    readings.append(compute(store, claim.measure, subj, period, claim))
        v, reason = verdict(claim, readings)
        result.checks.append(ClaimCheck(claim, readings, v, reason))
