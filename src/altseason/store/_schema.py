"""Table definitions of the warehouse (DESIGN.md, "The store").

Each data table has a natural key and carries ``source`` and ``ingested_at``
on every row. Dates are UTC calendar days (``DATE``); timestamps are UTC
(``TIMESTAMP`` holding UTC wall time).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DATA_TABLES", "SCHEMA_VERSION", "TABLES", "Column", "TableSpec"]

SCHEMA_VERSION = 3


@dataclass(frozen=True)
class Column:
    """One column: name, DuckDB type, nullability, and a unit/meaning note."""

    name: str
    type: str
    nullable: bool = True
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    """A table: its columns, natural key and whether it holds market data."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    data: bool = True
    date_column: str | None = None
    doc: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def stored_key(self) -> tuple[str, ...]:
        """The primary key of the stored rows: the natural key plus ``source``.

        Every source's rows are kept; reads resolve one source per natural key
        (:mod:`altseason.store._sources`).
        """
        return (*self.key, "source")

    @property
    def value_columns(self) -> list[str]:
        """Columns that are neither key nor bookkeeping."""
        return [
            c.name
            for c in self.columns
            if c.name not in self.key and c.name not in ("source", "ingested_at")
        ]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_PROV = (
    Column("source", "VARCHAR", False, "where the row came from (provider, file or 'demo')"),
    Column("ingested_at", "TIMESTAMP", False, "UTC time the row was written"),
)


def _t(
    name: str, key: tuple[str, ...], cols: list[Column], *, date_column: str | None, doc: str
) -> TableSpec:
    return TableSpec(name, tuple(cols) + _PROV, key, True, date_column, doc)


TABLES: dict[str, TableSpec] = {
    "assets": _t(
        "assets",
        ("asset_id",),
        [
            Column(
                "asset_id", "VARCHAR", False, "stable id, upper-case symbol unless disambiguated"
            ),
            Column("symbol", "VARCHAR", False, "ticker as the venue shows it"),
            Column("name", "VARCHAR"),
            Column("sector", "VARCHAR", doc="DESIGN sector"),
            Column("subsector", "VARCHAR"),
            Column("is_stablecoin", "BOOLEAN", False),
            Column("first_date", "DATE"),
            Column("last_date", "DATE"),
        ],
        date_column=None,
        doc="Asset metadata and sector taxonomy.",
    ),
    "prices": _t(
        "prices",
        ("asset_id", "date"),
        [
            Column("asset_id", "VARCHAR", False),
            Column("date", "DATE", False, "UTC day; the close is the 00:00 UTC close"),
            Column("open", "DOUBLE", doc="USD"),
            Column("high", "DOUBLE", doc="USD"),
            Column("low", "DOUBLE", doc="USD"),
            Column("close", "DOUBLE", False, "USD"),
            Column("volume_usd", "DOUBLE", doc="USD traded over the day"),
            Column("market_cap_usd", "DOUBLE", doc="USD"),
        ],
        date_column="date",
        doc="Daily OHLCV, volume and market cap in USD.",
    ),
    "etf_flows": _t(
        "etf_flows",
        ("date", "fund"),
        [
            Column("date", "DATE", False),
            Column("fund", "VARCHAR", False, "ticker, e.g. IBIT"),
            Column("underlying", "VARCHAR", False, "asset id of the underlying, e.g. BTC"),
            Column("flow_usd", "DOUBLE", doc="net creation (+) / redemption (-) in USD"),
            Column("holdings_units", "DOUBLE", doc="units of the underlying held at the close"),
            Column("aum_usd", "DOUBLE", doc="assets under management in USD"),
        ],
        date_column="date",
        doc="Spot ETF daily flows by fund.",
    ),
    "options": _t(
        "options",
        ("snapshot_ts", "venue", "instrument"),
        [
            Column("snapshot_ts", "TIMESTAMP", False, "UTC time of the snapshot"),
            Column("venue", "VARCHAR", False),
            Column("instrument", "VARCHAR", False, "e.g. BTC-26DEC25-100000-C"),
            Column("underlying", "VARCHAR", False),
            Column("expiry", "TIMESTAMP", False, "UTC expiry (Deribit: 08:00 UTC)"),
            Column("strike", "DOUBLE", False, "USD"),
            Column("kind", "VARCHAR", False, "C or P"),
            Column("open_interest", "DOUBLE", doc="contracts, in underlying units"),
            Column("mark_iv", "DOUBLE", doc="implied vol, decimal (0.55 = 55%)"),
            Column("underlying_price", "DOUBLE", doc="USD forward/index used by the venue"),
            Column("mark_price", "DOUBLE", doc="premium in units of the underlying (inverse)"),
            Column("volume", "DOUBLE", doc="24h volume in contracts"),
        ],
        date_column="snapshot_ts",
        doc="Option chain snapshots.",
    ),
    "funding": _t(
        "funding",
        ("ts", "venue", "instrument"),
        [
            Column("ts", "TIMESTAMP", False, "UTC funding time"),
            Column("venue", "VARCHAR", False),
            Column("instrument", "VARCHAR", False),
            Column("asset_id", "VARCHAR", False),
            Column(
                "rate",
                "DOUBLE",
                doc="funding rate per interval, decimal; NULL on rows "
                "that only carry open interest",
            ),
            Column(
                "interval_hours", "DOUBLE", doc="hours the rate covers (8, or 24 for a daily sum)"
            ),
            Column("open_interest_usd", "DOUBLE", doc="perp open interest in USD, when known"),
        ],
        date_column="ts",
        doc="Perpetual funding rates (and open interest when the source has it).",
    ),
    "onchain": _t(
        "onchain",
        ("date", "asset_id", "metric"),
        [
            Column("date", "DATE", False),
            Column("asset_id", "VARCHAR", False),
            Column(
                "metric",
                "VARCHAR",
                False,
                "realized_cap_usd, mvrv, supply, realized_price_usd, ...",
            ),
            Column("value", "DOUBLE", False),
        ],
        date_column="date",
        doc="On-chain metrics, long format.",
    ),
    "macro": _t(
        "macro",
        ("date", "series_id"),
        [
            Column("date", "DATE", False),
            Column("series_id", "VARCHAR", False, "FRED id or GOLD, SILVER, SPX, ..."),
            Column("value", "DOUBLE", False),
        ],
        date_column="date",
        doc="Macro and cross-asset series, long format.",
    ),
    "sentiment": _t(
        "sentiment",
        ("date", "index_id"),
        [
            Column("date", "DATE", False),
            Column("index_id", "VARCHAR", False, "e.g. fear_greed"),
            Column("value", "DOUBLE", False),
            Column("label", "VARCHAR"),
        ],
        date_column="date",
        doc="Sentiment indices.",
    ),
    "events": _t(
        "events",
        ("event_id",),
        [
            Column("event_id", "VARCHAR", False),
            Column("date", "DATE", False),
            Column("title", "VARCHAR", False),
            Column("category", "VARCHAR"),
            Column("jurisdiction", "VARCHAR"),
            Column("description", "VARCHAR"),
            Column("url", "VARCHAR"),
        ],
        date_column="date",
        doc="Regulatory and market events.",
    ),
}

