"""Volume units (issue 12c): the unit of a volume column is decided from evidence,
and asked for only when the evidence cannot settle it.

Evidence: a quote-volume column beside the volume (``quote / base`` is the day's
average price, inside low-high), the data's bounds, ``--volume-unit``, other
sources' volume for the same asset and days in the store, the documented format.
Checked on btctree's ``btc_daily.csv`` (Binance BTCUSDT daily whose name names no
pair) and on variants of it written to tmp_path.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.exceptions import FormatError
from altseason.sources.files import ReadOptions, import_file, read_file
from altseason.sources.files._prices import decide_volume_unit
from altseason.store import Store

BTC_DAILY = "prices/btctree__btc-power/data/btc_daily.csv"
BINANCE_BTC = "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv"


def _stored(store: Store, source_like: str) -> pd.DataFrame:
    frame = store.con.execute(
        "SELECT date, close, volume_usd FROM prices WHERE source LIKE ? ORDER BY date",
        [source_like],
    ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.set_index("date")


@pytest.mark.real_data
def test_btc_daily_alone_asks_with_both_readings(real_data: Path) -> None:
    """Alone, nothing settles btc_daily.csv's unit (a BTC market trading ~6 BTC a day in
    USD is as possible as one trading ~38,000 BTC): the error names the file, the column,
    a real day's numbers under both readings and both flags."""
    path = real_data / BTC_DAILY
    with pytest.raises(FormatError) as info:
        read_file(path)
    msg = str(info.value)
    assert str(path) in msg and "column 'volume'" in msg
    assert "--volume-unit base" in msg and "--volume-unit quote" in msg
    day = re.search(r"On (\d{4}-\d\d-\d\d)", msg)
    assert day is not None, msg
    raw = pd.read_csv(path).set_index("date").loc[day.group(1)]
    assert f"volume = {raw['volume']:,.6g}" in msg and f"close = {raw['close']:,.6g}" in msg
    assert f"{raw['volume'] * raw['close']:,.4g} USD traded" in msg


@pytest.mark.real_data
def test_btc_daily_unit_from_the_store(real_data: Path, tmp_path: Path) -> None:
    """With Binance BTCUSDT klines in the store, btc_daily.csv is read as base units
    without a flag, and its USD volume equals volume x close of the file."""
    path = real_data / BTC_DAILY
    with Store(tmp_path / "s.duckdb") as store:
        import_file(store, real_data / BINANCE_BTC)
        report = import_file(store, path)
        assert any("base units, decided from other sources" in n for n in report.notes)
        got = _stored(store, "file:ohlcv_daily:btc_daily.csv#%")
    raw = pd.read_csv(path, parse_dates=["date"]).set_index("date")
    assert len(got) == len(raw)
    np.testing.assert_allclose(got["volume_usd"], raw["volume"] * raw["close"], rtol=1e-12)


@pytest.mark.real_data
def test_variants_renamed_and_scaled(real_data: Path, tmp_path: Path) -> None:
    """Renamed (no asset in the name, --asset BTC) it is still base; its volumes scaled
    to USD (x close) it is read as USD; the data decide, not the name."""
    raw = pd.read_csv(real_data / BTC_DAILY)
    renamed = tmp_path / "export.csv"
    raw.to_csv(renamed, index=False)
    usd = tmp_path / "btc_daily.csv"
    raw.assign(volume=raw["volume"] * raw["close"]).to_csv(usd, index=False)
    with Store(tmp_path / "s.duckdb") as store:
        import_file(store, real_data / BINANCE_BTC)
        r1 = import_file(store, renamed, options=ReadOptions(asset="BTC"))
        r2 = import_file(store, usd)
        a = _stored(store, "file:ohlcv_daily:export.csv#%")
        b = _stored(store, "file:ohlcv_daily:btc_daily.csv#%")
    assert any("volume in base units" in n for n in r1.notes), r1.notes
    assert any("volume in quote units" in n for n in r2.notes), r2.notes
    expected = (raw["volume"] * raw["close"]).to_numpy()
    np.testing.assert_allclose(a["volume_usd"], expected, rtol=1e-12)
    np.testing.assert_allclose(b["volume_usd"], expected, rtol=1e-9)


