"""Built-in strategies: correctness on hand-built data, caps, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import capped_weights
from altseason.exceptions import DataUnavailableError, StrategyError
from altseason.strategies import (
    BtcEth5050,
    BtcHold,
    CapWeightedMarket,
    EqualWeightSmallCaps,
    MarketData,
    Rotation,
    as_strategy,
    validate_weights,
)


def _market(seed: int = 1, n: int = 500, k: int = 14) -> MarketData:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2021-01-01", periods=n, freq="D")
    cols = ["BTC", "ETH"] + [f"T{i}" for i in range(k - 2)]
    mkt = rng.standard_t(4, size=n) * 0.03
    rets = mkt[:, None] * np.linspace(1, 1.6, k)[None, :] + rng.normal(0, 0.02, size=(n, k))
    close = pd.DataFrame(100 * np.exp(np.cumsum(rets, axis=0)), index=idx, columns=cols)
    close.iloc[:100, 5] = np.nan  # lists later
    close.iloc[350:, 6] = np.nan  # delists
    supply = np.linspace(10, 1, k) * 1e6
    caps = close * supply
    ranks = caps.rank(axis=1, ascending=False)
    tiers = pd.DataFrame(
        np.where(ranks <= 2, "majors", np.where(ranks <= 6, "large", "small")),
        index=idx,
        columns=cols,
    ).where(close.notna())
    tiers[["BTC", "ETH"]] = "majors"
    fg = pd.Series(np.clip(50 + np.cumsum(rng.normal(0, 3, n)), 0, 100), index=idx)
    liq = pd.Series(np.linspace(6e12, 6.5e12, n), index=idx)
    sectors = pd.Series({c: ("ai" if i % 2 else "defi") for i, c in enumerate(cols)})
    sectors[["BTC", "ETH"]] = ["currency", "smart_contract_l1"]
    return MarketData(
        close=close, market_cap=caps, tiers=tiers, sectors=sectors, fear_greed=fg, liquidity=liq
    )


def test_benchmarks() -> None:
    d = _market()
    w = BtcHold().weights(d)
    assert w.iloc[0]["BTC"] == 1.0 and w.iloc[0].drop("BTC").eq(0).all()
    assert w.iloc[1:].isna().all().all()
    w = BtcEth5050(rebalance_days=30).weights(d)
    rows = w.dropna(how="all")
    assert len(rows) == len(range(0, 500, 30))
    assert (rows[["BTC", "ETH"]] == 0.5).all().all()
    w = CapWeightedMarket(top_n=5, cap=0.25).weights(d).dropna(how="all")
    assert np.allclose(w.sum(axis=1), 1.0) and (w.max(axis=1) <= 0.25 + 1e-12).all()
    assert (w.gt(0).sum(axis=1) == 5).all()
    w = EqualWeightSmallCaps().weights(d).dropna(how="all")
    for date, row in w.iterrows():
        members = (d.tiers.loc[date] == "small") & d.close.loc[date].notna()
        assert np.allclose(row[members], 1.0 / members.sum())
        assert (row[~members] == 0).all()


def test_capped_weights_against_brute_force() -> None:
    raw = np.array([50.0, 30.0, 10.0, 5.0, 5.0])
    w = capped_weights(raw, 0.3)
    # Brute force: cap 50 and 30 at 0.3 each; the other 0.4 shared pro rata by 10, 5, 5.
    np.testing.assert_allclose(w, [0.3, 0.3, 0.2, 0.1, 0.1])
    # one name with cap 0.5: fully invested (the index rule), not 50% cash
    assert capped_weights(np.array([1.0, np.nan, -1.0]), 0.5).tolist() == [1.0, 0.0, 0.0]


def test_cap_weighted_market_uses_the_index_capping_rule() -> None:
    """Fewer names than 1 / cap: equal weights summing to 1, as the cap-weighted index."""
    import altseason.strategies as strategies

    assert "capped_weights" not in strategies.__all__
    d = _market()
    w = CapWeightedMarket(top_n=3, cap=0.25).weights(d).dropna(how="all")
    assert np.allclose(w.sum(axis=1), 1.0)  # the old strategies' copy left 25% in cash
    assert np.allclose(w.to_numpy()[w.to_numpy() > 0], 1.0 / 3)
    assert d.market_cap is not None and d.tiers is not None
    for date, row in w.iloc[:3].iterrows():
        caps = d.market_cap.loc[date].where(d.close.loc[date].notna() & d.tiers.loc[date].notna())
        top = caps.nlargest(3).index
        want = pd.Series(0.0, index=row.index)
        want[top] = capped_weights(caps[top].to_numpy(dtype=float), 0.25)
        np.testing.assert_allclose(row.to_numpy(), want.to_numpy())


def test_rotation_respects_caps_and_explains_itself() -> None:
    d = _market()
    strat = Rotation(asset_cap=0.05, sleeve_cap=0.3, rebalance_days=7)
    w = strat.weights(d)
    validate_weights(w.fillna(0.0))
    traded = w.dropna(how="all")
    assert len(traded) > 10
    assert (traded.sum(axis=1) <= 1 + 1e-9).all() and (traded >= 0).all().all()
    alts = traded.drop(columns=["BTC", "ETH"])
    assert (alts.max(axis=1) <= 0.05 + 1e-12).all()
    assert (alts.sum(axis=1) <= 0.3 + 1e-9).all()
    assert strat.state_ is not None
    sig = strat.state_.signals
    for col in (
        "momentum_majors",
        "relative_strength",
        "sentiment",
        "macro",
        "exposure",
        "alt_share",
    ):
        assert col in sig.columns
    # Non-members never get weight: e.g. a delisted token after its last price.
    assert traded.loc[traded.index > d.close.index[360], "T4"].fillna(0).eq(0).all()
    sec = Rotation(sleeves="sectors", n_sectors=1).weights(d).dropna(how="all")
    assert len(sec) > 5


def test_rotation_brake_and_vol_target_scale_down() -> None:
    d = _market()
    loose = Rotation(target_vol=10.0, brake_drawdown=1.0).weights(d).dropna(how="all").sum(axis=1)
    tight = Rotation(target_vol=0.05, brake_drawdown=1.0).weights(d).dropna(how="all").sum(axis=1)
    common = loose.index.intersection(tight.index)
    assert (tight[common] <= loose[common] + 1e-12).all() and tight[common].mean() < loose[
        common
    ].mean()


def test_invalid_parameters_and_weights() -> None:
    d = _market()
    with pytest.raises(StrategyError, match="asset_cap"):
        Rotation(asset_cap=2.0).weights(d)
    with pytest.raises(DataUnavailableError):
        EqualWeightSmallCaps().weights(MarketData(close=d.close))
    bad = pd.DataFrame(0.0, index=d.close.index, columns=d.close.columns)
    bad.iloc[3, 2] = 1.5
    with pytest.raises(StrategyError, match="outside"):
        validate_weights(bad)
    bad.iloc[3, 2] = 0.6
    bad.iloc[3, 3] = -0.6
    with pytest.raises(StrategyError, match="leverage"):
        validate_weights(bad, leverage=1.0)
    with pytest.raises(StrategyError, match="DataFrame"):
        as_strategy(lambda data: 1.0, "bad").weights(d)  # type: ignore[arg-type,return-value]


STRATEGIES = [
    BtcHold(),
    BtcEth5050(),
    CapWeightedMarket(top_n=5),
    EqualWeightSmallCaps(),
    Rotation(),
    Rotation(sleeves="sectors", n_sectors=2),
]


@settings(max_examples=10, deadline=None)
@given(
    t=st.integers(min_value=120, max_value=480),
    seed=st.integers(0, 1000),
    which=st.integers(0, len(STRATEGIES) - 1),
)
def test_no_look_ahead(t: int, seed: int, which: int) -> None:
    """Changing any data after day t never changes weights up to t."""
    d = _market()
    rng = np.random.default_rng(seed)
    close = d.close.copy()
    close.iloc[t + 1 :] *= np.exp(rng.normal(0, 0.3, size=close.iloc[t + 1 :].shape))
    fg = d.fear_greed.copy()
    fg.iloc[t + 1 :] = rng.uniform(0, 100, size=len(fg) - t - 1)
    d2 = MarketData(
        close=close,
        market_cap=d.market_cap,
        tiers=d.tiers,
        sectors=d.sectors,
        fear_greed=fg,
        liquidity=d.liquidity * 1.0,
    )
    strat = STRATEGIES[which]
    a = strat.weights(d).iloc[: t + 1]
    b = strat.weights(d2).iloc[: t + 1]
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def _rally(n: int = 200) -> MarketData:
    idx = pd.date_range("2024-01-01", periods=n, freq="D")
    btc = pd.Series(40000 * np.exp(np.linspace(0, np.log(2.5), n)), index=idx)
    close = pd.DataFrame({"BTC": btc, "ETH": btc / 20})
    return MarketData(close=close, implied_vol=pd.Series(0.5, index=idx))


def test_hedged_short_caps_losses_in_a_rally() -> None:
    from altseason.strategies import HedgedShort, run_strategy

    d = _rally()
    naked = run_strategy(HedgedShort(hedge="none", short_weight=0.5), d)
    hedged = run_strategy(HedgedShort(hedge="call", short_weight=0.5, call_moneyness=1.05), d)
    collar = run_strategy(HedgedShort(hedge="collar", short_weight=0.5, call_moneyness=1.05), d)
    n_final = float(naked.equity.iloc[-1])
    h_final = float(hedged.equity.iloc[-1])
    assert n_final < 0.7  # a 2.5x rally against a half-equity short, rebalanced weekly
    assert h_final > n_final + 0.1  # the calls pay off
    assert float(collar.equity.iloc[-1]) > n_final
    legs = HedgedShort(hedge="collar").option_legs(d)
    assert [(leg.kind, np.sign(leg.size)) for leg in legs] == [("call", 1.0), ("put", -1.0)]


def test_short_receives_positive_funding() -> None:
    from altseason.strategies import HedgedShort, run_strategy

    d = _rally()
    flat = MarketData(close=d.close * 0 + 40000.0)
    rate = pd.DataFrame({"BTC": 0.0003, "ETH": 0.0}, index=d.close.index)  # ~11% a year
    funded = MarketData(close=flat.close, funding=rate)
    s = HedgedShort(hedge="none", short_weight=0.5)
    base = float(run_strategy(s, flat).equity.iloc[-1])
    paid = float(run_strategy(s, funded).equity.iloc[-1])
    assert base == pytest.approx(1.0, abs=1e-9)
    # Short 0.5 of equity receives 0.0003 a day on its notional, for ~198 days after the first trade.
    assert paid == pytest.approx(1.0 + 0.5 * 0.0003 * 198, rel=0.02)


ALL_BUILTINS = [
    BtcHold(),
    BtcEth5050(),
    CapWeightedMarket(top_n=5),
    EqualWeightSmallCaps(),
    Rotation(),
    Rotation(sleeves="sectors", n_sectors=2),
]


@settings(max_examples=12, deadline=None)
@given(
    t=st.integers(min_value=150, max_value=480),
    seed=st.integers(0, 1000),
    which=st.integers(0, len(ALL_BUILTINS)),
)
def test_no_look_ahead_through_the_backtest(t: int, seed: int, which: int) -> None:
    """Weights, trades and equity up to t ignore any data after t, for every built-in
    strategy (the last index is the hedged short with options and funding)."""
    from altseason.strategies import HedgedShort, run_strategy

    d = _market()
    idx = d.close.index
    d.funding = pd.DataFrame(0.0002, index=idx, columns=d.close.columns)
    rng = np.random.default_rng(seed)
    close = d.close.copy()
    close.iloc[t + 1 :] *= np.exp(rng.normal(0, 0.3, size=close.iloc[t + 1 :].shape))
    funding = d.funding.copy()
    funding.iloc[t + 1 :] = rng.normal(0, 0.01, size=funding.iloc[t + 1 :].shape)
    fg = d.fear_greed.copy()
    fg.iloc[t + 1 :] = rng.uniform(0, 100, size=len(fg) - t - 1)
    d2 = MarketData(
        close=close,
        market_cap=d.market_cap,
        tiers=d.tiers,
        sectors=d.sectors,
        fear_greed=fg,
        liquidity=d.liquidity,
        funding=funding,
    )
    strat = ALL_BUILTINS[which] if which < len(ALL_BUILTINS) else HedgedShort(hedge="collar")
    r1 = run_strategy(strat, d, fees_bps=10)
    r2 = run_strategy(strat, d2, fees_bps=10)
    pd.testing.assert_series_equal(r1.equity.iloc[: t + 1], r2.equity.iloc[: t + 1])
    pd.testing.assert_frame_equal(r1.units.iloc[: t + 1], r2.units.iloc[: t + 1])
    day = idx[t]
    t1 = r1.trades[r1.trades["date"] <= day].reset_index(drop=True)
    t2 = r2.trades[r2.trades["date"] <= day].reset_index(drop=True)
    pd.testing.assert_frame_equal(t1, t2)


def test_market_data_from_store_on_the_demo(tmp_path: object) -> None:
    from pathlib import Path

    from altseason.sources.demo import write_demo
    from altseason.store import Store
    from altseason.strategies import market_data_from_store

    with Store(Path(str(tmp_path)) / "d.duckdb") as store:
        write_demo(store, n_assets=30, start="2023-01-01")
        d = market_data_from_store(store)
    assert {"BTC", "ETH"} <= set(d.close.columns)
    assert d.tiers is not None and (d.tiers == "majors").any().any()
    assert d.fear_greed is not None and d.fear_greed.notna().mean() > 0.9
    assert d.liquidity is not None and d.liquidity.dropna().between(1_000, 20_000).all()  # USD bn
    assert d.funding is not None and d.funding["BTC"].notna().any()
    assert d.implied_vol is not None and d.implied_vol.dropna().between(0.05, 3).all()
    assert "demo" in d.sources
    # Stablecoins are never in a tier.
    stables = [c for c in d.close.columns if d.sectors.get(c) == "stablecoin"]
    assert stables and d.tiers[stables].isna().all().all()
