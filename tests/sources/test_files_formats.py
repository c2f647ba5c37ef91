"""Real-world export layouts, each on a realistic sample written in that layout.

Samples are generated here (small, deterministic) in the exact shape the
sites export: Yahoo Finance daily CSVs, CoinMarketCap's "Download" of
historical data (``;``, BOM, quoted ISO timestamps, newest first), Farside
totals tables, CoinGecko / CoinMarketCap top-N snapshots. Expected values are
computed independently with plain pandas from the same numbers.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.exceptions import FormatError
from altseason.sources.files import ReadOptions, import_file, read_file
from altseason.sources.files._base import date_from_name, sniff_delimiter
from altseason.sources.files._prices import (
    MAX_DAILY_VOLUME_USD,
    decide_volume_unit,
)
from altseason.store import Store


def _read(path: Path, **opts: object) -> tuple[str, dict[str, pd.DataFrame], list[str]]:
    reader, res = read_file(path, options=ReadOptions(**opts))  # type: ignore[arg-type]
    return reader.name, res.tables, res.notes


def _market(
    n: int, start: str = "2025-01-01", price: float = 95_000.0, seed: int = 1
) -> pd.DataFrame:
    """A daily BTC-like market: OHLC around ``price``, USD volume ~3e10, base volume."""
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.r_[price, close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n))
    usd = rng.uniform(2e10, 6e10, n)
    return pd.DataFrame(
        {
            "date": pd.date_range(start, periods=n, freq="D"),
            "open": open_.round(2),
            "high": high.round(2),
            "low": low.round(2),
            "close": close.round(2),
            "usd_volume": usd.round(0),
            "base_volume": (usd / close).round(4),
            "market_cap": (close * 19.8e6).round(2),
        }
    )


# ---------------------------------------------------------------------- Yahoo
def _yahoo_csv(m: pd.DataFrame, columns: list[str], newest_first: bool = False) -> str:
    frame = pd.DataFrame(
        {
            "Date": m["date"].dt.strftime("%Y-%m-%d"),
            "Open": m["open"],
            "High": m["high"],
            "Low": m["low"],
            "Close": m["close"],
            "Adj Close": m["close"],
            "Volume": m["usd_volume"].astype("int64"),
        }
    )[columns]
    if newest_first:
        frame = frame.iloc[::-1]
    return frame.to_csv(index=False)


_YAHOO_LAYOUTS = [
    ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"],
    ["Date", "Open", "High", "Low", "Close", "Volume"],
    ["Date", "Close", "High", "Low", "Open", "Volume"],
    ["Volume", "Adj Close", "Close", "Low", "High", "Open", "Date"],
]


@pytest.mark.parametrize("columns", _YAHOO_LAYOUTS)
@pytest.mark.parametrize("newest_first", [False, True])
def test_yahoo_crypto_pair_any_column_order(
    tmp_path: Path, columns: list[str], newest_first: bool
) -> None:
    """Yahoo's BTC-USD download: capitalised headers, any order, with or without Adj Close,
    either row order; Volume is already USD and is stored as it is (not x close)."""
    m = _market(40)
    path = tmp_path / "BTC-USD.csv"
    path.write_text(_yahoo_csv(m, columns, newest_first))
    name, tables, notes = _read(path)
    assert name == "ohlcv_daily"
    got = tables["prices"]
    assert got["date"].is_monotonic_increasing
    assert got["asset_id"].unique().tolist() == ["BTC"]
    np.testing.assert_allclose(got["close"], m["close"])
    np.testing.assert_allclose(got["open"], m["open"])
    np.testing.assert_allclose(got["volume_usd"], m["usd_volume"])
    assert got["volume_usd"].max() < MAX_DAILY_VOLUME_USD
    assert any("quote units" in n for n in notes)
    assert not any("gap" in n for n in notes)


@pytest.mark.parametrize("columns", _YAHOO_LAYOUTS)
def test_yahoo_market_ticker_any_column_order(tmp_path: Path, columns: list[str]) -> None:
    """A market ticker (no weekend rows) in any column order is a macro series = Close."""
    m = _market(60)
    m = m[m["date"].dt.day_of_week < 5].reset_index(drop=True)
    path = tmp_path / "SPY.csv"
    path.write_text(_yahoo_csv(m, columns))
    name, tables, _ = _read(path)
    assert name == "yahoo_daily"
    got = tables["macro"]
    assert got["series_id"].unique().tolist() == ["SPY"]
    np.testing.assert_allclose(got["value"], m["close"])


# ---------------------------------------------------------------------- CoinMarketCap history
def _cmc_export(m: pd.DataFrame, *, currency_id: str = "2781", supply: bool = True) -> str:
    """CoinMarketCap's "Download" CSV: BOM, ';', quoted ISO timestamps, newest first."""
    cols = ["timeOpen", "timeClose", "timeHigh", "timeLow", "name", "open", "high", "low"]
    cols += ["close", "volume", "marketCap"] + (["circulatingSupply"] if supply else [])
    cols += ["timestamp"]
    lines = [";".join(cols)]
    for r in m.iloc[::-1].itertuples():
        day = r.date.strftime("%Y-%m-%d")
        vals = [
            f'"{day}T00:00:00.000Z"',
            f'"{day}T23:59:59.999Z"',
            f'"{day}T15:53:00.000Z"',
            f'"{day}T00:34:00.000Z"',
            f'"{currency_id}"',
            repr(r.open),
            repr(r.high),
            repr(r.low),
            repr(r.close),
            f"{r.usd_volume:.2f}",
            f"{r.market_cap:.2f}",
        ]
        if supply:
            vals.append("19800000")
        vals.append(f'"{day}T23:59:59.999Z"')
        lines.append(";".join(vals))
    return "\ufeff" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("supply", [True, False])
