"""Data commands: import, status."""

from __future__ import annotations

import typer

from altseason.cli._app import app, console, open_cli_store
from altseason.labels import is_demo


@app.command()
def status() -> None:
    """Per table: rows, assets, date range, sources, last ingest and staleness."""
    from rich.table import Table

    with open_cli_store() as store:
        rows = store.status()
        tbl = Table(title=f"altseason store — {store.path}")
        for col in ("table", "rows", "assets", "from", "to", "stale (days)", "sources", "last ingest"):
            tbl.add_column(col)
        demo = False
        for r in rows:
            demo = demo or is_demo(r.sources)
            tbl.add_row(
                r.table, f"{r.rows:,}", "" if r.assets is None else str(r.assets),
                "" if r.start is None else str(r.start.date()),
                "" if r.end is None else str(r.end.date()),
                "" if r.staleness_days() is None else str(r.staleness_days()),
                ", ".join(r.sources)[:60],
                "" if r.last_ingest is None else str(r.last_ingest)[:19],
            )
        console.print(tbl)
        if demo:
            console.print("[bold yellow]Contains the simulated demo market (source 'demo'): not market data.[/]")
    raise typer.Exit(0)
