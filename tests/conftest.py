"""Shared fixtures.

* Every test is offline: an autouse fixture refuses any socket connection
  that is not to this machine (loopback), so a connector that forgot its
  mock transport fails loudly instead of reaching the internet.
* ``real_data`` points at ``../shared/data/real``. Without it the test is
  skipped with the reason; with ``ALTSEASON_REQUIRE_REAL_DATA=1`` (set by
  ``.ci/run``) the missing folder is a failure instead.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = Path(os.environ.get("ALTSEASON_REAL_DATA", REPO.parent / "shared" / "data" / "real"))


def _require(flag: str) -> bool:
    return os.environ.get(flag, "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str, flag: str) -> None:
    """Skip with ``reason``, or fail when the CI flag ``flag`` is set."""
    if _require(flag):
        pytest.fail(f"{reason} ({flag}=1 turns this skip into a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real datasets (``../shared/data/real``)."""
    if not REAL_DATA.is_dir():
        skip_or_fail(
            f"real datasets not found at {REAL_DATA}: clone the project next to shared/ "
            "or set ALTSEASON_REAL_DATA",
            "ALTSEASON_REQUIRE_REAL_DATA",
        )
    return REAL_DATA


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
    else:
        return isinstance(address, (str, bytes))  # AF_UNIX sockets are local
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise RuntimeError(f"network access blocked in tests: {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_local(address):
            raise RuntimeError(f"network access blocked in tests: {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


@pytest.fixture
def store(tmp_path: Path) -> Iterator[object]:
    """A fresh on-disk store in a temporary folder."""
    from altseason.store import Store

    s = Store(tmp_path / "store.duckdb")
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ALTSEASON_HOME for CLI tests."""
    h = tmp_path / "home"
    monkeypatch.setenv("ALTSEASON_HOME", str(h))
    monkeypatch.delenv("ALTSEASON_STORE", raising=False)
    return h