def test_cmc_historical_export(tmp_path: Path, supply: bool) -> None:
    m = _market(31)
    path = tmp_path / "Bitcoin_1_1_2025-1_31_2025_historical_data_coinmarketcap.csv"
    path.write_text(_cmc_export(m, supply=supply), encoding="utf-8")
    assert sniff_delimiter(path.read_text(encoding="utf-8-sig").splitlines()[0]) == ";"
    name, tables, notes = _read(path)
    assert name == "cmc_history"
    got = tables["prices"]
    assert got["asset_id"].unique().tolist() == ["BTC"]
    assert got["date"].tolist() == m["date"].tolist()  # oldest first, dated by timeOpen
    np.testing.assert_allclose(got["close"], m["close"])
    np.testing.assert_allclose(got["high"], m["high"])
    np.testing.assert_allclose(got["volume_usd"], m["usd_volume"], rtol=1e-12)
    np.testing.assert_allclose(got["market_cap_usd"], m["market_cap"], rtol=1e-12)
    assert any("newest-first" in n for n in notes)


def test_cmc_export_in_another_currency_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Bitcoin_historical_data_coinmarketcap.csv"
    path.write_text(_cmc_export(_market(5), currency_id="2790"), encoding="utf-8")
    with pytest.raises(FormatError, match="not USD"):
        read_file(path)


def test_cmc_export_unknown_coin_asks_for_asset(tmp_path: Path) -> None:
    path = tmp_path / "Some Token_1_1_2025-1_31_2025_historical_data_coinmarketcap.csv"
    path.write_text(_cmc_export(_market(5)), encoding="utf-8")
    with pytest.raises(FormatError, match="--asset"):
        read_file(path)
    _, tables, _ = _read(path, asset="TOK")
    assert tables["prices"]["asset_id"].unique().tolist() == ["TOK"]


# ---------------------------------------------------------------------- Farside totals
def _trading_days(start: str, n: int) -> pd.DatetimeIndex:
    days = pd.bdate_range(start, periods=n + 5)
    return days[~days.isin(pd.to_datetime(["2025-01-01", "2025-01-09", "2025-01-20"]))][:n]


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        ("Datetime,Total", "%Y-%m-%d %H:%M:%S"),
        ("Date,Total", "%Y-%m-%d"),
        ("date,total", "%Y-%m-%dT%H:%M:%SZ"),
        ("Date,Total", "%d %b %Y"),
    ],
)
def test_farside_totals_table_iso_newest_first(tmp_path: Path, header: str, fmt: str) -> None:
    """Farside totals with ISO dates or datetimes, newest first, thousands separators and
    footer rows: ETF flows (not on-chain), US$m -> USD, placeholders dropped."""
    days = _trading_days("2025-01-02", 12)
    flows = np.round(np.linspace(-480.5, 1205.2, len(days)), 1)
    rows = [f'{d.strftime(fmt)},"{v:,.1f}"' for d, v in zip(days, flows, strict=True)]
    rows.append(f"{(days[-1] + pd.Timedelta(days=1)).strftime(fmt)},0.0")  # unpublished day
    body = "\n".join(reversed(rows))
    footer = (
        f'\nTotal,"{flows.sum():,.1f}"\nAverage,{flows.mean():.1f}\nMaximum,1205.2\nMinimum,-480.5'
    )
    path = tmp_path / "btc_etf_flows.csv"
    path.write_text(f"{header}\n{body}{footer}\n")
    name, tables, notes = _read(path)
    assert name == "farside_totals_dmy"
    assert set(tables) == {"etf_flows"}
    got = tables["etf_flows"]
    assert got["fund"].unique().tolist() == ["TOTAL-BTC"]
    assert got["date"].tolist() == list(days)
    np.testing.assert_allclose(got["flow_usd"], flows * 1e6)
    assert any("footer" in n for n in notes)
    assert any("placeholder" in n for n in notes)


