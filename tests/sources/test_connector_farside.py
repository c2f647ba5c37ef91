"""Farside ETF flow tables: the full-history BTC/ETH/SOL pages, cell conventions,
values against the published flows, 403, drift, resume."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pandas as pd
import pytest
from connector_support import Counting, Interrupted, farside_handler, load, make_client, rows

from altseason.exceptions import SourceError
from altseason.sources import FetchResult
from altseason.sources.farside import Farside, parse_farside_html, parse_flow_cell
from altseason.store import Store


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


def later() -> dt.datetime:
    return dt.datetime(2025, 12, 1, 12, 0)


def _fs(store: Store, handler: Counting, **kw: object) -> list[FetchResult]:
    return Farside(make_client(handler), now=later).fetch(store, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("underlying", "page"),
    [
        ("BTC", "bitcoin-etf-flow-all-data.html"),
        ("ETH", "ethereum-etf-flow-all-data.html"),
        ("SOL", "sol.html"),
    ],
)
def test_full_history_pages(underlying: str, page: str) -> None:
    skipped: dict[str, int] = {}
    frame = parse_farside_html(load("farside", page), underlying, skipped=skipped)
    assert (frame["underlying"] == underlying).all() and frame["flow_usd"].notna().all()
    html = load("farside", page)
    # Independent check: per-fund flows add up to the page's Total column on every day.
    day_totals = _totals_column(html)
    sums = frame.groupby("date")["flow_usd"].sum() / 1e6
    for day, total in day_totals.items():
        assert sums.get(day, 0.0) == pytest.approx(total, abs=0.051), day
    # ... and the footer's Total row is the sum over days, fund by fund.
    footer = _footer(html, "Total")
    by_fund = frame.groupby("fund")["flow_usd"].sum() / 1e6
    for fund, total in footer.items():
        assert by_fund.get(fund, 0.0) == pytest.approx(total, abs=0.051), fund
    assert not set(frame["fund"]) & {"Total", "Fee"}


def _cells(row: str) -> list[str]:
    import re

    texts = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", t).replace("&nbsp;", " ").split()) for t in texts]


def _rows(html: str) -> list[list[str]]:
    import re

    return [_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)]


def _number(text: str) -> float:
    t = text.replace(",", "").replace(" ", "")
    return -float(t.strip("()")) if t.startswith("(") else float(t)


def _totals_column(html: str) -> dict[pd.Timestamp, float]:
    out = {}
    for cells in _rows(html):
        try:
            day = pd.Timestamp(dt.datetime.strptime(cells[0], "%d %b %Y"))
        except ValueError:
            continue
        out[day] = _number(cells[-1])
    return out


def _footer(html: str, label: str) -> dict[str, float]:
    rows_ = _rows(html)
    tickers = next(r for r in rows_ if r[-1] == "Total")
    footer = next(r for r in rows_ if r[0] == label)
    return {t: _number(v) for t, v in zip(tickers[1:-1], footer[1:-1], strict=True) if v != "-"}


def test_btc_page_matches_the_published_flows(real_data: Path) -> None:
    """The recorded page's values are the published flows of those days (a
    Farside export among the real datasets; '-' before the mini trust launched)."""
    frame = parse_farside_html(load("farside", "bitcoin-etf-flow-all-data.html"), "BTC")
    wide = frame.pivot(index="date", columns="fund", values="flow_usd") / 1e6
    path = (
        real_data / "etf_flows/ciyberpunk__farside-etf/docs/Data/bitcoin_etf_flows_wide_daily.csv"
    )
    real = pd.read_csv(path, index_col="date", parse_dates=["date"]).drop(columns="Total")
    for day, row in wide.iterrows():
        for fund, value in row.items():
            if pd.isna(value):
                assert fund == "BTC" and day < pd.Timestamp("2024-07-31"), (day, fund)
            else:
                assert value == pytest.approx(real.loc[day, fund]), (day, fund)
    assert len(wide) == 12
    # thin space as thousands separator, non-breaking and narrow spaces around it
    assert wide.loc["2024-11-07", "IBIT"] == pytest.approx(1119.9)
    assert "BTC" not in wide.loc["2024-01-11"].dropna().index  # mini trust not launched


def test_cell_conventions_and_skips() -> None:
    skipped: dict[str, int] = {}
    html = load("farside", "bitcoin-etf-flow-all-data.html").replace(
        '<span class="tabletext">17.4</span>', '<span class="tabletext">n.a.</span>', 1
    )
    frame = parse_farside_html(html, "BTC", skipped=skipped)
    assert skipped == {
        "day without any fund value ('-', e.g. a market holiday)": 1,
        "unreadable BTCO cell: left out": 1,
    }
    day = frame[frame["date"] == "2024-01-11"].set_index("fund")["flow_usd"]
    assert "BTCO" not in day.index and day["GBTC"] == pytest.approx(-95.1e6)
    assert pd.Timestamp("2024-01-15") not in set(frame["date"])  # the all-'-' holiday


def test_fetch_all_three_pages(store: Store) -> None:
    handler = Counting(farside_handler)
    [result] = _fs(store, handler)
    assert [r.url.path for r in handler.requests] == [
        "/bitcoin-etf-flow-all-data/",
        "/ethereum-etf-flow-all-data/",
        "/sol/",
    ]
    got = rows(store, "etf_flows")
    assert set(got["underlying"]) == {"BTC", "ETH", "SOL"}
    eth = got[got["underlying"] == "ETH"]
    assert eth[eth["fund"] == "ETHE"]["flow_usd"].sum() == pytest.approx(
        _footer(load("farside", "ethereum-etf-flow-all-data.html"), "Total")["ETHE"] * 1e6
    )
    sol = got[got["underlying"] == "SOL"].set_index(["date", "fund"])["flow_usd"]
    assert sol[(pd.Timestamp("2025-10-28"), "BSOL")] == pytest.approx(69.5e6)
    assert sol[(pd.Timestamp("2025-11-18"), "GSOL")] == pytest.approx(-3.4e6)
    assert got["holdings_units"].isna().all()
    assert result.rows_written == {"etf_flows": len(got)}
    assert result.records_skipped == {
        "BTC: day without any fund value ('-', e.g. a market holiday)": 1
    }


def test_assets_pick_sol_only(store: Store) -> None:
    from altseason.sources import fetch

    fetch(
        store, ["farside"], assets=["SOL"], client=make_client(Counting(farside_handler)), now=later
    )
    assert set(rows(store, "etf_flows")["underlying"]) == {"SOL"}


def test_schema_drift(store: Store) -> None:
    def drifted(request: httpx.Request) -> httpx.Response:
        import re

        html = re.sub(r"(\d\d) ([A-Z][a-z]{2}) (\d{4})", r"\1/\2/\3", farside_handler(request).text)
        return httpx.Response(200, text=html)

    with pytest.raises(SourceError, match="'date'") as info:
        _fs(store, Counting(drifted))
    assert info.value.url == "https://farside.co.uk/bitcoin-etf-flow-all-data/"


def test_403_says_so_and_points_to_import(store: Store) -> None:
    body = load("farside", "error_403.html")
    handler = Counting(
        farside_handler,
        fail=9,
        failure=lambda r: httpx.Response(403, text=body, headers={"content-type": "text/html"}),
    )
    with pytest.raises(SourceError) as info:
        _fs(store, handler)
    msg = str(info.value)
    assert "HTTP 403" in msg and "refuses automated clients" in msg
    assert "altseason import" in msg and "CSV" in msg and "API key" not in msg
    assert len(handler.requests) == 1  # 403 is not retried


def test_interruption_then_resume(tmp_path: Path) -> None:
    with Store(tmp_path / "full.duckdb") as full:
        _fs(full, Counting(farside_handler))
        expected = rows(full, "etf_flows")
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(Interrupted):
            _fs(store, Counting(farside_handler, stop_after=1))
        assert store.read_cursor("farside", "flows", "BTC") == "2025-01-07"
        assert set(rows(store, "etf_flows")["underlying"]) == {"BTC"}
        _fs(store, Counting(farside_handler))
        got = rows(store, "etf_flows")
        pd.testing.assert_frame_equal(got, expected)
        assert not got.duplicated(["date", "fund"]).any()
