"""Issue 15 (files): hostile inputs to ``altseason import``, each reproduced and held.

* a tiny ``.zstd`` bundle that decompresses to hundreds of MiB stops at the
  decompressed cap or the JSON element cap, with bounded memory (measured in a
  subprocess with ``resource.getrusage``);
* a 5-million-row CSV over the import size cap is refused before it is read,
  with an error naming the file and ``ALTSEASON_IMPORT_MAX_MB``;
* a corrupt zstd header names the file;
* unreadable files and folders (mode 000), FIFOs and devices are reported with
  their path: never "internal error", never "no such file", never skipped;
* after each, the store is unchanged.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

from altseason.config import Limits
from altseason.exceptions import AltseasonError, FormatError, ValidationError
from altseason.sources.files import import_files
from altseason.sources.files._open import MAX_JSON_ELEMENT_CHARS, open_decompressed
from altseason.store import Store

MIB = 1024 * 1024
#: Peak resident memory allowed for a subprocess refusing a hostile file. The
#: interpreter with pandas, DuckDB and altseason imported takes ~250 MiB; the
#: review saw 2.8-3 GiB for the same inputs.
RSS_LIMIT_MIB = 700


def _zstd(path: Path, head: bytes, filler: bytes, total: int, tail: bytes = b"") -> Path:
    """Write ``head + filler*k + tail`` (``total`` bytes decompressed) as zstd, streaming."""
    cctx = zstandard.ZstdCompressor(level=3)
    with path.open("wb") as fh, cctx.stream_writer(fh) as w:
        w.write(head)
        block = filler * (MIB // len(filler))
        for _ in range(total // len(block)):
            w.write(block)
        w.write(tail)
    return path


def _snapshot(store_path: Path) -> dict[str, int]:
    with Store(store_path) as s:
        tables = [r[0] for r in s.con.execute("SHOW TABLES").fetchall()]
        return {t: s.count(t) for t in tables}


def _import_in_subprocess(store: Path, target: Path, env: dict[str, str]) -> tuple[str, int]:
    """Import ``target`` in a fresh interpreter; returns (error text, peak RSS in MiB)."""
    code = textwrap.dedent(
        f"""
        import resource, sys
        from altseason.exceptions import AltseasonError
        from altseason.sources.files import import_files
        from altseason.store import Store
        with Store({str(store)!r}) as s:
            try:
                import_files(s, [{str(target)!r}])
                msg = "imported"
            except AltseasonError as exc:
                msg = str(exc)
        print(msg)
        # VmHWM is this program's own peak (reset by exec); ru_maxrss would include the
        # forking pytest worker's memory, which Linux carries across exec.
        try:
            with open("/proc/self/status") as fh:
                hwm = [ln for ln in fh if ln.startswith("VmHWM:")][0]
            print(int(hwm.split()[1]) // 1024)
        except (OSError, IndexError):
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    msg, rss = run.stdout.strip().rsplit("\n", 1)
    return msg, int(rss)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    with Store(path):
        pass
    return path


# ---------------------------------------------------------------------- bombs
def test_zstd_bomb_with_one_endless_value_stops_at_the_element_cap(
    tmp_path: Path, store_path: Path
) -> None:
    bomb = _zstd(tmp_path / "coingecko.json.zstd", b'[{"id":{"id":"', b"A", 512 * MIB, b'"}}]')
    assert bomb.stat().st_size < 256 * 1024  # the review's was 64 KB
    before = _snapshot(store_path)
    msg, rss = _import_in_subprocess(store_path, bomb, {})
    assert str(bomb) in msg and f"larger than {MAX_JSON_ELEMENT_CHARS // MIB} MiB" in msg, msg
    assert rss < RSS_LIMIT_MIB, f"peak RSS {rss} MiB"
    assert _snapshot(store_path) == before


def test_zstd_bomb_stops_at_the_decompressed_cap(tmp_path: Path, store_path: Path) -> None:
    bomb = _zstd(tmp_path / "coingecko.json.zstd", b'[{"id":{"id":"btc"}} ', b" ", 256 * MIB)
    before = _snapshot(store_path)
    msg, rss = _import_in_subprocess(
        store_path, bomb, {"ALTSEASON_IMPORT_MAX_DECOMPRESSED_MB": "16"}
    )
    assert str(bomb) in msg, msg
    assert "decompresses to more than 16 MiB (ALTSEASON_IMPORT_MAX_DECOMPRESSED_MB)" in msg
    assert rss < RSS_LIMIT_MIB, f"peak RSS {rss} MiB"
    assert _snapshot(store_path) == before


def test_decompressed_cap_counts_every_byte(tmp_path: Path) -> None:
    small = _zstd(tmp_path / "x.zst", b"", b"z", 3 * MIB)
    with open_decompressed(small, Limits(import_max_decompressed_bytes=3 * MIB)) as fh:
        assert len(fh.read(4 * MIB)) == 3 * MIB  # exactly at the cap: fine
    with (
        open_decompressed(small, Limits(import_max_decompressed_bytes=3 * MIB - 1)) as fh,
        pytest.raises(ValidationError, match="decompresses to more than"),
    ):
        fh.read(4 * MIB)


def test_five_million_row_csv_is_refused_before_reading(tmp_path: Path, store_path: Path) -> None:
    big = tmp_path / "BTCUSDT-1d.csv"
    with big.open("w") as fh:
        fh.write("date,asset_id,close\n")
        fh.writelines("2024-01-01,BTC,1.5\n" for _ in range(5_000_000))
    assert big.stat().st_size > 32 * MIB
    before = _snapshot(store_path)
    msg, rss = _import_in_subprocess(store_path, big, {})
    assert str(big) in msg and "ALTSEASON_IMPORT_MAX_MB" in msg and "over the import limit" in msg
    assert rss < RSS_LIMIT_MIB, f"peak RSS {rss} MiB"
    assert _snapshot(store_path) == before


def test_corrupt_zstd_header_names_the_file(tmp_path: Path, store_path: Path) -> None:
    bad = tmp_path / "coingecko.json.zstd"
    bad.write_bytes(b"\x28\xb5\x2f\xfd" + b"\xff" * 64)
    before = _snapshot(store_path)
    with Store(store_path) as s, pytest.raises(FormatError) as info:
        import_files(s, [bad])
    assert str(bad) in str(info.value) and "zstd" in str(info.value)
    assert _snapshot(store_path) == before


# ---------------------------------------------------------------------- odd files
@pytest.fixture
def posix_permissions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make mode-000 paths unreadable also for root (who bypasses permission bits),
    so the test exercises what a normal user meets."""
    if os.geteuid() != 0:
        yield
        return
    real_open, real_scandir = os.open, os.scandir

    def denied(path: Any) -> bool:
        try:
            return stat.S_IMODE(os.stat(path).st_mode) & 0o444 == 0
        except OSError:
            return False

    def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if denied(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    def fake_scandir(path: Any = ".") -> Any:
        if denied(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    yield


def _import_error(store_path: Path, target: Path) -> str:
    before = _snapshot(store_path)
    with Store(store_path) as s, pytest.raises(AltseasonError) as info:
        import_files(s, [target])
    assert _snapshot(store_path) == before
    text = str(info.value)
    assert str(target) in text or target.name in text
    assert "internal error" not in text and "no such file" not in text
    return text


def test_mode_000_file_is_reported(
    tmp_path: Path, store_path: Path, posix_permissions: None
) -> None:
    f = tmp_path / "prices.csv"
    f.write_text("date,asset_id,close\n2024-01-01,BTC,1\n")
    f.chmod(0)
    try:
        assert "permission denied" in _import_error(store_path, f)
    finally:
        f.chmod(0o644)


def test_unreadable_subfolder_is_reported_not_skipped(
    tmp_path: Path, store_path: Path, posix_permissions: None
) -> None:
    top = tmp_path / "data"
    (top / "locked").mkdir(parents=True)
    (top / "ok.csv").write_text("date,asset_id,close\n2024-01-01,BTC,1\n")
    (top / "locked" / "hidden.csv").write_text("date,asset_id,close\n2024-01-01,ETH,1\n")
    (top / "locked").chmod(0)
    try:
        text = _import_error(store_path, top)
        assert "locked" in text and "permission denied" in text
    finally:
        (top / "locked").chmod(0o755)


def test_fifo_is_reported_as_a_fifo(tmp_path: Path, store_path: Path) -> None:
    fifo = tmp_path / "prices.csv"
    os.mkfifo(fifo)
    assert "named pipe (FIFO)" in _import_error(store_path, fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    os.mkfifo(folder / "pipe.csv")
    assert "named pipe (FIFO) inside the folder" in _import_error(store_path, folder)


def test_device_is_reported_as_a_device(store_path: Path) -> None:
    assert "a device" in _import_error(store_path, Path("/dev/null"))


def test_cli_reports_fifo_and_missing_file_plainly(tmp_path: Path) -> None:
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    env = {**os.environ, "ALTSEASON_HOME": str(tmp_path), "COLUMNS": "300"}
    for target, expected in ((fifo, "named pipe (FIFO)"), (tmp_path / "nope.csv", "no such")):
        run = subprocess.run(
            [sys.executable, "-m", "altseason", "import", str(target)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        out = run.stdout + run.stderr
        assert run.returncode == 1, out
        assert expected in out and str(target) in out and "internal error" not in out, out
