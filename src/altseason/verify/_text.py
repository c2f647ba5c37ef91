"""Reading a note: plain text, Markdown or HTML to one plain text, its date, its sentences.

Every later step works on the plain text returned by :func:`note_text`; claim
spans are offsets into it, and the HTML page shows that text (escaped).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from altseason.exceptions import ValidationError

__all__ = ["Sentence", "note_date", "note_text", "sentences"]

_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
    "title",
}
_SKIP_TAGS = {"script", "style", "head", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
            return
        if not self._skip:
            self.parts.append(data)


def _looks_html(raw: str) -> bool:
    head = raw.lstrip()[:2000].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(p|div|h[1-6]|body|article|span|li|table)\b[^>]*>", head)
    )


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPH = re.compile(r"(\*\*|__|\*|`)")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE)
_MD_BULLET = re.compile(r"^[ \t]*(?:[-*+]|\d+\.)[ \t]+", re.MULTILINE)
_MD_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*(?:-{3,}|\*{3,}|_{3,}|\|?[ \t]*:?-{3,}.*)$", re.MULTILINE)


_BLOCK_START = re.compile(r"^\s*(?:#|[-*+]\s|\d+[.)]\s|\||>|```|-{3,}|\*{3,}|_{3,})")


def _join_soft_breaks(text: str) -> str:
    """Join the wrapped lines of a Markdown/plain-text paragraph into one line.

    A line continues the previous one unless either is blank, the previous is
    a heading, or the line starts a block (heading, list item, table row, quote).
    """
    out: list[str] = []
    prev_heading = True
    for line in text.split("\n"):
        starts_block = bool(_BLOCK_START.match(line))
        if out and out[-1].strip() and line.strip() and not starts_block and not prev_heading:
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
        prev_heading = line.lstrip().startswith("#") or not line.strip()
    return "\n".join(out)


def note_text(raw: str) -> str:
    """The note as plain text: HTML tags and Markdown markup removed.

    Parameters
    ----------
    raw
        The note as read (plain text, Markdown or HTML).

    Returns
    -------
    str
        Plain text with one block (heading, paragraph, list item, table row)
        per line; the title of an HTML page, if any, first.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if _looks_html(text):
        parser = _TextExtractor()
        parser.feed(text)
        parser.close()
        title = " ".join("".join(parser._title).split())
        body = "".join(parser.parts)
        text = (title + "\n\n" if title else "") + body
    else:
        text = _join_soft_breaks(text)
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_RULE.sub("", text)
        text = _MD_HEADING.sub("", text)
        text = _MD_BULLET.sub("", text)
        text = _MD_QUOTE.sub("", text)
        text = _MD_EMPH.sub("", text)
    lines = [" ".join(line.replace("\u00a0", " ").split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
MONTH_RE = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_DATE_PATTERNS = (
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
    re.compile(rf"\b({MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
    re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_RE})\s+(\d{{4}})\b", re.I),
)


def month_number(name: str) -> int:
    """1-12 for an English month name or abbreviation."""
    return _MONTHS[name.lower().rstrip(".")]


def _parse_date(m: re.Match[str], pattern_index: int) -> dt.date | None:
    try:
        if pattern_index == 0:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if pattern_index == 1:
            return dt.date(int(m.group(3)), month_number(m.group(1)), int(m.group(2)))
        return dt.date(int(m.group(3)), month_number(m.group(2)), int(m.group(1)))
    except (ValueError, KeyError):
        return None


def note_date(text: str, *, header_chars: int = 400) -> dt.date | None:
    """The first full date in the note's header (its first lines), if any.

    Accepts ``2025-12-31``, ``December 31, 2025`` and ``31 December 2025``
    (English month names, abbreviations allowed).
    """
    head = text[:header_chars]
    found: list[tuple[int, dt.date]] = []
    for i, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(head):
            d = _parse_date(m, i)
            if d is not None:
                found.append((m.start(), d))
    if not found:
        return None
    return min(found)[1]


@dataclass(frozen=True)
class Sentence:
    """One sentence of the note: its text and where it starts in the note text."""

    text: str
    start: int
    paragraph: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


# A sentence ends at . ! ? followed by space and an upper-case letter, a digit or a quote,
# but not after an abbreviation or inside a number ("6.3%", "U.S.").
_ABBREV = ("e.g", "i.e", "vs", "u.s", "approx", "inc", "no", "mr", "ms", "dr", "st", "jan", "feb",
           "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "est", "etc")  # fmt: skip
_END = re.compile(r"[.!?](?=\s+[\"'(\[]?[A-Z0-9$])")


def sentences(text: str) -> list[Sentence]:
    """Split the note text into sentences (each line is at least one sentence)."""
    out: list[Sentence] = []
    offset = 0
    paragraph = 0
    for line in text.split("\n"):
        if not line.strip():
            paragraph += 1
            offset += len(line) + 1
            continue
        start = 0
        for m in _END.finditer(line):
            before = line[start : m.start()].split()
            word = before[-1].lower().rstrip(".") if before else ""
            if word in _ABBREV:
                continue
            piece = line[start : m.end()]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                out.append(Sentence(piece.strip(), offset + start + lead, paragraph))
            start = m.end()
        piece = line[start:]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append(Sentence(piece.strip(), offset + start + lead, paragraph))
        offset += len(line) + 1
    return out


def parse_iso_date(value: str, what: str) -> dt.date:
    """``YYYY-MM-DD`` to a date, or a :class:`ValidationError` naming ``what``."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationError(f"{what} {value!r} is not a date; write it as YYYY-MM-DD.") from exc
