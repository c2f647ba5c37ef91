"""Reading notes and finding claims: numbers and units, subjects, measures, periods."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.verify._extract import extract_claims
from altseason.verify._periods import find_periods
from altseason.verify._text import note_date, note_text, sentences

NOTE = dt.date(2026, 1, 2)


def one(sentence: str, date: dt.date = NOTE):  # type: ignore[no-untyped-def]
    claims = extract_claims(sentence, date)
    assert len(claims) == 1, [(c.text, c.measure) for c in claims]
    return claims[0]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("Bitcoin ETFs took in $21.3 billion in 2025.", 21.3e9, "usd"),
        ("Bitcoin ETFs took in $21.3B in 2025.", 21.3e9, "usd"),
        ("Bitcoin ETFs took in $21.3bn in 2025.", 21.3e9, "usd"),
        ("Bitcoin ETFs took in $21.3M in 2025.", 21.3e6, "usd"),
        ("Bitcoin ETFs took in US$21,348.3 million in 2025.", 21348.3e6, "usd"),
        ("Bitcoin fell 6.3% in 2025.", -0.063, "percent"),
        ("Bitcoin fell -6.3% in 2025.", -0.063, "percent"),
        ("Bitcoin rose 6.3 percent in 2025.", 0.063, "percent"),
        ("The call wall sat at 100k on December 4.", 100_000.0, "usd"),
        ("The call wall sat at $100,000 on December 4.", 100_000.0, "usd"),
    ],
)
def test_values_and_units(text: str, value: float, unit: str) -> None:
    c = one(text)
    assert c.value == pytest.approx(value)
    assert c.unit == unit


def test_inflows_and_outflows_set_the_sign() -> None:
    assert one("Bitcoin ETFs saw outflows of $1.1 billion in December.").value == -1.1e9
    assert one("Bitcoin ETFs saw inflows of $1.1 billion in December.").value == 1.1e9
    assert one("Bitcoin ETFs bled $1.1 billion in December.").value == -1.1e9
    assert one("Bitcoin ETFs saw net flows of -$1.1 billion in December.").value == -1.1e9


def test_ranges_take_the_unit_of_their_end() -> None:
    c = one("On December 4 the put zone spanned 75-92k.")
    assert (c.value, c.high, c.measure) == (75_000.0, 92_000.0, "put_zone")
    c = one("On December 4 the put zone sat between $75,000 and $92,000.")
    assert (c.value, c.high) == (75_000.0, 92_000.0)


def test_subjects_measures_and_etf_groups() -> None:
    c = one("Spot ether ETFs added $9.7 billion in 2025.")
    assert c.subject is not None and c.subject.kind == "etf" and c.subject.asset == "ETH"
    assert c.measure == "flows"
    c = one("Gold rallied 64% in 2025.")
    assert (c.subject.id, c.measure) == ("GOLD", "return")  # type: ignore[union-attr]
    c = one("By year-end Solana was 52% below its peak.")
    assert (c.subject.id, c.measure, c.value) == ("SOL", "drawdown", -0.52)  # type: ignore[union-attr]
    c = one("The S&P 500 gained 16% in 2025.")
    assert c.subject.id == "SPX"  # type: ignore[union-attr]  # "500" is part of the name
    c = one("The Fear & Greed index read 26 on December 4.")
    assert (c.subject.id, c.measure, c.value) == ("FEAR_GREED", "fear_greed", 26.0)  # type: ignore[union-attr]


def test_each_number_gets_its_own_subject() -> None:
    claims = extract_claims("Bitcoin fell 6% in 2025 while ether lost 11%.", NOTE)
    assert [(c.subject.id, c.value) for c in claims] == [("BTC", -0.06), ("ETH", -0.11)]  # type: ignore[union-attr]


def test_parameters_are_not_claims_and_unknown_numbers_are_kept() -> None:
    claims = extract_claims("BTC's 90-day correlation with gold was 0.21 at year-end.", NOTE)
    assert [c.text for c in claims] == ["0.21"]
    claims = extract_claims(
        "Open interest at the $100,000 strike was 33,600 BTC on December 4.", NOTE
    )
    assert [(c.text, c.strike) for c in claims] == [("33,600", 100_000.0)]
    claims = extract_claims("This note has 17 charts.", NOTE)
    assert [(c.text, c.subject, c.measure) for c in claims] == [("17", None, None)]


def test_periods_relative_to_the_note_date() -> None:
    def span(text: str, date: dt.date = NOTE) -> list[tuple[dt.date | None, dt.date]]:
        (m,) = find_periods(text, date)
        return [(p.start, p.end) for p in m.candidates]

    d = dt.date
    assert span("in December") == [(d(2025, 12, 1), d(2025, 12, 31))]
    assert span("in December", d(2025, 12, 20)) == [(d(2025, 12, 1), d(2025, 12, 31))]
    assert span("in March", d(2025, 12, 20)) == [(d(2025, 3, 1), d(2025, 3, 31))]
    assert span("at year-end") == [(d(2025, 12, 31), d(2025, 12, 31))]
    assert span("in Q4") == [(d(2025, 10, 1), d(2025, 12, 31))]
    assert span("in the third quarter of 2024") == [(d(2024, 7, 1), d(2024, 9, 30))]
    assert span("in H2 2025") == [(d(2025, 7, 1), d(2025, 12, 31))]
    assert span("in the first half", d(2025, 9, 1)) == [(d(2025, 1, 1), d(2025, 6, 30))]
    assert span("by December") == [(d(2025, 12, 31), d(2025, 12, 31))]
    assert span("year to date") == [(d(2026, 1, 1), NOTE)]
    assert span("since launch") == [(None, NOTE)]
    assert span("on December 4") == [(d(2025, 12, 4), d(2025, 12, 4))]
    assert span("on 2025-12-04") == [(d(2025, 12, 4), d(2025, 12, 4))]
    assert len(span("in early 2026", d(2026, 6, 1))) == 3  # to Jan, Feb or Mar: ambiguous
    assert span("over the past 30 days") == [(NOTE - dt.timedelta(days=29), NOTE)]
    assert find_periods("prices may fall", NOTE) == []  # "may" the verb is not May


@settings(max_examples=60, deadline=None)
@given(
    year=st.integers(2015, 2030),
    month=st.integers(1, 12),
    note=st.dates(dt.date(2016, 1, 1), dt.date(2031, 12, 31)),
)
def test_named_months_are_whole_months(year: int, month: int, note: dt.date) -> None:
    name = dt.date(2000, month, 1).strftime("%B")
    (m,) = find_periods(f"in {name} {year}", note)
    (p,) = m.candidates
    assert p.start == dt.date(year, month, 1)
    assert p.end.month == month and (p.end + dt.timedelta(days=1)).day == 1
    (m,) = find_periods(f"in {name}", note)
    (p,) = m.candidates
    assert p.start is not None and p.start <= note  # a month without a year is never in the future


@settings(max_examples=80, deadline=None)
@given(
    value=st.decimals(min_value="0.1", max_value="999.9", places=1),
    scale=st.sampled_from([("M", 1e6), ("B", 1e9), (" million", 1e6), (" billion", 1e9)]),
)
def test_amounts_scale_by_their_suffix(value: object, scale: tuple[str, float]) -> None:
    c = one(f"Bitcoin ETFs took in ${value}{scale[0]} in 2025.")
    assert c.value == pytest.approx(float(str(value)) * scale[1])
    assert c.half_unit == pytest.approx(0.05 * scale[1])


def test_note_text_from_html_and_markdown() -> None:
    html = (
        "<html><head><title>Desk note: 2025-12-05</title><script>var x='9%';</script></head>"
        "<body><p>BTC <b>fell</b> 5% &amp; more.</p></body></html>"
    )
    text = note_text(html)
    assert "9%" not in text and "BTC fell 5% & more." in text
    assert note_date(text) == dt.date(2025, 12, 5)
    md = "# Note\n*January 2, 2026*\n\n- **Bitcoin** fell [6.3%](http://x) in 2025."
    text = note_text(md)
    assert "Bitcoin fell 6.3% in 2025." in text and "**" not in text and "http" not in text
    assert note_date(text) == dt.date(2026, 1, 2)


def test_sentences_do_not_split_numbers() -> None:
    parts = [s.text for s in sentences("BTC fell 6.3% in 2025. ETH lost 11% vs. BTC. Done")]
    assert parts == ["BTC fell 6.3% in 2025.", "ETH lost 11% vs. BTC.", "Done"]
