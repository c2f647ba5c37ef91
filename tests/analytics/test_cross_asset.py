"""Crypto vs gold / silver / S&P 500 on common dates, against direct computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    common_dates,
    cross_asset_correlation,
    cross_asset_ratios,
    cross_asset_returns,
    cross_asset_table,
    load_tradfi,
    rolling_cross_correlation,
)
from altseason.exceptions import DataUnavailableError
from altseason.store import Store


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", "2024-12-31", freq="D")
    crypto = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.03, (len(days), 2)), axis=0)) * 100,
        index=days,
        columns=["BTC", "ETH"],
    )
    bdays = pd.bdate_range("2024-01-01", "2024-12-31")
    tradfi = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.01, (len(bdays), 3)), axis=0)) * 50,
        index=bdays,
        columns=["GOLD", "SILVER", "SP500"],
    )
    return crypto, tradfi


def test_correlation_uses_common_dates_and_log_returns() -> None:
    crypto, tradfi = _frames()
    assert len(common_dates(crypto, tradfi)) == len(tradfi)
    corr = cross_asset_correlation(crypto, tradfi, 90)
    days = crypto.index.intersection(tradfi.index)
    c, t = crypto.loc[days], tradfi.loc[days]
    lc, lt = np.log(c / c.shift()), np.log(t / t.shift())
    keep = lc.index > days[-1] - pd.Timedelta(days=90)
    expected = lc.loc[keep, "BTC"].corr(lt.loc[keep, "GOLD"])
    assert corr.loc["BTC", "GOLD"] == pytest.approx(expected, abs=1e-12)
    roll = rolling_cross_correlation(crypto["ETH"], tradfi["SP500"], 40)
    assert roll.iloc[-1] == pytest.approx(lc["ETH"].iloc[-40:].corr(lt["SP500"].iloc[-40:]))


def test_returns_and_ratios() -> None:
    crypto, tradfi = _frames()
    rets = cross_asset_returns(crypto, tradfi, 30, "2024-12-29")  # a Sunday
    # markets use the last close on or before each end (Friday 27th and 29 Nov)
    assert rets["GOLD"] == pytest.approx(
        tradfi.loc["2024-12-27", "GOLD"] / tradfi.loc["2024-11-29", "GOLD"] - 1
    )
    assert rets["BTC"] == pytest.approx(
        crypto.loc["2024-12-29", "BTC"] / crypto.loc["2024-11-29", "BTC"] - 1
    )
    ratios = cross_asset_ratios(crypto, tradfi, 90)
    last = tradfi.index[-1]
    assert ratios.loc["BTC/GOLD", "ratio"] == pytest.approx(
        crypto.loc[last, "BTC"] / tradfi.loc[last, "GOLD"]
    )
    table = cross_asset_table(crypto, tradfi, 90)
    assert {"corr_GOLD", "ratio_SP500", "ratio_change_SILVER", "return"} <= set(table.columns)
    assert np.isnan(table.loc["GOLD", "corr_GOLD"])
    with pytest.raises(DataUnavailableError):
        cross_asset_correlation(crypto.iloc[:1], tradfi.iloc[:0])


def test_load_tradfi_from_store_with_aliases(tmp_path: Path) -> None:
    _, tradfi = _frames()
    long = tradfi.rename(columns={"SP500": "SPX"}).stack().rename("value").reset_index()
    long.columns = ["date", "series_id", "value"]
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest(dataset="macro", source="test", tables={"macro": long})
        panel = load_tradfi(store)
    assert list(panel.columns) == ["GOLD", "SILVER", "SP500"]
    np.testing.assert_allclose(panel["SP500"].to_numpy(), tradfi["SP500"].to_numpy())


@pytest.mark.real_data
def test_real_btc_against_gold_futures(real_data: Path) -> None:
    raw = pd.read_csv(
        real_data / "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv", usecols=["open_time", "close"]
    )
    btc = pd.Series(raw["close"].to_numpy(), index=pd.to_datetime(raw["open_time"].str[:10]))
    gold = pd.read_csv(real_data / "macro/YoussefKh200__Slow-Turtle-Research/data/GC=F.csv")
    gold_s = pd.Series(gold["Close"].to_numpy(), index=pd.to_datetime(gold["Date"].str[:10]))
    crypto, tradfi = btc.to_frame("BTC"), gold_s.to_frame("GOLD")
    table = cross_asset_table(crypto, tradfi, 365, "2025-06-30")
    # independent: BTC/gold on 2025-06-30 from the raw files
    assert table.loc["BTC", "ratio_GOLD"] == pytest.approx(btc["2025-06-30"] / gold_s["2025-06-30"])
    assert -1 <= table.loc["BTC", "corr_GOLD"] <= 1
