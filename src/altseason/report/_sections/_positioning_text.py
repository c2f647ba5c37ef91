"""Narrative rules for positioning: ETF flows, derivatives, on-chain, macro and sentiment."""

from __future__ import annotations

from collections.abc import Sequence

from altseason.report._findings import FindingSet
from altseason.report._narrative import Paragraph, Sentence, put_call_tilt, say
from altseason.report._sections._base import UNDERLYINGS
from altseason.report._sections._words import over_window

__all__ = [
    "DERIVATIVES_EXPECTED",
    "ETH_FLOW_EXPECTED",
    "FLOWS_EXPECTED",
    "MACRO_EXPECTED",
    "ONCHAIN_EXPECTED",
    "write_derivatives",
    "write_flows",
    "write_macro",
    "write_onchain",
]

ETH_FLOW_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("flows.eth.net_flow", "Net ETH spot-ETF flow", "flow"),
    ("flows.eth.cumulative_flow", "Cumulative ETH spot-ETF flow in the data", "flow"),
    ("flows.eth.last_flow", "Latest daily ETH spot-ETF flow", "flow"),
    ("flows.eth.last_flow_date", "Date of the latest ETH ETF flow", "date"),
    ("flows.eth.cost_basis", "Aggregate ETH spot-ETF cost basis", "price"),
    ("flows.eth.price", "ETH price on the cost-basis date", "price"),
    ("flows.eth.holder_pnl", "ETH ETF holders' unrealised P&L", "return"),
    ("flows.eth.cost_basis_date", "Date of the ETH cost-basis comparison", "date"),
)
"""ETH flow findings (``flows.eth.*``)."""

FLOWS_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("flows.net_flow", "Net ETF flow", "flow"),
    ("flows.cumulative_flow", "Cumulative ETF flow since launch", "flow"),
    ("flows.last_flow", "Latest daily ETF flow", "flow"),
    ("flows.last_flow_date", "Date of the latest ETF flow", "date"),
    ("flows.cost_basis", "Aggregate ETF cost basis", "price"),
    ("flows.btc_price", "BTC price", "price"),
    ("flows.holder_pnl", "ETF holders' unrealised P&L", "return"),
    ("flows.cost_basis_date", "Date of the cost-basis comparison", "date"),
    *ETH_FLOW_EXPECTED,
)

DERIVATIVES_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("derivatives.snapshot", "Options snapshot date", "date"),
    ("derivatives.spot", "Underlying price at the snapshot", "price"),
    ("derivatives.call_wall", "Call wall", "price"),
    ("derivatives.put_zone_low", "Put zone, lower strike", "price"),
    ("derivatives.put_zone_high", "Put zone, upper strike", "price"),
    ("derivatives.max_pain", "Max pain", "price"),
    ("derivatives.put_call_oi", "Put/call open-interest ratio", "ratio"),
    ("derivatives.rr_25d", "25-delta risk reversal", "pp"),
    ("derivatives.atm_iv", "At-the-money implied volatility", "percent"),
    ("derivatives.funding_rate", "BTC perp funding (per day, latest day)", "rate"),
    ("derivatives.max_pain_expiry", "Expiry of the headline max pain", "text"),
    ("derivatives.max_pain_all", "Max pain over all expiries at once", "price"),
    ("derivatives.call_zone_low", "Call zone, lower strike", "price"),
    ("derivatives.call_zone_high", "Call zone, upper strike", "price"),
    ("derivatives.zone_share", "Share of one side's OI a zone holds", "percent"),
    ("derivatives.max_pain_convention", "Expiry the headline max pain is quoted for", "text"),
    ("derivatives.eth.snapshot", "ETH options snapshot date", "date"),
    ("derivatives.eth.call_wall", "ETH call wall", "price"),
    ("derivatives.eth.max_pain", "ETH max pain", "price"),
    ("derivatives.eth.funding_rate", "ETH perp funding (per day, latest day)", "rate"),
)

ONCHAIN_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("onchain.price", "BTC price", "price"),
    ("onchain.realized_price", "BTC realized price", "price"),
    ("onchain.mvrv", "BTC MVRV", "ratio"),
    ("onchain.price_vs_realized", "Price relative to realized price", "return"),
    ("onchain.ma_200w", "BTC 200-week average", "price"),
    ("onchain.price_vs_200w", "Price relative to the 200-week average", "return"),
)

