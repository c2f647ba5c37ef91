"""Output of a checked note: formatted values, table rows and the HTML page.

The HTML page is self-contained (inline CSS, no scripts, no external
resources). All note text is escaped; each claim is a highlighted ``<mark>``
coloured by verdict that links to its row in the claims table, which shows
the computed value(s), the reason and the provenance of every reading.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from altseason.labels import DEMO_LABEL
from altseason.report._findings import format_value

if TYPE_CHECKING:
    from altseason.verify._extract import Claim
    from altseason.verify._measures import Computed
    from altseason.verify._verify import VerifyResult

__all__ = ["format_amount", "format_claimed", "format_computed", "render_html", "table_rows"]

_COLORS = {
    "supported": ("#d9f2dc", "#1b7a2c"),
    "contradicted": ("#fbd9d6", "#b3261e"),
    "ambiguous": ("#fff1c2", "#8a6200"),
    "unverifiable": ("#e3e6ea", "#4a5360"),
    "not_understood": ("#eadcf5", "#6b3fa0"),
}


def format_amount(x: float, unit: str, *, signed: bool | None = None) -> str:
    """A number in base units as text (finding units; ``usd`` amounts compact)."""
    if unit == "usd" and abs(x) < 1e5:
        return format_value(x, "price", signed=signed)
    return format_value(x, unit if unit != "count" or abs(x) >= 1 else "number", signed=signed)


def format_computed(r: Computed) -> str:
    """A reading's value as text (or why it has none)."""
    if r.value is None:
        return f"unavailable ({r.reason})"
    if isinstance(r.value, tuple):
        return f"{format_amount(r.value[0], 'price')}–{format_amount(r.value[1], 'price')}"
    text = format_amount(float(r.value), r.unit)
    if r.unit == "count" and abs(float(r.value)) < 1000:
        text = f"{float(r.value):,.1f}".rstrip("0").rstrip(".")
    if r.unit == "ratio":
        text = f"{float(r.value):.2f}"
    if r.status == "caveat":
        text += f" (caveat: {r.reason})"
    return text


def format_claimed(c: Claim) -> str:
    """The claimed value as the checker read it (sign and unit applied)."""
    unit = {
        "percent": "return",
        "pp": "pp",
        "usd": "flow" if c.measure == "flows" else "price",
    }.get(c.unit, "number")
    if c.measure in ("dominance", "m2_growth"):
        unit = "percent"
    if c.unit == "usd" and c.measure in ("aum", "oi_strike"):
        unit = "usd"
    if unit == "price" and c.measure == "flows":
        unit = "flow"
    if c.unit == "number":
        a = f"{c.value:,.4g}" if abs(c.value) < 1000 else f"{c.value:,.0f}"
        b = (
            None
            if c.high is None
            else (f"{c.high:,.4g}" if abs(c.high) < 1000 else f"{c.high:,.0f}")
        )
    else:
        a = format_amount(c.value, unit)
        b = None if c.high is None else format_amount(c.high, unit)
    q = {"lower": "more than ", "upper": "less than ", "hedge": "about "}.get(c.qualifier or "", "")
    return q + (a if b is None else f"{a}–{b}")


def table_rows(result: VerifyResult) -> list[dict[str, str]]:
    """One dict of display strings per claim (for the terminal table)."""
    rows = []
    for i, chk in enumerate(result.checks, 1):
        c = chk.claim
        rows.append(
            {
                "#": str(i),
                "claim": c.text,
                "subject": c.subject.label if c.subject else "?",
                "measure": c.measure or "?",
                "period": c.period_label or "",
                "claimed": format_claimed(c),
                "computed": "; ".join(format_computed(r) for r in chk.readings),
                "verdict": chk.verdict,
                "reason": chk.reason,
            }
        )
    return rows


_CSS = """
body{font:15px/1.55 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2329;background:#fafbfc}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#5b6570;margin-bottom:14px}
.note{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:16px 20px;white-space:pre-wrap}
mark{border-radius:3px;padding:0 2px;border-bottom:2px solid}
mark a{color:inherit;text-decoration:none}
.legend span{display:inline-block;margin:0 10px 6px 0;padding:1px 8px;border-radius:3px;font-size:13px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #dde1e6;padding:5px 7px;text-align:left;vertical-align:top}
th{background:#f0f2f5}
td.v{font-weight:600;white-space:nowrap}
details{margin-top:3px}summary{cursor:pointer;color:#3b5b85}
.prov{color:#5b6570;font-size:12px;margin:2px 0}
tr:target{outline:3px solid #3b82f6}
.demo{background:#fff3cd;border:1px solid #e0b400;padding:6px 10px;margin-bottom:10px;font-weight:600}
"""


