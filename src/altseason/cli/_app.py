"""The Typer application, global options and shared CLI helpers.

The CLI is a thin shell: it parses options, calls the library and prints.
Errors derived from :class:`~altseason.exceptions.AltseasonError` become a
one-line message and exit code 1; usage mistakes (a bad option value, an
unknown command, strategy or parameter) a one-line message naming the fix
and exit code 2; a traceback only with ``--debug``.

Nothing heavy (pandas, NumPy, DuckDB, Plotly, numba) is imported at module
level here or in the command modules: ``altseason --help`` stays fast and
each command imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from altseason import __version__
from altseason.config import Settings, load_settings
from altseason.exceptions import AltseasonError, ValidationError
from altseason.labels import DEMO_LABEL

if TYPE_CHECKING:
    import pandas as pd

    from altseason.store import Store

__all__ = [
    "GLOBAL_FLAGS",
    "GLOBAL_OPTIONS",
    "UsageMistake",
    "app",
    "console",
    "err_console",
    "export_frame",
    "main",
    "open_cli_store",
    "print_frame",
    "state",
    "usage_error",
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
    # Plain help text: rich-formatted help imports markdown-it and more (~0.3 s).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
# Piped output (files, CI logs) gets wide tables instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 160
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


#: Global options taking a value, accepted before or after the command.
GLOBAL_OPTIONS = ("--store", "--lock-timeout")
#: Global flags, accepted before or after the command.
GLOBAL_FLAGS = ("--debug", "--create")


class UsageMistake(AltseasonError):
    """A mistake in how the command was called: one line naming the fix, exit code 2."""


def usage_error(message: str) -> NoReturn:
    """Stop with a usage mistake (exit code 2); ``message`` names the fix."""
    raise UsageMistake(message)


@dataclass
class _State:
    debug: bool = False
    create: bool = False
    store_override: Path | None = None
    lock_timeout: float | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings().with_store(self.store_override)
        return self._settings


state = _State()


def _version(value: bool) -> None:
    if value:
        console.print(f"altseason {__version__}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    store: Path | None = typer.Option(
        None,
        "--store",
        help="DuckDB store file (default: $ALTSEASON_HOME/altseason.duckdb). "
        "A missing file is created only by writing commands, and in a missing folder "
        "only with --create.",
        envvar=None,
    ),
    create: bool = typer.Option(
        False, "--create", help="Allow --store to name a new file in a folder not yet there."
    ),
    lock_timeout: float | None = typer.Option(
        None,
        "--lock-timeout",
        min=0,
        help="Seconds to wait while another altseason process writes the store "
        "(default 30; ALTSEASON_LOCK_TIMEOUT).",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    state.debug = debug
    state.create = create
    state.store_override = store
    state.lock_timeout = lock_timeout
    state._settings = None


def _report_wait(message: str) -> None:
    err_console.print(f"[yellow]{message}[/]", highlight=False, soft_wrap=True)


def open_cli_store(*, read_only: bool = False) -> Store:
    """Open the configured store.

    Readers (``read_only=True``) need an existing store and share the file
    with other readers; writers create a missing file, but a missing folder
    for an explicit ``--store`` only with ``--create``. Either waits up to
    ``--lock-timeout`` seconds (reported on stderr) while another process
    holds the file's lock.
    """
    from altseason.store import Store

    settings = state.settings
    path = settings.store_path
    timeout = state.lock_timeout if state.lock_timeout is not None else settings.lock_timeout
    explicit = state.store_override is not None
    if explicit and not state.create and not path.parent.is_dir():
        usage_error(
            f"--store {path}: the folder {path.parent} does not exist. Check the path, or add "
            "--create to make a new store there."
        )
    create = state.create or not explicit or path.parent.is_dir()
    return Store(
        path,
        read_only=read_only,
        create=create,
        lock_timeout=timeout,
        on_wait=_report_wait,
        prefer=settings.prefer,
    )


def _fmt(v: Any) -> str:
    import pandas as pd

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
    from rich.table import Table

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
    if suffix not in (".csv", ".parquet", ".pq", ".json"):
        raise ValidationError(
            f"cannot export to {path}: unknown suffix {suffix!r}; use .csv, .parquet or .json."
        )
    from altseason.report._atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a failure keeps the previous export whole.
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            from altseason._escape import neutralise_csv_frame

            # OWASP CSV injection: formula-leading text neutralised; CRLF rows (RFC 4180) so
            # a line break inside a cell is quoted. JSON and Parquet keep the raw values.
            neutralise_csv_frame(out).to_csv(tmp, lineterminator="\r\n")
        elif suffix in (".parquet", ".pq"):
            out.to_parquet(tmp)
        else:
            out.to_json(tmp, orient="table", date_format="iso", indent=1)
    return path


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    """Move global options written after the command to the front.

    ``altseason status --store X`` becomes ``altseason --store X status``;
    everything after a ``--`` is left alone.
    """
    args = list(argv)
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            if "=" in arg:
                front.append(arg)
            elif i + 1 < len(args):
                front.extend(args[i : i + 2])
                i += 1
            else:
                front.append(arg)  # the parser reports the missing value
        elif arg in GLOBAL_FLAGS:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _usage_line(exc: Any) -> str:
    """One line for a click usage error: the problem and where to read the fix."""
    message = exc.format_message().strip().replace("\n", " ")
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "altseason"
    if not message.endswith((".", "!", "?")):
        message += "."
    return f"{message} See '{path} --help'."


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: run the app, turning errors into one-line messages.

    Exit codes: 0 success, 1 an error in the data, store or network
    (:class:`~altseason.exceptions.AltseasonError`), 2 a usage mistake,
    130 interrupted.
    """
    from typer._click import exceptions as click_exc

    from altseason.cli import _register  # noqa: F401  (registers every command)

    args = hoist_global_options(sys.argv[1:] if argv is None else argv)
    state.debug = "--debug" in args
    try:
        # without standalone mode click returns a command's typer.Exit code instead of exiting
        code = app(args=args, prog_name="altseason", standalone_mode=False)
    except UsageMistake as exc:
        if state.debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except AltseasonError as exc:
        if state.debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]: the current batch was rolled back.")
        sys.exit(130)
    except click_exc.NoArgsIsHelpError as exc:
        top = exc.ctx is None or exc.ctx.parent is None
        if top and exc.ctx is not None:  # plain 'altseason': the help, on stdout
            typer.echo(exc.ctx.get_help())
        else:
            exc.show()
        sys.exit(0 if top else 2)
    except click_exc.UsageError as exc:
        if state.debug:
            raise
        err_console.print(
            f"[bold red]error:[/] {_usage_line(exc)}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except click_exc.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # the CLI boundary: never a traceback unless --debug
        if state.debug:
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(3)
    if isinstance(code, int) and code != 0:
        sys.exit(code)
