"""Realized price, MVRV, 200-week average and support bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    moving_average_200w,
    mvrv,
    realized_price,
    realized_price_from_mvrv,
    support_bands,
    support_levels,
)

ONCHAIN = "onchain/btctree__btc-power/data/onchain.csv"
CRYPTOQUANT = "onchain/hhysteric__btc-cycle-dashboard/data/realized_price.csv"


@pytest.mark.real_data
def test_realized_price_from_coin_metrics_file(real_data):
    raw = pd.read_csv(real_data / ONCHAIN, parse_dates=["date"]).set_index("date")
    raw = raw.dropna(subset=["mvrv", "market_cap", "supply"])
    market_cap = raw["market_cap"].astype(float)
    realized_cap = market_cap / raw["mvrv"]  # Coin Metrics: MVRV = cap / realized cap
    rp = realized_price(realized_cap, raw["supply"])
    expected = raw["price"] / raw["mvrv"]
    # Identical up to rounding except 4 days (Sept 2022) where the file's market cap is
    # not exactly price x supply (2e-5 apart).
    close = np.isclose(rp.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert (~close).sum() <= 4
    np.testing.assert_allclose(rp.to_numpy(), expected.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(
        realized_price_from_mvrv(raw["price"], raw["mvrv"]).to_numpy(), expected.to_numpy()
    )
    np.testing.assert_allclose(mvrv(market_cap, realized_cap).to_numpy(), raw["mvrv"].to_numpy())
    # SOURCES.md: about 54.6k on 2025-10-06, within 0.1 % of CryptoQuant's series.
    assert rp.loc["2025-10-06"] == pytest.approx(54_600, rel=0.01)
    cq = pd.read_csv(real_data / CRYPTOQUANT, parse_dates=["Datetime"]).set_index("Datetime")
    assert rp.loc["2025-10-06"] == pytest.approx(cq.loc["2025-10-06", "Realized Price"], rel=0.002)


def test_ratios_handle_zero_and_arrays():
    assert np.isnan(realized_price(1.0, 0.0))
    assert realized_price(np.array([10.0, 20.0]), np.array([2.0, 4.0])).tolist() == [5.0, 5.0]
    s = mvrv(pd.Series([2.0, 3.0]), pd.Series([1.0, -1.0]))
    assert s.iloc[0] == 2.0 and np.isnan(s.iloc[1])


def test_moving_average_200w():
    idx = pd.date_range("2018-01-01", periods=1_500, freq="D")
    close = pd.Series(np.arange(1_500, dtype=float), index=idx)
    ma = moving_average_200w(close)
    assert ma.iloc[:1399].isna().all()
    assert ma.iloc[1399] == pytest.approx(np.mean(np.arange(1_400)))
    assert ma.iloc[-1] == pytest.approx(np.mean(np.arange(100, 1_500)))


def test_support_bands_are_as_of_and_distances():
    idx = pd.date_range("2025-01-01", periods=5, freq="D")
    close = pd.Series([100.0, 90.0, 80.0, 120.0, 60.0], index=idx)
    realized = pd.Series([50.0, 70.0], index=pd.to_datetime(["2025-01-01", "2025-01-04"]))
    etf = pd.Series([85.0] * 5, index=idx)
    bands = support_bands(close, realized=realized, etf_cost_basis=etf)
    # The realized price known on 3 Jan is the 1 Jan value (no look-ahead).
    assert bands.loc["2025-01-03", "realized_price"] == 50.0
    assert bands.loc["2025-01-04", "realized_price"] == 70.0
    assert bands.loc["2025-01-05", "etf_cost_basis_distance"] == pytest.approx(60.0 / 85.0 - 1)
    assert bands["ma_200w"].isna().all()  # not enough history
    table = support_levels(bands)
    assert table.index.tolist()[:2] == ["etf_cost_basis", "realized_price"]
    assert table.loc["etf_cost_basis", "position"] == "below"
    assert table.loc["realized_price", "position"] == "below"
    assert pd.isna(table.loc["ma_200w", "position"])
    early = support_levels(bands, asof="2025-01-04")
    assert early.loc["realized_price", "position"] == "above"
