"""Live data commands: ``altseason fetch`` and ``altseason snapshot options``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from altseason.cli._app import app, console, open_cli_store, state
from altseason.config import Settings
from altseason.exceptions import SourceError, ValidationError
from altseason.sources import FetchProgress, FetchResult, HttpClient, fetch
from altseason.sources.deribit import Deribit, snapshot_options

#: Builds the HTTP client; tests replace it to serve recorded payloads.
client_factory: Callable[[Settings], HttpClient] = HttpClient

FETCH_HELP = """Bring the store up to date from the live data providers.

SOURCE is one or more of: coingecko, coinmetrics, binance, deribit, fred,
alternative_me, farside, lbma (default: all), optionally with datasets, e.g.
binance:klines or deribit:options,dvol. Each source resumes after the last
batch it committed, so an interrupted fetch can simply be run again.

\b
What each source writes
  coingecko      universe and sectors (assets), daily close/cap/volume (prices)
  coinmetrics    realized cap, MVRV, supply, market cap (onchain)
  binance        USD-M funding every 8 h (funding); 'binance:klines' = spot OHLCV
  deribit        option chain snapshot (options), BTC/ETH-PERPETUAL funding,
                 DVOL in sentiment as dvol_btc / dvol_eth
  fred           M2SL WM2NS WALCL RRPONTSYD WTREGEN DGS10 DTWEXBGS SP500 (macro)
  alternative_me Crypto Fear & Greed (sentiment: fear_greed)
  farside        US spot BTC and ETH ETF flows by fund (etf_flows)
  lbma           LBMA gold PM and silver prices (macro: GOLD, SILVER)

\b
Keys (environment variables, all optional)
  COINGECKO_API_KEY     CoinGecko key; COINGECKO_API_PLAN=demo (default) or pro
  COINMETRICS_API_KEY   Coin Metrics Pro key (the community API needs none)
  FRED_API_KEY          FRED API key (without it the keyless fredgraph.csv is used)
  ALTSEASON_USER_AGENT  User-Agent sent with every request
Keys are sent in headers or parameters only to their provider and never printed.

\b
Rate limits (the client waits; 429/5xx are retried with backoff, honouring Retry-After)
  CoinGecko   ~10 calls/min without a key, 30/min demo, 500/min pro; the public and
              demo plans serve only the last 365 days of history (reported as a warning)
  Coin Metrics community: 10 requests per 6 s per IP
  Binance     far below 6,000 weight/min (spot) and 500 requests/5 min (futures);
              HTTP 451 means Binance blocks your region
  Deribit     120 requests/min; FRED 120/min per key; alternative.me 60/min

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
  Coin Metrics community data is CC BY-NC 4.0 (non-commercial use, credit Coin Metrics).
  CoinGecko requires attribution: "Data provided by CoinGecko".
  FRED: cite the source; some series (e.g. SP500) are copyrighted by their owners.
  Farside Investors ETF flow data: free to view, credit Farside Investors.
  alternative.me Fear & Greed: free with attribution. LBMA prices: personal research only.
  Deribit and Binance data fall under their API terms of use.
"""


def _client() -> HttpClient:
    return client_factory(state.settings)


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
    tbl = Table(title="fetch")
    for col in ("source", "dataset"):
        tbl.add_column(col, no_wrap=True)
    for col in ("rows", "batches", "requests"):
        tbl.add_column(col, justify="right")
    for col in ("from", "to", "note"):
        tbl.add_column(col)
    for r in results:
        note = r.error or "; ".join(r.warnings)
        tbl.add_row(
            r.source,
            r.dataset,
            f"{r.total_written:,}",
            str(r.batches),
            str(r.requests),
            "" if r.start is None else str(r.start.date()),
            "" if r.end is None else str(r.end.date()),
            f"[red]{note}[/]" if r.error else note,
        )
    return tbl


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
) -> None:
    start = _since(since)
    wanted_assets = _split(assets)
    wanted_series = _split(series)
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
    currencies = _split(currency) or ["BTC", "ETH"]
    with open_cli_store() as store, _client() as client:
        result = snapshot_options(store, Deribit(client, state.settings), currencies)
    stamp = "" if result.end is None else f" at {result.end} UTC"
    console.print(
        f"archived {result.total_written:,} option rows for {', '.join(currencies)}{stamp} "
        f"(Deribit, {result.requests} requests)"
    )


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
        raise ValidationError(f"--since {text!r} is not a date; use YYYY-MM-DD.") from None
