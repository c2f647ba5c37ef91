"""Opening input files safely: what may be read, how much, and errors that name the file.

Every reader reaches a file through these checks (hooks in
:mod:`altseason.sources.files._base` and :func:`~altseason.sources.files.list_files`):

* :func:`check_input_file`: the path must be a readable regular file. A
  missing file, a file or folder without read permission, a named pipe
  (FIFO), a device or a socket each give a :class:`ValidationError` naming
  the path and the fix, never "internal error" and never a silent skip.
* :func:`check_import_size`: no import reads a file larger than
  ``Limits.import_max_bytes`` (``ALTSEASON_IMPORT_MAX_MB``, default 2 GiB).
  Readers that load a whole file (most CSV and JSON formats) also refuse one
  larger than ``Limits.import_max_inmemory_bytes``
  (``ALTSEASON_IMPORT_MAX_INMEMORY_MB``, default 32 MiB) before reading it:
  such a reader peaks at roughly 30 times the file size (text, parsed frame,
  validation and merge copies; measured: a 21 MB CSV of one million rows
  peaked at 760 MiB RSS, 150 MiB of it the interpreter), so that default
  bounds an import near 1 GiB. Streaming readers (Binance klines CSV, a generic
  CSV with ``--map``, the zstd/JSON category bundle) read in chunks and are bounded by the file cap
  and the next two limits instead.
* :func:`open_decompressed`: a zstd or gzip stream is decompressed through a
  counter that stops at ``Limits.import_max_decompressed_bytes``
  (``ALTSEASON_IMPORT_MAX_DECOMPRESSED_MB``); a corrupt zstd or gzip header or
  frame names the file.
* :data:`MAX_JSON_ELEMENT_CHARS`: the streaming JSON reader refuses a single
  array element larger than this (a decompression bomb of one endless value).
* :func:`walk_folder`: folders are walked with errors raised, not swallowed:
  an unreadable subfolder, a FIFO or a device inside a folder is reported.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from altseason.config import Limits, limit_variable, load_limits
from altseason.exceptions import FormatError, ValidationError

__all__ = [
    "GZIP_MAGIC",
    "MAX_JSON_ELEMENT_CHARS",
    "STREAMING_FORMATS",
    "ZSTD_MAGIC",
    "check_import_size",
    "check_input_file",
    "current_limits",
    "open_decompressed",
    "walk_folder",
]

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
MAX_JSON_ELEMENT_CHARS = 64 * 1024 * 1024
"""Largest single element of a streamed JSON array (characters)."""

_MIB = 1024 * 1024


def current_limits() -> Limits:
    """The import limits from the environment (``ALTSEASON_IMPORT_*``)."""
    return load_limits()


def _kind(mode: int) -> str | None:
    """What a non-regular, non-folder file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _permission_error(path: Path, folder: bool = False) -> ValidationError:
    what = "folder" if folder else "file"
    return ValidationError(
        f"permission denied: this user cannot read the {what}; fix its permissions "
        f"(e.g. chmod u+r{'x' if folder else ''}) or run as its owner",
        path=str(path),
    )


def _can_open(path: Path) -> bool:
    """True when ``path`` opens for reading (never blocks: O_NONBLOCK)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except PermissionError:
        return False
    os.close(fd)
    return True


def check_input_file(path: Path) -> os.stat_result:
    """The ``stat`` of ``path`` once it is known to be a readable regular file.

    Raises
    ------
    ValidationError
        Missing, unreadable (permissions), a FIFO, a device, a socket or a
        folder; the message names the path and the fix.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ValidationError("no such file; check the path", path=str(path)) from None
    except PermissionError:
        raise ValidationError(
            "permission denied: a folder on the way to the file cannot be entered; fix "
            "its permissions (chmod u+rx)",
            path=str(path),
        ) from None
    except OSError as exc:
        raise ValidationError(
            f"cannot read the file: {exc.strerror or exc}", path=str(path)
        ) from None
    kind = _kind(st.st_mode)
    if kind is not None:
        raise ValidationError(
            f"{kind}, not a regular file; altseason imports regular files only: save the "
            "data to a file and import that",
            path=str(path),
        )
    if stat.S_ISDIR(st.st_mode):
        raise ValidationError("a folder, not a file; pass the folder to import", path=str(path))
    if not _can_open(path):
        raise _permission_error(path)
    return st


STREAMING_FORMATS = "Binance klines CSV, plain, gzip or zstd; a generic CSV imported with --map"
"""The CSV formats read in chunks, named in the size errors."""


