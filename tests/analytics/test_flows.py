"""ETF flows on the real Farside / bitbo files, cost basis by hand and by property."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import (
    FUND_ISSUERS,
    aum_by_fund,
    compare_flow_sources,
    cost_basis,
    cumulative_flows,
    flow_streaks,
    flows_against_price,
    flows_by_fund,
    holders_cost_basis,
    issuer_shares,
    period_flows,
    total_flows,
)
from altseason.exceptions import ValidationError

ETF = "etf_flows"
CIY = f"{ETF}/ciyberpunk__farside-etf/docs/Data"
HANNAN = f"{ETF}/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv"
KITTY = f"{ETF}/kittycapital__btc-etf-dashboard/data"


# ------------------------------------------------------------------ raw file parsing (pandas)
def farside_long(real_data) -> pd.DataFrame:
    """ciyberpunk long file -> the etf_flows table shape, flows in USD."""
    raw = pd.read_csv(real_data / CIY / "bitcoin_etf_flows_long_daily.csv", parse_dates=["date"])
    return pd.DataFrame(
        {
            "date": raw["date"],
            "fund": raw["fund"],
            "underlying": "BTC",
            "flow_usd": raw["flow_usd_millions"] * 1e6,
        }
    )


def hannan_totals(real_data) -> pd.Series:
    """Farside totals (US$ m): '11 Jan 2024' dates, thousands separators, footer rows."""
    raw = pd.read_csv(real_data / HANNAN, thousands=",", dtype={"Date": str})
    dates = pd.to_datetime(raw["Date"], format="%d %b %Y", errors="coerce")
    keep = dates.notna()
    assert set(raw.loc[~keep, "Date"]) == {"Total", "Average", "Maximum", "Minimum"}
    return pd.Series(raw.loc[keep, "Total"].astype(float).to_numpy(), index=dates[keep])


def kitty_long(real_data, name: str = "etf_flows.json", underlying: str = "BTC") -> pd.DataFrame:
    doc = json.loads((real_data / KITTY / name).read_text())
    rows = [
        (day["date"], fund, value)
        for day in doc["daily_flows"]
        for fund, value in day["flows"].items()
    ]
    frame = pd.DataFrame(rows, columns=["date", "fund", "flow_usd"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["flow_usd"] = frame["flow_usd"] * 1e6
    frame["underlying"] = underlying
    return frame


def kitty_price(real_data, name: str = "btc_price.json") -> pd.Series:
    doc = json.loads((real_data / KITTY / name).read_text())
    s = pd.Series(doc["prices"], dtype=float)
    s.index = pd.to_datetime(s.index)
    return s.sort_index()


# ------------------------------------------------------------------ real data
@pytest.mark.real_data
def test_yearly_net_flows_agree_with_plain_pandas(real_data):
    # 2024 from Farside (ciyberpunk): by-fund long file through our functions...
    panel = flows_by_fund(farside_long(real_data))
    yearly = period_flows(total_flows(panel), "year") / 1e6
    # ...against a plain pandas sum of the wide file's Total column.
    wide = pd.read_csv(real_data / CIY / "bitcoin_etf_flows_wide_daily.csv", parse_dates=["date"])
    plain_2024 = wide.loc[wide["date"].dt.year == 2024, "Total"].sum()
    assert yearly.loc["2024-12-31"] == pytest.approx(plain_2024, abs=0.05)
    assert plain_2024 == pytest.approx(35_245.9, abs=0.05)
    # Per fund as well: the wide columns.
    fund_2024 = period_flows(panel, "year").loc["2024-12-31"] / 1e6
    for fund in ["IBIT", "FBTC", "GBTC", "ARKB"]:
        assert fund_2024[fund] == pytest.approx(
            wide.loc[wide["date"].dt.year == 2024, fund].sum(), abs=0.05
        )

    # 2025 from the Farside totals file (Mohammad-Hannan).
    hannan = hannan_totals(real_data)
    h_year = period_flows(hannan, "year")
    assert h_year.loc["2025-12-31"] == pytest.approx(hannan[hannan.index.year == 2025].sum())
    assert h_year.loc["2025-12-31"] == pytest.approx(21_348.3, abs=0.05)
    assert h_year.loc["2024-12-31"] == pytest.approx(plain_2024, abs=0.05)

    # The by-fund file (kittycapital / bitbo), US$ m.
    kitty = kitty_long(real_data)
    k_total = total_flows(flows_by_fund(kitty)) / 1e6
    k_year = period_flows(k_total, "year")
    plain = kitty.groupby(kitty["date"].dt.year)["flow_usd"].sum() / 1e6
    assert k_year.loc["2024-12-31"] == pytest.approx(plain[2024], abs=1e-6)
    assert k_year.loc["2025-12-31"] == pytest.approx(plain[2025], abs=1e-6)
    assert k_year.loc["2024-12-31"] == pytest.approx(35_245.9, abs=0.05)
    assert k_year.loc["2025-12-31"] == pytest.approx(21_125.7, abs=0.05)


@pytest.mark.real_data
def test_comparison_reports_the_holiday_rows(real_data):
    hannan = hannan_totals(real_data)
    kitty = total_flows(flows_by_fund(kitty_long(real_data))) / 1e6
    cmp = compare_flow_sources(
        hannan, kitty, left_name="farside", right_name="bitbo", start="2025-01-01", end="2025-12-31"
    )
    d = cmp.differences.set_index("date")
    assert list(d.index) == [pd.Timestamp("2025-11-27"), pd.Timestamp("2025-12-25")]
    assert d["bitbo"].tolist() == pytest.approx([-182.4, -40.2])
    assert d["farside"].isna().all()
    assert (d["status"] == "only_in_right").all()
    y = cmp.yearly.loc[2025]
    assert y["farside"] == pytest.approx(21_348.3, abs=0.05)
    assert y["bitbo"] == pytest.approx(21_125.7, abs=0.05)
    assert y["difference"] == pytest.approx(-222.6, abs=0.05)
    assert y["differing_days"] == 2
    assert not cmp.agree

    # 2024: Farside's calendar-day file (0.0 on weekends) agrees with the by-fund file.
    ciy = pd.read_csv(real_data / CIY / "bitcoin_etf_totals_daily.csv", parse_dates=["date"])
    ciy_s = ciy.set_index("date")["total_usd_millions"]
    cmp24 = compare_flow_sources(ciy_s, kitty, start="2024-01-01", end="2024-12-31")
    assert cmp24.agree, cmp24.differences


@pytest.mark.real_data
def test_real_cost_basis_matches_a_plain_loop(real_data):
    panel = flows_by_fund(kitty_long(real_data)).loc[:"2025-12-31"]
    price = kitty_price(real_data)
    res = holders_cost_basis(panel, price)

    # Independent loop, one fund at a time.
    def loop(flows: pd.Series) -> tuple[float, float]:
        units = cost = 0.0
        for day, f in flows.items():
            p = float(price.loc[:day].iloc[-1])
            if f > 0:
                units += f / p
                cost += f
            elif f < 0:
                out = -f / p
                if out >= units:
                    units, cost = 0.0, 0.0
                else:
                    cost -= cost / units * out
                    units -= out
        return units, cost

    tot_units = tot_cost = 0.0
    for fund in ["IBIT", "FBTC", "GBTC", "ARKB", "BITB"]:
        u, c = loop(panel[fund])
        assert res.units[fund].iloc[-1] == pytest.approx(u, rel=1e-9, abs=1e-9)
        assert res.cost_usd[fund].iloc[-1] == pytest.approx(c, rel=1e-9, abs=1e-3)
    for fund in panel.columns:
        u, c = loop(panel[fund])
        tot_units += u
        tot_cost += c
    agg = res.aggregate.iloc[-1]
    assert agg["cost_basis"] == pytest.approx(tot_cost / tot_units, rel=1e-9)
    assert agg["unrealised_pnl"] == pytest.approx(agg["price"] / agg["cost_basis"] - 1)
    # GBTC's pre-conversion holdings: its outflows exceed the ETF-era units.
    assert res.unmatched_outflow_usd["GBTC"].iloc[-1] > 1e10
    # Plausible US spot BTC ETF cost basis at end 2025 (USD per BTC).
    assert 60_000 < agg["cost_basis"] < 100_000


# ------------------------------------------------------------------ hand-made numbers
def test_cost_basis_by_hand():
    dates = pd.date_range("2024-01-01", periods=5, freq="D")
    flows = pd.Series([100.0, 200.0, -100.0, 0.0, -1_000.0], index=dates)
    prices = pd.Series([10.0, 20.0, 25.0, 30.0, 50.0], index=dates)
    cb = cost_basis(flows, prices)
    assert cb["units"].tolist() == pytest.approx([10.0, 20.0, 16.0, 16.0, 0.0])
    assert cb["cost_basis"].iloc[:4].tolist() == pytest.approx([10.0, 15.0, 15.0, 15.0])
    assert np.isnan(cb["cost_basis"].iloc[4])
    assert cb["unmatched_outflow_usd"].iloc[-1] == pytest.approx((20.0 - 16.0) * 50.0)
    assert cb["unrealised_pnl"].iloc[3] == pytest.approx(30.0 / 15.0 - 1)
    # Initial holdings (e.g. a converted trust).
    cb0 = cost_basis(flows, prices, initial_units=100.0, initial_cost_basis=5.0)
    assert cb0["units"].iloc[0] == pytest.approx(110.0)
    assert cb0["cost_basis"].iloc[0] == pytest.approx(600.0 / 110.0)


def test_cost_basis_uses_the_last_close_and_rejects_missing_history():
    flows = pd.Series([100.0], index=[pd.Timestamp("2024-01-06")])  # a Saturday
    prices = pd.Series([10.0, 20.0], index=pd.to_datetime(["2024-01-05", "2024-01-07"]))
    assert cost_basis(flows, prices)["price"].iloc[0] == 10.0  # not the later close
    with pytest.raises(ValidationError, match="first price"):
        cost_basis(pd.Series([1.0], index=[pd.Timestamp("2023-01-01")]), prices)
    with pytest.raises(ValidationError, match="positive"):
        cost_basis(flows, prices * 0)


def test_cost_basis_refuses_flows_after_the_prices_end():
    """Found on a real store: SOL ETF fund flows from 2026-01-26 with SOL prices ending
    2026-01-02 gave every fund a cost basis of exactly the last close (132.1) and a
    0 % P&L. A flow more than MAX_PRICE_LAG_DAYS after the last close is refused."""
    prices = pd.Series([10.0, 11.0, 12.0], index=pd.date_range("2024-01-01", periods=3, freq="D"))
    ok = pd.Series([5.0, 5.0], index=pd.to_datetime(["2024-01-02", "2024-01-07"]))
    assert cost_basis(ok, prices)["price"].iloc[-1] == 12.0  # 4 days: a gap, still valued
    late = pd.Series([5.0, 5.0], index=pd.to_datetime(["2024-01-02", "2024-01-08"]))
    with pytest.raises(ValidationError, match="prices end 2024-01-03"):
        cost_basis(late, prices)
    panel = late.to_frame("A")
    with pytest.raises(ValidationError, match="1 flow day"):
        holders_cost_basis(panel, prices)


def test_aggregate_is_unit_weighted():
    dates = pd.date_range("2024-01-01", periods=2, freq="D")
    panel = pd.DataFrame({"A": [100.0, 0.0], "B": [0.0, 300.0]}, index=dates)
    prices = pd.Series([10.0, 30.0], index=dates)
    res = holders_cost_basis(panel, prices)
    # A: 10 units at 10; B: 10 units at 30 -> 20 units, cost 400, basis 20.
    assert res.aggregate["cost_basis"].iloc[-1] == pytest.approx(20.0)
    assert res.by_fund().loc["B", "cost_basis"] == pytest.approx(30.0)


flow_values = st.floats(-500.0, 500.0, allow_nan=False).map(lambda x: round(x, 2))


@given(
    flows=st.lists(flow_values, min_size=1, max_size=40),
    prices=st.lists(st.floats(1.0, 1_000.0), min_size=40, max_size=40),
    insert_at=st.integers(0, 40),
)
@settings(max_examples=60, deadline=None)
def test_cost_basis_zero_flow_and_non_negative(flows, prices, insert_at):
    n = len(flows)
    dates = pd.date_range("2024-01-01", periods=n + 1, freq="D")
    px = pd.Series(prices[: n + 1] + [1.0] * max(0, n + 1 - len(prices)), index=dates)
    pos = min(insert_at, n)
    with_zero = [*flows[:pos], 0.0, *flows[pos:]]
    plain_dates = dates.delete(pos)
    a = cost_basis(pd.Series(flows, index=plain_dates), px)
    b = cost_basis(pd.Series(with_zero, index=dates), px)
    # Every column except the inserted row is identical.
    pd.testing.assert_frame_equal(b.drop(index=dates[pos]), a, check_freq=False)
    # The zero day leaves the cost basis as it was the day before.
    if pos > 0:
        before = b["cost_basis"].iloc[pos - 1]
        assert b["cost_basis"].iloc[pos] == before or (
            np.isnan(before) and np.isnan(b["cost_basis"].iloc[pos])
        )
    assert (b["units"] >= 0).all()
    assert (b["cost_usd"] >= 0).all()
    assert (b["cost_basis"].dropna() >= 0).all()


@given(
    flows=st.lists(flow_values, min_size=2, max_size=30),
    price=st.floats(1.0, 1_000.0),
)
@settings(max_examples=40, deadline=None)
def test_outflows_keep_the_average_cost(flows, price):
    dates = pd.date_range("2024-01-01", periods=len(flows) + 1, freq="D")
    s = pd.Series([1_000.0, *flows], index=dates)
    px = pd.Series(np.linspace(price, 2 * price, len(dates)), index=dates)
    cb = cost_basis(s, px)
    for t in range(1, len(dates)):
        prev, cur = cb["cost_basis"].iloc[t - 1], cb["cost_basis"].iloc[t]
        if s.iloc[t] < 0 and cb["units"].iloc[t] > 0 and not np.isnan(prev):
            assert cur == pytest.approx(prev, rel=1e-9)


# ------------------------------------------------------------------ sums, streaks, shares
def sample_panel() -> pd.DataFrame:
    dates = pd.to_datetime(
        ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-08", "2024-01-09", "2024-02-01"]
    )
    return pd.DataFrame(
        {
            "IBIT": [10.0, 5.0, -1.0, 0.0, 3.0, 7.0],
            "GBTC": [-20.0, -1.0, -1.0, 0.0, 0.0, -2.0],
            "XYZ": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )


def test_period_sums_and_cumulative():
    panel = sample_panel()
    tot = total_flows(panel)
    assert tot.tolist() == [-9.0, 4.0, -2.0, 0.0, 3.0, 5.0]
    weekly = period_flows(tot, "week")
    assert weekly.loc["2024-01-07"] == pytest.approx(-7.0)  # Mon 1 - Sun 7 Jan
    assert weekly.loc["2024-01-14"] == pytest.approx(3.0)
    monthly = period_flows(panel, "month")
    assert monthly.loc["2024-01-31", "IBIT"] == pytest.approx(17.0)
    assert monthly.loc["2024-02-29", "GBTC"] == pytest.approx(-2.0)
    assert cumulative_flows(tot).iloc[-1] == pytest.approx(tot.sum())
    with pytest.raises(ValidationError, match="unknown period"):
        period_flows(tot, "fortnight")  # type: ignore[arg-type]


def test_streaks():
    streaks = flow_streaks(sample_panel())
    assert streaks["direction"].tolist() == ["outflow", "inflow", "outflow", "inflow"]
    assert streaks["days"].tolist() == [1, 1, 1, 2]  # the 0.0 day neither breaks nor extends
    assert streaks["flow"].iloc[-1] == pytest.approx(8.0)
    with_zero = flow_streaks(sample_panel(), skip_zero=False)
    assert "flat" in with_zero["direction"].tolist()


def test_issuer_shares():
    shares = issuer_shares(sample_panel())
    assert FUND_ISSUERS["IBIT"] == "BlackRock"
    assert shares.loc["BlackRock", "net_flow"] == pytest.approx(24.0)
    assert shares.loc["XYZ", "net_flow"] == pytest.approx(1.0)  # unknown fund: own issuer
    assert shares["share_of_net"].sum() == pytest.approx(1.0)
    assert shares["share_of_inflows"].sum() == pytest.approx(1.0)
    assert shares.loc["Grayscale", "outflow"] == pytest.approx(-24.0)


def test_flows_by_fund_validation_and_aum():
    long = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-01", "2024-01-02"],
            "fund": ["IBIT", "ETHA", "IBIT"],
            "underlying": ["BTC", "ETH", "BTC"],
            "flow_usd": [1.0, 2.0, 3.0],
            "holdings_units": [10.0, np.nan, 11.0],
            "aum_usd": [np.nan, 50.0, np.nan],
        }
    )
    with pytest.raises(ValidationError, match="mix underlyings"):
        flows_by_fund(long)
    assert flows_by_fund(long, underlying="btc")["IBIT"].tolist() == [1.0, 3.0]
    dup = pd.concat([long, long.iloc[:1]])
    with pytest.raises(ValidationError, match="repeat a"):
        flows_by_fund(dup, underlying="BTC")
    prices = pd.Series([100.0, 110.0], index=pd.to_datetime(["2024-01-01", "2024-01-02"]))
    aum = aum_by_fund(long, prices)
    assert aum.loc["2024-01-02", "IBIT"] == pytest.approx(11.0 * 110.0)
    assert aum.loc["2024-01-01", "ETHA"] == pytest.approx(50.0)


def test_flows_against_price():
    panel = sample_panel()
    prices = pd.Series(
        np.arange(1.0, 33.0), index=pd.date_range("2024-01-01", periods=32, freq="D")
    )
    out = flows_against_price(panel, prices, window=3)
    assert out["close"].tolist() == [1.0, 2.0, 3.0, 8.0, 9.0, 32.0]
    assert out["return"].iloc[1] == pytest.approx(1.0)
    assert out["next_return"].iloc[0] == pytest.approx(1.0)
    assert out["cumulative_flow"].iloc[-1] == pytest.approx(1.0)
    assert out["rolling_corr"].iloc[:3].isna().all()


def test_total_rows_are_never_added_to_funds():
    long = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-02"],
            "fund": ["IBIT", "GBTC", "TOTAL-BTC", "TOTAL-BTC"],
            "underlying": "BTC",
            "flow_usd": [5.0, -2.0, 3.0, 7.0],
        }
    )
    filled = flows_by_fund(long)
    # Fund rows on 1 Jan, the total on 2 Jan (a totals-only day).
    assert total_flows(filled).tolist() == [3.0, 7.0]
    assert filled.loc["2024-01-01", "TOTAL-BTC"] == 0.0
    assert list(flows_by_fund(long, totals="exclude").columns) == ["GBTC", "IBIT"]
    assert total_flows(flows_by_fund(long, totals="only")).tolist() == [3.0, 7.0]
