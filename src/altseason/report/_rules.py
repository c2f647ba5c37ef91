"""The fixed thresholds the narrative's rules use, as findings (``rules.*``).

A sentence such as "at most 25% of the top 50 beat BTC" prints a number that
no data produced: the threshold of a rule. So that every number in the
report still links to a finding, each such threshold is a finding of its own
(status ``ok``, no provenance, ``method`` naming the constant it comes
from), in the appendix group ``rules``. :class:`FindingSet` resolves a
``rules.*`` id from :data:`RULES` when the set does not hold it, so hand-built
finding sets (golden tests) read the same sentences.
"""

from __future__ import annotations

from altseason.report._findings import Finding

__all__ = ["RULES", "RULES_GROUP", "RULES_TITLE", "rule_findings"]

RULES_GROUP = "rules"
"""The appendix group of the rule thresholds."""

RULES_TITLE = "Fixed thresholds of the narrative's rules"

MVRV_LOW = 1.0
"""MVRV below this: the historical capitulation zone (on-chain paragraph)."""
MVRV_HIGH = 3.5
"""MVRV above this: a historically overheated zone."""
SIGNIFICANCE = 0.05
"""Two-sided level of the event study's t-test read as ``|t| >= 2``."""
BETA_MOVE = 0.01
"""The BTC move a beta is read against ("a 1% BTC move has come with ...")."""


def _rule(id: str, label: str, value: float, unit: str, method: str) -> Finding:
    return Finding(
        id=f"rules.{id}", label=label, value=value, unit=unit, method=method, group=RULES_GROUP
    )


def _build() -> dict[str, Finding]:
    from altseason.analytics._divergence import (
        ALTSEASON_THRESHOLD,
        BITCOIN_SEASON_THRESHOLD,
        RALLY_BREADTH,
        RISK_OFF_BREADTH,
        ROTATION_BREADTH,
        ROTATION_MARGIN,
    )
    from altseason.report._sections._positioning import CAPITULATION_THRESHOLD

    regime = "analytics.divergence_regime / season_label"
    items = [
        _rule(
            "altseason_min",
            "Altseason: share of the top 50 beating BTC, at least",
            ALTSEASON_THRESHOLD,
            "percent",
            f"{regime} (ALTSEASON_THRESHOLD)",
        ),
        _rule(
            "bitcoin_season_max",
            "Bitcoin season: share of the top 50 beating BTC, at most",
            BITCOIN_SEASON_THRESHOLD,
            "percent",
            f"{regime} (BITCOIN_SEASON_THRESHOLD)",
        ),
        _rule(
            "rotation_margin",
            "Rotation into alts: small caps beat BTC by more than",
            ROTATION_MARGIN,
            "percent",
            f"{regime} (ROTATION_MARGIN)",
        ),
        _rule(
            "rotation_breadth",
            "Rotation into alts: share of the universe above its 50-day average, at least",
            ROTATION_BREADTH,
            "percent",
            f"{regime} (ROTATION_BREADTH)",
        ),
        _rule(
            "risk_off_breadth",
            "Broad risk-off: share above the 50- and 200-day averages, under",
            RISK_OFF_BREADTH,
            "percent",
            f"{regime} (RISK_OFF_BREADTH)",
        ),
        _rule(
            "rally_breadth",
            "Broad rally: share above the 50-day average, over",
            RALLY_BREADTH,
            "percent",
            f"{regime} (RALLY_BREADTH)",
        ),
        _rule(
            "mvrv_low",
            "MVRV below which the on-chain paragraph names the capitulation zone",
            MVRV_LOW,
            "ratio",
            "report rule (report._rules.MVRV_LOW)",
        ),
        _rule(
            "mvrv_high",
            "MVRV above which the on-chain paragraph names an overheated zone",
            MVRV_HIGH,
            "ratio",
            "report rule (report._rules.MVRV_HIGH)",
        ),
        _rule(
            "capitulation_flag",
            "Capitulation score at or above which a day is flagged",
            CAPITULATION_THRESHOLD,
            "ratio",
            "analytics.capitulation_episodes threshold (CAPITULATION_THRESHOLD)",
        ),
        _rule(
            "significance",
            "Significance level of the event study's t-test (|t| >= 2)",
            SIGNIFICANCE,
            "percent",
            "report rule (report._rules.SIGNIFICANCE)",
        ),
        _rule(
            "beta_move",
            "BTC move a beta is read against",
            BETA_MOVE,
            "percent",
            "report rule (report._rules.BETA_MOVE)",
        ),
    ]
    return {f.id: f for f in items}


_CACHE: dict[str, Finding] = {}


def rule_findings() -> dict[str, Finding]:
    """Every rule threshold as a finding, by id."""
    if not _CACHE:
        _CACHE.update(_build())
    return dict(_CACHE)


class _Rules:
    """Lazy mapping view of :func:`rule_findings` (the constants import the sections)."""

    def get(self, id: str) -> Finding | None:
        return rule_findings().get(id)

    def __contains__(self, id: object) -> bool:
        return isinstance(id, str) and id in rule_findings()


RULES = _Rules()
"""``RULES.get("rules.mvrv_high")``: the rule finding, or ``None``."""
