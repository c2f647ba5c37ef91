"""Fault injection on the real CLI in subprocesses: ``kill -9`` of ``altseason
import`` and ``altseason fetch`` at random points, a full disk (a file-size
limit), a locked store and a concurrent writer.

After every fault the store opens, ``altseason check`` passes (exit 0), and
each file / fetched page is either wholly in the store or not at all; a
rerun completes the work and equals a reference run without faults.

The kill delays come from a seeded RNG (``ALTSEASON_FAULT_SEED``, default 7)
so a failure can be replayed; the number of kill trials is bounded
(``ALTSEASON_FAULT_TRIALS``, default 3) to keep the suite near a minute.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import duckdb
import pandas as pd
import pytest

from altseason.config import load_settings
from altseason.sources import HttpClient
from altseason.sources import fetch as fetch_sources
from altseason.store import TABLES, Store, check_store

pytestmark = pytest.mark.real_data

SEED = int(os.environ.get("ALTSEASON_FAULT_SEED", "7"))
TRIALS = int(os.environ.get("ALTSEASON_FAULT_TRIALS", "3"))
PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
DATA_TABLES = list(TABLES)

#: Files of the import batch: disjoint keys, so each file owns its rows (by source).
BATCH = [
    "prices/smoothbrainquant__trading-for-new-dads/data/raw/"
    "coinbase_top200_daily_20200101_to_present_20251025_171425.csv",
    "derivatives/smoothbrainquant__trading-for-new-dads/data/raw/"
    "historical_open_interest_top100_since2020_20251026_113816.csv",
    "macro/sivamsapingali__Codex_Macro-Monitor/data/DGS10.csv",
    "etf_flows/ciyberpunk__farside-etf/docs/Data/bitcoin_etf_flows_long_daily.csv",
    "sentiment/edwardchin811227__cryptofear-and-greed-index/data/fng.csv",
    "onchain/btctree__btc-power/data/onchain.csv",
]
#: Already in the store before the faulty run: must survive every fault unchanged.
OLD = "macro/sivamsapingali__Codex_Macro-Monitor/data/M2SL.csv"


# ---------------------------------------------------------------------- helpers
def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALTSEASON_")}
    env.update(ALTSEASON_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1", **extra)
    env.setdefault("COLUMNS", "200")
    return env


def _cli(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "altseason", "--store", str(store), *args]


def _run(cmd: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, **kw)


def _check(store: Path, env: dict[str, str]) -> None:
    done = _run(_cli(store, "check"), env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK:" in done.stdout


def _check_in_process(store: Path) -> None:
    """The check ``altseason check`` runs, without a new interpreter's start-up time."""
    with Store(store, read_only=True) as s:
        report = check_store(s)
    assert report.ok, report.problems


def _rows(store: Path, table: str, where: str = "TRUE") -> pd.DataFrame:
    """A table's rows (without ``ingested_at``) sorted, read straight from the file."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        frame = con.execute(f"SELECT * FROM {table} WHERE {where}").df()
    finally:
        con.close()
    frame = frame.drop(columns=["ingested_at"], errors="ignore")
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _by_source(store: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """``{source: {table: rows}}`` over the data tables."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for table in DATA_TABLES:
        frame = _rows(store, table)
        for source, part in frame.groupby("source"):
            if source == "calendar":  # reference data every store carries
                continue
            out.setdefault(str(source), {})[table] = part.reset_index(drop=True)
    return out


def _one_line_error(stderr: str) -> str:
    text = stderr.strip()
    assert "Traceback" not in text, text
    assert text.startswith("error:"), text
    return text


def _assert_same_tables(a: Path, b: Path) -> None:
    for table in DATA_TABLES:
        pd.testing.assert_frame_equal(_rows(a, table), _rows(b, table), obj=table)


