"""alternative.me Crypto Fear & Greed Index -> ``sentiment`` (``fear_greed``).

Endpoint: ``https://api.alternative.me/fng/?limit=N&format=json`` (``limit=0``
returns the whole history, from 2018-02-01). The answer is
``{"name": "Fear and Greed Index", "data": [{"value": "40",
"value_classification": "Fear", "timestamp": "1551157200",
"time_until_update": "..."}], "metadata": {"error": null}}``, newest first;
``timestamp`` is a string of UNIX seconds at 00:00 UTC of the day.

Incremental runs ask only for the days missing since the cursor (plus two).
The index is published once a day at 00:00 UTC, so today's value is final
and stored too.

Limits: 60 requests per minute over 10 minutes. Terms: free to use with
attribution to alternative.me next to the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from altseason.exceptions import SourceError
from altseason.sources._advice import AdvisedConnector, PlannedRequest
from altseason.sources._connector import (
    FetchResult,
    ProgressCallback,
    parses_payload,
    require,
    to_float,
)
from altseason.store import Store

__all__ = ["AlternativeMe", "extract_fng", "transform_fng"]

FNG_URL = "https://api.alternative.me/fng/"
INDEX_ID = "fear_greed"


@parses_payload("alternative.me", "the fng payload")
def extract_fng(payload: Any, url: str) -> list[dict[str, Any]]:
    """Entries of a fng payload, checked for ``value``, ``value_classification``, ``timestamp``."""
    meta = payload.get("metadata") if isinstance(payload, dict) else None
    if isinstance(meta, dict) and meta.get("error"):
        raise SourceError(f"alternative.me: the API reported an error: {meta['error']}", url=url)
    data = require(payload, "data", url=url, source="alternative.me", what="the response")
    if not isinstance(data, list):
        raise SourceError("alternative.me: 'data' should be a list.", url=url)
    for i, entry in enumerate(data):
        for name in ("value", "value_classification", "timestamp"):
            require(entry, name, url=url, source="alternative.me", what=f"data[{i}]")
    return data


@parses_payload("alternative.me", "the fng payload")
def transform_fng(entries: Sequence[dict[str, Any]], url: str = "") -> pd.DataFrame:
    """``sentiment`` rows sorted by date: ``date, index_id, value, label``.

    ``url`` (where the entries came from) is named in the error when a value cannot be read.
    """
    rows = [
        (
            pd.to_datetime(int(e["timestamp"]), unit="s").normalize(),
            to_float(e["value"]),
            str(e["value_classification"]),
        )
        for e in entries
    ]
    frame = pd.DataFrame(rows, columns=["date", "value", "label"])
    frame.insert(1, "index_id", INDEX_ID)
    return frame.drop_duplicates("date").sort_values("date", ignore_index=True)


class AlternativeMe(AdvisedConnector):
    """alternative.me connector (dataset ``fng``)."""

    name = "alternative_me"
    datasets = ("fng",)
    default_datasets = ("fng",)
    licence = "alternative.me Fear & Greed Index: free with attribution to alternative.me"
    rate_limit_per_minute = 30.0
    history_start = pd.Timestamp("2018-02-01")

    def fetch_fng(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        start = self.resume_point(
            store,
            "fng",
            INDEX_ID,
            since=since,
            default=self.history_start,
            table="sentiment",
            index_id=INDEX_ID,
        )
        end = self.today
        result.keys = 1
        if start > end:
            self._progress(progress, "fng", INDEX_ID, 1, 1, "up to date")
            return
        limit = 0 if start <= self.history_start else int((self.today - start).days) + 2
        payload, url = self.client.get_json(
            FNG_URL, source=self.name, params={"limit": limit, "format": "json"}
        )
        frame = transform_fng(extract_fng(payload, url), url=url)
        frame = frame[(frame["date"] >= start) & (frame["date"] <= end)]
        if not frame.empty:
            self.write_batch(
                store,
                result,
                key=INDEX_ID,
                tables={"sentiment": frame},
                cursor=frame["date"].max().date().isoformat(),
            )
        self._progress(progress, "fng", INDEX_ID, 1, 1)

    # ------------------------------------------------------------------ dry run
    def plan_fng(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        start = self.resume_point(
            store,
            "fng",
            INDEX_ID,
            since=since,
            default=self.history_start,
            table="sentiment",
            index_id=INDEX_ID,
        )
        if start > self.today:
            return []
        limit = 0 if start <= self.history_start else int((self.today - start).days) + 2
        return [self.planned("fng", FNG_URL, {"limit": limit, "format": "json"})]
