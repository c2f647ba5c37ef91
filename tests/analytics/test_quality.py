"""Quality rules: status, coverage and freshness of tiers, dominance, indices, series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from altseason.analytics import (
    DEFAULT_RULES,
    Quality,
    QualityRules,
    altseason_quality,
    cross_section_quality,
    dominance_quality,
    freshness,
    freshness_quality,
    index_quality,
    regime_quality,
    series_window_quality,
    tier_quality,
    top_quality,
)
from altseason.exceptions import ValidationError
from altseason.universe import TierThresholds, cap_tiers

DAYS = pd.date_range("2025-01-01", "2026-03-31", freq="D")


def _panels(n: int = 30, caps_end: str = "2025-10-01") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily closes for every day; monthly market caps that stop at ``caps_end``."""
    rng = np.random.default_rng(3)
    ids = ["BTC", "ETH"] + [f"A{i:02d}" for i in range(n)]
    close = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.02, (len(DAYS), len(ids))), axis=0)),
        index=DAYS,
        columns=ids,
    )
    supply = np.array([1e9, 5e8, *np.geomspace(5e8, 1e6, n)])
    firsts = DAYS[(DAYS.day == 1) & (pd.Timestamp(caps_end) >= DAYS)]
    mcap = pd.DataFrame(np.nan, index=DAYS, columns=ids)
    mcap.loc[firsts] = close.loc[firsts] * supply
    return close, mcap


TH = TierThresholds(large_max=5, mid_max=10, small_max=20)


def test_tier_is_unavailable_once_caps_are_older_than_the_tolerance() -> None:
    close, mcap = _panels()
    tiers = cap_tiers(mcap, close, thresholds=TH)
    asof = pd.Timestamp("2026-02-20")
    # the premise, computed independently: no small-cap label on the as-of date
    assert not (tiers.loc[asof] == "small").any()
    q = tier_quality(tiers, close, mcap, "small", asof, 90)
    assert q.status == "unavailable"
    assert q.freshness == {
        "newest_input": "2025-10-01",
        "lag_days": (asof - pd.Timestamp("2025-10-01")).days,
    }
    assert "market caps last updated 2025-10-01" in (q.reason or "")
    assert "35-day reconstitution tolerance" in (q.reason or "")


def test_tier_is_ok_with_fresh_caps() -> None:
    close, mcap = _panels(caps_end="2026-03-01")
    tiers = cap_tiers(mcap, close, thresholds=TH)
    asof = pd.Timestamp("2026-03-20")
    q = tier_quality(tiers, close, mcap, "small", asof, 90)
    assert q.status == "ok", q.reason
    members = int((tiers.loc[asof] == "small").sum())  # ranks 11-20: ten members
    assert members == 10
    assert q.coverage == {"observed": 91, "expected": 91, "unit": "days", "members": members}


def test_tier_with_members_on_part_of_the_window_is_a_caveat() -> None:
    close, mcap = _panels(caps_end="2025-12-01")
    tiers = cap_tiers(mcap, close, thresholds=TH)
    asof = pd.Timestamp("2026-01-05")  # members from the Dec reconstitution; window from Oct
    q = tier_quality(tiers, close, mcap, "small", asof, 90)
    days = tiers.loc[asof - pd.Timedelta(days=90) : asof]
    with_members = int((days == "small").any(axis=1).sum())
    assert q.coverage is not None and q.coverage["observed"] == with_members
    assert q.status == ("ok" if with_members == len(days) else "caveat")


def test_dominance_with_btc_the_only_cap_is_never_ok() -> None:
    _close, mcap = _panels(caps_end="2026-03-01")
    from altseason.analytics import dominance

    only_btc = mcap.copy()
    others = [c for c in mcap.columns if c != "BTC"]
    only_btc.loc["2026-01-01":, others] = np.nan  # their last caps: 2025-12-01, 90 days old
    d = pd.Timestamp("2026-03-01")
    assert dominance(only_btc).loc[d] == pytest.approx(1.0)  # the raw ratio says 100%
    q = dominance_quality(only_btc, list(mcap.columns), d, d)
    # independent: BTC's share of the value when weighted by the last known caps
    last = only_btc.loc[:d].ffill().iloc[-1]
    assert q.coverage is not None
    assert q.coverage["observed"] == pytest.approx(last["BTC"] / last.sum(), abs=1e-4)
    assert q.status == "unavailable" and "cover" in (q.reason or "")
    ok = dominance_quality(mcap, list(mcap.columns), d, d)
    assert ok.status == "ok" and ok.coverage is not None and ok.coverage["observed"] == 1.0


