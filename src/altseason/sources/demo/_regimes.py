"""The script of the simulated market: price anchors and regimes.

The demo market follows a fixed script so that it looks like the crypto market
of 2019-2026 without being market data:

* **Anchors** pin BTC and ETH to round, realistic levels at a few dozen dates
  (cycle tops and bottoms). Between anchors the path is random (fat-tailed,
  volatility-clustered) and bridged so that it meets the next anchor; after the
  last anchor it wanders freely.
* **Regimes** set, for each period, how much small caps lead or lag BTC
  (``alt_tilt``, a daily log-return tilt scaled by each token's size), extra
  per-sector tilts (DeFi summer, the AI/L2 run of 2025-26), the volatility of
  the market factor and the dispersion of token-specific moves.

Everything here is a constant or a pure function of dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from altseason._typing import FloatArray

IntArray = npt.NDArray[np.int64]

__all__ = [
    "BTC_ANCHORS",
    "ETH_ANCHORS",
    "MARKET_JUMPS",
    "REGIMES",
    "Regime",
    "anchor_drift",
    "regime_frame",
    "regime_index",
]

BTC_ANCHORS: tuple[tuple[str, float], ...] = (
    ("2019-01-01", 3_800),
    ("2019-02-07", 3_400),
    ("2019-04-01", 4_100),
    ("2019-06-26", 12_500),
    ("2019-09-23", 10_000),
    ("2019-12-17", 6_700),
    ("2020-02-13", 10_300),
    ("2020-03-11", 7_900),
    ("2020-03-12", 5_000),
    ("2020-05-11", 8_600),
    ("2020-07-25", 9_600),
    ("2020-10-20", 12_000),
    ("2020-12-31", 29_000),
    ("2021-01-10", 40_000),
    ("2021-02-20", 56_000),
    ("2021-04-14", 63_500),
    ("2021-05-19", 37_000),
    ("2021-07-20", 29_800),
    ("2021-09-06", 51_500),
    ("2021-09-29", 41_000),
    ("2021-11-10", 67_500),
    ("2022-01-22", 35_000),
    ("2022-03-29", 47_500),
    ("2022-05-12", 28_500),
    ("2022-06-18", 19_000),
    ("2022-08-14", 24_300),
    ("2022-11-08", 19_500),
    ("2022-11-21", 16_000),
    ("2023-01-31", 23_100),
    ("2023-03-10", 20_200),
    ("2023-04-14", 30_400),
    ("2023-06-15", 25_000),
    ("2023-07-13", 31_400),
    ("2023-09-11", 25_100),
    ("2023-12-31", 42_300),
    ("2024-01-22", 39_500),
    ("2024-03-14", 73_000),
    ("2024-05-01", 57_000),
    ("2024-06-07", 71_000),
    ("2024-08-05", 54_000),
    ("2024-11-05", 69_500),
    ("2024-12-17", 106_000),
    ("2025-01-20", 105_000),
    ("2025-04-08", 76_500),
    ("2025-05-22", 111_500),
    ("2025-07-14", 121_000),
    ("2025-09-01", 108_000),
    ("2025-10-06", 124_500),
    ("2025-10-10", 112_000),
    ("2025-11-21", 85_000),
    ("2025-12-31", 88_000),
    ("2026-02-06", 70_000),
    ("2026-04-15", 78_000),
    ("2026-06-20", 63_000),
    ("2026-08-20", 72_000),
    ("2026-10-31", 68_000),
)
"""BTC close (USD) at anchor dates; the simulated path passes through each."""

ETH_ANCHORS: tuple[tuple[str, float], ...] = (
    ("2019-01-01", 140),
    ("2019-02-07", 105),
    ("2019-06-26", 330),
    ("2019-12-17", 125),
    ("2020-02-14", 280),
    ("2020-03-12", 110),
    ("2020-07-25", 300),
    ("2020-09-01", 480),
    ("2020-12-31", 740),
    ("2021-02-20", 1_950),
    ("2021-05-12", 4_300),
    ("2021-06-22", 1_850),
    ("2021-09-03", 3_950),
    ("2021-11-10", 4_800),
    ("2022-01-22", 2_400),
    ("2022-03-29", 3_400),
    ("2022-06-18", 990),
    ("2022-08-14", 1_990),
    ("2022-11-21", 1_100),
    ("2023-04-14", 2_100),
    ("2023-10-12", 1_540),
    ("2024-03-12", 4_050),
    ("2024-08-05", 2_300),
    ("2024-12-16", 4_000),
    ("2025-04-08", 1_470),
    ("2025-08-24", 4_850),
    ("2025-11-21", 2_750),
    ("2026-02-06", 1_950),
    ("2026-04-15", 2_300),
    ("2026-06-20", 1_650),
    ("2026-10-31", 1_900),
)
"""ETH close (USD) at anchor dates."""

MARKET_JUMPS: tuple[tuple[str, float], ...] = (
    ("2020-03-12", -0.25),
    ("2021-05-19", -0.14),
    ("2022-05-09", -0.08),
    ("2022-05-10", -0.07),
    ("2022-06-13", -0.15),
    ("2022-11-09", -0.14),
    ("2023-03-10", -0.06),
    ("2024-08-05", -0.08),
    ("2025-10-10", -0.09),
)
"""Extra log-return shocks of the market factor on crash days (alts take beta times)."""


@dataclass(frozen=True)
class Regime:
    """One period of the script, from ``start`` until the next regime starts.

    Attributes
    ----------
    start
        First UTC day of the regime (ISO date).
    name
        Short human name.
    alt_tilt
        Daily log-return tilt of non-major tokens against BTC, before scaling
        by token size (small caps get about 1.5x, large caps 0.5x).
    market_vol
        Multiplier of the market factor's volatility.
    idio_vol
        Multiplier of token-specific volatility (dispersion).
    sector_tilts
        Extra daily log-return tilt per sector id.
    """

    start: str
    name: str
    alt_tilt: float
    market_vol: float = 1.0
    idio_vol: float = 1.0
    sector_tilts: dict[str, float] = field(default_factory=dict)


REGIMES: tuple[Regime, ...] = (
    Regime("2019-01-01", "crypto winter", 0.000, 0.9, 0.9),
    Regime("2019-04-01", "2019 bitcoin season", -0.0045, 1.0, 0.9),
    Regime("2020-01-01", "early-2020 alt bounce", 0.0020, 1.0, 1.0),
    Regime("2020-03-10", "covid crash and recovery", 0.0000, 1.4, 0.8),
    Regime("2020-07-01", "DeFi summer", 0.0030, 1.0, 1.2, {"defi": 0.0060}),
    Regime("2020-09-10", "late-2020 bitcoin rally", -0.0035, 1.0, 0.9),
    Regime(
        "2021-01-01",
        "2021 altseason",
        0.0070,
        1.15,
        1.3,
        {"culture": 0.0030, "smart_contract_l1": 0.0020},
    ),
    Regime("2021-05-12", "May 2021 crash", -0.0020, 1.3, 0.9),
    Regime(
        "2021-07-20",
        "L1 and NFT season",
        0.0030,
        1.1,
        1.2,
        {"culture": 0.0040, "smart_contract_l1": 0.0030, "web3_social": 0.0020},
    ),
    Regime("2021-11-10", "2022 bear market", -0.0035, 1.0, 0.8),
    Regime("2023-01-01", "2023 relief rally", 0.0020, 0.8, 1.0, {"ai": 0.0050}),
    Regime("2023-04-01", "2023 alt bleed", -0.0030, 0.6, 0.8),
    Regime(
        "2023-10-15",
        "ETF anticipation",
        0.0020,
        0.75,
        1.1,
        {"ai": 0.0050, "culture": 0.0030, "rwa": 0.0030},
    ),
    Regime("2024-03-14", "2024 bitcoin season", -0.0045, 0.85, 0.9),
    Regime("2024-11-01", "post-election alt pump", 0.0050, 0.8, 1.2, {"culture": 0.0030}),
    Regime("2024-12-16", "2025 bitcoin dominance", -0.0045, 0.7, 0.9),
    Regime("2025-07-01", "2025 treasury-company summer", 0.0000, 0.55, 1.0, {"rwa": 0.0020}),
    Regime("2025-10-06", "October 2025 deleveraging", -0.0035, 0.9, 0.9),
    Regime(
        "2025-12-01",
        "2025-26 sector rotation",
        0.0005,
        0.7,
        1.1,
        {
            "ai": 0.0060,
            "l2_scaling": 0.0040,
            "infrastructure": 0.0035,
            "culture": -0.0015,
            "exchange": -0.0010,
            "currency": -0.0015,
        },
    ),
)
"""The regime script, in date order."""


def _ordinals(dates: pd.DatetimeIndex) -> FloatArray:
    return np.asarray(dates.to_numpy().astype("datetime64[D]").astype(np.int64), dtype=np.float64)


def regime_index(dates: pd.DatetimeIndex) -> IntArray:
    """Index into :data:`REGIMES` of the regime in force on each date (0 before the first)."""
    starts = np.array([np.datetime64(r.start, "D").astype(np.int64) for r in REGIMES])
    idx = np.searchsorted(starts, _ordinals(dates), side="right") - 1
    return np.clip(idx, 0, len(REGIMES) - 1)


def regime_frame(dates: pd.DatetimeIndex, sectors: list[str]) -> pd.DataFrame:
    """Per-date regime parameters.

    Returns
    -------
    DataFrame
        Index ``dates``; columns ``regime`` (name), ``alt_tilt``,
        ``market_vol``, ``idio_vol`` and ``tilt_<sector>`` for each sector.
    """
    idx = regime_index(dates)
    out = pd.DataFrame(index=dates)
    out["regime"] = [REGIMES[i].name for i in idx]
    out["alt_tilt"] = np.array([REGIMES[i].alt_tilt for i in idx])
    out["market_vol"] = np.array([REGIMES[i].market_vol for i in idx])
    out["idio_vol"] = np.array([REGIMES[i].idio_vol for i in idx])
    for s in sectors:
        out[f"tilt_{s}"] = np.array([REGIMES[i].sector_tilts.get(s, 0.0) for i in idx])
    return out


def anchor_drift(
    dates: pd.DatetimeIndex, anchors: tuple[tuple[str, float], ...]
) -> tuple[float, FloatArray, IntArray]:
    """The anchored log path as a start level, daily drifts and bridge segments.

    Parameters
    ----------
    dates
        Consecutive UTC days.
    anchors
        ``(iso_date, level)`` pairs in date order.

    Returns
    -------
    log_start : float
        Log level on ``dates[0]`` (linear in time between anchors, flat
        outside them).
    drift : ndarray, shape (n_dates,)
        Daily log change of the interpolated path; ``drift[0] = 0``.
    segment : ndarray of int, shape (n_dates,)
        For each day's return, the bridge segment it belongs to: returns
        between two anchors share a segment id >= 0; returns after the last
        anchor get -1 (free, not bridged). ``segment[0] = -1``.
    """
    a_days = np.array([np.datetime64(d, "D").astype(np.int64) for d, _ in anchors], dtype=float)
    a_logs = np.log(np.array([v for _, v in anchors], dtype=float))
    days = _ordinals(dates)
    path = np.interp(days, a_days, a_logs)
    drift = np.zeros(len(days))
    drift[1:] = np.diff(path)
    seg = np.searchsorted(a_days, days, side="left")
    # A return on day t belongs to the segment ending at the first anchor >= t.
    seg = np.where(seg >= len(a_days), -1, seg)
    seg[0] = -1
    return float(path[0]), drift, seg