@pytest.fixture(scope="module")
def batch(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The batch files, a store holding only OLD, and the reference import of the batch.

    Built once per test session, even with pytest-xdist workers (a file lock).
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    tmp = root / "fault-reference"
    env = _env(tmp)
    files = [str(real_data / p) for p in BATCH]
    base, reference, timing = tmp / "base.duckdb", tmp / "reference.duckdb", tmp / "elapsed"
    with open(root / "fault-reference.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not timing.exists():
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            done = _run(_cli(base, "import", str(real_data / OLD)), env)
            assert done.returncode == 0, done.stderr
            shutil.copy(base, reference)
            started = time.monotonic()
            done = _run(_cli(reference, "import", "--on-error", "reject", *files), env)
            assert done.returncode == 0, done.stderr
            timing.write_text(str(time.monotonic() - started))
    elapsed = float(timing.read_text())
    ref = _by_source(reference)
    old = _by_source(base)
    assert len(old) == 1 and len(ref) == len(BATCH) + 1
    return {
        "files": files,
        "base": base,
        "reference": reference,
        "ref": ref,
        "old": old,
        "elapsed": elapsed,
        "env": env,
    }


def _assert_old_or_new(store: Path, batch: dict[str, Any]) -> int:
    """Every file's rows are all there or absent; OLD is intact. Returns files present."""
    got = _by_source(store)
    ((old_source, old_tables),) = batch["old"].items()
    for table, frame in old_tables.items():
        pd.testing.assert_frame_equal(got[old_source][table], frame, obj=f"old {table}")
    present = 0
    for source, tables in batch["ref"].items():
        if source == old_source:
            continue
        if source not in got:
            continue
        present += 1
        assert set(got[source]) == set(tables), source
        for table, frame in tables.items():
            pd.testing.assert_frame_equal(got[source][table], frame, obj=f"{source} {table}")
    assert set(got) <= set(batch["ref"])
    # the ingest log agrees: one ok row per file present, nothing for the rest
    log = _rows(store, "ingest_log", "status = 'ok' AND source <> 'calendar'")
    assert log["source"].isin(list(got)).all()
    return present


# ---------------------------------------------------------------------- kill -9
def test_kill_import_at_random_points(batch: dict[str, Any], tmp_path: Path) -> None:
    rng = random.Random(SEED)
    env = batch["env"]
    window = max(batch["elapsed"], 2.0)
    seen = set()
    for trial in range(TRIALS):
        store = tmp_path / f"kill{trial}.duckdb"
        shutil.copy(batch["base"], store)
        delay = rng.uniform(0.3, window)
        proc = subprocess.Popen(
            _cli(store, "import", "--on-error", "reject", *batch["files"]),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if trial == 0:
            _check(store, env)  # the CLI, exit 0
        else:
            _check_in_process(store)
        seen.add(_assert_old_or_new(store, batch))
        if trial == TRIALS - 1:
            done = _run(_cli(store, "import", "--on-error", "reject", *batch["files"]), env)
            assert done.returncode == 0, done.stderr
            _assert_same_tables(store, batch["reference"])
    print(f"kill trials (seed {SEED}): files present after each kill: {sorted(seen)}")


# ---------------------------------------------------------------------- disk full
def _limit_file_size(limit: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_disk_full_leaves_the_old_content(batch: dict[str, Any], tmp_path: Path) -> None:
    env = batch["env"]
    store = tmp_path / "full.duckdb"
    shutil.copy(batch["base"], store)
    limit = store.stat().st_size + 256 * 1024
    done = subprocess.run(
        _cli(store, "import", "--on-error", "reject", batch["files"][0]),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size(limit),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    line = _one_line_error(done.stderr)
    assert "rolled back" in line or "nothing was written" in line or "File too large" in line
    _check(store, env)
    assert _assert_old_or_new(store, batch) == 0


# ---------------------------------------------------------------------- locks
HOLD = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
    "con.execute('BEGIN TRANSACTION'); print('ready', flush=True); sys.stdin.read()"
)


def test_locked_store_waits_then_fails_with_one_line(batch: dict[str, Any], tmp_path: Path) -> None:
    env = batch["env"]
    store = tmp_path / "locked.duckdb"
    shutil.copy(batch["base"], store)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        cmd = _cli(store, "--lock-timeout", "1", "import", batch["files"][2])
        done = _run(cmd, env)
        assert done.returncode == 1, done.stdout + done.stderr
        notice, _, error = done.stderr.strip().partition("\n")
        assert "waiting up to 1 s" in notice, done.stderr  # the wait is reported
        line = _one_line_error(error)
        assert "locked" in line and str(store) in line and "--lock-timeout" in line
    finally:
        holder.communicate("", timeout=30)
    _check_in_process(store)
    assert _assert_old_or_new(store, batch) == 0


def test_concurrent_writers(batch: dict[str, Any], tmp_path: Path) -> None:
    env = batch["env"]
    store = tmp_path / "concurrent.duckdb"
    shutil.copy(batch["base"], store)
    first, second = batch["files"][1], batch["files"][3]
    procs = [
        subprocess.Popen(
            _cli(store, "import", path),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (first, second)
    ]
    outcomes = []
    for proc, path in zip(procs, (first, second), strict=True):
        _out, err = proc.communicate(timeout=120)
        outcomes.append((proc.returncode, path))
        # the second writer waits for the first one's lock instead of failing
        assert proc.returncode == 0, err
    _check_in_process(store)
    assert _assert_old_or_new(store, batch) == 2


# ---------------------------------------------------------------------- fetch
class _CoinMetricsMirror(BaseHTTPRequestHandler):
    """Serves the recorded Coin Metrics rows one per page, linked by next_page_url."""

    rows: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        rows = [
            r
            for r in self.rows
            if params.get("start_time", "") <= r["time"][:10] <= params.get("end_time", "9999")
        ]
        offset = int(params.get("next_page_token", "0"))
        body: dict[str, Any] = {"data": rows[offset : offset + 1]}
        if offset + 1 < len(rows):
            params["next_page_token"] = str(offset + 1)
            host, port = self.server.server_address[:2]
            body["next_page_url"] = f"http://{host}:{port}{url.path}?{urlencode(params)}"
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def mirror() -> Iterator[str]:
    payload = json.loads((PAYLOADS / "coinmetrics" / "asset_metrics_btc.json").read_text())
    _CoinMetricsMirror.rows = payload["data"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CoinMetricsMirror)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_kill_fetch_at_random_points(mirror: str, tmp_path: Path) -> None:
    """Each page is one batch with its cursor: a killed fetch keeps whole pages, the
    cursor matches the rows kept, and a rerun resumes to the reference."""
    env = _env(tmp_path, ALTSEASON_COINMETRICS_BASE_URL=mirror)
    fetch = ("fetch", "coinmetrics", "--assets", "BTC")
    # the reference: the same fetch in this process (same settings, no rate-limit waits)
    reference = tmp_path / "reference.duckdb"
    settings = load_settings(env)
    with Store(reference) as s:
        client = HttpClient(settings, sleep=lambda _: None)
        [result] = fetch_sources(
            s, ["coinmetrics"], assets=["BTC"], settings=settings, client=client
        )
        client.close()
    assert result.batches == 7  # one per page
    elapsed = 4.0 + 7 * 60 / 90  # start-up plus the connector's rate limit
    ref = _rows(reference, "onchain")
    ref_dates = sorted(ref["date"].unique())
    assert len(ref_dates) == 7
    per_date = ref.groupby("date").size()
    rng = random.Random(SEED + 1)
    store = tmp_path / "killed.duckdb"
    proc = subprocess.Popen(
        _cli(store, *fetch), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(rng.uniform(0.5, max(elapsed, 1.0)))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    if store.exists():
        _check(store, env)
        got = _rows(store, "onchain")
        dates = sorted(got["date"].unique())
        assert dates == ref_dates[: len(dates)]  # whole pages, in order
        assert (got.groupby("date").size() == per_date[dates]).all()  # no half page
        cursor = _rows(store, "fetch_state")
        if dates:
            assert cursor["cursor"].tolist() == [pd.Timestamp(dates[-1]).date().isoformat()]
        else:
            assert cursor.empty
    done = _run(_cli(store, *fetch), env)
    assert done.returncode == 0, done.stdout + done.stderr
    pd.testing.assert_frame_equal(_rows(store, "onchain"), ref, obj="onchain after rerun")
    cursors = [_rows(p, "fetch_state").drop(columns=["updated_at"]) for p in (store, reference)]
    pd.testing.assert_frame_equal(*cursors, obj="fetch_state")
