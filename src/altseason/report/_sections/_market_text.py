"""Narrative rules for the market sections: divergence, sectors, cross-asset."""

from __future__ import annotations

from altseason.report._findings import FindingSet
from altseason.report._narrative import (
    Paragraph,
    breadth_word,
    leadership,
    regime_reason,
    regime_view,
    say,
)
from altseason.report._sections._base import expected
from altseason.report._sections._divergence import DIVERGENCE_FINDINGS
from altseason.report._sections._market import SECTORS_FINDINGS
from altseason.report._sections._words import over_window, tier_word

__all__ = [
    "CROSS_ASSET_EXPECTED",
    "DIVERGENCE_EXPECTED",
    "SECTORS_EXPECTED",
    "write_cross_asset",
    "write_divergence",
    "write_sectors",
]

DIVERGENCE_EXPECTED = expected(DIVERGENCE_FINDINGS)

SECTORS_EXPECTED = expected(SECTORS_FINDINGS)

CROSS_ASSET_EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("cross_asset.btc_return", "BTC return", "return"),
    ("cross_asset.gold_return", "Gold return", "return"),
    ("cross_asset.silver_return", "Silver return", "return"),
    ("cross_asset.spx_return", "S&P 500 return", "return"),
    ("cross_asset.btc_spx_corr", "BTC / S&P 500 correlation (90 days)", "ratio"),
    ("cross_asset.btc_gold_corr", "BTC / gold correlation (90 days)", "ratio"),
)


def write_divergence(fs: FindingSet) -> list[Paragraph]:
    """Majors vs small caps: leadership (hedged), regime, returns, breadth, dominance."""
    p = Paragraph(heading="Who leads")
    lead = leadership(
        fs.value("divergence.rs_small_btc_change"), fs.value("divergence.altseason_index")
    )
    win = over_window(fs, "divergence.rs_small_btc_change")
    tier = tier_word(fs, "divergence.rs_small_btc_change")
    _, asserted = regime_view(fs, tier)
    if asserted is not None and lead in ("small caps lead", "majors lead") and asserted != lead:
        # The two measures agree but the regime rules call nothing decisive.
        side = f"{tier} caps" if lead == "small caps lead" else "BTC"
        p.add(
            say(
                fs,
                f"Both measures lean towards {side}, though not decisively: the {tier}-cap "
                f"index moved [[divergence.rs_small_btc_change]] relative to BTC {win}, and "
                "[[divergence.altseason_index]] of the top 50 assets beat BTC over 90 days.",
            )
        )
    elif lead == "small caps lead":
        p.add(
            say(
                fs,
                f"{tier.capitalize()} caps lead on both measures: the {tier}-cap index gained "
                f"[[divergence.rs_small_btc_change|abs]] relative to BTC {win}, and "
                "[[divergence.altseason_index]] of the top 50 assets beat BTC over 90 days.",
            )
        )
    elif lead == "majors lead":
        p.add(
            say(
                fs,
                f"Majors lead on both measures: the {tier}-cap index lost "
                f"[[divergence.rs_small_btc_change|abs]] relative to BTC {win}, and only "
                "[[divergence.altseason_index]] of the top 50 assets beat BTC over 90 days.",
            )
        )
    elif lead == "mixed":
        p.add(
            say(
                fs,
                f"Leadership is mixed: the {tier}-cap index moved "
                f"[[divergence.rs_small_btc_change]] relative to BTC {win}, while "
                "[[divergence.altseason_index]] of the top 50 assets beat BTC over 90 days, "
                "so the two measures do not agree.",
            )
        )
    else:
        p.add(
            say(
                fs,
                f"Relative strength of the {tier}-cap index against BTC was "
                f"[[divergence.rs_small_btc_change]] {win}.",
            )
        )
        p.add(
            say(
                fs,
                "The altseason index reads [[divergence.altseason_index]]: that share of the "
                "top 50 assets beat BTC over 90 days.",
            )
        )
    if asserted is not None:
        reg = str(fs.get("divergence.regime").value)
        p.add(
            say(
                fs,
                f"The divergence regime is [[divergence.regime]]: {regime_reason(reg, tier)}.",
            )
        )
    p.add(
        say(
            fs,
            "The altseason index is in the [[divergence.altseason_regime]] band "
            "(altseason at [[rules.altseason_min]] or more, bitcoin season at "
            "[[rules.bitcoin_season_max]] or less).",
        )
    )
    p.add(
        say(
            fs,
            f"The {tier_word(fs, 'divergence.rs_small_btc_z')}-cap / BTC ratio stands "
            "[[divergence.rs_small_btc_z]] from its "
            "one-year average.",
        )
    )
    out = [p]

    q = Paragraph(heading="Returns and breadth")
    if fs.available("divergence.small_return") or not fs.available("divergence.btc_return"):
        q.add(
            say(
                fs,
                f"{over_window(fs, 'divergence.btc_return').capitalize()}, BTC returned "
                "[[divergence.btc_return]], ETH [[divergence.eth_return]] and the "
                f"{tier_word(fs, 'divergence.small_return')}-cap index "
                "[[divergence.small_return]].",
            )
        )
    else:  # BTC and ETH stand on their own prices; the tier index is withheld with its reason
        q.add(
            say(
                fs,
                f"{over_window(fs, 'divergence.btc_return').capitalize()}, BTC returned "
                "[[divergence.btc_return]] and ETH [[divergence.eth_return]].",
            )
        )
        q.add(say(fs, "[[divergence.small_return]]"))
    bw = breadth_word(fs.value("divergence.breadth_50d"))
    if bw == "broad":
        q.add(
            say(
                fs,
                "Participation is broad: [[divergence.breadth_50d]] of the universe trades "
                "above its 50-day average and [[divergence.breadth_200d]] above its 200-day "
                "average.",
            )
        )
    elif bw == "narrow":
        q.add(
            say(
                fs,
                "Participation is narrow: only [[divergence.breadth_50d]] of the universe "
                "trades above its 50-day average and [[divergence.breadth_200d]] above its "
                "200-day average.",
            )
        )
    elif bw == "moderate":
        q.add(
            say(
                fs,
                "Participation is moderate, neither broad nor narrow: "
                "[[divergence.breadth_50d]] of the universe trades above its 50-day average "
                "and [[divergence.breadth_200d]] above its 200-day average.",
            )
        )
    else:
        q.add(
            say(fs, "[[divergence.breadth_50d]]", what="breadth (share above the 50-day average)")
        )
    q.add(
        say(
            fs,
            "BTC dominance is [[divergence.dominance]], a change of "
            f"[[divergence.dominance_change]] {over_window(fs, 'divergence.dominance_change')}.",
        )
    )
    q.add(
        say(
            fs,
            "Cross-sectional dispersion of returns is [[divergence.dispersion]] "
            f"{over_window(fs, 'divergence.dispersion')}.",
        )
    )
    out.append(q)
    return out


