"""Quality of a computed quantity: status, coverage, freshness and the reason.

Every number the toolkit shows (a report finding, a CLI export row) is judged
by the rules here before it is shown as a fact:

* ``ok`` -- the inputs cover what the quantity needs and are fresh;
* ``caveat`` -- a value exists but rests on partial or older inputs; the
  reason says how ("on 39 of the top 50", "market caps last updated
  2025-10-01");
* ``unavailable`` -- no trustworthy value (an empty index, a frozen tier, a
  series that ended before the window).

The thresholds are :class:`QualityRules` (documented defaults; pass your own
to be stricter or looser). The functions take panels that the analytics
already use and return a :class:`Quality`; they never read the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError

__all__ = [
    "DEFAULT_RULES",
    "Quality",
    "QualityRules",
    "Status",
    "altseason_quality",
    "cross_section_quality",
    "dominance_quality",
    "freshness",
    "freshness_quality",
    "index_quality",
    "newest_date",
    "regime_quality",
    "series_window_quality",
    "tier_quality",
    "top_quality",
]

Status = Literal["ok", "caveat", "unavailable"]
STATUSES: tuple[str, ...] = ("ok", "caveat", "unavailable")


@dataclass(frozen=True)
class QualityRules:
    """Thresholds that decide ``ok`` / ``caveat`` / ``unavailable``.

    Attributes
    ----------
    fresh_days
        An input at most this many days older than the as-of date is fresh
        (7: a weekly series or a weekend gap is still current).
    max_lag_days
        An input older than this is too old to describe the as-of date at all:
        the quantity is ``unavailable`` (92: one quarter). Between
        ``fresh_days`` and this it is a ``caveat`` stating its own date.
    min_weight_fresh
        An index is ``ok`` when constituents holding at least this share of
        its weight have a price on the as-of date (0.8); below it a caveat,
        and below half of it unavailable.
    min_coverage
        A breadth-type quantity (altseason index) is ``ok`` when it is
        computed on at least this share of the assets it is defined on (0.9);
        between ``min_coverage_caveat`` and this it is a caveat stating
        "on n of m".
    min_coverage_caveat
        Below this share (0.5) the quantity is unavailable.
    min_cap_coverage
        Dominance needs known market caps covering at least this share of the
        market's value (0.9), measured with each asset's last known cap.
    min_cap_assets
        ... and caps for at least this many assets (10), so "BTC dominance
        100%" with BTC the only capped asset is never reported.
    min_sector_members
        A sector return needs at least this many members priced over the
        whole window (3).
    reconstitution_tolerance_days
        How old a market cap may be on a tier reconstitution date (35, the
        same default as :func:`altseason.universe.cap_tiers`); tiers whose
        caps are older have no members and are unavailable, never frozen.
    """

    fresh_days: int = 7
    max_lag_days: int = 92
    min_weight_fresh: float = 0.8
    min_coverage: float = 0.9
    min_coverage_caveat: float = 0.5
    min_cap_coverage: float = 0.9
    min_cap_assets: int = 10
    min_sector_members: int = 3
    reconstitution_tolerance_days: int = 35
    min_cross_section: int = 20
    ok_cross_section: int = 50
    min_index_members: int = 5
    ok_index_members: int = 10
    min_ranked_sectors: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.fresh_days <= self.max_lag_days:
            raise ValidationError("QualityRules needs 0 <= fresh_days <= max_lag_days.")
        if self.min_coverage_caveat > self.min_coverage:
            raise ValidationError("QualityRules needs min_coverage_caveat <= min_coverage.")
        for low, high in (
            ("min_cross_section", "ok_cross_section"),
            ("min_index_members", "ok_index_members"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if not 1 <= lo <= hi:
                raise ValidationError(f"QualityRules needs 1 <= {low} <= {high}, got {lo}, {hi}.")
        if self.min_ranked_sectors < 2 or self.min_sector_members < 1:
            raise ValidationError(
                "QualityRules needs min_ranked_sectors >= 2 and min_sector_members >= 1."
            )
        for name in ("min_weight_fresh", "min_coverage", "min_coverage_caveat", "min_cap_coverage"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValidationError(f"QualityRules.{name} must be in [0, 1], got {v}.")


DEFAULT_RULES = QualityRules()
"""The defaults documented on :class:`QualityRules`."""


@dataclass(frozen=True)
class Quality:
    """Status, coverage, freshness and reason of one quantity."""

    status: Status = "ok"
    coverage: Mapping[str, Any] | None = None
    freshness: Mapping[str, Any] | None = None
    reason: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValidationError(f"unknown quality status {self.status!r}; use {STATUSES}.")
        if self.status != "ok" and not self.reason:
            raise ValidationError(f"a {self.status} quality needs a reason.")

    def worst(self, other: Quality) -> Quality:
        """Combine two judgements: the worse status wins, reasons are joined."""
        rank = {"ok": 0, "caveat": 1, "unavailable": 2}
        a, b = (self, other) if rank[self.status] >= rank[other.status] else (other, self)
        reasons = [r for r in (a.reason, b.reason) if r]
        seen: list[str] = []
        for r in reasons:
            if r not in seen:
                seen.append(r)
        return Quality(
            a.status,
            a.coverage if a.coverage is not None else b.coverage,
            _older(a.freshness, b.freshness),
            "; ".join(seen) or None,
        )


def _older(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if int(a.get("lag_days", 0)) >= int(b.get("lag_days", 0)) else b


def _day(d: Any) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


def freshness(newest: Any, asof: Any) -> dict[str, Any] | None:
    """``{"newest_input": "YYYY-MM-DD", "lag_days": n}`` (``None`` without a date)."""
    if newest is None or (isinstance(newest, float) and np.isnan(newest)) or pd.isna(newest):
        return None
    n = _day(newest)
    return {"newest_input": str(n.date()), "lag_days": int((_day(asof) - n).days)}


def newest_date(frame: pd.DataFrame | pd.Series, asof: Any | None = None) -> pd.Timestamp | None:
    """The last date with any non-NaN value on or before ``asof``."""
    data = frame if asof is None else frame.loc[: _day(asof)]
    mask = data.notna().any(axis=1) if isinstance(data, pd.DataFrame) else data.notna()
    if not mask.any():
        return None
    return pd.Timestamp(mask[mask].index[-1])


def freshness_quality(
    newest: Any, asof: Any, *, what: str, rules: QualityRules = DEFAULT_RULES
) -> Quality:
    """Judge a quantity by the age of its newest input.

    ``ok`` within :attr:`QualityRules.fresh_days`, ``caveat`` ("<what> ends on
    <date>") up to :attr:`QualityRules.max_lag_days`, ``unavailable`` beyond it
    or when there is no input at all.
    """
    fr = freshness(newest, asof)
    if fr is None:
        return Quality("unavailable", None, None, f"no {what} on or before {_day(asof).date()}")
    lag = fr["lag_days"]
    if lag <= rules.fresh_days:
        return Quality("ok", None, fr)
    if lag <= rules.max_lag_days:
        return Quality("caveat", None, fr, f"{what} ends on {fr['newest_input']}")
    return Quality(
        "unavailable",
        None,
        fr,
        f"{what} ends on {fr['newest_input']}, {lag} days before {_day(asof).date()}",
    )


def _coverage(observed: float, expected: float, unit: str) -> dict[str, Any]:
    obs: float | int = int(observed) if unit != "weight" else round(float(observed), 4)
    exp: float | int = int(expected) if unit != "weight" else round(float(expected), 4)
    return {"observed": obs, "expected": exp, "unit": unit}


def tier_quality(
    tiers: pd.DataFrame,
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    tier: str,
    asof: Any,
    window: int,
    *,
    rules: QualityRules = DEFAULT_RULES,
) -> Quality:
    """Is a cap-tier index trustworthy over ``window`` days to ``asof``?

    Unavailable when the tier has no members on ``asof`` (most often because
    the newest market caps are older than the reconstitution tolerance, so the
    index would otherwise stay flat); a caveat when it lacked members on some
    days of the window or when the newest market cap is older than
    :attr:`QualityRules.fresh_days` past the last reconstitution; the price
    coverage of its members is judged by :func:`index_quality`. A tier with
    fewer than :attr:`QualityRules.min_index_members` members priced on
    ``asof`` is unavailable ("the small-cap index needs at least 5 priced
    members; the store has 2 on 2026-01-02"), one with fewer than
    :attr:`QualityRules.ok_index_members` a caveat. ``coverage`` counts the
    days of the window with members (``unit`` ``"days"``) and adds
    ``"members"``, the members priced on ``asof``.
    """
    when = _day(asof)
    cap_newest = newest_date(market_cap, when)
    fr = freshness(cap_newest, when)
    lab = tiers.loc[:when]
    if lab.empty:
        return Quality(
            "unavailable", None, fr, f"no {tier}-cap tier membership before {when.date()}"
        )
    today = lab.iloc[-1].to_numpy() == tier
    start = when - pd.Timedelta(days=window)
    win = lab.loc[start:]
    days_with = int((win.to_numpy() == tier).any(axis=1).sum())
    cov = _coverage(days_with, len(win), "days")
    if not today.any():
        if fr is None:
            reason = f"no {tier}-cap members: no market caps on or before {when.date()}"
        elif fr["lag_days"] > rules.reconstitution_tolerance_days:
            reason = (
                f"no {tier}-cap members on {when.date()}: market caps last updated "
                f"{fr['newest_input']}, older than the "
                f"{rules.reconstitution_tolerance_days}-day reconstitution tolerance"
            )
        else:
            reason = f"the {tier}-cap tier has no members on {when.date()}"
        return Quality("unavailable", cov, fr, reason)
    q = Quality("ok", cov, fr)
    if days_with < len(win):
        q = q.worst(
            Quality(
                "caveat",
                cov,
                fr,
                f"the {tier}-cap tier had members on {days_with} of {len(win)} days",
            )
        )
    members = [c for c, m in zip(lab.columns, today, strict=True) if m]
    priced = close.loc[:when, members]
    n_priced = int(priced.iloc[-1].notna().sum()) if len(priced) and priced.index[-1] == when else 0
    mq = _count_quality(
        n_priced,
        rules.min_index_members,
        rules.ok_index_members,
        what=f"the {tier}-cap index",
        noun="priced members",
        date=when,
    )
    cov = {**cov, "members": n_priced}
    if mq.status != "ok":
        q = q.worst(Quality(mq.status, cov, fr, mq.reason))
    q = q.worst(
        index_quality(close.loc[:when, members], market_cap.loc[:when, members], when, rules=rules)
    )
    if fr is not None and fr["lag_days"] > rules.reconstitution_tolerance_days:
        q = q.worst(Quality("caveat", cov, fr, f"market caps last updated {fr['newest_input']}"))
    return Quality(q.status, cov, q.freshness, q.reason)


def index_quality(
    close: pd.DataFrame,
    market_cap: pd.DataFrame | None,
    asof: Any,
    *,
    rules: QualityRules = DEFAULT_RULES,
) -> Quality:
    """Share of an index's weight whose constituents have a price on ``asof``.

    Weights are each constituent's last known market cap (equal weights
    without caps). ``ok`` at :attr:`QualityRules.min_weight_fresh` or more,
    ``caveat`` down to half of it, ``unavailable`` below or when the index
    has no constituents.
    """
    when = _day(asof)
    if close.shape[1] == 0:
        return Quality(
            "unavailable", _coverage(0, 0, "assets"), None, "the index has no constituents"
        )
    px = close.loc[:when]
    fresh = (
        px.iloc[-1].notna()
        if len(px) and px.index[-1] == when
        else pd.Series(False, index=close.columns)
    )
    if market_cap is not None and market_cap.notna().to_numpy().any():
        w = market_cap.loc[:when].ffill().iloc[-1].reindex(close.columns).fillna(0.0).clip(lower=0)
    else:
        w = pd.Series(1.0, index=close.columns)
    if float(w.sum()) <= 0:
        w = pd.Series(1.0, index=close.columns)
    share = float(w[fresh].sum() / w.sum())
    cov = _coverage(share, 1.0, "weight")
    fr = freshness(newest_date(px), when)
    if share >= rules.min_weight_fresh:
        return Quality("ok", cov, fr)
    reason = (
        f"only {share:.0%} of the index weight has a price on {when.date()} "
        f"({int(fresh.sum())} of {close.shape[1]} constituents)"
    )
    if share >= rules.min_weight_fresh / 2:
        return Quality("caveat", cov, fr, reason)
    return Quality("unavailable", cov, fr, reason)


def _count(n: float | None) -> int:
    if n is None:
        return 0
    try:
        v = float(n)
    except (TypeError, ValueError):
        return 0
    return int(v) if np.isfinite(v) and v > 0 else 0


def _on(date: Any) -> str:
    return "" if date is None or pd.isna(date) else f" on {_day(date).date()}"


def _count_quality(
    observed: float | None, minimum: int, enough: int, *, what: str, noun: str, date: Any
) -> Quality:
    n = _count(observed)
    cov = _coverage(n, enough, "assets")
    if n < minimum:
        return Quality(
            "unavailable",
            cov,
            None,
            f"{what} needs at least {minimum} {noun}; the store has {n}{_on(date)}",
        )
    if n < enough:
        return Quality(
            "caveat", cov, None, f"{what} on only {n} {noun}, {enough} for a full reading"
        )
    return Quality("ok", cov, None)


def cross_section_quality(
    observed: float | None,
    date: Any,
    *,
    what: str,
    noun: str = "priced assets",
    rules: QualityRules = DEFAULT_RULES,
) -> Quality:
    """A measure over the whole universe (breadth, dispersion): enough assets?

    ``observed`` is the number of assets that actually enter the measure on
    ``date`` (e.g. those with a close and a 50-day average). Unavailable
    below :attr:`QualityRules.min_cross_section` ("breadth needs at least 20
    priced assets; the store has 3 on 2026-01-02"), a caveat below
    :attr:`QualityRules.ok_cross_section`, else ``ok``. ``coverage`` is
    ``{"observed": n, "expected": ok_cross_section, "unit": "assets"}``.
    """
    return _count_quality(
        observed,
        rules.min_cross_section,
        rules.ok_cross_section,
        what=what,
        noun=noun,
        date=date,
    )


def top_quality(
    counted: float | None,
    top: int,
    date: Any,
    *,
    what: str,
    of: str | None = None,
    rules: QualityRules = DEFAULT_RULES,
) -> Quality:
    """A quantity defined on a top-``top`` list: how many of the ``top`` enter it?

    ``counted`` is the number of the list's assets with the inputs the
    quantity needs on ``date`` (a full-window return, a full window of
    returns); the expected number is ``top`` itself, the definition's, even
    when the store holds fewer assets. ``ok`` from
    :attr:`QualityRules.min_coverage` of ``top``, a caveat ("on 39 of the top
    50") down to :attr:`QualityRules.min_coverage_caveat`, unavailable below
    ("... needs at least 25 of the top 50; computed on 2 of the top 50 on
    2026-01-02").
    """
    expected = max(int(top), 1)
    n = _count(counted)
    of = of or f"the top {expected}"
    cov = _coverage(n, expected, "assets")
    text = f"on {n} of {of}"
    share = n / expected
    if share < rules.min_coverage_caveat:
        need = int(np.ceil(rules.min_coverage_caveat * expected - 1e-9))
        return Quality(
            "unavailable",
            cov,
            None,
            f"{what} needs at least {need} of {of}; computed {text}{_on(date)}",
        )
    if share < rules.min_coverage:
        return Quality("caveat", cov, None, text)
    return Quality("ok", cov, None)


def altseason_quality(
    counted: float | None,
    top: int,
    available_top: int,
    date: Any,
    asof: Any,
    *,
    why: str | None = None,
    rules: QualityRules = DEFAULT_RULES,
) -> Quality:
    """The altseason index's coverage ("on 39 of the top 50") and its own date.

    ``counted`` is the number of top assets with a full-window return on
    ``date`` (the index's own date); ``available_top`` how many the top list
    held that day (fewer than ``top`` when the store ranks fewer assets).
    The expected number is always ``top``: the index is defined on the top
    50, so a store with 30 assets covers 30 of them (:func:`top_quality`).
    ``why`` explains a missing index (e.g. "no market caps to rank the top
    50").
    """
    expected = max(int(top), 1)
    if date is None or _count(counted) == 0:
        reason = f"the altseason index has no value on or before {_day(asof).date()}"
        if why:
            reason += f": {why}"
        fr = None if date is None else freshness(date, asof)
        return Quality("unavailable", _coverage(0, expected, "assets"), fr, reason)
    fq = freshness_quality(date, asof, what="the altseason index", rules=rules)
    q = top_quality(counted, expected, date, what="the altseason index", rules=rules)
    if q.status != "ok" and 0 < available_top < expected:
        q = Quality(
            q.status,
            q.coverage,
            None,
            f"{q.reason}; the store ranks {int(available_top)} eligible assets by market cap",
        )
    cov = q.coverage
    q = q.worst(Quality(fq.status, cov, fq.freshness, fq.reason))
    return Quality(q.status, cov, q.freshness if q.freshness else fq.freshness, q.reason)


def dominance_quality(
    market_cap: pd.DataFrame,
    eligible_assets: list[str],
    date: Any,
    asof: Any,
    *,
    asset: str = "BTC",
    max_stale_days: int = 35,
    rules: QualityRules = DEFAULT_RULES,
) -> Quality:
    """Do the caps known on ``date`` cover most of the market's value?

    Coverage is the share of the market's value, weighting every eligible
    asset by its last known cap however old, held by assets whose cap is
    known on ``date`` (at most ``max_stale_days`` old). Needs
    :attr:`QualityRules.min_cap_coverage` and
    :attr:`QualityRules.min_cap_assets`; the date itself is judged by
    :func:`freshness_quality`.
    """
    if date is None:
        return Quality(
            "unavailable", None, None, f"no {asset} market cap on or before {_day(asof).date()}"
        )
    d = _day(date)
    mc = market_cap.loc[:d, [c for c in eligible_assets if c in market_cap.columns]]
    last_any = mc.ffill().iloc[-1].where(lambda s: s > 0)
    known = (
        mc.ffill(limit=max_stale_days).iloc[-1].where(lambda s: s > 0)
        if max_stale_days
        else mc.iloc[-1]
    )
    total = float(last_any.sum())
    covered = float(known.sum())
    n_known = int(known.notna().sum())
    share = covered / total if total > 0 else 0.0
    cov = {"observed": round(share, 4), "expected": 1.0, "unit": "weight", "assets": n_known}
    cap_day = newest_date(mc) or d
    fq = freshness_quality(cap_day, asof, what="market caps", rules=rules)
    if fq.status != "ok" and fq.freshness is not None:
        fq = Quality(
            fq.status,
            None,
            fq.freshness,
            f"market caps last updated {fq.freshness['newest_input']}, "
            f"{fq.freshness['lag_days']} days before {_day(asof).date()}",
        )
    if n_known < rules.min_cap_assets or share < rules.min_cap_coverage:
        q = Quality(
            "unavailable",
            cov,
            fq.freshness,
            f"market caps on {d.date()} cover {share:.0%} of the market's value "
            f"({n_known} assets; needs {rules.min_cap_coverage:.0%} and "
            f"{rules.min_cap_assets} assets)",
        )
    else:
        q = Quality("ok", cov, fq.freshness)
    q = q.worst(Quality(fq.status, cov, fq.freshness, fq.reason))
    return Quality(q.status, cov, q.freshness, q.reason)


def series_window_quality(
    series: pd.Series,
    asof: Any,
    window: int,
    *,
    what: str,
    rules: QualityRules = DEFAULT_RULES,
) -> Quality:
    """A window return of an outside series (S&P 500, gold): does it reach the as-of date?

    Unavailable when the series ends before the window starts (or is more
    than :attr:`QualityRules.max_lag_days` old); a caveat stating its own end
    date when it ends within the window but more than
    :attr:`QualityRules.fresh_days` before ``asof``.
    """
    when = _day(asof)
    end = newest_date(series, when)
    if end is None:
        return Quality("unavailable", None, None, f"no {what} data on or before {when.date()}")
    if end < when - pd.Timedelta(days=window):
        fr = freshness(end, when)
        return Quality(
            "unavailable",
            None,
            fr,
            f"the {what} series ends on {end.date()}, before the {window}-day window",
        )
    q = freshness_quality(end, when, what=f"the {what} series", rules=rules)
    return q


REGIME_MEASURES: dict[str, tuple[str, ...]] = {
    "altseason": ("altseason_index",),
    "bitcoin season": ("altseason_index",),
    "rotation into alts": ("smallcap_vs_btc", "breadth_50d"),
    "bitcoin-led": ("dominance_change_pp", "smallcap_vs_btc"),
    "broad risk-off": ("breadth_50d", "breadth_200d"),
    "broad rally": ("breadth_50d",),
}
"""The measures each :func:`altseason.analytics.divergence_regime` rule reads, in rule order."""


def regime_quality(
    label: str, measures: Mapping[str, Quality], names: Mapping[str, str] | None = None
) -> Quality:
    """The quality of a divergence regime label, from the quality of its measures.

    ``measures`` maps each measure of
    :func:`altseason.analytics.divergence_regime` (``altseason_index``,
    ``dominance_change_pp``, ``breadth_50d``, ``breadth_200d``,
    ``smallcap_vs_btc``) to its :class:`Quality`; an unavailable measure must
    have been left out of the regime (passed as NaN). The label inherits the
    worst status of the measures its rule read (:data:`REGIME_MEASURES`;
    ``"mixed"`` reads all), and is a caveat when a measure of an earlier
    rule, one that could have named another regime, is unavailable
    ("judged without breadth (50-day)"). Unavailable when every measure is.
    """
    names = dict(names or {})
    order = list(REGIME_MEASURES)
    if label in REGIME_MEASURES:
        used = REGIME_MEASURES[label]
        earlier = {m for r in order[: order.index(label)] for m in REGIME_MEASURES[r]}
    else:
        used = tuple(measures)
        earlier = set(measures)
    present = {k: q for k, q in measures.items() if q.status != "unavailable"}
    if not present:
        return Quality("unavailable", None, None, "no divergence measure is available")
    q = Quality("ok")
    for k in used:
        mq = measures.get(k)
        if mq is None or mq.status == "unavailable":
            continue
        if mq.status == "caveat":
            q = q.worst(Quality("caveat", None, mq.freshness, f"{names.get(k, k)} {mq.reason}"))
    missing = [names.get(k, k) for k in measures if k in earlier and k not in present]
    missing += [names.get(k, k) for k in used if k not in present and k not in earlier]
    if missing:
        q = q.worst(
            Quality("caveat", None, None, f"judged without {', '.join(missing)} (not available)")
        )
    return q
