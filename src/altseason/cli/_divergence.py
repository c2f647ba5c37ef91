"""The ``divergence`` command: who leads whom, and how broad it is."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from altseason.cli._app import app, console, export_frame, open_cli_store, print_frame, usage_error

if TYPE_CHECKING:  # imported where used: 'altseason --help' stays fast
    import pandas as pd

    from altseason.analytics import DivergenceAnalysis


def _pct(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        if c in out.columns:
            out[c] = out[c] * 100.0
    return out


@app.command()
def divergence(
    asof: str | None = typer.Option(
        None, "--asof", help="Evaluation date YYYY-MM-DD (default: the last price date)."
    ),
    window: int = typer.Option(
        90, "--window", min=2, help="Main window in days (relative strength, altseason index)."
    ),
    export: Path | None = typer.Option(
        None, "--export", help="Also write the tables (.csv/.parquet/.json; one file per table)."
    ),
) -> None:
    """Performance, relative strength, altseason index, breadth, dispersion, dominance, regime.

    Returns are in percent. Tiers are reconstituted monthly from market caps
    known then; indices are capped cap-weighted (tiers, market, sectors; sectors
    without BTC and ETH, as in the report). ``--export x.json`` writes the
    findings in the report's findings.json schema (same ids and values).
    Data from the simulated demo market carries its label.
    """
    import pandas as pd

    from altseason.analytics import SECTOR_METHOD, DivergenceAnalysis
    from altseason.universe import check_asof

    try:
        asof_ts = pd.Timestamp(asof) if asof else None
    except ValueError as exc:
        usage_error(f"--asof must be a date like 2025-06-30: {exc}")
    json_export = export is not None and export.suffix.lower() == ".json"
    if json_export and window != 90:
        usage_error(
            "--export x.json writes the report's findings, which use a 90-day window; "
            "drop --window or export .csv/.parquet tables instead."
        )
    with open_cli_store(read_only=True) as store, console.status("computing divergence …"):
        check_asof(store, asof_ts)
        analysis = DivergenceAnalysis.from_store(store, asof=asof_ts, window=window)
        summary = analysis.summary()
        snapshot = summary["snapshot"]
        if json_export:
            from altseason.report import export_findings

            assert export is not None
            day_ = analysis.asof if analysis.asof is not None else analysis.close.index[-1]
            export_findings(store, "divergence", export, asof=day_)
    demo = analysis.is_demo
    day = pd.Timestamp(analysis.asof).date() if analysis.asof is not None else "?"
    console.print(f"[bold]Divergence as of {day}[/] — data: {_sources_line(analysis)}")
    cov = analysis.coverage()
    if cov["thin"]:
        hint = (
            f"; the newest broad day is {cov['broad_asof'].date()} (--asof {cov['broad_asof'].date()})"
            if cov["broad_asof"] is not None
            else ""
        )
        console.print(
            f"[yellow]thin cross-section:[/] only {cov['priced']} of the {cov['recent']} assets "
            f"priced in the year before {day} have a close on {day}, so breadth, indices "
            f"and the regime describe those few coins, not the market{hint}."
        )
    perf = summary["performance"]
    ret_cols = [c for c in perf.columns if c != "days_since_peak"]
    perf_pct = _pct(perf, ret_cols)
    keep = [c for c in perf_pct.columns if not c.isdigit()] + [
        c for c in perf_pct.columns if c.isdigit()
    ][-3:]
    print_frame(
        perf_pct.loc[:, keep],
        "Performance (%): tiers and market capped cap-weighted; sectors "
        f"{SECTOR_METHOD}, 3+ priced members",
        demo=demo,
    )
    rs = summary["relative_strength"]
    rs_pct = _pct(rs, [c for c in rs.columns if c.startswith("change_vs_")])
    rs_show = rs_pct.loc[:, [c for c in rs_pct.columns if not c.startswith("ratio_vs_")]]
    print_frame(
        rs_show,
        f"Relative strength vs BTC / ETH (ratio change over {window}d in %, z-score)",
        demo=demo,
    )
    movers = summary["movers"].copy()
    movers["return"] = movers["return"] * 100.0
    print_frame(movers, "Top / bottom movers, 7d (%)", demo=demo, index=False)
    print_frame(snapshot, "Altseason index, breadth, dispersion, spread, dominance", demo=demo)
    regime = summary["regime"]
    q = regime.quality
    judged = "" if q is None or q.status == "ok" else f" ({q.status}: {q.reason})"
    console.print(f"[bold]Regime:[/] {regime.label} — {regime.reason}{judged}")
    if export is not None and json_export:
        console.print(f"exported: findings (report schema) to {export}")
    elif export is not None:
        tables = {
            "performance": perf,
            "relative_strength": rs,
            "movers": summary["movers"],
            "snapshot": snapshot,
        }
        written = []
        for name, frame in tables.items():
            path = export.with_name(f"{export.stem}_{name}{export.suffix}")
            written.append(export_frame(frame, path, demo=demo))
        console.print("exported: " + ", ".join(str(p) for p in written))


def _sources_line(analysis: DivergenceAnalysis) -> str:
    """The data sources, grouped by format when there are many (status lists them all)."""
    srcs = sorted(set(analysis.sources))
    if len(srcs) <= 6 or analysis.is_demo:
        return analysis.label
    groups: dict[str, int] = {}
    for s in srcs:
        parts = s.split(":")
        key = parts[1] if parts[0] == "file" and len(parts) > 2 else parts[0]
        groups[key] = groups.get(key, 0) + 1
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
    named = [f"{k} ({n} files)" if n > 1 else k for k, n in ranked]
    return ", ".join(named) + " ('altseason status' lists them)"
