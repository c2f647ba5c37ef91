"""Deribit public API v2: option chain snapshots, perpetual funding and DVOL.

Endpoints (https://docs.deribit.com), all JSON-RPC over HTTP GET, the payload
under ``result``:

``/public/get_instruments?currency=BTC&kind=option&expired=false``
    Live option instruments (``instrument_name``, ``expiration_timestamp``,
    ``strike``, ``option_type``, ``base_currency``).
``/public/get_book_summary_by_currency?currency=BTC&kind=option``
    Per instrument: ``mark_price`` (in BTC: options are inverse),
    ``mark_iv`` (percent), ``underlying_price``, ``open_interest``
    (contracts = BTC), ``volume`` (24 h, contracts), ``creation_timestamp``.
    Joined with the instruments into one ``options`` snapshot stamped with
    the newest ``creation_timestamp`` floored to the minute (as the file
    reader does for saved book summaries); ``mark_iv`` becomes a
    decimal and the expiry is 08:00 UTC. :func:`parse_instrument` reads names
    like ``BTC-27DEC24-100000-C``.
``/public/get_funding_rate_history?instrument_name=BTC-PERPETUAL&start_timestamp=&end_timestamp=``
    Hourly records (``timestamp``, ``interest_1h``, ``interest_8h``): stored
    in ``funding`` as the rate paid over that hour (``interest_1h``,
    ``interval_hours`` 1), so summing rows gives the funding paid. Paged in
    30-day windows.
``/public/get_volatility_index_data?currency=BTC&resolution=1D&start_timestamp=&end_timestamp=``
    ``{"data": [[ms, open, high, low, close], ...], "continuation": ms|null}``.
    DVOL is stored in ``sentiment`` (``index_id`` ``dvol_btc`` / ``dvol_eth``,
    value = the daily close in volatility points, e.g. 55.2) because, like
    Fear & Greed, it is a market-implied gauge rather than a macro series.

Limits: public methods are rate limited per IP by Deribit's credit system;
the connector sends at most 120 requests per minute. Deribit market data is
provided under Deribit's API terms.
"""

from __future__ import annotations

import datetime as dt
import re
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

__all__ = [
    "Deribit",
    "parse_instrument",
    "snapshot_options",
    "transform_book_summary",
    "transform_dvol",
    "transform_funding_history",
]

BASE_URL = "https://www.deribit.com/api/v2"
EXPIRY_HOUR = 8
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_NAME = re.compile(r"^([A-Z0-9_]+)-(\d{1,2})([A-Z]{3})(\d{2})-([0-9D.]+)-([CP])$")


def parse_instrument(name: str) -> dict[str, Any]:
    """Parse a Deribit option name such as ``BTC-27DEC24-100000-C``.

    Returns
    -------
    dict
        ``underlying`` (``BTC``; ``SOL_USDC`` -> ``SOL``), ``expiry`` (naive
        UTC Timestamp at 08:00), ``strike`` (float; ``0d625`` -> 0.625) and
        ``kind`` (``C``/``P``).

    Raises
    ------
    SourceError
        If the name does not follow the pattern.
    """
    m = _NAME.match(name.strip().upper())
    if not m or m.group(3) not in _MONTHS:
        raise SourceError(
            f"deribit: cannot parse option instrument {name!r}; expected e.g. "
            "'BTC-27DEC24-100000-C'."
        )
    base, day, mon, yy, strike, kind = m.groups()
    expiry = pd.Timestamp(dt.datetime(2000 + int(yy), _MONTHS[mon], int(day), EXPIRY_HOUR))
    return {
        "underlying": base.split("_")[0],
        "expiry": expiry,
        "strike": float(strike.lower().replace("d", ".")),
        "kind": kind,
    }


def _result(payload: Any, url: str, what: str) -> Any:
    if isinstance(payload, dict) and "error" in payload and "result" not in payload:
        err = payload["error"]
        raise SourceError(f"deribit: {what} failed: {err}", url=url)
    return require(payload, "result", url=url, source="deribit", what=what)


