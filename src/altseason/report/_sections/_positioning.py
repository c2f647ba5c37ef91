"""Compute halves of the positioning sections: flows, derivatives, on-chain, macro, sentiment.

Glue only: each function reads the store, calls the ``altseason.analytics``
function that defines the measure, and picks values out of its result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from altseason.exceptions import DataUnavailableError, ValidationError
from altseason.report._charts import Band, ChartSpec, Marker, Trace
from altseason.report._findings import Finding
from altseason.report._narrative import Ref, Token
from altseason.report._sections._base import (
    Cell,
    ReportContext,
    SectionResult,
    Table,
    finding,
    last_valid,
    table_cell,
)
from altseason.report._sections._positioning_text import ETH_FLOW_EXPECTED

__all__ = ["compute_derivatives", "compute_flows", "compute_macro", "compute_onchain"]

FLOW_WINDOW = 30
CHART_DAYS = 365

FLOW_CHART_DAYS = 90
"""The flows charts show 90 days: the 30-day window the text discusses, with context."""

CAPITULATION_CHART_DAYS = 730
"""The capitulation chart shows two years, so earlier flagged episodes are in view."""

CAPITULATION_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("sentiment.capitulation", "Capitulation score", "ratio"),
    ("sentiment.capitulation_components", "Capitulation components used (of 5)", "count"),
    ("sentiment.capitulation_episodes", "Capitulation episodes", "count"),
    ("sentiment.capitulation_last_flagged", "Last day the capitulation score was flagged", "date"),
)


def _btc_close(ctx: ReportContext) -> pd.Series:
    px = ctx.prices("close")
    if "BTC" not in px.columns or px["BTC"].dropna().empty:
        raise DataUnavailableError("no BTC prices in the store")
    return px["BTC"].dropna()


# ---------------------------------------------------------------------- flows
def compute_flows(ctx: ReportContext) -> SectionResult:
    """Spot-ETF flows and the holders' cost basis vs price, per underlying.

    For each of ``ctx.underlyings`` (BTC then ETH in the report), the findings
    of :func:`flow_findings`. BTC findings are ``flows.*``; ETH ``flows.eth.*``.
    When the first underlying has no flows the section is unavailable (its
    reason becomes the section note); a later one without flows gets
    unavailable findings with the reason.
    """
    parts = [flow_findings(ctx, ctx.underlyings[0], flow_prefix(ctx.underlyings[0]))]
    for u in ctx.underlyings[1:]:
        try:
            parts.append(flow_findings(ctx, u, flow_prefix(u)))
        except DataUnavailableError as exc:
            parts.append(
                SectionResult(
                    findings=[
                        Finding.unavailable(fid, label, str(exc), unit=unit)
                        for fid, label, unit in ETH_FLOW_EXPECTED
                    ]
                )
            )
    return SectionResult(
        findings=[f for r in parts for f in r.findings],
        charts=[c for r in parts for c in r.charts],
        tables=[t for r in parts for t in r.tables],
    )


def flow_prefix(u: str) -> str:
    """Finding-id prefix of ``u``'s spot-ETF flows: ``flows`` (BTC), ``flows.eth`` (ETH)."""
    return "flows" if u == "BTC" else f"flows.{u.lower()}"


