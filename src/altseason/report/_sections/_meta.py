"""Summary, data coverage and staleness, and what changed since the previous report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from altseason.analytics import QualityRules
from altseason.exceptions import ReportError
from altseason.labels import DEMO_LABEL
from altseason.report._findings import Finding, FindingSet, Provenance
from altseason.report._narrative import (
    Paragraph,
    Ref,
    Sentence,
    Token,
    breadth_word,
    leadership,
    regime_reason,
    regime_view,
    say,
)
from altseason.report._sections._base import ReportContext, SectionResult, Table, finding
from altseason.report._sections._words import tier_word

__all__ = [
    "KEY_FIGURES",
    "STALE_DAYS",
    "change_findings",
    "compute_coverage",
    "find_previous",
    "headline",
    "write_changes",
    "write_coverage",
    "write_summary",
]

KEY_FIGURES: tuple[str, ...] = (
    "divergence.altseason_index",
    "divergence.rs_small_btc_change",
    "divergence.breadth_50d",
    "divergence.dominance",
    "flows.net_flow",
    "derivatives.call_wall",
    "onchain.mvrv",
    "sentiment.fear_greed",
    "correlation.avg_30d",
    "strategy.weight_alts",
)
"""Findings shown in the key-figures strip at the top of the report."""

STALE_DAYS = 7
"""A table whose newest row is more than this many days before the report date is stale."""

COVERAGE_TABLES: tuple[tuple[str, str], ...] = (
    ("prices", "price rows"),
    ("etf_flows", "ETF flow rows"),
    ("options", "option-chain rows"),
    ("funding", "funding-rate rows"),
    ("onchain", "on-chain rows"),
    ("macro", "macro rows"),
    ("sentiment", "sentiment rows"),
    ("events", "event rows"),
)


# ---------------------------------------------------------------------- summary
def headline(fs: FindingSet) -> str:
    """The report's headline: the divergence regime, else who leads (hedged).

    Derived from the ``divergence.regime`` finding when it is available, so
    the headline never contradicts it; otherwise from :func:`leadership`.
    """
    tier = tier_word(fs, "divergence.rs_small_btc_change")
    head, _ = regime_view(fs, tier)
    if head is not None:
        return head
    lead = leadership(
        fs.value("divergence.rs_small_btc_change"), fs.value("divergence.altseason_index")
    )
    breadth = breadth_word(fs.value("divergence.breadth_50d"))
    if lead == "small caps lead":
        return f"{tier.capitalize()} caps lead BTC" + (
            " on broad participation" if breadth == "broad" else ""
        )
    if lead == "majors lead":
        return f"Majors lead; {tier} caps lag" + (
            " on narrow participation" if breadth == "narrow" else ""
        )
    if lead == "mixed":
        return f"Mixed signals between majors and {tier} caps"
    return "Large-cap / small-cap divergence: data not available"


def write_summary(fs: FindingSet) -> list[Paragraph]:
    """The headline summary: one sentence per theme, built from the key findings."""
    p = Paragraph()
    lead = leadership(
        fs.value("divergence.rs_small_btc_change"), fs.value("divergence.altseason_index")
    )
    tier = tier_word(fs, "divergence.rs_small_btc_change")
    _, asserted = regime_view(fs, tier)
    rs = fs.value("divergence.rs_small_btc_change")
    if asserted is not None:
        reg = str(fs.get("divergence.regime").value)
        verb = "gained" if rs is not None and rs > 0 else "lost"
        p.add(
            say(
                fs,
                f"The divergence regime is [[divergence.regime]]: {regime_reason(reg, tier)}.",
            )
        )
        p.add(
            say(
                fs,
                f"The altseason index is [[divergence.altseason_index]] and the {tier}-cap "
                f"index {verb} [[divergence.rs_small_btc_change|abs]] relative to BTC.",
            )
        )
    elif lead == "small caps lead":
        p.add(
            say(
                fs,
                f"{tier.capitalize()} caps lead BTC: the altseason index is "
                f"[[divergence.altseason_index]] and the {tier}-cap index gained [[divergence.rs_small_btc_change|abs]] "
                "relative to BTC.",
            )
        )
    elif lead == "majors lead":
        p.add(
            say(
                fs,
                "Majors lead: the altseason index is [[divergence.altseason_index]] and the "
                f"{tier}-cap index lost [[divergence.rs_small_btc_change|abs]] relative to BTC.",
            )
        )
    elif lead == "mixed":
        p.add(
            say(
                fs,
                "Signals are mixed: the altseason index is [[divergence.altseason_index]] "
                f"while the {tier}-cap index moved [[divergence.rs_small_btc_change]] relative "
                "to BTC.",
            )
        )
    elif fs.available("divergence.rs_small_btc_change"):
        # one measure stands: state it, and say why the other is missing
        p.add(
            say(
                fs,
                f"The {tier}-cap index moved [[divergence.rs_small_btc_change]] relative to BTC.",
            )
        )
        p.add(say(fs, "[[divergence.altseason_index]]", what="the altseason index"))
    elif fs.available("divergence.altseason_index"):
        p.add(
            say(
                fs,
                "The altseason index is [[divergence.altseason_index]]: that share of the top "
                "50 beat BTC over 90 days.",
            )
        )
        p.add(say(fs, "[[divergence.rs_small_btc_change]]", what="the tier index relative to BTC"))
    else:
        p.add(
            say(
                fs,
                "[[divergence.altseason_index]] [[divergence.rs_small_btc_change]]",
                what="the large-cap / small-cap divergence",
            )
        )
    bw = breadth_word(fs.value("divergence.breadth_50d"))
    if bw != "unknown":
        p.add(
            say(
                fs,
                f"Breadth is {bw}, with [[divergence.breadth_50d]] of assets above their "
                "50-day average.",
            )
        )
    if fs.available("sectors.best"):
        best_r, worst_r = fs.value("sectors.best_return"), fs.value("sectors.worst_return")
        if best_r is not None and best_r < 0:
            p.add(
                say(
                    fs,
                    "Every sector fell: [[sectors.best]] fell least ([[sectors.best_return]]) "
                    "and [[sectors.worst]] most ([[sectors.worst_return]]).",
                )
            )
        elif worst_r is not None and worst_r > 0:
            p.add(
                say(
                    fs,
                    "Every sector rose: [[sectors.best]] most ([[sectors.best_return]]) and "
                    "[[sectors.worst]] least ([[sectors.worst_return]]).",
                )
            )
        else:
            p.add(
                say(
                    fs,
                    "[[sectors.best]] led the sectors ([[sectors.best_return]]) and "
                    "[[sectors.worst]] lagged ([[sectors.worst_return]]).",
                )
            )
    if fs.available("flows.net_flow"):
        p.add(
            say(
                fs,
                "Net spot-ETF flow was [[flows.net_flow]] over the window, with BTC "
                "[[flows.holder_pnl]] relative to the ETF cost basis.",
            )
        )
    if fs.available("derivatives.call_wall") and fs.available("derivatives.put_zone_low"):
        p.add(
            say(
                fs,
                "Options positioning brackets spot between a put zone at "
                "[[derivatives.put_zone_low]]–[[derivatives.put_zone_high]] and a call wall "
                "at [[derivatives.call_wall]].",
            )
        )
    if fs.available("onchain.mvrv"):
        p.add(
            say(
                fs,
                "MVRV stands at [[onchain.mvrv]] with the realized price at "
                "[[onchain.realized_price]].",
            )
        )
    if fs.available("sentiment.fear_greed"):
        p.add(
            say(
                fs,
                "Sentiment reads [[sentiment.fear_greed]] on Fear & Greed "
                "([[sentiment.fear_greed_label]]).",
            )
        )
    if fs.available("strategy.weight_alts"):
        p.add(
            say(
                fs,
                "The [[strategy.name]] strategy holds [[strategy.weight_alts]] in alts and "
                "[[strategy.weight_cash]] in cash.",
            )
        )
    out = [p]
    if fs.is_demo:
        out.append(
            Paragraph(
                [
                    Sentence(
                        (
                            f"Every number in this note comes from the {DEMO_LABEL}: it illustrates the method "
                            "and describes no real market.",
                        )
                    )
                ]
            )
        )
    return out


# ---------------------------------------------------------------------- quality
NOT_JUDGED: tuple[str, ...] = ("coverage", "changes")
"""Sections whose findings describe the data itself and are not judged for freshness."""


def judge_freshness(fs: FindingSet, asof: pd.Timestamp, rules: QualityRules) -> None:
    """Give every finding a freshness and judge the ones no section judged.

    A finding without an explicit freshness gets ``newest_input`` = its own
    as-of date; an ``ok`` finding whose date is older than
    :attr:`QualityRules.fresh_days` becomes a caveat ("data ends on ...") and
    one older than :attr:`QualityRules.max_lag_days` unavailable.
    """
    from altseason.analytics import freshness, freshness_quality

    for f in list(fs):
        if f.section in NOT_JUDGED:
            continue
        if f.freshness is not None:
            continue
        if f.asof is None:
            continue
        g = replace(f, freshness=freshness(f.asof, asof))
        if g.status == "ok":
            g = g.with_quality(freshness_quality(f.asof, asof, what="data", rules=rules))
        fs.add(g)


ADDITIVE_UNITS: tuple[str, ...] = ("flow",)
"""Units of findings that sum their input rows (a net flow over a window, a cumulative flow):
one wrong row changes the sum, so any conflict among the inputs is a caveat."""


def judge_conflicts(fs: FindingSet) -> None:
    """Caveat the additive findings whose input rows include conflicts between sources.

    A sum of daily ETF flows that includes a day on which two sources disagree,
    or a flow booked on an NYSE holiday, cannot be stated as plainly as one
    without: the finding stays, with the count and the command that lists them.
    Other findings show their inputs' conflict count in the provenance only (a
    1 % venue difference on a mid-window close does not move a 90-day return).
    """
    from altseason.analytics import Quality

    for f in list(fs):
        if f.section in NOT_JUDGED or f.status != "ok" or f.unit not in ADDITIVE_UNITS:
            continue
        hits = [p for p in f.provenance if p.conflicts]
        if not hits:
            continue
        n = sum(p.conflicts for p in hits)
        tables = ", ".join(dict.fromkeys(p.table for p in hits))
        reason = (
            f"{n:,} of the rows it sums disagree between sources or fall on exchange "
            f"holidays, listed by 'altseason conflicts' for {tables}"
        )
        fs.add(f.with_quality(Quality("caveat", reason=reason)))


def _lag_cell(f: Finding) -> Token:
    """The lag of ``f``'s newest input, linked to ``f`` (whose row states its freshness)."""
    lag = (f.freshness or {}).get("lag_days")
    return "n/a" if lag is None else Ref(f.id, str(lag))


