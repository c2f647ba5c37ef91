"""Narrative rules for correlation, the strategy and its backtest, events and risks."""

from __future__ import annotations

from altseason.report._findings import FindingSet
from altseason.report._narrative import Paragraph, Sentence, correlation_word, say
from altseason.report._sections._base import expected
from altseason.report._sections._market import EVENTS_FINDINGS
from altseason.report._sections._words import over_window, tier_word

__all__ = [
    "CORRELATION_EXPECTED",
    "EVENTS_EXPECTED",
    "STRATEGY_EXPECTED",
    "write_correlation",
    "write_events",
    "write_strategy",
]

CORRELATION_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("correlation.avg_30d", "Average pairwise correlation (30 days)", "ratio"),
    ("correlation.avg_90d", "Average pairwise correlation (90 days)", "ratio"),
    ("correlation.regime", "Correlation regime", "text"),
    ("correlation.level", "Correlation level", "text"),
    ("correlation.small_beta", "Median beta of the largest alts to BTC (90 days)", "ratio"),
)

STRATEGY_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("strategy.name", "Strategy", "text"),
    ("strategy.weight_majors", "Current weight in majors", "percent"),
    ("strategy.weight_alts", "Current weight in alts", "percent"),
    ("strategy.weight_cash", "Current weight in cash / stablecoins", "percent"),
    ("strategy.top_holding", "Largest holding", "text"),
    ("strategy.top_weight", "Largest holding's weight", "percent"),
    ("strategy.cagr", "Strategy CAGR", "return"),
    ("strategy.sharpe", "Strategy Sharpe ratio", "ratio"),
    ("strategy.max_drawdown", "Strategy maximum drawdown", "return"),
    ("strategy.benchmark", "Benchmark", "text"),
    ("strategy.benchmark_cagr", "Benchmark CAGR", "return"),
    ("strategy.benchmark_max_drawdown", "Benchmark maximum drawdown", "return"),
)

EVENTS_EXPECTED = expected(EVENTS_FINDINGS)


def write_correlation(fs: FindingSet) -> list[Paragraph]:
    """Correlation level, regime and what it means for diversification."""
    p = Paragraph(heading="Correlation and diversification")
    level = fs.text("correlation.level") or correlation_word(fs.value("correlation.avg_30d"))
    if level == "unknown":
        p.add(say(fs, "[[correlation.avg_30d]]"))
    else:
        p.add(
            say(
                fs,
                f"Average pairwise correlation of daily returns is {level} at "
                "[[correlation.avg_30d]] over 30 days and [[correlation.avg_90d]] over 90 "
                "days; the regime is [[correlation.regime]].",
            )
        )
        if level == "high":
            p.add(
                say(
                    fs,
                    "At [[correlation.avg_30d]], holding more coins adds little "
                    "diversification: a basket behaves close to a single position.",
                )
            )
        elif level == "low":
            p.add(
                say(
                    fs,
                    "At [[correlation.avg_30d]], asset selection matters: returns are "
                    "driven by idiosyncratic moves more than by the market.",
                )
            )
        else:
            p.add(
                say(
                    fs,
                    "At [[correlation.avg_30d]], a basket diversifies part of the "
                    "single-asset risk, but not the market-wide moves.",
                )
            )
    p.add(
        say(
            fs,
            "The largest alts have a median beta of [[correlation.small_beta]] to BTC: a "
            "[[rules.beta_move]] BTC move has come with a [[correlation.small_beta]]% move in the typical alt on "
            "average.",
        )
    )
    return [p]


