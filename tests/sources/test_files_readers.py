"""Each built-in file reader on the real files, checked against plain pandas / json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from altseason.sources.files import detect_format, read_file

pytestmark = pytest.mark.real_data


def _read(path: Path, **kw: object) -> tuple[str, dict[str, pd.DataFrame], list[str]]:
    reader, res = read_file(path, on_error=kw.pop("on_error", "fail"), **kw)  # type: ignore[arg-type]
    return reader.name, res.tables, res.notes


def _one(frame: pd.DataFrame, **eq: object) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for k, v in eq.items():
        mask &= (frame[k] == v).to_numpy()
    sub = frame[mask]
    assert len(sub) == 1, (eq, len(sub))
    return sub.iloc[0]


def test_binance_klines(real_data: Path) -> None:
    path = real_data / "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv"
    name, tables, _ = _read(path)
    assert name == "binance_klines"
    raw = pd.read_csv(path)
    row = raw[raw["open_time"].str.startswith("2024-03-14")].iloc[0]
    got = _one(tables["prices"], date=pd.Timestamp("2024-03-14"))
    assert got["asset_id"] == "BTC"
    assert got["close"] == pytest.approx(row["close"])
    assert got["volume_usd"] == pytest.approx(row["quote_asset_volume"])
    assert len(tables["prices"]) == len(raw)


def test_binance_klines_duplicated_open_time_column(real_data: Path) -> None:
    path = real_data / "prices/djienne__Hurst_Crypto/data/ADAUSDT.csv"
    assert "open_time.1" in pd.read_csv(path).columns
    name, tables, notes = _read(path)
    assert name == "binance_klines"
    assert any("repeated open_time" in n for n in notes)
    assert tables["prices"]["asset_id"].unique().tolist() == ["ADA"]


def test_btctree_ohlcv(real_data: Path) -> None:
    """btc_daily.csv names no pair and both volume readings fit its data: the unit is
    asked for (never assumed); with --volume-unit base it imports."""
    from altseason.exceptions import FormatError
    from altseason.sources.files import ReadOptions

    path = real_data / "prices/btctree__btc-power/data/btc_daily.csv"
    with pytest.raises(FormatError, match="--volume-unit"):
        _read(path)
    name, tables, _ = _read(path, options=ReadOptions(volume_unit="base"))
    assert name == "ohlcv_daily"
    raw = pd.read_csv(path).set_index("date")
    got = _one(tables["prices"], date=pd.Timestamp("2025-10-06"))
    assert got["asset_id"] == "BTC"
    assert got["close"] == pytest.approx(raw.loc["2025-10-06", "close"])
    alt = real_data / "prices/btctree__btc-power/data/alt/SOLUSDT.csv"
    assert _read(alt)[1]["prices"]["asset_id"].unique().tolist() == ["SOL"]


def test_bybit_partial_day_and_duplicates(real_data: Path) -> None:
    path = real_data / "prices/jumpotsa__Bybit_Cross_Momentum/data/BTCUSDT.csv"
    name, tables, notes = _read(path)
    assert name == "bybit_klines"
    raw = pd.read_csv(path)
    prices = tables["prices"]
    assert prices["date"].max() == pd.Timestamp(raw["date"].max()) - pd.Timedelta(days=1)
    assert not prices.duplicated(["asset_id", "date"]).any()
    assert len(prices) == raw["date"].nunique() - 1
    assert any("partial last day" in n for n in notes)
    assert any("identical duplicate" in n for n in notes)
    got = _one(prices, date=pd.Timestamp("2023-02-18"))
    assert got["close"] == pytest.approx(raw.loc[raw["date"] == "2023-02-18", "close"].iloc[0])


def test_bybit_multiplier_contract(real_data: Path) -> None:
    path = real_data / "prices/jumpotsa__Bybit_Cross_Momentum/data/1000PEPEUSDT.csv"
    _, tables, _ = _read(path)
    raw = pd.read_csv(path)
    first = raw.iloc[0]
    got = _one(tables["prices"], date=pd.Timestamp(first["date"]))
    assert got["asset_id"] == "PEPE"
    assert got["close"] == pytest.approx(first["close"] / 1000)


def test_coinbase_ohlcv(real_data: Path) -> None:
    path = (
        real_data / "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
        "coinbase_top200_daily_20200101_to_present_20251025_171425.csv"
    )
    name, tables, _ = _read(path)
    assert name == "coinbase_ohlcv"
    raw = pd.read_csv(path)
    r = raw[(raw["base"] == "ETH") & (raw["date"] == "2021-05-12")].iloc[0]
    got = _one(tables["prices"], asset_id="ETH", date=pd.Timestamp("2021-05-12"))
    assert got["close"] == pytest.approx(r["close"])
    assert got["volume_usd"] == pytest.approx(r["volume"] * r["close"])


def test_cmc_snapshots_disambiguate_reused_tickers(real_data: Path) -> None:
    path = (
        real_data / "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
        "coinmarketcap_monthly_all_snapshots.csv"
    )
    # the file has a few zero prices (dead coins): reject mode keeps the rest
    name, tables, _ = _read(path, on_error="reject")
    assert name == "cmc_snapshots"
    raw = pd.read_csv(path)
    # independent rule: per symbol, the name at the latest snapshot (best rank) keeps the symbol
    raw["Symbol"] = raw["Symbol"].str.upper()
    owner = (
        raw.sort_values(["Symbol", "snapshot_date", "Rank"], ascending=[True, False, True])
        .drop_duplicates("Symbol")
        .set_index("Symbol")["Name"]
    )
    reused = raw.groupby("Symbol")["Name"].nunique()
    sym = reused[reused > 1].index[0]
    assets = tables["assets"]
    ids = assets[assets["symbol"] == sym]
    assert (ids["asset_id"] == sym).sum() == 1
    assert ids.loc[ids["asset_id"] == sym, "name"].iloc[0] == owner[sym]
    assert ids["asset_id"].str.startswith(f"{sym}-").sum() == reused[sym] - 1
    btc = raw[(raw["Symbol"] == "BTC") & (raw["snapshot_date"] == 20240101)].iloc[0]
    got = _one(tables["prices"], asset_id="BTC", date=pd.Timestamp("2024-01-01"))
    assert got["market_cap_usd"] == pytest.approx(btc["Market Cap"])
    assert got["close"] == pytest.approx(btc["Price"])


def test_coingecko_price_json(real_data: Path) -> None:
    path = real_data / "etf_flows/kittycapital__btc-etf-dashboard/data/eth_price.json"
    name, tables, _ = _read(path)
    assert name == "coingecko_prices_json"
    doc = json.loads(path.read_text())
    got = _one(tables["prices"], date=pd.Timestamp("2025-01-15"))
    assert got["asset_id"] == "ETH"
    assert got["close"] == pytest.approx(doc["prices"]["2025-01-15"])


def test_farside_wide_weekend_zeros_and_usd(real_data: Path) -> None:
    path = (
        real_data / "etf_flows/ciyberpunk__farside-etf/docs/Data/bitcoin_etf_flows_wide_daily.csv"
    )
    name, tables, notes = _read(path)
    assert name == "farside_wide"
    flows = tables["etf_flows"]
    raw = pd.read_csv(path).set_index("date")
    got = _one(flows, date=pd.Timestamp("2024-03-12"), fund="IBIT")
    assert got["flow_usd"] == pytest.approx(raw.loc["2024-03-12", "IBIT"] * 1e6)
    assert got["underlying"] == "BTC"
    total = _one(flows, date=pd.Timestamp("2024-03-12"), fund="TOTAL-BTC")
    assert total["flow_usd"] == pytest.approx(raw.loc["2024-03-12", "Total"] * 1e6)
    # no weekend rows survive, and the 2025-09-03 zero placeholder is gone
    assert (flows["date"].dt.day_of_week < 5).all()
    assert pd.Timestamp("2025-09-03") not in set(flows["date"])
    assert any("all-zero" in n for n in notes)


def test_farside_long_matches_wide(real_data: Path) -> None:
    base = real_data / "etf_flows/ciyberpunk__farside-etf/docs/Data"
    _, long_t, _ = _read(base / "bitcoin_etf_flows_long_daily.csv")
    _, wide_t, _ = _read(base / "bitcoin_etf_flows_wide_daily.csv")
    wide = wide_t["etf_flows"]
    wide = wide[~wide["fund"].str.startswith("TOTAL-")]
    a = long_t["etf_flows"].set_index(["date", "fund"])["flow_usd"].sort_index()
    b = wide.set_index(["date", "fund"])["flow_usd"].sort_index()
    pd.testing.assert_series_equal(a, b, check_names=False, check_index_type=False)


def test_farside_totals(real_data: Path) -> None:
    path = real_data / "etf_flows/ciyberpunk__farside-etf/Data/ethereum_etf_totals_daily.csv"
    name, tables, _ = _read(path)
    assert name == "farside_totals"
    raw = pd.read_csv(path).set_index("date")
    got = _one(tables["etf_flows"], date=pd.Timestamp("2024-07-23"))
    assert got["fund"] == "TOTAL-ETH"
    assert got["flow_usd"] == pytest.approx(raw.loc["2024-07-23", "total_usd_millions"] * 1e6)


def test_dmy_totals_footer_thousands(real_data: Path) -> None:
    path = real_data / "etf_flows/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv"
    name, tables, notes = _read(path)
    assert name == "farside_totals_dmy"
    flows = tables["etf_flows"]
    got = _one(flows, date=pd.Timestamp("2025-10-06"))
    assert got["flow_usd"] == pytest.approx(1205.20e6)
    assert flows["date"].notna().all()
    assert pd.Timestamp("2026-01-02") not in set(flows["date"])  # 0 placeholder
    assert any("footer" in n for n in notes)
    raw = pd.read_csv(path, thousands=",")
    data = raw[~raw["Date"].isin(["Total", "Average", "Maximum", "Minimum"])]
    nonzero = data[data["Total"] != 0]
    assert flows["flow_usd"].sum() == pytest.approx(nonzero["Total"].sum() * 1e6)


def test_etf_json_by_fund(real_data: Path) -> None:
    path = real_data / "etf_flows/kittycapital__btc-etf-dashboard/data/etf_flows.json"
    name, tables, _ = _read(path)
    assert name == "etf_flows_json"
    doc = json.loads(path.read_text())
    day = next(d for d in doc["daily_flows"] if d["date"] == "2025-03-03")
    flows = tables["etf_flows"]
    got = _one(flows, date=pd.Timestamp("2025-03-03"), fund="FBTC")
    assert got["flow_usd"] == pytest.approx(day["flows"]["FBTC"] * 1e6)
    assert got["underlying"] == "BTC"
    assert _one(flows, date=pd.Timestamp("2025-03-03"), fund="TOTAL-BTC")["flow_usd"] == (
        pytest.approx(day["total"] * 1e6)
    )
    sol = real_data / "etf_flows/kittycapital__btc-etf-dashboard/data/sol_etf_flows.json"
    assert set(_read(sol)[1]["etf_flows"]["underlying"]) == {"SOL"}


def test_deribit_heston_oi_and_iv(real_data: Path) -> None:
    path = (
        real_data / "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options.csv"
    )
    name, tables, notes = _read(path)
    assert name == "deribit_heston"
    raw = pd.read_csv(path)
    opts = tables["options"]
    assert len(opts) == len(raw)
    r = raw[raw["open_interest"] > 0].iloc[0]
    got = _one(opts, instrument=r["instrument_name"])
    assert got["open_interest"] == pytest.approx(r["open_interest"])
    assert got["mark_iv"] == pytest.approx(r["mark_iv"] / 100)
    assert got["kind"] == r["type"][0].upper()
    assert opts["open_interest"].sum() == pytest.approx(raw["open_interest"].sum())
    assert opts["expiry"].dt.hour.eq(8).all()
    assert opts["snapshot_ts"].nunique() == 1
    snap = _read(path, options=_opts(snapshot_ts=pd.Timestamp("2025-12-04 23:10")))[1]
    assert snap["options"]["snapshot_ts"].iloc[0] == pd.Timestamp("2025-12-04 23:10")
    assert any("snapshot_ts" in n for n in notes)


def test_deribit_heston_snapshot_rule_is_act365_to_0800(real_data: Path) -> None:
    """T_years is ACT/365 to the 08:00 UTC expiry: every expiry gives the same snapshot."""
    path = (
        real_data / "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options.csv"
    )
    _, tables, _ = _read(path)
    snap = tables["options"]["snapshot_ts"].iloc[0]
    assert snap == pd.Timestamp("2025-12-05 01:10")
    assert snap < pd.Timestamp("2025-12-05 01:15")  # the file's commit time (20:15 -0500)
    raw = pd.read_csv(path)
    expiry = pd.to_datetime(raw["expiry_date"], format="%d%b%y") + pd.Timedelta(hours=8)
    for days, spread_ok in ((365.0, True), (365.25, False)):
        per = (expiry - pd.to_timedelta(raw["T_years"] * days, unit="D")).groupby(expiry).median()
        # T has 5 decimals: 0.00001 y = 5.3 min, so per-expiry estimates agree within ~6 min
        assert ((per.max() - per.min()) <= pd.Timedelta(minutes=6)) is spread_ok, days
    assert abs(per.min() - snap) > pd.Timedelta(hours=4)  # 365.25 drifts far for long T


def _opts(**kw: object) -> object:
    from altseason.sources.files import ReadOptions

    return ReadOptions(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rel", "fmt", "underlying", "has_oi"),
    [
        ("options/tessicin__volatility/deribit_options.csv", "deribit_instruments", "BTC", True),
        (
            "options/jiaxiang-cheng__definer/data/deribit_options.csv",
            "deribit_summary",
            "ETH",
            True,
        ),
        (
            "options/sol-dnn__HestonCryptoPricing/data/eth_options.csv",
            "deribit_quotes",
            "ETH",
            False,
        ),
    ],
)
def test_other_deribit_layouts(
    real_data: Path, rel: str, fmt: str, underlying: str, has_oi: bool
) -> None:
    path = real_data / rel
    name, tables, _ = _read(path)
    assert name == fmt
    opts = tables["options"]
    raw = pd.read_csv(path)
    assert len(opts) == len(raw)
    assert set(opts["underlying"]) == {underlying}
    assert set(opts["kind"]) == {"C", "P"}
    if has_oi:
        assert opts["open_interest"].sum() == pytest.approx(raw["open_interest"].sum())
    else:
        assert opts["open_interest"].isna().all()
    if "mark_iv" in raw:
        assert opts["mark_iv"].max() == pytest.approx(raw["mark_iv"].max() / 100)


def test_fear_greed(real_data: Path) -> None:
    path = real_data / "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv"
    name, tables, _ = _read(path)
    assert name == "fear_greed"
    raw = pd.read_csv(path).set_index("date")
    got = _one(tables["sentiment"], date=pd.Timestamp("2022-06-18"))
    assert got["value"] == raw.loc["2022-06-18", "value"]
    assert got["label"] == raw.loc["2022-06-18", "classification"]
    assert got["index_id"] == "fear_greed"


def test_fred_blank_values_skipped(real_data: Path) -> None:
    path = real_data / "macro/sivamsapingali__Codex_Macro-Monitor/data/CPIAUCSL.csv"
    name, tables, notes = _read(path)
    assert name == "fred_series"
    raw = pd.read_csv(path)
    macro = tables["macro"]
    assert len(macro) == raw["value"].notna().sum()
    assert pd.Timestamp("2025-10-01") not in set(macro["date"])
    assert any("skipped 1 blank" in n for n in notes)
    got = _one(macro, date=pd.Timestamp("2025-09-01"))
    assert got["series_id"] == "CPIAUCSL"
    assert got["value"] == pytest.approx(raw.set_index("date").loc["2025-09-01", "value"])


def test_yahoo_gold_and_etf(real_data: Path) -> None:
    gold = real_data / "macro/YoussefKh200__Slow-Turtle-Research/data/GC=F.csv"
    name, tables, _ = _read(gold)
    assert name == "yahoo_daily"
    raw = pd.read_csv(gold).set_index("Date")
    got = _one(tables["macro"], date=pd.Timestamp("2024-05-01"))
    assert got["series_id"] == "GOLD"
    assert got["value"] == pytest.approx(raw.loc["2024-05-01", "Close"])
    spy = real_data / "macro/btctree__btc-power/data/global/SPY.csv"
    name, tables, _ = _read(spy)
    assert name == "yahoo_daily"
    assert tables["macro"]["series_id"].unique().tolist() == ["SPY"]


def test_cryptoquant_descending(real_data: Path) -> None:
    path = real_data / "onchain/hhysteric__btc-cycle-dashboard/data/realized_price.csv"
    name, tables, _ = _read(path)
    assert name == "cryptoquant"
    raw = pd.read_csv(path)
    got = _one(tables["onchain"], date=pd.Timestamp("2025-10-06"))
    assert got["metric"] == "realized_price_usd"
    want = raw.loc[raw["Datetime"].str.startswith("2025-10-06"), "Realized Price"].iloc[0]
    assert got["value"] == pytest.approx(want)


def test_coinmetrics_realized_cap(real_data: Path) -> None:
    path = real_data / "onchain/btctree__btc-power/data/onchain.csv"
    name, tables, _ = _read(path)
    assert name == "coinmetrics_daily"
    raw = pd.read_csv(path).set_index("date")
    on = tables["onchain"]
    day = pd.Timestamp("2025-10-06")
    rc = _one(on, date=day, metric="realized_cap_usd")["value"]
    assert rc == pytest.approx(raw.loc["2025-10-06", "market_cap"] / raw.loc["2025-10-06", "mvrv"])
    rp = _one(on, date=day, metric="realized_price_usd")["value"]
    assert rp == pytest.approx(
        raw.loc["2025-10-06", "price"] / raw.loc["2025-10-06", "mvrv"], rel=1e-3
    )
    last = on[on["date"] == on["date"].max()]
    assert set(last["metric"]) == {"price_usd"}  # the last row has only a price


def test_funding_files(real_data: Path) -> None:
    daily = real_data / "derivatives/btctree__btc-power/data/funding.csv"
    name, tables, _ = _read(daily)
    assert name == "funding_daily"
    raw = pd.read_csv(daily).set_index("date")
    got = _one(tables["funding"], ts=pd.Timestamp("2024-03-01"))
    assert got["rate"] == pytest.approx(raw.loc["2024-03-01", "funding_rate"])
    assert got["interval_hours"] == 24
    base = real_data / "derivatives/smoothbrainquant__trading-for-new-dads/data/raw"
    fr = base / "historical_funding_rates_top100_20251025_124832.csv"
    name, tables, _ = _read(fr)
    assert name == "coinalyze_funding"
    raw = pd.read_csv(fr)
    r = raw[raw["coin_symbol"] == "ETH"].iloc[5]
    got = _one(tables["funding"], instrument=r["symbol"], ts=pd.Timestamp(r["date"]))
    assert got["rate"] == pytest.approx(r["funding_rate"] / 100)
    oi = base / "historical_open_interest_top100_since2020_20251026_113816.csv"
    name, tables, _ = _read(oi)
    assert name == "coinalyze_oi"
    raw = pd.read_csv(oi)
    r = raw.iloc[100]
    got = _one(tables["funding"], instrument=r["symbol"], ts=pd.Timestamp(r["date"]))
    assert got["open_interest_usd"] == pytest.approx(r["oi_close"])
    assert pd.isna(got["rate"])


def test_coingecko_bundle_sectors(real_data: Path) -> None:
    import zstandard

    path = (
        real_data / "sectors/PyPI__trading-strategy-0.28/tradingstrategy/data_bundles/"
        "coingecko.json.zstd"
    )
    name, tables, _ = _read(path)
    assert name == "coingecko_bundle"
    assets = tables["assets"].set_index("asset_id")
    expected = {
        "BTC": "currency",
        "ETH": "smart_contract_l1",
        "USDT": "stablecoin",
        "DOGE": "culture",
        "LINK": "infrastructure",
        "UNI": "defi",
        "ARB": "l2_scaling",
        "FET": "ai",
        "ONDO": "rwa",
        "BNB": "exchange",
    }
    for asset, sector in expected.items():
        assert assets.loc[asset, "sector"] == sector, asset
    assert bool(assets.loc["USDT", "is_stablecoin"])
    from altseason.universe import SECTORS

    assert set(assets["sector"].dropna()) <= set(SECTORS)
    with path.open("rb") as fh:
        doc = json.loads(zstandard.ZstdDecompressor().stream_reader(fh).read())
    assert len(assets) == len(doc)
    btc = next(c for c in doc if c["id"]["id"] == "bitcoin")
    got = _one(tables["prices"], asset_id="BTC")
    assert got["market_cap_usd"] == pytest.approx(btc["market_cap"]["market_cap"])


def test_category_map_blank_lines(real_data: Path) -> None:
    path = (
        real_data / "sectors/smoothbrainquant__trading-for-new-dads/data/raw/custom_categories.csv"
    )
    assert "\n\n" in path.read_text()
    name, tables, _ = _read(path)
    assert name == "category_map"
    assets = tables["assets"].set_index("asset_id")
    raw = pd.read_csv(path).dropna(how="all")
    assert len(assets) == raw["symbol"].nunique()
    assert assets.loc["DOGE", "sector"] == "culture"
    assert assets.loc["USDT", "sector"] == "stablecoin"
    assert assets.loc["AAVE", "sector"] == "defi"  # primary beats the ETH-ecosystem secondary


def test_every_real_family_is_detected(real_data: Path) -> None:
    """Each data file the brief lists is recognised by exactly one built-in rule."""
    expect = {
        "prices/djienne__Hurst_Crypto/data/ETHUSDT.csv": "binance_klines",
        "prices/btctree__btc-power/data/alt/XRPUSDT.csv": "ohlcv_daily",
        "prices/jumpotsa__Bybit_Cross_Momentum/data/ETHUSDT.csv": "bybit_klines",
        "macro/btctree__btc-power/data/global/GLD.csv": "yahoo_daily",
        "macro/YoussefKh200__Slow-Turtle-Research/data/SI=F.csv": "yahoo_daily",
        "macro/sivamsapingali__Codex_Macro-Monitor/data/SP500.csv": "fred_series",
        "etf_flows/ciyberpunk__farside-etf/Data/ethereum_etf_flows_long_daily.csv": "farside_long",
        "onchain/hhysteric__btc-cycle-dashboard/data/mvrv.csv": "cryptoquant",
        "options/sol-dnn__HestonCryptoPricing/data/btc_options.csv": "deribit_quotes",
        "sectors/smoothbrainquant__trading-for-new-dads/data/raw/category_mappings_validated.csv": (
            "category_map"
        ),
    }
    for rel, fmt in expect.items():
        reader = detect_format(real_data / rel)
        assert reader is not None and reader.name == fmt, rel


def test_coingecko_bundle_uses_the_universe_mapping(tmp_path: Path) -> None:
    """Bundle sectors equal sector_from_coingecko_categories on each coin's categories."""
    from altseason.universe import sector_from_coingecko_categories

    cats = {
        "near": ["Artificial Intelligence (AI)", "Smart Contract Platform", "Layer 1 (L1)"],
        "uniswap": ["Decentralized Exchange (DEX)", "Exchange-based Tokens"],
        "ethena": ["Decentralized Finance (DeFi)", "Stablecoin Protocol"],
        "wrapped-bitcoin": ["Wrapped-Tokens"],
    }
    doc = [
        {
            "id": {"id": cid, "symbol": cid[:4], "name": cid},
            "market_cap": {"current_price": 1.0, "market_cap": 1e9 - i, "total_volume": 1.0},
            "metadata": {"categories": c},
        }
        for i, (cid, c) in enumerate(cats.items())
    ]
    path = tmp_path / "coingecko.json"
    path.write_text(json.dumps(doc, separators=(",", ":")))
    name, tables, _ = _read(path)
    assert name == "coingecko_bundle"
    got = tables["assets"].set_index("name")
    for cid, c in cats.items():
        want = sector_from_coingecko_categories(c) or (None, None)
        have = (got.loc[cid, "sector"], got.loc[cid, "subsector"])
        assert tuple(None if pd.isna(v) else v for v in have) == want, cid
    assert got.loc["near", "sector"] == "smart_contract_l1"  # was "ai" with the reader's own rules
