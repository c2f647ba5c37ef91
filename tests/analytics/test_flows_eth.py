"""ETH spot-ETF flows, cost basis and holders' P&L through the same functions as BTC.

The kittycapital ETH flow and price files (and the BTC ones beside them) are
imported into one temporary store; the ETH figures are recomputed from the raw
JSON with a plain loop.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    close_from_store,
    etf_flows_from_store,
    holders_cost_basis,
    period_flows,
    support_from_store,
    total_flows,
)
from altseason.sources.files._import import import_file
from altseason.store import Store

KITTY = "etf_flows/kittycapital__btc-etf-dashboard/data"


@pytest.fixture(scope="module")
def store(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store(tmp_path_factory.mktemp("eth") / "store.duckdb")
    for name in ("eth_etf_flows.json", "eth_price.json", "etf_flows.json", "btc_price.json"):
        import_file(s, real_data / KITTY / name)
    return s


def raw_flows(real_data: Path) -> dict[pd.Timestamp, dict[str, float]]:
    doc = json.loads((real_data / KITTY / "eth_etf_flows.json").read_text())
    return {pd.Timestamp(d["date"]): d["flows"] for d in doc["daily_flows"]}


def raw_prices(real_data: Path) -> pd.Series:
    doc = json.loads((real_data / KITTY / "eth_price.json").read_text())
    s = pd.Series(doc["prices"], dtype=float)
    s.index = pd.to_datetime(s.index)
    return s.sort_index()


@pytest.mark.real_data
def test_eth_flows_totals_and_no_mixing_with_btc(store, real_data):
    eth = etf_flows_from_store(store, underlying="ETH")
    btc = etf_flows_from_store(store, underlying="BTC")
    assert "ETHA" in eth.columns and "IBIT" not in eth.columns
    assert "IBIT" in btc.columns and "ETHA" not in btc.columns
    yearly = period_flows(total_flows(eth), "year") / 1e6
    assert yearly.loc["2025"].iloc[0] == pytest.approx(9_686.3, abs=0.05)
    by_hand = sum(
        sum(v for v in flows.values() if v is not None)
        for day, flows in raw_flows(real_data).items()
        if day.year == 2025
    )
    assert yearly.loc["2025"].iloc[0] == pytest.approx(by_hand, abs=1e-6)


@pytest.mark.real_data
def test_eth_cost_basis_matches_a_plain_average_cost_loop(store, real_data):
    eth = etf_flows_from_store(store, underlying="ETH")
    close = close_from_store(store, "ETH")
    cb = holders_cost_basis(eth, close)
    px = raw_prices(real_data)
    units: dict[str, float] = {}
    cost: dict[str, float] = {}
    for day, flows in sorted(raw_flows(real_data).items()):
        p = float(px.loc[:day].iloc[-1])  # the last close on or before the flow day
        for fund, usd_m in flows.items():
            f = (usd_m or 0.0) * 1e6
            u, c = units.get(fund, 0.0), cost.get(fund, 0.0)
            if f > 0:
                u, c = u + f / p, c + f
            elif f < 0:
                out = -f / p
                if out >= u:
                    u, c = 0.0, 0.0
                else:
                    c, u = c * (u - out) / u, u - out
            units[fund], cost[fund] = u, c
    last = cb.aggregate.iloc[-1]
    assert last["units"] == pytest.approx(sum(units.values()), rel=1e-9)
    assert last["cost_usd"] == pytest.approx(sum(cost.values()), rel=1e-9)
    assert last["cost_basis"] == pytest.approx(sum(cost.values()) / sum(units.values()))
    assert last["unrealised_pnl"] == pytest.approx(last["price"] / last["cost_basis"] - 1)
    assert cb.cost_basis["ETHA"].iloc[-1] == pytest.approx(cost["ETHA"] / units["ETHA"])
    assert 1_000 < last["cost_basis"] < 5_000  # USD per ether, not per bitcoin
    # The support bands of ETH carry its own ETF cost basis.
    bands, cb2 = support_from_store(store, "ETH")
    assert cb2 is not None
    assert "etf_cost_basis" in bands.columns
    assert np.isclose(bands["etf_cost_basis"].dropna().iloc[-1], last["cost_basis"])
