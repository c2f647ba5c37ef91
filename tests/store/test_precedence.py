"""One row, one source: precedence, import-order independence, conflicts, file identity,
reference data, on the real fixtures (DESIGN.md "The store: sources, precedence, conflicts")."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from altseason.analytics import put_call_ratio
from altseason.analytics._positioning_data import etf_flows_from_store
from altseason.sources.calendar import regulatory_events
from altseason.sources.files import import_file, import_files
from altseason.store import TABLES, Store, check_store
from altseason.store._conflicts import nyse_holidays
from altseason.store._schema import BOOKKEEPING_DDL
from altseason.store._sources import source_kind

PRICES = "prices"
BINANCE = "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv"
BYBIT = "prices/jumpotsa__Bybit_Cross_Momentum/data/BTCUSDT.csv"
BTCTREE = "prices/btctree__btc-power/data/alt/BTCUSDT.csv"  # the pair in the name: base volume
CMC = (
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
    "coinmarketcap_historical_all_snapshots.csv"
)
ETF_JSON = "etf_flows/kittycapital__btc-etf-dashboard/data/etf_flows.json"
ETF_TOTALS = "etf_flows/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv"
ETF_WIDE = "etf_flows/ciyberpunk__farside-etf/docs/Data/bitcoin_etf_flows_wide_daily.csv"
OPTIONS = "options/GitHubAvailable__heston-bitcoin-pricing/data/"


def _slice(src: Path, dest: Path, pattern: tuple[str, ...]) -> Path:
    """Header plus the lines containing one of ``pattern`` (a small real file)."""
    lines = src.read_text().splitlines()
    keep = [lines[0], *[ln for ln in lines[1:] if any(p in ln for p in pattern)]]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("\n".join(keep) + "\n")
    return dest


@pytest.fixture(scope="module")
def price_files(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four small overlapping real price files for BTC, two with the same name."""
    root = tmp_path_factory.mktemp("prices")
    months = ("2024-01", "2024-02")
    return [
        _slice(real_data / BINANCE, root / "binance" / "BTCUSDT.csv", months),
        _slice(real_data / BYBIT, root / "bybit" / "BTCUSDT.csv", months),
        _slice(real_data / BTCTREE, root / "btctree" / "BTCUSDT.csv", months),
        real_data / CMC,
    ]


def _import(store: Store, files: list[Path]) -> None:
    for f in files:
        import_file(store, f, on_error="reject")


# ---------------------------------------------------------------------- one row, one source
@pytest.mark.real_data
def test_every_resolved_price_row_is_one_stored_row(price_files: list[Path]) -> None:
    with Store(":memory:") as store:
        _import(store, price_files)
        raw = store.read_table(PRICES, resolve=False)
        assert raw["source"].nunique() == 4  # both BTCUSDT.csv files kept apart
        resolved = store.read_table(PRICES)
        assert not resolved.duplicated(["asset_id", "date"]).any()
        ohlcv = ["open", "high", "low", "close", "volume_usd"]
        joined = resolved.merge(raw, on=["asset_id", "date", "source"], suffixes=("", "_raw"))
        assert len(joined) == len(resolved)  # the winning source holds such a row ...
        for c in ohlcv:  # ... and every OHLCV field is that row's
            pd.testing.assert_series_equal(joined[c], joined[f"{c}_raw"], check_names=False, obj=c)
        # the precedence, computed independently: exchange spot > perp > ohlcv > aggregator
        order = ["exchange_spot", "exchange_perp", "ohlcv", "aggregator"]
        best = (
            raw.assign(k=raw["source"].map(source_kind).map(order.index))
            .sort_values(["asset_id", "date", "k", "source"])
            .drop_duplicates(["asset_id", "date"])
        )
        assert resolved["source"].tolist() == best["source"].tolist()
        btc = resolved[resolved["asset_id"] == "BTC"].set_index("date")
        kinds = btc.loc["2024-01-01":"2024-02-29", "source"].map(source_kind)
        assert set(kinds) == {"exchange_spot"}  # Binance covers every day of the slice
        # market caps come from the only source that has them, recorded in provenance
        prov = store.provenance(PRICES, asset_id="BTC", start="2024-01-07", end="2024-01-07")
        assert [source_kind(s) for s in prov["market_cap_sources"]] == ["aggregator"]
        assert btc.loc["2024-01-07", "market_cap_usd"] > 1e11


