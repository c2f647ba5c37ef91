"""Finding the numeric claims of a note: value, unit, subject, measure, period.

Each number in a sentence that is not part of a date, a period, a subject's
name ("S&P 500") or a parameter ("30-day", "the $100,000 strike", "top 50")
becomes a :class:`Claim`. A claim whose subject or measure cannot be mapped
keeps ``subject`` or ``measure`` ``None`` and is later reported as
``not_understood`` — numbers are never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from altseason.verify._lexicon import Lexicon, SubjectSpec, lexicon
from altseason.verify._periods import Period, PeriodMention, default_periods, find_periods
from altseason.verify._text import Sentence, sentences

__all__ = ["Claim", "extract_claims"]

_SCALE = {
    "trillion": 1e12,
    "tn": 1e12,
    "t": 1e12,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "million": 1e6,
    "mn": 1e6,
    "mm": 1e6,
    "m": 1e6,
    "thousand": 1e3,
    "k": 1e3,
}
_NUM = (
    r"(?P<sign{i}>[+\-−–]\s?)?(?P<cur{i}>(?:US)?\$\s?|USD\s)?"
    r"(?P<num{i}>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale{i}>trillion|billion|million|thousand|bn|mn|tn|mm|[kKmMbBtT])(?![a-zA-Z]))?"
    r"(?:\s?(?P<unit{i}>%|percent\b|per cent\b|percentage points?\b|pp\b|bps\b|basis points\b|x\b))?"
)
_NUMBER = re.compile(r"(?<![\w.,])" + _NUM.format(i=1))
_RANGE = re.compile(
    r"(?P<between>between\s+)?(?<![\w.,])"
    + _NUM.format(i=1)
    + r"\s*(?:-|–|—|to|and)\s*"
    + _NUM.format(i=2)
)
_STRIKE = re.compile(
    r"(?:(?P<a>\$?\d[\d,]*(?:\.\d+)?\s?[kK]?)\s*-?\s*strike\b|\bstrike(?: price)? of\s+(?P<b>\$?\d[\d,]*(?:\.\d+)?\s?[kK]?))",
    re.I,
)
_CLAUSE_BREAK = re.compile(
    r";|,\s+(?:while|whereas|but|although|though|and|with)\b|\s+(?:but|while|whereas|versus|vs\.?"
    r"|against|compared (?:with|to))\s+"
)
_PRICED = ("asset", "macro", "tier", "sector")
_OPTION_MEASURES = ("call_wall", "put_zone", "max_pain", "put_call", "oi_strike")
_ETF_MEASURES = ("flows", "aum", "cost_basis")
LEVEL_MEASURES = (
    "call_wall",
    "put_zone",
    "max_pain",
    "put_call",
    "oi_strike",
    "realized_price",
    "cost_basis",
    "dominance",
    "capitulation",
    "aum",
    "price",
    "fear_greed",
    "drawdown",
    "m2_growth",
)


@dataclass(frozen=True)
class Number:
    """A number as written: value in base units, the unit, precision and span."""

    value: float
    unit: str  # percent, pp, usd, number
    scaled: bool  # had K/M/B/T
    half_unit: float  # half a unit of the last stated digit, in base units
    start: int
    end: int
    text: str
    high: float | None = None  # for ranges


@dataclass
class Claim:
    """One numeric claim of the note.

    Attributes
    ----------
    text
        The claim's words as written (the number with its unit).
    sentence
        The sentence it is in.
    start, end
        Offsets of ``text`` in the note text.
    value, high
        The claimed value in base units (fractions for %, USD for $);
        ``high`` is the upper end of a range ("75k-92k").
    unit
        ``percent``, ``pp``, ``usd`` or ``number`` as written.
    subject, measure
        Lexicon ids, or ``None`` when the parser could not map them.
    periods
        Candidate periods (several for a vague phrase).
    qualifier
        ``hedge``, ``lower`` or ``upper`` (``"about"``, ``"more than"``, ``"under"``) or ``None``.
    strike
        The strike an open-interest claim refers to (USD).
    note
        Why the parser could not map the claim, when it could not.
    """

    text: str
    sentence: str
    start: int
    end: int
    value: float
    unit: str
    half_unit: float
    high: float | None = None
    subject: SubjectSpec | None = None
    measure: str | None = None
    periods: tuple[Period, ...] = ()
    period_text: str | None = None
    qualifier: str | None = None
    strike: float | None = None
    expiry_text: str | None = None
    note: str | None = None
    readings_subjects: tuple[SubjectSpec, ...] = field(default_factory=tuple)

    @property
    def period_label(self) -> str | None:
        if not self.periods:
            return None
        if len(self.periods) == 1:
            return self.periods[0].to_text()
        return " | ".join(p.to_text() for p in self.periods)


def _parse_number(m: re.Match[str], i: int, offset: int) -> Number:
    raw = m.group(f"num{i}")
    value = float(raw.replace(",", ""))
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    half = 0.5 * 10.0 ** (-decimals)
    sign = m.group(f"sign{i}")
    if sign and sign.strip() in ("-", "−", "–"):
        value = -value
    scale_word = (m.group(f"scale{i}") or "").lower()
    unit_word = (m.group(f"unit{i}") or "").lower()
    cur = bool(m.group(f"cur{i}"))
    scale = _SCALE.get(scale_word, 1.0)
    # a lower-case "b" or "t" without a currency is not billions or trillions ("3 t")
    if m.group(f"scale{i}") in ("b", "t") and not cur and not unit_word:
        scale, scale_word = 1.0, ""
    unit = "number"
    if unit_word in ("%", "percent", "per cent"):
        unit, value, half = "percent", value / 100.0, half / 100.0
    elif unit_word.startswith("percentage point") or unit_word == "pp":
        unit, value, half = "pp", value / 100.0, half / 100.0
    elif unit_word in ("bps", "basis points"):
        unit, value, half = "pp", value / 10000.0, half / 10000.0
    elif cur or scale_word:
        unit, value, half = "usd", value * scale, half * scale
    elif unit_word == "x":
        unit = "number"
    return Number(
        value=value,
        unit=unit,
        scaled=bool(scale_word),
        half_unit=half,
        start=m.start() + offset,
        end=m.end() + offset,
        text=m.group(0).strip(),
    )


def _numbers(text: str) -> list[Number]:
    out: list[Number] = []
    taken: list[tuple[int, int]] = []
    for m in _RANGE.finditer(text):
        a = _parse_number(m, 1, 0)
        b = _parse_number(m, 2, 0)
        joiner = text[m.end("num1") : m.start("num2")]
        if "and" in joiner and not m.group("between"):
            continue
        if "to" in joiner and not (a.unit == b.unit or a.unit == "number" or b.unit == "number"):
            continue
        # "75-92k": the first number takes the second's unit and scale
        if a.unit == "number" and b.unit != "number":
            scale = b.value / float(m.group("num2").replace(",", "")) if b.unit == "usd" else 1.0
            if b.unit in ("percent", "pp"):
                scale = 0.01
            a = Number(
                a.value * scale, b.unit, b.scaled, a.half_unit * scale, a.start, a.end, a.text
            )
        if a.value > b.value or a.unit != b.unit:
            continue
        start = (
            m.start("sign1")
            if m.group("sign1")
            else m.start("cur1")
            if m.group("cur1")
            else m.start("num1")
        )
        out.append(
            Number(
                a.value, a.unit, a.scaled, max(a.half_unit, b.half_unit), start, m.end(),
                text[start : m.end()].strip(), high=b.value,
            )
        )  # fmt: skip
        taken.append((start, m.end()))
    for m in _NUMBER.finditer(text):
        n = _parse_number(m, 1, 0)
        if any(n.start < e and s < n.end for s, e in taken):
            continue
        # a trailing space captured before nothing: trim the span to the text
        end = n.start + len(m.group(0).rstrip())
        out.append(Number(n.value, n.unit, n.scaled, n.half_unit, n.start, end, n.text, n.high))
    return sorted(out, key=lambda n: n.start)


def _clauses(text: str) -> list[tuple[int, int]]:
    bounds = [0]
    for m in _CLAUSE_BREAK.finditer(text):
        bounds.append(m.start())
    bounds.append(len(text))
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _clause_of(pos: int, clauses: list[tuple[int, int]]) -> int:
    for i, (s, e) in enumerate(clauses):
        if s <= pos < e:
            return i
    return len(clauses) - 1


def _score(
    pos_s: int, pos_e: int, n: Number, clauses: list[tuple[int, int]], after: int = 25
) -> float:
    """Lower is nearer: same clause and before the number is best (``after`` penalises a
    mention that follows the number)."""
    same = _clause_of(pos_s, clauses) == _clause_of(n.start, clauses)
    d = n.start - pos_e if pos_e <= n.start else max(pos_s - n.end, 0) + after
    return d + (0 if same else OTHER_CLAUSE)


#: Penalty for a word in another clause: larger than any measure priority step, so a
#: clause's own words always win.
OTHER_CLAUSE = 5000
_PEAK_AFTER = re.compile(r"^\s*(?:peak|high|top|record|all-time high|ath)\b", re.I)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    subject: SubjectSpec


def _subject_mentions(text: str, lex: Lexicon) -> list[_Mention]:
    found: list[_Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern, sid in lex.subject_patterns:
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            found.append(_Mention(s, e, lex.subjects[sid]))
    out: list[_Mention] = []
    for mn in sorted(found, key=lambda x: x.start):
        subj = mn.subject
        tail = text[mn.end : mn.end + 22]
        etf = lex.etf_re.search(tail)
        if subj.kind == "asset" and etf and not re.search(r"[,;.]", tail[: etf.start()]):
            subj = SubjectSpec(id=f"{subj.id}_ETF", kind="etf", asset=subj.id)
            out.append(_Mention(mn.start, mn.end + etf.end(), subj))
            continue
        out.append(mn)
    # "spot ETFs" / "the ETFs" with no asset named
    for m in lex.etf_re.finditer(text):
        if not any(x.start <= m.start() < x.end for x in out):
            out.append(_Mention(m.start(), m.end(), SubjectSpec(id="ETF", kind="etf", asset=None)))
    return sorted(out, key=lambda x: x.start)


def _is_parameter(text: str, n: Number, lex: Lexicon) -> bool:
    after = text[n.end : n.end + 16].lower()
    before = text[max(0, n.start - 8) : n.start].lower()
    if n.unit in ("percent", "pp") or (n.unit == "usd" and n.scaled and n.value >= 1e5):
        return False
    if any(after.startswith(p) for p in lex.param_after):
        return True
    return bool(
        re.search(r"(?:^|\W)(?:top|rank|ranked|#|page|section|part|phase|tier)[\s-]*$", before)
    )


def _measure_for(
    text: str,
    n: Number,
    clauses: list[tuple[int, int]],
    lex: Lexicon,
    subject: SubjectSpec | None,
    has_strike: bool = False,
) -> str | None:
    unit_ok = {
        "percent": {"percent", "pp"},
        "pp": {"pp", "percent"},
        "usd": {"usd", "price"},
        "number": {"price", "ratio", "count", "usd"},
    }[n.unit]
    best: tuple[float, str] | None = None
    for mid, pattern in lex.measure_patterns.items():
        spec = lex.measures[mid]
        if not set(spec.units) & unit_ok:
            continue
        if not _fits(mid, n, subject) or (mid == "oi_strike" and not has_strike):
            continue  # open interest "at a strike" needs the strike named
        for m in pattern.finditer(text):
            score = _score(m.start(), m.end(), n, clauses) + 1000 * spec.priority
            if best is None or score < best[0]:
                best = (score, mid)
    if best is not None:
        return best[1]
    # defaults by subject when no measure word is near
    if subject is not None and subject.id == "FEAR_GREED" and n.unit == "number":
        return "fear_greed"
    if subject is not None and subject.id == "M2" and n.unit == "percent":
        return "m2_growth"
    if subject is not None and subject.kind == "etf" and n.unit == "usd":
        return "flows"  # "the bitcoin ETF total for 2025", "ETH ETFs lost $1.4B"
    if (
        subject is not None
        and subject.kind in ("asset", "macro")
        and n.unit == "usd"
        and not (n.scaled and n.value >= 1e8)
    ):
        return "price"  # "Ether traded around $3,100": a bare dollar figure is a price
    return None


def _fits(measure: str, n: Number, subject: SubjectSpec | None) -> bool:
    """Whether a measure can describe this number for this subject."""
    kind = subject.kind if subject else None
    sid = subject.id if subject else None
    if measure == "fear_greed":
        return sid == "FEAR_GREED" and n.unit == "number"
    if measure == "m2_growth":
        return sid == "M2" and n.unit in ("percent", "pp")
    if sid in ("FEAR_GREED",) or (sid == "M2" and n.unit in ("percent", "pp")):
        return False
    if measure in ("put_call", "correlation", "capitulation"):
        return n.unit == "number" and abs(n.value) <= 10
    if measure in ("call_wall", "put_zone", "max_pain", "price", "realized_price", "cost_basis"):
        if n.unit == "usd" and n.scaled and n.value >= 1e8:
            return False  # "$2.1B" is an amount, not a strike or a price
        return (n.unit in ("usd", "number") and n.value >= 1 and kind not in ("etf",)) or (
            measure == "cost_basis" and n.unit in ("usd", "number")
        )
    if measure in ("flows", "aum"):
        return n.unit == "usd" and (kind in ("etf", None) or kind == "asset")
    if measure == "oi_strike":
        return n.unit == "usd" or (n.unit == "number" and n.value > 10)
    if measure == "relative":
        return n.unit in ("percent", "pp") and kind in ("asset", "macro", "tier", "sector")
    if measure in ("return", "drawdown", "dominance", "spread"):
        return n.unit in ("percent", "pp")
    return True


def _qualifier(text: str, n: Number, lex: Lexicon) -> str | None:
    before = text[max(0, n.start - 24) : n.start]
    if lex.lower_re.search(before):
        return "lower"
    if lex.upper_re.search(before):
        return "upper"
    if lex.hedge_re.search(before):
        return "hedge"
    return None


def _direction(text: str, n: Number, clauses: list[tuple[int, int]], lex: Lexicon) -> int:
    best: tuple[float, int] | None = None
    for sign, pattern in ((-1, lex.negative_re), (1, lex.positive_re)):
        for m in pattern.finditer(text):
            score = _score(m.start(), m.end(), n, clauses)
            if score >= OTHER_CLAUSE:
                continue
            if best is None or score < best[0]:
                best = (score, sign)
    return 0 if best is None else best[1]


def _strike_params(text: str) -> list[tuple[int, int, float]]:
    out = []
    for m in _STRIKE.finditer(text):
        raw = (m.group("a") or m.group("b") or "").replace("$", "").replace(",", "").strip()
        mult = 1e3 if raw.lower().endswith("k") else 1.0
        try:
            v = float(raw.rstrip("kK").strip()) * mult
        except ValueError:
            continue
        out.append((m.start(), m.end(), v))
    return out


def _claims_in(
    sent: Sentence,
    note_date: dt.date,
    lex: Lexicon,
    carry: SubjectSpec | None,
    carry_period: PeriodMention | None,
    header: list[str] | None = None,
) -> tuple[list[Claim], SubjectSpec | None, PeriodMention | None]:
    text = sent.text
    clauses = _clauses(text)
    periods = find_periods(text, note_date)
    subjects = _subject_mentions(text, lex)
    strikes = _strike_params(text)
    expiry = re.search(r"\b(\d{1,2}[A-Z]{3}\d{2})\b|\b(\w+ expiry)\b", text)
    claims: list[Claim] = []
    for n in _numbers(text):
        spans = [(p.start, p.end) for p in periods] + [(s.start, s.end) for s in subjects]
        spans += [(s, e) for s, e, _ in strikes]
        if any(s <= n.start < e or s < n.end <= e for s, e in spans):
            continue
        if _is_parameter(text, n, lex):
            continue
        # subject: nearest mention, preferring one before the number in the same clause
        subject: SubjectSpec | None = None
        measure: str | None = None
        if subjects:
            subject = min(subjects, key=lambda m: _score(m.start, m.end, n, clauses)).subject
            measure = _measure_for(text, n, clauses, lex, subject, bool(strikes))
        elif carry is not None:
            # a subject carried from an earlier sentence must not pick the measure:
            # "...ETH ETFs lost $616M. On December 4 the call wall sat at $100,000."
            measure = _measure_for(text, n, clauses, lex, None, bool(strikes))
            subject = carry
            if measure is None:
                measure = _measure_for(text, n, clauses, lex, carry, bool(strikes))
            if carry.kind == "etf" and measure not in _ETF_MEASURES and carry.asset:
                subject = lex.subjects.get(carry.asset, carry)
        else:
            measure = _measure_for(text, n, clauses, lex, None, bool(strikes))
        if (
            measure in _ETF_MEASURES
            and subject is not None
            and subject.kind == "asset"
            and (measure != "cost_basis" or lex.etf_re.search(text))
        ):
            subject = SubjectSpec(id=f"{subject.id}_ETF", kind="etf", asset=subject.id)
        if measure in _ETF_MEASURES and subject is None:
            subject = SubjectSpec(id="ETF", kind="etf", asset=None)
        if measure in _OPTION_MEASURES and (
            not subjects or subject is None or subject.kind != "asset"
        ):
            # no underlying named in the sentence: every underlying with options is a reading
            subject = SubjectSpec(id="OPTIONS", kind="options")
        others = tuple(
            {m.subject.id: m.subject for m in subjects if m.subject.kind != "etf"}.values()
        )
        if measure == "relative":
            # "A outperformed B by X": A is named before the verb, B after it
            kws = list(lex.measure_patterns["relative"].finditer(text))
            if kws:
                kw = min(kws, key=lambda m: _score(m.start(), m.end(), n, clauses))
                before = [m for m in subjects if m.end <= kw.start()]
                after = [m for m in subjects if m.start >= kw.end()]
                if before:
                    subject = before[-1].subject
                others = tuple(m.subject for m in after[:1])
        if measure == "capitulation" and (subject is None or subject.kind != "asset"):
            subject = lex.subjects["BTC"]  # the score is defined on BTC
        value, high = n.value, n.high
        if measure in ("return", "flows", "relative") and not text[
            n.start : n.start + 2
        ].strip().startswith(("-", "+", "−", "–")):
            d = _direction(text, n, clauses, lex)
            if d < 0:
                value, high = -abs(value), (None if high is None else -abs(high))
                if high is not None:
                    value, high = high, value
        if measure == "drawdown":
            value = -abs(value)
        # a table cell takes its period and measure from its column's header
        col_periods: list[PeriodMention] = []
        if header is not None:
            col = text[: n.start].count("|") - (1 if text.lstrip().startswith("|") else 0)
            head = header[col] if 0 <= col < len(header) else ""
            col_periods = find_periods(head, note_date)
            if measure is None and subject is not None:
                for mid, pattern in lex.measure_patterns.items():
                    if pattern.search(head) and _fits(mid, n, subject):
                        measure = mid
                        break
                else:
                    if n.unit == "percent" and col_periods and subject.kind in _PRICED:
                        measure = "return"  # a table of % changes by period: returns
        # period: nearest mention, else the readings for a claim that names none
        cands: tuple[Period, ...] = ()
        ptext: str | None = None
        if col_periods and not periods:
            cands, ptext = col_periods[0].candidates, col_periods[0].text
        # "its October peak" names the peak's month, not the date of the claim
        usable = [p for p in periods if not _PEAK_AFTER.match(text[p.end :])]
        if cands:
            pass
        elif usable:
            pm = min(usable, key=lambda p: _score(p.start, p.end, n, clauses, after=2))
            cands, ptext = pm.candidates, pm.text
        elif carry_period is not None and measure is not None and not periods:
            # a sentence that names no period continues the paragraph's last one
            cands, ptext = carry_period.candidates, carry_period.text
        elif measure is not None:
            cands = default_periods(note_date, measure in LEVEL_MEASURES)
        strike = None
        if measure == "oi_strike" and strikes:
            strike = min(strikes, key=lambda s: abs(s[0] - n.start))[2]
        note = None
        if subject is None:
            note = "no subject (asset, ETF group, index, macro series) found for this number"
        elif measure is None:
            kind = {"usd": "dollar amount", "number": "bare number", "percent": "percentage"}
            note = f"no measure fits a {kind.get(n.unit, n.unit)} about {subject.label} in this sentence"
        claims.append(
            Claim(
                text=n.text,
                sentence=text,
                start=sent.start + n.start,
                end=sent.start + n.end,
                value=value,
                unit=n.unit,
                half_unit=n.half_unit,
                high=high,
                subject=subject,
                measure=measure,
                periods=cands,
                period_text=ptext,
                qualifier=_qualifier(text, n, lex),
                strike=strike,
                expiry_text=expiry.group(0) if expiry else None,
                note=note,
                readings_subjects=others,
            )
        )
    last = subjects[-1].subject if subjects else carry
    kept = [p for p in periods if not _PEAK_AFTER.match(text[p.end :])]
    return claims, last, (kept[-1] if kept else carry_period)


def extract_claims(text: str, note_date: dt.date) -> list[Claim]:
    """Every numeric claim in the note text (see :func:`altseason.verify.note_text`)."""
    lex = lexicon()
    out: list[Claim] = []
    carry: SubjectSpec | None = None
    carry_period: PeriodMention | None = None
    table_header: list[str] | None = None
    paragraph = -1
    for sent in sentences(text):
        if sent.paragraph != paragraph:
            carry, carry_period, paragraph = None, None, sent.paragraph
        header: list[str] | None = None
        if sent.text.startswith("|"):
            cells = [c.strip() for c in sent.text.strip().strip("|").split("|")]
            if table_header is None:
                table_header = cells  # the first row of a table is its header
            else:
                header = table_header
        else:
            table_header = None
        claims, carry, carry_period = _claims_in(sent, note_date, lex, carry, carry_period, header)
        out.extend(claims)
    return out
