"""Any text gives verdicts or a clear error, never an internal error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altseason.exceptions import ValidationError
from altseason.store import Store
from altseason.verify import VERDICTS, verify_note

WORDS = [
    "Bitcoin", "BTC", "ether", "ETFs", "gold", "S&P 500", "small caps", "call wall", "put zone",
    "max pain", "fell", "rose", "inflows", "outflows", "in", "December", "Q4", "2025", "by",
    "year-end", "since launch", "early 2026", "$21.3B", "6.3%", "75k-92k", "0.53", "-", "–", ".",
    ",", ";", "about", "more than", "$", "%", "k", "M", "bn", "pp", "<b>", "</b>", "#", "*", "|",
    "12", "1,000", "3.", "..", "$.5", "between", "and", "to", "peak", "on", "December 4",
]  # fmt: skip


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("fuzz") / "empty.duckdb")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), max_size=40).map(" ".join))
def test_any_text_gives_verdicts(empty_store: Store, text: str) -> None:
    try:
        result = verify_note("Note 2026-01-02\n\n" + text, empty_store)
    except ValidationError:
        return
    for chk in result.checks:
        assert chk.verdict in VERDICTS
        c = chk.claim
        assert result.text[c.start : c.end] == c.text
        assert chk.verdict != "supported"  # an empty store supports nothing
    result.to_json()
    result.to_html()