# ---------------------------------------------------------------------- top-N snapshots
def _cg_markets(n: int = 6, *, ts: str = "2025-11-03T02:05:14.262540") -> str:
    coins = [
        ("btc", "bitcoin", "Bitcoin", 109560.0, 2.18e12, 3.86e10),
        ("eth", "ethereum", "Ethereum", 3837.2, 4.63e11, 2.33e10),
        ("usdt", "tether", "Tether", 1.0, 1.83e11, 9.1e10),
        ("sol", "solana", "Solana", 186.4, 1.02e11, 5.2e9),
        ("eth", "bridged-ether", "Bridged Ether", 3830.1, 2.1e8, 1.1e6),
        ("uni", "uniswap", "Uniswap", 5.9, 3.7e9, 2.4e8),
    ][:n]
    head = (
        "symbol,id,name,current_price,market_cap,fully_diluted_valuation,total_volume,"
        "circulating_supply,total_supply,max_supply,price_change_percentage_24h,timestamp"
    )
    lines = [head] + [
        f"{s.upper()},{i},{nm},{p},{mc},{mc},{v},{mc / p:.1f},{mc / p:.1f},,-0.3,{ts}"
        for s, i, nm, p, mc, v in coins
    ]
    return "\n".join(lines) + "\n"


def test_coingecko_markets_date_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "coingecko_market_data_20251102.csv"
    path.write_text(_cg_markets())
    name, tables, notes = _read(path)
    assert name == "coingecko_markets"
    got = tables["prices"].set_index("asset_id")
    assert (got["date"] == pd.Timestamp("2025-11-02")).all()  # the name's day, not the stamp's
    assert got.loc["BTC", "close"] == 109560.0
    assert got.loc["BTC", "volume_usd"] == 3.86e10  # USD as documented, not x price
    assert got.loc["BTC", "market_cap_usd"] == 2.18e12
    # two coins share ETH: the larger market cap keeps the plain ticker
    assert got.loc["ETH", "close"] == 3837.2
    assert got.loc["ETH-bridged-ether", "close"] == 3830.1
    assets = tables["assets"].set_index("asset_id")
    assert bool(assets.loc["USDT", "is_stablecoin"]) and not bool(
        assets.loc["BTC", "is_stablecoin"]
    )
    assert any("from the file name" in n and "timestamp column says" in n for n in notes)


def test_coingecko_markets_without_date_in_name_uses_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "markets.csv"
    path.write_text(_cg_markets())
    _, tables, _ = _read(path)
    assert (tables["prices"]["date"] == pd.Timestamp("2025-11-03")).all()
    with pytest.raises(FormatError, match="holds no date"):
        read_file(path, options=ReadOptions(date_from_filename=True))


def test_cmc_listings_snapshot(tmp_path: Path) -> None:
    head = "symbol,name,cmc_rank,market_cap,price,volume_24h,percent_change_24h,timestamp"
    rows = [
        "BTC,Bitcoin,1,2187213391221.74,109669.56,37314043275.71,-0.24,2025-11-03T02:01:35.000330",
        "ETH,Ethereum,2,463145246071.20,3837.22,23320208196.50,-0.82,2025-11-03T02:01:35.000341",
    ]
    path = tmp_path / "crypto_marketcap_latest.csv"
    path.write_text("\n".join([head, *rows]) + "\n")
    name, tables, _ = _read(path)
    assert name == "cmc_listings"
    got = tables["prices"].set_index("asset_id")
    assert got.loc["ETH", "volume_usd"] == pytest.approx(23320208196.50)
    assert (got["date"] == pd.Timestamp("2025-11-03")).all()