def test_dominance_on_old_caps_names_their_date() -> None:
    _close, mcap = _panels()
    q = dominance_quality(mcap, list(mcap.columns), pd.Timestamp("2025-11-05"), "2026-02-20")
    assert q.status == "unavailable"
    assert "market caps last updated 2025-10-01" in (q.reason or "")


def test_index_quality_weights_fresh_prices_by_cap() -> None:
    close, mcap = _panels(n=4, caps_end="2026-03-01")
    asof = pd.Timestamp("2026-03-20")
    c = close.copy()
    c.loc[asof, ["BTC"]] = np.nan  # the biggest constituent has no price today
    q = index_quality(c, mcap, asof)
    w = mcap.loc[:asof].ffill().iloc[-1]
    expected = float(w.drop("BTC").sum() / w.sum())
    assert q.coverage is not None and q.coverage["observed"] == pytest.approx(expected, abs=1e-4)
    assert q.status == (
        "ok" if expected >= 0.8 else ("caveat" if expected >= 0.4 else "unavailable")
    )
    assert index_quality(c.iloc[:, :0], None, asof).status == "unavailable"


def test_series_that_ended_before_the_window_is_unavailable() -> None:
    s = pd.Series(1.0, index=pd.date_range("2025-01-01", "2025-12-31", freq="B"))
    late = series_window_quality(s, "2026-02-20", 90, what="S&P 500")
    assert late.status == "caveat"
    assert late.freshness == {"newest_input": "2025-12-31", "lag_days": 51}
    assert late.reason == "the S&P 500 series ends on 2025-12-31"
    gone = series_window_quality(s, "2026-06-20", 90, what="S&P 500")
    assert gone.status == "unavailable" and "before the 90-day window" in (gone.reason or "")
    assert series_window_quality(s, "2026-01-02", 90, what="S&P 500").status == "ok"


def test_altseason_coverage_wording() -> None:
    q = altseason_quality(39, 50, 50, "2026-02-20", "2026-02-20")
    assert q.status == "caveat" and q.reason == "on 39 of the top 50"
    assert q.coverage == {"observed": 39, "expected": 50, "unit": "assets"}
    assert altseason_quality(48, 50, 50, "2026-02-20", "2026-02-20").status == "ok"
    assert altseason_quality(20, 50, 50, "2026-02-20", "2026-02-20").status == "unavailable"
    old = altseason_quality(48, 50, 50, "2025-11-05", "2026-02-20")
    assert old.status == "unavailable" and "ends on 2025-11-05" in (old.reason or "")
    assert altseason_quality(None, 50, 50, None, "2026-02-20").status == "unavailable"


@settings(max_examples=60, deadline=None)
@given(lag=st.integers(min_value=0, max_value=400))
def test_freshness_status_follows_the_documented_thresholds(lag: int) -> None:
    asof = pd.Timestamp("2026-02-20")
    q = freshness_quality(asof - pd.Timedelta(days=lag), asof, what="data")
    assert q.freshness is not None and q.freshness["lag_days"] == lag
    if lag <= DEFAULT_RULES.fresh_days:
        assert q.status == "ok" and q.reason is None
    elif lag <= DEFAULT_RULES.max_lag_days:
        assert q.status == "caveat" and q.reason and "data ends on" in q.reason
    else:
        assert q.status == "unavailable"


def test_rules_and_quality_validate() -> None:
    with pytest.raises(ValidationError):
        QualityRules(fresh_days=10, max_lag_days=5)
    with pytest.raises(ValidationError):
        QualityRules(min_coverage=1.5)
    with pytest.raises(ValidationError):
        Quality("caveat")  # a caveat needs a reason
    assert freshness(None, "2026-01-01") is None
    a = Quality("caveat", None, {"newest_input": "2025-01-01", "lag_days": 10}, "x")
    b = Quality("unavailable", None, {"newest_input": "2024-01-01", "lag_days": 400}, "y")
    worst = a.worst(b)
    assert worst.status == "unavailable" and worst.reason == "y; x"
    assert worst.freshness is not None and worst.freshness["lag_days"] == 400