@pytest.mark.real_data
def test_seam_is_recorded_where_the_series_changes_source(real_data: Path, tmp_path: Path) -> None:
    jan = _slice(real_data / BINANCE, tmp_path / "a" / "BTCUSDT.csv", ("2024-01",))
    both = _slice(real_data / BTCTREE, tmp_path / "b" / "BTCUSDT.csv", ("2024-01", "2024-02"))
    with Store(":memory:") as store:
        _import(store, [both, jan])
        prov = store.provenance(PRICES, asset_id="BTC")
        assert prov["seams"] == [
            {
                "key": "BTC",
                "date": "2024-02-01",
                "from": prov["seams"][0]["from"],
                "to": prov["seams"][0]["to"],
            }
        ]
        assert source_kind(prov["seams"][0]["from"]) == "exchange_spot"
        assert source_kind(prov["seams"][0]["to"]) == "ohlcv"


@pytest.mark.real_data
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(order=st.permutations(range(4)))
def test_resolved_series_does_not_depend_on_import_order(
    price_files: list[Path], order: list[int]
) -> None:
    with Store(":memory:") as ref:
        _import(ref, price_files)
        expected = ref.read_table(PRICES).drop(columns=["ingested_at"])
        expected_conf = ref.conflicts().drop(columns=["note"])
    with Store(":memory:") as store:
        _import(store, [price_files[i] for i in order])
        got = store.read_table(PRICES).drop(columns=["ingested_at"])
        pd.testing.assert_frame_equal(got, expected)
        pd.testing.assert_frame_equal(store.conflicts().drop(columns=["note"]), expected_conf)


# ---------------------------------------------------------------------- ETF totals
@pytest.mark.real_data
@pytest.mark.parametrize(
    "names",
    [
        (ETF_TOTALS,),
        (ETF_JSON, ETF_TOTALS),
        (ETF_TOTALS, ETF_JSON),
        (ETF_WIDE, ETF_JSON, ETF_TOTALS),
        (ETF_TOTALS, ETF_WIDE, ETF_JSON),
    ],
)
def test_2025_btc_etf_net_flow_is_farside_whenever_totals_are_imported(
    real_data: Path, names: tuple[str, ...]
) -> None:
    # independent: the Farside totals table summed with pandas
    raw = pd.read_csv(real_data / ETF_TOTALS)
    raw = raw[raw["Date"].str.match(r"^\d")]
    when = pd.to_datetime(raw["Date"], format="%d %b %Y")
    expected = raw.loc[when.dt.year == 2025, "Total"].str.replace(",", "").astype(float).sum()
    assert expected == pytest.approx(21348.3, abs=0.05)
    with Store(":memory:") as store:
        _import(store, [real_data / n for n in names])
        panel = etf_flows_from_store(store, underlying="BTC")
        assert panel.loc["2025"].to_numpy().sum() / 1e6 == pytest.approx(expected, abs=0.05)
        if ETF_JSON in names:
            conf = store.conflicts(dataset="etf_flows")
            holidays = conf[conf["note"].fillna("").str.contains("NYSE holiday")]
            days = set(holidays["date"].dt.strftime("%Y-%m-%d"))
            assert {"2025-11-27", "2025-12-25"} <= days
            assert store.has_conflicts("etf_flows", underlying="BTC", start="2025-11-27")
            assert not store.has_conflicts("etf_flows", underlying="ETH")