def quality_table(fs: FindingSet) -> Table | None:
    """The data-quality table: every finding with a caveat or stale inputs."""
    rows: list[list[Token]] = []
    grouped: dict[tuple[str, str, str], list[Finding]] = {}
    for f in fs:
        if f.section in NOT_JUDGED or f.status == "ok":
            continue
        if f.status == "unavailable" and f.freshness is None and f.coverage is None:
            continue  # nothing to report beyond the not-available line in its section
        if f.group is not None:
            # a table's cells share their inputs: one row per table and reason
            grouped.setdefault((f.group, f.status, f.reason or ""), []).append(f)
            continue
        fr = f.freshness or {}
        cov = f.coverage
        cov_text = (
            ""
            if not cov
            else (
                f"{float(cov['observed']):.0%} of weight"
                if cov.get("unit") == "weight"
                else f"{cov['observed']} of {cov['expected']} {cov.get('unit', '')}".strip()
            )
        )
        rows.append(
            [
                f.label,
                f.status,
                str(fr.get("newest_input") or "n/a"),
                _lag_cell(f),
                # the coverage is the finding's own (its appendix row): the cell links there
                Ref(f.id, cov_text) if cov_text else "n/a",
                f.reason or "",
            ]
        )
    for (group, status, reason), members in grouped.items():
        fr = members[0].freshness or {}
        rows.append(
            [
                f"{len(members)} table findings of {group}",
                status,
                str(fr.get("newest_input") or "n/a"),
                _lag_cell(members[0]),
                "n/a",
                reason,
            ]
        )
    if not rows:
        return None
    return Table(
        "Findings with a caveat or stale inputs",
        ["Finding", "Status", "Newest input", "Lag (days)", "Coverage", "Reason"],
        rows,
    )


