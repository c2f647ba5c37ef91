"""Index construction on hand-built panels: drift, capping, reconstitution,
delisting at the last price, and no look-ahead (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import build_index, capped_weights, market_index, tier_indices
from altseason.exceptions import ValidationError
from altseason.universe import cap_tiers


def _panel(values: dict[str, list[float]], start: str = "2024-01-30") -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame(values, index=pd.date_range(start, periods=n, freq="D"), dtype=float)


def test_capped_weights_redistribute_excess_pro_rata() -> None:
    w = capped_weights(np.array([70.0, 20.0, 5.0, 3.0, 2.0]), cap=0.25)
    assert w.sum() == pytest.approx(1.0)
    assert w.max() <= 0.25 + 1e-12
    # two names capped at 25%; the other three share 50% in proportion 5:3:2
    np.testing.assert_allclose(w[:2], [0.25, 0.25])
    np.testing.assert_allclose(w[2:], [0.25, 0.15, 0.10])
    # uncapped and infeasible cases
    np.testing.assert_allclose(capped_weights(np.array([3.0, 1.0]), None), [0.75, 0.25])
    np.testing.assert_allclose(capped_weights(np.array([3.0, 1.0, np.nan]), 0.25), [0.5, 0.5, 0])
    assert capped_weights(np.array([np.nan, 0.0]), 0.25).sum() == 0


@given(st.lists(st.floats(0.01, 1e6), min_size=4, max_size=30), st.floats(0.05, 1.0))
@settings(max_examples=60, deadline=None)
def test_capped_weights_invariants(values: list[float], cap: float) -> None:
    v = np.array(values)
    w = capped_weights(v, cap)
    assert w.sum() == pytest.approx(1.0)
    if len(v) * cap >= 1:
        assert w.max() <= cap * (1 + 1e-9)
        # uncapped names keep their relative proportions
        free = w < cap * (1 - 1e-9)
        if free.sum() >= 2:
            ratio = w[free] / v[free]
            np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def test_weights_drift_with_prices_between_rebalances() -> None:
    # Jan 30 .. Feb 3: rebalances on Jan 30 (first day) and Feb 1
    px = _panel({"A": [10, 20, 20, 40, 40], "B": [10, 10, 10, 10, 5]})
    res = build_index(px, weighting="equal", base=100)
    lv = res.level
    # Jan 30 -> Jan 31: A doubles with 50/50 weights -> +50%
    assert lv.iloc[1] == pytest.approx(150.0)
    # Feb 1 rebalance back to 50/50 at 150; Feb 2: A doubles -> 225; Feb 3: B halves
    assert lv.iloc[3] == pytest.approx(225.0)
    # drifted weights on Feb 3: A held 1.5*(150/2)/20=... compute units explicitly
    units_a = 0.5 * 150 / 20
    units_b = 0.5 * 150 / 10
    assert lv.iloc[4] == pytest.approx(units_a * 40 + units_b * 5)
    assert list(res.constituents) == [2, 2]


def test_cap_weighting_with_cap_and_reconstitution() -> None:
    px = _panel({"A": [1.0] * 5, "B": [1.0] * 5, "C": [1.0] * 5, "D": [1.0] * 5, "E": [1.0] * 5})
    px.loc[px.index[1:], "A"] = 2.0  # A doubles on day 2
    mcap = _panel(
        {"A": [70.0] * 5, "B": [20.0] * 5, "C": [5.0] * 5, "D": [3.0] * 5, "E": [2.0] * 5}
    )
    res = build_index(px, weighting="cap", market_cap=mcap, cap=0.25)
    np.testing.assert_allclose(res.weights.iloc[0], [0.25, 0.25, 0.25, 0.15, 0.10])
    assert res.level.iloc[1] == pytest.approx(125.0)  # 25% in A doubled
    # reconstitution: membership read only on rebalance dates (Jan 30, Feb 1)
    members = px.notna()
    members.loc[:, "E"] = False
    members.loc["2024-02-01", "E"] = True  # joins at the February rebalance only
    res2 = build_index(px, members, weighting="equal")
    assert res2.weights.loc["2024-01-30", "E"] == 0
    assert res2.weights.loc["2024-02-01", "E"] == pytest.approx(0.2)


def test_delisted_constituent_leaves_at_last_price() -> None:
    px = _panel(
        {"A": [10, 10, 10, 10, 10], "B": [10, 5, np.nan, np.nan, np.nan]}, start="2024-01-29"
    )  # rebalances Jan 29 and Feb 1
    res = build_index(px, weighting="equal", base=100)
    # B halves then stops trading: held at its last price (5) until the rebalance
    assert res.level.iloc[1] == pytest.approx(75.0)
    assert res.level.iloc[2] == pytest.approx(75.0)
    # at the Feb 1 rebalance B has no close: it is removed, all in A
    assert res.weights.loc["2024-02-01", "B"] == 0
    assert res.weights.loc["2024-02-01", "A"] == pytest.approx(1.0)
    assert res.level.iloc[-1] == pytest.approx(75.0)


def test_listing_mid_sample_enters_only_at_a_rebalance() -> None:
    px = _panel({"A": [10.0] * 5, "B": [np.nan, 10.0, 20.0, 20.0, 20.0]}, start="2024-01-30")
    res = build_index(px, weighting="equal")
    assert res.level.iloc[2] == pytest.approx(100.0)  # B listed Jan 31, not held before Feb 1
    assert res.weights.loc["2024-02-01", "B"] == pytest.approx(0.5)


def test_tier_indices_from_cap_tiers() -> None:
    idx = pd.date_range("2024-01-01", periods=40, freq="D")
    cols = ["BTC", "ETH", "USDT", *[f"T{i}" for i in range(25)]]
    rng = np.random.default_rng(2)
    px = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.02, (40, len(cols))), axis=0)), index=idx, columns=cols
    )
    caps = pd.DataFrame(
        np.linspace(1e12, 1e8, len(cols))[None, :].repeat(40, 0), index=idx, columns=cols
    )
    tiers = cap_tiers(caps, px)
    assert tiers.loc[idx[0], "BTC"] == "majors"
    assert tiers.loc[idx[0], "USDT"] is None
    assert tiers.loc[idx[0], "T17"] == "large"  # rank 20 (BTC, ETH, T0..T17)
    assert tiers.loc[idx[0], "T18"] == "mid"
    lv = tier_indices(px, tiers, weighting="equal")
    mid = ["T18", "T19", "T20", "T21", "T22", "T23", "T24"]
    jan = px.loc["2024-01-01":"2024-01-31", mid]
    expected = (jan.iloc[-1] / jan.iloc[0]).mean() * 100
    assert lv.loc["2024-01-31", "mid"] == pytest.approx(expected)
    assert lv["small"].isna().all()


def test_market_index_excludes_stables_and_validates() -> None:
    px = _panel({"BTC": [1.0, 2.0], "USDC": [1.0, 1.0]})
    res = market_index(px, weighting="equal")
    assert res.level.iloc[-1] == pytest.approx(200.0)
    with pytest.raises(ValidationError, match="market_cap"):
        build_index(px, weighting="cap")


@st.composite
def _market(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    n_dates = draw(st.integers(20, 70))
    n_assets = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    px = np.exp(np.cumsum(rng.normal(0, 0.05, (n_dates, n_assets)), axis=0)) * 10
    for j in range(n_assets):  # random listings and delistings
        a = int(rng.integers(0, n_dates // 2))
        b = int(rng.integers(n_dates // 2, n_dates + 1))
        px[:a, j] = np.nan
        px[b:, j] = np.nan
    caps = px * rng.uniform(1e6, 1e9, n_assets)
    idx = pd.date_range("2024-01-20", periods=n_dates, freq="D")
    cols = [f"A{j}" for j in range(n_assets)]
    t = draw(st.integers(0, n_dates - 2))
    return (
        pd.DataFrame(px, index=idx, columns=cols),
        pd.DataFrame(caps, index=idx, columns=cols),
        t,
    )


@given(_market(), st.sampled_from(["cap", "equal"]), st.integers(0, 2**31 - 1))
@settings(max_examples=25, deadline=None)
def test_no_look_ahead(
    data: tuple[pd.DataFrame, pd.DataFrame, int], weighting: str, seed: int
) -> None:
    px, caps, t = data
    rng = np.random.default_rng(seed)
    tiers = cap_tiers(caps, px, rebalance="W-MON")
    lv = tier_indices(
        px,
        tiers,
        weighting=weighting,
        market_cap=caps,  # type: ignore[arg-type]
        rebalance="W-MON",
    )
    base = build_index(px, weighting=weighting, market_cap=caps, rebalance="W-MON").level  # type: ignore[arg-type]
    # scramble every price and cap after day t (including listings / delistings)
    px2, caps2 = px.copy(), caps.copy()
    tail = px2.iloc[t + 1 :].shape
    px2.iloc[t + 1 :] = np.where(rng.random(tail) < 0.2, np.nan, rng.uniform(1, 100, tail))
    caps2.iloc[t + 1 :] = rng.uniform(1e5, 1e10, tail)
    tiers2 = cap_tiers(caps2, px2, rebalance="W-MON")
    lv2 = tier_indices(
        px2,
        tiers2,
        weighting=weighting,
        market_cap=caps2,  # type: ignore[arg-type]
        rebalance="W-MON",
    )
    base2 = build_index(px2, weighting=weighting, market_cap=caps2, rebalance="W-MON").level  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(tiers.iloc[: t + 1], tiers2.iloc[: t + 1])
    pd.testing.assert_frame_equal(lv.iloc[: t + 1], lv2.iloc[: t + 1])
    pd.testing.assert_series_equal(base.iloc[: t + 1], base2.iloc[: t + 1])


def test_tier_index_is_unknown_not_flat_while_it_has_no_member() -> None:
    """Tier labels that stop (stale market caps) leave the tier unknown, never a flat 0 % run."""
    from altseason.analytics import tier_indices

    days = pd.date_range("2025-01-01", "2025-05-31", freq="D")
    rng = np.random.default_rng(3)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.02, (len(days), 3)), axis=0)),
        index=days,
        columns=["AAA", "BBB", "CCC"],
    )
    tiers = pd.DataFrame("large", index=days, columns=prices.columns)
    tiers.loc["2025-03-01":] = None  # no caps after February: no tier labels
    lv = tier_indices(prices, tiers, weighting="equal")["large"]
    assert lv.loc[:"2025-02-28"].notna().all()
    assert lv.loc["2025-03-01":].isna().all()
    # while it had members it is the equal-weighted index of them (independent computation)
    feb = prices.loc["2025-02-01":"2025-02-28"]
    expect = (feb / feb.iloc[0]).mean(axis=1)
    got = lv.loc["2025-02-01":"2025-02-28"]
    np.testing.assert_allclose((got / got.iloc[0]).to_numpy(), expect.to_numpy(), rtol=1e-12)
