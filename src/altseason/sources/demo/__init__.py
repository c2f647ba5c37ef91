"""The embedded simulated demo market (a demo and a test bed, not market data).

altseason must run on a fresh machine without network, so it ships a
deterministic simulated market: 180 tokens in ten sectors plus three
stablecoins, listings and deaths, spot ETF flows, Deribit-style option
chains, perp funding, realized cap, Fear & Greed and macro series, 2019-2026.
Every row it writes has ``source = "demo"`` and everything made from it is
labelled "simulated demo market" (:mod:`altseason.labels`). The regulatory
event calendar it also writes is real (``source = "calendar"``).

>>> from altseason.sources.demo import generate_demo
>>> market = generate_demo(seed=7, start="2024-01-01", end="2024-12-31", n_assets=30)
>>> sorted(market.tables())[:3]
['assets', 'etf_flows', 'events']
"""

from altseason.sources.demo._context import MACRO_SERIES, fear_greed_label
from altseason.sources.demo._derivatives import black76, deribit_expiries
from altseason.sources.demo._flows import ETF_FUNDS, EtfFund, trading_days
from altseason.sources.demo._market import (
    DEFAULT_ASSETS,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    DEMO_DATASET,
    DemoMarket,
    ensure_demo,
    generate_demo,
    write_demo,
)
from altseason.sources.demo._regimes import BTC_ANCHORS, ETH_ANCHORS, REGIMES, Regime

__all__ = [
    "BTC_ANCHORS",
    "DEFAULT_ASSETS",
    "DEFAULT_END",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "DEMO_DATASET",
    "ETF_FUNDS",
    "ETH_ANCHORS",
    "MACRO_SERIES",
    "REGIMES",
    "DemoMarket",
    "EtfFund",
    "Regime",
    "black76",
    "deribit_expiries",
    "ensure_demo",
    "fear_greed_label",
    "generate_demo",
    "trading_days",
    "write_demo",
]