def _prov_text(p: dict[str, Any]) -> str:
    parts = [f"{p.get('table')}: {p.get('rows')} rows"]
    if p.get("start") or p.get("end"):
        parts.append(f"{p.get('start')}..{p.get('end')}")
    if p.get("filters"):
        parts.append(", ".join(f"{k}={v}" for k, v in p["filters"].items()))
    if p.get("sources"):
        parts.append("sources " + ", ".join(str(s) for s in p["sources"]))
    if p.get("ingested_to"):
        parts.append(f"ingested {p.get('ingested_to')}")
    return "; ".join(parts)


def render_html(result: VerifyResult) -> str:
    """The note with every claim highlighted by verdict and linked to its check."""
    esc = html.escape
    text = result.text
    pieces: list[str] = []
    pos = 0
    for i, chk in enumerate(sorted(result.checks, key=lambda c: c.claim.start), 1):
        c = chk.claim
        if c.start < pos:
            continue
        bg, fg = _COLORS[chk.verdict]
        idx = result.checks.index(chk) + 1
        pieces.append(esc(text[pos : c.start]))
        title = f"{chk.verdict}: {chk.reason}"
        pieces.append(
            f'<mark id="c{idx}" class="{chk.verdict}" style="background:{bg};border-color:{fg}" '
            f'title="{esc(title)}"><a href="#row{idx}">{esc(text[c.start : c.end])}</a>'
            f'<sup style="color:{fg}">{idx}</sup></mark>'
        )
        pos = c.end
        del i
    pieces.append(esc(text[pos:]))
    counts = result.counts()
    legend = "".join(
        f'<span style="background:{_COLORS[v][0]};color:{_COLORS[v][1]}">{esc(v)}: {n}</span>'
        for v, n in counts.items()
    )
    banner = (
        f'<div class="demo">Computed from the {esc(DEMO_LABEL)}: simulated data, not a real '
        "market.</div>"
        if result.demo
        else ""
    )
    rows = []
    for idx, chk in enumerate(result.checks, 1):
        c = chk.claim
        bg, fg = _COLORS[chk.verdict]
        readings = []
        for r in chk.readings:
            provs = "".join(f'<div class="prov">{esc(_prov_text(p))}</div>' for p in r.provenance)
            extra = "; ".join(x for x in (r.coverage, r.freshness, r.method) if x)
            readings.append(
                f"<div><b>{esc(r.label)}</b>: {esc(format_computed(r))} "
                f"[{esc(r.status)}]<div class='prov'>{esc(extra)}</div>{provs}</div>"
            )
        ids = ", ".join(chk.finding_ids)
        rows.append(
            f'<tr id="row{idx}"><td><a href="#c{idx}">{idx}</a></td><td>{esc(c.text)}</td>'
            f"<td>{esc(c.subject.label if c.subject else '?')}</td><td>{esc(c.measure or '?')}</td>"
            f"<td>{esc(c.period_label or '')}</td><td>{esc(format_claimed(c))}</td>"
            f"<td>{esc('; '.join(format_computed(r) for r in chk.readings if r.value is not None) or '–')}</td>"
            f'<td class="v" style="background:{bg};color:{fg}">{esc(chk.verdict)}</td>'
            f"<td>{esc(chk.reason)}<details><summary>computed value and provenance</summary>"
            f"{''.join(readings) or 'no reading'}"
            f"{'<div class=prov>report findings: ' + esc(ids) + '</div>' if ids else ''}"
            f"</details></td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>altseason verify: note of {esc(result.note_date.isoformat())}</title>
<style>{_CSS}</style></head>
<body><main>
<h1>Checked note</h1>
<div class="meta">Note date {esc(result.note_date.isoformat())} · {len(result.checks)} numeric claims checked against the store by <code>altseason verify</code> · data: {esc(result.data_label)}</div>
{banner}<div class="legend">{legend}</div>
<div class="note">{"".join(pieces)}</div>
<h2>Claims</h2>
<table><thead><tr><th>#</th><th>claim</th><th>subject</th><th>measure</th><th>period</th><th>claimed</th><th>computed</th><th>verdict</th><th>reason, computed value, provenance</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</main></body></html>
"""