MACRO_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("macro.m2_yoy", "US M2 year-on-year growth", "return"),
    ("macro.net_liquidity", "Fed net liquidity", "usd"),
    ("macro.net_liquidity_change", "Fed net liquidity change", "flow"),
    ("macro.btc_m2_ratio", "BTC market cap / M2", "percent"),
    ("sentiment.fear_greed", "Fear & Greed index", "number"),
    ("sentiment.fear_greed_label", "Fear & Greed classification", "text"),
    ("sentiment.fear_greed_avg_30d", "Fear & Greed 30-day average", "number"),
    ("sentiment.capitulation", "Capitulation score", "ratio"),
    ("sentiment.capitulation_components", "Capitulation components used (of 5)", "count"),
    ("sentiment.capitulation_episodes", "Capitulation episodes", "count"),
)


def _flow_paragraphs(fs: FindingSet, pre: str, u: str, price_id: str) -> list[Paragraph]:
    """Spot-ETF flows and holders' cost basis of one underlying (ids ``pre.*``)."""
    p = Paragraph(heading=f"{u} spot ETF flows")
    net = fs.value(f"{pre}.net_flow")
    win = over_window(fs, f"{pre}.net_flow")
    if net is not None and net < 0:
        p.add(say(fs, f"{u} spot ETFs saw net outflows of [[{pre}.net_flow|abs]] {win}."))
    else:
        p.add(say(fs, f"{u} spot ETFs took in net [[{pre}.net_flow]] {win}."))
    p.add(
        say(
            fs,
            f"The latest daily flow, on [[{pre}.last_flow_date]], was [[{pre}.last_flow]]; "
            f"cumulative net flow in the data is [[{pre}.cumulative_flow]].",
        )
    )
    q = Paragraph(heading=f"{u} ETF cost basis")
    pnl = fs.value(f"{pre}.holder_pnl")
    what = f"the {u} ETF holders' cost basis against price"
    if pnl is not None and pnl < 0:
        q.add(
            say(
                fs,
                f"On [[{pre}.cost_basis_date]], {u} at [[{price_id}]] traded below the "
                f"ETF holders' aggregate cost basis of [[{pre}.cost_basis]]: the average ETF "
                f"unit was [[{pre}.holder_pnl|abs]] under water.",
                what=what,
            )
        )
    else:
        q.add(
            say(
                fs,
                f"On [[{pre}.cost_basis_date]], {u} at [[{price_id}]] traded above the "
                f"ETF holders' aggregate cost basis of [[{pre}.cost_basis]], an unrealised "
                f"gain of [[{pre}.holder_pnl]] for the average ETF unit; the cost basis is a "
                "reference level for support.",
                what=what,
            )
        )
    return [p, q]


def write_flows(fs: FindingSet, underlyings: Sequence[str] = UNDERLYINGS) -> list[Paragraph]:
    """Spot-ETF flows and the ETF holders' cost basis, BTC then ETH.

    ``underlyings``: those the report was built for (both by default; the
    dashboard builds one, see :class:`ReportContext`).
    """
    out: list[Paragraph] = []
    if "BTC" in underlyings:
        out += _flow_paragraphs(fs, "flows", "BTC", "flows.btc_price")
    if "ETH" not in underlyings:
        return out
    if fs.available("flows.eth.net_flow"):
        out += _flow_paragraphs(fs, "flows.eth", "ETH", "flows.eth.price")
    else:
        out.append(
            Paragraph(
                [say(fs, "[[flows.eth.net_flow]]", what="ETH spot-ETF flows")],
                heading="ETH spot ETF flows",
            )
        )
    return out


