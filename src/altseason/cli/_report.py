"""The ``report`` command: write the research note as HTML, Markdown and PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from altseason.cli._app import app, console, open_cli_store, state, usage_error
from altseason.labels import DEMO_LABEL

if TYPE_CHECKING:
    from altseason.store import Store


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return items or None


def _open_for_report() -> Store:
    """Read-only when the store has data (readers share it); writable to seed the demo."""
    if state.settings.store_path.exists():
        store = open_cli_store(read_only=True)
        if not store.is_empty():
            return store
        store.close()
    return open_cli_store()


@app.command()
def report(
    asof: str | None = typer.Option(
        None, "--asof", help="Report date YYYY-MM-DD (default: the newest price date up to today)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Output folder (default: $ALTSEASON_HOME/reports/<as-of date>, then "
        "<as-of date>-2, -3 … for further reports of the same date).",
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace the report in the as-of date's folder instead of starting a new one.",
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
    zone_share: float = typer.Option(
        0.5,
        "--zone-share",
        help="Options zones: share of below-spot put (above-spot call) open interest the put "
        "(call) zone holds.",
    ),
    max_pain_convention: str = typer.Option(
        "nearest_monthly",
        "--max-pain",
        help="Headline max pain: nearest_monthly (the nearest last-Friday expiry), nearest, or "
        "all_expiries (every expiry at once); the note's table lists each expiry.",
    ),
) -> None:
    """Write the market note on the large-cap / small-cap divergence from the store.

    When the store is empty, the simulated demo market is seeded first (and
    every page and chart says so).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from altseason.report import FORMATS, build_report, section_ids
    from altseason.report._generate import next_report_folder, write_report_atomic
    from altseason.report._sections import find_previous

    formats = _split(fmt) or list(FORMATS)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        usage_error(
            f"--format: unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}."
        )
    chosen = _split(sections)
    if chosen is not None:
        unknown = [s for s in chosen if s not in section_ids()]
        if unknown:
            usage_error(
                f"--sections: unknown section(s) {', '.join(unknown)}; choose from "
                f"{', '.join(section_ids())}."
            )
    from altseason.cli._positioning import check_option_conventions

    check_option_conventions(zone_share, max_pain_convention)
    conventions = {
        "zone_share": zone_share if zone_share != 0.5 else None,
        "max_pain_convention": None
        if max_pain_convention == "nearest_monthly"
        else max_pain_convention,
    }
    when = None
    if asof is not None:
        try:
            when = dt.date.fromisoformat(asof)
        except ValueError:
            usage_error(f"--asof {asof!r} is not a date; write it as YYYY-MM-DD.")
    with _open_for_report() as store:
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

        from altseason.report import broad_asof
        from altseason.report._build import store_id

        if when is None:
            report_date, breadth = broad_asof(store)
            if breadth["thin"] and report_date != breadth["asof"]:
                console.print(
                    f"[yellow]Reporting as of {report_date.date()}, the newest day with a broad "
                    f"cross-section: on {breadth['asof'].date()} only {breadth['priced']} of the "
                    f"{breadth['recent']} assets priced daily in the year before have a close. "
                    f"Pass --asof {breadth['asof'].date()} to report on that day anyway.[/]"
                )
        else:
            report_date = pd.Timestamp(when)
        folder = out or next_report_folder(
            state.settings.reports_dir, report_date.date(), overwrite=overwrite
        )
        previous = find_previous(folder, report_date, store_id(store))
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
                store,
                asof=report_date,
                sections=chosen,
                previous=previous,
                progress=step,
                options=conventions,
            )
            store.release()  # rendering needs no store: let writers in meanwhile
            progress.update(task, description=f"rendering {', '.join(formats)}")
            paths = write_report_atomic(rep, folder, formats=formats)
            progress.update(task, completed=len(names) + 1)
    if rep.demo:
        console.print(f"[bold yellow]Data: {rep.data_label} — not a real market.[/]")
    console.print(f"[bold]{rep.headline}[/] (as of {rep.asof.date()})")
    if previous is not None:
        console.print(f"compared with the previous report {previous}")
    for kind, path in paths.items():
        console.print(f"{kind:>8}: {path}")
