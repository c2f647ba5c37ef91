"""Farside ETF flow tables: parsing rules, values, drift, resume."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd
import pytest
from connector_support import Counting, Interrupted, farside_handler, load, make_client, now, rows

from altseason.exceptions import SourceError
from altseason.sources.farside import Farside, parse_farside_html, parse_flow_cell
from altseason.store import Store


def _fs(store: Store, handler: Counting, **kw: object) -> None:
    Farside(make_client(handler), now=now).fetch(store, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("111.7", 111.7),
        ("(95.1)", -95.1),
        ("1,119.9", 1119.9),
        ("(1,245.3)", -1245.3),
        ("0.0", 0.0),
        ("-", None),
        ("", None),
        ("-12.5", -12.5),
    ],
)
def test_parse_flow_cell(cell: str, value: float | None) -> None:
    assert parse_flow_cell(cell) == value


def test_parse_table_rules() -> None:
    frame = parse_farside_html(load("farside", "btc.html"), "BTC")
    # Footers (Total/Average/Maximum/Minimum), the fee and issuer rows and the
    # Total column are gone; the all-'-' holiday gives no rows.
    assert sorted(frame["date"].dt.strftime("%Y-%m-%d").unique()) == [
        "2024-01-11",
        "2024-01-12",
        "2024-01-16",
        "2024-03-12",
        "2024-11-07",
    ]
    assert "Total" not in set(frame["fund"])
    day = frame[frame["date"] == "2024-01-11"].set_index("fund")["flow_usd"]
    assert day["GBTC"] == pytest.approx(-95.1e6) and day["IBIT"] == pytest.approx(111.7e6)
    assert "BTC" not in day.index  # '-' = no data yet
    assert frame[(frame["date"] == "2024-11-07") & (frame["fund"] == "IBIT")][
        "flow_usd"
    ].item() == pytest.approx(1119.9e6)
    # Per-fund flows add up to the page's Total column (independent check).
    totals = {
        "2024-01-11": 655.3,
        "2024-01-12": 203.0,
        "2024-01-16": -52.7,
        "2024-03-12": 1045.0,
        "2024-11-07": 1373.8,
    }
    sums = frame.groupby(frame["date"].dt.strftime("%Y-%m-%d"))["flow_usd"].sum() / 1e6
    for d, t in totals.items():
        assert sums[d] == pytest.approx(t, abs=0.051)


def test_fetch_both_pages(store: Store) -> None:
    _fs(store, Counting(farside_handler))
    got = rows(store, "etf_flows")
    assert set(got["underlying"]) == {"BTC", "ETH"}
    eth = got[got["underlying"] == "ETH"]
    assert eth[eth["fund"] == "ETHE"]["flow_usd"].sum() == pytest.approx(-1157.2e6)
    assert got["holdings_units"].isna().all()


def test_schema_drift(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        html = farside_handler(request).text.replace("Jan 2024", "/01/2024")
        html = html.replace("Mar 2024", "/03/2024").replace("Nov 2024", "/11/2024")
        html = html.replace("Jul 2024", "/07/2024")
        return httpx.Response(200, text=html)

    with pytest.raises(SourceError, match="'date'") as info:
        _fs(store, Counting(drifted))
    assert info.value.url == "https://farside.co.uk/btc/"


def test_403_hint(store: Store) -> None:
    handler = Counting(farside_handler, fail=9, failure=lambda r: httpx.Response(403))
    with pytest.raises(SourceError, match="altseason import"):
        _fs(store, handler)


def test_interruption_then_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "full.duckdb") as full:
        _fs(full, Counting(farside_handler))
        expected = rows(full, "etf_flows")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(Interrupted):
            _fs(store, Counting(farside_handler, stop_after=1))
        assert store.read_cursor("farside", "flows", "BTC") == "2024-11-07"
        assert set(rows(store, "etf_flows")["underlying"]) == {"BTC"}
        _fs(store, Counting(farside_handler))
        got = rows(store, "etf_flows")
        pd.testing.assert_frame_equal(got, expected)
        assert not got.duplicated(["date", "fund"]).any()