# ---------------------------------------------------------------------- coverage rules
@settings(max_examples=80, deadline=None)
@given(n=st.integers(min_value=0, max_value=120))
def test_cross_section_status_follows_the_documented_counts(n: int) -> None:
    q = cross_section_quality(n, "2026-01-02", what="breadth", noun="priced assets")
    assert q.coverage == {
        "observed": n,
        "expected": DEFAULT_RULES.ok_cross_section,
        "unit": "assets",
    }
    if n < DEFAULT_RULES.min_cross_section:
        assert q.status == "unavailable"
        assert (
            q.reason == f"breadth needs at least 20 priced assets; the store has {n} on 2026-01-02"
        )
    elif n < DEFAULT_RULES.ok_cross_section:
        assert q.status == "caveat"
        assert q.reason == f"breadth on only {n} priced assets, 50 for a full reading"
    else:
        assert q.status == "ok" and q.reason is None


def test_cross_section_defaults_and_custom_rules() -> None:
    assert (DEFAULT_RULES.min_cross_section, DEFAULT_RULES.ok_cross_section) == (20, 50)
    loose = QualityRules(min_cross_section=2, ok_cross_section=3)
    assert cross_section_quality(3, None, what="x", rules=loose).status == "ok"
    assert cross_section_quality(2, None, what="x", rules=loose).status == "caveat"
    q = cross_section_quality(1, None, what="x", rules=loose)
    assert (
        q.status == "unavailable"
        and q.reason == "x needs at least 2 priced assets; the store has 1"
    )
    for bad in (float("nan"), None, -3):
        assert cross_section_quality(bad, None, what="x").coverage["observed"] == 0  # type: ignore[index]


@settings(max_examples=80, deadline=None)
@given(n=st.integers(min_value=0, max_value=50))
def test_top_list_coverage_counts_against_the_definition(n: int) -> None:
    q = top_quality(n, 50, "2026-01-02", what="the altseason index")
    assert q.coverage == {"observed": n, "expected": 50, "unit": "assets"}
    if n >= 45:  # 90% of 50
        assert q.status == "ok"
    elif n >= 25:  # 50% of 50
        assert q.status == "caveat" and q.reason == f"on {n} of the top 50"
    else:
        assert q.status == "unavailable"
        assert q.reason == (
            f"the altseason index needs at least 25 of the top 50; computed on {n} of the "
            "top 50 on 2026-01-02"
        )


def test_altseason_on_a_small_store_counts_against_the_top_50() -> None:
    # 30 assets in the store: the top list holds 29 non-BTC assets, all with a return
    q = altseason_quality(29, 50, 29, "2026-01-02", "2026-01-02")
    assert q.status == "caveat"
    assert q.coverage == {"observed": 29, "expected": 50, "unit": "assets"}
    assert q.reason is not None and q.reason.startswith("on 29 of the top 50")
    assert "ranks 29 eligible assets" in q.reason
    tiny = altseason_quality(2, 50, 2, "2026-01-02", "2026-01-02")
    assert tiny.status == "unavailable" and "computed on 2 of the top 50" in (tiny.reason or "")
    none = altseason_quality(None, 50, 0, None, "2026-01-02", why="no market caps")
    assert none.reason == "the altseason index has no value on or before 2026-01-02: no market caps"