def _options_paragraph(fs: FindingSet, pre: str, u: str) -> Paragraph:
    """Call wall, zones, named max pain and put/call tilt of one underlying (ids ``pre.*``)."""
    p = Paragraph(heading=f"{u} options positioning")
    if not fs.available(f"{pre}.snapshot"):
        p.add(say(fs, f"[[{pre}.snapshot]]", what=f"{u} options positioning"))
        return p
    p.add(
        say(
            fs,
            f"In the {u} options snapshot of [[{pre}.snapshot]] (spot [[{pre}.spot]]), "
            "the call wall, the strike above spot with the most call open interest, is at "
            f"[[{pre}.call_wall]].",
        )
    )
    p.add(
        say(
            fs,
            f"Put open interest concentrates between [[{pre}.put_zone_low]] and "
            f"[[{pre}.put_zone_high]], the zone where downside protection is bought.",
        )
    )
    if fs.available(f"{pre}.call_zone_low"):
        p.add(
            say(
                fs,
                f"Above spot, call open interest concentrates between [[{pre}.call_zone_low]] "
                f"and [[{pre}.call_zone_high]].",
            )
        )
    mp = fs.value(f"{pre}.max_pain")
    spot = fs.value(f"{pre}.spot")
    side = ""
    if mp is not None and spot is not None:
        side = ", " + ("below" if mp < spot else ("above" if mp > spot else "at")) + " spot"
    if fs.text(f"{pre}.max_pain_convention") == "all expiries at once":
        p.add(say(fs, f"Max pain over all expiries at once is [[{pre}.max_pain]]{side}."))
    elif fs.available(f"{pre}.max_pain_expiry"):
        p.add(
            say(
                fs,
                f"Max pain for the [[{pre}.max_pain_expiry]] expiry is [[{pre}.max_pain]]{side} "
                f"(over all expiries at once: [[{pre}.max_pain_all]]); the table lists the "
                "other expiries.",
            )
        )
    else:
        p.add(say(fs, f"Max pain sits at [[{pre}.max_pain]]{side}."))
    tilt = put_call_tilt(fs, f"{pre}.put_call_oi")
    if tilt is not None:
        # Decided on the ratio as printed: 1.00 is no tilt on every page.
        p.add(
            say(
                fs,
                f"The put/call open-interest ratio is [[{pre}.put_call_oi]], "
                f"tilted towards {tilt}.",
            )
        )
    else:
        p.add(say(fs, f"[[{pre}.put_call_oi]]"))
    if fs.available(f"{pre}.zone_share"):
        conv = fs.text(f"{pre}.max_pain_convention")
        head = (
            "; max pain is quoted per expiry, the headline being "
            + (f"{conv}, named" if conv != "all expiries at once" else "over all expiries at once")
            if isinstance(conv, str)
            else ""
        )
        p.add(
            say(
                fs,
                "Conventions: each zone is the contiguous strike band on its side of spot "
                f"holding [[{pre}.zone_share]] of that side's open interest (below-spot puts, "
                f"above-spot calls), so the zones follow the data{head}.",
            )
        )
    return p


def _funding_sentence(fs: FindingSet, fid: str, u: str) -> Sentence:
    fr = fs.value(fid)
    if fr is None:
        return say(fs, f"[[{fid}]]")
    lean = "longs pay shorts" if fr > 0 else ("shorts pay longs" if fr < 0 else "neither side pays")
    return say(fs, f"{u} perp funding on the latest day was [[{fid}]] per day: {lean}.")


def write_derivatives(fs: FindingSet, underlyings: Sequence[str] = UNDERLYINGS) -> list[Paragraph]:
    """Options positioning of BTC and ETH, implied volatility and perp funding.

    ``underlyings``: those the report was built for (see :func:`write_flows`).
    """
    out: list[Paragraph] = []
    btc = "BTC" in underlyings
    eth = "ETH" in underlyings
    if btc:
        out.append(_options_paragraph(fs, "derivatives", "BTC"))
    if eth:
        out.append(_options_paragraph(fs, "derivatives.eth", "ETH"))
    q = Paragraph(heading="Volatility and funding")
    for pre, shown in (("derivatives", btc), ("derivatives.eth", eth and not btc)):
        # the report states BTC's volatility; a page of ETH alone states ETH's
        if not shown:
            continue
        rr = fs.value(f"{pre}.rr_25d")
        if rr is not None:
            skew = "puts over calls" if rr < 0 else "calls over puts"
            q.add(
                say(
                    fs,
                    f"At-the-money implied volatility is [[{pre}.atm_iv]] and the 25-delta "
                    f"risk reversal is [[{pre}.rr_25d]], pricing {skew}.",
                )
            )
        else:
            q.add(
                say(
                    fs,
                    f"At-the-money implied volatility is [[{pre}.atm_iv]]; the 25-delta "
                    f"risk reversal is [[{pre}.rr_25d]].",
                )
            )
    if btc:
        q.add(_funding_sentence(fs, "derivatives.funding_rate", "BTC"))
    if eth and (fs.available("derivatives.eth.funding_rate") or not btc):
        q.add(_funding_sentence(fs, "derivatives.eth.funding_rate", "ETH"))
    return [*out, q]


