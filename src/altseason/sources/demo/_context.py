"""Simulated context series: on-chain cost basis, Fear & Greed, macro.

* **On-chain** (BTC, ETH): the realized price moves towards the market price
  at the rate coins change hands (plus newly issued coins at today's price),
  so it lags: realized cap < market cap in bull phases, near or above it in
  deep bears. Metrics: ``realized_cap_usd``, ``mvrv``, ``supply``,
  ``realized_price_usd``.
* **Fear & Greed** (``fear_greed``, 0-100): momentum, drawdown from the
  one-year high and relative volatility of BTC, labelled with the
  alternative.me bands.
* **Macro**: FRED-like series bridged through realistic anchor levels, in FRED
  units: M2SL (monthly, billions USD), WALCL (weekly Wednesday, millions USD),
  WTREGEN (weekly Wednesday, millions USD, as FRED publishes it), RRPONTSYD (business days,
  billions USD), DGS10 (percent), SP500 (index), GOLD and SILVER (USD per
  troy ounce), all on US business days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from altseason._typing import FloatArray
from altseason.sources.demo._flows import trading_days

__all__ = [
    "MACRO_SERIES",
    "fear_greed_label",
    "simulate_fear_greed",
    "simulate_macro",
    "simulate_onchain",
]

_REALIZED = {
    # asset: (daily share of supply that moves, MVRV at 2019-01-01)
    "BTC": (0.0035, 0.73),
    "ETH": (0.0050, 0.56),
}


def simulate_onchain(close: pd.DataFrame, supply: pd.DataFrame) -> pd.DataFrame:
    """Realized cap, MVRV, supply and realized price for BTC and ETH (long frame)."""
    frames = []
    dates = close.index
    for a, (lam, mvrv0) in _REALIZED.items():
        if a not in close.columns:
            continue
        p = close[a].to_numpy()
        s = supply[a].to_numpy()
        ok = np.isfinite(p)
        if not ok.any():
            continue
        m0 = mvrv0 if dates[0] <= pd.Timestamp("2019-01-01") else 1.25
        growth = np.zeros(len(p))
        growth[1:] = np.maximum(np.diff(s) / s[1:], 0.0)
        # rp_t = (1 - k_t) rp_{t-1} + k_t p_t with k_t = lam + new-supply share
        k = lam + growth
        rp = _ewm_towards(p, k, p[0] / m0)
        rc = rp * s
        mc = p * s
        long = pd.DataFrame(
            {
                "realized_cap_usd": rc,
                "mvrv": mc / rc,
                "supply": s,
                "realized_price_usd": rp,
            },
            index=dates,
        )
        long = long[ok].rename_axis("date").reset_index()
        long = long.melt(id_vars="date", var_name="metric", value_name="value")
        long.insert(1, "asset_id", a)
        frames.append(long)
    if not frames:
        return pd.DataFrame(columns=["date", "asset_id", "metric", "value"])
    return pd.concat(frames, ignore_index=True)


def _ewm_towards(target: FloatArray, k: FloatArray, x0: float) -> FloatArray:
    out = np.empty(len(target))
    x = x0
    for t in range(len(target)):
        x = x + k[t] * (target[t] - x)
        out[t] = x
    return out


_FG_BANDS = (
    (25, "Extreme Fear"),
    (46, "Fear"),
    (54, "Neutral"),
    (75, "Greed"),
    (100, "Extreme Greed"),
)


def fear_greed_label(value: float) -> str:
    """The alternative.me band of a Fear & Greed value (0-100)."""
    for hi, label in _FG_BANDS:
        if value <= hi:
            return label
    return "Extreme Greed"


def simulate_fear_greed(btc_close: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Daily Fear & Greed index from BTC returns, drawdown and volatility."""
    logp = np.log(btc_close)
    r = logp.diff()
    mom = np.tanh((logp - logp.shift(30)).fillna(0.0) / 0.25)
    peak = btc_close.rolling(365, min_periods=1).max()
    dd = (btc_close / peak - 1.0).fillna(0.0)
    dd_term = np.clip(1.0 + dd / 0.35, -1.0, 1.0)
    vol = r.rolling(30, min_periods=5).std()
    vol_ref = vol.rolling(365, min_periods=30).median()
    vol_term = -np.tanh((vol / vol_ref - 1.0).fillna(0.0))
    score = 0.5 * mom + 0.35 * dd_term + 0.15 * vol_term
    noise = lfilter([1.0], [1.0, -0.7], rng.normal(0.0, 4.0, len(score)))
    value = (46.0 + 48.0 * score + noise).ewm(span=3).mean().clip(3, 97).round()
    frame = pd.DataFrame(
        {
            "date": btc_close.index,
            "index_id": "fear_greed",
            "value": value.to_numpy(dtype=float),
        }
    )
    frame = frame[np.isfinite(frame["value"])]
    frame["label"] = [fear_greed_label(v) for v in frame["value"]]
    return frame.reset_index(drop=True)


