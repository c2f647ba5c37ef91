"""Fear & Greed zones and streaks; the capitulation score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    CAPITULATION_WEIGHTS,
    capitulation_score,
    fear_greed_extremes,
    fear_greed_streaks,
    fear_greed_summary,
    fear_greed_zone,
)
from altseason.exceptions import ValidationError

FNG = "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv"


@pytest.mark.real_data
def test_zones_match_the_published_labels(real_data):
    raw = pd.read_csv(real_data / FNG, parse_dates=["date"]).set_index("date")
    zones = fear_greed_zone(raw["value"])
    expected = raw["classification"].str.lower().str.replace(" ", "_")
    assert (zones == expected).all()
    summary = fear_greed_summary(raw["value"])
    assert summary["date"] == raw.index.max()
    runs = fear_greed_streaks(raw["value"])
    assert runs["days"].sum() == raw["value"].notna().sum()
    assert summary["streak_days"] == runs["days"].iloc[-1]


def test_streaks_and_extremes():
    idx = pd.date_range("2025-01-01", periods=8, freq="D")
    v = pd.Series([10, 20, np.nan, 30, 80, 90, 50, 50], index=idx, dtype=float)
    runs = fear_greed_streaks(v)
    assert runs["zone"].tolist() == ["extreme_fear", "fear", "extreme_greed", "neutral"]
    assert runs["days"].tolist() == [2, 1, 2, 2]
    ext = fear_greed_extremes(v)
    assert ext["zone"].tolist() == ["extreme_fear", "extreme_greed"]
    assert ext["min"].iloc[0] == 10 and ext["max"].iloc[1] == 90
    with pytest.raises(ValidationError, match=r"\[0, 100\]"):
        fear_greed_zone(pd.Series([120.0]))


def test_capitulation_components_and_weights():
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    close = pd.Series(100.0, index=idx)
    close.iloc[-1] = 60.0  # 40 % below the 365-day high
    volume = pd.Series(10.0, index=idx)
    volume.iloc[-1] = 30.0  # 3x the previous 30-day mean
    fg = pd.Series(20.0, index=idx)  # halfway between 30 and 10
    funding = pd.Series(-0.10 / 365 / 2, index=idx)  # -5 % a year
    mvrv = pd.Series(1.0, index=idx)
    out = capitulation_score(close, volume=volume, fear_greed=fg, funding=funding, mvrv=mvrv)
    last = out.iloc[-1]
    assert last["drawdown"] == pytest.approx(0.8)
    assert last["volume_surge"] == pytest.approx(1.0)
    assert last["fear_greed"] == pytest.approx(0.5)
    assert last["funding"] == pytest.approx(0.5)
    assert last["mvrv"] == pytest.approx(0.5)
    w = CAPITULATION_WEIGHTS
    expected = (
        w["drawdown"] * 0.8
        + w["volume_surge"] * 1.0
        + (w["fear_greed"] + w["funding"] + w["mvrv"]) * 0.5
    )
    assert last["score"] == pytest.approx(expected)
    assert last["n_components"] == 5
    assert sum(w.values()) == pytest.approx(1.0)
    assert out["score"].between(0, 1).all()


def test_capitulation_renormalises_missing_components():
    idx = pd.date_range("2024-01-01", periods=10, freq="D")
    close = pd.Series(np.linspace(100, 50, 10), index=idx)
    only_price = capitulation_score(close)
    assert (only_price["score"] == only_price["drawdown"]).all()
    assert (only_price["n_components"] == 1).all()
    with pytest.raises(ValidationError, match="unknown capitulation component"):
        capitulation_score(close, weights={"hashrate": 1.0})
    fg = pd.Series([5.0], index=[idx[0]])  # stale beyond 3 days -> not used later
    out = capitulation_score(close, fear_greed=fg)
    assert out["fear_greed"].iloc[0] == 1.0 and np.isnan(out["fear_greed"].iloc[-1])