def flow_findings(ctx: ReportContext, u: str, pre: str) -> SectionResult:
    """Net and cumulative spot-ETF flows of ``u``, holders' cost basis vs price (ids ``pre.*``)."""
    from altseason.analytics._flows import (
        cumulative_flows,
        flows_by_fund,
        holders_cost_basis,
        total_flows,
    )

    ctx.require("etf_flows", "ETF flows")
    raw = ctx.table("etf_flows", underlying=u)
    if raw.empty:
        raise DataUnavailableError(f"no {u} spot-ETF flows in the store up to the report date")
    prov_f = ctx.prov("etf_flows", underlying=u)
    sfx = "" if u == "BTC" else f"-{u.lower()}"
    panel = flows_by_fund(raw, underlying=u)
    total = total_flows(panel)
    cum = cumulative_flows(total)
    assert isinstance(cum, pd.Series)
    last_day = pd.Timestamp(total.index[-1])
    start = last_day - pd.Timedelta(days=FLOW_WINDOW)
    before = cum.loc[:start]
    net = float(cum.iloc[-1] - (before.iloc[-1] if len(before) else 0.0))
    out: list[Finding] = [
        finding(
            f"{pre}.net_flow",
            f"Net {u} spot-ETF flow, {FLOW_WINDOW} days",
            net,
            "flow",
            # the rows it sums: the window's days only
            provenance=[
                ctx.prov(
                    "etf_flows", start=start + pd.Timedelta(days=1), end=last_day, underlying=u
                )
            ],
            asof=last_day,
            window=f"{FLOW_WINDOW}d",
            method="analytics.cumulative_flows(total_flows): change over the window",
        ),
        finding(
            f"{pre}.cumulative_flow",
            f"Cumulative {u} spot-ETF flow in the data",
            float(cum.iloc[-1]),
            "flow",
            provenance=[prov_f],
            asof=last_day,
            window=f"{total.index[0].date()}..{last_day.date()}",
            method="analytics.cumulative_flows",
        ),
        finding(
            f"{pre}.last_flow",
            f"Latest daily {u} spot-ETF flow",
            float(total.iloc[-1]),
            "flow",
            provenance=[prov_f],
            asof=last_day,
            window="1d",
            method="analytics.total_flows",
        ),
        finding(
            f"{pre}.last_flow_date",
            f"Date of the latest {u} ETF flow",
            last_day,
            "date",
            provenance=[prov_f],
            asof=last_day,
        ),
    ]
    charts: list[ChartSpec] = []
    demo = ctx.is_demo("etf_flows", "prices")
    recent = total.loc[last_day - pd.Timedelta(days=FLOW_CHART_DAYS) :]
    try:
        px = ctx.prices("close")
        if u not in px.columns or px[u].dropna().empty:
            raise DataUnavailableError(f"no {u} prices in the store")
        close = px[u].dropna()
        prov_p = ctx.prov("prices", asset_id=u)
        cb = holders_cost_basis(panel, close)
        agg = cb.aggregate
        # Price, cost basis and P&L all of one date (the latest with a cost
        # basis), so "price vs cost basis" compares numbers of the same day.
        d, basis = last_valid(agg["cost_basis"])
        pnl = float(agg["unrealised_pnl"].loc[d]) if d is not None else None
        price = float(agg["price"].loc[d]) if d is not None else None
        price_d = d
        price_id = f"{pre}.btc_price" if u == "BTC" else f"{pre}.price"
        out += [
            finding(
                f"{pre}.cost_basis",
                f"Aggregate {u} spot-ETF cost basis",
                basis,
                "price",
                provenance=[prov_f, prov_p],
                asof=d,
                method="analytics.holders_cost_basis (average cost on units)",
            ),
            finding(
                price_id,
                f"{u} price on the cost-basis date",
                price,
                "price",
                provenance=[prov_p],
                asof=price_d,
            ),
            finding(
                f"{pre}.cost_basis_date",
                "Date of the cost-basis comparison",
                d,
                "date",
                provenance=[prov_f, prov_p],
                asof=d,
            ),
            finding(
                f"{pre}.holder_pnl",
                f"{u} ETF holders' unrealised P&L",
                pnl,
                "return",
                provenance=[prov_f, prov_p],
                asof=d,
                method="analytics.holders_cost_basis: price / cost basis - 1",
            ),
        ]
        agg_recent = agg.loc[last_day - pd.Timedelta(days=2 * FLOW_CHART_DAYS) :]
        charts.append(
            ChartSpec(
                id=f"etf-cost-basis{sfx}",
                title=f"{u} price vs spot-ETF holders' cost basis",
                x_label="date (UTC)",
                y_label=f"USD per {u}",
                y_format="usd",
                traces=[
                    Trace.from_series(agg_recent["price"], f"{u} close"),
                    Trace.from_series(
                        agg_recent["cost_basis"], "ETF cost basis (average cost)", dash=True
                    ),
                ],
                source=ctx.source_line("etf_flows", "prices"),
                demo=demo,
            )
        )
    except (DataUnavailableError, ValidationError) as exc:
        for fid, label, unit in (
            (f"{pre}.cost_basis", "Aggregate ETF cost basis", "price"),
            (f"{pre}.btc_price" if u == "BTC" else f"{pre}.price", f"{u} price", "price"),
            (f"{pre}.holder_pnl", "ETF holders' unrealised P&L", "return"),
            (f"{pre}.cost_basis_date", "Date of the cost-basis comparison", "date"),
        ):
            out.append(Finding.unavailable(fid, label, str(exc), unit=unit, provenance=[prov_f]))
    charts.insert(
        0,
        ChartSpec(
            id=f"etf-flows{sfx}",
            title=f"{u} spot-ETF net flows per day, last {FLOW_CHART_DAYS} days",
            x_label="date (UTC)",
            y_label="net flow (USD)",
            y_format="usd",
            traces=[
                Trace.from_series(recent, "daily net flow", kind="bar"),
                Trace.from_series(cum.loc[recent.index], "cumulative (right)", axis="y2"),
            ],
            y2_label="cumulative flow (USD)",
            y2_format="usd",
            source=ctx.source_line("etf_flows"),
            demo=demo,
        ),
    )
    return SectionResult(findings=out, charts=charts)


# ---------------------------------------------------------------------- derivatives
OPTION_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("snapshot", "{u} options snapshot date", "date"),
    ("spot", "{u} price at the options snapshot", "price"),
    ("call_wall", "{u} call wall", "price"),
    ("put_zone_low", "{u} put zone, lower strike", "price"),
    ("put_zone_high", "{u} put zone, upper strike", "price"),
    ("max_pain", "{u} max pain", "price"),
    ("put_call_oi", "{u} put/call open-interest ratio", "ratio"),
    ("rr_25d", "{u} 25-delta risk reversal", "pp"),
    ("atm_iv", "{u} at-the-money implied volatility", "percent"),
    ("max_pain_expiry", "{u} expiry of the headline max pain", "text"),
    ("max_pain_all", "{u} max pain over all expiries at once", "price"),
    ("call_zone_low", "{u} call zone, lower strike", "price"),
    ("call_zone_high", "{u} call zone, upper strike", "price"),
    ("zone_share", "{u} share of one side's OI a zone holds", "percent"),
    ("max_pain_convention", "{u} expiry the headline max pain is quoted for", "text"),
)
"""Options-positioning findings: ``(id suffix, label template, unit)``."""


def max_pain_convention_text(detail: Any) -> str:
    """The headline max pain's convention as the note states it (from :class:`MaxPain`)."""
    conv = str(detail.convention).split(":", 1)[0]
    if conv == "all_expiries":
        return "all expiries at once"
    if conv == "nearest_monthly" and not detail.note:
        return "the nearest monthly (last-Friday) expiry"
    if conv == "nearest_monthly":
        return "the nearest expiry (the chain has no monthly expiry)"
    return "the nearest expiry"