# series: (frequency, kind, noise per step, decimals, anchors)
MACRO_SERIES: dict[str, tuple[str, str, float, int, tuple[tuple[str, float], ...]]] = {
    "M2SL": ("monthly", "log", 0.002, 1, (
        ("2019-01-01", 14_450), ("2020-02-01", 15_450), ("2020-06-01", 18_150),
        ("2021-01-01", 19_400), ("2022-04-01", 21_720), ("2023-04-01", 20_700),
        ("2024-01-01", 20_850), ("2025-01-01", 21_550), ("2025-10-01", 22_300),
        ("2026-10-01", 22_900),
    )),
    "WALCL": ("weekly", "log", 0.004, 0, (
        ("2019-01-02", 4_058_000), ("2019-09-11", 3_760_000), ("2020-03-11", 4_300_000),
        ("2020-06-10", 7_170_000), ("2021-12-29", 8_760_000), ("2022-04-13", 8_965_000),
        ("2023-03-08", 8_340_000), ("2023-03-22", 8_730_000), ("2024-01-03", 7_710_000),
        ("2025-01-01", 6_850_000), ("2025-10-29", 6_590_000), ("2025-12-31", 6_580_000),
        ("2026-10-28", 6_700_000),
    )),
    "WTREGEN": ("weekly", "log", 0.05, 0, (
        ("2019-01-02", 370_000), ("2019-07-31", 120_000), ("2019-09-25", 380_000), ("2020-03-25", 390_000),
        ("2020-07-29", 1_800_000), ("2021-02-03", 1_600_000), ("2021-07-28", 600_000),
        ("2021-10-06", 90_000), ("2021-12-29", 280_000), ("2022-04-27", 950_000), ("2022-12-28", 450_000),
        ("2023-06-07", 40_000), ("2023-08-30", 550_000), ("2024-01-03", 750_000), ("2024-04-17", 950_000),
        ("2024-12-31", 720_000), ("2025-04-30", 300_000), ("2025-07-23", 330_000), ("2025-09-03", 650_000),
        ("2025-10-29", 950_000), ("2026-10-28", 850_000),
    )),
    "RRPONTSYD": ("daily", "log", 0.02, 3, (
        ("2019-01-02", 1.5), ("2021-03-01", 1.0), ("2021-06-30", 990), ("2021-12-31", 1_900),
        ("2022-12-30", 2_550), ("2023-06-01", 2_200), ("2024-01-02", 700), ("2024-06-03", 400),
        ("2025-01-02", 150), ("2025-06-02", 200), ("2025-10-01", 20), ("2026-10-30", 10),
    )),
    "DGS10": ("daily", "level", 0.05, 2, (
        ("2019-01-02", 2.66), ("2019-09-03", 1.47), ("2020-03-09", 0.54), ("2020-08-04", 0.52),
        ("2021-03-31", 1.74), ("2021-12-31", 1.52), ("2022-06-14", 3.48), ("2022-10-24", 4.25),
        ("2023-04-05", 3.30), ("2023-10-19", 4.98), ("2023-12-27", 3.79), ("2024-04-25", 4.70),
        ("2024-09-16", 3.62), ("2025-01-14", 4.79), ("2025-04-04", 4.00), ("2025-10-31", 4.08),
        ("2026-10-30", 4.20),
    )),
    "GOLD": ("daily", "log", 0.009, 1, (
        ("2019-01-02", 1_285), ("2019-09-04", 1_550), ("2020-03-19", 1_480),
        ("2020-08-06", 2_060), ("2021-03-08", 1_680), ("2022-03-08", 2_040),
        ("2022-09-28", 1_620), ("2023-12-27", 2_080), ("2024-10-30", 2_780),
        ("2025-04-21", 3_420), ("2025-10-20", 4_350), ("2025-12-26", 4_550),
        ("2026-04-15", 4_600), ("2026-10-30", 4_200),
    )),
    "SILVER": ("daily", "log", 0.018, 3, (
        ("2019-01-02", 15.5), ("2020-03-18", 11.8), ("2020-08-07", 29.0), ("2021-02-01", 27.0),
        ("2022-09-01", 18.0), ("2024-05-20", 32.0), ("2024-10-22", 34.5), ("2025-10-16", 53.0),
        ("2025-12-26", 78.0), ("2026-04-15", 75.0), ("2026-10-30", 60.0),
    )),
    "SP500": ("daily", "log", 0.011, 2, (
        ("2019-01-02", 2_510), ("2020-02-19", 3_386), ("2020-03-23", 2_237),
        ("2021-01-04", 3_700), ("2022-01-03", 4_796), ("2022-10-12", 3_577),
        ("2023-12-29", 4_770), ("2024-12-06", 6_090), ("2025-04-08", 4_982),
        ("2025-10-28", 6_890), ("2026-03-31", 6_500), ("2026-10-30", 7_100),
    )),
}  # fmt: skip
"""Macro series: frequency, noise model, step noise, rounding and anchor levels."""


def _series_dates(freq: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    if freq == "monthly":
        return pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS")
    if freq == "weekly":
        return pd.date_range(start, end, freq="W-WED")
    return trading_days(start, end)


def simulate_macro(
    start: pd.Timestamp, end: pd.Timestamp, rng: np.random.Generator
) -> pd.DataFrame:
    """All :data:`MACRO_SERIES` over ``[start, end]`` as a long ``macro`` frame."""
    frames = []
    for sid, (freq, kind, step, decimals, anchors) in MACRO_SERIES.items():
        dates = _series_dates(freq, start, end)
        if len(dates) == 0:
            continue
        x = dates.to_numpy().astype("datetime64[D]").astype(float)
        ax = np.array([np.datetime64(d, "D").astype(float) for d, _ in anchors])
        ay = np.array([v for _, v in anchors], dtype=float)
        walk = np.cumsum(rng.normal(0.0, step, len(dates)))
        # Brownian bridge: the walk is pinned to zero at every anchor inside the range.
        inside = (ax >= x[0]) & (ax <= x[-1])
        if inside.sum() >= 1:
            pins = np.interp(ax[inside], x, walk)
            walk = walk - np.interp(x, ax[inside], pins)
        if kind == "log":
            value = np.exp(np.interp(x, ax, np.log(ay)) + walk)
        else:
            value = np.interp(x, ax, ay) + walk
        frames.append(
            pd.DataFrame({"date": dates, "series_id": sid, "value": np.round(value, decimals)})
        )
    return pd.concat(frames, ignore_index=True)
