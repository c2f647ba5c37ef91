"""The altseason exception tree.

Every error altseason raises on purpose derives from :class:`AltseasonError`, so
callers can catch one type. Messages say what was wrong, where (file, row,
column, URL, table) and how to fix it.

::

    AltseasonError
     ├── ConfigError          bad settings or environment values
     ├── ValidationError      input data that fails a check (file, line, column)
     │    └── FormatError     a file whose format is unknown or ambiguous
     ├── StoreError           the DuckDB warehouse cannot be opened, migrated or written
     │    └── StoreLockedError  another process holds the store
     ├── SourceError          a data provider failed or answered in an unexpected shape
     │    ├── RateLimitError  the provider kept answering 429 after the retries
     │    └── RegionBlockedError  the provider refuses this region (HTTP 451)
     ├── DataUnavailableError  the store lacks the data an analysis needs
     ├── StrategyError        invalid strategy parameters, weights or leverage
     └── ReportError          a report or chart could not be produced
"""

from __future__ import annotations

__all__ = [
    "AltseasonError",
    "ConfigError",
    "DataUnavailableError",
    "FormatError",
    "RateLimitError",
    "RegionBlockedError",
    "ReportError",
    "SourceError",
    "StoreError",
    "StoreLockedError",
    "StrategyError",
    "ValidationError",
]


class AltseasonError(Exception):
    """Root of every error altseason raises on purpose."""


class ConfigError(AltseasonError):
    """A setting or environment value is invalid."""


class ValidationError(AltseasonError):
    """Input data failed a check.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    path, line, column
        Where the problem is, when known. ``line`` is 1-based and counts the
        header line, as an editor shows it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.reason = message


class FormatError(ValidationError):
    """A file's format is unknown, ambiguous or not what was asked for."""


class StoreError(AltseasonError):
    """The warehouse cannot be opened, migrated, read or written."""


class StoreLockedError(StoreError):
    """Another process holds a write lock on the store."""


class SourceError(AltseasonError):
    """A data provider failed or answered in an unexpected shape.

    ``url`` never contains an API key: connectors scrub it before raising.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        self.url = url
        self.status = status
        parts = [message]
        if url:
            parts.append(f"(URL: {url}")
            parts[-1] += f", HTTP {status})" if status is not None else ")"
        elif status is not None:
            parts.append(f"(HTTP {status})")
        super().__init__(" ".join(parts))


class RateLimitError(SourceError):
    """The provider kept answering HTTP 429 after all retries."""


class RegionBlockedError(SourceError):
    """The provider refuses requests from this region (HTTP 451)."""


class DataUnavailableError(AltseasonError):
    """The store lacks the data an analysis needs; the message names the fix."""


class StrategyError(AltseasonError):
    """Invalid strategy parameters, target weights or leverage."""


class ReportError(AltseasonError):
    """A report, chart or rendering step failed."""