#: Book-summary fields stored in ``options`` (a record missing one keeps NULL there).
BOOK_FIELDS = ("open_interest", "mark_iv", "underlying_price", "mark_price", "volume")


def _instrument_meta(instruments: Sequence[dict[str, Any]], url: str) -> dict[str, dict[str, Any]]:
    """``instrument_name`` -> ``{"expiry", "strike"}`` from ``get_instruments``."""
    meta: dict[str, dict[str, Any]] = {}
    for i, inst in enumerate(instruments):
        name = str(
            require(inst, "instrument_name", url=url, source="deribit", what=f"instrument {i}")
        )
        exp = require(
            inst, "expiration_timestamp", url=url, source="deribit", what=f"instrument {name}"
        )
        meta[name] = {
            "expiry": pd.to_datetime(int(exp), unit="ms"),
            "strike": to_float(inst.get("strike")),
        }
    return meta


@parses_payload("deribit", "the option book summary")
def transform_book_summary(
    summaries: Sequence[dict[str, Any]],
    instruments: Sequence[dict[str, Any]] | None,
    url: str,
    *,
    snapshot_ts: pd.Timestamp | None = None,
    skipped: dict[str, int] | None = None,
) -> pd.DataFrame:
    """One ``options`` snapshot from book summaries (and the instrument list).

    Every record is kept with the fields it has: a missing or null
    ``mark_iv``, ``mark_price``, ``underlying_price``, ``open_interest`` or
    ``volume`` is stored as NULL (the options analytics skip a row without
    implied vol and count it). Instruments are matched by name: expiry and
    strike come from ``instruments`` (from ``get_instruments``) when the name
    is listed there, else from the name itself. A record is left out only when
    it has no name, its name is not an option name, or the option expired
    before the snapshot. ``skipped`` (if given) counts, per reason, the
    records left out and those stored in part.

    ``snapshot_ts`` defaults to the newest ``creation_timestamp``, floored to the minute.
    """
    meta = _instrument_meta(instruments or (), url)

    def note(reason: str) -> None:
        if skipped is not None:
            skipped[reason] = skipped.get(reason, 0) + 1

    if snapshot_ts is None:
        stamps = [
            int(s["creation_timestamp"])
            for s in summaries
            if isinstance(s, dict) and s.get("creation_timestamp") is not None
        ]
        if not stamps:
            if not summaries:
                return pd.DataFrame()
            raise SourceError(
                "deribit: book summaries carry no 'creation_timestamp' to date the snapshot.",
                url=url,
            )
        snapshot_ts = pd.to_datetime(max(stamps), unit="ms").floor("min")
    snap = pd.Timestamp(snapshot_ts)
    rows = []
    for i, s in enumerate(summaries):
        if not isinstance(s, dict) or s.get("instrument_name") is None:
            require(s, "instrument_name", url=url, source="deribit", what=f"book summary {i}")
            note("book summary without an instrument name: left out")
            continue
        name = str(s["instrument_name"])
        try:
            parsed = parse_instrument(name)
        except SourceError:
            note("instrument name is not an option name: left out")
            continue
        if name in meta:
            parsed["expiry"] = meta[name]["expiry"]
            if meta[name]["strike"] == meta[name]["strike"]:  # not NaN
                parsed["strike"] = meta[name]["strike"]
        if parsed["expiry"] <= snap:
            note("option expired before the snapshot: left out")
            continue
        if name not in meta and instruments is not None:
            note("not in the instruments list: expiry and strike read from the name")
        for field in BOOK_FIELDS:
            if s.get(field) is None:
                note(f"no {field}: stored with {field} NULL")
        rows.append(
            {
                "snapshot_ts": snap,
                "venue": "deribit",
                "instrument": name,
                **parsed,
                "open_interest": to_float(s.get("open_interest")),
                "mark_iv": to_float(s.get("mark_iv")) / 100.0,
                "underlying_price": to_float(s.get("underlying_price")),
                "mark_price": to_float(s.get("mark_price")),
                "volume": to_float(s.get("volume")),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values("instrument", ignore_index=True)


@parses_payload("deribit", "the funding history")
def transform_funding_history(
    records: Sequence[dict[str, Any]], instrument: str, url: str
) -> pd.DataFrame:
    """``funding`` rows from hourly Deribit records (rate = ``interest_1h``)."""
    rows = []
    for i, r in enumerate(records):
        ts = require(r, "timestamp", url=url, source="deribit", what=f"funding record {i}")
        if "interest_1h" in r:
            rate = to_float(r["interest_1h"])
        else:
            rate = (
                to_float(
                    require(r, "interest_8h", url=url, source="deribit", what=f"funding record {i}")
                )
                / 8.0
            )
        rows.append((pd.to_datetime(int(ts), unit="ms"), rate))
    frame = pd.DataFrame(rows, columns=["ts", "rate"])
    frame.insert(1, "venue", "deribit")
    frame.insert(2, "instrument", instrument)
    frame.insert(3, "asset_id", instrument.split("-")[0].split("_")[0])
    frame["interval_hours"] = 1.0
    return frame


@parses_payload("deribit", "the DVOL candles")
def transform_dvol(candles: Sequence[Sequence[Any]], currency: str, url: str) -> pd.DataFrame:
    """``sentiment`` rows (``dvol_<currency>``) from daily DVOL candles (close)."""
    for i, c in enumerate(candles):
        if not isinstance(c, list) or len(c) < 5:
            raise SourceError(
                f"deribit: DVOL candle {i} should be [ms, open, high, low, close].", url=url
            )
    return pd.DataFrame(
        {
            "date": pd.to_datetime([int(c[0]) for c in candles], unit="ms").normalize(),
            "index_id": f"dvol_{currency.lower()}",
            "value": [to_float(c[4]) for c in candles],
            "label": None,
        }
    )


class Deribit(AdvisedConnector):
    """Deribit connector: ``options`` (a snapshot), ``funding`` and ``dvol``."""

    name = "deribit"
    datasets = ("options", "funding", "dvol")
    default_datasets = ("options", "funding", "dvol")
    licence = "Deribit public market data (Deribit API terms)"
    rate_limit_per_minute = 120.0
    default_currencies = ("BTC", "ETH")
    funding_start = pd.Timestamp("2019-05-01")
    dvol_start = pd.Timestamp("2021-03-24")
    funding_window = pd.Timedelta(days=30)
    dvol_window = pd.Timedelta(days=500)

    def _get(self, method: str, params: dict[str, Any]) -> tuple[Any, str]:
        payload, url = self.client.get_json(
            f"{BASE_URL}/public/{method}", source=self.name, params=params
        )
        return _result(payload, url, method), url

    def _funding_start(
        self, store: Store, instrument: str, since: pd.Timestamp | None
    ) -> pd.Timestamp:
        """Where a perp's funding history resumes (the fetch and its dry-run plan)."""
        return self.resume_point(
            store,
            "funding",
            instrument,
            since=since,
            default=self.funding_start,
            table="funding",
            step=pd.Timedelta(hours=1),
            venue="deribit",
            instrument=instrument,
        )

    def _dvol_start(self, store: Store, index_id: str, since: pd.Timestamp | None) -> pd.Timestamp:
        """Where a DVOL index resumes (the fetch and its dry-run plan)."""
        return self.resume_point(
            store,
            "dvol",
            index_id,
            since=since,
            default=self.dvol_start,
            table="sentiment",
            index_id=index_id,
        )

    def fetch_options(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or self.default_currencies)]
        empty = []
        for i, cur in enumerate(chosen):
            frame = self._snapshot(cur, result)
            result.keys += 1
            if frame.empty:
                empty.append(cur)
            else:
                self.write_batch(
                    store,
                    result,
                    key=cur,
                    tables={"options": frame},
                    cursor=frame["snapshot_ts"].iloc[0].isoformat(),
                )
            self._progress(progress, "options", cur, i + 1, len(chosen), f"{len(frame)} options")
        if empty:
            left_out = _reasons(
                {
                    k.partition(": ")[2]: n
                    for k, n in result.records_skipped.items()
                    if k.partition(": ")[0] in empty
                }
            )
            raise SourceError(
                f"deribit: the {', '.join(empty)} option snapshot has no rows "
                + (f"(left out: {left_out})" if left_out else "(Deribit listed no options)")
                + "; nothing was written for it. Retry later; if it persists, report it."
            )

    # ------------------------------------------------------------------ dry run
    def plan_options(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        out = []
        for cur in [a.upper() for a in (assets or self.default_currencies)]:
            out.append(
                self.planned(
                    "options",
                    f"{BASE_URL}/public/get_instruments",
                    {"currency": cur, "kind": "option", "expired": "false"},
                )
            )
            out.append(
                self.planned(
                    "options",
                    f"{BASE_URL}/public/get_book_summary_by_currency",
                    {"currency": cur, "kind": "option"},
                    note="get_instruments again if the book names options it lacks",
                )
            )
        return out

    def plan_funding(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        now = pd.Timestamp(self.now()).floor("h")
        out = []
        for cur in [a.upper() for a in (assets or self.default_currencies)]:
            instrument = f"{cur}-PERPETUAL"
            start = self._funding_start(store, instrument, since)
            if start > now:
                continue
            stop = min(start + self.funding_window, now)
            n = -(
                -(now - start + pd.Timedelta(hours=1))
                // (self.funding_window + pd.Timedelta(hours=1))
            )
            out.append(
                self.planned(
                    "funding",
                    f"{BASE_URL}/public/get_funding_rate_history",
                    {
                        "instrument_name": instrument,
                        "start_timestamp": int(start.timestamp() * 1000),
                        "end_timestamp": int(stop.timestamp() * 1000),
                    },
                    note=f"{n} request(s) in 30-day windows from {start} to {now}",
                )
            )
        return out

    def plan_dvol(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        end = self.today - pd.Timedelta(days=1)
        out = []
        for cur in [a.upper() for a in (assets or self.default_currencies)]:
            index_id = f"dvol_{cur.lower()}"
            start = self._dvol_start(store, index_id, since)
            if start > end:
                continue
            stop = min(start + self.dvol_window, end)
            n = -(-((end - start).days + 1) // (self.dvol_window.days + 1))
            out.append(
                self.planned(
                    "dvol",
                    f"{BASE_URL}/public/get_volatility_index_data",
                    {
                        "currency": cur,
                        "resolution": "1D",
                        "start_timestamp": int(start.timestamp() * 1000),
                        "end_timestamp": int((stop + pd.Timedelta(days=1)).timestamp() * 1000) - 1,
                    },
                    note=f"{n} window(s) of up to 500 days from {start.date()} to {end.date()}, "
                    "following 'continuation'",
                )
            )
        return out

    def _instruments(self, cur: str) -> list[dict[str, Any]]:
        instruments, url = self._get(
            "get_instruments", {"currency": cur, "kind": "option", "expired": "false"}
        )
        if not isinstance(instruments, list):
            raise SourceError("deribit: get_instruments should return a list.", url=url)
        return instruments

    def _snapshot(self, cur: str, result: FetchResult) -> pd.DataFrame:
        """One currency's chain; the instruments list is fetched again when the
        book names options it lacks (listed between the two requests)."""
        instruments = self._instruments(cur)
        summaries, surl = self._get(
            "get_book_summary_by_currency", {"currency": cur, "kind": "option"}
        )
        if not isinstance(summaries, list):
            raise SourceError("deribit: book summaries should be a list.", url=surl)
        known = {i.get("instrument_name") for i in instruments if isinstance(i, dict)}
        if any(isinstance(s, dict) and s.get("instrument_name") not in known for s in summaries):
            instruments = self._instruments(cur)
        skipped: dict[str, int] = {}
        frame = transform_book_summary(summaries, instruments, surl, skipped=skipped)
        for reason, n in skipped.items():
            result.skip(f"{cur}: {reason}", n)
        return frame

    def fetch_funding(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or self.default_currencies)]
        now = pd.Timestamp(self.now()).floor("h")
        for i, cur in enumerate(chosen):
            instrument = f"{cur}-PERPETUAL"
            start = self._funding_start(store, instrument, since)
            result.keys += 1
            while start <= now:
                stop = min(start + self.funding_window, now)
                records, url = self._get(
                    "get_funding_rate_history",
                    {
                        "instrument_name": instrument,
                        "start_timestamp": int(start.timestamp() * 1000),
                        "end_timestamp": int(stop.timestamp() * 1000),
                    },
                )
                if not isinstance(records, list):
                    raise SourceError("deribit: funding history should be a list.", url=url)
                frame = transform_funding_history(records, instrument, url)
                frame = frame[(frame["ts"] >= start) & (frame["ts"] <= stop)]
                if not frame.empty:
                    self.write_batch(
                        store,
                        result,
                        key=instrument,
                        tables={"funding": frame},
                        cursor=frame["ts"].max().isoformat(),
                    )
                self._progress(progress, "funding", cur, i + 1, len(chosen), str(stop.date()))
                start = stop + pd.Timedelta(hours=1)

    def fetch_dvol(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or self.default_currencies)]
        end = self.today - pd.Timedelta(days=1)
        for i, cur in enumerate(chosen):
            index_id = f"dvol_{cur.lower()}"
            start = self._dvol_start(store, index_id, since)
            result.keys += 1
            while start <= end:
                stop = min(start + self.dvol_window, end)
                frame = self._dvol_window(cur, start, stop)
                frame = frame[(frame["date"] >= start) & (frame["date"] <= stop)]
                if not frame.empty:
                    self.write_batch(
                        store,
                        result,
                        key=index_id,
                        tables={"sentiment": frame},
                        cursor=frame["date"].max().date().isoformat(),
                    )
                self._progress(progress, "dvol", cur, i + 1, len(chosen), str(stop.date()))
                start = stop + pd.Timedelta(days=1)

    def _dvol_window(self, cur: str, start: pd.Timestamp, stop: pd.Timestamp) -> pd.DataFrame:
        """Daily candles opened in [start, stop], following ``continuation`` backwards."""
        frames = []
        end_ms = int((stop + pd.Timedelta(days=1)).timestamp() * 1000) - 1
        start_ms = int(start.timestamp() * 1000)
        guard = self.client.pages(self.name, f"DVOL of {cur}")
        while True:
            guard.visit("get_volatility_index_data", {"end": end_ms})
            res, url = self._get(
                "get_volatility_index_data",
                {
                    "currency": cur,
                    "resolution": "1D",
                    "start_timestamp": start_ms,
                    "end_timestamp": end_ms,
                },
            )
            data = require(res, "data", url=url, source=self.name, what="volatility index data")
            frames.append(transform_dvol(data, cur, url))
            cont = res.get("continuation") if isinstance(res, dict) else None
            if not cont or not data or int(cont) <= start_ms or int(cont) >= end_ms:
                break
            end_ms = int(cont)
        frame = pd.concat(frames, ignore_index=True)
        return frame.drop_duplicates(["date", "index_id"]).sort_values("date", ignore_index=True)


def _reasons(counts: dict[str, int]) -> str:
    return "; ".join(f"{n} {reason}" for reason, n in counts.items())


def snapshot_options(
    store: Store,
    connector: Deribit,
    currencies: Sequence[str] = ("BTC", "ETH"),
    progress: ProgressCallback | None = None,
) -> FetchResult:
    """Archive one option-chain snapshot per currency (``altseason snapshot options``)."""
    [result] = connector.fetch(store, datasets=["options"], assets=currencies, progress=progress)
    return result
