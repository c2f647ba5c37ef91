"""Options positioning: real Deribit chain vs brute force, malformed chains, invariants."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import (
    black76_greeks,
    call_wall,
    gamma_exposure,
    max_pain,
    oi_by_strike,
    options_positioning,
    positioning_history,
    positioning_snapshot,
    prepare_chain,
    put_call_ratio,
    put_zone,
    term_structure,
)
from altseason.exceptions import DataUnavailableError, ValidationError

SNAP = pd.Timestamp("2025-12-04 23:10")
DERIBIT = "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options.csv"


def load_deribit(real_data) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(real_data / DERIBIT)
    chain = pd.DataFrame(
        {
            "snapshot_ts": SNAP,
            "venue": "deribit",
            "instrument": raw["instrument_name"],
            "underlying": "BTC",
            "expiry": pd.to_datetime(raw["expiry_date"], format="%d%b%y") + pd.Timedelta(hours=8),
            "strike": raw["strike"],
            "kind": raw["type"].map({"call": "C", "put": "P"}),
            "open_interest": raw["open_interest"],
            "mark_iv": raw["mark_iv"] / 100.0,
            "underlying_price": raw["S0"],
            "mark_price": raw["market_price_btc"],
        }
    )
    return raw, chain


@pytest.mark.real_data
def test_real_chain_matches_brute_force(real_data):
    raw, chain = load_deribit(real_data)
    # --- OI by strike: plain dictionary accumulation over the raw rows.
    calls: dict[float, float] = defaultdict(float)
    puts: dict[float, float] = defaultdict(float)
    notional: dict[float, float] = defaultdict(float)
    rows = list(zip(raw["strike"], raw["type"], raw["open_interest"], raw["S0"], strict=True))
    for k, kind, oi, s0 in rows:
        (calls if kind == "call" else puts)[k] += oi
        notional[k] += oi * s0
    table = oi_by_strike(chain)
    assert list(table.index) == sorted(set(raw["strike"]))
    for k in table.index:
        assert table.at[k, "call_oi"] == pytest.approx(calls[k], abs=1e-9)
        assert table.at[k, "put_oi"] == pytest.approx(puts[k], abs=1e-9)
        assert table.at[k, "total_notional_usd"] == pytest.approx(notional[k], rel=1e-12)
    assert table["total_oi"].sum() == pytest.approx(457_269, abs=1.0)  # SOURCES.md: Σ OI

    # --- put/call ratio of OI.
    pcr = put_call_ratio(chain)
    assert pcr["oi"] == pytest.approx(sum(puts.values()) / sum(calls.values()), rel=1e-12)
    assert np.isnan(pcr["volume"])  # the file has no volume column

    # --- max pain: loop over every listed strike and every contract.
    strikes = sorted(set(raw["strike"]))
    best, best_pay = None, np.inf
    for s in strikes:
        pay = 0.0
        for k, kind, oi, _ in rows:
            pay += oi * (max(s - k, 0.0) if kind == "call" else max(k - s, 0.0))
        if pay < best_pay - 1e-6:
            best, best_pay = s, pay
    assert max_pain(chain) == best

    # --- per expiry too (the nearest monthly).
    one = raw[raw["expiry_date"] == "26DEC25"]
    best_e, best_pay_e = None, np.inf
    for s in sorted(set(one["strike"])):
        pay = sum(
            oi * (max(s - k, 0.0) if t == "call" else max(k - s, 0.0))
            for k, oi, t in zip(one["strike"], one["open_interest"], one["type"], strict=True)
        )
        if pay < best_pay_e - 1e-6:
            best_e, best_pay_e = s, pay
    assert max_pain(chain, expiry="2025-12-26") == best_e

    # --- call wall: the strike above spot with the most call OI.
    spot = float(raw.loc[raw["expiry_date"] == "6DEC25", "S0"].median())
    above = {k: v for k, v in calls.items() if k > spot}
    assert call_wall(chain) == max(above, key=lambda k: (above[k], -k))

    # --- put zone: the band around the peak holding half the below-spot put OI
    # (brute force of the growth rule in test_options_conventions.py).
    below = {k: v for k, v in puts.items() if k < spot}
    zone = put_zone(chain)
    held = sum(v for k, v in below.items() if zone.low <= k <= zone.high)
    assert zone.open_interest == pytest.approx(held)
    assert zone.share == pytest.approx(held / sum(below.values()))
    assert zone.share >= 0.5
    assert zone.peak_strike == max(below, key=lambda k: (below[k], k))
    assert zone.low < zone.high < spot


@pytest.mark.real_data
def test_real_chain_positioning_summary(real_data):
    _, chain = load_deribit(real_data)
    res = options_positioning(chain, horizon_days=30)
    s = res.summary()
    assert s["expiries"] == 6  # 6, 7, 8, 12, 19, 26 Dec 2025
    assert res.exclusions.empty
    ts = res.term_structure
    assert ts["atm_iv"].between(0.2, 1.5).all()
    # Crypto smiles in a falling market: puts over calls (negative risk reversal).
    assert (ts["rr25"].dropna() < 0).all()
    assert (ts["bf25"].dropna() > 0).all()
    assert res.call_wall > res.spot > res.put_zone.high
    assert "dealers_long_calls_short_puts" in res.gamma_convention


def make_chain(
    strikes=(80.0, 90.0, 100.0, 110.0, 120.0),
    call_oi=(1.0, 2.0, 3.0, 9.0, 4.0),
    put_oi=(5.0, 7.0, 2.0, 1.0, 0.5),
    fwd=100.0,
    iv=0.6,
    expiry_days=30,
    snap=SNAP,
    underlying="BTC",
) -> pd.DataFrame:
    rows = []
    exp = snap + pd.Timedelta(days=expiry_days)
    for k, c, p in zip(strikes, call_oi, put_oi, strict=True):
        for kind, oi in (("C", c), ("P", p)):
            rows.append(
                {
                    "snapshot_ts": snap,
                    "venue": "deribit",
                    "instrument": f"{underlying}-{exp:%d%b%y}-{int(k)}-{kind}".upper(),
                    "underlying": underlying,
                    "expiry": exp,
                    "strike": k,
                    "kind": kind,
                    "open_interest": oi,
                    "mark_iv": iv,
                    "underlying_price": fwd,
                    "mark_price": 0.01,
                    "volume": oi / 2,
                }
            )
    return pd.DataFrame(rows)


def test_small_chain_figures():
    chain = make_chain()
    assert call_wall(chain) == 110.0
    assert max_pain(chain) in set(chain["strike"])
    assert put_call_ratio(chain)["volume"] == pytest.approx(15.5 / 19.0)
    zone = put_zone(chain)  # 90 holds 7 of the 12 below-spot puts
    assert (zone.low, zone.high, zone.open_interest) == (90.0, 90.0, 7.0)
    zone = put_zone(chain, share=0.9)
    assert (zone.low, zone.high, zone.open_interest) == (80.0, 90.0, 12.0)
    gex = gamma_exposure(chain)
    g = black76_greeks(100.0, 110.0, 30 / 365, 0.6, "C").gamma
    assert gex.at[110.0, "call_gex_usd"] == pytest.approx(g * 9.0 * 100.0**2 * 0.01)
    assert (gex["put_gex_usd"] <= 0).all() and (gex["call_gex_usd"] >= 0).all()
    short_all = gamma_exposure(chain, convention="customers_long_both")
    assert (short_all["net_gex_usd"] <= 0).all()
    assert "customers_long_both" in short_all.attrs["convention"]
    with pytest.raises(ValidationError, match="unknown gamma convention"):
        gamma_exposure(chain, convention="dealers_flat")  # type: ignore[arg-type]


def test_flat_smile_term_structure():
    strikes = tuple(float(k) for k in range(50, 205, 5))
    ones = tuple(1.0 for _ in strikes)
    chain = make_chain(strikes=strikes, call_oi=ones, put_oi=ones, iv=0.5)
    ts = term_structure(chain)
    row = ts.iloc[0]
    assert row["atm_iv"] == pytest.approx(0.5)
    assert row["rr25"] == pytest.approx(0.0, abs=1e-12)
    assert row["bf25"] == pytest.approx(0.0, abs=1e-12)
    assert row["days"] == pytest.approx(30.0)


def test_skewed_smile_gives_negative_risk_reversal():
    strikes = np.arange(50.0, 205.0, 5.0)
    chain = make_chain(
        strikes=tuple(strikes), call_oi=tuple(np.ones(31)), put_oi=tuple(np.ones(31))
    )
    chain["mark_iv"] = 0.6 - 0.2 * np.log(chain["strike"] / 100.0)  # put skew
    ts = term_structure(chain).iloc[0]
    assert ts["rr25"] < 0
    assert ts["atm_iv"] == pytest.approx(0.6, abs=1e-3)


# ----------------------------------------------------------------- malformed chains
def test_missing_column():
    with pytest.raises(ValidationError, match="lacks column"):
        prepare_chain(make_chain().drop(columns=["open_interest"]))


def test_negative_open_interest():
    chain = make_chain()
    chain.loc[3, "open_interest"] = -1.0
    with pytest.raises(ValidationError, match="negative open interest") as exc:
        oi_by_strike(chain)
    assert chain.loc[3, "instrument"] in str(exc.value)
    assert exc.value.column == "open_interest"


def test_missing_strike():
    chain = make_chain()
    chain.loc[0, "strike"] = np.nan
    with pytest.raises(ValidationError, match="missing or non-positive strike"):
        max_pain(chain)


def test_mixed_underlyings_need_a_choice():
    mixed = pd.concat([make_chain(), make_chain(underlying="ETH", fwd=3000.0)])
    with pytest.raises(ValidationError, match="mixes underlyings"):
        max_pain(mixed)
    assert oi_by_strike(mixed, underlying="eth")["total_oi"].sum() == pytest.approx(34.5)
    with pytest.raises(ValidationError, match="no options on 'SOL'"):
        prepare_chain(mixed, underlying="SOL")


def test_expired_instruments_are_excluded_and_reported():
    live = make_chain()
    dead = make_chain(expiry_days=0, call_oi=(100.0,) * 5)
    ch = prepare_chain(pd.concat([live, dead], ignore_index=True))
    assert len(ch.expiries) == 1
    assert (ch.exclusions["reason"] == "expired").sum() == 10
    # The expired calls' huge OI does not move the call wall.
    assert call_wall(ch) == 110.0
    only_dead = dead.copy()
    # nothing live to position: data unavailable (the report skips the figures), not bad input
    with pytest.raises(DataUnavailableError, match="expired"):
        prepare_chain(only_dead)


def test_nan_iv_is_excluded_from_iv_figures_only():
    chain = make_chain()
    chain.loc[chain["strike"] == 110.0, "mark_iv"] = np.nan
    res = options_positioning(chain)
    excl = res.exclusions
    assert set(excl.loc[excl["reason"] == "implied vol missing", "strike"]) == {110.0}
    assert (excl.loc[excl["reason"] == "implied vol missing", "scope"] == "iv").all()
    # OI figures keep the rows; gamma drops them.
    assert res.oi_by_strike.at[110.0, "call_oi"] == 9.0
    assert 110.0 not in res.gamma_exposure.index
    assert res.summary()["excluded_rows"] == 2


def test_percent_iv_duplicates_and_bad_kind():
    chain = make_chain()
    chain["mark_iv"] = 60.0
    with pytest.raises(ValidationError, match="looks like percent"):
        prepare_chain(chain)
    dup = pd.concat([make_chain(), make_chain().iloc[:1]], ignore_index=True)
    with pytest.raises(ValidationError, match="listed twice"):
        prepare_chain(dup)
    bad = make_chain()
    bad.loc[0, "kind"] = "X"
    with pytest.raises(ValidationError, match="kind other than C/P"):
        prepare_chain(bad)
    nan_px = make_chain()
    nan_px.loc[0, "underlying_price"] = np.nan
    with pytest.raises(ValidationError, match="underlying price"):
        prepare_chain(nan_px)


def test_one_sided_strike_is_noted_and_counts_zero():
    chain = make_chain()
    chain = chain.drop(index=chain.index[(chain["strike"] == 120.0) & (chain["kind"] == "P")])
    ch = prepare_chain(chain)
    notes = ch.exclusions.loc[ch.exclusions["reason"] == "one side listed"]
    assert list(notes["strike"]) == [120.0] and (notes["scope"] == "note").all()
    assert oi_by_strike(ch).at[120.0, "put_oi"] == 0.0


def test_expiry_and_horizon_selection():
    chain = pd.concat([make_chain(expiry_days=7), make_chain(expiry_days=60)], ignore_index=True)
    assert len(prepare_chain(chain, horizon_days=30).expiries) == 1
    assert len(prepare_chain(chain).expiries) == 2
    day = (SNAP + pd.Timedelta(days=60)).date()
    assert prepare_chain(chain, expiry=str(day)).expiries[0].date() == day
    with pytest.raises(ValidationError, match="no live BTC expiry on"):
        prepare_chain(chain, expiry="2030-01-01")
    with pytest.raises(ValidationError, match="within 1 days"):
        prepare_chain(chain, horizon_days=1)


def test_history_over_snapshots():
    a = make_chain()
    b = make_chain(
        snap=SNAP + pd.Timedelta(days=1), call_oi=(1.0, 2.0, 1.0, 1.0, 20.0), expiry_days=29
    )
    hist = positioning_history(pd.concat([a, b], ignore_index=True))
    assert list(hist.index) == [SNAP, SNAP + pd.Timedelta(days=1)]
    assert list(hist["call_wall"]) == [110.0, 120.0]
    assert hist["call_oi"].iloc[1] == pytest.approx(25.0)


@given(
    data=st.lists(
        st.tuples(
            st.integers(1, 40),  # strike / 5
            st.sampled_from(["C", "P"]),
            st.floats(0.0, 1_000.0, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
        unique_by=lambda t: (t[0], t[1]),
    )
)
@settings(max_examples=40, deadline=None)
def test_max_pain_is_a_listed_strike(data):
    rows = [
        {
            "snapshot_ts": SNAP,
            "underlying": "BTC",
            "expiry": SNAP + pd.Timedelta(days=10),
            "strike": 5.0 * k,
            "kind": kind,
            "open_interest": oi,
            "underlying_price": 100.0,
        }
        for k, kind, oi in data
    ]
    chain = pd.DataFrame(rows)
    mp = max_pain(chain)
    assert mp in set(chain["strike"])

    # ...and no listed strike pays holders less.
    def pay(s: float) -> float:
        return sum(
            r["open_interest"]
            * (max(s - r["strike"], 0) if r["kind"] == "C" else max(r["strike"] - s, 0))
            for r in rows
        )

    assert pay(mp) <= min(pay(s) for s in chain["strike"]) + 1e-6


def test_default_snapshot_skips_a_newer_quotes_only_snapshot():
    """A newer chain saved without open interest (Deribit quotes: mark price and IV only,
    as in sol-dnn/HestonCryptoPricing) cannot give positioning: the default snapshot is
    the latest with OI; naming the quotes-only one says which snapshots have OI."""
    older = make_chain()
    newer = make_chain(snap=SNAP + pd.Timedelta(days=100), call_oi=(7.0,) * 5)
    newer["open_interest"] = np.nan
    both = pd.concat([newer, older], ignore_index=True)
    assert positioning_snapshot(both, "BTC") == SNAP
    res = options_positioning(both)
    assert res.snapshot_ts == SNAP
    assert res.summary()["call_oi"] == pytest.approx(sum((1.0, 2.0, 3.0, 9.0, 4.0)))
    with pytest.raises(DataUnavailableError, match=str(SNAP)):
        prepare_chain(both, snapshot=SNAP + pd.Timedelta(days=100))
    assert positioning_snapshot(newer, "BTC") is None
    # no IV at all: gamma exposure is unknown, not zero
    no_iv = older.assign(mark_iv=np.nan)
    assert np.isnan(options_positioning(no_iv).summary()["net_gex_usd"])