def write_sectors(fs: FindingSet) -> list[Paragraph]:
    """Sector rotation and top movers."""
    p = Paragraph(heading="Sector rotation")
    win = over_window(fs, "sectors.best_return")
    p.add(
        say(
            fs,
            f"{win.capitalize()}, the strongest sector was [[sectors.best]] "
            "([[sectors.best_return]]) and the weakest [[sectors.worst]] "
            "([[sectors.worst_return]]), a spread of [[sectors.spread|unsigned]].",
        )
    )
    spread = fs.value("sectors.spread")
    best_r, worst_r = fs.value("sectors.best_return"), fs.value("sectors.worst_return")
    if best_r is not None and best_r < 0:
        p.add(
            say(
                fs,
                "Every sector fell, so this was a market-wide decline; the spread of "
                "[[sectors.spread|unsigned]] measures how unevenly the losses were spread.",
            )
        )
    elif worst_r is not None and worst_r > 0:
        p.add(
            say(
                fs,
                "Every sector rose, so this was a market-wide advance; the spread of "
                "[[sectors.spread|unsigned]] measures how unevenly the gains were spread.",
            )
        )
    elif spread is not None:
        if spread >= 0.3:
            p.add(
                say(
                    fs,
                    "A spread of [[sectors.spread|unsigned]] points to active rotation "
                    "between sectors rather than a market-wide move.",
                )
            )
        elif spread <= 0.1:
            p.add(
                say(
                    fs,
                    "A spread of only [[sectors.spread|unsigned]] says sectors moved "
                    "largely together.",
                )
            )
    q = Paragraph(heading="Top movers")
    q.add(
        say(
            fs,
            "The largest gain among assets with a full window was [[sectors.top_mover_1]] "
            "at [[sectors.top_mover_1_return]]; the largest loss was "
            "[[sectors.bottom_mover_1]] at [[sectors.bottom_mover_1_return]].",
        )
    )
    return [p, q]


def write_cross_asset(fs: FindingSet) -> list[Paragraph]:
    """BTC against gold, silver and equities."""
    p = Paragraph(heading="Crypto against gold, silver and equities")
    win = over_window(fs, "cross_asset.btc_return")
    p.add(
        say(
            fs,
            f"{win.capitalize()}, BTC returned [[cross_asset.btc_return]] against "
            "[[cross_asset.gold_return]] for gold, [[cross_asset.silver_return]] for silver "
            "and [[cross_asset.spx_return]] for the S&P 500.",
        )
    )
    btc = fs.value("cross_asset.btc_return")
    gold = fs.value("cross_asset.gold_return")
    if btc is not None and gold is not None:
        if btc < 0 < gold:
            p.add(
                say(
                    fs,
                    "Gold rose ([[cross_asset.gold_return]]) while BTC fell "
                    "([[cross_asset.btc_return]]): the hard-asset bid did not reach crypto.",
                )
            )
        elif gold < 0 < btc:
            p.add(
                say(
                    fs,
                    "BTC rose ([[cross_asset.btc_return]]) while gold fell "
                    "([[cross_asset.gold_return]]).",
                )
            )
    corr = fs.value("cross_asset.btc_spx_corr")
    if corr is None:
        p.add(say(fs, "[[cross_asset.btc_spx_corr]]"))
    else:
        word = "closely" if corr >= 0.5 else ("loosely" if corr >= 0.2 else "barely")
        p.add(
            say(
                fs,
                f"BTC moved {word} with equities: the 90-day correlation of daily returns "
                "with the S&P 500 is [[cross_asset.btc_spx_corr]], and with gold "
                "[[cross_asset.btc_gold_corr]].",
            )
        )
    return [p]
