"""Integrity check of a store: unique keys, no orphans, a consistent ingest log.

``altseason check`` runs :func:`check_store`; fault-injection tests run it
after killing an import or fetch mid-way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from altseason.store._rules import rule_violations
from altseason.store._schema import TABLES
from altseason.store._store import Store

__all__ = ["CheckReport", "Problem", "check_store"]

_ASSET_REFERENCES: dict[str, str] = {
    "prices": "asset_id",
    "funding": "asset_id",
    "onchain": "asset_id",
}


@dataclass(frozen=True)
class Problem:
    """One integrity problem: which check, where, and what was found."""

    check: str
    table: str
    detail: str
    severity: str = "error"  # "error" or "warning"


@dataclass
class CheckReport:
    """Outcome of :func:`check_store`."""

    problems: list[Problem] = field(default_factory=list)
    tables_checked: int = 0
    rows_checked: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem of severity ``error`` was found."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (``altseason check --json``)."""
        return {
            "ok": self.ok,
            "tables_checked": self.tables_checked,
            "rows_checked": self.rows_checked,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [
                {"severity": p.severity, "check": p.check, "table": p.table, "detail": p.detail}
                for p in self.problems
            ],
            "conflicts": self.conflicts,
        }


def _scalar(store: Store, sql: str, params: list[object] | None = None) -> int:
    row = store.con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def check_store(store: Store) -> CheckReport:
    """Check a store's integrity.

    Checks
    ------
    keys
        No stored key (natural key + source) appears twice in any data table.
    values
        Every stored row obeys the domain rules of every ingest
        (:mod:`altseason.store._rules`): finite numbers, positive prices,
        high >= low, bounded indices, no dates after tomorrow or before the
        dataset's floor (an error).
    conflicts
        Cross-source conflicts, summarised per dataset and kind (a warning:
        precedence decides what reads use; see ``altseason conflicts``).
    required
        No required column is NULL.
    orphans
        Every ``asset_id`` in prices, funding and onchain has an ``assets`` row
        (a warning: market data may arrive before metadata); every reject
        belongs to a logged ingest (an error).
    sources
        Every source with rows is registered in ``sources`` (a warning).
    ingest_log
        Every source that wrote data rows has an ``ok`` ingest; each logged
        ingest's ``rows_rejected`` equals its rows in ``rejects``;
        ``rows_written <= rows_in + rows_written`` bounds hold;
        ``finished_at >= started_at``; statuses are ``ok`` or ``failed``; no
        row was ingested after the last logged ingest finished.
    """
    report = CheckReport()
    con = store.con
    for name, spec in TABLES.items():
        report.tables_checked += 1
        report.rows_checked += store.count(name)
        key = ", ".join(spec.stored_key)
        dups = _scalar(
            store,
            f"SELECT count(*) FROM (SELECT {key} FROM {name} GROUP BY {key} HAVING count(*) > 1)",
        )
        if dups:
            report.problems.append(Problem("keys", name, f"{dups} keys appear more than once"))
        for col in spec.columns:
            if not col.nullable:
                n = _scalar(store, f"SELECT count(*) FROM {name} WHERE {col.name} IS NULL")
                if n:
                    report.problems.append(
                        Problem("required", name, f"{n} rows have no {col.name}")
                    )
        if spec.name != "assets":
            frame = store.read_table(name, resolve=False)
            for reason, n in rule_violations(name, frame).items():
                report.problems.append(Problem("values", name, f"{n} rows: {reason}"))
    summary = store.conflict_summary()
    for row in summary.itertuples(index=False):
        report.conflicts.append(
            {
                "dataset": row.dataset,
                "kind": row.kind,
                "conflicts": int(row.conflicts),
                "keys": int(row.keys),
            }
        )
        report.problems.append(
            Problem(
                "conflicts",
                str(row.dataset),
                f"{int(row.conflicts)} {row.kind} conflict(s) over {int(row.keys)} key(s) "
                "between sources; see 'altseason conflicts'",
                "warning",
            )
        )
    n_assets = store.count("assets")
    for table, ref in _ASSET_REFERENCES.items():
        missing = con.execute(
            f"SELECT DISTINCT t.{ref} FROM {table} t LEFT JOIN assets a ON t.{ref} = a.asset_id "
            f"WHERE a.asset_id IS NULL ORDER BY 1 LIMIT 11"
        ).fetchall()
        if missing and n_assets:
            names = ", ".join(str(m[0]) for m in missing[:10]) + (
                " ..." if len(missing) > 10 else ""
            )
            report.problems.append(
                Problem("orphans", table, f"asset ids without an assets row: {names}", "warning")
            )
    orphan_rejects = _scalar(
        store,
        "SELECT count(*) FROM rejects r LEFT JOIN ingest_log l "
        "ON r.run_id = l.run_id AND r.dataset = l.dataset WHERE l.run_id IS NULL",
    )
    if orphan_rejects:
        report.problems.append(
            Problem("orphans", "rejects", f"{orphan_rejects} rejects belong to no logged ingest")
        )
    mismatched = con.execute(
        "SELECT l.run_id, l.dataset, l.rows_rejected, count(r.seq) FROM ingest_log l "
        "LEFT JOIN rejects r ON r.run_id = l.run_id AND r.dataset = l.dataset "
        "GROUP BY l.run_id, l.dataset, l.rows_rejected HAVING l.rows_rejected <> count(r.seq) LIMIT 5"
    ).fetchall()
    for run_id, dataset, logged, stored in mismatched:
        report.problems.append(
            Problem(
                "ingest_log",
                "rejects",
                f"ingest {run_id} ({dataset}) logged {logged} rejects but {stored} are stored",
            )
        )
    bad_status = _scalar(
        store, "SELECT count(*) FROM ingest_log WHERE status NOT IN ('ok', 'failed')"
    )
    if bad_status:
        report.problems.append(
            Problem("ingest_log", "ingest_log", f"{bad_status} rows with an unknown status")
        )
    bad_time = _scalar(store, "SELECT count(*) FROM ingest_log WHERE finished_at < started_at")
    if bad_time:
        report.problems.append(
            Problem("ingest_log", "ingest_log", f"{bad_time} ingests finished before they started")
        )
    logged_sources = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT source FROM ingest_log WHERE status = 'ok'"
        ).fetchall()
    }
    try:
        registered = {r[0] for r in con.execute("SELECT source FROM sources").fetchall()}
    except duckdb.CatalogException:  # a store older than v3, opened read-only
        registered = None
    last_finished = con.execute(
        "SELECT max(finished_at) FROM ingest_log WHERE status = 'ok'"
    ).fetchone()
    for name in TABLES:
        sources = {r[0] for r in con.execute(f"SELECT DISTINCT source FROM {name}").fetchall()}
        unregistered = sorted(sources - registered) if registered is not None else []
        if unregistered:
            report.problems.append(
                Problem(
                    "sources",
                    name,
                    f"rows from sources missing in the sources table: {', '.join(unregistered[:5])}",
                    "warning",
                )
            )
        unlogged = sorted(sources - logged_sources)
        if unlogged:
            report.problems.append(
                Problem(
                    "ingest_log",
                    name,
                    f"rows from sources with no successful ingest logged: {', '.join(unlogged[:5])}",
                )
            )
        if last_finished and last_finished[0] is not None:
            late = _scalar(
                store, f"SELECT count(*) FROM {name} WHERE ingested_at > ?", [last_finished[0]]
            )
            if late:
                report.problems.append(
                    Problem(
                        "ingest_log",
                        name,
                        f"{late} rows were ingested after the last logged ingest",
                    )
                )
    return report
