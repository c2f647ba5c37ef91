"""The domain lexicon (``lexicon.toml`` shipped beside this module), compiled once.

Subjects come from the lexicon and, for tokens it does not list, from the
shipped sector map (symbol, case-sensitive; name, case-sensitive, so "Flow"
the token is not "flow" the measure).
"""

from __future__ import annotations

import csv
import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = ["Lexicon", "MeasureSpec", "SubjectSpec", "lexicon"]

# Upper-case words that are token symbols in the sector map but mean something else in notes.
_SYMBOL_STOP = {
    "ATH", "ONE", "NOT", "HOT", "SUN", "CORE", "MEME", "DOGS", "PEOPLE", "SUPER", "MAGIC", "PRIME",
    "ETF", "USD", "AUM", "YOY", "FED", "CPI", "GDP", "ALPHA", "IO", "OI", "AI", "US", "UK", "EU",
    "CEO", "SEC", "ATM", "OTM", "ITM", "IV", "RR", "PCR", "MTD", "YTD", "QI", "SD", "FF", "W", "S",
    "SPX", "GAS", "REN", "UMA", "POWR", "ANC", "MIR", "RARE", "ULTRA", "GOAT", "TRUMP", "ELON", "NOS",
}  # fmt: skip
_NAME_STOP = {
    "Flow", "Near", "Dash", "Nano", "Beam", "Secret", "Core", "Magic", "Prime", "Super", "Grass",
    "Pixels", "Ultra", "Quant", "Gala", "Sky", "Maker", "Orca", "Drift", "Aster", "Plasma", "Blast",
    "Scroll", "Usual", "Sonic", "Kite", "Maple", "Venus", "Phoenix", "Cortex", "Turbo", "Ren", "Blur",
    "Terra", "Cosmos Hub", "Reserve Rights", "Compound", "Stacks", "Helium", "Immutable",
    "Ethereum", "Bitcoin", "Gold", "Silver", "Pi Network", "Kaito", "Monad", "Boundless", "Sei", "Sui",
}  # fmt: skip


@dataclass(frozen=True)
class SubjectSpec:
    """A subject the note can talk about."""

    id: str
    kind: str  # asset, macro, sentiment, tier, sector, sectors, market, etf
    series: tuple[str, ...] = ()
    tier: str | None = None
    sector: str | None = None
    asset: str | None = None  # the underlying of an ETF subject

    @property
    def label(self) -> str:
        if self.kind == "options":
            return "options (underlying not named)"
        if self.kind == "etf":
            return "all spot ETFs" if self.asset == "ALL" else f"{self.asset or 'spot'} ETFs"
        return self.id


@dataclass(frozen=True)
class MeasureSpec:
    """A measure: its phrases, the claim units it accepts and its tolerance."""

    id: str
    priority: int
    phrases: tuple[str, ...]
    units: tuple[str, ...]
    tolerance: dict[str, float]
    finding_ids: tuple[str, ...]


def _phrase_re(phrases: list[str], *, case: bool = False) -> re.Pattern[str]:
    alts = sorted({p for p in phrases if p}, key=len, reverse=True)
    body = "|".join(re.escape(p) for p in alts)
    return re.compile(rf"(?<![\w&$])(?:{body})(?![\w&])", 0 if case else re.I)


@dataclass
class Lexicon:
    """The compiled lexicon."""

    subjects: dict[str, SubjectSpec]
    subject_patterns: list[tuple[re.Pattern[str], str]]
    etf_re: re.Pattern[str]
    measures: dict[str, MeasureSpec]
    measure_patterns: dict[str, re.Pattern[str]]
    negative_re: re.Pattern[str]
    positive_re: re.Pattern[str]
    hedge_re: re.Pattern[str]
    lower_re: re.Pattern[str]
    upper_re: re.Pattern[str]
    param_after: tuple[str, ...]
    param_before: tuple[str, ...]
    raw: dict[str, Any] = field(default_factory=dict)


def _load_raw() -> dict[str, Any]:
    text = resources.files("altseason.verify").joinpath("lexicon.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _sector_map_tokens() -> list[tuple[str, str]]:
    path = resources.files("altseason.data").joinpath("sector_map.csv")
    with path.open("r", encoding="utf-8") as fh:
        return [(r["symbol"].strip(), r["name"].strip()) for r in csv.DictReader(fh)]


@functools.cache
def lexicon() -> Lexicon:
    """The lexicon shipped with the package (compiled on first use)."""
    raw = _load_raw()
    subjects: dict[str, SubjectSpec] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    for sid, spec in raw["subjects"].items():
        subjects[sid] = SubjectSpec(
            id=sid,
            kind=spec["kind"],
            series=tuple(spec.get("series", ())),
            tier=spec.get("tier"),
            sector=spec.get("sector"),
        )
        if spec.get("symbols"):
            patterns.append((_phrase_re(spec["symbols"], case=True), sid))
        if spec.get("names"):
            patterns.append((_phrase_re(spec["names"]), sid))
    known = {s for s in subjects}
    symbols: dict[str, str] = {}
    names: dict[str, str] = {}
    for symbol, name in _sector_map_tokens():
        if symbol in known or symbol in _SYMBOL_STOP or not symbol.isalnum():
            continue
        if len(symbol) >= 3 and symbol.isupper():
            symbols[symbol] = symbol
        if len(name) >= 4 and name not in _NAME_STOP and name[0].isupper():
            names[name] = symbol
    for sym in set(symbols) | set(names.values()):
        subjects.setdefault(sym, SubjectSpec(id=sym, kind="asset"))
    for sym in symbols:
        patterns.append((re.compile(rf"(?<![\w$])\$?{re.escape(sym)}(?![\w])"), sym))
    for name, sym in names.items():
        patterns.append((re.compile(rf"(?<![\w]){re.escape(name)}(?:'s)?(?![\w])"), sym))
    measures = {
        mid: MeasureSpec(
            id=mid,
            priority=int(spec["priority"]),
            phrases=tuple(spec["phrases"]),
            units=tuple(spec["units"]),
            tolerance={k: float(v) for k, v in spec["tolerance"].items()},
            finding_ids=tuple(spec.get("finding_ids", ())),
        )
        for mid, spec in raw["measures"].items()
    }
    return Lexicon(
        subjects=subjects,
        subject_patterns=patterns,
        etf_re=_phrase_re(raw["etf"]["words"]),
        measures=measures,
        measure_patterns={m.id: _phrase_re(list(m.phrases)) for m in measures.values()},
        negative_re=_phrase_re(raw["direction"]["negative"]),
        positive_re=_phrase_re(raw["direction"]["positive"]),
        hedge_re=re.compile(
            "(?:" + "|".join(re.escape(w) for w in raw["qualifiers"]["hedge"]) + r")\s*$", re.I
        ),
        lower_re=re.compile(
            "(?:" + "|".join(re.escape(w) for w in raw["qualifiers"]["lower_bound"]) + r")\s*$",
            re.I,
        ),
        upper_re=re.compile(
            "(?:" + "|".join(re.escape(w) for w in raw["qualifiers"]["upper_bound"]) + r")\s*$",
            re.I,
        ),
        param_after=tuple(raw["parameters"]["after"]),
        param_before=tuple(raw["parameters"]["before"]),
        raw=raw,
    )
