"""Event-study inference on real prices: CLM variance with estimation error,
overlap-adjusted CAAR t, BMP and Kolari-Pynnonen statistics, per-event table.

BTC, ETH and SOL daily closes (Binance, via btctree/btc-power) around the
shipped regulatory calendar; each statistic is recomputed here with plain
matrix algebra and loops.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import default_events, event_study, event_table
from altseason.exceptions import ValidationError

PRICES = "prices/btctree__btc-power/data"


def closes(real_data: Path, rel: str) -> pd.Series:
    raw = pd.read_csv(real_data / PRICES / rel, parse_dates=["date"])
    return raw.set_index("date")["close"].astype(float)


@pytest.fixture(scope="module")
def returns(real_data: Path) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "BTC": closes(real_data, "btc_daily.csv"),
            "ETH": closes(real_data, "alt/ETHUSDT.csv"),
            "SOL": closes(real_data, "alt/SOLUSDT.csv"),
        }
    )
    return frame.pct_change(fill_method=None)


def direct_var_car(r: pd.Series, m: pd.Series, pos: int, est=(-120, -11), w=(-5, 5)):
    """OLS on the estimation rows, then 1' s2 (I + X*(X'X)^-1 X*') 1 over the window."""
    e = slice(pos + est[0], pos + est[1] + 1)
    ye, xe = r.iloc[e].to_numpy(), m.iloc[e].to_numpy()
    ok = np.isfinite(ye) & np.isfinite(xe)
    X = np.column_stack([np.ones(ok.sum()), xe[ok]])
    coef, *_ = np.linalg.lstsq(X, ye[ok], rcond=None)
    resid = ye[ok] - X @ coef
    s2 = resid @ resid / (ok.sum() - 2)
    wsl = slice(pos + w[0], pos + w[1] + 1)
    xw = np.column_stack([np.ones(w[1] - w[0] + 1), m.iloc[wsl].to_numpy()])
    v = s2 * (np.eye(len(xw)) + xw @ np.linalg.inv(X.T @ X) @ xw.T)
    ar = r.iloc[wsl].to_numpy() - xw @ coef
    return float(ar.sum()), float(np.ones(len(xw)) @ v @ np.ones(len(xw))), float(np.sqrt(s2))


@pytest.mark.real_data
def test_eth_vs_btc_statistics_match_direct_computations(returns):
    data = returns[["ETH", "BTC"]].dropna()
    r, m = data["ETH"], data["BTC"]
    res = event_study(r, m, n_placebo=60, n_resamples=300, asset="ETH", benchmark="BTC")
    assert res.asset == "ETH" and res.benchmark == "BTC"
    text = res.describe()
    assert "ETH abnormal returns against BTC" in text
    assert "[-120, -11]" in text and "[-5, +5]" in text and "[0, +20]" in text
    ev = res.events
    assert len(ev) > 20
    assert {"jurisdiction", "category"} <= set(ev.columns)
    for w in ((-5, 5), (0, 20)):
        name = f"{w[0]}_{w[1]}".replace("-", "m")
        cars, varis, sigmas, days = [], [], [], []
        for _, row in ev.iterrows():
            pos = int(data.index.get_loc(row["day0"]))
            car, var, sigma = direct_var_car(r, m, pos, w=w)
            assert row[f"car_{name}"] == pytest.approx(car, rel=1e-9, abs=1e-12)
            assert row[f"se_{name}"] == pytest.approx(np.sqrt(var), rel=1e-9)
            assert row[f"t_{name}"] == pytest.approx(car / np.sqrt(var), rel=1e-9)
            cars.append(car)
            varis.append(var)
            sigmas.append(sigma)
            days.append(row["day0"])
        n = len(cars)
        length = w[1] - w[0] + 1
        # Covariance of CARs: shared window days carry the same shock.
        cov = np.diag(varis)
        shared_pairs, corr = 0, []
        for i, j in combinations(range(n), 2):
            a0, b0 = days[i] + pd.Timedelta(days=w[0]), days[i] + pd.Timedelta(days=w[1])
            a1, b1 = days[j] + pd.Timedelta(days=w[0]), days[j] + pd.Timedelta(days=w[1])
            d = max(0, (min(b0, b1) - max(a0, a1)).days + 1)
            cov[i, j] = cov[j, i] = d * sigmas[i] * sigmas[j]
            shared_pairs += d > 0
            corr.append(d / length)
        s = res.summary.loc[f"[{w[0]}, {w[1]}]"]
        caar = float(np.mean(cars))
        assert s["caar"] == pytest.approx(caar, rel=1e-9)
        assert s["t_caar"] == pytest.approx(caar / (np.sqrt(cov.sum()) / n), rel=1e-9)
        assert s["overlapping_pairs"] == shared_pairs > 0  # e.g. CLARITY and GENIUS
        scar = np.array(cars) / np.sqrt(varis)
        t_bmp = scar.mean() / (scar.std(ddof=1) / np.sqrt(n))
        rbar = float(np.mean(corr))
        assert s["t_bmp"] == pytest.approx(t_bmp, rel=1e-9)
        assert s["mean_overlap_corr"] == pytest.approx(rbar, rel=1e-12)
        assert s["t_kp"] == pytest.approx(
            t_bmp * np.sqrt((1 - rbar) / (1 + (n - 1) * rbar)), rel=1e-9
        )
        assert abs(s["t_kp"]) < abs(s["t_bmp"])
        # Placebo p-values per event: share of placebo CARs at least as extreme.
        pc = res.placebo[f"car_{name}"].dropna().to_numpy()
        for car, p in zip(cars, ev[f"p_{name}"], strict=True):
            far = np.abs(pc - pc.mean()) >= abs(car - pc.mean())
            assert p == pytest.approx(far.mean())
        assert 0.0 <= s["placebo_p"] <= 1.0


