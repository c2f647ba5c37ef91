"""Determinism, validation and store writes of the simulated demo market."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest

from altseason.exceptions import ValidationError
from altseason.labels import DEMO_LABEL, DEMO_SOURCE
from altseason.sources.calendar import CALENDAR_SOURCE
from altseason.sources.demo import (
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    DEMO_DATASET,
    DemoMarket,
    ensure_demo,
    generate_demo,
    write_demo,
)
from altseason.store import TABLES, Store

SMALL = {"start": "2023-06-01", "end": "2024-09-30", "n_assets": 30}


def _digest(market: DemoMarket) -> dict[str, str]:
    out = {}
    for name, frame in market.tables().items():
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        out[name] = hashlib.sha256(buf.getvalue()).hexdigest()
    return out


@pytest.fixture(scope="module")
def default_pair() -> tuple[DemoMarket, DemoMarket]:
    return generate_demo(), generate_demo(seed=DEFAULT_SEED)


def test_default_demo_is_bit_identical(default_pair: tuple[DemoMarket, DemoMarket]) -> None:
    a, b = default_pair
    assert a.start == DEFAULT_START and a.end == DEFAULT_END
    for name in a.tables():
        pd.testing.assert_frame_equal(a.tables()[name], b.tables()[name], check_exact=True)
    assert _digest(a) == _digest(b)


def test_another_seed_gives_another_market(default_pair: tuple[DemoMarket, DemoMarket]) -> None:
    a, _ = default_pair
    other = generate_demo(seed=DEFAULT_SEED + 1)
    digests_a, digests_o = _digest(a), _digest(other)
    for table in ("prices", "etf_flows", "options", "funding", "sentiment", "macro"):
        assert digests_a[table] != digests_o[table]
    assert digests_a["events"] == digests_o["events"]  # the real calendar does not depend on it
    btc_a = a.prices[a.prices["asset_id"] == "BTC"]["close"].to_numpy()
    btc_o = other.prices[other.prices["asset_id"] == "BTC"]["close"].to_numpy()
    assert abs(btc_a - btc_o).max() > 100


def test_frames_match_the_store_schema(default_pair: tuple[DemoMarket, DemoMarket]) -> None:
    market = default_pair[0]
    assert market.label == DEMO_LABEL
    for name, frame in market.tables().items():
        spec = TABLES[name]
        assert set(frame.columns) <= set(spec.column_names), name
        required = [
            c.name
            for c in spec.columns
            if not c.nullable and c.name not in ("source", "ingested_at")
        ]
        assert set(required) <= set(frame.columns), name
        assert not frame.duplicated(list(spec.key)).any(), name
        assert frame[required].notna().all().all(), name
    summary = market.summary()
    assert summary.loc["prices", "rows"] == len(market.prices)
    assert summary.loc["prices", "from"] == DEFAULT_START


def test_validation_errors() -> None:
    with pytest.raises(ValidationError, match="at least 120 days"):
        generate_demo(start="2024-01-01", end="2024-02-01")
    with pytest.raises(ValidationError, match="at least 20 assets"):
        generate_demo(n_assets=5)
    with pytest.raises(ValidationError, match="non-negative"):
        generate_demo(seed=-1)


def test_progress_callback_reports_stages() -> None:
    seen: list[str] = []
    generate_demo(**SMALL, progress=seen.append)
    assert seen[0] == "drawing the token universe"
    assert any("option" in s for s in seen)


def test_write_demo_labels_every_row(store: Store) -> None:
    market = generate_demo(**SMALL)
    result = write_demo(store, market=market)
    assert result.dataset == DEMO_DATASET and result.source == DEMO_SOURCE
    for name, frame in market.tables().items():
        # the calendar is reference data every store already carries, not a demo write
        assert result.rows_written.get(name, 0) == (0 if name == "events" else len(frame))
        sources = {
            r[0] for r in store.con.execute(f"SELECT DISTINCT source FROM {name}").fetchall()
        }
        expected = {CALENDAR_SOURCE} if name == "events" else {DEMO_SOURCE}
        assert sources == expected, name
        assert store.count(name) == len(frame)
    log = store.read_table("ingest_log")
    assert list(log["status"]) == ["ok", "ok"]
    assert sorted(log["source"]) == [CALENDAR_SOURCE, DEMO_SOURCE]
    assert log.loc[log["source"] == DEMO_SOURCE, "rows_written"].item() == result.total_written
    # writing the same market again is an idempotent no-op
    again = write_demo(store, market=market)
    assert again.total_written == 0
    panel = store.read_prices("close", assets=["BTC"])
    expected = market.prices[market.prices["asset_id"] == "BTC"]["close"].to_numpy()
    assert panel["BTC"].to_numpy() == pytest.approx(expected, rel=1e-12)


def test_ensure_demo_seeds_only_an_empty_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import altseason.sources.demo._market as mod

    calls: list[int] = []

    def small_write(store: Store, **kw: object) -> object:
        calls.append(1)
        return write_demo(store, market=generate_demo(**SMALL))

    monkeypatch.setattr(mod, "write_demo", small_write)
    with Store(tmp_path / "s.duckdb") as s:
        assert ensure_demo(s) is True
        assert s.count("prices") > 0
        assert ensure_demo(s) is False
    assert calls == [1]
