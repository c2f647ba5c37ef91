"""Live data commands: ``altseason fetch`` and ``altseason snapshot options``."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from altseason._advice_text import ADVICE, LIMITS
from altseason.cli._app import app, console, open_cli_store, state, usage_error
from altseason.config import Settings
from altseason.exceptions import SourceError

if TYPE_CHECKING:  # imported where used: 'altseason --help' stays fast
    from rich.progress import Progress, TaskID
    from rich.table import Table

    from altseason.sources import FetchProgress, FetchResult, HttpClient
    from altseason.sources._advice import PlannedRequest

#: Builds the HTTP client (default :class:`~altseason.sources.HttpClient`); tests
#: replace it to serve recorded payloads.
client_factory: Callable[[Settings], HttpClient] | None = None

_ERROR_CLASSES: dict[int, str] = {
    400: "400 bad request",
    401: "401 unauthorised",
    403: "403 forbidden",
    418: "418 IP banned",
    429: "429 rate limited",
    451: "451 region blocked",
}


def _advice_text() -> str:
    """``fetch --help``'s per-source limits and advice, from the connectors' own tables."""
    lines = ["\b", "Limits per source"]
    for source, limit in LIMITS.items():
        lines.extend(_wrapped(f"{source:<15}", limit))
    lines.extend(["", "\b", "What to do about each error class (HTTP status), per source"])
    for source, advice in ADVICE.items():
        lines.append(f"  {source}")
        for status in sorted(advice):
            lines.extend(
                _wrapped(f"  {_ERROR_CLASSES.get(status, str(status)):<19}", advice[status])
            )
    lines.extend(
        _wrapped(
            "  other",
            "5xx, timeouts and dropped connections are retried with backoff; the fetch "
            "resumes where it stopped when run again.",
        )
    )
    return "\n".join(lines)


def _wrapped(label: str, text: str, width: int = 74) -> list[str]:
    indent = " " * (len(label) + 3)
    out = textwrap.wrap(text, width=width, initial_indent=f"  {label} ", subsequent_indent=indent)
    return out


FETCH_HELP = (
    """Bring the store up to date from the live data providers.

SOURCE is one or more of: coingecko, coinmetrics, binance, deribit, fred,
alternative_me, farside, lbma (default: all), optionally with datasets, e.g.
binance:klines or deribit:options,dvol. Each source resumes after the last
batch it committed, so an interrupted fetch can simply be run again.
--dry-run prints the requests a run would make (keys masked) and sends
none.

The summary lists per dataset the rows written, the rows the store
rejected (with reasons, kept in the rejects table) and the provider
records skipped or stored in part (with reasons: an option without
mark_iv stored with a NULL implied vol, a wrapped token left out of the
universe, a metric outside the Coin Metrics free tier, ...).

\b
What each source writes
  coingecko      universe and sectors (assets; wrapped/bridged and
                 staked coins left out), daily close/cap/volume
                 (prices), circulating/total/max supply (onchain)
  coinmetrics    realized cap, MVRV, supply, market cap (onchain)
  binance        USD-M funding with each symbol's interval (funding);
                 'binance:klines' = spot OHLCV
  deribit        option chain snapshot (options), BTC/ETH-PERPETUAL funding,
                 DVOL in sentiment as dvol_btc / dvol_eth
  fred           M2SL WM2NS WALCL RRPONTSYD WTREGEN DGS10 DTWEXBGS
                 SP500 (macro)
  alternative_me Crypto Fear & Greed (sentiment: fear_greed)
  farside        US spot BTC, ETH and SOL ETF flows by fund (etf_flows)
  lbma           LBMA gold PM and silver prices (macro: GOLD, SILVER)

\b
Keys (environment variables, all optional)
  COINGECKO_API_KEY     CoinGecko key; COINGECKO_API_PLAN=demo
                        (default) or pro
  COINMETRICS_API_KEY   Coin Metrics Pro key (the community API needs
                        none)
  FRED_API_KEY          FRED API key (without it the keyless
                        fredgraph.csv is used)
  ALTSEASON_USER_AGENT  User-Agent sent with every request
Binance, Deribit, alternative.me, Farside and LBMA take no key. Keys
are sent in headers or parameters only to their provider and never
printed.