# ---------------------------------------------------------------------- coverage
def compute_coverage(ctx: ReportContext) -> SectionResult:
    """Rows, date range and staleness of each data table up to the report date."""
    out: list[Finding] = []
    for table, what in COVERAGE_TABLES:
        prov = ctx.prov(table)
        label = table.replace("_", " ")
        if prov.rows == 0:
            out.append(
                Finding.unavailable(
                    f"coverage.{table}.rows",
                    f"Rows in {label}",
                    f"table {table} has no rows up to {ctx.asof.date()}",
                    unit="count",
                    provenance=[prov],
                )
            )
            continue
        out.append(
            finding(
                f"coverage.{table}.rows",
                f"{what.capitalize()}",
                prov.rows,
                "count",
                provenance=[prov],
                asof=ctx.asof,
            )
        )
        out.append(
            finding(
                f"coverage.{table}.start",
                f"First date in {label}",
                prov.start,
                "date",
                provenance=[prov],
                asof=ctx.asof,
            )
        )
        out.append(
            finding(
                f"coverage.{table}.end",
                f"Last date in {label}",
                prov.end,
                "date",
                provenance=[prov],
                asof=ctx.asof,
            )
        )
        stale = (ctx.asof - pd.Timestamp(prov.end)).days if prov.end else None
        out.append(
            finding(
                f"coverage.{table}.stale_days",
                f"Days since the last row in {label}",
                stale,
                "days",
                provenance=[prov],
                asof=ctx.asof,
            )
        )
    return SectionResult(findings=out)


