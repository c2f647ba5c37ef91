"""Simulated US spot ETF flows for BTC (from 2024-01-11) and ETH (from 2024-07-23).

Daily net flows on NYSE trading days chase past returns of the underlying;
the converted legacy trusts (GBTC, ETHE) start with large holdings and bleed.
Holdings follow the flows exactly::

    holdings_t = holdings_{t-1} + flow_t / close_t        (units of the underlying)
    aum_t      = holdings_t * close_t                     (USD)

where ``close_t`` is the underlying's daily close in the ``prices`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
)

__all__ = ["ETF_FUNDS", "EtfFund", "simulate_etf_flows", "trading_days"]


class _NyseCalendar(AbstractHolidayCalendar):
    rules = [  # noqa: RUF012 (pandas API)
        Holiday("New Year", month=1, day=1, observance=nearest_workday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01", observance=nearest_workday),
        Holiday("Independence", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas", month=12, day=25, observance=nearest_workday),
    ]


def trading_days(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """US exchange trading days (weekdays less NYSE holidays) in ``[start, end]``."""
    hol = _NyseCalendar().holidays(start - pd.Timedelta(days=7), end + pd.Timedelta(days=7))
    days = pd.bdate_range(start, end)
    return days[~days.isin(hol)]


@dataclass(frozen=True)
class EtfFund:
    """A simulated spot ETF: ticker, underlying, launch date, share of new flows, seed units."""

    fund: str
    underlying: str
    launch: str
    share: float
    initial_units: float = 0.0
    bleed: float = 0.0


ETF_FUNDS: tuple[EtfFund, ...] = (
    EtfFund("IBIT", "BTC", "2024-01-11", 0.46),
    EtfFund("FBTC", "BTC", "2024-01-11", 0.22),
    EtfFund("GBTC", "BTC", "2024-01-11", 0.03, 619_000.0, 0.004),
    EtfFund("ARKB", "BTC", "2024-01-11", 0.08),
    EtfFund("BITB", "BTC", "2024-01-11", 0.08),
    EtfFund("HODL", "BTC", "2024-01-11", 0.04),
    EtfFund("BRRR", "BTC", "2024-01-11", 0.02),
    EtfFund("EZBC", "BTC", "2024-01-11", 0.02),
    EtfFund("BTCO", "BTC", "2024-01-11", 0.03),
    EtfFund("BTCW", "BTC", "2024-01-11", 0.02),
    EtfFund("ETHA", "ETH", "2024-07-23", 0.52),
    EtfFund("FETH", "ETH", "2024-07-23", 0.20),
    EtfFund("ETHE", "ETH", "2024-07-23", 0.03, 2_960_000.0, 0.003),
    EtfFund("ETHW", "ETH", "2024-07-23", 0.09),
    EtfFund("TETH", "ETH", "2024-07-23", 0.03),
    EtfFund("ETHV", "ETH", "2024-07-23", 0.05),
    EtfFund("QETH", "ETH", "2024-07-23", 0.03),
    EtfFund("EZET", "ETH", "2024-07-23", 0.05),
)
"""The simulated funds (real tickers of the US spot ETFs; flows are simulated)."""


def simulate_etf_flows(close: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Daily flows, holdings and AUM per fund.

    Parameters
    ----------
    close
        Daily closes (USD) with columns ``BTC`` and ``ETH`` (a full daily index).
    rng
        Random generator.

    Returns
    -------
    DataFrame
        Long frame in the ``etf_flows`` table shape: date, fund, underlying,
        flow_usd (USD, rounded to 1,000), holdings_units, aum_usd. Empty when
        the range ends before the launches.
    """
    frames: list[pd.DataFrame] = []
    start, end = close.index[0], close.index[-1]
    for underlying in ("BTC", "ETH"):
        funds = [f for f in ETF_FUNDS if f.underlying == underlying]
        if underlying not in close.columns:
            continue
        launch = pd.Timestamp(funds[0].launch)
        if end < launch:
            continue
        days = trading_days(max(launch, start), end)
        if len(days) == 0:
            continue
        px_all = close[underlying]
        logp = np.log(px_all)
        ret5 = (logp - logp.shift(5)).shift(1).reindex(days).fillna(0.0).to_numpy()
        ret20 = (logp - logp.shift(20)).shift(1).reindex(days).fillna(0.0).to_numpy()
        px = px_all.reindex(days).to_numpy()
        n_days, n_f = len(days), len(funds)
        share = np.array([f.share for f in funds])
        share /= share.sum()
        bleed = np.array([f.bleed for f in funds])
        units = np.array([f.initial_units for f in funds], dtype=float)
        if start > launch:  # range starts after launch: seed a plausible book
            units = units * 0.5 + share * (30e9 if underlying == "BTC" else 8e9) / px[0]
        flows = np.zeros((n_days, n_f))
        hold = np.zeros((n_days, n_f))
        noise = rng.standard_t(4.0, (n_days,)) * 0.6
        fund_noise = rng.normal(0.0, 0.35, (n_days, n_f))
        quiet = rng.random((n_days, n_f)) < np.where(share < 0.05, 0.55, 0.1)
        bleed_decay = np.exp(-np.arange(n_days) / 120.0)
        scale = 1.0 if underlying == "BTC" else 0.35
        for t in range(n_days):
            aum = float(units @ np.full(n_f, px[t]))
            base = max(aum, 20e9 * scale)
            launch_boost = 0.004 * np.exp(-t / 40.0) if start <= launch else 0.0
            demand = base * (
                0.0015 + launch_boost + 0.03 * ret20[t] + 0.04 * ret5[t] + 0.002 * noise[t]
            )
            new = demand * share * np.exp(fund_noise[t] - 0.06)
            new = np.where(quiet[t], 0.0, new)
            out = -units * px[t] * bleed * (0.25 + bleed_decay[t])
            f = np.round((new + out) / 1_000.0) * 1_000.0
            f = np.maximum(f, -np.floor(units * px[t] / 1_000.0) * 1_000.0) + 0.0
            units = units + f / px[t]
            flows[t], hold[t] = f, units
        frame = pd.DataFrame(
            {
                "date": np.repeat(days.to_numpy(), n_f),
                "fund": np.tile([f.fund for f in funds], n_days),
                "underlying": underlying,
                "flow_usd": flows.ravel(),
                "holdings_units": hold.ravel(),
                "aum_usd": (hold * px[:, None]).ravel(),
            }
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(
            columns=["date", "fund", "underlying", "flow_usd", "holdings_units", "aum_usd"]
        )
    return pd.concat(frames, ignore_index=True)
