"""Positioning commands: flows, options, support, events."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from altseason.cli._app import app, console, export_frame, open_cli_store, print_frame, usage_error
from altseason.exceptions import DataUnavailableError
from altseason.labels import is_demo

if TYPE_CHECKING:  # imported where used: 'altseason --help' stays fast
    import pandas as pd

    from altseason.store import Store

_EXPORT_HELP = "Write the table to PATH (.csv, .parquet or .json)."
_PERIODS = ("day", "week", "month", "year")


def _export(frame: pd.DataFrame, export: Path | None, demo: bool) -> None:
    if export is not None:
        path = export_frame(frame, export, demo=demo)
        console.print(f"[green]exported[/] {len(frame)} rows to {path}")


@app.command()
def flows(
    underlying: str = typer.Option("BTC", "--underlying", "-u", help="ETF underlying, e.g. BTC."),
    period: str = typer.Option("week", "--period", help="day, week, month or year."),
    last: int = typer.Option(12, "--last", help="Periods to print (the export has all)."),
    asof: str | None = typer.Option(
        None, "--asof", help="As-of date YYYY-MM-DD: data up to that day (default: all)."
    ),
    export: Path | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Spot ETF net flows per period, cumulative flows and holders' cost basis."""
    import pandas as pd

    from altseason.analytics import (
        TOTAL_PREFIX,
        close_from_store,
        holders_cost_basis,
        period_flows,
        total_flows,
    )
    from altseason.analytics._flows import MAX_PRICE_LAG_DAYS
    from altseason.analytics._positioning_data import etf_flows_from_store

    if period not in _PERIODS:
        usage_error(f"--period must be one of {', '.join(_PERIODS)}, got {period!r}.")
    with open_cli_store(read_only=True) as store:
        day = _asof(store, asof)
        panel = etf_flows_from_store(store, underlying=underlying)
        try:
            close = close_from_store(store, underlying)
        except DataUnavailableError:
            close = None
        if day is not None:
            panel = panel.loc[:day]
            close = None if close is None else close.loc[:day]
            if panel.empty:
                raise DataUnavailableError(
                    f"no {underlying.upper()} ETF flows on or before {day.date()}."
                )
            if close is not None and close.dropna().empty:
                close = None
        if underlying.upper() == "BTC":
            _export_findings(store, "flows", export, day)
    sources = list(panel.attrs.get("sources", []))
    total = total_flows(panel)
    sums = period_flows(panel, period)  # type: ignore[arg-type]
    table = pd.DataFrame(
        {
            "net_flow_usd_m": period_flows(total, period) / 1e6,  # type: ignore[arg-type]
            "cumulative_usd_m": total.cumsum().resample(sums.index.freq).last().ffill() / 1e6,
        }
    )
    for fund in sums.sum().abs().sort_values(ascending=False).index[:4]:
        table[f"{fund}_usd_m"] = sums[fund] / 1e6
    fund_table = None
    if close is not None and close.index[0] <= panel.index[0]:
        sources += list(close.attrs.get("sources", []))
        last_close = close.dropna().index[-1]
        valued = panel
        if panel.index[-1] > last_close + pd.Timedelta(days=MAX_PRICE_LAG_DAYS):
            valued = panel.loc[:last_close]
            console.print(
                f"[yellow]cost basis to {last_close.date()} only:[/] the {underlying.upper()} "
                f"prices end there while the flows run to {panel.index[-1].date()}; "
                "import newer prices to value the later flows."
            )
        cb = holders_cost_basis(valued, close)
        agg = cb.aggregate.resample(sums.index.freq).last()
        table["cost_basis_usd"] = agg["cost_basis"]
        table["holders_pnl"] = agg["unrealised_pnl"]
        fund_table = cb.by_fund()
        fund_table.insert(0, "net_flow_usd_m", valued.sum() / 1e6)
        fund_table = fund_table.sort_values("net_flow_usd_m", ascending=False)
    table.index.name = period
    demo = is_demo(sources)
    print_frame(table.tail(last), f"{underlying.upper()} spot ETF flows per {period}", demo=demo)
    if fund_table is not None:
        totals = [f for f in fund_table.index if str(f).upper().startswith(TOTAL_PREFIX)]
        if totals:
            # a "TOTAL-<U>" row holds the days a source gives only the total across funds
            fund_table = fund_table.rename(index={f: f"{f} (total only)" for f in totals})
        print_frame(fund_table, f"{underlying.upper()} ETF holders by fund", demo=demo)
        if totals:
            console.print(
                f"[dim]{', '.join(totals)}: the days for which the source gives only the "
                "total across funds, not a fund of its own.[/]"
            )
    if underlying.upper() != "BTC" or export is None or export.suffix.lower() != ".json":
        _export(table, export, demo)


