"""Data commands: import, status."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer

from altseason.cli._app import app, console, open_cli_store, usage_error
from altseason.labels import is_demo

_FORMATS_HELP = (
    "File format (default: detected per file from its header and content). Built-in: "
    "binance_klines, bybit_klines, ohlcv_daily, coinbase_ohlcv, cmc_snapshots, cmc_history, "
    "coingecko_markets, cmc_listings, coingecko_prices_json, farside_wide, farside_long, farside_totals, farside_totals_dmy, "
    "etf_flows_json, deribit_heston, deribit_instruments, deribit_summary, deribit_quotes, "
    "fred_series, yahoo_daily, cryptoquant, coinmetrics_daily, fear_greed, funding_daily, "
    "coinalyze_funding, coinalyze_oi, coingecko_bundle, category_map; generic: csv, parquet "
    "(implied by --map)."
)


def _parse_maps(items: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    mapping: dict[str, str] = {}
    constants: dict[str, str] = {}
    for item in items:
        if ":=" in item:
            field, value = item.split(":=", 1)
            constants[field.strip()] = value.strip()
        elif "=" in item:
            col, field = item.split("=", 1)
            mapping[col.strip()] = field.strip()
        else:
            usage_error(
                f"--map {item!r} is not COLUMN=FIELD, '*=FIELD' or FIELD:=VALUE "
                "(e.g. --map Close=close --map asset_id:=BTC)"
            )
    return mapping, constants


@app.command("import")
def import_(
    paths: list[Path] = typer.Argument(
        ..., help="Files or folders to import; folders are walked recursively.", show_default=False
    ),
    format: str | None = typer.Option(None, "--format", "-f", help=_FORMATS_HELP),
    on_error: str = typer.Option(
        "fail",
        "--on-error",
        help="fail: stop at the first bad row (file, line, column) and write nothing of that "
        "file; reject: write the good rows and store the bad ones in the rejects table.",
    ),
    snapshot_ts: str | None = typer.Option(
        None,
        "--snapshot-ts",
        help="UTC time of an option-chain snapshot, e.g. '2025-12-04 23:10'. Default: derived "
        "per format (stated in the notes).",
    ),
    asset: str | None = typer.Option(
        None,
        "--asset",
        help="Asset/underlying for files that do not name it (ETF totals, funding, "
        "CryptoQuant, option quotes), e.g. BTC.",
    ),
    maps: list[str] = typer.Option(
        [],
        "--map",
        help="Generic CSV/Parquet (implies --format csv, which also reads Parquet): "
        "COLUMN=FIELD maps a column to a store field; '*=FIELD' melts a wide file (one column "
        "per asset/series); FIELD:=VALUE sets a constant. Columns match case-insensitively. "
        "Repeatable.",
    ),
    date_from_filename: bool = typer.Option(
        False,
        "--date-from-filename",
        help="Date the rows by the day in the file name (name_20251103.csv, 2025-11-03): for "
        "snapshot files without a date column. CoinGecko market snapshots do this by default.",
    ),
    volume_unit: str | None = typer.Option(
        None,
        "--volume-unit",
        help="base (units of the asset: volume_usd = volume x close) or quote (already "
        "USD/USDT), for an OHLCV file whose volume unit the data and format do not settle.",
    ),
    table: str | None = typer.Option(
        None, "--table", help="Generic import: the target table when the columns fit several."
    ),
    skip_unknown: bool = typer.Option(
        False, "--skip-unknown", help="Skip files whose format cannot be detected (listed)."
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="Prefer these files' sources over all others in reads (nothing is overwritten: "
        "every source's rows are kept).",
    ),
    show_progress: bool = typer.Option(
        False,
        "--progress",
        help="Report how far a large file has been read, on stderr (shown anyway when "
        "stderr is a terminal). Streamed formats (Binance klines) report as they read.",
    ),
    prefer: str | None = typer.Option(
        None,
        "--prefer",
        help="Record a read preference that beats the default precedence: a source id, a "
        "source-id prefix (file:coinbase_ohlcv) or a kind (exchange_spot, aggregator, "
        "etf_totals, ...). See README 'Data'.",
    ),
) -> None:
    """Import data files (CSV, Parquet, JSON, zstd JSON) into the store.

    Each file is detected, validated (types, UTC dates, positive prices, duplicate keys,
    future dates; gaps and jumps reported) and written in one transaction. Importing the
    same files again changes nothing.

    Examples: 'altseason import data/' ; 'altseason import flows.csv --on-error reject' ;
    'altseason import closes.csv --map Date=date --map "*=close"'.
    """
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from altseason.sources.files import ReadOptions, import_files

    mode = on_error.strip().lower()
    if mode not in ("fail", "reject"):
        usage_error(f"--on-error must be 'fail' or 'reject', not {on_error!r}.")
    snap = None
    if snapshot_ts is not None:
        try:
            snap = pd.Timestamp(snapshot_ts)
        except ValueError:
            usage_error(
                f"--snapshot-ts {snapshot_ts!r} is not a time; use e.g. '2025-12-04 23:10' (UTC)."
            )
        if snap.tzinfo is not None:
            snap = snap.tz_convert("UTC").tz_localize(None)
    current: dict[str, str] = {"name": ""}
    mapping, constants = _parse_maps(maps)
    if (mapping or constants) and format is None:
        format = "csv"  # --map only means something to the generic reader (CSV and Parquet)
    unit = None
    if volume_unit is not None:
        unit = volume_unit.strip().lower()
        if unit not in ("base", "quote"):
            usage_error(
                f"--volume-unit must be 'base' or 'quote', not {volume_unit!r}; base = units "
                "of the asset, quote = USD/USDT."
            )
    options = ReadOptions(
        snapshot_ts=snap,
        asset=asset.upper() if asset else None,
        mapping=mapping,
        constants=constants,
        table=table,
        date_from_filename=date_from_filename,
        volume_unit=unit,
        progress=_byte_progress(current) if show_progress or sys.stderr.isatty() else None,
    )
    with (
        open_cli_store() as store,
        Progress(
            TextColumn("[bold]import[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("", total=None)

        def step(path: Path, i: int, total: int) -> None:
            # Called before each file: give up the store's lock while the next file is
            # read and validated, so readers (the dashboard) get in between files.
            store.release()
            current["name"] = path.name
            progress.update(task, total=total, completed=i, description=path.name)

        summary = import_files(
            store,
            paths,
            format=format,
            options=options,
            on_error=mode,  # type: ignore[arg-type]
            skip_unknown=skip_unknown,
            replace=replace,
            progress=step,
            prefer=prefer,
        )
    tbl = Table(title="altseason import")
    for col in ("file", "format", "read", "written", "rejected", "conflicts"):
        tbl.add_column(
            col, overflow="fold", justify="left" if col in ("file", "format") else "right"
        )
    for r in summary.reports:
        tbl.add_row(
            r.path.name,
            r.format,
            f"{r.rows_read:,}",
            f"{r.total_written:,}",
            f"{r.rows_rejected:,}",
            f"{r.conflicts:,}",
        )
    console.print(tbl)
    for r in summary.reports:
        if r.notes:
            console.print(f"[bold]{r.path.name}[/]: " + "; ".join(r.notes), highlight=False)
    console.print(
        f"{len(summary.reports)} file(s), {summary.total_written:,} row(s) written, "
        f"{sum(r.rows_rejected for r in summary.reports):,} rejected."
    )
    if summary.skipped:
        console.print(
            f"[yellow]skipped {len(summary.skipped)} file(s) of unknown format:[/] "
            + ", ".join(str(p) for p in summary.skipped)
        )
    raise typer.Exit(0)


@app.command()
def status() -> None:
    """Per table: rows, assets, date range, sources, last ingest and staleness."""
    from rich.table import Table

    with open_cli_store(read_only=True) as store:
        rows = store.status()
        console.print(f"altseason store: {store.path}", soft_wrap=True, highlight=False)
        tbl = Table(title="tables")
        for col in (
            "table",
            "rows",
            "assets",
            "from",
            "to",
            "stale (days)",
            "sources",
            "last ingest",
            "conflicts",
        ):
            tbl.add_column(col)
        demo = False
        for r in rows:
            demo = demo or is_demo(r.sources)
            tbl.add_row(
                r.table,
                f"{r.rows:,}",
                "" if r.assets is None else str(r.assets),
                "" if r.start is None else str(r.start.date()),
                "" if r.end is None else str(r.end.date()),
                "" if r.staleness_days() is None else str(r.staleness_days()),
                ", ".join(r.sources)[:60],
                "" if r.last_ingest is None else str(r.last_ingest)[:19],
                f"{r.conflicts:,}" if r.conflicts else "",
            )
        console.print(tbl)
        n_conf = sum(r.conflicts for r in rows)
        if n_conf:
            console.print(
                f"{n_conf:,} conflict(s) between sources (reads follow precedence); "
                "list them with 'altseason conflicts'."
            )
        if demo:
            console.print(
                "[bold yellow]Contains the simulated demo market (source 'demo'): not market data.[/]"
            )
    raise typer.Exit(0)


def _byte_progress(current: dict[str, str]) -> Callable[[int, int], None]:
    """A ``progress(bytes_read, total)`` callback writing to stderr: one line redrawn in
    place on a terminal, else a line per tenth of the file (``--progress``)."""
    tty = sys.stderr.isatty()
    last: dict[str, int] = {}
    mib = 1024 * 1024

    def report(done: int, total: int) -> None:
        if total <= 0:
            return
        name = current["name"] or "file"
        tenth = min(10, done * 10 // total)
        if not tty and last.get(name, -1) >= tenth:
            return
        last[name] = tenth
        text = (
            f"import {name}: {100 * done / total:5.1f}% "
            f"({done / mib:,.1f} of {total / mib:,.1f} MiB read)"
        )
        if tty:
            sys.stderr.write("\r" + text + ("\n" if done >= total else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return report
