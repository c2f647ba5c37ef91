"""The Typer application, global options and shared CLI helpers.

The CLI is a thin shell: it parses options, calls the library and prints.
Errors derived from :class:`~altseason.exceptions.AltseasonError` become a
one-line message and exit code 1 (a traceback only with ``--debug``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from altseason.config import Settings, load_settings
from altseason.exceptions import AltseasonError, ValidationError
from altseason.labels import DEMO_LABEL
from altseason.store import Store

__all__ = [
    "app",
    "console",
    "err_console",
    "export_frame",
    "main",
    "open_cli_store",
    "print_frame",
    "state",
]

app = typer.Typer(
    name="altseason",
    help=(
        "Crypto market research and allocation: measure the large-cap / small-cap "
        "divergence from data, backtest disciplined allocations and write traceable reports.\n\n"
        "Quick start: 'altseason report' (seeds the simulated demo market when the store is empty)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Piped output (files, CI logs) gets wide tables instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 160
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


@dataclass
class _State:
    debug: bool = False
    store_override: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings().with_store(self.store_override)
        return self._settings


state = _State()


@app.callback()
def _root(
    store: Path | None = typer.Option(
        None,
        "--store",
        help="DuckDB store file (default: $ALTSEASON_HOME/altseason.duckdb).",
        envvar=None,
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    state.debug = debug
    state.store_override = store
    state._settings = None


def open_cli_store(*, read_only: bool = False) -> Store:
    """Open the configured store (creating it unless ``read_only``)."""
    return Store(state.settings.store_path, read_only=read_only)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if pd.isna(v):
            return "–"
        if abs(v) >= 1e6:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        return f"{v:.4g}"
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    return str(v)


def print_frame(
    frame: pd.DataFrame, title: str, *, demo: bool = False, index: bool = True, max_rows: int = 60
) -> None:
    """Print a frame as a rich table; demo data gets the simulated-market label."""
    caption = f"[bold yellow]{DEMO_LABEL}[/]" if demo else None
    tbl = Table(title=f"{title}" + (f" — {DEMO_LABEL}" if demo else ""), caption=caption)
    if index:
        tbl.add_column(str(frame.index.name or ""), style="bold")
    for c in frame.columns:
        tbl.add_column(str(c), justify="right")
    for idx, row in frame.head(max_rows).iterrows():
        cells = [_fmt(v) for v in row.tolist()]
        tbl.add_row(*([_fmt(idx)] if index else []), *cells)
    console.print(tbl)
    if len(frame) > max_rows:
        console.print(f"[dim]… {len(frame) - max_rows} more rows (use --export to get all)[/]")


def export_frame(frame: pd.DataFrame, path: Path, *, demo: bool = False) -> Path:
    """Write a frame to CSV, Parquet or JSON by the file suffix.

    Demo data gets a ``data_label`` column so the label survives export. CSV
    text cells that a spreadsheet would run as a formula get a leading ``'``
    (:func:`altseason._escape.neutralise_csv_frame`).
    """
    out = frame.copy()
    if demo:
        out["data_label"] = DEMO_LABEL
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        from altseason._escape import neutralise_csv_frame

        # OWASP CSV injection: formula-leading text neutralised; CRLF rows (RFC 4180) so a
        # line break inside a cell is quoted. JSON and Parquet keep the raw values.
        neutralise_csv_frame(out).to_csv(path, lineterminator="\r\n")
    elif suffix in (".parquet", ".pq"):
        out.to_parquet(path)
    elif suffix == ".json":
        out.to_json(path, orient="table", date_format="iso", indent=1)
    else:
        raise ValidationError(
            f"cannot export to {path}: unknown suffix {suffix!r}; use .csv, .parquet or .json."
        )
    return path


def main() -> None:
    """Console entry point: run the app, turning AltseasonErrors into one-line messages."""
    from altseason.cli import _register  # noqa: F401  (registers every command)

    try:
        app(standalone_mode=False)
    except AltseasonError as exc:
        if state.debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]: the current batch was rolled back.")
        sys.exit(130)
    except Exception as exc:  # the CLI boundary: never a traceback unless --debug
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            err_console.print("aborted")
            sys.exit(1)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if state.debug:
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
