"""The ``demo`` command: write the simulated demo market into the store."""

from __future__ import annotations

import typer

from altseason.cli._app import app, console, open_cli_store, print_frame, usage_error
from altseason.labels import DEMO_LABEL


@app.command()
def demo(
    seed: int = typer.Option(
        2021, "--seed", help="Random seed; the same seed gives the same market."
    ),
    start: str = typer.Option("2019-01-01", "--start", help="First UTC day (YYYY-MM-DD)."),
    end: str = typer.Option("2026-10-31", "--end", help="Last UTC day (YYYY-MM-DD)."),
    assets: int = typer.Option(
        180, "--assets", help="Non-stable tokens incl. BTC and ETH (>= 20)."
    ),
) -> None:
    """Write the simulated demo market (a test bed, not market data) into the store.

    Every row gets source 'demo' and everything made from it is labelled
    'simulated demo market'; the regulatory event calendar is real (source 'calendar').
    """
    import pandas as pd

    from altseason.sources.demo import generate_demo, write_demo

    try:
        start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    except ValueError as exc:
        usage_error(f"--start/--end must be dates like 2019-01-01: {exc}")
    with console.status("simulating the demo market …") as status:

        def progress(msg: str) -> None:
            status.update(f"{msg} …")

        market = generate_demo(seed, start_ts, end_ts, assets, progress=progress)
        with open_cli_store() as store:
            result = write_demo(store, market=market, progress=progress)
            path = store.path
    summary = market.summary()
    summary["written"] = pd.Series(result.rows_written)
    summary["from"] = summary["from"].map(
        lambda v: "" if pd.isna(v) else str(pd.Timestamp(v).date())
    )
    summary["to"] = summary["to"].map(lambda v: "" if pd.isna(v) else str(pd.Timestamp(v).date()))
    print_frame(summary, f"demo market (seed {seed}) → {path}", demo=True)
    console.print(
        f"[bold yellow]{DEMO_LABEL}[/]: {int(summary['rows'].sum()):,} rows offered, "
        f"{result.total_written:,} written (source 'demo'; events are the real calendar)."
    )
