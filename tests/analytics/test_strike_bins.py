"""Strike bins for the open-interest chart: invariants and nice widths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import StrikeBins, bin_by_strike, nice_bin_width
from altseason.exceptions import ValidationError


def _is_nice(w: float) -> bool:
    k = math.floor(math.log10(w))
    m = round(w / 10.0**k, 9)
    return m in (1.0, 2.0, 2.5, 5.0)


def _chain(strikes: np.ndarray, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(strikes)
    return pd.DataFrame(
        {"call_oi": rng.gamma(1.5, 40.0, n), "put_oi": rng.gamma(1.5, 30.0, n)},
        index=pd.Index(strikes, name="strike"),
    )


@pytest.mark.parametrize(
    ("lo", "hi", "expect"),
    [
        (45_000.0, 162_000.0, 2_500.0),  # a BTC chain cut to 0.5-1.8 x spot 90k
        (1_500.0, 5_400.0, 100.0),  # ETH at 3,000
        (50_000.0, 100_000.0, 1_000.0),
        (1_000.0, 3_500.0, 50.0),
    ],
)
def test_nice_width_for_btc_and_eth_ranges(lo: float, hi: float, expect: float) -> None:
    w = nice_bin_width(hi - lo)
    assert w == expect
    assert 35 <= (hi - lo) / w <= 71


def test_dense_btc_chain_is_binned_to_a_readable_width() -> None:
    # Deribit-like listing: every 500 near spot, every 1,000 / 5,000 further out
    strikes = np.unique(
        np.concatenate(
            [
                np.arange(45_000, 80_000, 1_000),
                np.arange(80_000, 120_000, 500),
                np.arange(120_000, 162_000, 1_000),
                np.arange(50_000, 160_000, 5_000),
            ]
        )
    ).astype(float)
    table = _chain(strikes)
    bins = bin_by_strike(table)
    assert isinstance(bins, StrikeBins) and bins.width == 2_500.0
    assert bins.label == "bins of 2,500"
    t = bins.table
    assert 35 <= len(t) <= 60 < len(table)
    # invariants: totals kept, every edge a multiple of the width, strikes inside their bin
    for col in ("call_oi", "put_oi"):
        assert t[col].sum() == pytest.approx(table[col].sum(), rel=1e-12)
    assert t["n_strikes"].sum() == len(table)
    assert np.allclose(t["bin_low"] / 2_500.0, np.round(t["bin_low"] / 2_500.0))
    assert np.allclose(t["bin_high"] - t["bin_low"], 2_500.0)
    assert np.allclose(t.index, (t["bin_low"] + t["bin_high"]) / 2)
    # independent: the 100k bin holds exactly the strikes 100,000 <= k < 102,500
    inside = table.loc[(table.index >= 100_000) & (table.index < 102_500), "call_oi"].sum()
    assert t.loc[101_250.0, "call_oi"] == pytest.approx(inside)


def test_sparse_chain_keeps_one_bar_per_strike() -> None:
    table = _chain(np.arange(1_500.0, 5_000.0, 100.0))  # 35 ETH strikes
    bins = bin_by_strike(table)
    assert bins.width is None and bins.label == "one bar per listed strike"
    assert list(bins.table.index) == list(table.index)
    assert (bins.table[["call_oi", "put_oi"]] == table).all().all()


def test_few_strikes_with_a_crowded_centre_are_binned() -> None:
    # 30 ETH strikes, 25 apart near spot and 250 apart in the wings: one bar per
    # strike would be 25 wide over a 3,000-wide axis
    strikes = np.unique(np.r_[np.arange(1_500.0, 1_700.0, 25.0), np.arange(0, 5_500.0, 250.0)])
    table = _chain(strikes[strikes > 0])
    assert len(table) <= 60
    bins = bin_by_strike(table)
    assert bins.width == 100.0
    assert bins.table["call_oi"].sum() == pytest.approx(table["call_oi"].sum())


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValidationError, match="positive"):
        nice_bin_width(0.0)
    with pytest.raises(ValidationError, match="positive"):
        bin_by_strike(_chain(np.array([-5.0, 100.0])), width=10.0)
    with pytest.raises(ValidationError, match="not numeric"):
        bin_by_strike(pd.DataFrame({"call_oi": ["a"]}, index=[100.0]), width=10.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(50.0, 400_000.0), min_size=1, max_size=400, unique=True),
    st.integers(0, 10_000),
)
def test_bin_totals_equal_unbinned_totals(strikes: list[float], seed: int) -> None:
    table = _chain(np.sort(np.asarray(strikes)), seed)
    bins = bin_by_strike(table, max_bars=10)
    t = bins.table
    for col in ("call_oi", "put_oi"):
        assert t[col].sum() == pytest.approx(table[col].sum(), rel=1e-9)
    assert t["n_strikes"].sum() == len(table)
    if bins.width is not None:
        assert _is_nice(bins.width)
        ratio = t["bin_low"].to_numpy() / bins.width
        assert np.allclose(ratio, np.round(ratio))
        # every strike lies in the bin it was counted in
        lo = np.floor(table.index.to_numpy() / bins.width + 1e-9) * bins.width
        assert set(np.round(lo, 6)) == set(np.round(t["bin_low"].to_numpy(), 6))