def write_onchain(fs: FindingSet) -> list[Paragraph]:
    """Realized price, MVRV and the 200-week average as support levels."""
    p = Paragraph(heading="Cost-basis support")
    rel = fs.value("onchain.price_vs_realized")
    if rel is not None and rel < 0:
        p.add(
            say(
                fs,
                "BTC at [[onchain.price]] trades below its realized price of "
                "[[onchain.realized_price]] ([[onchain.price_vs_realized]]): the average "
                "coin is held at a loss, a zone historically associated with capitulation.",
            )
        )
    else:
        p.add(
            say(
                fs,
                "BTC at [[onchain.price]] trades [[onchain.price_vs_realized]] relative to "
                "its realized price of [[onchain.realized_price]], the average on-chain cost "
                "basis.",
            )
        )
    mvrv = fs.value("onchain.mvrv")
    if mvrv is not None:
        lo, hi = fs.get("rules.mvrv_low").number, fs.get("rules.mvrv_high").number
        zone = (
            "below [[rules.mvrv_low]], the historical capitulation zone"
            if mvrv < lo
            else (
                "above [[rules.mvrv_high]], a historically overheated zone"
                if mvrv > hi
                else "between [[rules.mvrv_low]] and [[rules.mvrv_high]], neither capitulation "
                "nor euphoria"
            )
        )
        p.add(say(fs, f"MVRV is [[onchain.mvrv]], {zone}."))
    else:
        p.add(say(fs, "[[onchain.mvrv]]"))
    p.add(
        say(
            fs,
            "The 200-week average is [[onchain.ma_200w]]; price stands "
            "[[onchain.price_vs_200w]] relative to it.",
        )
    )
    return [p]


def write_macro(fs: FindingSet) -> list[Paragraph]:
    """Macro liquidity and sentiment."""
    p = Paragraph(heading="Liquidity")
    m2 = fs.value("macro.m2_yoy")
    if m2 is not None:
        word = "expanding" if m2 > 0 else "contracting"
        p.add(say(fs, f"US M2 is {word} at [[macro.m2_yoy]] year on year."))
    else:
        p.add(say(fs, "[[macro.m2_yoy]]"))
    p.add(
        say(
            fs,
            "Fed net liquidity (balance sheet less reverse repo and the Treasury account) is "
            "[[macro.net_liquidity]], a change of [[macro.net_liquidity_change]] "
            f"{over_window(fs, 'macro.net_liquidity_change')}.",
        )
    )
    p.add(say(fs, "BTC's market capitalisation equals [[macro.btc_m2_ratio]] of US M2."))
    q = Paragraph(heading="Sentiment")
    q.add(
        say(
            fs,
            "The Fear & Greed index reads [[sentiment.fear_greed]] "
            "([[sentiment.fear_greed_label]]) against a 30-day average of "
            "[[sentiment.fear_greed_avg_30d]].",
        )
    )
    cap = fs.value("sentiment.capitulation")
    if cap is not None:
        word = "elevated" if cap >= fs.get("rules.capitulation_flag").number else "low"
        q.add(
            say(
                fs,
                f"The BTC capitulation score is {word} at [[sentiment.capitulation]] "
                "(0 = none, 1 = every capitulation condition met), from "
                "[[sentiment.capitulation_components]] of its five components (drawdown from "
                "the 365-day high, volume surge, Fear & Greed, funding and MVRV; a day is "
                "flagged at [[rules.capitulation_flag]] or more).",
            )
        )
    else:
        q.add(say(fs, "[[sentiment.capitulation]]"))
    n_eps = fs.value("sentiment.capitulation_episodes")
    if n_eps is not None and n_eps > 0:
        q.add(
            say(
                fs,
                "The score flagged [[sentiment.capitulation_episodes]] episodes in the sample, "
                "the latest ending on [[sentiment.capitulation_last_flagged]]; the table below "
                "lists them with the components at each peak.",
            )
        )
    elif n_eps is not None:
        q.add(
            say(
                fs,
                "The score flagged no day in the sample "
                "([[sentiment.capitulation_episodes]] episodes).",
            )
        )
    return [p, q]