@pytest.mark.real_data
def test_quote_volume_column_settles_the_unit(real_data: Path, tmp_path: Path) -> None:
    """Binance klines with columns dropped (date, OHLC, volume, quote_asset_volume) in
    an empty store: quote / base lies within low-high, so volume counts units and
    quote_asset_volume is the USD volume. Swapped columns are refused naming both."""
    k = pd.read_csv(real_data / BINANCE_BTC)
    slim = k.assign(date=k["open_time"].str.slice(0, 10))[
        ["date", "open", "high", "low", "close", "volume", "quote_asset_volume"]
    ]
    path = tmp_path / "prices.csv"
    slim.to_csv(path, index=False)
    reader, res = read_file(path, options=ReadOptions(asset="BTC"))
    assert reader.name == "ohlcv_daily"
    assert any("low-high range" in n for n in res.notes), res.notes
    np.testing.assert_allclose(res.tables["prices"]["volume_usd"], slim["quote_asset_volume"])
    swapped = tmp_path / "swapped.csv"
    slim.rename(columns={"volume": "quote_asset_volume", "quote_asset_volume": "volume"}).to_csv(
        swapped, index=False
    )
    with pytest.raises(FormatError) as info:
        read_file(swapped, options=ReadOptions(asset="BTC"))
    msg = str(info.value)
    assert str(swapped) in msg and "'volume'" in msg and "'quote_asset_volume'" in msg


def _frame(n: int, price: float, volume: float) -> tuple[pd.Series, pd.Series]:
    return pd.Series(np.full(n, volume)), pd.Series(np.full(n, price))


def test_reference_near_neither_reading_still_asks(tmp_path: Path) -> None:
    """An asset priced near 1 USD: both readings are within the reference's band, so the
    store cannot settle it and the error says what the store gave."""
    vol, close = _frame(30, 1.5, 2e6)
    ref = pd.Series(np.full(30, 2.5e6))
    with pytest.raises(FormatError, match="do not settle it") as info:
        decide_volume_unit(vol, close, path=tmp_path / "x.csv", column="v", reference_volume=ref)
    assert "--volume-unit base" in str(info.value)


def test_reference_needs_enough_common_days(tmp_path: Path) -> None:
    vol, close = _frame(30, 40_000.0, 20_000.0)
    ref = pd.Series([8e8] * 3 + [np.nan] * 27)  # 3 common days: not evidence
    with pytest.raises(FormatError, match="--volume-unit"):
        decide_volume_unit(vol, close, path=tmp_path / "x.csv", column="v", reference_volume=ref)
    ref = pd.Series([8e8] * 5 + [np.nan] * 25)
    unit, why = decide_volume_unit(
        vol, close, path=tmp_path / "x.csv", column="v", reference_volume=ref
    )
    assert unit == "base" and "5 day(s)" in why


def test_declared_unit_beats_the_reference(tmp_path: Path) -> None:
    vol, close = _frame(30, 40_000.0, 20_000.0)
    ref = pd.Series(np.full(30, 8e8))
    unit, _ = decide_volume_unit(
        vol, close, path=tmp_path / "x.csv", column="v", reference_volume=ref, declared="quote"
    )
    assert unit == "quote"


@settings(max_examples=60, deadline=None)
@given(
    price=st.floats(1e-4, 2e5),
    units=st.floats(1.0, 1e10),
    share=st.floats(0.01, 1.0),
    is_base=st.booleans(),
)
def test_reference_never_picks_the_wrong_unit(
    price: float, units: float, share: float, is_base: bool
) -> None:
    """The file's market is a share (1%-100%) of what the store's sources report: the
    decision is the true unit or a question, never the other unit."""
    usd = units * price
    if usd > 1e12:
        return
    vol, close = _frame(20, price, units if is_base else usd)
    ref = pd.Series(np.full(20, usd / share))
    truth = "base" if is_base else "quote"
    try:
        unit, _ = decide_volume_unit(
            vol, close, path=Path("f.csv"), column="volume", reference_volume=ref
        )
    except FormatError as exc:
        assert "--volume-unit" in str(exc)
        return
    assert unit == truth, (price, units, share, is_base)
