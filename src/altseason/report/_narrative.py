"""Prose from findings: sentence templates, evidence rules, hedged wording.

A sentence is written as a template whose numbers are finding references,
``"The altseason index is [[divergence.altseason_index]]."``. :func:`say`
resolves each reference against a :class:`FindingSet`; if any finding behind
the sentence is unavailable the whole sentence is replaced by an explicit
``"Not available: <what> (<reason>)."`` statement, so no sentence is ever
printed without the findings that justify it.

Reference syntax: ``[[id]]`` (default format), ``[[id|abs]]`` (absolute
value, for "fell 3.2%"), ``[[id|signed]]`` / ``[[id|unsigned]]``, and
``[[id|label]]`` (the finding's label instead of its value).

Qualitative words come from documented rules over findings
(:func:`leadership`, :func:`breadth_word`, ...) so the wording is hedged by
the evidence: "small caps lead" only when relative strength and the
altseason index agree, "broad" only when breadth says so, otherwise
"mixed".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from altseason.report._findings import FindingSet

__all__ = [
    "Paragraph",
    "Ref",
    "Sentence",
    "Token",
    "breadth_word",
    "correlation_word",
    "direction_word",
    "join_sentences",
    "leadership",
    "not_available",
    "put_call_tilt",
    "regime_reason",
    "regime_view",
    "say",
    "sentence_text",
]

_REF = re.compile(r"\[\[([A-Za-z0-9_.\-]+)(?:\|(abs|signed|unsigned|label))?\]\]")


@dataclass(frozen=True)
class Ref:
    """A rendered number that links to its finding (``finding_id``)."""

    finding_id: str
    text: str


Token = str | Ref


@dataclass(frozen=True)
class Sentence:
    """A sentence: text and finding references; ``missing`` marks a not-available statement."""

    tokens: tuple[Token, ...]
    missing: bool = False
    caveat: str | None = None
    """The ``" (caveat: ...)"`` note appended to the sentence, if any."""
    unavailable: tuple[tuple[str, ...], str] | None = None
    """For a "Not available" statement: what is missing and why (so a paragraph can say
    several missing things with one reason once)."""

    @property
    def refs(self) -> list[Ref]:
        """The finding references in the sentence."""
        return [t for t in self.tokens if isinstance(t, Ref)]


@dataclass
class Paragraph:
    """Sentences rendered together; ``heading`` is an optional lead-in in bold."""

    sentences: list[Sentence] = field(default_factory=list)
    heading: str | None = None

    def add(self, sentence: Sentence | None) -> None:
        """Append a sentence (``None`` is ignored).

        A caveat already stated by an earlier sentence of the paragraph is
        not repeated: the reader sees "(caveat: data ends on ...)" once.
        """
        if sentence is None:
            return
        if sentence.unavailable is not None:
            whats, why = sentence.unavailable
            for k, prev in enumerate(self.sentences):
                if prev.unavailable is not None and prev.unavailable[1] == why:
                    # "Not available: A; B (why)." instead of the reason twice
                    both = prev.unavailable[0] + tuple(
                        w for w in whats if w not in prev.unavailable[0]
                    )
                    self.sentences[k] = not_available_all(both, why)
                    return
        note = sentence.caveat
        if note and any(s.caveat == note for s in self.sentences):
            last = sentence.tokens[-1]
            if isinstance(last, str) and note in last:
                trimmed = last.replace(note, "", 1)
                sentence = Sentence((*sentence.tokens[:-1], trimmed), sentence.missing, note)
        self.sentences.append(sentence)

    def __bool__(self) -> bool:
        return bool(self.sentences)


def not_available(what: str, reason: str) -> Sentence:
    """The explicit statement that replaces a sentence whose finding is missing."""
    return not_available_all((what,), reason)


def not_available_all(whats: tuple[str, ...], reason: str) -> Sentence:
    """One "Not available" statement for several missing things with the same reason."""
    reason = reason.rstrip(".")
    return Sentence(
        (f"Not available: {'; '.join(whats)} ({reason}).",),
        missing=True,
        unavailable=(whats, reason),
    )


def say(fs: FindingSet, template: str, *, what: str | None = None) -> Sentence:
    """Resolve a sentence template against findings.

    Parameters
    ----------
    fs
        The findings.
    template
        Text with ``[[finding.id]]`` references (see the module docstring).
    what
        What the sentence reports, for the "not available" statement
        (default: the label of the first unavailable finding).

    Returns
    -------
    Sentence
        The sentence, or a "Not available: ..." statement when any
        referenced finding is unavailable. A sentence that rests on a
        ``caveat`` finding states why, before its final full stop:
        ``"... is 78% (caveat: on 39 of the top 50)."``.
    """
    tokens: list[Token] = []
    caveats: list[str] = []
    pos = 0
    missing = [fs.get(m.group(1)) for m in _REF.finditer(template)]
    missing = [f for f in missing if not f.available]
    if missing:
        first = missing[0]
        label = what or (first.label if first.label != first.id else first.id)
        reasons: list[str] = []
        for f in missing:
            # a reason may join several ("a; b"): each part is said once
            for r in (f.reason or "no value").rstrip(".").split("; "):
                if r not in reasons:
                    reasons.append(r)
        return not_available(label, "; ".join(reasons))
    for m in _REF.finditer(template):
        fid, mode = m.group(1), m.group(2)
        f = fs.get(fid)
        if f.status == "caveat" and f.reason and f.reason not in caveats:
            caveats.append(f.reason)
        if m.start() > pos:
            tokens.append(template[pos : m.start()])
        if mode == "label":
            tokens.append(f.label)
        else:
            text = f.format(
                absolute=mode == "abs",
                signed=True
                if mode == "signed"
                else (False if mode in ("unsigned", "abs") else None),
            )
            tokens.append(Ref(fid, text))
        pos = m.end()
    if pos < len(template):
        tokens.append(template[pos:])
    if caveats:
        note = f" (caveat: {'; '.join(c.rstrip('.') for c in caveats)})"
        last = tokens[-1] if tokens else ""
        if isinstance(last, str) and last.endswith("."):
            tokens[-1] = last[:-1] + note + "."
        else:
            tokens.append(note)
        return Sentence(tuple(tokens), caveat=note)
    return Sentence(tuple(tokens))


def sentence_text(sentence: Sentence) -> str:
    """Plain text of a sentence (numbers unlinked)."""
    return "".join(t if isinstance(t, str) else t.text for t in sentence.tokens)


def join_sentences(sentences: Iterable[Sentence]) -> str:
    """Plain text of several sentences, space-separated."""
    return " ".join(sentence_text(s) for s in sentences)


# ---------------------------------------------------------------------- evidence rules
LEAD_ALTSEASON_HIGH = 0.5
"""Altseason index above this (share of top-50 beating BTC) supports "small caps lead"."""

BREADTH_BROAD = 0.6
"""Share of assets above their 50-day average at or above which a move is "broad"."""

BREADTH_NARROW = 0.4
"""Share at or below which a move is "narrow"."""


def leadership(rs_change: float | None, altseason_index: float | None) -> str:
    """Who leads, hedged by agreement of two measures.

    Parameters
    ----------
    rs_change
        Change of the small-cap index relative to BTC over the window
        (fraction; > 0 means small caps outperformed).
    altseason_index
        Share of the top-50 beating BTC over 90 days (fraction in [0, 1]).

    Returns
    -------
    str
        ``"small caps lead"`` when both say so (``rs_change > 0`` and
        index > :data:`LEAD_ALTSEASON_HIGH`), ``"majors lead"`` when both say
        the opposite, ``"mixed"`` when they disagree or the index is exactly
        at the threshold, ``"unknown"`` when either is missing.
    """
    if rs_change is None or altseason_index is None:
        return "unknown"
    small_rs = rs_change > 0
    big_rs = rs_change < 0
    small_idx = altseason_index > LEAD_ALTSEASON_HIGH
    big_idx = altseason_index < LEAD_ALTSEASON_HIGH
    if small_rs and small_idx:
        return "small caps lead"
    if big_rs and big_idx:
        return "majors lead"
    return "mixed"


def breadth_word(share_above_50d: float | None) -> str:
    """``"broad"``, ``"narrow"`` or ``"moderate"`` from breadth (``"unknown"`` if missing)."""
    if share_above_50d is None:
        return "unknown"
    if share_above_50d >= BREADTH_BROAD:
        return "broad"
    if share_above_50d <= BREADTH_NARROW:
        return "narrow"
    return "moderate"


def direction_word(
    change: float | None, *, up: str = "rose", down: str = "fell", flat: str = "was unchanged"
) -> str:
    """A verb for the sign of ``change`` (``flat`` when zero or missing)."""
    if change is None or change == 0:
        return flat
    return up if change > 0 else down


def correlation_word(avg_corr: float | None) -> str:
    """Describe an average pairwise correlation level.

    ``>= 0.6`` "high", ``> 0.3`` "moderate", else "low" (``"unknown"`` if missing);
    the thresholds of ``altseason.analytics.correlation_regime``.
    """
    if avg_corr is None:
        return "unknown"
    if avg_corr >= 0.6:
        return "high"
    if avg_corr > 0.3:
        return "moderate"
    return "low"


def first_available(fs: FindingSet, ids: Sequence[str]) -> str | None:
    """The first of ``ids`` that is available, or ``None``."""
    for i in ids:
        if fs.available(i):
            return i
    return None


def put_call_tilt(fs: FindingSet, fid: str) -> str | None:
    """``"puts"``, ``"calls"`` or ``"neither side"`` for the put/call ratio ``fid``.

    Decided on the ratio *as printed* (two decimals), so a ratio shown as
    ``1.00`` always reads "tilted towards neither side", on every page that
    uses this function; ``None`` when the finding is unavailable.
    """
    if not fs.available(fid):
        return None
    try:
        shown = float(fs.get(fid).format(signed=False))
    except ValueError:
        return None
    if shown > 1.0:
        return "puts"
    if shown < 1.0:
        return "calls"
    return "neither side"


REGIME_REASONS: dict[str, str] = {
    "altseason": "at least [[rules.altseason_min]] of the top 50 beat BTC over 90 days",
    "bitcoin season": "at most [[rules.bitcoin_season_max]] of the top 50 beat BTC over 90 days",
    "rotation into alts": (
        "{tier} caps beat BTC by more than [[rules.rotation_margin]] with at least "
        "[[rules.rotation_breadth]] of the universe above its 50-day average"
    ),
    "bitcoin-led": "BTC dominance is rising while {tier} caps lag BTC",
    "broad risk-off": (
        "under [[rules.risk_off_breadth]] of the universe trades above its 50- and 200-day averages"
    ),
    "broad rally": "over [[rules.rally_breadth]] of the universe trades above its 50-day average",
    "mixed": "no measure is decisive",
}
"""What each :func:`altseason.analytics.divergence_regime` label means, in prose (a
template for :func:`say`: thresholds are ``rules.*`` findings)."""

REGIME_HEADLINES: dict[str, str] = {
    "altseason": "Altseason: most of the top 50 beat BTC",
    "bitcoin season": "Bitcoin season: BTC beats most of the top 50",
    "rotation into alts": "{Tier} caps lead BTC on broad participation",
    "bitcoin-led": "Majors lead as BTC dominance rises; {tier} caps lag",
    "broad risk-off": "Broad risk-off: most assets below their 50- and 200-day averages",
    "broad rally": "Broad rally: most assets above their 50-day average",
    "mixed": "Mixed: no divergence measure is decisive",
}
"""The report headline for each divergence regime."""

REGIME_LEAD: dict[str, str] = {
    "altseason": "small caps lead",
    "rotation into alts": "small caps lead",
    "bitcoin season": "majors lead",
    "bitcoin-led": "majors lead",
}
"""The leadership a regime asserts (regimes not listed assert none)."""


def regime_reason(regime: str, tier: str = "small") -> str:
    """The prose meaning of a divergence regime label (``""`` for an unknown label)."""
    return REGIME_REASONS.get(regime, "").format(tier=tier, Tier=tier.capitalize())


def regime_view(fs: FindingSet, tier: str = "small") -> tuple[str | None, str | None]:
    """``(headline, asserted leadership)`` from the ``divergence.regime`` finding.

    ``(None, None)`` when the regime finding is unavailable (callers then
    fall back to :func:`leadership`). The headline and the summary derive
    from the regime so they never contradict it: a ``"mixed"`` regime gives
    ``"Mixed: no divergence measure is decisive"`` even when the two
    leadership measures happen to agree.
    """
    if not fs.available("divergence.regime"):
        return None, None
    reg = str(fs.get("divergence.regime").value)
    head = REGIME_HEADLINES.get(reg)
    if head is None:
        return None, None
    return head.format(tier=tier, Tier=tier.capitalize()), REGIME_LEAD.get(reg, "none")