DATA_TABLES: tuple[str, ...] = tuple(TABLES)

# Bookkeeping tables (not market data; no source/ingested_at convention).
BOOKKEEPING_DDL: dict[str, str] = {
    "schema_meta": """
        CREATE TABLE IF NOT EXISTS schema_meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        )""",
    "ingest_log": """
        CREATE TABLE IF NOT EXISTS ingest_log (
            run_id VARCHAR NOT NULL,
            dataset VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            rows_in BIGINT NOT NULL DEFAULT 0,
            rows_written BIGINT NOT NULL DEFAULT 0,
            rows_rejected BIGINT NOT NULL DEFAULT 0,
            status VARCHAR NOT NULL,
            error VARCHAR,
            PRIMARY KEY (run_id, dataset)
        )""",
    "rejects": """
        CREATE TABLE IF NOT EXISTS rejects (
            run_id VARCHAR NOT NULL,
            dataset VARCHAR NOT NULL,
            seq BIGINT NOT NULL,
            source VARCHAR NOT NULL,
            location VARCHAR,
            line BIGINT,
            column_name VARCHAR,
            reason VARCHAR NOT NULL,
            raw VARCHAR,
            rejected_at TIMESTAMP NOT NULL,
            PRIMARY KEY (run_id, dataset, seq)
        )""",
    "sources": """
        CREATE TABLE IF NOT EXISTS sources (
            source VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            format VARCHAR,
            path VARCHAR,
            content_hash VARCHAR,
            first_seen TIMESTAMP NOT NULL,
            last_seen TIMESTAMP NOT NULL
        )""",
    "conflicts": """
        CREATE TABLE IF NOT EXISTS conflicts (
            dataset VARCHAR NOT NULL,
            asset VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            date DATE NOT NULL,
            field VARCHAR NOT NULL,
            source_a VARCHAR NOT NULL,
            source_b VARCHAR NOT NULL,
            value_a DOUBLE,
            value_b DOUBLE,
            rel_diff DOUBLE,
            kind VARCHAR NOT NULL,
            note VARCHAR,
            detected_at TIMESTAMP NOT NULL,
            PRIMARY KEY (dataset, key, date, field, source_a, source_b)
        )""",
    "preferences": """
        CREATE TABLE IF NOT EXISTS preferences (
            value VARCHAR PRIMARY KEY,
            set_at TIMESTAMP NOT NULL
        )""",
    "fetch_state": """
        CREATE TABLE IF NOT EXISTS fetch_state (
            source VARCHAR NOT NULL,
            dataset VARCHAR NOT NULL,
            key VARCHAR NOT NULL,
            cursor VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL,
            PRIMARY KEY (source, dataset, key)
        )""",
}


def create_table_sql(spec: TableSpec) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a data table, with its primary key."""
    cols = ",\n    ".join(
        f"{c.name} {c.type}{'' if c.nullable else ' NOT NULL'}" for c in spec.columns
    )
    return (
        f"CREATE TABLE IF NOT EXISTS {spec.name} (\n    {cols},\n"
        f"    PRIMARY KEY ({', '.join(spec.stored_key)})\n)"
    )
