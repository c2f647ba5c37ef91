"""Options conventions: max pain per expiry, the nearest monthly headline, OI-share zones.

The real 2025-12-04 Deribit BTC chain and the 2024-01-08 ETH chain (no implied
vol) are imported through the import API into a temporary store, as a user
would, and every figure is checked against a plain-Python brute force over
the raw CSV rows.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import (
    call_wall,
    call_zone,
    expiry_label,
    headline_max_pain,
    is_monthly_expiry,
    max_pain,
    max_pain_by_expiry,
    options_from_store,
    options_positioning,
    put_zone,
    strike_zone,
)
from altseason.exceptions import ValidationError
from altseason.sources.files._import import import_file
from altseason.store import Store

BTC_CHAIN = "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options.csv"
ETH_CHAIN = "options/jiaxiang-cheng__definer/data/deribit_options.csv"


@pytest.fixture(scope="module")
def chains(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store = Store(tmp_path_factory.mktemp("opts") / "store.duckdb")
    import_file(store, real_data / BTC_CHAIN)
    import_file(store, real_data / ETH_CHAIN)
    return options_from_store(store)


def brute_max_pain(rows: list[tuple[float, str, float]]) -> float:
    """Smallest payout over the listed strikes; rows are (strike, 'C'/'P', oi)."""
    best_k, best_pay = None, None
    for s in sorted({k for k, _, _ in rows}):
        pay = 0.0
        for k, kind, oi in rows:
            pay += oi * (max(s - k, 0.0) if kind == "C" else max(k - s, 0.0))
        if best_pay is None or pay < best_pay:
            best_k, best_pay = s, pay
    assert best_k is not None
    return best_k


def brute_zone(oi_by_k: dict[float, float], spot: float, side: str, share: float):
    """Grow from the peak: add the richer neighbour (ties: nearer spot) until share."""
    ks = sorted(k for k in oi_by_k if (k < spot if side == "put" else k > spot))
    if side == "put":
        ks = ks[::-1]  # nearest spot first
    vals = [oi_by_k[k] for k in ks]
    total = sum(vals)
    peak = max(range(len(ks)), key=lambda i: (vals[i], -i))
    lo = hi = peak
    held = vals[peak]
    while held < share * total * (1 - 1e-12):
        left = vals[lo - 1] if lo > 0 else -1.0
        right = vals[hi + 1] if hi < len(ks) - 1 else -1.0
        if left < 0 and right < 0:
            break
        if left >= right:
            lo -= 1
            held += vals[lo]
        else:
            hi += 1
            held += vals[hi]
    band = [ks[i] for i in range(lo, hi + 1) if vals[i] > 0]
    return min(band), max(band), held / total, ks[peak]


def raw_btc(real_data: Path) -> pd.DataFrame:
    raw = pd.read_csv(real_data / BTC_CHAIN)
    raw["kind"] = raw["type"].map({"call": "C", "put": "P"})
    return raw


@pytest.mark.real_data
def test_btc_max_pain_per_expiry_matches_brute_force(chains, real_data):
    raw = raw_btc(real_data)
    btc = chains.loc[chains["underlying"] == "BTC"]
    table = max_pain_by_expiry(btc)
    assert len(table) == raw["expiry_date"].nunique() == 11
    for label, group in raw.groupby("expiry_date"):
        rows = list(zip(group["strike"], group["kind"], group["open_interest"], strict=True))
        row = table.loc[table["label"] == label.upper()]
        assert len(row) == 1, label
        assert row["max_pain"].iloc[0] == brute_max_pain(rows)
    all_rows = list(zip(raw["strike"], raw["kind"], raw["open_interest"], strict=True))
    assert brute_max_pain(all_rows) == 95_000.0 == max_pain(btc)
    # The figure traders quote: the December monthly, named.
    assert table.set_index("label").loc["26DEC25", "max_pain"] == 100_000.0
    head = headline_max_pain(btc)
    assert (head.label, head.value, head.all_expiries) == ("26DEC25", 100_000.0, 95_000.0)
    assert head.expiry == pd.Timestamp("2025-12-26 08:00")
    assert head.note == ""
    # Other conventions, on request.
    assert headline_max_pain(btc, convention="all_expiries").value == 95_000.0
    nearest = headline_max_pain(btc, convention="nearest")
    assert nearest.label == "6DEC25"
    assert nearest.value == table["max_pain"].iloc[0]
    monthlies = table.loc[table["monthly"], "label"].tolist()
    assert monthlies == ["26DEC25", "30JAN26", "27FEB26", "27MAR26", "26JUN26", "25SEP26"]


@pytest.mark.real_data
def test_btc_zones_follow_the_open_interest(chains, real_data):
    raw = raw_btc(real_data)
    btc = chains.loc[chains["underlying"] == "BTC"]
    res = options_positioning(btc, underlying="BTC")
    puts: dict[float, float] = defaultdict(float)
    calls: dict[float, float] = defaultdict(float)
    for k, kind, oi in zip(raw["strike"], raw["kind"], raw["open_interest"], strict=True):
        (calls if kind == "C" else puts)[k] += oi
        (puts if kind == "C" else calls)[k] += 0.0
    for share in (0.5, 0.3, 0.8):
        pz = put_zone(btc, share=share)
        lo, hi, got, peak = brute_zone(puts, res.spot, "put", share)
        assert (pz.low, pz.high, pz.peak_strike) == (lo, hi, peak)
        assert pz.share == pytest.approx(got) and pz.share >= share
        cz = call_zone(btc, share=share)
        lo, hi, got, peak = brute_zone(calls, res.spot, "call", share)
        assert (cz.low, cz.high, cz.peak_strike) == (lo, hi, peak)
        assert cz.share == pytest.approx(got) and cz.share >= share
    # Not the old fixed 20%-of-spot window (75k-92k): half the below-spot put
    # OI sits in 80k-92k around the 85k peak; the call zone starts at the wall.
    assert (res.put_zone.low, res.put_zone.high) == (80_000.0, 92_000.0)
    assert res.call_zone.peak_strike == res.call_wall == call_wall(btc) == 100_000.0
    summary = res.summary()
    assert summary["max_pain"] == 100_000.0
    assert summary["max_pain_expiry"] == "26DEC25"
    assert summary["max_pain_all_expiries"] == 95_000.0
    assert summary["zone_target_share"] == 0.5


@pytest.mark.real_data
def test_eth_positioning_without_implied_vol(chains, real_data):
    eth = chains.loc[chains["underlying"] == "ETH"]
    assert eth["mark_iv"].isna().all()
    res = options_positioning(eth, underlying="ETH")
    raw = pd.read_csv(real_data / ETH_CHAIN)
    live = raw.loc[pd.to_datetime(raw["expire_date"], format="%d%b%y") > "2024-01-08"]
    assert res.oi_by_strike["total_oi"].sum() == pytest.approx(live["open_interest"].sum())
    calls = live.loc[live["option_type"] == "C"].groupby("strike_price")["open_interest"].sum()
    above = calls.loc[calls.index > res.spot]
    assert res.call_wall == float(above.idxmax()) == 2500.0
    for label, group in live.groupby("expire_date"):
        rows = list(
            zip(group["strike_price"], group["option_type"], group["open_interest"], strict=True)
        )
        got = res.max_pain_detail.by_expiry.set_index("label").loc[label.upper(), "max_pain"]
        assert got == brute_max_pain(rows)
    assert res.max_pain_detail.label == "26JAN24"
    assert np.isnan(res.summary()["atm_iv"])
    assert res.put_zone.share >= 0.5 and res.put_zone.high < res.spot


def test_monthly_expiries_and_labels():
    assert is_monthly_expiry("2025-12-26 08:00")
    assert is_monthly_expiry("2024-02-23")
    assert not is_monthly_expiry("2025-12-19")  # a Friday, not the last
    assert not is_monthly_expiry("2025-12-31")  # the last day, not a Friday
    assert expiry_label("2026-01-30 08:00") == "30JAN26"
    assert expiry_label("2025-12-06 08:00") == "6DEC25"


def _chain(strikes, puts, calls, spot=100.0, expiry="2025-01-31 08:00"):
    rows = []
    for k, p, c in zip(strikes, puts, calls, strict=True):
        for kind, oi in (("P", p), ("C", c)):
            rows.append(
                {
                    "snapshot_ts": pd.Timestamp("2025-01-01"),
                    "underlying": "BTC",
                    "expiry": pd.Timestamp(expiry),
                    "strike": float(k),
                    "kind": kind,
                    "open_interest": float(oi),
                    "underlying_price": spot,
                }
            )
    return pd.DataFrame(rows)


def test_zone_of_a_single_dominant_strike_is_that_strike():
    chain = _chain([70, 80, 90, 110, 120], [1, 50, 1, 0, 0], [0, 0, 0, 5, 5])
    z = put_zone(chain)
    assert (z.low, z.high, z.peak_strike, z.n_strikes) == (80.0, 80.0, 80.0, 1)
    assert z.share == pytest.approx(50 / 52)
    # Calls tie at 110 and 120: the wall and the zone start nearer spot.
    c = call_zone(chain)
    assert (c.low, c.high, c.share) == (110.0, 110.0, 0.5)
    assert put_zone(chain, share=1.0).low == 70.0


def test_no_oi_on_a_side_and_bad_arguments():
    chain = _chain([90, 110], [0, 3], [3, 0])
    z = put_zone(chain)
    assert np.isnan(z.low) and z.share == 0.0
    with pytest.raises(ValidationError, match="share"):
        put_zone(chain, share=0.0)
    with pytest.raises(ValidationError, match="side"):
        strike_zone(chain, side="both")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="convention"):
        headline_max_pain(chain, convention="weekly")  # type: ignore[arg-type]


def test_no_monthly_expiry_falls_back_to_the_nearest_and_says_so():
    chain = _chain([90, 110], [3, 1], [1, 3], expiry="2025-01-17 08:00")
    head = headline_max_pain(chain)
    assert head.label == "17JAN25" and "no monthly" in head.note


@settings(max_examples=60, deadline=None)
@given(
    oi=st.lists(st.integers(0, 1000), min_size=1, max_size=25),
    share=st.floats(0.05, 1.0),
)
def test_put_zone_invariants(oi, share):
    strikes = [50.0 + 2 * i for i in range(len(oi))]
    spot = strikes[-1] + 1.0
    chain = _chain(strikes, oi, [0] * len(oi), spot=spot)
    z = put_zone(chain, share=share)
    total = float(sum(oi))
    if total == 0:
        assert z.share == 0.0
        return
    in_band = [o for k, o in zip(strikes, oi, strict=True) if z.low <= k <= z.high]
    assert sum(in_band) == pytest.approx(z.open_interest)
    assert z.share >= share - 1e-9
    assert z.low <= z.peak_strike <= z.high
    assert oi[strikes.index(z.peak_strike)] == max(oi)
    lo, hi, got, _ = brute_zone(dict(zip(strikes, map(float, oi), strict=True)), spot, "put", share)
    assert (z.low, z.high) == (lo, hi)
    assert z.share == pytest.approx(got)
