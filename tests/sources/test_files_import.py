"""File import into the store: idempotency, atomicity, merging sources, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from altseason.exceptions import StoreError
from altseason.sources.files import import_file, import_files
from altseason.store import TABLES, Store

REAL_SET = [
    "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv",
    "prices/jumpotsa__Bybit_Cross_Momentum/data/ETHUSDT.csv",
    "prices/btctree__btc-power/data/alt/BTCUSDT.csv",
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/coinmarketcap_historical_all_snapshots.csv",
    "etf_flows/kittycapital__btc-etf-dashboard/data/etf_flows.json",
    "etf_flows/kittycapital__btc-etf-dashboard/data/btc_price.json",
    "etf_flows/ciyberpunk__farside-etf/docs/Data/bitcoin_etf_flows_wide_daily.csv",
    "etf_flows/Mohammad-Hannan__mcg_macro_intel/data/btc_etf_flows.csv",
    "options/GitHubAvailable__heston-bitcoin-pricing/data/deribit_btc_options.csv",
    "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv",
    "macro/sivamsapingali__Codex_Macro-Monitor/data/M2SL.csv",
    "macro/YoussefKh200__Slow-Turtle-Research/data/GC=F.csv",
    "macro/btctree__btc-power/data/global/SPY.csv",
    "onchain/hhysteric__btc-cycle-dashboard/data/realized_price.csv",
    "onchain/btctree__btc-power/data/onchain.csv",
    "derivatives/btctree__btc-power/data/funding.csv",
    "derivatives/smoothbrainquant__trading-for-new-dads/data/raw/historical_funding_rates_top100_20251025_124832.csv",
    "derivatives/smoothbrainquant__trading-for-new-dads/data/raw/historical_open_interest_top100_since2020_20251026_113816.csv",
    "sectors/smoothbrainquant__trading-for-new-dads/data/raw/category_mappings_validated.csv",
]


def snapshot(store: Store) -> dict[str, pd.DataFrame]:
    """Full contents of every data and bookkeeping table, sorted."""
    out = {}
    for name in [*TABLES, "ingest_log", "rejects"]:
        frame = store.con.execute(f"SELECT * FROM {name}").df()
        out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def assert_same(
    a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], skip: tuple[str, ...] = ()
) -> None:
    for name in a:
        if name in skip:
            continue
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


# ---------------------------------------------------------------------- real files
@pytest.mark.real_data
def test_real_files_import_and_reimport_writes_nothing(real_data: Path, store: Store) -> None:
    paths = [real_data / p for p in REAL_SET]
    first = import_files(store, paths, on_error="reject")
    assert first.total_written > 0
    tables = {r.table: r.rows for r in store.status()}
    for table in (
        "assets",
        "prices",
        "etf_flows",
        "options",
        "funding",
        "onchain",
        "macro",
        "sentiment",
    ):
        assert tables[table] > 0, table
    before = snapshot(store)
    second = import_files(store, paths, on_error="reject")
    assert second.total_written == 0
    after = snapshot(store)
    assert_same(before, after, skip=("ingest_log", "rejects"))
    # OI and funding share rows: the funding file's rate and the OI file's open interest
    fund = store.read_table("funding", venue="coinalyze")
    both = fund.dropna(subset=["rate", "open_interest_usd"])
    assert len(both) > 0
    # provenance strings
    sources = set(store.read_table("macro")["source"])
    assert any(s.startswith("file:fred_series:M2SL.csv#") for s in sources)


@pytest.mark.real_data
def test_precedence_one_source_per_row_and_market_cap_apart(real_data: Path, store: Store) -> None:
    binance = real_data / "prices/djienne__Hurst_Crypto/data/BTCUSDT.csv"
    cmc = (
        real_data / "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
        "coinmarketcap_historical_all_snapshots.csv"
    )
    import_file(store, cmc, on_error="reject")
    import_file(store, binance)
    raw = pd.read_csv(binance)
    close = raw.loc[raw["open_time"].str.startswith("2024-01-07"), "close"].iloc[0]
    day = {"asset_id": "BTC", "start": "2024-01-07", "end": "2024-01-07"}
    row = store.read_table("prices", **day).iloc[0]
    assert row["close"] == pytest.approx(close)  # the exchange's close wins (precedence)
    assert row["source"].startswith("file:binance_klines:BTCUSDT.csv#")
    cmc_raw = pd.read_csv(cmc)
    mcap = cmc_raw[(cmc_raw["Symbol"] == "BTC") & (cmc_raw["snapshot_date"] == 20240107)]
    assert row["market_cap_usd"] == pytest.approx(mcap["Market Cap"].iloc[0])  # resolved apart
    prov = store.provenance("prices", **day)
    assert prov["sources"] == [row["source"]]
    assert [s.split("#")[0] for s in prov["market_cap_sources"]] == [
        "file:cmc_snapshots:coinmarketcap_historical_all_snapshots.csv"
    ]
    # both sources' rows are stored, each whole
    stored = store.read_table("prices", resolve=False, **day)
    assert len(stored) == 2 and stored["source"].nunique() == 2
    # --prefer (here via replace=True: prefer this file) makes CMC win the whole row
    import_file(store, cmc, on_error="reject", replace=True)
    row = store.read_table("prices", **day).iloc[0]
    assert row["close"] == pytest.approx(mcap["Price"].iloc[0])
    assert row["source"].startswith("file:cmc_snapshots:")
    # and a kind preference in config overrides it back
    other = Store(":memory:", prefer=("exchange_spot",))
    import_file(other, cmc, on_error="reject")
    import_file(other, binance)
    assert other.read_table("prices", **day).iloc[0]["close"] == pytest.approx(close)
    other.close()


@pytest.mark.real_data
def test_bybit_folder_imports(real_data: Path, store: Store) -> None:
    folder = real_data / "prices/jumpotsa__Bybit_Cross_Momentum/data"
    summary = import_files(store, [folder], on_error="reject", skip_unknown=True)
    assert len(summary.reports) == 329
    assert [p.name for p in summary.skipped] == ["_metadata.csv"]
    raw = pd.read_csv(folder / "SOLUSDT.csv")
    row = store.read_table("prices", asset_id="SOL", start="2024-06-03", end="2024-06-03").iloc[0]
    assert row["close"] == pytest.approx(raw.loc[raw["date"] == "2024-06-03", "close"].iloc[0])
    bch = next(r for r in summary.reports if r.path.name == "BCHUSDT.csv")
    assert bch.rows_rejected == 1  # open = 0 on the listing day
    rej = store.read_table("rejects")
    assert (rej["reason"].str.contains("non-positive open")).any()


# ---------------------------------------------------------------------- atomicity
CMC_SMALL = (
    "Rank,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24h),% 1h,% 24h,% 7d,snapshot_date\n"
    "1,Bitcoin,BTC,1000000,50000,20,10,0,0,0,20240101\n"
    "2,Terra,LUNA,500,0.0001,5000000,1,0,0,0,20240101\n"
    "1,Bitcoin,BTC,1100000,55000,20,10,0,0,0,20240201\n"
    "2,Terra 2.0,LUNA,300,1,300,1,0,0,0,20240201\n"
)
"""Old Terra (5 million coins at $0.0001) and Terra 2.0 (300 coins at $1) re-use LUNA."""


def test_failure_in_second_table_leaves_store_unchanged(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "fng.csv"
    first.write_text("date,timestamp,value,classification\n2024-01-01,1704067200,50,Neutral\n")
    import_file(store, first)
    cmc = tmp_path / "cmc.csv"
    cmc.write_text(CMC_SMALL)
    before = snapshot(store)
    calls = {"n": 0}
    real = Store._upsert_frame

    def failing(self: Store, con: object, spec: object, df: pd.DataFrame, now: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            import duckdb

            raise duckdb.IOException("disk full (injected)")
        return real(self, con, spec, df, now)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_upsert_frame", failing)
    with pytest.raises(StoreError, match="rolled back"):
        import_file(store, cmc)
    assert calls["n"] == 2
    assert_same(before, snapshot(store))


def test_cmc_reused_ticker_ids(tmp_path: Path, store: Store) -> None:
    cmc = tmp_path / "cmc.csv"
    cmc.write_text(CMC_SMALL)
    import_file(store, cmc)
    assets = store.read_table("assets").set_index("asset_id")
    assert assets.loc["LUNA", "name"] == "Terra 2.0"
    assert assets.loc["LUNA-terra", "name"] == "Terra"
    prices = store.read_table("prices").set_index(["asset_id", "date"])
    assert prices.loc[("LUNA-terra", pd.Timestamp("2024-01-01")), "close"] == 0.0001


def test_cmc_renamed_coin_keeps_one_id(tmp_path: Path, store: Store) -> None:
    """A rename is not a re-used ticker: "Binance Coin" became "BNB" in the real
    CoinMarketCap snapshots (2022), "Tether" "Tether USDt", "0x" "0x Protocol" (62 coins
    of the monthly file). The supply carries on, so the coin keeps one id and its caps
    stay on it (they were split onto BNB-binance-coin, USDT-tether, ...)."""
    cmc = tmp_path / "cmc.csv"
    cmc.write_text(
        "Rank,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24h),% 1h,% 24h,% 7d,"
        "snapshot_date\n"
        "1,Binance Coin,BNB,88000000000,527.35,166800000,1,0,0,0,20220101\n"
        "1,BNB,BNB,63700000000,390.1,163300000,1,0,0,0,20220501\n"
        "2,Terra,LUNA,500,0.0001,5000000,1,0,0,0,20220101\n"
        "2,Terra 2.0,LUNA,300,1,300,1,0,0,0,20220501\n"
    )
    import_file(store, cmc)
    caps = store.read_table("prices").set_index(["asset_id", "date"])["market_cap_usd"]
    assert caps.loc[("BNB", pd.Timestamp("2022-01-01"))] == 88e9
    assert caps.loc[("BNB", pd.Timestamp("2022-05-01"))] == 63.7e9
    assert "BNB-binance-coin" not in set(caps.index.get_level_values(0))
    assert ("LUNA-terra", pd.Timestamp("2022-01-01")) in caps.index


# ---------------------------------------------------------------------- CLI
def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALTSEASON_HOME": str(home), "COLUMNS": "200"}
    env.pop("ALTSEASON_STORE", None)
    return subprocess.run(
        [sys.executable, "-c", "from altseason.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_cli_bad_file_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "BTCUSDT.csv"
    bad.write_text(
        "date,open,high,low,close,volume\n"
        + "".join(f"2024-01-{d:02d},1,2,0.5,1.5,10\n" for d in range(1, 9))
        + "2024-01-09,1,2,0.5,abc,10\n"
    )
    res = _cli(["import", str(bad)], tmp_path / "home")
    assert res.returncode != 0
    err = res.stderr.strip()
    assert "Traceback" not in err + res.stdout
    assert len(err.splitlines()) <= 2  # one message (rich may wrap at the terminal width)
    assert "BTCUSDT.csv" in err and "line 10" in err and "'close'" in err
    assert "abc" in err


def _runner_invoke(args: list[str], home: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    from typer.testing import CliRunner

    import altseason.cli._register  # noqa: F401  (registers the commands)
    from altseason.cli import app

    monkeypatch.setenv("ALTSEASON_HOME", str(home))
    monkeypatch.delenv("ALTSEASON_STORE", raising=False)
    return CliRunner().invoke(app, args, env={"COLUMNS": "200"})


def test_cli_import_status_and_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "fng.csv"
    good.write_text(
        "date,timestamp,value,classification\n2024-01-01,1704067200,50,Neutral\n"
        "2024-01-02,1704153600,55,Greed\n"
    )
    home = tmp_path / "home"
    res = _runner_invoke(["import", str(good)], home, monkeypatch)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "fear_greed" in res.output and "2 row(s) written" in res.output  # type: ignore[attr-defined]
    again = _runner_invoke(["import", str(good)], home, monkeypatch)
    assert "0 row(s) written" in again.output  # type: ignore[attr-defined]
    status = _runner_invoke(["status"], home, monkeypatch)
    assert status.exit_code == 0 and "sentiment" in status.output  # type: ignore[attr-defined]
    helptext = _runner_invoke(["import", "--help"], home, monkeypatch)
    for opt in ("--format", "--on-error", "--snapshot-ts", "--map", "--skip-unknown"):
        assert opt in helptext.output  # type: ignore[attr-defined]


def test_cli_unknown_in_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from altseason.exceptions import FormatError

    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "fng.csv").write_text(
        "date,timestamp,value,classification\n2024-01-01,1704067200,50,Neutral\n"
    )
    (folder / "notes.txt").write_text("just some notes\n")
    home = tmp_path / "home"
    res = _runner_invoke(["import", str(folder)], home, monkeypatch)
    assert res.exit_code != 0  # type: ignore[attr-defined]
    assert isinstance(res.exception, FormatError) and "notes.txt" in str(res.exception)  # type: ignore[attr-defined]
    ok = _runner_invoke(["import", str(folder), "--skip-unknown"], home, monkeypatch)
    assert ok.exit_code == 0, ok.output  # type: ignore[attr-defined]
    assert "skipped 1 file" in ok.output  # type: ignore[attr-defined]