def write_coverage(fs: FindingSet) -> list[Paragraph]:
    """What the store holds, and which tables are stale relative to the report date."""
    p = Paragraph(heading="Coverage")
    q = Paragraph(heading="Staleness")
    for table, what in COVERAGE_TABLES:
        fid = f"coverage.{table}.rows"
        if fid not in fs:
            continue
        p.add(
            say(
                fs,
                f"The store holds [[{fid}]] {what} from [[coverage.{table}.start]] to "
                f"[[coverage.{table}.end]].",
                what=fs.get(fid).label.lower(),
            )
        )
        stale = fs.value(f"coverage.{table}.stale_days")
        if stale is not None and stale > STALE_DAYS:
            q.add(
                say(
                    fs,
                    f"The newest row in {table} is [[coverage.{table}.stale_days]] older "
                    f"than the report date (last: [[coverage.{table}.end]]); findings from it "
                    "describe that date, not the report date.",
                )
            )
    if p and not q:
        q.add(
            Sentence(
                (f"Every table with data has a row within {STALE_DAYS} days of the report date.",)
            )
        )
    return [x for x in (p, q) if x]


# ---------------------------------------------------------------------- changes
def find_previous(out_dir: Path, asof: pd.Timestamp, store: str | None = None) -> Path | None:
    """The newest ``findings.json`` of an earlier report in ``out_dir``'s parent.

    Candidates are sibling folders (not ``out_dir`` itself) holding a
    ``findings.json`` whose ``asof`` is on or before ``asof`` and, when both
    are known, built from the same ``store`` file (a report of another store
    is not an earlier version of this one); the latest ``(asof,
    generated_at)`` wins.
    """
    parent = out_dir.resolve().parent
    if not parent.is_dir():
        return None
    best: tuple[str, str, Path] | None = None
    for path in parent.glob("*/findings.json"):
        if path.parent.resolve() == out_dir.resolve():
            continue
        try:
            _fs, meta = FindingSet.read_json(path)
        except ReportError:  # an unreadable old report cannot be compared with; skip it
            continue
        prev_asof = str(meta.get("asof", ""))
        if not prev_asof or prev_asof > str(asof.date()):
            continue
        if store is not None and meta.get("store") not in (None, store):
            continue
        key = (prev_asof, str(meta.get("generated_at", "")), path)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else best[2]