@pytest.mark.real_data
def test_event_table_puts_assets_side_by_side(returns):
    data = returns.dropna()
    ev = default_events()
    studies = {
        name: event_study(
            data[name], data["BTC"], ev, n_placebo=30, n_resamples=100, asset=name, benchmark="BTC"
        )
        for name in ("ETH", "SOL")
    }
    table = event_table(studies)
    assert table.attrs["benchmarks"] == {"ETH": "BTC", "SOL": "BTC"}
    assert table.attrs["windows"] == ((-5, 5), (0, 20))
    assert list(table.columns[:4]) == ["date", "title", "category", "jurisdiction"]
    assert table["date"].is_monotonic_increasing
    genius = table.loc["genius-act"]
    assert genius["jurisdiction"] == "US"
    for name, study in studies.items():
        row = study.events.set_index("event_id").loc["genius-act"]
        assert genius[f"car_0_20_{name}"] == row["car_0_20"]
        assert genius[f"t_m5_5_{name}"] == row["t_m5_5"]
        assert genius[f"p_0_20_{name}"] == row["p_0_20"]
    # Events before SOL traded are in the table, with NaN for SOL and the reason in the study.
    assert np.isnan(table.loc["libra-announced", "car_0_20_SOL"])
    assert "libra-announced" in set(studies["SOL"].excluded["event_id"])
    with pytest.raises(ValidationError, match="at least one"):
        event_table({})


def test_overlap_terms_vanish_for_separate_events():
    rng = np.random.default_rng(11)
    idx = pd.date_range("2020-01-01", periods=900, freq="D")
    m = pd.Series(rng.normal(0, 0.03, len(idx)), index=idx)
    r = 0.8 * m + pd.Series(rng.normal(0, 0.01, len(idx)), index=idx)
    far = event_study(r, m, [idx[200], idx[400], idx[600]], windows=[(0, 10)], n_placebo=10)
    s = far.summary.iloc[0]
    se = far.events["se_0_10"].to_numpy()
    assert s["overlapping_pairs"] == 0 and s["mean_overlap_corr"] == 0.0
    assert s["t_kp"] == pytest.approx(s["t_bmp"])
    assert s["t_caar"] == pytest.approx(s["caar"] / (np.sqrt((se**2).sum()) / 3))
    # Two events a day apart share 10 of 11 window days: the CAAR is barely
    # better measured than one CAR, and the statistics say so.
    near = event_study(r, m, [idx[500], idx[501]], windows=[(0, 10)], n_placebo=10)
    s2 = near.summary.iloc[0]
    assert s2["overlapping_pairs"] == 1
    assert s2["mean_overlap_corr"] == pytest.approx(10 / 11)
    se2 = near.events["se_0_10"].to_numpy()
    naive = s2["caar"] / (np.sqrt((se2**2).sum()) / 2)
    assert abs(s2["t_caar"]) < abs(naive)
