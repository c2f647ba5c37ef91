"""Periods named in a note, read relative to the note's date.

A period is a closed range of UTC calendar days ``[start, end]``; ``start`` is
``None`` for "since launch" (from the first row of the data). Level measures
(a price, a call wall, a realized price) are read at ``end``; change measures
(a return, a net flow) over the whole range. A vague phrase ("early 2026")
gives several candidate periods; the verdict is then ``ambiguous`` unless
every reading agrees.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from altseason.verify._text import MONTH_RE, month_number

__all__ = ["Period", "PeriodMention", "default_periods", "find_periods"]


@dataclass(frozen=True)
class Period:
    """A range of days ``[start, end]`` and how the note named it."""

    label: str
    start: dt.date | None
    end: dt.date
    kind: str = "range"

    def to_text(self) -> str:
        s = "launch" if self.start is None else self.start.isoformat()
        return f"{self.label} ({s}..{self.end.isoformat()})" if self.kind != "day" else self.label


@dataclass(frozen=True)
class PeriodMention:
    """A period phrase found in a sentence: its span and candidate periods."""

    start: int
    end: int
    text: str
    candidates: tuple[Period, ...]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _month(year: int, month: int, label: str) -> Period:
    return Period(label, dt.date(year, month, 1), _month_end(year, month), "month")


def _year(year: int, label: str) -> Period:
    return Period(label, dt.date(year, 1, 1), dt.date(year, 12, 31), "year")


def _quarter(year: int, q: int, label: str) -> Period:
    return Period(label, dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q), "quarter")


def _day(d: dt.date, label: str) -> Period:
    return Period(label, d, d, "day")


def _year_of_month(month: int, note: dt.date) -> int:
    """A month named without a year is the latest such month not after the note's month."""
    return note.year if month <= note.month else note.year - 1


_AMBIGUOUS_MONTHS = {
    "may",
    "mar",
    "jan",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "feb",
    "apr",
}
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "seven": 7, "ten": 10, "twelve": 12}

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    (
        "mdy",
        re.compile(
            rf"\b(?:on |as of |at |since |from )?({MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b(?!\s*(?:%|k\b|bn|m\b))",
            re.I,
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"\b(?:on |as of |since |from )?(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_RE})(?:\s+(\d{{4}}))?\b",
            re.I,
        ),
    ),
    (
        "quarter",
        re.compile(
            r"\b(?:in |during |for |over )?(?:the )?q([1-4])(?:\s*'?(\d{4}|\d{2}))?\b", re.I
        ),
    ),
    (
        "quarter_words",
        re.compile(
            r"\b(?:in |during |for |over )?(?:the )?(first|second|third|fourth|1st|2nd|3rd|4th) quarter(?: of (\d{4}))?\b",
            re.I,
        ),
    ),
    (
        "half",
        re.compile(
            r"\b(?:in |during |for |over )?(?:the )?(?:h([12])|(first|second) half)(?: of)?(?:\s*'?(\d{4}))?\b",
            re.I,
        ),
    ),
    ("ytd", re.compile(r"\b(?:year[- ]to[- ]date|ytd|so far this year|this year)\b", re.I)),
    ("last_year", re.compile(r"\b(?:last year|the prior year|the previous year)\b", re.I)),
    (
        "year_end",
        re.compile(
            r"\b(?:at |by )?(?:the )?(?:year[- ]end|end of the year|end of (\d{4})|close of (\d{4})|(\d{4}) close|the year's close)\b",
            re.I,
        ),
    ),
    (
        "the_year",
        re.compile(
            r"\b(?:over|for|during|in|across|throughout|on) the (?:full |whole |calendar )?year\b",
            re.I,
        ),
    ),
    ("early_late", re.compile(r"\b(early|late|mid)[- ](\d{4})\b", re.I)),
    (
        "since_launch",
        re.compile(r"\bsince (?:their |its |the )?(?:launch|inception|listing|debut)\b", re.I),
    ),
    (
        "by_month",
        re.compile(
            rf"\b(by|since|through|until|end of|end-)\s*({MONTH_RE})(?:\s+(\d{{4}}))?\b", re.I
        ),
    ),
    (
        "month",
        re.compile(
            rf"\b(?:in |during |for |over |across |throughout |of )?(?:the month of )?({MONTH_RE})(?:\s+(\d{{4}}))?\b(?!\s+\d)",
            re.I,
        ),
    ),
    ("this_month", re.compile(r"\b(this month|last month|month[- ]to[- ]date|mtd)\b", re.I)),
    (
        "window",
        re.compile(
            r"\b(?:over |in |during )?(?:the )?(?:past|last|trailing|previous)\s+(\d+|one|two|three|four|six|seven|ten|twelve)?\s*(day|week|month|year)s?\b",
            re.I,
        ),
    ),
    ("window_adj", re.compile(r"\b(\d+)-(day|week|month)\b", re.I)),
    ("now", re.compile(r"\b(?:today|currently|now|at present|right now|as of writing)\b", re.I)),
    (
        "year",
        re.compile(
            r"\b(?:in |for |over |during |throughout |across |of |full[- ]year |calendar[- ]year |since )?(?:fy)?((?:19|20)\d{2})(?:'s)?\b(?![-/]\d)",
            re.I,
        ),
    ),
]


