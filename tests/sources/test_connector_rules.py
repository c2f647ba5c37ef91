"""A live fetch that receives invalid rows: rejected with reasons, cursor not advanced
past them, the next run asks again, and ``check`` passes (recorded alternative.me payload)."""

from __future__ import annotations

from typing import Any

import httpx
import pandas as pd
from connector_support import Counting, load, make_client, now
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altseason.sources.alternative_me import AlternativeMe
from altseason.store import Store, check_store

FUTURE = int(pd.Timestamp("2100-01-01").timestamp())


def _serving(mutate: dict[int, dict[str, Any]]) -> Counting:
    def handler(request: httpx.Request) -> httpx.Response:
        body = load("alternative_me", "fng.json")
        for i, change in mutate.items():
            body["data"][i].update(change)
        limit = int(request.url.params.get("limit", 1))
        if limit:
            body["data"] = body["data"][:limit]
        return httpx.Response(200, json=body)

    return Counting(handler)


BAD = {
    "future": ({"timestamp": str(FUTURE)}, "after tomorrow"),
    "greed 150": ({"value": "150"}, "Fear & Greed outside 0-100"),
    "fear -20": ({"value": "-20"}, "Fear & Greed outside 0-100"),
}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.dictionaries(st.integers(0, 9), st.sampled_from(sorted(BAD)), min_size=1, max_size=3)
)
def test_invalid_fetched_rows_are_rejected_and_the_cursor_waits(picks: dict[int, str]) -> None:
    raw = load("alternative_me", "fng.json")["data"]
    days = {i: pd.Timestamp(int(e["timestamp"]), unit="s") for i, e in enumerate(raw)}
    with Store(":memory:") as store:
        mutate = {i: BAD[k][0] for i, k in picks.items()}
        AlternativeMe(make_client(_serving(mutate)), now=now).fetch(store)
        rejects = store.read_table("rejects")
        # a future-dated entry is dropped by the connector itself (after its "today")
        # or rejected by the store's rules; either way it is never stored
        rejected = [k for k in picks.values() if k != "future"]
        assert len(rejected) <= len(rejects) <= len(picks)
        for kind in rejected:
            assert rejects["reason"].str.contains(BAD[kind][1], regex=False).any()
        assert (rejects["source"] == "alternative_me").all()
        stored = store.read_table("sentiment", source="alternative_me")
        assert len(stored) == 10 - len(picks)
        assert stored["value"].between(0, 100).all()
        cursor = store.read_cursor("alternative_me", "fng", "fear_greed")
        assert stored["date"].max() <= pd.Timestamp("2024-01-10")
        bad_days = [days[i] for i in picks if BAD[picks[i]][0].get("timestamp") is None]
        good_days = [d for i, d in days.items() if i not in picks]
        if cursor is not None:
            assert pd.Timestamp(cursor) <= max(good_days)  # never at 2100
            if bad_days:
                assert pd.Timestamp(cursor) < min(bad_days)  # retried next run
        assert check_store(store).ok, check_store(store).problems
        # the next run with clean data fetches the rejected days again: the cursor
        # did not skip them
        AlternativeMe(make_client(_serving({})), now=now).fetch(store)
        got = set(store.read_table("sentiment", source="alternative_me")["date"])
        assert set(bad_days) <= got
        assert store.read_cursor("alternative_me", "fng", "fear_greed") == "2024-01-10"
        assert check_store(store).ok
