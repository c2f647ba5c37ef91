"""FRED (Federal Reserve Bank of St. Louis) macro series -> ``macro``.

Two documented routes:

Keyless ``https://fred.stlouisfed.org/graph/fredgraph.csv?id=M2SL&cosd=YYYY-MM-DD``
    CSV with header ``observation_date,M2SL`` (older files: ``DATE,M2SL``);
    ``.`` or an empty cell marks a missing observation (skipped).
Keyed ``https://api.stlouisfed.org/fred/series/observations?series_id=M2SL
&api_key=KEY&file_type=json&observation_start=YYYY-MM-DD``
    ``{"count": n, "offset": 0, "limit": 100000, "observations": [{"date",
    "value", "realtime_start", "realtime_end"}]}``; paged with ``offset``.
    Used when ``FRED_API_KEY`` is set (the key is scrubbed from every message).

Default series: M2SL, WM2NS, WALCL, RRPONTSYD, WTREGEN, DGS10, DTWEXBGS,
SP500; any FRED id can be asked for. Each run re-reads the last
:attr:`Fred.revision_days` days before the cursor, because FRED revises
recent observations (the upsert only rewrites values that changed).

Limits: the API allows 120 requests per minute per key. Terms: FRED data is
free to use with attribution to the source; some series (e.g. SP500, ©
S&P Dow Jones Indices) carry their owners' copyright and only 10 years of
history.
"""

from __future__ import annotations

import csv
import io
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

__all__ = ["DEFAULT_SERIES", "Fred", "parse_fredgraph_csv", "transform_observations"]

GRAPH_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
API_URL = "https://api.stlouisfed.org/fred/series/observations"
DEFAULT_SERIES = ("M2SL", "WM2NS", "WALCL", "RRPONTSYD", "WTREGEN", "DGS10", "DTWEXBGS", "SP500")
API_LIMIT = 100_000


@parses_payload("fred", "fredgraph.csv")
def parse_fredgraph_csv(text: str, series_id: str, url: str) -> pd.DataFrame:
    """``macro`` rows from a fredgraph.csv download.

    The first column is the date (``observation_date`` or ``DATE``); the
    series is the column headed by the requested id (a header without it is
    an error naming the columns found, never a guess). Missing values (``.``
    or empty) give no row.
    """
    if text.lstrip().startswith("<"):
        raise SourceError(
            f"fred: expected CSV for {series_id} but got an HTML page (unknown series id, or "
            "the site is down).",
            url=url,
        )
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError(f"fred: empty CSV for {series_id}.", url=url) from None
    header = [h.strip() for h in header]
    if len(header) < 2 or header[0].lower() not in ("observation_date", "date"):
        raise SourceError(
            f"fred: CSV header {header!r} lacks the field 'observation_date' (or 'DATE') "
            f"followed by {series_id!r}.",
            url=url,
        )
    col = next((i for i, h in enumerate(header) if h.upper() == series_id.upper()), None)
    if col is None or col == 0:
        raise SourceError(
            f"fred: the CSV has no column {series_id!r} (columns found: "
            f"{', '.join(map(repr, header))}); FRED answered for another series, or the id "
            "is misspelled. Check the id at https://fred.stlouisfed.org/series/"
            f"{series_id.upper()}.",
            url=url,
        )
    dates, values = [], []
    for lineno, row in enumerate(reader, start=2):
        if not row or not row[0].strip():
            continue
        if len(row) <= col:
            raise SourceError(f"fred: line {lineno} of {series_id} is truncated: {row!r}.", url=url)
        try:
            value = to_float(row[col])
            day = pd.Timestamp(row[0].strip())
        except ValueError as exc:
            raise SourceError(
                f"fred: line {lineno} of {series_id} is not a date,value pair: {row!r} ({exc}).",
                url=url,
            ) from exc
        if value == value:
            dates.append(day)
            values.append(value)
    return pd.DataFrame(
        {"date": pd.DatetimeIndex(dates), "series_id": series_id.upper(), "value": values}
    )