EXPIRY_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("days", "days to expiry", "days"),
    ("monthly", "monthly", "text"),
    ("max_pain", "max pain", "price"),
    ("call_oi", "call OI", "count"),
    ("put_oi", "put OI", "count"),
    ("put_call_oi", "put/call", "ratio"),
)
"""Columns of the max-pain-per-expiry table (``max_pain_by_expiry`` columns); every
numeric one is a finding ``<prefix>.expiry.<label>.<column>``, ``monthly`` a label."""


def options_findings(
    ctx: ReportContext,
    underlying: str = "BTC",
    prefix: str | None = None,
    positioning: Mapping[str, Any] | None = None,
) -> tuple[list[Finding], list[ChartSpec]]:
    """Options positioning of the latest ``underlying`` snapshot (see :func:`options_section`)."""
    out, charts, _ = options_section(ctx, underlying, prefix, positioning)
    return out, charts


def options_section(
    ctx: ReportContext,
    underlying: str = "BTC",
    prefix: str | None = None,
    positioning: Mapping[str, Any] | None = None,
) -> tuple[list[Finding], list[ChartSpec], list[Table]]:
    """Options positioning of the latest ``underlying`` snapshot up to the report date.

    The one computation behind the report's derivatives section (BTC, ids
    ``derivatives.*``), the dashboard's options page for any underlying
    (ids ``options.<underlying>.*``) and ``altseason options --export``;
    chart ids get a ``-<underlying>`` suffix outside the report.
    ``positioning``: more arguments of
    :func:`~altseason.analytics.options_positioning` (``expiry``,
    ``horizon_days``, ``zone_share``, ``max_pain_convention``) for the
    findings, named in their ``window``; the caller gives such findings a
    prefix of their own.
    """
    from altseason.analytics._options import (
        options_positioning,
        positioning_snapshot,
        prepare_chain,
    )
    from altseason.analytics._strike_bins import bin_by_strike

    u = underlying.upper()
    pre = prefix or f"options.{u.lower()}"
    sfx = "" if pre == "derivatives" else f"-{u.lower()}"
    out: list[Finding] = []
    charts: list[ChartSpec] = []
    tables: list[Table] = []
    opts = ctx.table("options", underlying=u) if ctx.table_rows("options") else pd.DataFrame()
    if opts.empty:
        reason = f"no {u} options snapshots in the store up to {ctx.asof.date()}"
        for key, label, unit in OPTION_FIGURES:
            out.append(Finding.unavailable(f"{pre}.{key}", label.format(u=u), reason, unit=unit))
        return out, charts, tables
    newest = pd.Timestamp(pd.to_datetime(opts["snapshot_ts"]).max())
    live = positioning_snapshot(opts, u)
    if live is None:
        reason = (
            f"no {u} options snapshot up to {ctx.asof.date()} has an unexpired option with "
            "open interest (quotes only): walls, zones and max pain need open interest"
        )
        for key, label, unit in OPTION_FIGURES:
            out.append(Finding.unavailable(f"{pre}.{key}", label.format(u=u), reason, unit=unit))
        return out, charts, tables
    snap = pd.Timestamp(live)
    extra = {k: v for k, v in (positioning or {}).items() if v is not None}
    pos = options_positioning(opts, underlying=u, snapshot=snap, **extra)
    summ = pos.summary()
    prov = ctx.prov("options", start=snap.normalize(), end=snap.normalize(), underlying=u)
    window = f"snapshot {snap:%Y-%m-%d %H:%M} UTC"
    if newest > snap:
        window += f" (the newer snapshot of {newest:%Y-%m-%d %H:%M} has no open interest)"
    if extra:
        window += "; " + ", ".join(f"{k}={v}" for k, v in extra.items())
    kw = {"provenance": [prov], "asof": snap, "window": window}
    m = "analytics.options_positioning"
    cols = {
        "rr_25d": "rr25",
        "max_pain_all": "max_pain_all_expiries",
        "zone_share": "zone_target_share",
    }
    for key, label, unit in OPTION_FIGURES:
        text = label.format(u=u)
        if key in ("rr_25d", "atm_iv"):
            text += f" ({pos.target_days:.0f}-day)"
        if key == "snapshot":
            value = snap
        elif key == "max_pain_convention":
            value = max_pain_convention_text(pos.max_pain_detail)
        else:
            value = summ[cols.get(key, key)]
        method = None if key == "snapshot" else m
        if key in ("max_pain", "max_pain_expiry", "max_pain_convention"):
            method = f"analytics.headline_max_pain: {pos.max_pain_detail.convention}"
            if pos.max_pain_detail.note:
                method += f" ({pos.max_pain_detail.note})"
        out.append(finding(f"{pre}.{key}", text, value, unit, method=method, **kw))
    by_exp = pos.max_pain_detail.by_expiry
    if not by_exp.empty:
        group = f"{pre}.max_pain_by_expiry"
        rows: list[list[Cell]] = []
        for exp, r in by_exp.iterrows():
            head = " (headline)" if pd.Timestamp(exp) == pos.max_pain_detail.expiry else ""
            cells: list[Cell] = [f"{r['label']}{head}"]
            for col, label, unit in EXPIRY_FIGURES:
                if col == "monthly":
                    cells.append("yes" if bool(r["monthly"]) else "no")
                    continue
                f = finding(
                    f"{pre}.expiry.{r['label']}.{col}",
                    f"{u} {r['label']} {label}",
                    r[col],
                    unit,
                    method="analytics.max_pain_by_expiry (each expiry on its own)",
                    group=group,
                    **kw,
                )
                out.append(f)
                cells.append(table_cell(f))
            rows.append(cells)
        tables.append(
            Table(
                f"{u} max pain per expiry (snapshot {snap:%Y-%m-%d}); open interest in {u}",
                ["expiry", *[label for _c, label, _u in EXPIRY_FIGURES]],
                rows,
                group=group,
            )
        )
    demo = ctx.is_demo("options")
    src = ctx.source_line("options", extra=f"snapshot {snap:%Y-%m-%d %H:%M} UTC")
    lo, hi = summ["spot"] * 0.5, summ["spot"] * 1.8
    oi = pos.oi_by_strike[["call_oi", "put_oi"]]
    oi = oi.loc[(oi.index >= lo) & (oi.index <= hi)]
    # a dense chain (hundreds of strikes) is summed into nice-width bins
    binned = bin_by_strike(oi)
    markers = [Marker("x", float(summ["spot"]), f"spot {summ['spot']:,.0f}", "#222222", False)]
    if pd.notna(summ["call_wall"]) and summ["call_wall"] == summ["max_pain"]:
        markers.append(Marker("x", float(summ["call_wall"]), "call wall = max pain", "#4f9a55"))
    else:
        if pd.notna(summ["call_wall"]):
            markers.append(Marker("x", float(summ["call_wall"]), "call wall", "#4f9a55"))
        if pd.notna(summ["max_pain"]):
            markers.append(Marker("x", float(summ["max_pain"]), "max pain", "#7a5195"))
    bands = []
    if pd.notna(summ["put_zone_low"]) and pd.notna(summ["put_zone_high"]):
        bands.append(
            Band(
                "x",
                float(summ["put_zone_low"]),
                float(summ["put_zone_high"]),
                "put zone",
                "#c0504d",
            )
        )
    charts.append(
        ChartSpec(
            id=f"oi-by-strike{sfx}",
            title=f"{u} options open interest by strike, all expiries",
            x_label=f"strike (USD; {binned.label})",
            y_label=f"open interest ({u})",
            traces=[
                Trace(
                    "calls",
                    list(binned.table.index),
                    binned.table["call_oi"].tolist(),
                    kind="bar",
                    color="#4f9a55",
                ),
                Trace(
                    "puts",
                    list(binned.table.index),
                    binned.table["put_oi"].tolist(),
                    kind="bar",
                    color="#c0504d",
                ),
            ],
            markers=markers,
            bands=bands,
            barmode="group",
            source=src,
            demo=demo,
        )
    )
    ts = pos.term_structure.dropna(subset=["atm_iv"])
    if not ts.empty:
        charts.append(
            ChartSpec(
                id=f"iv-term-structure{sfx}",
                title=f"{u} at-the-money implied volatility by expiry",
                x_label="days to expiry",
                y_label="implied volatility (%)",
                y_format="pct",
                traces=[
                    Trace("ATM IV", ts["days"].tolist(), ts["atm_iv"].tolist()),
                    Trace(
                        "25-delta risk reversal (right)",
                        ts["days"].tolist(),
                        (ts["rr25"] * 100).round(1).tolist(),
                        axis="y2",
                        dash=True,
                    ),
                ],
                y2_label="risk reversal (vol points)",
                source=src,
                demo=demo,
            )
        )
    chain = prepare_chain(opts, underlying=u, snapshot=snap)
    frame = chain.frame
    if "mark_iv" in frame.columns and frame["mark_iv"].notna().any():
        traces = []
        for exp in list(chain.expiries)[:4]:
            g = frame.loc[frame["expiry"] == exp]
            g = g.loc[(g["strike"] >= lo) & (g["strike"] <= hi)]
            sm = g.groupby("strike")["mark_iv"].mean().dropna()
            if len(sm) >= 2:
                traces.append(
                    Trace(f"expiry {pd.Timestamp(exp):%Y-%m-%d}", list(sm.index), sm.tolist())
                )
        if traces:
            charts.append(
                ChartSpec(
                    id=f"iv-smile{sfx}",
                    title=f"{u} implied volatility smile (mark IV by strike)",
                    x_label="strike (USD)",
                    y_label="implied volatility (%)",
                    y_format="pct",
                    traces=traces,
                    markers=[Marker("x", float(summ["spot"]), "spot", "#222222", False)],
                    source=src,
                    demo=demo,
                )
            )
    return out, [c for c in charts if c.has_data], tables


