"""Verdict rules: tolerances, bounds, readings, and quality gates."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.verify._extract import extract_claims
from altseason.verify._measures import Computed
from altseason.verify._verdicts import agrees, tolerance, verdict

NOTE = dt.date(2026, 1, 2)


def claim(sentence: str):  # type: ignore[no-untyped-def]
    (c,) = extract_claims(sentence, NOTE)
    return c


def ok(value: float, unit: str = "return") -> Computed:
    return Computed(value, unit, provenance=[{"table": "prices", "rows": 1}])


@settings(max_examples=100, deadline=None)
@given(pct=st.decimals(min_value="0.1", max_value="300", places=1), off=st.floats(0.0, 5.0))
def test_a_return_agrees_exactly_when_within_tolerance(pct: object, off: float) -> None:
    c = claim(f"Gold rose {pct}% in 2025.")
    x = c.value + off / 100.0
    t = tolerance(c, ok(x))
    assert t >= 0.0075
    assert agrees(c, ok(x)) == (abs(x - c.value) <= t)
    v, _ = verdict(c, [ok(x)])
    assert v == ("supported" if abs(x - c.value) <= t else "contradicted")


@settings(max_examples=60, deadline=None)
@given(x=st.floats(1e6, 5e10))
def test_million_and_billion_never_both_agree(x: float) -> None:
    m = claim(f"Bitcoin ETFs took in ${x / 1e6:.1f}M in 2025.")
    b = claim(f"Bitcoin ETFs took in ${x / 1e6:.1f}B in 2025.")
    assert not (agrees(m, ok(x, "flow")) and agrees(b, ok(x, "flow")))


def test_inflows_never_agree_with_outflows() -> None:
    c = claim("Bitcoin ETFs saw inflows of $3.47 billion in November.")
    assert not agrees(c, ok(-3.47e9, "flow"))
    assert agrees(c, ok(3.47e9, "flow"))


def test_caveat_or_unavailable_readings_never_support() -> None:
    c = claim("Gold rose 64% in 2025.")
    caveat = Computed(0.64, "return", status="caveat", reason="the series ends 3 days early")
    assert verdict(c, [caveat])[0] == "unverifiable"
    missing = Computed.unavailable("no gold series in the store")
    v, reason = verdict(c, [missing])
    assert v == "unverifiable" and "no gold series" in reason
    # several readings: one agrees, one cannot be computed -> not supported
    assert verdict(c, [ok(0.64), missing])[0] == "ambiguous"
    assert verdict(c, [ok(0.64), ok(0.64)])[0] == "supported"
    assert verdict(c, [ok(0.10), ok(0.20)])[0] == "contradicted"
    assert verdict(c, [ok(0.64), ok(0.20)])[0] == "ambiguous"


def test_bounds_and_hedges() -> None:
    more = claim("Bitcoin ETFs took in more than $20 billion in 2025.")
    assert more.qualifier == "lower"
    assert agrees(more, ok(21.3e9, "flow")) and not agrees(more, ok(15e9, "flow"))
    under = claim("Gold rose less than 10% in December.")
    assert under.qualifier == "upper"
    assert agrees(under, ok(0.025)) and not agrees(under, ok(0.3))
    hedged = claim("Gold rose about 10% in December.")
    plain = claim("Gold rose 10% in December.")
    assert tolerance(hedged, ok(0.1)) == 2 * tolerance(plain, ok(0.1))