\b
Rate limits: the client waits between requests; 429 and 5xx are
retried with backoff, honouring Retry-After. CoinGecko's public and
demo plans serve only the last 365 days of history (a warning).

"""
    + _advice_text()
    + """

\b
Limits (environment variables; a limit hit stops that dataset with an
error naming the variable; the next run resumes after the last batch)
  ALTSEASON_FETCH_DEADLINE    s for the whole run (default 3600)
  ALTSEASON_REQUEST_DEADLINE  s per request attempt, body included (120)
  ALTSEASON_STALL_TIMEOUT     s without a byte: the request stalled (30)
  ALTSEASON_MAX_RESPONSE_MB   largest response, decompressed, MiB (64)
  ALTSEASON_MAX_PAGES         pages per paginated asset/series (1000)
  ALTSEASON_MAX_RETRY_WAIT    longest Retry-After wait honoured, s (60)

\b
Licences and terms
  Coin Metrics community data is CC BY-NC 4.0 (non-commercial use,
  credit Coin Metrics).
  CoinGecko requires attribution: "Data provided by CoinGecko".
  FRED: cite the source; some series (e.g. SP500) are copyrighted by
  their owners.
  Farside Investors ETF flow data: free to view, credit Farside
  Investors.
  alternative.me Fear & Greed: free with attribution. LBMA prices:
  personal research only.
  Deribit and Binance data fall under their API terms of use.
"""
)


def _client() -> HttpClient:
    if client_factory is not None:
        return client_factory(state.settings)
    from altseason.sources import HttpClient

    return HttpClient(state.settings)


class _Bars:
    """One rich progress bar per source."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, event: FetchProgress) -> None:
        label = f"{event.source}:{event.dataset}"
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(label, total=event.total)
        self.progress.update(
            self.tasks[label],
            completed=event.done,
            total=event.total,
            description=f"{label} {event.key} {event.message}".strip(),
        )


def _summary(results: list[FetchResult]) -> Table:
    from rich.table import Table

    tbl = Table(title="fetch")
    for col in ("source", "dataset"):
        tbl.add_column(col, no_wrap=True)
    for col in ("rows", "rejected", "skipped", "batches", "requests"):
        tbl.add_column(col, justify="right")
    for col in ("from", "to", "note"):
        tbl.add_column(col)
    for r in results:
        tbl.add_row(
            r.source,
            r.dataset,
            f"{r.total_written:,}",
            f"{r.total_rejected:,}",
            f"{r.total_skipped:,}",
            str(r.batches),
            str(r.requests),
            "" if r.start is None else str(r.start.date()),
            "" if r.end is None else str(r.end.date()),
            _note(r),
        )
    return tbl


def _note(r: FetchResult) -> str:
    from rich.markup import escape

    """Errors, warnings and the reasons behind rejected and skipped counts."""
    parts = [] if r.error is None else [f"[red]{escape(r.error)}[/]"]
    parts.extend(escape(w) for w in r.warnings)
    if r.rows_rejected:
        parts.append(
            "rejected: " + "; ".join(f"{n:,} {escape(k)}" for k, n in r.rows_rejected.items())
        )
    if r.records_skipped:
        parts.append(
            "skipped: " + "; ".join(f"{n:,} {escape(k)}" for k, n in r.records_skipped.items())
        )
    if not r.error and not r.total_written and not r.warnings and not r.records_skipped:
        parts.append("up to date (nothing new)")
    return "; ".join(parts)


def _print_plan(planned: list[PlannedRequest]) -> None:
    from rich.markup import escape

    """One ``GET`` line per request (never wrapped, so it can be copied), grouped
    by source and dataset, with the credential headers and what follows."""
    console.print("[bold]fetch --dry-run[/]: the requests a run would make (nothing is sent)")
    last = None
    for p in planned:
        if (p.source, p.dataset) != last:
            console.print(f"\n[bold]{p.source}:{p.dataset}[/]")
            last = (p.source, p.dataset)
        console.print(f"  GET {escape(p.url)}", soft_wrap=True, highlight=False)
        for extra in (*(f"header {h}" for h in p.headers), *([p.note] if p.note else [])):
            console.print(f"      {escape(extra)}", soft_wrap=True, highlight=False)
    console.print(f"\n{len(planned)} request(s) listed; pages and windows after them are noted.")