def check_option_conventions(zone_share: float, max_pain_convention: str) -> None:
    """Exit 2 with the fix when ``--zone-share`` or ``--max-pain`` is out of range."""
    from altseason.analytics._options import convention_problem

    problem = convention_problem(
        zone_share, max_pain_convention, names=("--zone-share", "--max-pain")
    )
    if problem is not None:
        usage_error(problem + ".")


@app.command("options")
def options_cmd(
    underlying: str = typer.Argument("BTC", help="BTC or ETH."),
    expiry: str | None = typer.Option(None, "--expiry", help="One expiry day, e.g. 2025-12-26."),
    horizon_days: float | None = typer.Option(
        None, "--horizon-days", help="Aggregate the expiries within N days of the snapshot."
    ),
    zone_share: float = typer.Option(
        0.5,
        "--zone-share",
        help="Share of below-spot put (above-spot call) OI the put (call) zone holds.",
    ),
    max_pain_convention: str = typer.Option(
        "nearest_monthly",
        "--max-pain",
        help="Headline max pain: nearest_monthly, nearest or all_expiries.",
    ),
    asof: str | None = typer.Option(
        None,
        "--asof",
        help="As-of date YYYY-MM-DD: the newest snapshot with open interest up to that day "
        "(default: all).",
    ),
    export: Path | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Options positioning of the latest snapshot: walls, zones, max pain per expiry, skew, gamma."""
    import pandas as pd

    from altseason.analytics import options_from_store, options_positioning

    check_option_conventions(zone_share, max_pain_convention)
    with open_cli_store(read_only=True) as store:
        day = _asof(store, asof)
        frame = options_from_store(store, underlying=underlying, end=day)
        _export_option_findings(
            store,
            export,
            asof=day,
            underlying=underlying,
            expiry=expiry,
            horizon_days=horizon_days,
            zone_share=zone_share,
            max_pain_convention=max_pain_convention,
        )
    demo = is_demo(frame.attrs.get("sources", []))
    res = options_positioning(
        frame,
        underlying=underlying,
        expiry=expiry,
        horizon_days=horizon_days,
        zone_share=zone_share,
        max_pain_convention=max_pain_convention,  # type: ignore[arg-type]
    )
    summary = res.summary().to_frame("value")
    print_frame(summary, f"{res.underlying} options positioning at {res.snapshot_ts}", demo=demo)
    newest = pd.Timestamp(frame.loc[frame["underlying"] == res.underlying, "snapshot_ts"].max())
    if newest > pd.Timestamp(res.snapshot_ts):
        console.print(
            f"[yellow]newer snapshot {newest} skipped:[/] it has no open interest "
            "(quotes only), so it cannot give walls, zones or max pain."
        )
    mp = res.max_pain_detail
    console.print(
        f"[dim]max pain {mp.value:,.0f} = {mp.convention}"
        + (f" ({mp.label})" if mp.label != "all expiries" else "")
        + f"; over all expiries {mp.all_expiries:,.0f}"
        + (f"; {mp.note}" if mp.note else "")
        + f"\n{res.put_zone.convention}; {res.call_zone.convention}[/]"
    )
    cols = ["label", "days", "monthly", "max_pain", "call_oi", "put_oi", "put_call_oi"]
    print_frame(mp.by_expiry[cols], "Max pain per expiry", demo=demo)
    if res.term_structure["atm_iv"].notna().any():
        print_frame(
            res.term_structure, "ATM IV term structure, 25-delta RR and butterfly", demo=demo
        )
    else:
        console.print("[yellow]no implied vols in this chain:[/] skew and gamma not computed.")
    table = res.oi_by_strike.join(res.gamma_exposure, how="left")
    near = table.loc[(table.index > 0.6 * res.spot) & (table.index < 1.5 * res.spot)]
    print_frame(near, "Open interest by strike (60-150 % of spot)", demo=demo, max_rows=40)
    console.print(f"[dim]gamma sign convention: {res.gamma_convention}[/]")
    dropped = res.exclusions.loc[res.exclusions["scope"] != "note"]
    if not dropped.empty:
        counts = dropped["reason"].value_counts().to_dict()
        console.print(f"[yellow]excluded rows:[/] {counts}")
    if export is None or export.suffix.lower() != ".json":
        _export(table, export, demo)


@app.command()
def support(
    asset: str = typer.Argument("BTC", help="Asset id."),
    asof: str | None = typer.Option(
        None, "--asof", help="As-of date YYYY-MM-DD: data up to that day (default: all)."
    ),
    export: Path | None = typer.Option(None, "--export", help="Write the daily bands to PATH."),
) -> None:
    """Support levels: realized price, ETF cost basis, 200-week average; distance to each."""
    import pandas as pd

    from altseason.analytics import support_from_store, support_levels

    with open_cli_store(read_only=True) as store:
        day = _asof(store, asof)
        bands, _ = support_from_store(store, asset, end=day)
        if asset.upper() == "BTC":
            _export_findings(store, "support", export, day)
    demo = is_demo(bands.attrs.get("sources", []))
    table = support_levels(bands)
    date = table.attrs.get("date")
    print_frame(table, f"{asset.upper()} support levels on {pd.Timestamp(date).date()}", demo=demo)
    if asset.upper() != "BTC" or export is None or export.suffix.lower() != ".json":
        _export(bands, export, demo)


def _asof(store: Store, asof: str | None) -> pd.Timestamp | None:
    """``--asof``: a parsed date the store's prices reach (the same check as every command)."""
    if asof is None:
        return None
    import pandas as pd

    from altseason.universe import check_asof

    try:
        day = pd.Timestamp(asof).normalize()
    except ValueError as exc:
        usage_error(f"--asof must be a date like 2025-06-30: {exc}")
    check_asof(store, day)
    return day


def _export_findings(store: Store, command: str, export: Path | None, asof: object) -> None:
    """``--export x.json``: the command's findings in the report's findings.json schema."""
    if export is None or export.suffix.lower() != ".json":
        return
    from altseason.report import export_findings

    path = export_findings(store, command, export, asof=asof)
    console.print(f"[green]exported[/] findings (report schema) to {path}")


def option_findings_prefix(
    underlying: str,
    *,
    expiry: str | None = None,
    horizon_days: float | None = None,
    zone_share: float = 0.5,
    max_pain_convention: str = "nearest_monthly",
) -> str:
    """The finding-id prefix of an ``altseason options`` run.

    ``derivatives`` for BTC and ``derivatives.eth`` for ETH with every
    default (the report's derivatives section and the dashboard's options
    page), otherwise ``options.<underlying>`` with a suffix naming each non-default choice
    (``expiry-2025-12-26``, ``horizon-30d``, ``zone-0_6``, ``maxpain-nearest``),
    so the same id always means the same number.
    """
    from altseason.analytics._options import DEFAULT_ZONE_SHARE

    u = underlying.upper()
    scope = []
    if expiry is not None:
        scope.append(f"expiry-{expiry}")
    if horizon_days is not None:
        scope.append(f"horizon-{horizon_days:g}d")
    if zone_share != DEFAULT_ZONE_SHARE:
        scope.append(f"zone-{zone_share:g}")
    if max_pain_convention != "nearest_monthly":
        scope.append(f"maxpain-{max_pain_convention}")
    if not scope:
        return "derivatives" if u == "BTC" else f"derivatives.{u.lower()}"
    # an id part holds letters, digits, "_" and "-" (findings.schema.json)
    parts = [re.sub(r"[^A-Za-z0-9_-]", "_", p) for p in (u.lower(), *scope)]
    return ".".join(["options", *parts])


def _export_option_findings(
    store: Store,
    export: Path | None,
    *,
    asof: pd.Timestamp | None = None,
    underlying: str,
    expiry: str | None,
    horizon_days: float | None,
    zone_share: float,
    max_pain_convention: str,
) -> None:
    """``options --export x.json``: the positioning shown, as findings in the report's schema.

    BTC with every default writes the report's derivatives findings
    (:func:`_export_findings`); any other underlying or choice is computed by
    the same section code (``options_findings``) with the run's arguments,
    under the prefix of :func:`option_findings_prefix`, judged for freshness
    like the report's findings.
    """
    if export is None or export.suffix.lower() != ".json":
        return
    prefix = option_findings_prefix(
        underlying,
        expiry=expiry,
        horizon_days=horizon_days,
        zone_share=zone_share,
        max_pain_convention=max_pain_convention,
    )
    if prefix == "derivatives":
        _export_findings(store, "options", export, asof)
        return
    from altseason.analytics import QualityRules
    from altseason.analytics._options import DEFAULT_ZONE_SHARE
    from altseason.exceptions import ReportError
    from altseason.labels import data_label
    from altseason.report import FindingSet, default_asof
    from altseason.report._atomic import atomic_path
    from altseason.report._sections import ReportContext
    from altseason.report._sections._meta import judge_freshness
    from altseason.report._sections._positioning import options_findings

    asof = default_asof(store) if asof is None else asof
    ctx = ReportContext(store, asof)
    found, _ = options_findings(
        ctx,
        underlying.upper(),
        prefix,
        positioning={
            "expiry": expiry,
            "horizon_days": horizon_days,
            # defaults are left out: the ids and windows are then the dashboard's
            "zone_share": zone_share if zone_share != DEFAULT_ZONE_SHARE else None,
            "max_pain_convention": (
                max_pain_convention if max_pain_convention != "nearest_monthly" else None
            ),
        },
    )
    fs = FindingSet(found)
    judge_freshness(fs, asof, QualityRules())
    meta = {
        "asof": str(asof.date()),
        "command": "options",
        "sections": ["options"],
        "demo": ctx.is_demo("options"),
        "data_label": data_label(s for st in ctx.status for s in st.sources),
    }
    try:
        export.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(export) as tmp:
            fs.write_json(tmp, **meta)
    except OSError as exc:
        raise ReportError(f"cannot write findings to {export}: {exc}") from exc
    console.print(f"[green]exported[/] findings (report schema) to {export}")


@app.command()
def events(
    asset: str = typer.Option("BTC", "--asset", help="Asset studied."),
    market: str | None = typer.Option(
        None,
        "--market",
        help="Market model benchmark: an asset id or TOTAL (the capped cap-weighted market index). "
        "Default BTC, or TOTAL when the asset is BTC.",
    ),
    category: str | None = typer.Option(None, "--category", help="Only events of this category."),
    asof: str | None = typer.Option(
        None, "--asof", help="As-of date YYYY-MM-DD: data up to that day (default: all)."
    ),
    export: Path | None = typer.Option(None, "--export", help=_EXPORT_HELP),
) -> None:
    """Event study: abnormal returns around regulatory and market events, with placebos."""
    from altseason.analytics import event_study_from_store

    with open_cli_store(read_only=True) as store:
        day = _asof(store, asof)
        res, mkt, sources, _built_in = event_study_from_store(
            store, asset, market, category=category, end=day
        )
        _export_findings(store, "events", export, day)
    demo = is_demo(sources)
    cols = ["date", "title", "beta", "car_m5_5", "t_m5_5", "p_m5_5", "car_0_20", "t_0_20", "p_0_20"]
    cols[2:2] = [c for c in ("jurisdiction",) if c in res.events.columns]
    table = res.events.set_index("event_id")[cols]
    print_frame(table, f"{asset.upper()} abnormal returns vs {mkt} around events", demo=demo)
    print_frame(res.summary, "Mean CAR (CAAR), t-statistics and placebo comparison", demo=demo)
    console.print(
        f"[dim]{res.describe()}\n"
        "t: CLM with estimation error; t_caar adds the covariance of overlapping windows; "
        "t_kp: Kolari-Pynnonen-adjusted BMP (read this one when windows overlap); "
        "p: placebo p-value from random non-event days.[/]"
    )
    if not res.excluded.empty:
        console.print(f"[yellow]{len(res.excluded)} event(s) excluded[/] (not enough history).")
    if export is None or export.suffix.lower() != ".json":
        _export(res.events, export, demo)


__all__ = ["events", "flows", "options_cmd", "support"]
