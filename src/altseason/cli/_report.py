"""The ``report`` command: write the research note as HTML, Markdown and PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from altseason.cli._app import app, console, open_cli_store, state
from altseason.exceptions import ReportError
from altseason.labels import DEMO_LABEL


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return items or None


@app.command()
def report(
    asof: str | None = typer.Option(
        None, "--asof", help="Report date YYYY-MM-DD (default: the newest price date up to today)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: $ALTSEASON_HOME/reports/<asof or today>)."
    ),
    fmt: str = typer.Option(
        "html,md,pdf", "--format", help="Comma-separated formats: html, md, pdf."
    ),
    sections: str | None = typer.Option(
        None,
        "--sections",
        help="Comma-separated sections (default all): divergence, sectors, cross_asset, flows, "
        "derivatives, onchain, macro, correlation, strategy, events, coverage, changes.",
    ),
) -> None:
    """Write the market note on the large-cap / small-cap divergence from the store.

    When the store is empty, the simulated demo market is seeded first (and
    every page and chart says so).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from altseason.report import FORMATS, build_report, section_ids, write_report
    from altseason.report._sections import find_previous

    formats = _split(fmt) or list(FORMATS)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ReportError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}.")
    chosen = _split(sections)
    when = None
    if asof is not None:
        try:
            when = dt.date.fromisoformat(asof)
        except ValueError as exc:
            raise ReportError(f"--asof {asof!r} is not a date; write it as YYYY-MM-DD.") from exc
    with open_cli_store() as store:
        if store.is_empty():
            from altseason.sources.demo import ensure_demo

            console.print(
                f"[bold yellow]The store {store.path} is empty: seeding the {DEMO_LABEL} "
                "(simulated data, not a real market).[/]"
            )
            seeded = ensure_demo(store)
            if seeded:
                console.print(f"[yellow]Seeded the {DEMO_LABEL}; this report describes it.[/]")
        import pandas as pd

        from altseason.report import default_asof

        report_date = default_asof(store) if when is None else pd.Timestamp(when)
        folder = out or (
            state.settings.reports_dir
            / str(
                when.isoformat() if when is not None else dt.datetime.now(dt.UTC).date().isoformat()
            )
        )
        previous = find_previous(folder, report_date)
        names = [s for s in section_ids() if chosen is None or s in chosen]
        with Progress(
            TextColumn("[bold]report[/]"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("starting", total=len(names) + 1)

            def step(section: str) -> None:
                progress.update(task, advance=1, description=section)

            rep = build_report(
                store, asof=report_date, sections=chosen, previous=previous, progress=step
            )
            progress.update(task, description=f"rendering {', '.join(formats)}")
            paths = write_report(rep, folder, formats=formats)
            progress.update(task, completed=len(names) + 1)
    if rep.demo:
        console.print(f"[bold yellow]Data: {rep.data_label} — not a real market.[/]")
    console.print(f"[bold]{rep.headline}[/] (as of {rep.asof.date()})")
    if previous is not None:
        console.print(f"compared with the previous report {previous}")
    for kind, path in paths.items():
        console.print(f"{kind:>8}: {path}")