def write_strategy(fs: FindingSet) -> list[Paragraph]:
    """The strategy's current allocation and its backtest against a benchmark."""
    p = Paragraph(heading="Current allocation")
    p.add(
        say(
            fs,
            "The [[strategy.name]] strategy currently holds [[strategy.weight_majors]] in "
            "majors, [[strategy.weight_alts]] in alts and [[strategy.weight_cash]] in cash "
            "or stablecoins.",
        )
    )
    p.add(say(fs, "Its largest position is [[strategy.top_holding]] at [[strategy.top_weight]]."))
    q = Paragraph(heading="Backtest")
    win = over_window(fs, "strategy.cagr", default="over the backtest")
    q.add(
        say(
            fs,
            f"{win.capitalize()}, the strategy compounded at [[strategy.cagr]] a year with "
            "a Sharpe ratio of [[strategy.sharpe]] and a maximum drawdown of "
            "[[strategy.max_drawdown]], against [[strategy.benchmark_cagr]] and "
            "[[strategy.benchmark_max_drawdown]] for the [[strategy.benchmark]] benchmark.",
        )
    )
    s_dd = fs.value("strategy.max_drawdown")
    b_dd = fs.value("strategy.benchmark_max_drawdown")
    s_cagr = fs.value("strategy.cagr")
    b_cagr = fs.value("strategy.benchmark_cagr")
    if None not in (s_dd, b_dd, s_cagr, b_cagr):
        assert s_dd is not None and b_dd is not None and s_cagr is not None and b_cagr is not None
        better_ret = s_cagr > b_cagr
        shallower = s_dd > b_dd
        if better_ret and shallower:
            verdict = "a higher return with a shallower drawdown"
        elif better_ret:
            verdict = "a higher return, paid for with a deeper drawdown"
        elif shallower:
            verdict = "a lower return but a shallower drawdown"
        else:
            verdict = "a lower return and a deeper drawdown"
        q.add(
            say(
                fs,
                f"Against the benchmark the strategy delivered {verdict} "
                "([[strategy.cagr]] vs [[strategy.benchmark_cagr]] a year; "
                "[[strategy.max_drawdown]] vs [[strategy.benchmark_max_drawdown]]). "
                "Backtests are in-sample and include costs but not every market friction.",
            )
        )
    h = Paragraph(heading="Hedged shorts")
    for u in ("btc", "eth"):
        pre = f"strategy.hedge.{u}"
        if not fs.available(f"{pre}.none.total_return"):
            h.add(say(fs, f"[[{pre}.none.total_return]]", what=f"the {u.upper()} hedged shorts"))
            continue
        h.add(
            say(
                fs,
                f"Shorting {u.upper()} perps over the backtest window returned "
                f"[[{pre}.none.total_return]] naked, [[{pre}.call.total_return]] with long "
                f"out-of-the-money calls and [[{pre}.collar.total_return]] with a collar "
                f"(max drawdowns [[{pre}.none.max_drawdown]], [[{pre}.call.max_drawdown]] and "
                f"[[{pre}.collar.max_drawdown]]).",
            )
        )
        h.add(
            say(
                fs,
                f"Funding received was [[{pre}.none.funding_received|unsigned]] of capital "
                f"and funding paid [[{pre}.none.funding_paid|unsigned]] on the naked short.",
                what=f"{u.upper()} funding on the naked short",
            )
        )
        h.add(
            say(
                fs,
                f"The calls cost [[{pre}.call.premium_paid|unsigned]] in premium, and the "
                f"collar's short puts brought in [[{pre}.collar.premium_received|unsigned]] "
                f"against [[{pre}.collar.premium_paid|unsigned]] paid for its calls.",
            )
        )
    if h:
        h.add(
            Sentence(
                (
                    "The table lists each position with funding and option premium shown "
                    "separately; fees and slippage are those of the rotation backtest above.",
                )
            )
        )
    return [p, q, h]


def write_events(fs: FindingSet) -> list[Paragraph]:
    """Event study and the risks that the data shows."""
    p = Paragraph(heading="Events")
    p.add(
        say(
            fs,
            "The store records [[events.count]] regulatory and market events up to the "
            "report date; the latest is \u201c[[events.latest_title]]\u201d on "
            "[[events.latest_date]].",
        )
    )
    t = fs.value("events.car_t")
    if t is not None:
        sig = "statistically significant" if abs(t) >= 2 else "not statistically significant"
        p.add(
            say(
                fs,
                "Across events, the mean cumulative abnormal return over days 0 to +20 is "
                f"[[events.car_mean]] (t = [[events.car_t]]), {sig} at the "
                "[[rules.significance]] level.",
            )
        )
    else:
        p.add(say(fs, "[[events.car_mean]]", what="event-study abnormal returns"))
    if fs.available("events.assets"):
        p.add(
            say(
                fs,
                "The tables give, per event, the cumulative abnormal return of "
                "[[events.assets]] against [[events.benchmark]] (market model fitted over days "
                "-120 to -11), with t-statistics that include the estimation error of that "
                "model and placebo p-values; the mean across events is tested allowing for "
                "overlapping event windows (t_caar) and cross-correlation (t_kp).",
            )
        )
    q = Paragraph(heading="Risks in the data")
    q.add(
        say(
            fs,
            "BTC stands [[risks.btc_drawdown]] from its peak and the "
            f"{tier_word(fs, 'risks.small_drawdown')}-cap index "
            "[[risks.small_drawdown]] from its own.",
        )
    )
    q.add(say(fs, "BTC's 30-day realised volatility is [[risks.btc_vol_30d]] annualised."))
    return [p, q]
