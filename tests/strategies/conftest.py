"""A small demo market shared by the strategy tests (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from altseason.strategies import MarketData


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> MarketData:
    from altseason.sources.demo import write_demo
    from altseason.store import Store
    from altseason.strategies import market_data_from_store

    path = Path(tmp_path_factory.mktemp("demo")) / "demo.duckdb"
    with Store(path) as store:
        write_demo(store, n_assets=30, start="2023-01-01")
        return market_data_from_store(store)