@parses_payload("fred", "the observations")
def transform_observations(
    observations: Sequence[dict[str, Any]], series_id: str, url: str
) -> pd.DataFrame:
    """``macro`` rows from API observations (``value`` ``.`` is missing)."""
    dates, values = [], []
    for i, o in enumerate(observations):
        day = require(o, "date", url=url, source="fred", what=f"observation {i}")
        raw = require(o, "value", url=url, source="fred", what=f"observation {i}")
        value = to_float(raw)
        if value == value:
            dates.append(pd.Timestamp(day))
            values.append(value)
    return pd.DataFrame(
        {"date": pd.DatetimeIndex(dates), "series_id": series_id.upper(), "value": values}
    )


class Fred(AdvisedConnector):
    """FRED connector (dataset ``series`` -> ``macro``); ``assets`` are series ids."""

    name = "fred"
    datasets = ("series",)
    default_datasets = ("series",)
    licence = "FRED terms of use: cite the source; some series are copyrighted by their owners"
    rate_limit_per_minute = 60.0
    history_start = pd.Timestamp("1959-01-01")
    revision_days = 90

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.settings is not None:
            self.client.add_secret(self.settings.fred_api_key)

    @property
    def api_key(self) -> str | None:
        return self.settings.fred_api_key if self.settings else None

    def fetch_series(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [s.upper() for s in (assets or DEFAULT_SERIES)]
        for i, sid in enumerate(chosen):
            start = self.resume_point(
                store,
                "series",
                sid,
                since=since,
                default=self.history_start,
                table="macro",
                series_id=sid,
            )
            if since is None and start > self.history_start:
                start = start - pd.Timedelta(days=self.revision_days)
            result.keys += 1
            if self.api_key:
                self._fetch_api(store, result, sid, start)
            else:
                text, url = self.client.get_text(
                    GRAPH_URL,
                    source=self.name,
                    params={"id": sid, "cosd": start.date().isoformat()},
                )
                frame = parse_fredgraph_csv(text, sid, url)
                frame = frame[frame["date"] >= start]
                self._write(store, result, sid, frame)
            self._progress(progress, "series", sid, i + 1, len(chosen))

    def _fetch_api(self, store: Store, result: FetchResult, sid: str, start: pd.Timestamp) -> None:
        offset = 0
        guard = self.client.pages(self.name, f"observations of {sid}")
        while True:
            guard.visit(API_URL, {"offset": offset}, shown=API_URL)
            payload, url = self.client.get_json(
                API_URL,
                source=self.name,
                params={
                    "series_id": sid,
                    "api_key": self.api_key,
                    "file_type": "json",
                    "observation_start": start.date().isoformat(),
                    "offset": offset,
                    "limit": API_LIMIT,
                    "sort_order": "asc",
                },
            )
            obs = require(payload, "observations", url=url, source=self.name, what="the response")
            if not isinstance(obs, list):
                raise SourceError("fred: 'observations' should be a list.", url=url)
            self._write(store, result, sid, transform_observations(obs, sid, url))
            count = int(payload.get("count", 0) or 0)
            offset += len(obs)
            if not obs or offset >= count:
                break

    def _write(self, store: Store, result: FetchResult, sid: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        self.write_batch(
            store,
            result,
            key=sid,
            tables={"macro": frame},
            cursor=frame["date"].max().date().isoformat(),
        )

    # ------------------------------------------------------------------ dry run
    def plan_series(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        out = []
        for sid in [s.upper() for s in (assets or DEFAULT_SERIES)]:
            start = self.resume_point(
                store,
                "series",
                sid,
                since=since,
                default=self.history_start,
                table="macro",
                series_id=sid,
            )
            if since is None and start > self.history_start:
                start = start - pd.Timedelta(days=self.revision_days)
            if self.api_key:
                params: dict[str, Any] = {
                    "series_id": sid,
                    "api_key": self.api_key,
                    "file_type": "json",
                    "observation_start": start.date().isoformat(),
                    "offset": 0,
                    "limit": API_LIMIT,
                    "sort_order": "asc",
                }
                out.append(self.planned("series", API_URL, params, note="paged with offset"))
            else:
                params = {"id": sid, "cosd": start.date().isoformat()}
                out.append(self.planned("series", GRAPH_URL, params))
        return out