def compute_derivatives(ctx: ReportContext) -> SectionResult:
    """Options positioning of the latest BTC and ETH snapshots and perp funding.

    For each of ``ctx.underlyings`` (BTC then ETH in the report): BTC
    findings are ``derivatives.*``, ETH ``derivatives.eth.*``; each
    underlying gets its per-expiry max-pain table. Non-default conventions
    (``ctx.options``: zone share, headline max-pain expiry) are named in
    each finding's window.
    """
    from altseason.analytics._derivatives import daily_funding

    out: list[Finding] = []
    charts: list[ChartSpec] = []
    tables: list[Table] = []
    conv = ctx.options or None
    for u in ctx.underlyings:
        pre = derivatives_prefix(u)
        try:
            u_out, u_charts, u_tables = options_section(ctx, u, pre, conv)
        except (DataUnavailableError, ValidationError) as exc:
            # one underlying's unusable chain does not take the other's figures with it
            u_out = [
                Finding.unavailable(f"{pre}.{key}", label.format(u=u), str(exc), unit=unit)
                for key, label, unit in OPTION_FIGURES
            ]
            u_charts, u_tables = [], []
        out += u_out
        charts += u_charts
        tables += u_tables
    for asset in ctx.underlyings:
        fid = f"{derivatives_prefix(asset)}.funding_rate"
        fund = ctx.table("funding", asset_id=asset) if ctx.table_rows("funding") else None
        if fund is not None and not fund.empty:
            daily = daily_funding(fund, assets=[asset])
            col = daily[asset] if asset in daily.columns else daily.iloc[:, 0]
            d, v = last_valid(col)
            out.append(
                finding(
                    fid,
                    f"{asset} perp funding (per day, latest day)",
                    v,
                    "rate",
                    provenance=[ctx.prov("funding", asset_id=asset)],
                    asof=d,
                    window="1d",
                    method="analytics.daily_funding (venues averaged)",
                )
            )
        else:
            out.append(
                Finding.unavailable(
                    fid,
                    f"{asset} perp funding",
                    f"no {asset} funding rates in the store",
                    unit="rate",
                )
            )
    return SectionResult(findings=out, charts=charts, tables=tables)


