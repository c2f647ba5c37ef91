"""Divergence measures: hand-built checks, and the real data end to end.

The real-data tests build a store from the raw files (Binance spot klines for
prices, CoinMarketCap monthly snapshots for market caps, the hand-made
category_mappings CSV for sectors), run :class:`DivergenceAnalysis` on it, and
compare with the same facts computed here from the raw CSVs with plain pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.analytics import (
    DivergenceAnalysis,
    altseason_index,
    breadth,
    dispersion,
    divergence_regime,
    dominance,
    performance_table,
    relative_strength,
    season_label,
    sector_spread,
    top_movers,
)
from altseason.labels import DEMO_LABEL
from altseason.store import Store

BINANCE = Path("prices/djienne__Hurst_Crypto/data")
CMC = Path(
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/coinmarketcap_monthly_all_snapshots.csv"
)
CATEGORIES = Path(
    "sectors/smoothbrainquant__trading-for-new-dads/data/raw/category_mappings_validated.csv"
)

# the hand-made categories of the CSV -> canonical sector ids (test-side mapping)
CATEGORY_SECTOR = {
    "L1 Smart Contract": "smart_contract_l1",
    "Meme Coins": "culture",
    "DeFi Blue Chips": "defi",
    "DEX Tokens": "defi",
    "L2 Scaling": "l2_scaling",
    "AI/Compute": "ai",
    "Oracle Networks": "infrastructure",
    "Storage/Infra": "infrastructure",
    "Exchange Tokens": "exchange",
    "Privacy Coins": "currency",
    "Dino Coins": "currency",
    "Stablecoins": "stablecoin",
    "RWA": "rwa",
}


def _dates(n: int, start: str = "2021-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D", name="date")


# ------------------------------------------------------------ hand-built panels
def test_performance_table_matches_direct_computation() -> None:
    idx = pd.date_range("2021-12-31", "2023-03-31", freq="D")
    rng = np.random.default_rng(3)
    px = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.03, (len(idx), 2)), axis=0)) * 100,
        index=idx,
        columns=["BTC", "ETH"],
    )
    tbl = performance_table(px, "2023-03-31")
    p = px["BTC"]
    end = pd.Timestamp("2023-03-31")
    assert tbl.loc["BTC", "7d"] == pytest.approx(p[end] / p[end - pd.Timedelta(days=7)] - 1)
    assert tbl.loc["BTC", "ytd"] == pytest.approx(p[end] / p["2022-12-31"] - 1)
    assert tbl.loc["BTC", "1y"] == pytest.approx(p[end] / p["2022-03-31"] - 1)
    assert tbl.loc["ETH", "2022"] == pytest.approx(
        px["ETH"]["2022-12-31"] / px["ETH"]["2021-12-31"] - 1
    )
    assert "2023" not in tbl.columns  # 2023 is not complete on the as-of date
    peak_date = p[:end].idxmax()
    assert tbl.loc["BTC", "drawdown"] == pytest.approx(p[end] / p[:end].max() - 1)
    assert tbl.loc["BTC", "days_since_peak"] == (end - peak_date).days


def test_altseason_index_counts_top_assets_beating_btc() -> None:
    idx = _dates(120)
    close = pd.DataFrame(index=idx)
    close["BTC"] = 100.0
    close.loc[idx[-1], "BTC"] = 110.0  # BTC +10% over 90 days at the end
    for k in range(6):
        close[f"A{k}"] = 10.0
        close.loc[idx[-1], f"A{k}"] = 10.0 * (1 + 0.05 * k)  # 0%, 5%, 10%, 15%, 20%, 25%
    close["USDT"] = 1.0  # stable: never counted
    close.loc[idx[-1], "USDT"] = 2.0
    mcap = close * 1e6
    mcap["A0"] = 1.0  # smallest
    out = altseason_index(close, mcap, window=90, top=4)
    last = out.iloc[-1]
    # top 4 by cap among non-stable alts: A1..A5 all have cap 1e7*...; ties broken by cap value
    ranked = (mcap.iloc[-1].drop(["BTC", "USDT"])).sort_values(ascending=False).index[:4]
    rets = close.iloc[-1] / close.iloc[-91] - 1
    expected = (rets[ranked] > rets["BTC"]).mean()
    assert last["altseason_index"] == pytest.approx(expected)
    assert last["counted"] == 4
    assert np.isnan(out["altseason_index"].iloc[50])  # no 90-day return yet
    assert season_label(0.8) == "altseason"
    assert season_label(0.25) == "bitcoin season"
    assert season_label(0.5) == "neutral"


def test_breadth_dispersion_dominance_spread() -> None:
    idx = _dates(260)
    rng = np.random.default_rng(0)
    close = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0, 0.02, (260, 5)), axis=0)),
        index=idx,
        columns=["BTC", "ETH", "SOL", "DOGE", "USDC"],
    )
    b = breadth(close)
    t = idx[-1]
    alts = ["BTC", "ETH", "SOL", "DOGE"]  # USDC excluded
    sma50 = close[alts].iloc[-50:].mean()
    assert b.loc[t, "above_50d"] == pytest.approx((close[alts].iloc[-1] > sma50).mean())
    assert b.loc[t, "n_200d"] == 4
    d = dispersion(close, 30)
    r30 = close[alts].iloc[-1] / close[alts].iloc[-31] - 1
    assert d.iloc[-1] == pytest.approx(r30.std(ddof=1))
    mcap = close * [5, 3, 1, 1, 2]
    dom = dominance(mcap)
    assert dom.iloc[-1] == pytest.approx(mcap["BTC"].iloc[-1] / mcap[alts].iloc[-1].sum())
    spread = sector_spread(close[["SOL", "DOGE", "ETH"]], 30)
    r = close[["SOL", "DOGE", "ETH"]].iloc[-1] / close[["SOL", "DOGE", "ETH"]].iloc[-31] - 1
    assert spread["spread_pp"].iloc[-1] == pytest.approx((r.max() - r.min()) * 100)
    assert spread["best_sector"].iloc[-1] == r.idxmax()
    movers = top_movers(close, 7, n=2)
    r7 = (close[alts].iloc[-1] / close[alts].iloc[-8] - 1).sort_values(ascending=False)
    assert movers.loc[movers.side == "top", "asset"].tolist() == r7.index[:2].tolist()
    assert movers.loc[movers.side == "bottom", "asset"].tolist() == r7.index[2:].tolist()


def test_relative_strength_ratio_change_and_zscore() -> None:
    idx = _dates(400)
    rng = np.random.default_rng(1)
    lv = pd.Series(np.exp(np.cumsum(rng.normal(0, 0.02, 400))), index=idx, name="X")
    btc = pd.Series(np.exp(np.cumsum(rng.normal(0, 0.02, 400))), index=idx)
    rs = relative_strength(lv, btc, window=90, z_window=365)
    ratio = lv / btc
    assert rs["ratio"]["X"].iloc[-1] == pytest.approx(ratio.iloc[-1])
    assert rs["change"]["X"].iloc[-1] == pytest.approx(ratio.iloc[-1] / ratio.iloc[-91] - 1)
    tail = ratio.iloc[-365:]
    assert rs["zscore"]["X"].iloc[-1] == pytest.approx((ratio.iloc[-1] - tail.mean()) / tail.std())


def test_regime_label_names_its_drivers() -> None:
    r = divergence_regime(altseason=0.8, breadth_50=0.6)
    assert r.label == "altseason" and "80%" in r.reason
    r = divergence_regime(altseason=0.1)
    assert r.label == "bitcoin season"
    r = divergence_regime(altseason=0.5, smallcap_vs_btc=0.2, breadth_50=0.6)
    assert r.label == "rotation into alts" and "+20.0%" in r.reason
    r = divergence_regime(altseason=0.5, dominance_change_pp=2.0, smallcap_vs_btc=-0.1)
    assert r.label == "bitcoin-led"
    r = divergence_regime(altseason=0.5, breadth_50=0.1, breadth_200=0.2)
    assert r.label == "broad risk-off"
    assert divergence_regime(altseason=np.nan).label == "mixed"


# ------------------------------------------------------------------ real data
def _read_binance(folder: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for f in sorted(folder.glob("*USDT.csv")):
        raw = pd.read_csv(f, usecols=["open_time", "close", "quote_asset_volume"])
        raw["date"] = pd.to_datetime(raw["open_time"].str[:10])
        out[f.name.removesuffix("USDT.csv")] = raw.set_index("date")
    return out


def _read_cmc(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    raw["date"] = pd.to_datetime(raw["snapshot_date"].astype(str), format="%Y%m%d")
    raw["Symbol"] = raw["Symbol"].astype(str).str.upper()
    # re-used tickers: keep the largest coin per symbol and snapshot
    raw = raw.sort_values("Market Cap", ascending=False).drop_duplicates(["date", "Symbol"])
    return raw


@pytest.fixture(scope="module")
def real_store(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    binance = _read_binance(real_data / BINANCE)
    cmc = _read_cmc(real_data / CMC)
    caps = cmc.pivot(index="date", columns="Symbol", values="Market Cap")
    rows = []
    for sym, f in binance.items():
        frame = pd.DataFrame(
            {
                "asset_id": sym,
                "date": f.index,
                "close": f["close"].to_numpy(),
                "volume_usd": f["quote_asset_volume"].to_numpy(),
            }
        )
        if sym in caps.columns:
            frame["market_cap_usd"] = caps[sym].reindex(f.index).to_numpy()
        rows.append(frame)
    prices = pd.concat(rows, ignore_index=True)
    cats = pd.read_csv(real_data / CATEGORIES).dropna(subset=["symbol"])
    cats = cats.drop_duplicates("symbol")
    sector = cats.set_index("symbol")["category"].map(CATEGORY_SECTOR)
    assets = pd.DataFrame({"asset_id": sorted(binance)})
    assets["symbol"] = assets["asset_id"]
    assets["sector"] = assets["asset_id"].map(sector)
    assets["is_stablecoin"] = assets["sector"].eq("stablecoin")
    path = tmp_path_factory.mktemp("real") / "store.duckdb"
    with Store(path) as store:
        store.ingest(dataset="binance", source="file:binance", tables={"prices": prices})
        store.ingest(dataset="categories", source="file:categories", tables={"assets": assets})
    return path


@pytest.fixture(scope="module")
def analysis(real_store: Path) -> DivergenceAnalysis:
    with Store(real_store, read_only=True) as store:
        # sectors only from the store's assets table (no shipped-map fill-in)
        empty_map = pd.DataFrame(columns=["name", "sector", "subsector"])
        return DivergenceAnalysis.from_store(
            store, asof="2025-10-01", window=90, sector_map=empty_map
        )


@pytest.mark.real_data
def test_real_calendar_years_and_drawdown_match_raw_files(
    analysis: DivergenceAnalysis, real_data: Path
) -> None:
    perf = analysis.performance()
    for sym in ("BTC", "ETH"):
        raw = pd.read_csv(real_data / BINANCE / f"{sym}USDT.csv", usecols=["open_time", "close"])
        s = pd.Series(raw["close"].to_numpy(), index=pd.to_datetime(raw["open_time"].str[:10]))
        s = s[:"2025-10-01"]
        year_end = s[s.index.strftime("%m-%d") == "12-31"]
        yearly = year_end.pct_change().dropna()
        for ts, val in yearly.items():
            assert perf.loc[sym, str(ts.year)] == pytest.approx(val, rel=1e-12)
        assert perf.loc[sym, "drawdown"] == pytest.approx(s.iloc[-1] / s.max() - 1, rel=1e-12)
        assert perf.loc[sym, "days_since_peak"] == (s.index[-1] - s.idxmax()).days
        ytd = s.iloc[-1] / s["2024-12-31"] - 1
        assert perf.loc[sym, "ytd"] == pytest.approx(ytd, rel=1e-12)
    # BTC's well-known 2024 year (+~120%) as a reality check of the dating
    assert 1.0 < perf.loc["BTC", "2024"] < 1.4


@pytest.mark.real_data
def test_real_sector_equal_weight_return_matches_raw_files(
    analysis: DivergenceAnalysis, real_data: Path
) -> None:
    cats = pd.read_csv(real_data / CATEGORIES).dropna(subset=["symbol"]).drop_duplicates("symbol")
    sector_of = cats.set_index("symbol")["category"].map(CATEGORY_SECTOR)
    levels = analysis.sector_levels
    start, end = pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-31")  # starts on a rebalance
    checked = 0
    for sector in ("smart_contract_l1", "defi", "culture"):
        members = []
        rets = []
        for sym in sector_of[sector_of == sector].index:
            f = real_data / BINANCE / f"{sym}USDT.csv"
            if not f.is_file() or sym in ("WBTC", "WBETH", "BNSOL", "PAXG"):
                continue
            raw = pd.read_csv(f, usecols=["open_time", "close"])
            s = pd.Series(raw["close"].to_numpy(), index=pd.to_datetime(raw["open_time"].str[:10]))
            if start in s.index:
                members.append(sym)
                rets.append(s[:end].iloc[-1] / s[start] - 1)
        if len(members) < 2:
            continue
        expected = float(np.mean(rets))
        got = levels[sector][end] / levels[sector][start] - 1
        assert got == pytest.approx(expected, rel=1e-10), sector
        checked += 1
    assert checked >= 2


@pytest.mark.real_data
def test_real_end_to_end_tables(analysis: DivergenceAnalysis) -> None:
    summary = analysis.summary()
    perf = summary["performance"]
    assert {"BTC", "ETH", "market_cap_weighted"} <= set(perf.index)
    assert any(i.startswith("sector:") for i in perf.index)
    assert any(i.startswith("tier:") for i in perf.index)
    rs = summary["relative_strength"]
    assert {"ratio_vs_BTC", "change_vs_BTC", "z_vs_ETH"} <= set(rs.columns)
    snap = summary["snapshot"]
    alt = snap.loc["altseason index", "value"]
    assert 0.0 <= alt <= 1.0
    dom = snap.loc["BTC dominance", "value"]
    assert 0.3 < dom < 1.0  # BTC among the Binance top-50 with CMC caps
    assert summary["regime"].label
    assert summary["regime"].reason
    # excluded tokens never enter the universe
    assert "WBTC" not in analysis.movers(n=50)["asset"].tolist()
    corr = analysis.correlation()
    last = corr.dropna(subset=["level"]).iloc[-1]
    assert -1 <= last["level"] <= 1 and isinstance(last["regime"], str)
    assert not analysis.is_demo and DEMO_LABEL not in analysis.label


# ------------------------------------------------------------------------ CLI
def _demo_rows(n_days: int = 420, n_assets: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(4)
    idx = pd.date_range("2023-01-01", periods=n_days, freq="D")
    names = [
        "BTC",
        "ETH",
        "SOL",
        "LINK",
        "UNI",
        "PEPE",
        "ARB",
        "FET",
        "ONDO",
        "AAVE",
        "DOGE",
        "USDT",
    ][:n_assets]
    rows = []
    for j, a in enumerate(names):
        px = 1.0 if a == "USDT" else 10.0 * np.exp(np.cumsum(rng.normal(0, 0.03, n_days)))
        rows.append(
            pd.DataFrame(
                {
                    "asset_id": a,
                    "date": idx,
                    "close": px,
                    "market_cap_usd": px * 10 ** (12 - j * 0.3),
                    "volume_usd": 1e6,
                }
            )
        )
    assets = pd.DataFrame(
        {"asset_id": names, "symbol": names, "is_stablecoin": [a == "USDT" for a in names]}
    )
    return pd.concat(rows, ignore_index=True), assets


def test_cli_divergence_prints_tables_with_demo_label(home: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from altseason.cli import _register  # noqa: F401
    from altseason.cli._app import app
    from altseason.config import load_settings

    prices, assets = _demo_rows()
    with Store(load_settings().store_path) as store:
        store.ingest(dataset="demo", source="demo", tables={"prices": prices, "assets": assets})
    out = tmp_path / "div.csv"
    result = CliRunner().invoke(
        app,
        ["divergence", "--asof", "2024-01-31", "--window", "60", "--export", str(out)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    text = result.output
    for title in (
        "Performance",
        "Relative strength",
        "Altseason index",
        "Regime:",
        "breadth above 50d",
        "BTC dominance",
        "sector spread",
    ):
        assert title in text
    assert DEMO_LABEL in text
    perf = pd.read_csv(tmp_path / "div_performance.csv", index_col=0)
    assert set(perf["data_label"]) == {DEMO_LABEL}
    raw = prices[prices.asset_id == "BTC"].set_index("date")["close"]
    assert perf.loc["BTC", "30d"] == pytest.approx(raw["2024-01-31"] / raw["2024-01-01"] - 1)


def test_from_store_without_prices_raises(store: Store) -> None:
    from altseason.exceptions import DataUnavailableError

    with pytest.raises(DataUnavailableError, match="no prices"):
        DivergenceAnalysis.from_store(store)
