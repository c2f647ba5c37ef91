"""The ``verify`` command: check the numbers in a market note against the store."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from altseason.cli._app import app, console, open_cli_store, usage_error

_STYLE = {
    "supported": "green",
    "contradicted": "bold red",
    "ambiguous": "yellow",
    "unverifiable": "dim",
    "not_understood": "magenta",
}


@app.command()
def verify(
    note: str = typer.Argument(
        ..., help="The note: a plain-text, Markdown or HTML file, or '-' to read stdin."
    ),
    date: str | None = typer.Option(
        None,
        "--date",
        help="The note's date YYYY-MM-DD (default: the first full date in its header).",
    ),
    export: Path | None = typer.Option(
        None, "--export", help="Also write the result: out.json (claims) or out.html (the page)."
    ),
) -> None:
    """Check every number in a market note against the store.

    Each numeric claim (value and unit, subject, measure, period) is computed
    from the store with the report's own functions and gets a verdict:
    supported (within the measure's tolerance), contradicted (with the
    computed value), ambiguous (readings differ; each shown), unverifiable
    (the store lacks the data; says which) or not_understood (a number the
    parser could not map). Periods are read relative to the note's date.
    """
    from rich.table import Table

    from altseason.verify import read_note, verify_note
    from altseason.verify._output import table_rows

    if export is not None and export.suffix.lower() not in (".json", ".html", ".htm"):
        usage_error(f"--export {export}: use a .json or .html file name.")
    if date is not None:
        import datetime as dt

        try:
            dt.date.fromisoformat(date)
        except ValueError:
            usage_error(f"--date {date!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-12-31.")
    if note == "-":
        raw = sys.stdin.read()
        name = "stdin"
    else:
        raw = read_note(note)
        name = note
    with open_cli_store(read_only=True) as store:
        result = verify_note(raw, store, date)
    counts = result.counts()
    if result.demo:
        from altseason.labels import DEMO_LABEL

        console.print(
            f"[bold yellow]Checked against the {DEMO_LABEL} (simulated data, not a real market).[/]"
        )
    tbl = Table(
        title=f"{name}: {len(result.checks)} numeric claims, note date {result.note_date}",
        show_lines=False,
    )
    for col in ("#", "claim", "subject", "measure", "period", "claimed", "computed", "verdict"):
        tbl.add_column(col, overflow="fold")
    for row in table_rows(result):
        style = _STYLE[row["verdict"]]
        tbl.add_row(
            row["#"],
            row["claim"],
            row["subject"],
            row["measure"],
            row["period"],
            row["claimed"],
            row["computed"],
            f"[{style}]{row['verdict']}[/]",
        )
    console.print(tbl)
    for row in table_rows(result):
        if row["verdict"] != "supported":
            console.print(f"[dim]{row['#']}.[/] {row['reason']}", highlight=False)
    console.print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    console.print(f"[dim]data: {result.data_label}[/]", highlight=False)
    if export is not None:
        export.parent.mkdir(parents=True, exist_ok=True)
        console.print(f"wrote {result.write(export)}")
