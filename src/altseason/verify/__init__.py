"""Check the numbers in a market note against the store (``altseason verify``).

:func:`verify_note` reads a note (plain text, Markdown or HTML), finds every
numeric claim (value and unit, subject, measure, period), computes the same
quantity from the store with the analytics functions the report uses, and
gives each claim a verdict: ``supported``, ``contradicted``, ``ambiguous``,
``unverifiable`` or ``not_understood``. Extraction uses a domain lexicon
shipped with the package (``lexicon.toml``) and the sector map's token
names; measures and their computations live in one module (``_measures``).
"""

from altseason.verify._measures import MEASURES, Computed, compute
from altseason.verify._text import note_date, note_text
from altseason.verify._verdicts import VERDICTS
from altseason.verify._verify import ClaimCheck, VerifyResult, read_note, verify_note

__all__ = [
    "MEASURES",
    "VERDICTS",
    "ClaimCheck",
    "Computed",
    "VerifyResult",
    "compute",
    "note_date",
    "note_text",
    "read_note",
    "verify_note",
]
