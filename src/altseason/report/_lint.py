"""Check a rendered HTML report: every number in its body links to a finding.

:func:`unlinked_numbers` reads the report's HTML and returns each numeric
value that the narrative paragraphs or the tables print outside an
``<a class="f">`` link (the link to the number's finding in the appendix).
The browser test applies it to the page Chromium rendered; its own unit test
shows it catches an unlinked ``12.5%``.

What counts as a number: a value with a decimal point, a ``%``, a ``$``, a
``pp``, an ``x`` multiple, a ``σ``, a thousands separator or a ``k/M/B/T``
suffix after ``$``; in a table cell also a bare integer that is the whole
cell. What is left out: the appendices, headings, captions and the small
print (sources lines, table notes), the masthead, the contents, the charts
(drawn by plotly from the same findings' series) and the footer; and, in any
text, ISO dates (``2025-06-30``), Deribit expiry codes (``26DEC25``) and
window labels (``[-5, +5] days``, ``90 days``, ``30-day``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["unlinked_numbers"]

# containers whose text is not the report body (class names of report.html.j2)
_SKIP_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "caption", "script", "style", "footer",
                        "nav", "header", "figure", "thead", "code"})  # fmt: skip
_SKIP_CLASSES = frozenset(
    {"appendix", "small", "masthead", "dek", "toc", "kf-label", "kf-meta", "chart", "tnote"}
)
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "wbr", "source"})

_LABELS = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"  # dates and times
    r"|\b\d{1,2}[A-Z]{3}\d{2}\b"  # expiry codes (26DEC25)
    r"|\[[-+−]?\d+,\s*[-+−]?\d+\](?:\s*days?)?"  # window labels ([-5, +5] days)
    r"|\b\d+(?:\s|-)(?:day|days|week|weeks|month|months|year|years)\b"  # 90 days, 30-day
)
_NUMBER = re.compile(
    r"(?<![\w.])[-+−]?\$?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|pp\b|x\b|σ|[kMBT]\b))?(?![\w.]*\d)"
)


def _is_value(token: str, whole_cell: bool) -> bool:
    t = token.strip()
    if any(ch in t for ch in ".,$%σ") or t.endswith(("pp", "x")):
        return True
    return whole_cell


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, linked)
        self.found: list[str] = []
        self.where: list[str] = []  # the text around each value, for error messages
        self.cell: list[str] | None = None  # text of the current <td> outside links
        self.cell_linked = False

    @property
    def skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    @property
    def linked(self) -> bool:
        return bool(self.stack) and self.stack[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skip = self.skipped or tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES)
        link = self.linked or (tag == "a" and "f" in classes)
        self.stack.append((tag, skip, link))
        if tag == "td" and not skip:
            self.cell, self.cell_linked = [], False

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if tag == "td" and self.cell is not None:
            text = _LABELS.sub(" ", "".join(self.cell)).strip()
            m = _NUMBER.fullmatch(text)
            # a value with a unit was already caught in handle_data: here the bare integer
            if m and not self.cell_linked and not _is_value(text, whole_cell=False):
                self.found.append(text)
                self.where.append(f"table cell {text!r}")
            self.cell = None
        # pop to the matching open tag (tolerates unclosed <p>, <li>, <td>)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self.skipped:
            return
        if self.linked:
            if self.cell is not None:
                self.cell_linked = True
            return
        if self.cell is not None:
            self.cell.append(data)  # a whole-cell bare integer is judged at </td>
        text = _LABELS.sub(" ", data)
        for m in _NUMBER.finditer(text):
            if _is_value(m.group(0), whole_cell=False):
                self.found.append(m.group(0).strip())
                a, b = max(0, m.start() - 60), m.end() + 30
                self.where.append(" ".join(text[a:b].split()))


def unlinked_numbers(html: str, *, context: bool = False) -> list[str]:
    """Numeric values in the report body that are not inside an ``a.f`` finding link.

    Parameters
    ----------
    html
        A rendered report (``report.html``) or the page content a browser shows.
    context
        Return the text around each value instead (for an error message).

    Returns
    -------
    list of str
        Each offending value as printed, in document order (empty when every
        number links to its finding).
    """
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return scan.where if context else scan.found
