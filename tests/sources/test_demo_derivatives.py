"""Demo ETF flows and option chains: accounting identities and Deribit conventions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from altseason.sources.demo import (
    ETF_FUNDS,
    DemoMarket,
    black76,
    deribit_expiries,
    generate_demo,
    trading_days,
)


@pytest.fixture(scope="module")
def market() -> DemoMarket:
    return generate_demo(seed=11, start="2023-09-01", end="2025-06-30", n_assets=30)


@pytest.fixture(scope="module")
def close(market: DemoMarket) -> pd.DataFrame:
    return market.prices.pivot(index="date", columns="asset_id", values="close")


def test_etf_funds_launch_dates_and_trading_days(market: DemoMarket) -> None:
    e = market.etf_flows
    btc = e[e["underlying"] == "BTC"]
    eth = e[e["underlying"] == "ETH"]
    assert btc["date"].min() == pd.Timestamp("2024-01-11")
    assert eth["date"].min() == pd.Timestamp("2024-07-23")
    assert btc["fund"].nunique() == 10 and eth["fund"].nunique() == 8
    assert {"IBIT", "FBTC", "GBTC", "ARKB", "BITB"} <= set(btc["fund"])
    assert (e["date"].dt.day_of_week < 5).all()
    for holiday in ("2024-07-04", "2024-12-25", "2025-01-20", "2025-04-18"):
        assert not (e["date"] == pd.Timestamp(holiday)).any()


def test_etf_holdings_follow_flows_and_price(market: DemoMarket, close: pd.DataFrame) -> None:
    e = market.etf_flows.copy()
    e["px"] = [close.at[d, u] for d, u in zip(e["date"], e["underlying"], strict=True)]
    seed_units = {f.fund: f.initial_units for f in ETF_FUNDS}
    for fund, g in e.groupby("fund"):
        g = g.sort_values("date")
        implied = seed_units[fund] + (g["flow_usd"] / g["px"]).cumsum()
        np.testing.assert_allclose(g["holdings_units"], implied, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(g["aum_usd"], g["holdings_units"] * g["px"], rtol=1e-12)
        assert (g["holdings_units"] >= -1e-9).all()
    gbtc = e[e["fund"] == "GBTC"]
    assert gbtc["flow_usd"].sum() < 0  # the converted trust bleeds
    assert e[e["fund"] == "IBIT"]["flow_usd"].sum() > 0


def test_etf_flows_chase_past_returns(market: DemoMarket, close: pd.DataFrame) -> None:
    e = market.etf_flows
    btc = e[(e["underlying"] == "BTC") & (e["fund"] != "GBTC")].groupby("date")["flow_usd"].sum()
    ret20 = np.log(close["BTC"]).diff(20).shift(1).reindex(btc.index)
    rho = stats.spearmanr(ret20, btc).statistic
    assert rho > 0.2


def test_options_conventions(market: DemoMarket) -> None:
    o = market.options
    assert set(o["venue"]) == {"deribit"} and set(o["underlying"]) == {"BTC", "ETH"}
    assert set(o["kind"]) == {"C", "P"}
    assert (o["expiry"].dt.hour == 8).all() and (o["expiry"] > o["snapshot_ts"]).all()
    pat = re.compile(r"^(BTC|ETH)-(\d{1,2})([A-Z]{3})(\d{2})-(\d+)-([CP])$")
    sample = o.sample(2000, random_state=0)
    for inst, und, exp, k, kind in zip(
        sample["instrument"],
        sample["underlying"],
        sample["expiry"],
        sample["strike"],
        sample["kind"],
        strict=True,
    ):
        m = pat.match(inst)
        assert m, inst
        assert m.group(1) == und and int(m.group(5)) == int(k) and m.group(6) == kind
        assert int(m.group(2)) == exp.day and exp.strftime("%b%y").upper() == m.group(3) + m.group(
            4
        )
    assert (o["open_interest"] >= 0).all() and (o["volume"] >= 0).all()
    assert (o["mark_iv"] > 0).all() and (o["mark_price"] > 0).all()
    assert len(o) < 400_000
    last = o[o["snapshot_ts"] == o["snapshot_ts"].max()]
    fridays = last[last["expiry"].dt.day_of_week == 4]["expiry"].nunique()
    assert fridays >= 5
    snaps = o["snapshot_ts"].drop_duplicates().sort_values()
    gaps = snaps.diff().dt.days.dropna()
    assert gaps.iloc[-80:].eq(1).all() and gaps.iloc[:20].eq(7).all()


def test_put_call_parity_on_inverse_premiums(market: DemoMarket) -> None:
    o = market.options
    key = ["snapshot_ts", "underlying", "expiry", "strike"]
    calls = o[o["kind"] == "C"].set_index(key)
    puts = o[o["kind"] == "P"].set_index(key)
    both = calls.merge(puts, left_index=True, right_index=True, suffixes=("_c", "_p"))
    assert len(both) == len(calls)
    fwd = both["underlying_price_c"]
    strike = both.index.get_level_values("strike")
    lhs = (both["mark_price_c"] - both["mark_price_p"]) * fwd  # USD
    np.testing.assert_array_less(np.abs(lhs - (fwd - strike)), 0.0003 * fwd + 1e-9)


def test_open_interest_concentrates_at_round_strikes(market: DemoMarket) -> None:
    o = market.options[market.options["underlying"] == "BTC"]
    per_strike = o.groupby(["snapshot_ts", "expiry", "strike"])["open_interest"].sum().reset_index()
    per_strike["round"] = per_strike["strike"] % 10_000 == 0
    near = per_strike.merge(
        o.groupby(["snapshot_ts", "expiry"])["underlying_price"].first().reset_index()
    )
    near = near[(near["strike"] / near["underlying_price"] - 1).abs() < 0.15]
    mean_oi = near.groupby("round")["open_interest"].mean()
    assert mean_oi[True] > 1.5 * mean_oi[False]


def test_smile_has_put_skew_and_vol_tracks_realised(
    market: DemoMarket, close: pd.DataFrame
) -> None:
    o = market.options[market.options["underlying"] == "BTC"]
    o = o.assign(m=np.log(o["strike"] / o["underlying_price"]))
    atm = o[o["m"].abs() < 0.03].groupby("snapshot_ts")["mark_iv"].mean()
    rv = np.log(close["BTC"]).diff().rolling(30).std().mul(np.sqrt(365)).reindex(atm.index)
    assert stats.spearmanr(atm, rv, nan_policy="omit").statistic > 0.5
    assert 0.5 < (atm / rv).median() < 2.0


def test_black76_matches_numerical_integration() -> None:
    fwd, strike, t, vol = 60_000.0, 65_000.0, 0.25, 0.6
    sd = vol * np.sqrt(t)
    dens = stats.lognorm(s=sd, scale=fwd * np.exp(-0.5 * sd * sd))
    call, _ = integrate.quad(lambda x: (x - strike) * dens.pdf(x), strike, fwd * 20, limit=200)
    got = black76(np.array(fwd), np.array(strike), np.array(t), np.array(vol), np.array(True))
    assert float(got) == pytest.approx(call, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    fwd=st.floats(100, 200_000),
    k_ratio=st.floats(0.3, 3.0),
    t=st.floats(0.002, 2.0),
    vol=st.floats(0.1, 2.0),
)
def test_black76_parity_and_bounds(fwd: float, k_ratio: float, t: float, vol: float) -> None:
    k = fwd * k_ratio
    c = float(black76(np.array(fwd), np.array(k), np.array(t), np.array(vol), np.array(True)))
    p = float(black76(np.array(fwd), np.array(k), np.array(t), np.array(vol), np.array(False)))
    assert c - p == pytest.approx(fwd - k, abs=1e-7 * fwd)
    assert max(fwd - k, 0.0) - 1e-7 * fwd <= c <= fwd


def test_deribit_expiries() -> None:
    snap = pd.Timestamp("2024-12-02")  # a Monday
    exps = dict(deribit_expiries(snap, dailies=2, weeklies=3, monthlies=3, quarterlies=3))
    assert (
        pd.Timestamp("2024-12-03 08:00") in exps and exps[pd.Timestamp("2024-12-03 08:00")] == "D"
    )
    assert exps[pd.Timestamp("2024-12-06 08:00")] == "W"
    assert exps[pd.Timestamp("2024-12-27 08:00")] == "Q"  # last Friday of December
    assert exps[pd.Timestamp("2025-01-31 08:00")] == "M"
    assert exps[pd.Timestamp("2025-03-28 08:00")] == "Q"
    assert exps[pd.Timestamp("2025-06-27 08:00")] == "Q"
    assert all(ts.hour == 8 for ts in exps)


def test_trading_days_skip_weekends_and_holidays() -> None:
    days = trading_days(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    assert len(days) == 252
    for h in (
        "2024-01-01",
        "2024-01-15",
        "2024-03-29",
        "2024-06-19",
        "2024-07-04",
        "2024-11-28",
        "2024-12-25",
    ):
        assert pd.Timestamp(h) not in days