def derivatives_prefix(u: str) -> str:
    """Finding-id prefix of ``u``'s derivatives: ``derivatives`` (BTC), ``derivatives.eth``."""
    return "derivatives" if u == "BTC" else f"derivatives.{u.lower()}"


# ---------------------------------------------------------------------- on-chain
def compute_onchain(ctx: ReportContext) -> SectionResult:
    """Realized price, MVRV and the 200-week average against the BTC price."""
    from altseason.analytics._onchain import moving_average_200w, support_bands

    btc = _btc_close(ctx)
    prov_p = ctx.prov("prices", asset_id="BTC")
    oc = ctx.table("onchain", asset_id="BTC") if ctx.table_rows("onchain") else pd.DataFrame()
    series: dict[str, pd.Series] = {}
    if not oc.empty:
        for metric, g in oc.groupby("metric"):
            series[str(metric)] = g.set_index("date")["value"].astype(float).sort_index()
    prov_o = ctx.prov("onchain", asset_id="BTC")
    realized = series.get("realized_price_usd")
    if realized is None and "realized_cap_usd" in series and "supply" in series:
        from altseason.analytics._onchain import realized_price

        realized = realized_price(series["realized_cap_usd"], series["supply"])
    ma = moving_average_200w(btc)
    bands = support_bands(btc, realized=realized, ma_200w=ma)
    price_d, price = last_valid(btc)
    out = [finding("onchain.price", "BTC price", price, "price", provenance=[prov_p], asof=price_d)]
    if realized is not None and "realized_price" in bands:
        d, rp = last_valid(bands["realized_price"])
        _, dist = last_valid(bands["realized_price_distance"])
        out += [
            finding(
                "onchain.realized_price",
                "BTC realized price",
                rp,
                "price",
                provenance=[prov_o],
                asof=d,
                method="realized cap / supply (store onchain)",
            ),
            finding(
                "onchain.price_vs_realized",
                "Price relative to realized price",
                dist,
                "return",
                provenance=[prov_o, prov_p],
                asof=d,
                method="analytics.support_bands: close / realized price - 1",
            ),
        ]
    else:
        reason = "no BTC realized price or realized cap in the store"
        out += [
            Finding.unavailable(
                "onchain.realized_price", "BTC realized price", reason, unit="price"
            ),
            Finding.unavailable(
                "onchain.price_vs_realized",
                "Price relative to realized price",
                reason,
                unit="return",
            ),
        ]
    if "mvrv" in series:
        d, v = last_valid(series["mvrv"].loc[: ctx.asof])
        out.append(
            finding(
                "onchain.mvrv",
                "BTC MVRV",
                v,
                "ratio",
                provenance=[prov_o],
                asof=d,
                method="market cap / realized cap (store onchain)",
            )
        )
    else:
        out.append(
            Finding.unavailable(
                "onchain.mvrv", "BTC MVRV", "no BTC MVRV in the store", unit="ratio"
            )
        )
    d, v = last_valid(bands["ma_200w"])
    _, dist = last_valid(bands["ma_200w_distance"])
    out += [
        finding(
            "onchain.ma_200w",
            "BTC 200-week average",
            v,
            "price",
            provenance=[prov_p],
            asof=d,
            method="analytics.moving_average_200w (1,400 daily closes)",
        ),
        finding(
            "onchain.price_vs_200w",
            "Price relative to the 200-week average",
            dist,
            "return",
            provenance=[prov_p],
            asof=d,
            method="analytics.support_bands",
        ),
    ]
    recent = bands.loc[ctx.asof - pd.Timedelta(days=3 * CHART_DAYS) :]
    traces = [Trace.from_series(recent["close"], "BTC close")]
    if "realized_price" in recent:
        traces.append(Trace.from_series(recent["realized_price"], "realized price", dash=True))
    if recent["ma_200w"].notna().any():
        traces.append(Trace.from_series(recent["ma_200w"], "200-week average", dash=True))
    charts = [
        ChartSpec(
            id="support-bands",
            title="BTC price against cost-basis support levels",
            x_label="date (UTC)",
            y_label="USD per BTC (log scale)",
            y_format="usd",
            y_log=True,
            traces=traces,
            source=ctx.source_line("prices", "onchain"),
            demo=ctx.is_demo("prices", "onchain"),
        )
    ]
    if "mvrv" in series:
        mv = series["mvrv"].loc[ctx.asof - pd.Timedelta(days=3 * CHART_DAYS) : ctx.asof]
        charts.append(
            ChartSpec(
                id="mvrv",
                title="BTC MVRV with historical bands",
                x_label="date (UTC)",
                y_label="MVRV (market cap / realized cap)",
                traces=[Trace.from_series(mv, "MVRV")],
                bands=[
                    Band("y", 0.0, 1.0, "below 1: capitulation zone", "#c0504d"),
                    Band(
                        "y",
                        3.5,
                        max(4.0, float(mv.max()) * 1.05),
                        "above 3.5: overheated",
                        "#e08a1e",
                    ),
                ],
                source=ctx.source_line("onchain"),
                demo=ctx.is_demo("onchain"),
            )
        )
    return SectionResult(findings=out, charts=charts)


