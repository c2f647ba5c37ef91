"""`altseason check`: integrity of the store."""

from __future__ import annotations

import typer

from altseason.cli._app import app, console, open_cli_store


@app.command()
def check(
    strict: bool = typer.Option(
        False, "--strict", help="Treat warnings (e.g. orphans) as failures."
    ),
) -> None:
    """Check the store: unique keys, required values, no orphans, a consistent ingest log.

    Exits 0 when the store is sound, 1 when a problem was found.
    """
    from rich.table import Table

    from altseason.store import check_store

    with open_cli_store(read_only=True) as store:
        report = check_store(store)
    if report.problems:
        tbl = Table(title="store check")
        for col in ("severity", "check", "table", "detail"):
            tbl.add_column(col)
        for p in report.problems:
            tbl.add_row(p.severity, p.check, p.table, p.detail)
        console.print(tbl)
    failed = not report.ok or (strict and report.warnings)
    console.print(
        f"{'FAILED' if failed else 'OK'}: {report.tables_checked} tables, "
        f"{report.rows_checked:,} rows, {len(report.errors)} errors, {len(report.warnings)} warnings"
    )
    raise typer.Exit(1 if failed else 0)
