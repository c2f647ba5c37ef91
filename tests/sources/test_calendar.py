"""The real regulatory and market event calendar."""

from __future__ import annotations

import pandas as pd

from altseason.sources.calendar import CALENDAR_SOURCE, EVENT_COLUMNS, regulatory_events
from altseason.store import TABLES, Store

KNOWN = {
    "spot-btc-etf-approval": "2024-01-10",
    "spot-eth-etf-19b4": "2024-05-23",
    "spot-eth-etf-launch": "2024-07-23",
    "mica-stablecoins": "2024-06-30",
    "mica-full": "2024-12-30",
    "genius-act": "2025-07-18",
    "clarity-act-house": "2025-07-17",
    "ftx-collapse": "2022-11-11",
    "terra-collapse": "2022-05-09",
    "btc-halving-2020": "2020-05-11",
    "btc-halving-2024": "2024-04-20",
    "ethereum-merge": "2022-09-15",
    "dencun": "2024-03-13",
    "ripple-ruling": "2023-07-13",
    "grayscale-win": "2023-08-29",
}


def test_calendar_has_the_real_dates() -> None:
    ev = regulatory_events().set_index("event_id")
    for event_id, date in KNOWN.items():
        assert ev.at[event_id, "date"] == pd.Timestamp(date), event_id


def test_calendar_shape_and_content() -> None:
    ev = regulatory_events()
    assert tuple(ev.columns) == EVENT_COLUMNS
    assert set(EVENT_COLUMNS) <= set(TABLES["events"].column_names)
    assert ev["event_id"].is_unique
    assert ev["date"].is_monotonic_increasing
    assert ev.notna().all().all()
    assert ev["url"].str.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}/").all()
    assert set(ev["category"]) == {"regulation", "market", "protocol"}
    assert {"US", "EU", "global"} <= set(ev["jurisdiction"])
    assert (ev["description"].str.len() > 20).all()
    assert len(ev) >= 30


def test_calendar_writes_with_its_own_source(store: Store) -> None:
    frame = regulatory_events().assign(source=CALENDAR_SOURCE)
    store.ingest(dataset="calendar", source="unused", tables={"events": frame})
    back = store.read_table("events")
    assert len(back) == len(frame) and set(back["source"]) == {CALENDAR_SOURCE}
