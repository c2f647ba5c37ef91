"""Fixtures for the report tests: a small hand-built market where small caps lead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.report import Report, build_report
from altseason.store import Store

SECTORS = ["smart_contract_l1", "defi", "ai", "culture", "infrastructure"]


def build_market(
    store: Store, *, source: str = "fixture", days: int = 520, n_alts: int = 40, seed: int = 7
) -> pd.Timestamp:
    """Fill ``store`` with a deterministic small market; returns the last date.

    BTC drifts sideways-down over the last 120 days while the alts rally, so
    small caps lead on relative strength and the altseason index.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-08-01", periods=days, freq="D")
    ids = ["BTC", "ETH"] + [f"A{i:02d}" for i in range(n_alts)] + ["USDT"]
    n = len(dates)
    drift = np.zeros((n, len(ids)))
    drift[: n - 120, :] = 0.0008
    drift[n - 120 :, 0] = -0.0012
    drift[n - 120 :, 1] = -0.0004
    drift[n - 120 :, 2:-1] = 0.003 + np.linspace(0.0, 0.002, n_alts)
    vol = np.full(len(ids), 0.035)
    vol[0], vol[1] = 0.025, 0.03
    common = rng.normal(0, 0.02, size=(n, 1))
    rets = drift + common + rng.normal(0, 1, size=(n, len(ids))) * vol
    rets[:, -1] = 0.0
    close = 100.0 * np.exp(np.cumsum(rets, axis=0))
    close[:, 0] *= 600.0  # BTC ~ 60k
    close[:, 1] *= 30.0
    close[:, -1] = 1.0
    supply = np.array([19.5e6, 120e6, *rng.uniform(1e8, 5e9, n_alts), 1e11])
    mcap = close * supply
    rows = []
    for j, a in enumerate(ids):
        rows.append(
            pd.DataFrame(
                {
                    "asset_id": a,
                    "date": dates,
                    "open": close[:, j],
                    "high": close[:, j] * 1.01,
                    "low": close[:, j] * 0.99,
                    "close": close[:, j],
                    "volume_usd": mcap[:, j] * 0.03,
                    "market_cap_usd": mcap[:, j],
                }
            )
        )
    prices = pd.concat(rows, ignore_index=True)
    sectors = ["currency", "smart_contract_l1"] + [SECTORS[i % len(SECTORS)] for i in range(n_alts)]
    assets = pd.DataFrame(
        {
            "asset_id": ids,
            "symbol": ids,
            "name": ids,
            "sector": [*sectors, "stablecoin"],
            "is_stablecoin": [False] * (len(ids) - 1) + [True],
        }
    )
    # ETF flows (BTC, 3 funds, business days of the last 300 days)
    fdates = dates[-300:][dates[-300:].day_of_week < 5]
    flows = []
    for k, fund in enumerate(["IBIT", "FBTC", "GBTC"]):
        f = rng.normal(2e8 if k < 2 else -5e7, 1.5e8, len(fdates))
        flows.append(
            pd.DataFrame({"date": fdates, "fund": fund, "underlying": "BTC", "flow_usd": f})
        )
    etf = pd.concat(flows, ignore_index=True)
    # one options snapshot
    last = dates[-1]
    spot = float(close[-1, 0])
    snap = last + pd.Timedelta(hours=8)
    strikes = np.round(spot * np.linspace(0.6, 1.6, 21), -3)
    opt_rows = []
    for e_days in (7, 30, 90):
        expiry = last + pd.Timedelta(days=e_days, hours=8)
        for k in strikes:
            m = np.log(k / spot)
            iv = 0.55 + 0.4 * m * m - 0.05 * m
            for kind in ("C", "P"):
                oi = (800 if kind == "C" else 900) * np.exp(
                    -((m - (0.25 if kind == "C" else -0.2)) ** 2) / 0.02
                )
                inst = f"BTC-{expiry:%d%b%y}-{int(k)}-{kind}".upper()
                opt_rows.append(
                    {
                        "snapshot_ts": snap,
                        "venue": "deribit",
                        "instrument": inst,
                        "underlying": "BTC",
                        "expiry": expiry,
                        "strike": float(k),
                        "kind": kind,
                        "open_interest": float(oi) + 1.0,
                        "mark_iv": iv,
                        "underlying_price": spot,
                        "mark_price": 0.01,
                        "volume": 10.0,
                    }
                )
    options = pd.DataFrame(opt_rows)
    onchain = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": dates,
                    "asset_id": "BTC",
                    "metric": "realized_price_usd",
                    "value": close[:, 0] * 0.62,
                }
            ),
            pd.DataFrame(
                {"date": dates, "asset_id": "BTC", "metric": "mvrv", "value": np.full(n, 1 / 0.62)}
            ),
        ],
        ignore_index=True,
    )
    mdates = pd.date_range("2021-01-01", last, freq="MS")
    macro = pd.DataFrame(
        {
            "date": mdates,
            "series_id": "M2SL",
            "value": 21000 * np.exp(np.arange(len(mdates)) * 0.003),
        }
    )
    fg = pd.DataFrame(
        {
            "date": dates,
            "index_id": "fear_greed",
            "value": np.clip(50 + 30 * np.sin(np.arange(n) / 30), 1, 99).round(),
            "label": "x",
        }
    )
    funding = pd.DataFrame(
        {
            "ts": pd.date_range(last - pd.Timedelta(days=10), last, freq="8h"),
            "venue": "binance",
            "instrument": "BTCUSDT",
            "asset_id": "BTC",
            "rate": 0.0001,
            "interval_hours": 8.0,
        }
    )
    store.ingest(
        dataset="fixture",
        source=source,
        tables={
            "assets": assets,
            "prices": prices,
            "etf_flows": etf,
            "options": options,
            "onchain": onchain,
            "macro": macro,
            "sentiment": fg,
            "funding": funding,
        },
    )
    return pd.Timestamp(last)


