"""`altseason check`: integrity of the store; `altseason conflicts`: where sources disagree."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from altseason.cli._app import app, console, open_cli_store, print_frame, usage_error

_CONFLICT_DATASETS = ("prices", "etf_flows", "options", "funding", "onchain", "macro", "sentiment")
"""The datasets ingest compares across sources (store/_conflicts.py)."""


@app.command()
def check(
    strict: bool = typer.Option(
        False, "--strict", help="Treat warnings (orphans, conflicts) as failures."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the report as JSON (for monitoring) instead of a table."
    ),
) -> None:
    """Check the store: unique keys, required values, value rules (finite, ranges, no
    future dates, high >= low), a consistent ingest log, and a conflicts summary.

    Exits 0 when the store is sound, 1 when an error was found (or a warning with --strict).
    """
    from rich.table import Table

    from altseason.store import check_store

    with open_cli_store(read_only=True) as store:
        report = check_store(store)
    failed = not report.ok or bool(strict and report.warnings)
    if as_json:
        data = report.to_dict()
        data["ok"] = not failed
        typer.echo(json.dumps(data, indent=2))
        raise typer.Exit(1 if failed else 0)
    if report.problems:
        tbl = Table(title="store check")
        for col in ("severity", "check", "table", "detail"):
            tbl.add_column(col)
        for p in report.problems:
            tbl.add_row(p.severity, p.check, p.table, p.detail)
        console.print(tbl)
    console.print(
        f"{'FAILED' if failed else 'OK'}: {report.tables_checked} tables, "
        f"{report.rows_checked:,} rows, {len(report.errors)} errors, {len(report.warnings)} "
        f"warnings, {sum(c['conflicts'] for c in report.conflicts)} conflicts"
    )
    raise typer.Exit(1 if failed else 0)


@app.command()
def conflicts(
    dataset: str | None = typer.Option(
        None, "--dataset", "-d", help="Only this dataset (prices, etf_flows, options, ...)."
    ),
    asset: str | None = typer.Option(
        None, "--asset", "-a", help="Only this asset / underlying / series (e.g. BTC)."
    ),
    export: Path | None = typer.Option(
        None, "--export", help="Write every matching conflict to this CSV file."
    ),
    limit: int = typer.Option(60, "--limit", min=1, help="Rows to print."),
) -> None:
    """List the facts on which sources disagree beyond the dataset's tolerance.

    Columns: dataset, key, date, sources, values, rel_diff, kind (difference,
    shift = one series is the other moved by a day, unit = equal after a unit
    factor). Reads resolve such facts by precedence; see README "Data".
    """
    with open_cli_store(read_only=True) as store:
        if dataset is not None and dataset not in _CONFLICT_DATASETS:
            usage_error(
                f"--dataset {dataset!r} is not a dataset with conflicts; choose one of "
                f"{', '.join(_CONFLICT_DATASETS)}."
            )
        frame = store.conflicts(dataset=dataset, asset=asset)
    cols = ["dataset", "key", "date", "field", "sources", "values", "rel_diff", "kind", "note"]
    if export is not None:
        tmp = export.with_name(export.name + ".tmp")
        frame.to_csv(tmp, index=False)
        tmp.replace(export)
        console.print(f"wrote {len(frame):,} conflict(s) to {export}")
    if frame.empty:
        console.print("no conflicts between sources")
        return
    print_frame(frame[cols], f"{len(frame):,} conflict(s)", index=False, max_rows=limit)