def _candidates(kind: str, m: re.Match[str], note: dt.date) -> tuple[Period, ...]:
    text = m.group(0).strip()
    g = m.groups()
    if kind == "iso":
        return (_day(dt.date(int(g[0]), int(g[1]), int(g[2])), text),)
    if kind in ("mdy", "dmy"):
        mon, day = (g[0], g[1]) if kind == "mdy" else (g[1], g[0])
        month = month_number(mon)
        year = int(g[2]) if g[2] else _year_of_month(month, note)
        d = dt.date(year, month, int(day))
        if text.lower().startswith(("since", "from")):
            return (Period(text, d, note, "since"),)
        return (_day(d, text),)
    if kind in ("quarter", "quarter_words"):
        q = int(g[0]) if kind == "quarter" else _ORD[g[0].lower()]
        if g[1]:
            y = int(g[1])
            year = y + 2000 if y < 100 else y
        else:
            year = note.year if 3 * q <= note.month or (3 * q - 2) <= note.month else note.year - 1
        return (_quarter(year, q, text),)
    if kind == "half":
        h = int(g[0]) if g[0] else (1 if g[1].lower() == "first" else 2)
        started = note.year if (6 * h - 5) <= note.month else note.year - 1
        year = int(g[2]) if g[2] else started
        return (Period(text, dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h), "half"),)
    if kind == "ytd":
        return (Period(text, dt.date(note.year, 1, 1), note, "ytd"),)
    if kind == "last_year":
        return (_year(note.year - 1, text),)
    if kind == "year_end":
        named = [int(x) for x in g if x]
        # "year-end" in a January note means the year that just ended
        y = named[0] if named else (note.year - 1 if note.month == 1 else note.year)
        return (_day(dt.date(y, 12, 31), text),)
    if kind == "the_year":
        # in a January note "the year" is the one that just ended; later, the year so far
        if note.month == 1:
            return (_year(note.year - 1, text),)
        return (Period(text, dt.date(note.year, 1, 1), note, "ytd"),)
    if kind == "early_late":
        y = int(g[1])
        months = {"early": (1, 2, 3), "mid": (5, 6, 7), "late": (10, 11, 12)}[g[0].lower()]
        start = dt.date(y, months[0], 1)
        return tuple(
            Period(f"{text} (to {calendar.month_abbr[mo]})", start, _month_end(y, mo), "range")
            for mo in months
        )
    if kind == "since_launch":
        return (Period(text, None, note, "since_launch"),)
    if kind == "by_month":
        word = g[0].lower()
        month = month_number(g[1])
        year = int(g[2]) if g[2] else _year_of_month(month, note)
        if word == "since":
            return (Period(text, dt.date(year, month, 1), note, "since"),)
        return (_day(_month_end(year, month), text),)
    if kind == "month":
        if g[0].lower() in _AMBIGUOUS_MONTHS and not g[1] and text.lower() == g[0].lower():
            return ()  # "may", "mar" ... without a preposition or year are words, not months
        month = month_number(g[0])
        year = int(g[1]) if g[1] else _year_of_month(month, note)
        return (_month(year, month, text),)
    if kind == "this_month":
        w = g[0].lower()
        if w == "last month":
            y, mo = (note.year, note.month - 1) if note.month > 1 else (note.year - 1, 12)
            return (_month(y, mo, text),)
        return (Period(text, dt.date(note.year, note.month, 1), note, "mtd"),)
    if kind == "window":
        n_raw = g[0]
        n = 1 if not n_raw else (int(n_raw) if n_raw.isdigit() else _WORDS[n_raw.lower()])
        days = n * {"day": 1, "week": 7, "month": 30, "year": 365}[g[1].lower()]
        return (Period(text, note - dt.timedelta(days=days - 1), note, "window"),)
    if kind == "window_adj":
        days = int(g[0]) * {"day": 1, "week": 7, "month": 30}[g[1].lower()]
        return (Period(text, note - dt.timedelta(days=days - 1), note, "window"),)
    if kind == "now":
        return (_day(note, text),)
    if kind == "year":
        y = int(g[0])
        if text.lower().startswith("since"):
            return (Period(text, dt.date(y, 1, 1), note, "since"),)
        return (_year(y, text),)
    return ()


def find_periods(sentence: str, note: dt.date) -> list[PeriodMention]:
    """Period phrases in ``sentence`` (non-overlapping, earliest pattern wins)."""
    taken: list[tuple[int, int]] = []
    out: list[PeriodMention] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            try:
                cands = _candidates(kind, m, note)
            except (ValueError, KeyError):
                continue
            if not cands:
                continue
            taken.append((s, e))
            out.append(PeriodMention(s, e, m.group(0).strip(), cands))
    return sorted(out, key=lambda p: p.start)


def default_periods(note: dt.date, level: bool) -> tuple[Period, ...]:
    """Readings when a claim names no period: the note's date for a level,
    year-to-date and the last 30 days for a change (so the verdict is ambiguous
    unless both agree)."""
    if level:
        return (_day(note, "the note's date"),)
    return (
        Period("year to date (no period named)", dt.date(note.year, 1, 1), note, "ytd"),
        Period("last 30 days (no period named)", note - dt.timedelta(days=29), note, "window"),
    )