def test_nyse_holidays_match_the_exchange_calendar() -> None:
    h2025 = nyse_holidays(2025)
    assert pd.Timestamp("2025-11-27").date() in h2025  # Thanksgiving
    assert pd.Timestamp("2025-12-25").date() in h2025
    assert pd.Timestamp("2025-04-18").date() in h2025  # Good Friday
    assert pd.Timestamp("2025-01-09").date() in h2025  # day of mourning
    assert len(h2025) == 11
    assert pd.Timestamp("2021-12-31").date() not in nyse_holidays(2021)  # Sat 2022-01-01
    assert pd.Timestamp("2022-06-20").date() in nyse_holidays(2022)  # Juneteenth observed


# ---------------------------------------------------------------------- options
@pytest.mark.real_data
@pytest.mark.parametrize("first", ["deribit_btc_options.csv", "deribit_btc_options_clean.csv"])
def test_full_chain_wins_over_its_subset_whichever_first(real_data: Path, first: str) -> None:
    folder = real_data / OPTIONS
    full = pd.read_csv(folder / "deribit_btc_options.csv")
    expected = (
        full.loc[full["type"] == "put", "open_interest"].sum()
        / full.loc[full["type"] == "call", "open_interest"].sum()
    )
    assert expected == pytest.approx(0.53, abs=0.005)
    second = next(
        n for n in ("deribit_btc_options.csv", "deribit_btc_options_clean.csv") if n != first
    )
    with Store(":memory:") as store:
        _import(store, [folder / first, folder / second])
        assert store.read_table("options", resolve=False)["source"].nunique() == 2
        chain = store.read_table("options")
        assert chain["snapshot_ts"].nunique() == 1  # one snapshot, not two
        assert len(chain) == len(full)
        assert put_call_ratio(chain)["oi"] == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------------- conflicts: shift
@pytest.mark.real_data
def test_one_day_shifted_close_is_a_shift_conflict(real_data: Path, tmp_path: Path) -> None:
    src = _slice(real_data / BINANCE, tmp_path / "ex" / "BTCUSDT.csv", ("2024-01", "2024-02"))
    k = pd.read_csv(src)
    day = pd.to_datetime(k["open_time"], utc=True).dt.tz_localize(None).dt.normalize()
    close = k["close"].to_numpy()
    # a "close" that is really the day's open: yesterday's close
    shifted = pd.DataFrame(
        {
            "date": day.dt.strftime("%Y-%m-%d")[1:],
            "open": close[:-1],
            "high": np.maximum(close[:-1], k["high"].to_numpy()[1:]),
            "low": np.minimum(close[:-1], k["low"].to_numpy()[1:]),
            "close": close[:-1],
            "volume": k["volume"].to_numpy()[1:],
        }
    )
    path = tmp_path / "shifted" / "BTCUSDT.csv"
    path.parent.mkdir()
    shifted.to_csv(path, index=False)
    with Store(":memory:") as store:
        _import(store, [path, src])
        conf = store.conflicts(dataset=PRICES, asset="BTC")
        closes = conf[conf["field"] == "close"]
        assert len(closes) > 0
        assert set(closes["kind"]) == {"shift"}
        # independent: the days whose close moved by more than the 1 % tolerance
        rel = np.abs(close[1:] - close[:-1]) / np.maximum(close[1:], close[:-1])
        assert len(closes) == int((rel > 0.01).sum())
        assert closes["rel_diff"].max() == pytest.approx(rel.max())
        # the exchange still wins the reads
        kinds = store.read_table(PRICES, asset_id="BTC")["source"].map(source_kind)
        assert set(kinds) == {"exchange_spot"}


# ---------------------------------------------------------------------- file identity
@pytest.mark.real_data
def test_same_name_other_folder_is_another_source_and_reimport_is_a_noop(
    real_data: Path, tmp_path: Path
) -> None:
    a = _slice(real_data / BTCTREE, tmp_path / "x" / "BTCUSDT.csv", ("2024-01",))
    b = _slice(real_data / BTCTREE, tmp_path / "y" / "BTCUSDT.csv", ("2024-02",))
    with Store(":memory:") as store:
        ra, rb = import_file(store, a), import_file(store, b)
        assert ra.source != rb.source
        assert ra.source.startswith("file:ohlcv_daily:BTCUSDT.csv#")
        assert store.count(PRICES) == 31 + 29  # neither overwrote the other
        again = import_files(store, [a, b])
        assert again.total_written == 0
        # a corrected re-export at the same path supersedes its previous version
        _slice(real_data / BTCTREE, a, ("2024-01-0",))
        rc = import_file(store, a)
        assert rc.source != ra.source
        assert store.count(PRICES) == 9 + 29
        srcs = set(store.read_table("sources")["source"])
        assert ra.source not in srcs and rc.source in srcs