def change_findings(
    current: FindingSet,
    previous: FindingSet,
    meta: dict[str, object],
    path: Path,
    *,
    limit: int = 8,
) -> list[Finding]:
    """Findings describing what changed: the previous values of the findings that moved.

    Each changed finding ``<id>`` gets ``changes.prev.<id>`` holding its previous
    value (provenance: the previous report's findings file). Changes are ranked
    key figures first, then by relative size; at most ``limit`` are kept.
    """
    prov = Provenance(
        table="previous_report",
        rows=len(previous),
        start=str(meta.get("asof")),
        end=str(meta.get("asof")),
        sources=tuple(str(s) for s in previous.sources),
        filters={"file": str(path)},
    )
    prev_asof = str(meta.get("asof"))
    ranked: list[tuple[int, float, Finding, Finding]] = []
    for cur in current:
        if cur.section in ("coverage", "changes") or not cur.available:
            continue
        if cur.group is not None:
            continue  # table cells: the table itself shows them; changes list headline figures
        if cur.id not in previous:
            continue
        old = previous.get(cur.id)
        if not old.available or old.unit != cur.unit:
            continue
        if old.format() == cur.format():
            continue
        if isinstance(cur.value, str) or isinstance(old.value, str):
            size = 1.0
        else:
            a, b = float(old.value), float(cur.value)  # type: ignore[arg-type]
            size = abs(b - a) / max(abs(a), 1e-12)
        key_rank = KEY_FIGURES.index(cur.id) if cur.id in KEY_FIGURES else len(KEY_FIGURES)
        ranked.append((key_rank, -size, cur, old))
    ranked.sort(key=lambda t: (t[0], t[1]))
    out = [
        Finding.of(
            "changes.previous_asof",
            "Date of the previous report",
            prev_asof,
            "date",
            asof=prev_asof,
            provenance=[prov],
        ),
        Finding.of(
            "changes.count",
            "Findings that changed since the previous report",
            len(ranked),
            "count",
            asof=prev_asof,
            provenance=[prov],
        ),
    ]
    for _rank, _size, cur, old in ranked[:limit]:
        out.append(
            Finding(
                f"changes.prev.{cur.id}",
                f"Previous report: {cur.label}",
                old.value,
                old.unit,
                prev_asof,
                old.window,
                (prov,),
                None,
                "previous report",
            )
        )
    return out


NO_PREVIOUS = "no earlier report found in the reports folder"
"""Reason of ``changes.previous_asof`` on the first report in a folder."""


def changes_table(fs: FindingSet) -> Table | None:
    """The "what changed" table: one row per changed finding, previous and current value."""
    rows: list[list[Token]] = []
    for f in fs.section("changes.prev"):
        cur_id = f.id[len("changes.prev.") :]
        cur = fs.get(cur_id)
        rows.append([cur.label, Ref(f.id, f.format()), Ref(cur_id, cur.format())])
    if not rows:
        return None
    prev = fs.get("changes.previous_asof").format()
    return Table(
        f"What changed since the report of {prev} (by finding id)",
        ["finding", "then", "now"],
        rows,
    )


def write_changes(fs: FindingSet) -> list[Paragraph]:
    """What changed since the previous report."""
    p = Paragraph()
    if not fs.available("changes.previous_asof"):
        prev = fs.get("changes.previous_asof")
        if prev.reason == NO_PREVIOUS:
            p.add(
                Sentence(
                    (
                        "There is no previous report in this reports folder, so nothing to "
                        "compare with: this is the first.",
                    )
                )
            )
        else:
            p.add(say(fs, "[[changes.previous_asof]]", what="comparison with the previous report"))
        return [p]
    p.add(
        say(
            fs,
            "Since the previous report, dated [[changes.previous_asof]], "
            "[[changes.count]] findings changed their rounded value.",
        )
    )
    for f in fs.section("changes.prev"):
        cur_id = f.id[len("changes.prev.") :]
        cur = fs.get(cur_id)
        p.add(say(fs, f"{cur.label}: [[{f.id}]] then, [[{cur_id}]] now."))
    return [p]
