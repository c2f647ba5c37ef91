"""Capitulation from all five components on real data, its history and episodes.

The real BTC closes and volume (Binance daily), Fear & Greed (alternative.me),
Binance funding and Coin Metrics MVRV are imported into a temporary store as a
user would; the store-level score on 2025-11-20 is recomputed by hand from the
raw CSV rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    CAPITULATION_INPUTS,
    CAPITULATION_WEIGHTS,
    capitulation_components,
    capitulation_episodes,
    capitulation_from_store,
    capitulation_score,
)
from altseason.exceptions import ValidationError
from altseason.sources.files._import import import_file
from altseason.store import Store

FILES = {
    "prices": "prices/btctree__btc-power/data/alt/BTCUSDT.csv",  # = btc_daily.csv, unit in the name
    "fear_greed": "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv",
    "funding": "derivatives/btctree__btc-power/data/funding.csv",
    "onchain": "onchain/btctree__btc-power/data/onchain.csv",
}
DAY = pd.Timestamp("2025-11-20")


@pytest.fixture(scope="module")
def real_store(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("cap") / "store.duckdb")
    for rel in FILES.values():
        import_file(store, real_data / rel)
    return store


def by_hand(real_data: Path, day: pd.Timestamp) -> dict[str, float]:
    """Each component on ``day`` from the raw files, with plain row arithmetic."""
    px = pd.read_csv(real_data / FILES["prices"], parse_dates=["date"]).set_index("date")
    close = px["close"]
    window = close.loc[day - pd.Timedelta(days=364) : day]
    dd = close[day] / window.max() - 1.0
    vol_usd = px["volume"] * px["close"]  # the importer's volume_usd
    prev = vol_usd.loc[:day].iloc[-31:-1]
    surge = vol_usd[day] / prev.mean()
    fng = pd.read_csv(real_data / FILES["fear_greed"], parse_dates=["date"]).set_index("date")
    fg = float(fng.loc[day, "value"])
    fr = pd.read_csv(real_data / FILES["funding"], parse_dates=["date"]).set_index("date")
    ann = fr["funding_rate"].loc[day - pd.Timedelta(days=6) : day].mean() * 365.0
    oc = pd.read_csv(real_data / FILES["onchain"], parse_dates=["date"]).set_index("date")
    mv = float(oc.loc[day, "mvrv"])

    def clip(x: float) -> float:
        return min(max(x, 0.0), 1.0)

    return {
        "drawdown": clip(-dd / 0.5),
        "volume_surge": clip((surge - 1.0) / 2.0),
        "fear_greed": clip((30.0 - fg) / 20.0),
        "funding": clip(-ann / 0.10),
        "mvrv": clip((1.2 - mv) / 0.4),
        "drawdown_input": dd,
        "volume_surge_input": surge,
        "fear_greed_input": fg,
        "funding_input": ann,
        "mvrv_input": mv,
    }


@pytest.mark.real_data
def test_all_five_components_from_the_store(real_store, real_data):
    cap = capitulation_from_store(real_store, "BTC")
    assert cap.attrs["missing_reasons"] == {}
    assert len(cap.attrs["sources"]) == 4
    row = cap.loc[DAY]
    hand = by_hand(real_data, DAY)
    for name, value in hand.items():
        assert row[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    score = sum(CAPITULATION_WEIGHTS[k] * hand[k] for k in CAPITULATION_WEIGHTS)
    assert row["score"] == pytest.approx(score, rel=1e-12)
    assert row["n_components"] == 5 and row["missing"] == ""
    assert row["score"] == pytest.approx(0.416, abs=5e-4)
    # The report's old call used 3 of the 5 (no funding, no MVRV): higher, and now
    # it says which ones it lacked.
    close = real_store.read_prices("close", assets=["BTC"])["BTC"].dropna()
    vol = real_store.read_prices("volume_usd", assets=["BTC"])["BTC"].dropna()
    fg = real_store.read_table("sentiment").set_index("date")["value"]
    three = capitulation_score(close, volume=vol, fear_greed=fg)
    w = CAPITULATION_WEIGHTS
    part = ["drawdown", "volume_surge", "fear_greed"]
    expected = sum(w[k] * hand[k] for k in part) / sum(w[k] for k in part)
    assert three.at[DAY, "score"] == pytest.approx(expected, rel=1e-12)
    assert three.at[DAY, "score"] > 0.6 > row["score"]
    assert three.at[DAY, "missing"] == "funding, mvrv"
    assert three.attrs["not_given"] == ["funding", "mvrv"]


@pytest.mark.real_data
def test_history_flags_the_known_capitulations(real_store):
    cap = capitulation_from_store(real_store, "BTC", start="2019-06-01", end="2025-12-31")
    assert cap.index[0] == pd.Timestamp("2019-06-01")
    assert cap.index[-1] <= pd.Timestamp("2025-12-31")
    assert cap["score"].between(0, 1).all()
    ep = capitulation_episodes(cap, threshold=0.6)
    peaks = set(ep["peak_date"].dt.strftime("%Y-%m"))
    # COVID crash, Terra/Luna, the Celsius/3AC low, FTX.
    assert {"2020-03", "2022-05", "2022-06", "2022-11"} <= peaks
    assert (ep["peak_score"] >= 0.6).all()
    assert (ep["end"] >= ep["start"]).all()
    for _, e in ep.iterrows():
        span = cap.loc[e["start"] : e["end"], "score"]
        assert span.max() == e["peak_score"]
        assert int((span >= 0.6).sum()) == e["flagged_days"]
    # The days before funding history starts (2020-01-01) say so.
    early = cap.loc[:"2019-12-31"]
    assert early["missing"].str.contains("funding").all()


def test_missing_store_components_are_named(store):
    idx = pd.date_range("2024-01-01", periods=40, freq="D")
    frame = pd.DataFrame({"date": idx, "asset_id": "BTC", "close": np.linspace(100, 70, 40)})
    store.ingest(dataset="test", source="test", tables={"prices": frame})
    cap = capitulation_from_store(store, "BTC")
    assert set(cap.attrs["missing_reasons"]) == {"volume_surge", "fear_greed", "funding", "mvrv"}
    assert (cap["n_components"] == 1).all()
    assert cap["missing"].iloc[-1] == "volume_surge, fear_greed, funding, mvrv"


def test_components_raw_and_scaled():
    idx = pd.date_range("2024-01-01", periods=40, freq="D")
    close = pd.Series(100.0, index=idx)
    close.iloc[-1] = 75.0
    comps = capitulation_components(close, mvrv=pd.Series(0.9, index=idx))
    assert set(CAPITULATION_INPUTS) == set(CAPITULATION_WEIGHTS)
    assert comps["drawdown_input"].iloc[-1] == pytest.approx(-0.25)
    assert comps["drawdown"].iloc[-1] == pytest.approx(0.5)
    assert comps["mvrv"].iloc[-1] == pytest.approx(0.75)
    assert comps["volume_surge"].isna().all()
    assert comps.attrs["not_given"] == ["volume_surge", "fear_greed", "funding"]


def test_episodes_merge_close_days_and_validate():
    idx = pd.date_range("2024-01-01", periods=30, freq="D")
    score = pd.Series(0.1, index=idx)
    score.iloc[[3, 5, 6]] = [0.7, 0.9, 0.6]  # one episode (gap 2 days)
    score.iloc[20] = 0.55  # a second one, 14 days later
    ep = capitulation_episodes(score, threshold=0.5, merge_gap_days=7)
    assert ep["start"].tolist() == [idx[3], idx[20]]
    assert ep["end"].tolist() == [idx[6], idx[20]]
    assert ep["flagged_days"].tolist() == [3, 1]
    assert ep["peak_date"].tolist() == [idx[5], idx[20]]
    assert len(capitulation_episodes(score, threshold=0.5, merge_gap_days=1)) == 3
    assert capitulation_episodes(score, threshold=0.95).empty
    with pytest.raises(ValidationError, match="threshold"):
        capitulation_episodes(score, threshold=2.0)


COINALYZE = (
    "derivatives/smoothbrainquant__trading-for-new-dads/data/raw/"
    "historical_funding_rates_top100_20251025_124832.csv"
)


@pytest.mark.real_data
def test_eth_capitulation_with_its_own_funding(real_data, tmp_path):
    with Store(tmp_path / "eth.duckdb") as store:
        import_file(store, real_data / COINALYZE)
        import_file(store, real_data / "prices/btctree__btc-power/data/alt/ETHUSDT.csv")
        cap = capitulation_from_store(store, "ETH")
    # The store has neither Fear & Greed nor ETH on-chain data: named, with the reason.
    assert set(cap.attrs["missing_reasons"]) == {"fear_greed", "mvrv"}
    assert "on-chain" in cap.attrs["missing_reasons"]["mvrv"]
    day = pd.Timestamp("2025-10-10")
    raw = pd.read_csv(real_data / COINALYZE)
    eth = raw.loc[raw["coin_symbol"] == "ETH"].copy()
    eth["date"] = pd.to_datetime(eth["timestamp"], unit="s").dt.normalize()
    # Percent per 8 hours, one closing value a day -> decimal per day x 3 fundings.
    daily = eth.groupby("date")["funding_rate"].mean() / 100.0 * 3.0
    ann = daily.loc[day - pd.Timedelta(days=6) : day].mean() * 365.0
    assert cap.at[day, "funding_input"] == pytest.approx(ann, rel=1e-9)
    assert cap.at[day, "funding"] == pytest.approx(min(max(-ann / 0.10, 0.0), 1.0))
    assert cap.at[day, "missing"] == "fear_greed, mvrv"
    assert cap.at[day, "n_components"] == 3