# ---------------------------------------------------------------------- reference data
@pytest.mark.real_data
def test_store_from_real_files_only_has_the_calendar(real_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "real.duckdb"
    with Store(path) as store:
        import_file(store, real_data / ETF_TOTALS)
    with Store(path, read_only=True) as store:
        events = store.read_table("events")
        assert len(events) == len(regulatory_events())
        assert set(events["source"]) == {"calendar"}
        log = store.read_table("ingest_log")
        assert (log["source"] == "calendar").sum() == 1
        sources = store.read_table("sources").set_index("source")
        assert sources.loc["calendar", "kind"] == "reference"
        assert check_store(store).ok


def test_v2_store_is_migrated_keeping_rows_and_gets_the_calendar(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    for name in ("schema_meta", "ingest_log", "rejects", "fetch_state"):
        con.execute(BOOKKEEPING_DDL[name])
    con.execute("INSERT INTO schema_meta VALUES ('schema_version', '2')")
    for spec in TABLES.values():  # the v2 tables: natural key only
        cols = ", ".join(
            f"{c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in spec.columns
        )
        con.execute(f"CREATE TABLE {spec.name} ({cols}, PRIMARY KEY ({', '.join(spec.key)}))")
    con.execute(
        "INSERT INTO prices (asset_id, date, close, source, ingested_at) "
        "VALUES ('BTC', DATE '2024-01-01', 42000, 'old', TIMESTAMP '2024-01-02')"
    )
    con.execute(
        "INSERT INTO ingest_log VALUES ('r1', 'd', 'old', TIMESTAMP '2024-01-02', "
        "TIMESTAMP '2024-01-02', 1, 1, 0, 'ok', NULL)"
    )
    con.close()
    with Store(path) as store:
        assert store.schema_version() == 3
        assert store.read_table(PRICES)["close"].tolist() == [42000.0]
        pk = store.con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = 'prices' AND constraint_type = 'PRIMARY KEY'"
        ).fetchone()
        assert pk is not None and list(pk[0]) == ["asset_id", "date", "source"]
        assert store.count("events") == len(regulatory_events())
        assert "old" in set(store.read_table("sources")["source"])
        assert check_store(store).ok


def test_preference_order_never_depends_on_insertion() -> None:
    frame = pd.DataFrame({"asset_id": ["X"], "date": [pd.Timestamp("2024-01-01")], "close": [1.0]})
    results = []
    for perm in itertools.permutations(["coingecko", "binance", "demo"]):
        with Store(":memory:") as store:
            for i, src in enumerate(perm):
                store.ingest(
                    dataset=src, source=src, tables={PRICES: frame.assign(close=1.0 + i / 1000)}
                )
            results.append(store.read_table(PRICES)["source"].item())
            store.set_preference("aggregator")
            assert store.read_table(PRICES)["source"].item() == "coingecko"
    assert set(results) == {"binance"}


@pytest.mark.real_data
def test_usd_volume_multiplied_by_close_is_a_unit_conflict(real_data: Path, tmp_path: Path) -> None:
    src = _slice(real_data / BINANCE, tmp_path / "ex" / "BTCUSDT.csv", ("2024-01",))
    k = pd.read_csv(src)
    day = pd.to_datetime(k["open_time"], utc=True).dt.tz_localize(None)
    # a source whose volume_usd is a USD volume multiplied by the close again (what a reader
    # that took USD volume for base units would store; the file readers now decide the unit
    # from the data, so the row is written directly): about 40,000x too large
    wrong = pd.DataFrame(
        {
            "asset_id": "BTC",
            "date": day.dt.normalize(),
            "open": k["open"],
            "high": k["high"],
            "low": k["low"],
            "close": k["close"],
            "volume_usd": k["quote_asset_volume"] * k["close"],
        }
    )
    with Store(":memory:") as store:
        _import(store, [src])
        store.ingest(
            dataset="usd", source="file:ohlcv_daily:usd.csv#0123456789ab", tables={"prices": wrong}
        )
        conf = store.conflicts(dataset=PRICES, asset="BTC")
        vol = conf[conf["field"] == "volume_usd"]
        assert len(vol) == len(k)  # every day, ...
        assert set(vol["kind"]) == {"unit"}  # ... explained by the close factor
        ratio = np.maximum(vol["value_a"], vol["value_b"]) / np.minimum(
            vol["value_a"], vol["value_b"]
        )
        closes = k.set_index(day.dt.normalize())["close"].reindex(vol["date"]).to_numpy()
        np.testing.assert_allclose(ratio.to_numpy(), closes, rtol=1e-9)
        assert conf[conf["field"] == "close"].empty  # the prices themselves agree


@pytest.mark.real_data
def test_conflict_kinds_and_notes_do_not_depend_on_import_order(
    real_data: Path, tmp_path: Path
) -> None:
    """Found on a wide real store: 47 of 46,341 conflicts changed kind with the import
    order (Binance AAVE volume vs the annual CMC snapshots was a 'shift' when CMC came
    second, a 'difference' when it came first; a volume 'unit' verdict used only the new
    batch's close). Every field of the conflicts table is now the same in both orders,
    and the shifted close of the test above stays a shift either way, its note from
    source_a's side."""
    aave = real_data / "prices/djienne__Hurst_Crypto/data/AAVEUSDT.csv"
    src = _slice(real_data / BINANCE, tmp_path / "ex" / "BTCUSDT.csv", ("2024-01", "2024-02"))
    k = pd.read_csv(src)
    day = pd.to_datetime(k["open_time"], utc=True).dt.tz_localize(None).dt.normalize()
    close = k["close"].to_numpy()
    shifted = pd.DataFrame(
        {
            "date": day.dt.strftime("%Y-%m-%d")[1:],
            "open": close[:-1],
            "high": np.maximum(close[:-1], k["high"].to_numpy()[1:]),
            "low": np.minimum(close[:-1], k["low"].to_numpy()[1:]),
            "close": close[:-1],
            "volume": k["volume"].to_numpy()[1:],
        }
    )
    moved = tmp_path / "shifted" / "BTCUSDT.csv"
    moved.parent.mkdir()
    shifted.to_csv(moved, index=False)
    files = [aave, real_data / CMC, src, moved]
    tables = []
    for order in (files, files[::-1]):
        with Store(":memory:") as store:
            _import(store, order)
            c = store.conflicts()
            c = c.drop(columns=[x for x in ("detected_at", "sources", "values") if x in c])
            tables.append(c.sort_values(list(c.columns)).reset_index(drop=True))
    pd.testing.assert_frame_equal(tables[0], tables[1])
    c = tables[0]
    btc_close = c[(c["asset"] == "BTC") & (c["field"] == "close") & (c["source_b"] != "")]
    pair = btc_close[
        btc_close["source_a"].str.contains("BTCUSDT")
        & btc_close["source_b"].str.contains("BTCUSDT")
    ]
    assert set(pair["kind"]) == {"shift"}
    # source_a is the smaller id; the shifted file's close(d) = Binance close(d-1)
    a_is_shifted = pair["source_a"].str.startswith("file:ohlcv_daily")
    expected = np.where(
        a_is_shifted,
        "source_a matches source_b moved by +1 day",
        "source_a matches source_b moved by -1 day",
    )
    assert (pair["note"].to_numpy() == expected).all()
    assert (c["dataset"] == "prices").any() and (c["asset"] == "AAVE").any()
