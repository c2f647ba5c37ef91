"""The DuckDB warehouse: schema, migrations, idempotent upserts, reads, provenance."""

from altseason.store._check import CheckReport, Problem, check_store
from altseason.store._conflicts import TOLERANCES, nyse_holidays
from altseason.store._rules import DATE_FLOORS
from altseason.store._schema import DATA_TABLES, SCHEMA_VERSION, TABLES, Column, TableSpec
from altseason.store._sources import KIND_ORDER, rank_sources, source_kind
from altseason.store._store import (
    PRICE_FIELDS,
    IngestResult,
    Reject,
    Store,
    TableStatus,
    open_store,
    utcnow,
)

__all__ = [
    "DATA_TABLES",
    "DATE_FLOORS",
    "KIND_ORDER",
    "PRICE_FIELDS",
    "SCHEMA_VERSION",
    "TABLES",
    "TOLERANCES",
    "CheckReport",
    "Column",
    "IngestResult",
    "Problem",
    "Reject",
    "Store",
    "TableSpec",
    "TableStatus",
    "check_store",
    "nyse_holidays",
    "open_store",
    "rank_sources",
    "source_kind",
    "utcnow",
]