# ---------------------------------------------------------------------- macro & sentiment
def _macro_series(ctx: ReportContext, series_id: str) -> pd.Series | None:
    if not ctx.table_rows("macro"):
        return None
    m = ctx.table("macro", series_id=series_id)
    if m.empty:
        return None
    return m.set_index("date")["value"].astype(float).sort_index()


def compute_macro(ctx: ReportContext) -> SectionResult:
    """M2 growth, Fed net liquidity, BTC / M2, Fear & Greed and the capitulation score."""
    from altseason.analytics._macro import m2_yoy, market_cap_to_m2, net_liquidity
    from altseason.analytics._sentiment import fear_greed_summary

    out: list[Finding] = []
    charts: list[ChartSpec] = []
    m2 = _macro_series(ctx, "M2SL")
    if m2 is not None:
        prov = ctx.prov("macro", series_id="M2SL")
        d, v = last_valid(m2_yoy(m2))
        out.append(
            finding(
                "macro.m2_yoy",
                "US M2 year-on-year growth",
                v,
                "return",
                provenance=[prov],
                asof=d,
                window="365d",
                method="analytics.m2_yoy",
            )
        )
        mcap = ctx.prices("market_cap_usd")
        if "BTC" in mcap.columns and mcap["BTC"].notna().any():
            ratio = market_cap_to_m2(mcap["BTC"].dropna(), m2)
            d2, v2 = last_valid(ratio)
            out.append(
                finding(
                    "macro.btc_m2_ratio",
                    "BTC market cap / US M2",
                    v2,
                    "percent",
                    provenance=[prov, ctx.prov("prices", asset_id="BTC")],
                    asof=d2,
                    method="analytics.market_cap_to_m2",
                )
            )
            btc = _btc_close(ctx).loc[ctx.asof - pd.Timedelta(days=3 * CHART_DAYS) :]
            m2r = m2.loc[btc.index[0] - pd.Timedelta(days=40) :]
            charts.append(
                ChartSpec(
                    id="m2-btc",
                    title="US M2 money supply vs BTC",
                    x_label="date (UTC)",
                    y_label="BTC close (USD)",
                    y_format="usd",
                    y2_label="US M2 (USD)",
                    y2_format="usd",
                    traces=[
                        Trace.from_series(btc, "BTC close"),
                        # FRED M2SL is in USD billions: in USD, ticks read "$21.8T"
                        Trace.from_series(m2r * 1e9, "US M2 (right)", axis="y2", dash=True),
                    ],
                    source=ctx.source_line("prices", "macro"),
                    demo=ctx.is_demo("prices", "macro"),
                )
            )
    walcl, rrp, tga = (_macro_series(ctx, s) for s in ("WALCL", "RRPONTSYD", "WTREGEN"))
    if walcl is not None and rrp is not None and tga is not None:
        nl = net_liquidity(walcl, rrp, tga)["net_liquidity"].loc[: ctx.asof] * 1e9
        provs = [ctx.prov("macro", series_id=s) for s in ("WALCL", "RRPONTSYD", "WTREGEN")]
        d, v = last_valid(nl)
        prev = nl.loc[: (d or ctx.asof) - pd.Timedelta(days=90)].dropna()
        out.append(
            finding(
                "macro.net_liquidity",
                "Fed net liquidity",
                v,
                "usd",
                provenance=provs,
                asof=d,
                method="analytics.net_liquidity",
            )
        )
        if len(prev) and v is not None:
            out.append(
                finding(
                    "macro.net_liquidity_change",
                    "Fed net liquidity change, 90 days",
                    v - float(prev.iloc[-1]),
                    "flow",
                    provenance=provs,
                    asof=d,
                    window="90d",
                    method="analytics.net_liquidity: change",
                )
            )
    fg = None
    if ctx.table_rows("sentiment"):
        s = ctx.table("sentiment", index_id="fear_greed")
        if not s.empty:
            fg = s.set_index("date")["value"].astype(float).sort_index()
            prov = ctx.prov("sentiment", index_id="fear_greed")
            summ = fear_greed_summary(fg)
            d = summ["date"]
            m = "analytics.fear_greed_summary"
            out += [
                finding(
                    "sentiment.fear_greed",
                    "Fear & Greed index (0-100)",
                    summ["value"],
                    "number",
                    provenance=[prov],
                    asof=d,
                    window="1d",
                    method=m,
                ),
                finding(
                    "sentiment.fear_greed_label",
                    "Fear & Greed zone",
                    str(summ["zone"]).replace("_", " "),
                    "text",
                    provenance=[prov],
                    asof=d,
                    method=m,
                ),
                finding(
                    "sentiment.fear_greed_avg_30d",
                    "Fear & Greed 30-day average",
                    summ["mean_30d"],
                    "number",
                    provenance=[prov],
                    asof=d,
                    window="30d",
                    method=m,
                ),
            ]
            recent = fg.loc[ctx.asof - pd.Timedelta(days=CHART_DAYS) :]
            charts.append(
                ChartSpec(
                    id="fear-greed",
                    title="Crypto Fear & Greed index",
                    x_label="date (UTC)",
                    y_label="index (0 = extreme fear, 100 = extreme greed)",
                    traces=[Trace.from_series(recent, "Fear & Greed", kind="area")],
                    bands=[
                        Band("y", 0, 25, "extreme fear", "#c0504d"),
                        Band("y", 75, 100, "extreme greed", "#4f9a55"),
                    ],
                    source=ctx.source_line("sentiment"),
                    demo=ctx.is_demo("sentiment"),
                )
            )
    cap_out, cap_charts, cap_tables = capitulation_findings(ctx)
    out += cap_out
    charts += cap_charts
    return SectionResult(findings=out, charts=charts, tables=cap_tables)