def test_date_from_name_forms() -> None:
    assert date_from_name(Path("coingecko_market_data_20251103.csv")) == pd.Timestamp("2025-11-03")
    assert date_from_name(Path("snap-2025-11-03.csv")) == pd.Timestamp("2025-11-03")
    assert date_from_name(Path("funding_20251025_124832.csv")) == pd.Timestamp("2025-10-25")
    assert date_from_name(Path("prices.csv")) is None
    with pytest.raises(FormatError, match="several dates"):
        date_from_name(Path("daily_20200101_to_present_20251025.csv"))


def test_generic_snapshot_with_date_from_filename(tmp_path: Path) -> None:
    path = tmp_path / "closes_2025-03-04.csv"
    path.write_text("Asset_ID,Close,Market_Cap_USD\nBTC,88000.5,1.75e12\nETH,2100.25,2.5e11\n")
    name, tables, notes = _read(path, date_from_filename=True)
    assert name == "csv"
    got = tables["prices"].set_index("asset_id")
    assert (got["date"] == pd.Timestamp("2025-03-04")).all()
    assert got.loc["ETH", "close"] == 2100.25
    assert any("from the file name" in n for n in notes)


# ---------------------------------------------------------------------- parsing basics
@pytest.mark.parametrize(
    ("sep", "bom"), list(itertools.product([",", ";", "\t", "|"], [False, True]))
)
def test_separator_and_bom(tmp_path: Path, sep: str, bom: bool) -> None:
    """The same Binance klines in every separator, with and without a BOM, upper-case header."""
    m = _market(10)
    head = [
        "Open_Time",
        "Open",
        "High",
        "Low",
        "Close",
        "Volume",
        "Close_Time",
        "Quote_Asset_Volume",
    ]
    lines = [sep.join(head)]
    for r in m.itertuples():
        t0 = r.date.strftime("%Y-%m-%d %H:%M:%S")
        t1 = (r.date + pd.Timedelta(days=1, milliseconds=-1)).strftime("%Y-%m-%d %H:%M:%S.%f")
        vals = [t0, r.open, r.high, r.low, r.close, r.base_volume, t1, r.usd_volume]
        lines.append(sep.join(str(v) for v in vals))
    path = tmp_path / "BTCUSDT.csv"
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    name, tables, _ = _read(path)
    assert name == "binance_klines"
    np.testing.assert_allclose(tables["prices"]["close"], m["close"])
    np.testing.assert_allclose(tables["prices"]["volume_usd"], m["usd_volume"])


def test_headers_with_spaces_and_case(tmp_path: Path) -> None:
    path = tmp_path / "fng.csv"
    path.write_text(
        " Date , Value ,Classification \n2025-01-01,76,Extreme Greed\n2025-01-02,70,Greed\n"
    )
    name, tables, _ = _read(path)
    assert name == "fear_greed"
    assert tables["sentiment"]["value"].tolist() == [76.0, 70.0]


def test_newest_first_is_sorted_not_a_gap(tmp_path: Path, store: Store) -> None:
    """A newest-first file stores exactly what the oldest-first one does, with no gap notes."""
    m = _market(20)
    old = tmp_path / "a" / "ETHUSDT.csv"
    new = tmp_path / "b" / "ETHUSDT.csv"
    old.parent.mkdir()
    new.parent.mkdir()
    frame = m.assign(date=m["date"].dt.strftime("%Y-%m-%d"))[
        ["date", "open", "high", "low", "close", "base_volume"]
    ].rename(columns={"base_volume": "volume"})
    old.write_text(frame.to_csv(index=False))
    new.write_text(frame.iloc[::-1].to_csv(index=False))
    _, a, notes_a = _read(old)
    _, b, notes_b = _read(new)
    pd.testing.assert_frame_equal(a["prices"], b["prices"])
    assert not any("gap" in n for n in notes_a + notes_b)
    report = import_file(store, new)
    assert report.rows_written["prices"] == 20 and report.rows_rejected == 0


# ---------------------------------------------------------------------- volume units
def _series(x: list[float] | np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(x, dtype="float64"))


def test_volume_unit_from_the_data_bound(tmp_path: Path) -> None:
    m = _market(30)
    close = _series(m["close"])
    unit, why = decide_volume_unit(_series(m["usd_volume"]), close, path=tmp_path, column="v")
    assert unit == "quote" and "above" in why  # x close would be ~3e15 USD a day
    with pytest.raises(FormatError, match="--volume-unit quote"):
        decide_volume_unit(
            _series(m["usd_volume"]), close, path=tmp_path, column="v", declared="base"
        )


