"""Comparing a claim with the store's readings: tolerances and verdicts.

Verdicts
--------
supported
    Every reading is ``ok`` and within tolerance of the claim.
contradicted
    Every reading is ``ok`` and none is within tolerance (the computed value is shown).
ambiguous
    The readings (several periods, or several ETF groups) disagree: some
    support the claim, some do not; each reading's value is shown.
unverifiable
    The store lacks the data for at least the readings that could decide
    (or a reading is only ``caveat``): the reason names what is missing.
not_understood
    The parser found a number but could not map its subject or measure.

A ``caveat`` or ``unavailable`` reading never supports a claim.
"""

from __future__ import annotations

from altseason.verify._extract import Claim
from altseason.verify._lexicon import lexicon
from altseason.verify._measures import Computed

__all__ = ["VERDICTS", "agrees", "tolerance", "verdict"]

VERDICTS = ("supported", "contradicted", "ambiguous", "unverifiable", "not_understood")


def tolerance(claim: Claim, computed: Computed) -> float:
    """The absolute tolerance for ``claim`` against ``computed`` (base units)."""
    spec = lexicon().measures[claim.measure or "return"]
    tol = spec.tolerance
    ref = computed.value
    scalar = abs(ref[1] if isinstance(ref, tuple) else ref) if ref is not None else abs(claim.value)
    t = max(tol.get("abs", 0.0), tol.get("rel", 0.0) * scalar)
    if "spot" in tol and computed.spot:
        t = max(t, tol["spot"] * computed.spot)
    t = max(t, claim.half_unit)
    if claim.qualifier == "hedge":
        t *= 2.0
    return t


def agrees(claim: Claim, computed: Computed) -> bool:
    """Whether the claimed value matches the computed one within tolerance."""
    v = computed.value
    if v is None:
        return False
    t = tolerance(claim, computed)
    if isinstance(v, tuple):
        high = claim.high if claim.high is not None else claim.value
        return abs(claim.value - v[0]) <= t and abs(high - v[1]) <= t
    x = float(v)
    if claim.high is not None:  # a range claim for a single number
        return claim.value - t <= x <= claim.high + t
    if claim.qualifier in ("lower", "upper"):
        # bounds are on the magnitude, in the claim's direction
        if claim.value != 0 and (x > 0) != (claim.value > 0):
            return False
        mag, cm = abs(x), abs(claim.value)
        return mag >= cm - t if claim.qualifier == "lower" else mag <= cm + t
    return abs(x - claim.value) <= t


def verdict(claim: Claim, readings: list[Computed]) -> tuple[str, str]:
    """The verdict and its reason for ``claim`` given its readings."""
    if claim.subject is None or claim.measure is None:
        return "not_understood", claim.note or "could not map this number to a subject and measure"
    if not readings:
        return "unverifiable", "no reading could be computed"
    usable = [r for r in readings if r.status == "ok" and r.value is not None]
    missing = [r for r in readings if r not in usable]
    hits = [r for r in usable if agrees(claim, r)]
    if len(readings) == 1:
        r = readings[0]
        if r.status == "unavailable" or r.value is None:
            return "unverifiable", f"the store lacks the data: {r.reason}"
        if r.status == "caveat":
            return "unverifiable", f"the data are not good enough to decide: {r.reason}"
        if hits:
            return "supported", f"within {_tol_text(claim, r)} of the computed value"
        return "contradicted", f"the data give {_fmt(r)}, outside {_tol_text(claim, r)}"
    if usable and len(hits) == len(readings):
        return "supported", "every reading agrees: " + "; ".join(
            f"{r.label}: {_fmt(r)}" for r in readings
        )
    if usable and not hits and not missing:
        return "contradicted", "no reading agrees: " + "; ".join(
            f"{r.label}: {_fmt(r)}" for r in readings
        )
    if hits or (usable and missing and not hits and len(usable) > 1):
        return "ambiguous", "readings differ: " + "; ".join(
            f"{r.label}: {_fmt(r)}{' (agrees)' if r in hits else ''}" for r in readings
        )
    if not usable:
        return "unverifiable", "the store lacks the data: " + "; ".join(
            f"{r.label}: {r.reason}" for r in readings
        )
    # some readings contradict, the others cannot be computed
    return "ambiguous", "readings differ: " + "; ".join(
        f"{r.label}: {_fmt(r) if r in usable else 'unavailable (' + str(r.reason) + ')'}"
        for r in readings
    )


def _fmt(r: Computed) -> str:
    from altseason.verify._output import format_computed

    return format_computed(r)


def _tol_text(claim: Claim, r: Computed) -> str:
    from altseason.verify._output import format_amount

    t = tolerance(claim, r)
    if r.unit in ("return", "percent"):
        return f"±{t * 100:.2g} pp"
    return "±" + format_amount(t, r.unit, signed=False)