CAPITULATION_THRESHOLD = 0.5
"""Score at or above which a day is flagged (``capitulation_episodes``' default)."""

CAPITULATION_TABLE_ROWS = 12
"""The episodes table shows the latest this many episodes."""

CAPITULATION_LABELS: dict[str, str] = {
    "drawdown": "drawdown from the 365-day high",
    "volume_surge": "volume surge",
    "fear_greed": "Fear & Greed (inverted)",
    "funding": "funding (inverted)",
    "mvrv": "MVRV (inverted)",
}
"""Chart and table names of the five capitulation components."""

CAPITULATION_SHORT: dict[str, str] = {
    "drawdown": "drawdown",
    "volume_surge": "volume",
    "fear_greed": "F&G",
    "funding": "funding",
    "mvrv": "MVRV",
}
"""Table column names of the capitulation components."""


def _sentence_case(name: str) -> str:
    """``"funding"`` -> ``"Funding"``; ``"MVRV"`` unchanged."""
    return name[:1].upper() + name[1:]


def capitulation_findings(
    ctx: ReportContext,
) -> tuple[list[Finding], list[ChartSpec], list[Table]]:
    """BTC capitulation from all five components (``capitulation_from_store``).

    Findings: the latest score, how many of the five components it used (a
    ``caveat`` naming the missing ones when fewer than five), the number of
    flagged episodes in the sample and the last flagged date; a chart of the
    score with its components over the last two years; a table of the
    episodes (start, end, peak and its score).
    """
    from altseason.analytics import Quality, freshness
    from altseason.analytics._positioning_data import capitulation_from_store
    from altseason.analytics._sentiment import CAPITULATION_WEIGHTS, capitulation_episodes

    try:
        cap = capitulation_from_store(ctx.store, "BTC", end=ctx.asof)
    except (DataUnavailableError, ValidationError) as exc:
        return (
            [
                Finding.unavailable(fid, label, str(exc), unit=unit)
                for fid, label, unit in CAPITULATION_EXPECTED
            ],
            [],
            [],
        )
    provs = [ctx.prov("prices", asset_id="BTC")]
    for table, filt in (
        ("sentiment", {"index_id": "fear_greed"}),
        ("funding", {}),
        ("onchain", {}),
    ):
        if ctx.table_rows(table):
            provs.append(ctx.prov(table, **filt))
    scored = cap.dropna(subset=["score"])
    if scored.empty:
        reason = "no day with a capitulation score up to the report date"
        return (
            [
                Finding.unavailable(fid, label, reason, unit=unit)
                for fid, label, unit in CAPITULATION_EXPECTED
            ],
            [],
            [],
        )
    d = pd.Timestamp(scored.index[-1])
    last = scored.iloc[-1]
    n = int(last["n_components"])
    missing = str(last["missing"] or "")
    reasons = cap.attrs.get("missing_reasons", {})
    q = None
    if n < len(CAPITULATION_WEIGHTS):
        why = "; ".join(f"{k}: {v}" for k, v in reasons.items()) or missing
        q = Quality(
            "caveat",
            coverage={"observed": n, "expected": len(CAPITULATION_WEIGHTS), "unit": "components"},
            reason=f"{n} of {len(CAPITULATION_WEIGHTS)} components ({missing} missing: {why})",
        )
    eps = capitulation_episodes(cap, threshold=CAPITULATION_THRESHOLD)
    method = (
        "analytics.capitulation_from_store: weighted mean of drawdown, volume surge, "
        "Fear & Greed, funding and MVRV (weights 0.25/0.15/0.25/0.15/0.20, renormalised "
        "over the components available)"
    )
    span = f"{pd.Timestamp(scored.index[0]).date()}..{d.date()}"
    out = [
        finding(
            "sentiment.capitulation",
            "Capitulation score (0-1)",
            float(last["score"]),
            "ratio",
            provenance=provs,
            asof=d,
            method=method,
            quality=q,
        ),
        finding(
            "sentiment.capitulation_components",
            "Capitulation components used (of 5)",
            float(n),
            "count",
            provenance=provs,
            asof=d,
            method=method,
        ),
        finding(
            "sentiment.capitulation_episodes",
            f"Capitulation episodes (score >= {CAPITULATION_THRESHOLD})",
            float(len(eps)),
            "count",
            provenance=provs,
            asof=d,
            window=span,
            method="analytics.capitulation_episodes (flagged days up to 7 days apart merged)",
        ),
        finding(
            "sentiment.capitulation_last_flagged",
            "Last day the capitulation score was flagged",
            None if eps.empty else pd.Timestamp(eps["end"].iloc[-1]),
            "date",
            provenance=provs,
            asof=d,
            window=span,
            method="analytics.capitulation_episodes",
        ),
    ]
    recent = cap.loc[ctx.asof - pd.Timedelta(days=CAPITULATION_CHART_DAYS) :]
    traces = [Trace.from_series(recent["score"], "score (weighted)")]
    for name in CAPITULATION_WEIGHTS:
        if name in recent and recent[name].notna().any():
            traces.append(Trace.from_series(recent[name], CAPITULATION_LABELS[name], dash=True))
    charts = [
        ChartSpec(
            id="capitulation",
            title="BTC capitulation score and its components, last two years",
            x_label="date (UTC)",
            y_label="scaled 0-1 (1 = capitulation)",
            traces=traces,
            bands=[Band("y", CAPITULATION_THRESHOLD, 1.0, "flagged", "#c0504d")],
            source=ctx.source_line("prices", "sentiment", "funding", "onchain"),
            demo=ctx.is_demo("prices"),
        )
    ]
    tables: list[Table] = []
    if not eps.empty:
        group = "sentiment.capitulation.episodes"
        # a past episode is history, not stale data: its inputs are the series up to d
        history = Quality("ok", freshness=freshness(d, ctx.asof))
        rows: list[list[Cell]] = []
        for _, e in eps.tail(CAPITULATION_TABLE_ROWS).iterrows():
            peak = pd.Timestamp(e["peak_date"])
            pre = f"sentiment.capitulation.episode.{peak.date()}"
            ep_kw: dict[str, Any] = {
                "provenance": provs,
                "asof": peak,
                "window": f"{pd.Timestamp(e['start']).date()}..{pd.Timestamp(e['end']).date()}",
                "group": group,
                "quality": history,
            }
            missing_here = str(e["missing"]) if "missing" in e and pd.notna(e["missing"]) else ""
            cells: list[Cell] = [
                str(pd.Timestamp(e["start"]).date()),
                str(pd.Timestamp(e["end"]).date()),
            ]
            days = finding(
                f"{pre}.flagged_days",
                f"Days flagged in the capitulation episode peaking {peak.date()}",
                int(e["flagged_days"]),
                "count",
                method="analytics.capitulation_episodes (flagged days up to 7 days apart merged)",
                **ep_kw,
            )
            score = finding(
                f"{pre}.score",
                f"Capitulation score at the {peak.date()} peak",
                float(e["peak_score"]),
                "ratio",
                method=method + (f"; {missing_here} missing on that day" if missing_here else ""),
                **ep_kw,
            )
            comps: list[Finding] = []
            for c in CAPITULATION_WEIGHTS:
                fid = f"{pre}.{c}"
                label = f"Capitulation component {CAPITULATION_LABELS[c]} (scaled 0-1) at the {peak.date()} peak"
                if c in e and pd.notna(e[c]):
                    comps.append(
                        finding(
                            fid,
                            label,
                            float(e[c]),
                            "ratio",
                            method="analytics.capitulation_score (component scaled 0-1)",
                            **ep_kw,
                        )
                    )
                else:
                    comps.append(
                        Finding.unavailable(
                            fid,
                            label,
                            f"no {CAPITULATION_LABELS[c]} input on the peak day"
                            + (f" ({reasons[c]})" if c in reasons else ""),
                            unit="ratio",
                            asof=peak,
                            provenance=provs,
                            group=group,
                        ).with_quality(history)
                    )
            out += [days, score, *comps]
            cells += [
                table_cell(days),
                str(peak.date()),
                table_cell(score),
                *[table_cell(f) for f in comps],
            ]
            rows.append(cells)
        # a component missing at every peak is an empty column: the note says why
        note: list[Token] = []
        shown = {f.id: f for f in out if f.group == group}
        empty = [
            c
            for c in CAPITULATION_WEIGHTS
            if all(
                not shown[f"sentiment.capitulation.episode.{pd.Timestamp(p).date()}.{c}"].available
                for p in eps.tail(CAPITULATION_TABLE_ROWS)["peak_date"]
            )
        ]
        for c in empty:
            first = pd.Timestamp(eps.tail(CAPITULATION_TABLE_ROWS)["peak_date"].iloc[0]).date()
            fid = f"sentiment.capitulation.episode.{first}.{c}"
            note += [
                ("" if not note else " ") + f"{_sentence_case(CAPITULATION_SHORT[c])} is ",
                Ref(fid, "not available"),
                f" at any of these peaks ({reasons.get(c, 'no input on those days')}).",
            ]
        tables.append(
            Table(
                f"Dates the BTC capitulation score flagged (score >= {CAPITULATION_THRESHOLD}; "
                f"latest {CAPITULATION_TABLE_ROWS} episodes) and the scaled components at each "
                "peak",
                [
                    "start",
                    "end",
                    "days",
                    "peak",
                    "score",
                    *[CAPITULATION_SHORT[c] for c in CAPITULATION_WEIGHTS],
                ],
                rows,
                group=group,
                note=tuple(note),
            )
        )
    return out, charts, tables