@app.command("fetch", help=FETCH_HELP)
def fetch_command(
    sources: list[str] = typer.Argument(None, metavar="SOURCE", show_default=False),
    since: str | None = typer.Option(
        None, "--since", help="Refetch from this UTC date (YYYY-MM-DD) instead of resuming."
    ),
    assets: list[str] = typer.Option(
        None, "--assets", "-a", help="Crypto symbols (repeat or comma-separate), e.g. BTC,ETH."
    ),
    series: list[str] = typer.Option(
        None, "--series", help="FRED series ids (repeat or comma-separate), e.g. M2SL,SP500."
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print the requests a run would make (keys masked); send none, write nothing.",
    ),
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from altseason.sources import fetch, parse_source

    for spec in sources or []:
        try:
            parse_source(spec)
        except SourceError as exc:
            usage_error(str(exc))
    start = _since(since)
    wanted_assets = _split(assets)
    wanted_series = _split(series)
    if dry_run:
        _dry_run(sources or None, start, wanted_assets, wanted_series)
        return
    with open_cli_store() as store, _client() as client:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        )
        with progress:
            results = fetch(
                store,
                sources or None,
                since=start,
                assets=wanted_assets,
                series=wanted_series,
                progress=_Bars(progress),
                settings=state.settings,
                client=client,
                raise_on_error=False,
            )
    console.print(_summary(results))
    failed = [r for r in results if r.error]
    if failed:
        first = failed[0]
        raise SourceError(
            f"{len(failed)} of {len(results)} dataset(s) failed; first: {first.source}:"
            f"{first.dataset}: {first.error}"
        )


def _dry_run(
    sources: list[str] | None,
    since: dt.date | None,
    assets: list[str] | None,
    series: list[str] | None,
) -> None:
    """Plan against the existing store (read-only) or, without one, an empty store."""
    from altseason.sources._plan import plan_fetch
    from altseason.store import Store

    path = state.settings.store_path
    with contextlib.ExitStack() as stack:
        if path.exists():
            store = stack.enter_context(open_cli_store(read_only=True))
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            store = stack.enter_context(Store(Path(tmp) / "empty.duckdb"))
        client = stack.enter_context(_client())
        planned = plan_fetch(
            store,
            sources,
            since=since,
            assets=assets,
            series=series,
            settings=state.settings,
            client=client,
        )
    _print_plan(planned)


snapshot_app = typer.Typer(
    help="Archive point-in-time snapshots that providers do not keep (run it on a schedule).",
    no_args_is_help=True,
)
app.add_typer(snapshot_app, name="snapshot")


@snapshot_app.command(
    "options",
    help=(
        "Archive the current Deribit option chains (OI, mark IV, prices) into the options "
        "table. Deribit keeps no open-interest history, so run this on a schedule to build "
        "one, e.g. hourly with cron:\n\n"
        "    0 * * * * altseason snapshot options --currency BTC --currency ETH"
    ),
)
def snapshot_options_command(
    currency: list[str] = typer.Option(
        None, "--currency", "-c", help="Underlying(s): BTC, ETH (default both)."
    ),
) -> None:
    from rich.markup import escape

    from altseason.sources._fetch import store_released_during_requests
    from altseason.sources.deribit import Deribit, snapshot_options

    currencies = _split(currency) or ["BTC", "ETH"]
    with (
        open_cli_store() as store,
        _client() as client,
        store_released_during_requests(client, store),
    ):
        result = snapshot_options(store, Deribit(client, state.settings), currencies)
    stamp = "" if result.end is None else f" at {result.end} UTC"
    console.print(
        f"archived {result.total_written:,} option rows for {', '.join(currencies)}{stamp} "
        f"(Deribit, {result.requests} requests)"
    )
    for reason, n in {**result.records_skipped, **result.rows_rejected}.items():
        console.print(f"  {n:,} {escape(reason)}", highlight=False)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None


def _since(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        usage_error(f"--since {text!r} is not a date; use YYYY-MM-DD.")
