"""The DuckDB warehouse: schema, migrations, idempotent upserts, reads, provenance."""

from altseason.store._check import CheckReport, Problem, check_store
from altseason.store._schema import DATA_TABLES, SCHEMA_VERSION, TABLES, Column, TableSpec
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
    "PRICE_FIELDS",
    "SCHEMA_VERSION",
    "TABLES",
    "CheckReport",
    "Column",
    "IngestResult",
    "Problem",
    "Reject",
    "Store",
    "TableSpec",
    "TableStatus",
    "check_store",
    "open_store",
    "utcnow",
]