def _tier_panels(n_small: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fresh caps; ranks 3-5 large, 6-10 mid, the next ``n_small`` small."""
    close, mcap = _panels(n=8 + n_small, caps_end="2026-03-01")
    th = TierThresholds(large_max=5, mid_max=10, small_max=10 + n_small)
    return cap_tiers(mcap, close, thresholds=th), close, mcap


@pytest.mark.parametrize(
    ("n_small", "status"),
    [(2, "unavailable"), (4, "unavailable"), (5, "caveat"), (9, "caveat"), (10, "ok")],
)
def test_tier_with_few_members_is_withheld_or_caveated(n_small: int, status: str) -> None:
    tiers, close, mcap = _tier_panels(n_small)
    asof = pd.Timestamp("2026-03-20")
    assert int((tiers.loc[asof] == "small").sum()) == n_small  # the premise
    q = tier_quality(tiers, close, mcap, "small", asof, 90)
    assert q.status == status, q.reason
    assert q.coverage is not None and q.coverage["members"] == n_small
    if status == "unavailable":
        assert q.reason == (
            f"the small-cap index needs at least 5 priced members; the store has {n_small} "
            "on 2026-03-20"
        )
    elif status == "caveat":
        assert (
            q.reason
            == f"the small-cap index on only {n_small} priced members, 10 for a full reading"
        )


def test_tier_members_without_a_price_today_do_not_count() -> None:
    tiers, close, mcap = _tier_panels(10)
    asof = pd.Timestamp("2026-03-20")
    small = list(tiers.columns[(tiers.loc[asof] == "small").to_numpy()])
    c = close.copy()
    c.loc[asof, small[:7]] = np.nan
    q = tier_quality(tiers, c, mcap, "small", asof, 90)
    assert q.coverage is not None and q.coverage["members"] == 3
    assert q.status == "unavailable"


OK = Quality("ok")
CAV = Quality("caveat", None, None, "on 30 assets")
GONE = Quality("unavailable", None, None, "needs 20")
MEASURES = (
    "altseason_index",
    "dominance_change_pp",
    "breadth_50d",
    "breadth_200d",
    "smallcap_vs_btc",
)


def test_regime_inherits_the_quality_of_the_measures_it_read() -> None:
    every = dict.fromkeys(MEASURES, OK)
    assert regime_quality("altseason", every).status == "ok"
    assert regime_quality("mixed", every).status == "ok"
    # "broad rally" read breadth (50-day): a caveated breadth caveats the regime
    q = regime_quality("broad rally", {**every, "breadth_50d": CAV}, {"breadth_50d": "breadth"})
    assert q.status == "caveat" and q.reason == "breadth on 30 assets"
    # ... and an unavailable altseason index, an earlier rule, leaves it unjudged
    q = regime_quality(
        "broad rally", {**every, "altseason_index": GONE}, {"altseason_index": "the index"}
    )
    assert q.status == "caveat" and q.reason == "judged without the index (not available)"
    # a caveat on a measure the rule did not read does not matter
    assert regime_quality("altseason", {**every, "breadth_50d": CAV}).status == "ok"
    assert regime_quality("mixed", dict.fromkeys(MEASURES, GONE)).status == "unavailable"


def test_new_rules_validate() -> None:
    with pytest.raises(ValidationError):
        QualityRules(min_cross_section=30, ok_cross_section=20)
    with pytest.raises(ValidationError):
        QualityRules(min_index_members=0)
    with pytest.raises(ValidationError):
        QualityRules(min_coverage=0.4, min_coverage_caveat=0.5)
    with pytest.raises(ValidationError):
        QualityRules(min_ranked_sectors=1)


def test_dispersion_count_is_the_number_of_assets_with_a_window_return() -> None:
    from altseason.analytics import dispersion, dispersion_count

    close, _ = _panels(n=6)
    close.loc[:"2026-03-01", "A00"] = np.nan  # A00 lists on 2026-03-02
    n = dispersion_count(close, 30)
    day = pd.Timestamp("2026-03-20")
    rets = close.loc[day] / close.loc[day - pd.Timedelta(days=30)] - 1
    assert n.loc[day] == rets.notna().sum() == 7
    assert dispersion(close, 30).loc[day] == pytest.approx(rets.dropna().std(ddof=1))


def test_divergence_analysis_regime_ignores_a_breadth_of_six_assets() -> None:
    from altseason.analytics import DivergenceAnalysis, divergence_regime

    days = pd.date_range("2025-01-01", periods=300, freq="D")
    ids = ["BTC", "ETH", "A", "B", "C", "D"]
    trend = np.exp(np.linspace(0, 1, len(days)))[:, None] * np.linspace(1, 2, len(ids))
    close = pd.DataFrame(trend * 100, index=days, columns=ids)  # every asset rising
    da = DivergenceAnalysis.from_panels(close, pd.DataFrame(index=days, columns=ids))
    br = da.breadth().iloc[-1]
    assert br["above_50d"] == 1.0 and br["n_50d"] == 6  # the raw share: all six above
    raw = divergence_regime(altseason=np.nan, breadth_50=1.0, breadth_200=1.0)
    assert raw.label == "broad rally"  # what six assets alone would say
    q = da.quality()["breadth_50d"]
    assert q.status == "unavailable" and "the store has 6 on 2025-10-27" in (q.reason or "")
    reg = da.regime()
    assert reg.label == "mixed" and reg.quality is not None
    assert reg.quality.status == "unavailable"
    snap = da.snapshot()
    assert np.isnan(snap.loc["breadth above 50d", "value"])
    assert "unavailable: breadth above the 50-day average needs at least 20" in str(
        snap.loc["breadth above 50d", "note"]
    )
    # with rules for a six-asset universe the same analysis reads a broad rally, caveated
    loose = DivergenceAnalysis.from_panels(
        close,
        pd.DataFrame(index=days, columns=ids),
        rules=QualityRules(min_cross_section=5, ok_cross_section=10),
    )
    reg = loose.regime()
    assert reg.label == "broad rally" and reg.quality is not None
    assert reg.quality.status == "caveat"
