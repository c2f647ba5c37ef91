"""File import: built-in readers for real-world crypto data files, plus generic CSV/Parquet.

Every reader has a ``name``, a ``detect(path, head)`` rule (header and
content, the file name only to break ties) and ``read(path, options) ->
ReadResult``. :func:`import_files` detects each file's format, reads it,
validates it (:mod:`altseason.sources._validate`) and writes it through one
atomic :meth:`~altseason.store.Store.ingest` per file, with ``dataset`` = the
file path and ``source`` = ``file:<format>:<file name>``.

See :data:`READERS` for the formats and the reader modules' docstrings for
their rules (units, asset ids, snapshot times, ETF totals and non-trading
days). CoinGecko categories map to sectors with
:func:`altseason.universe.sector_from_coingecko_categories`.
"""

from altseason.sources.files._base import Reader, ReadOptions, ReadResult, base_asset
from altseason.sources.files._etf import FUND_UNDERLYING, is_total_fund, total_fund
from altseason.sources.files._import import (
    FileReport,
    ImportSummary,
    import_file,
    import_files,
    list_files,
    plan_files,
    read_file,
)
from altseason.sources.files._prices import cmc_asset_ids
from altseason.sources.files._registry import READERS, detect_format, get_reader

__all__ = [
    "FUND_UNDERLYING",
    "READERS",
    "FileReport",
    "ImportSummary",
    "ReadOptions",
    "ReadResult",
    "Reader",
    "base_asset",
    "cmc_asset_ids",
    "detect_format",
    "get_reader",
    "import_file",
    "import_files",
    "is_total_fund",
    "list_files",
    "plan_files",
    "read_file",
    "total_fund",
]