def test_volume_unit_from_market_cap(tmp_path: Path) -> None:
    """Both readings under 1e12 USD: the market cap settles which one is possible."""
    mcap = _series(np.full(20, 5e7))
    close = _series(np.full(20, 1000.0))
    usd = _series(np.full(20, 5e6))  # 10% turnover; as base units it would be 100x mcap
    unit, why = decide_volume_unit(usd, close, path=Path("x"), column="v", market_cap=mcap)
    assert unit == "quote" and "market cap" in why
    cheap = _series(np.full(20, 0.05))
    base = _series(np.full(20, 4e10))  # 4e10 tokens = 2e9 USD (40x); as USD 800x mcap
    unit, why = decide_volume_unit(base, cheap, path=Path("x"), column="v", market_cap=mcap)
    assert unit == "base" and "market cap" in why


def test_volume_unit_ambiguous_is_refused_with_the_fix(tmp_path: Path) -> None:
    m = _market(30)
    path = tmp_path / "mycoin.csv"
    frame = m.assign(date=m["date"].dt.strftime("%Y-%m-%d"))[
        ["date", "open", "high", "low", "close", "base_volume"]
    ].rename(columns={"base_volume": "volume"})
    path.write_text(frame.to_csv(index=False))
    with pytest.raises(FormatError, match="--volume-unit") as exc:
        read_file(path, options=ReadOptions(asset="BTC"))
    assert "mycoin.csv" in str(exc.value)
    _, tables, _ = _read(path, asset="BTC", volume_unit="base")
    np.testing.assert_allclose(tables["prices"]["volume_usd"], m["base_volume"] * m["close"])
    _, tables, _ = _read(path, asset="BTC", volume_unit="quote")
    np.testing.assert_allclose(tables["prices"]["volume_usd"], m["base_volume"])


@settings(max_examples=40, deadline=None)
@given(
    price=st.floats(1e-4, 2e5),
    usd=st.floats(1e4, 5e11),
    n=st.integers(3, 30),
)
def test_volume_unit_never_yields_an_impossible_volume(price: float, usd: float, n: int) -> None:
    """Whatever the decision, the USD volume it implies is within the daily bound, and a
    USD volume whose base reading is impossible is always read as USD."""
    close = _series(np.full(n, price))
    vol = _series(np.full(n, usd))
    try:
        unit, _ = decide_volume_unit(vol, close, path=Path("f.csv"), column="volume")
    except FormatError as exc:
        assert "--volume-unit" in str(exc)
        assert usd * price <= MAX_DAILY_VOLUME_USD  # refused only when both fit
        return
    implied = usd * price if unit == "base" else usd
    assert implied <= MAX_DAILY_VOLUME_USD
    if usd * price > MAX_DAILY_VOLUME_USD:
        assert unit == "quote"


# ---------------------------------------------------------------------- CLI
def test_cli_map_alone_and_date_from_filename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import altseason.cli._register  # noqa: F401  (registers the commands)
    from altseason.cli import app

    db = tmp_path / "store.duckdb"
    monkeypatch.setenv("ALTSEASON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ALTSEASON_STORE", str(db))
    wide = tmp_path / "closes.csv"
    wide.write_text("Day,BTC,ETH\n2025-01-01,94000.5,3350.1\n2025-01-02,96000.0,3450.7\n")
    res = CliRunner().invoke(app, ["import", str(wide), "--map", "Day=date", "--map", "*=close"])
    assert res.exit_code == 0, res.output
    assert "csv" in res.output and "4 row(s) written" in res.output
    snap = tmp_path / "top_20250105.csv"
    snap.write_text("asset_id,close\nBTC,98000\nETH,3600\n")
    res = CliRunner().invoke(app, ["import", str(snap), "--date-from-filename"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["import", str(snap), "--volume-unit", "shares"])
    assert res.exit_code != 0 and "--volume-unit" in str(res.exception)

    store = Store(db, read_only=True)
    try:
        got = store.read_table("prices").set_index(["asset_id", "date"])["close"]
    finally:
        store.close()
    assert got[("ETH", pd.Timestamp("2025-01-02"))] == 3450.7
    assert got[("BTC", pd.Timestamp("2025-01-05"))] == 98000.0


def test_fred_header_any_case(tmp_path: Path) -> None:
    path = tmp_path / "DGS10.csv"
    path.write_text("Observation_Date,Value\n2025-01-02,4.57\n2025-01-03,.\n2025-01-06,4.62\n")
    name, tables, notes = _read(path)
    assert name == "fred_series"
    got = tables["macro"]
    assert got["series_id"].unique().tolist() == ["DGS10"]
    assert got["value"].tolist() == [4.57, 4.62]
    assert any("blank" in n for n in notes)


_YAHOO_COLS = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]


