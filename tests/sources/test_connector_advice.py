"""Per-source advice: every connector closes its errors with advice that fits it."""

from __future__ import annotations

import httpx
import pytest
from connector_support import HANDLERS, Counting, make_client, now

from altseason.exceptions import RateLimitError, SourceError
from altseason.sources import CONNECTORS
from altseason.sources._advice import ADVICE, KEYLESS, LIMITS, AdvisedConnector, advised
from altseason.store import Store

#: The generic closing sentences of the shared HTTP client.
GENERIC = ("configure an API key", "Check the ")


def test_every_connector_has_limits_and_429_advice() -> None:
    assert set(LIMITS) == set(CONNECTORS) == set(ADVICE)
    for name, cls in CONNECTORS.items():
        assert issubclass(cls, AdvisedConnector), name
        assert 429 in ADVICE[name], name
    for name in KEYLESS:
        assert {401, 403} <= set(ADVICE[name]), name


@pytest.mark.parametrize("source", sorted(CONNECTORS))
def test_429_after_retries_names_the_source_advice(store: Store, source: str) -> None:
    handler = Counting(HANDLERS[source], fail=99, failure=lambda r: httpx.Response(429))
    connector = CONNECTORS[source](make_client(handler), now=now)
    with pytest.raises(RateLimitError) as info:
        connector.fetch(store, datasets=[connector.default_datasets[0]])
    msg = str(info.value)
    assert ADVICE[source][429] in msg and "HTTP 429" in msg
    assert not any(g in msg for g in GENERIC)
    assert info.value.status == 429 and info.value.url  # class, status and URL kept


@pytest.mark.parametrize("source", sorted(KEYLESS))
def test_403_from_a_keyless_source_never_mentions_a_key_to_check(store: Store, source: str) -> None:
    handler = Counting(HANDLERS[source], fail=99, failure=lambda r: httpx.Response(403))
    connector = CONNECTORS[source](make_client(handler), now=now)
    with pytest.raises(SourceError) as info:
        connector.fetch(store, datasets=[connector.default_datasets[0]])
    msg = str(info.value)
    assert ADVICE[source][403] in msg and "HTTP 403" in msg
    assert "Check the " not in msg and len(handler.requests) == 1


def test_other_errors_pass_through_unchanged() -> None:
    original = SourceError("x: field 'y' is missing", url="https://h/p", status=None)
    with pytest.raises(SourceError) as info, advised("binance"):
        raise original
    assert info.value is original


def test_summary_counts_rows_the_store_rejected(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows the connector's copy of the store rules rejects are counted by reason; rows
    the store's own ingest rejects on top of them are counted as such."""
    from altseason.sources._connector import FetchResult, _count_rejects
    from altseason.store import IngestResult, Reject

    real = store.ingest
    calls = {"n": 0}

    def ingest(**kw: object) -> object:
        res = real(**kw)  # type: ignore[arg-type]
        calls["n"] += 1
        if calls["n"] == 1:
            res.rows_rejected += 1
        return res

    monkeypatch.setattr(store, "ingest", ingest)
    connector = CONNECTORS["lbma"](make_client(Counting(HANDLERS["lbma"])), now=now)
    [result] = connector.fetch(store)
    assert result.rows_rejected == {"failed the store's validation (see the rejects table)": 1}
    assert result.total_rejected == 1

    # the connector's own rejects carry their reason (the text before the first ';')
    summary = FetchResult(source="lbma", dataset="gold")
    local = [Reject("date after today; rows dated in the future are refused")] * 2
    _count_rejects(summary, IngestResult("r", "d", "lbma", rows_in=5, rows_rejected=3), local)
    assert summary.rows_rejected == {
        "date after today": 2,
        "failed the store's validation (see the rejects table)": 1,
    }
    assert summary.total_rejected == 3
