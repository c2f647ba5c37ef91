"""Opening a store another process holds: a bounded, reported wait; release and reopen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from altseason.exceptions import StoreError, StoreLockedError
from altseason.store import Store

HOLD = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
    "print('ready', flush=True); sys.stdin.readline(); con.close(); print('done', flush=True)"
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "s.duckdb"
    Store(p).close()
    return p


def _holder(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("read_only", [True, False])
def test_wait_is_reported_and_bounded(path: Path, read_only: bool) -> None:
    holder = _holder(path)
    messages: list[str] = []
    try:
        with pytest.raises(StoreLockedError, match="--lock-timeout") as exc:
            Store(path, read_only=read_only, lock_timeout=0.3, on_wait=messages.append)
        assert str(path) in str(exc.value)
        assert f"process {holder.pid}" in str(exc.value)  # names who holds it
        assert len(messages) == 1 and "waiting up to 0.3 s" in messages[0]
    finally:
        holder.communicate("\n", timeout=30)


def test_waiter_gets_the_store_once_the_holder_lets_go(path: Path) -> None:
    code = (
        "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); "
        "print('ready', flush=True); time.sleep(1.0); con.close(); time.sleep(30)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    messages: list[str] = []
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with Store(path, lock_timeout=30, on_wait=messages.append) as s:
            assert s.count("prices") == 0
        assert len(messages) == 1 and "busy" in messages[0]
        assert holder.poll() is None  # the holder only released, did not exit
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_release_gives_up_the_lock_and_reopens(path: Path) -> None:
    writer = Store(path)
    writer.count("prices")
    assert writer.is_open
    writer.release()
    assert not writer.is_open
    # another process can now open the file for writing
    code = "import sys, duckdb; duckdb.connect(sys.argv[1]).close()"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert writer.count("prices") == 0 and writer.is_open  # reopened on use
    writer.close()
    with pytest.raises(StoreError, match="closed"):
        writer.count("prices")


def test_create_false_refuses_a_missing_store(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "s.duckdb"
    with pytest.raises(StoreError, match="--create"):
        Store(target, create=False)
    assert not target.parent.exists()
    Store(target).close()  # the default creates it
    assert target.exists()


BUSY_READER = (
    "import sys, time\n"
    "import altseason.store._store as m\n"
    "m.READER_YIELD = float(sys.argv[2])\n"
    "s = m.Store(sys.argv[1], read_only=True, lock_timeout=60)\n"
    "print('ready', flush=True)\n"
    "end = time.monotonic() + 12\n"
    "while time.monotonic() < end:  # back-to-back requests, as a loaded dashboard\n"
    "    s.count('prices'); time.sleep(0.2); s.release(); time.sleep(0.01)\n"
)


def _busy_readers(path: Path, yield_s: str) -> list[subprocess.Popen[str]]:
    """Two reader processes whose short reads overlap: the file is never free."""
    readers = []
    for _ in range(2):
        r = subprocess.Popen(
            [sys.executable, "-c", BUSY_READER, str(path), yield_s],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert r.stdout is not None and r.stdout.readline().strip() == "ready"
        readers.append(r)
    return readers


def test_busy_readers_do_not_starve_a_writer(path: Path) -> None:
    readers = _busy_readers(path, "5")
    try:
        with Store(path, lock_timeout=8) as s:
            assert s.count("prices") == 0
        assert not path.with_name(path.name + ".writer-waiting").exists()  # mark removed
    finally:
        for r in readers:
            r.kill()
            r.wait(timeout=30)


def test_readers_yield_only_to_a_fresh_wait_mark(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    import altseason.store._store as store_module

    sleeps: list[float] = []
    monkeypatch.setattr(store_module.time, "sleep", sleeps.append)
    flag = path.with_name(path.name + ".writer-waiting")
    flag.touch()
    stale = time.time() - 60
    os.utime(flag, (stale, stale))
    Store(path, read_only=True).close()
    assert sleeps == []  # a stale mark (its writer is gone) is ignored
    flag.touch()
    now = [time.monotonic()]

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(store_module.time, "sleep", fake_sleep)
    monkeypatch.setattr(store_module.time, "monotonic", lambda: now[0])
    Store(path, read_only=True, lock_timeout=2).close()
    assert sleeps and sum(sleeps) >= 2 - 0.05  # yielded, but only up to the timeout