@settings(max_examples=10, deadline=None)
@given(
    order=st.permutations(_YAHOO_COLS),
    adj=st.booleans(),
    case=st.lists(st.sampled_from(["lower", "upper", "title", "keep"]), min_size=7, max_size=7),
    pad=st.booleans(),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    bom=st.booleans(),
    newest_first=st.booleans(),
)
def test_yahoo_layout_never_changes_the_rows(
    order: list[str],
    adj: bool,
    case: list[str],
    pad: bool,
    sep: str,
    bom: bool,
    newest_first: bool,
) -> None:
    """Column order, header case and padding, separator, BOM and row order are layout:
    the stored rows are those of the canonical Yahoo file."""
    import tempfile

    m = _market(15, seed=3)
    cols = [c for c in order if adj or c != "Adj Close"]
    frame = pd.read_csv(io.StringIO(_yahoo_csv(m, cols, newest_first)))

    def spell(name: str, how: str) -> str:
        out = {"lower": name.lower(), "upper": name.upper(), "title": name.title()}.get(how, name)
        return f" {out} " if pad else out

    frame.columns = [spell(c, h) for c, h in zip(frame.columns, case, strict=False)]
    text = frame.to_csv(index=False, sep=sep)
    with tempfile.TemporaryDirectory() as d:
        canon = Path(d) / "a" / "BTC-USD.csv"
        variant = Path(d) / "b" / "BTC-USD.csv"
        canon.parent.mkdir()
        variant.parent.mkdir()
        canon.write_text(_yahoo_csv(m, _YAHOO_COLS))
        variant.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
        _, want, _ = _read(canon)
        name, got, _ = _read(variant)
    assert name == "ohlcv_daily"
    pd.testing.assert_frame_equal(got["prices"], want["prices"])


def test_semicolon_export_with_decimal_commas(tmp_path: Path) -> None:
    """A European-locale spreadsheet export: ';' separators and decimal commas."""
    m = _market(12)
    lines = ["Date;Open;High;Low;Close;Adj Close;Volume"]
    for r in m.itertuples():
        nums = [r.open, r.high, r.low, r.close, r.close]
        cells = [f"{v:.2f}".replace(".", ",") for v in nums] + [f"{int(r.usd_volume)}"]
        lines.append(";".join([r.date.strftime("%Y-%m-%d"), *cells]))
    path = tmp_path / "BTC-USD.csv"
    path.write_text("\n".join(lines) + "\n")
    name, tables, _ = _read(path)
    assert name == "ohlcv_daily"
    np.testing.assert_allclose(tables["prices"]["close"], m["close"].round(2))
    np.testing.assert_allclose(tables["prices"]["volume_usd"], m["usd_volume"])


def test_farside_wide_with_iso_datetimes_newest_first(tmp_path: Path) -> None:
    days = _trading_days("2025-01-02", 8)
    ibit = np.round(np.linspace(-120.5, 640.2, len(days)), 1)
    fbtc = np.round(np.linspace(35.0, -80.4, len(days)), 1)
    rows = [
        f'{d:%Y-%m-%d %H:%M:%S},{a},{b},"{a + b:,.1f}"'
        for d, a, b in zip(days, ibit, fbtc, strict=True)
    ]
    path = tmp_path / "bitcoin_etf_flows.csv"
    path.write_text("Datetime,IBIT,FBTC,Total\n" + "\n".join(reversed(rows)) + "\n")
    name, tables, _ = _read(path)
    assert name == "farside_wide"
    got = tables["etf_flows"].pivot(index="date", columns="fund", values="flow_usd")
    assert got.index.tolist() == list(days)
    np.testing.assert_allclose(got["IBIT"], ibit * 1e6)
    np.testing.assert_allclose(got["TOTAL-BTC"], (ibit + fbtc) * 1e6, atol=0.051e6)