@pytest.fixture
def market_store(tmp_path: Path) -> Iterator[tuple[Store, pd.Timestamp]]:
    """A store holding the hand-built market (source ``fixture``)."""
    s = Store(tmp_path / "market.duckdb")
    last = build_market(s)
    try:
        yield s, last
    finally:
        s.close()


@pytest.fixture
def market_builder() -> object:
    """The :func:`build_market` function, for tests that need another source or size."""
    return build_market


# ---------------------------------------------------------------------- real-data and demo stores
CMC = (
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/coinmarketcap_monthly_all_snapshots.csv"
)
REAL_ASOF = "2026-02-20"
"""A date after the CoinMarketCap caps (2025-10-01) while daily prices go on."""
DEMO_ASOF = "2025-06-30"


def real_files(real: Path) -> list[Path]:
    """Daily prices into 2026, the CMC monthly caps, macro, flows, options, sentiment."""
    picks = [
        *sorted((real / "prices" / "btctree__btc-power" / "data" / "alt").glob("*USDT.csv")),
        *sorted((real / "prices" / "djienne__Hurst_Crypto" / "data").glob("*USDT.csv"))[:50],
        real / CMC,
        *[
            real / "macro" / "sivamsapingali__Codex_Macro-Monitor" / "data" / f"{s}.csv"
            for s in ("M2SL", "WALCL", "RRPONTSYD", "WTREGEN", "SP500")
        ],
        real / "etf_flows" / "kittycapital__btc-etf-dashboard" / "data" / "etf_flows.json",
        real
        / "options"
        / "GitHubAvailable__heston-bitcoin-pricing"
        / "data"
        / "deribit_btc_options.csv",
        real / "sentiment" / "edwardchin811227__cryptofear-and-greed-index" / "data" / "fng.csv",
    ]
    return [p for p in picks if p.exists()]


@pytest.fixture(scope="session")
def real_store_path(  # a small store from the real datasets: caps end 2025-10-01, prices 2026
    real_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    from altseason.sources.files import import_files

    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    with Store(path) as store:
        import_files(store, real_files(real_data), on_error="reject", skip_unknown=True)
    return path


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from altseason.sources.demo import write_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(path) as store:
        write_demo(store, start="2024-01-01", end=DEMO_ASOF, n_assets=30)
    return path


def _report(path: Path, asof: str | None) -> Report:
    with Store(path) as store:
        return build_report(store, asof=asof)


@pytest.fixture(scope="session")
def real_report(real_store_path: Path) -> Report:
    return _report(real_store_path, REAL_ASOF)


@pytest.fixture(scope="session")
def demo_report(demo_store_path: Path) -> Report:
    return _report(demo_store_path, DEMO_ASOF)
