"""Findings: unit formatting, unavailable findings, JSON round trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.exceptions import ReportError
from altseason.report import Finding, FindingSet, Provenance, format_value


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.62, "percent", "62%"),
        (0.045, "percent", "4.5%"),
        (0.123, "return", "+12.3%"),
        (-0.0349, "return", "-3.5%"),
        (0.0, "return", "0.0%"),
        (0.05, "pp", "+5.0 pp"),
        (0.0001, "rate", "0.0100%"),
        (1.234e9, "usd", "$1.23B"),
        (-3.4e8, "flow", "-$340M"),
        (7.19e9, "flow", "+$7.19B"),
        (15_500.0, "usd", "$15.5k"),
        (94_530.2, "price", "$94,530"),
        (0.2345, "price", "$0.2345"),
        (1.234, "ratio", "1.23"),
        (2.1, "multiple", "2.10x"),
        (1.25, "zscore", "+1.2σ"),
        (1234.0, "count", "1,234"),
        (1.0, "days", "1 day"),
        (12.0, "days", "12 days"),
        ("2025-12-04", "date", "2025-12-04"),
        ("DeFi", "text", "DeFi"),
        (None, "percent", "n/a"),
        (math.nan, "return", "n/a"),
    ],
)
def test_format_value_by_unit(value: object, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected  # type: ignore[arg-type]


def test_unknown_unit_is_an_error() -> None:
    with pytest.raises(ReportError, match="unknown finding unit"):
        format_value(1.0, "furlongs")
    with pytest.raises(ReportError):
        Finding("a.b", "x", 1.0, "furlongs")


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=-1e13, max_value=1e13, allow_nan=False))
def test_usd_formatting_keeps_magnitude(x: float) -> None:
    text = format_value(x, "flow")
    suffix = {"T": 1e12, "B": 1e9, "M": 1e6, "k": 1e3}
    body = text.lstrip("+-").lstrip("$")
    mult = suffix.get(body[-1], 1.0)
    number = float(body.rstrip("TBMk").replace(",", "")) * mult
    assert number == pytest.approx(abs(x), rel=0.01, abs=0.6)
    if x < -0.5:
        assert text.startswith("-$")


def test_nan_value_makes_the_finding_unavailable() -> None:
    f = Finding.of("x.y", "Thing", math.nan, "ratio")
    assert not f.available
    assert f.reason and "no value" in f.reason
    assert f.format() == "not available"


def test_missing_id_in_a_set_is_an_unavailable_placeholder() -> None:
    fs = FindingSet()
    f = fs.get("nope.nothing")
    assert not f.available
    assert f.reason == "not computed in this report"
    assert fs.value("nope.nothing") is None


def test_json_round_trip_keeps_values_and_provenance() -> None:
    prov = Provenance(
        "prices",
        120,
        "2025-01-01",
        "2025-04-30",
        ("demo",),
        "2026-01-01 10:00:00",
        "2026-01-01 10:00:01",
        {"asset_id": ["BTC", "ETH"]},
    )
    fs = FindingSet(
        [
            Finding.of(
                "divergence.altseason_index",
                "Altseason index",
                0.62,
                "percent",
                asof="2025-04-30",
                window="90d",
                provenance=[prov],
                method="m",
            ),
            Finding.unavailable("flows.net_flow", "Net flow", "no ETF flows", unit="flow"),
        ]
    )
    back, meta = FindingSet.from_json(fs.to_json(asof="2025-04-30"))
    assert meta == {"asof": "2025-04-30"}
    assert back.ids() == fs.ids()
    a = back.get("divergence.altseason_index")
    assert a.value == 0.62 and a.unit == "percent" and a.window == "90d"
    assert a.provenance[0].rows == 120
    assert a.provenance[0].filters == {"asset_id": ["BTC", "ETH"]}
    assert a.is_demo and back.is_demo
    assert back.get("flows.net_flow").reason == "no ETF flows"


def test_bad_findings_json_is_a_report_error() -> None:
    with pytest.raises(ReportError, match="findings file"):
        FindingSet.from_json("{not json")