def check_import_size(path: Path, limits: Limits | None = None, *, whole: bool = True) -> int:
    """Refuse a file over the import limits before it is read; returns its size.

    ``whole``: the reader loads the whole file (the in-memory cap applies too);
    streaming readers pass False and are bounded by the file cap only.
    """
    st = check_input_file(path)
    lim = limits or current_limits()
    cap = lim.import_max_bytes
    if st.st_size > cap:
        raise ValidationError(
            f"the file is {st.st_size / _MIB:,.1f} MiB, over the import limit of "
            f"{cap / _MIB:,.0f} MiB ({limit_variable('import_max_bytes')}); split it into "
            "smaller files, or raise the limit",
            path=str(path),
        )
    mem = lim.import_max_inmemory_bytes
    if whole and st.st_size > mem:
        raise ValidationError(
            f"the file is {st.st_size / _MIB:,.1f} MiB, over the import limit of "
            f"{mem / _MIB:,.0f} MiB for formats read whole "
            f"({limit_variable('import_max_inmemory_bytes')}; such a reader needs about 30x "
            "the file size in memory). Split it into smaller files, raise that limit if the "
            "machine has the memory, or export it in a streamed format "
            f"({STREAMING_FORMATS}), which is read in chunks up to "
            f"{cap / _MIB:,.0f} MiB ({limit_variable('import_max_bytes')})",
            path=str(path),
        )
    return int(st.st_size)


class _Capped:
    """A binary stream that raises once more than ``cap`` bytes came out of it."""

    def __init__(self, stream: Any, cap: int, path: Path, raw_file: Any = None) -> None:
        self.stream = stream
        self.raw_file = raw_file  # the compressed file, whose position tells progress
        self.cap = cap
        self.path = path
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        import zlib

        import zstandard

        if n is None or n < 0:  # read all: in blocks, so the cap stops a bomb early
            parts = []
            while block := self.read(1 << 20):
                parts.append(block)
            return b"".join(parts)
        try:
            data: bytes = self.stream.read(n)
        except zstandard.ZstdError as exc:
            raise FormatError(
                f"corrupt zstd data ({exc}); the file is damaged or not zstd-compressed, "
                "download it again",
                path=str(self.path),
            ) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(
                f"corrupt gzip data ({exc}); the file is damaged or truncated, download it again",
                path=str(self.path),
            ) from None
        self.count += len(data)
        if self.count > self.cap:
            raise ValidationError(
                f"the file decompresses to more than {self.cap / _MIB:,.0f} MiB "
                f"({limit_variable('import_max_decompressed_bytes')}); stopped reading. A "
                "real bundle is far smaller: the file is corrupt or a decompression bomb",
                path=str(self.path),
            )
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """Closing is the opener's business (:func:`open_decompressed`)."""

    @property
    def closed(self) -> bool:
        return False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            block = self.read(1 << 20)
            if not block:
                return
            yield block


@contextlib.contextmanager
def open_decompressed(path: Path, limits: Limits | None = None) -> Iterator[IO[bytes]]:
    """``path`` opened for reading, zstd or gzip decompressed when it starts with
    that format's magic, with the decompressed size capped (module docstring)."""
    import gzip

    import zstandard

    check_input_file(path)
    cap = (limits or current_limits()).import_max_decompressed_bytes
    with path.open("rb") as fh:
        magic = fh.read(4)
        fh.seek(0)
        if magic.startswith(GZIP_MAGIC):
            with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                yield _Capped(gz, cap, path, fh)  # type: ignore[misc]
            return
        if magic != ZSTD_MAGIC:
            yield fh
            return
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(fh)
        except zstandard.ZstdError as exc:
            raise FormatError(f"corrupt zstd header ({exc})", path=str(path)) from None
        with reader:
            yield _Capped(reader, cap, path, fh)  # type: ignore[misc]


def walk_folder(folder: Path) -> Iterator[Path]:
    """Every file under ``folder`` (recursively, hidden entries skipped), raising
    on an unreadable subfolder and on FIFOs, devices and sockets."""

    def fail(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else folder
        if isinstance(exc, PermissionError):
            raise _permission_error(where, folder=True)
        raise ValidationError(f"cannot list the folder: {exc.strerror or exc}", path=str(where))

    if not _can_list(folder):
        raise _permission_error(folder, folder=True)
    for root, dirs, files in os.walk(folder, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for d in dirs:
            if not _can_list(Path(root) / d):
                raise _permission_error(Path(root) / d, folder=True)
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue  # vanished meanwhile
            if stat.S_ISLNK(mode):
                try:
                    mode = path.stat().st_mode
                except OSError:
                    raise ValidationError(
                        "a broken symbolic link; remove it or fix its target", path=str(path)
                    ) from None
            kind = _kind(mode)
            if kind is not None:
                raise ValidationError(
                    f"{kind} inside the folder, not a regular file; move it out of the folder "
                    "(altseason imports regular files only)",
                    path=str(path),
                )
            yield path


def _can_list(folder: Path) -> bool:
    try:
        with os.scandir(folder):
            return True
    except PermissionError:
        return False
