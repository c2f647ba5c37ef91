"""DivergenceAnalysis: every divergence measure from a store or panels, as of one date."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from altseason._typing import DateLike
from altseason.analytics._correlation import (
    average_pairwise_correlation,
    correlation_regime,
    rolling_pair_correlation,
)
from altseason.analytics._divergence import (
    Regime,
    _upto,
    altseason_index,
    breadth,
    dispersion,
    dispersion_count,
    divergence_regime,
    dominance,
    performance_table,
    relative_strength_table,
    season_label,
    sector_spread,
    top_movers,
)
from altseason.analytics._indices import (
    SECTOR_MAJORS,
    IndexResult,
    market_index,
    sector_indices,
    sector_returns,
    tier_indices,
)
from altseason.analytics._quality import (
    DEFAULT_RULES,
    Quality,
    QualityRules,
    altseason_quality,
    cross_section_quality,
    dominance_quality,
    regime_quality,
    tier_quality,
)
from altseason.analytics._returns import log_returns
from altseason.exceptions import DataUnavailableError, ValidationError
from altseason.labels import DEMO_LABEL
from altseason.universe import Market, TierThresholds, cap_tiers, eligible, load_market

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = ["DivergenceAnalysis", "cross_section_breadth"]


def _without_empty_periods(index: IndexResult) -> pd.Series:
    """The index level, NaN over every rebalance period that found no constituent
    (:attr:`IndexResult.known_level`)."""
    return index.known_level


def cross_section_breadth(
    counts: pd.Series, recent: int, asof: Any, share: float = 0.5
) -> dict[str, Any]:
    """Is the cross-section on ``asof`` broad, and which day was the newest broad one?

    ``counts``: assets priced per day (index dates up to ``asof``);
    ``recent``: assets priced daily over the lookback before ``asof``. The
    as-of is ``thin`` when fewer than ``share x recent`` assets have a close
    on it; ``broad_asof`` is the newest day with at least that many. The one
    rule behind :meth:`DivergenceAnalysis.coverage`, the ``divergence``
    warning and the report's default as-of (``report.broad_asof``).
    """
    asof = pd.Timestamp(asof)
    counts = counts.loc[:asof]
    priced = int(counts.iloc[-1]) if len(counts) and counts.index[-1] == asof else 0
    need = share * recent
    broad = counts[counts >= need]
    return {
        "asof": asof,
        "priced": priced,
        "recent": recent,
        "thin": recent > 0 and priced < need,
        "broad_asof": pd.Timestamp(broad.index[-1]) if len(broad) else None,
    }


@dataclass
class DivergenceAnalysis:
    """Every divergence measure from one set of panels, as of one date.

    Build with :meth:`from_store` or :meth:`from_panels`; nothing after
    ``asof`` is read. Tables are computed on first access.

    Parameters
    ----------
    close, market_cap
        ``(n_dates, n_assets)`` closes and market caps in USD.
    sectors
        Asset id -> sector id.
    asof
        Evaluation date (default: the last date of ``close``).
    window
        Main window in days (relative strength, altseason index, regime).
    rules
        The :class:`altseason.analytics.QualityRules` that judge each
        measure (:meth:`quality`) and decide which measures the regime may
        read (:meth:`regime`); default :data:`DEFAULT_RULES`.
    """

    close: pd.DataFrame
    market_cap: pd.DataFrame
    sectors: pd.Series
    asof: pd.Timestamp | None = None
    window: int = 90
    thresholds: TierThresholds = field(default_factory=TierThresholds)
    rebalance: str = "MS"
    cap: float = 0.25
    top: int = 50
    sources: tuple[str, ...] = ()
    label: str = ""
    rules: QualityRules = field(default_factory=lambda: DEFAULT_RULES)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.close.empty:
            raise DataUnavailableError(
                "no prices to analyse; import prices or run 'altseason demo' first."
            )
        end = self.close.index[-1] if self.asof is None else pd.Timestamp(self.asof)
        self.asof = end
        self.close = _upto(self.close, end)
        self.market_cap = self.market_cap.reindex(columns=self.close.columns).loc[:end]
        self.market_cap = self.market_cap.reindex(self.close.index)
        self.sectors = self.sectors.reindex(self.close.columns)
        if self.window < 2:
            raise ValidationError(f"window must be >= 2 days, got {self.window}.")

    # construction
    @classmethod
    def from_panels(
        cls,
        close: pd.DataFrame,
        market_cap: pd.DataFrame,
        sectors: pd.Series | dict[str, str] | None = None,
        **kwargs: Any,
    ) -> DivergenceAnalysis:
        """Build from panels (see the class parameters)."""
        sec = (
            pd.Series(dict(sectors or {}), dtype=object)
            if not isinstance(sectors, pd.Series)
            else sectors
        )
        return cls(close=close, market_cap=market_cap, sectors=sec, **kwargs)

    @classmethod
    def from_market(cls, market: Market, **kwargs: Any) -> DivergenceAnalysis:
        """Build from a :class:`altseason.universe.Market`."""
        excluded = market.assets["excluded"]
        sectors = market.assets["sector"].where(excluded.isna(), "stablecoin")
        return cls(
            close=market.close,
            market_cap=market.market_cap,
            sectors=sectors,
            sources=market.sources,
            label=market.label,
            **kwargs,
        )

    @classmethod
    def from_store(
        cls,
        store: Store,
        asof: DateLike | None = None,
        window: int = 90,
        *,
        sector_map: pd.DataFrame | str | Path | None = None,
        **kwargs: Any,
    ) -> DivergenceAnalysis:
        """Read the ``prices`` and ``assets`` tables and build the analysis.

        ``sector_map`` (a frame or a CSV path) fills sectors the ``assets``
        table lacks; default: the shipped map.
        """
        market = load_market(store, end=asof, sector_map=sector_map)
        if market.close.empty and asof is not None:
            row = store.con.execute("SELECT min(date) FROM prices").fetchone()
            if row is not None and row[0] is not None:
                first = pd.Timestamp(row[0]).date()
                raise DataUnavailableError(
                    f"no prices on or before {pd.Timestamp(asof).date()}: the store's prices "
                    f"start on {first}. Pass --asof {first} or later."
                )
        return cls.from_market(
            market, asof=pd.Timestamp(asof) if asof is not None else None, window=window, **kwargs
        )

    @property
    def is_demo(self) -> bool:
        """True when the prices come from the simulated demo market."""
        return self.label.startswith(DEMO_LABEL)

    def _memo(self, key: str, fn: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    # building blocks
    @property
    def tiers(self) -> pd.DataFrame:
        """Tier-label panel (monthly reconstitution, point in time)."""
        return self._memo(
            "tiers",
            lambda: cap_tiers(
                self.market_cap,
                self.close,
                thresholds=self.thresholds,
                rebalance=self.rebalance,
                sectors=self.sectors,
            ).reindex(index=self.close.index, columns=self.close.columns),
        )

    @property
    def tier_levels(self) -> pd.DataFrame:
        """Capped cap-weighted tier indices (columns: tiers)."""
        return self._memo(
            "tier_levels",
            lambda: tier_indices(
                self.close,
                self.tiers,
                weighting="cap",
                market_cap=self.market_cap,
                cap=self.cap,
                rebalance=self.rebalance,
            ),
        )

    @property
    def tier_levels_equal(self) -> pd.DataFrame:
        """Equal-weighted tier indices."""
        return self._memo(
            "tier_levels_equal",
            lambda: tier_indices(
                self.close,
                self.tiers,
                weighting="equal",
                rebalance=self.rebalance,
            ),
        )

    @property
    def sector_levels(self) -> pd.DataFrame:
        """Equal-weighted sector indices (columns: sector ids)."""
        return self._memo(
            "sector_levels",
            lambda: sector_indices(
                self.close,
                self.sectors,
                weighting="equal",
                rebalance=self.rebalance,
            ),
        )

    @property
    def sector_levels_cap(self) -> pd.DataFrame:
        """Sector indices as :func:`altseason.analytics.sector_returns` defines them.

        Capped cap-weighted, BTC and ETH left out (see
        :data:`altseason.analytics.SECTOR_METHOD`); these are the sector rows of
        :meth:`performance`, the same numbers the report shows.
        """
        return self._memo(
            "sector_levels_cap",
            lambda: sector_indices(
                self.close,
                self.sectors,
                weighting="cap",
                market_cap=self.market_cap,
                cap=self.cap,
                rebalance=self.rebalance,
                exclude_majors=SECTOR_MAJORS,
            ),
        )

    def sector_returns(self, min_members: int = 3) -> pd.DataFrame:
        """:func:`altseason.analytics.sector_returns` over :attr:`window` to :attr:`asof`."""
        return self._memo(
            f"sector_returns{min_members}",
            lambda: sector_returns(
                self.close,
                self.sectors,
                market_cap=self.market_cap,
                window=self.window,
                asof=self.asof,
                min_members=min_members,
                cap=self.cap,
            ),
        )

    @property
    def market_levels(self) -> pd.DataFrame:
        """Total market ex stables: capped cap-weighted and equal-weighted levels."""

        def build() -> pd.DataFrame:
            cap = market_index(
                self.close,
                weighting="cap",
                market_cap=self.market_cap,
                sectors=self.sectors,
                cap=self.cap,
                rebalance=self.rebalance,
            )
            eq = market_index(
                self.close, weighting="equal", sectors=self.sectors, rebalance=self.rebalance
            )
            return pd.DataFrame(
                {
                    "market_cap_weighted": _without_empty_periods(cap),
                    "market_equal_weighted": _without_empty_periods(eq),
                }
            )

        return self._memo("market_levels", build)

    @property
    def levels(self) -> pd.DataFrame:
        """BTC, ETH, market, tier and sector levels side by side.

        Sectors are :attr:`sector_levels_cap` (the one sector-return
        definition) for sectors with at least three members priced over the
        window. A tier without members on :attr:`asof` (e.g. market caps older
        than the reconstitution tolerance) is left out rather than shown as a
        flat index with 0% returns.
        """

        def build() -> pd.DataFrame:
            sr = self.sector_returns()
            enough = set(sr.index[sr["enough"]])
            labels = self.tiers.loc[: self.asof]
            live = set(labels.iloc[-1].dropna().unique()) if len(labels) else set()
            parts = [
                self.close.loc[:, [c for c in ("BTC", "ETH") if c in self.close.columns]],
                self.market_levels,
                self.tier_levels.drop(columns=["majors"], errors="ignore")
                .loc[:, lambda f: [c for c in f.columns if c in live]]
                .dropna(axis=1, how="all")
                .add_prefix("tier:"),
                self.sector_levels_cap.loc[
                    :, [c for c in self.sector_levels_cap.columns if c in enough]
                ]
                .dropna(axis=1, how="all")
                .add_prefix("sector:"),
            ]
            return pd.concat(parts, axis=1)

        return self._memo("levels", build)

    # tables
    def performance(self) -> pd.DataFrame:
        """Performance table of :attr:`levels` (see :func:`performance_table`)."""
        return self._memo("performance", lambda: performance_table(self.levels, self.asof))

    def movers(self, window: int = 7, n: int = 5) -> pd.DataFrame:
        """Top and bottom movers among eligible assets."""
        return top_movers(
            self.close, window, self.asof, n=n, members=eligible(self.close, sectors=self.sectors)
        )

    def relative_strength(self) -> pd.DataFrame:
        """Relative strength of every level vs BTC and ETH on ``asof``."""
        bench = self.close.loc[:, [c for c in ("BTC", "ETH") if c in self.close.columns]]
        levels = self.levels.drop(columns=list(bench.columns))
        return self._memo(
            "rs", lambda: relative_strength_table(levels, bench, self.asof, window=self.window)
        )

    def altseason(self) -> pd.DataFrame:
        """Daily altseason index (see :func:`altseason_index`)."""
        return self._memo(
            "altseason",
            lambda: altseason_index(
                self.close, self.market_cap, window=self.window, top=self.top, sectors=self.sectors
            ),
        )

    def breadth(self) -> pd.DataFrame:
        """Daily share of eligible assets above their 50- and 200-day averages."""
        return self._memo(
            "breadth", lambda: breadth(self.close, eligible(self.close, sectors=self.sectors))
        )

    def dispersion(self, window: int = 30) -> pd.Series:
        """Cross-sectional dispersion of ``window``-day returns."""
        return dispersion(self.close, window, eligible(self.close, sectors=self.sectors))

    def dispersion_count(self, window: int = 30) -> pd.Series:
        """How many eligible assets enter :meth:`dispersion` on each day."""
        return dispersion_count(self.close, window, eligible(self.close, sectors=self.sectors))

    def sector_spread(self, window: int = 30) -> pd.DataFrame:
        """Best-minus-worst sector return (equal-weighted sector indices)."""
        return sector_spread(self.sector_levels, window)

    def dominance(self) -> pd.Series:
        """BTC dominance (of the non-stable assets with a market cap)."""
        return self._memo("dominance", lambda: dominance(self.market_cap, sectors=self.sectors))

    def correlation(self, window: int | None = None) -> pd.DataFrame:
        """Average pairwise correlation of eligible assets and its regime.

        Log returns, window ``window`` (default the analysis window, min 30
        common days). Adds ``smallcap_vs_majors``: rolling correlation of the
        small-cap (or mid-cap when there is no small tier) and majors indices.
        """
        w = window or self.window

        def build() -> pd.DataFrame:
            lr = log_returns(self.close.where(eligible(self.close, sectors=self.sectors)))
            avg = average_pairwise_correlation(lr, w, min_periods=min(w, 30))
            out = correlation_regime(avg)
            lv = self.tier_levels
            small = next((t for t in ("small", "mid", "large") if lv[t].notna().any()), None)
            if small is not None and lv["majors"].notna().any():
                out["smallcap_vs_majors"] = rolling_pair_correlation(
                    log_returns(lv[small]), log_returns(lv["majors"]), w, min_periods=min(w, 30)
                )
            return out

        return self._memo(f"corr{w}", build)

    def coverage(self, lookback_days: int = 365, share: float = 0.5) -> dict[str, Any]:
        """How broad the cross-section is on :attr:`asof`.

        ``recent``: assets priced daily in the ``lookback_days`` before
        ``asof`` (at least 30 closes: coins seen only in monthly or one-day
        snapshots do not count); ``priced``: those with a close on ``asof``; ``thin``: ``priced <
        share x recent`` (e.g. a store whose newest days come from a
        three-coin file while hundreds of coins end earlier); ``broad_asof``:
        the newest day up to ``asof`` on which at least ``share x recent``
        assets are priced (``None`` when there is none). Market-wide figures
        (breadth, altseason index, indices) on a thin as-of describe the few
        coins still priced, not the market.
        """
        close = self.close
        asof = pd.Timestamp(self.asof) if self.asof is not None else close.index[-1]
        hist = close.loc[:asof]
        if hist.empty:
            return {"asof": asof, "priced": 0, "recent": 0, "thin": False, "broad_asof": None}
        window = hist.loc[asof - pd.Timedelta(days=lookback_days) :]
        # daily series only: a coin seen in monthly or one-day snapshots is not "priced daily"
        daily = window.loc[:, window.notna().sum() >= min(30, len(window))]
        return cross_section_breadth(daily.notna().sum(axis=1), int(daily.shape[1]), asof, share)

    # quality of the measures (analytics._quality; thresholds: ``rules``)
    def dominance_change(self) -> tuple[pd.Timestamp | None, float]:
        """``(date, change)``: BTC dominance on its last date minus its value a window earlier.

        The earlier value is the last one on or before ``asof - window`` (a
        fraction; NaN without either value).
        """
        dom = self.dominance().loc[: self.asof].dropna()
        if dom.empty:
            return None, np.nan
        prev = dom.loc[: pd.Timestamp(self.asof) - pd.Timedelta(days=self.window)]
        return pd.Timestamp(dom.index[-1]), (
            float(dom.iloc[-1] - prev.iloc[-1]) if len(prev) else np.nan
        )

    def quality(self) -> dict[str, Quality]:
        """The :class:`Quality` of each measure on ``asof`` under :attr:`rules`.

        Keys: ``altseason_index`` (:func:`altseason_quality`, against the top
        ``top``), ``breadth_50d`` and ``breadth_200d`` (assets with a close and
        a full average) and ``dispersion`` (assets with a 30-day return), both
        by :func:`cross_section_quality`; ``dominance`` and
        ``dominance_change_pp`` (:func:`dominance_quality`, the change also on
        the window's first day); ``tier:small`` / ``tier:mid`` /
        ``tier:large`` (:func:`tier_quality`).
        """
        return self._memo("quality", self._judge)  # type: ignore[no-any-return]

    def _judge(self) -> dict[str, Quality]:
        r, asof = self.rules, pd.Timestamp(self.asof)
        out: dict[str, Quality] = {}
        alt = self.altseason()
        d = _last_date(alt["altseason_index"], asof)
        counted = top = None
        if d is not None:
            counted = float(alt.loc[d, "counted"])
            top = int(alt.loc[d, "top"]) if pd.notna(alt.loc[d, "top"]) else self.top
        why = (
            f"no market caps in the store to rank the top {self.top}"
            if not self.market_cap.notna().to_numpy().any()
            else f"no asset of the top {self.top} has a {self.window}-day return and a known "
            "market cap"
        )
        out["altseason_index"] = altseason_quality(
            counted, self.top, top or self.top, d, asof, why=why, rules=r
        )
        br = self.breadth()
        for w in (50, 200):
            d = _last_date(br[f"above_{w}d"], asof)
            n = br[f"n_{w}d"].loc[: d if d is not None else asof]
            out[f"breadth_{w}d"] = cross_section_quality(
                float(n.iloc[-1]) if len(n) else 0,
                d if d is not None else asof,
                what=f"breadth above the {w}-day average",
                noun=f"assets with {w} days of closes",
                rules=r,
            )
        d = _last_date(self.dispersion(30), asof)
        n = self.dispersion_count(30).loc[: d if d is not None else asof]
        out["dispersion"] = cross_section_quality(
            float(n.iloc[-1]) if len(n) else 0,
            d if d is not None else asof,
            what="cross-sectional dispersion",
            noun="assets with a 30-day return",
            rules=r,
        )
        elig = list(self.close.columns[eligible(self.close, sectors=self.sectors).any(axis=0)])
        dom = self.dominance().loc[:asof].dropna()
        d = pd.Timestamp(dom.index[-1]) if len(dom) else None
        dq = dominance_quality(self.market_cap, elig, d, asof, rules=r)
        out["dominance"] = cq = dq
        prev = dom.loc[: asof - pd.Timedelta(days=self.window)]
        if len(prev):
            was = dominance_quality(self.market_cap, elig, prev.index[-1], prev.index[-1], rules=r)
            if was.status != "ok":
                cq = dq.worst(
                    Quality(
                        was.status,
                        dq.coverage,
                        dq.freshness,
                        f"at the start of the window: {was.reason}",
                    )
                )
        out["dominance_change_pp"] = cq
        for t in ("small", "mid", "large"):
            out[f"tier:{t}"] = tier_quality(
                self.tiers, self.close, self.market_cap, t, asof, self.window, rules=r
            )
        return out

    def lead_tier(self) -> str | None:
        """The tier compared with BTC: small, else mid, else large caps.

        The first whose quality is not ``unavailable`` and that has a change
        relative to BTC over the window (``None`` when no tier qualifies).
        """
        rs = self.relative_strength()
        q = self.quality()
        for t in ("small", "mid", "large"):
            row = f"tier:{t}"
            if (
                q[row].status != "unavailable"
                and row in rs.index
                and pd.notna(rs.loc[row, "change_vs_BTC"])
            ):
                return t
        return None

    def regime(self) -> Regime:
        """The regime label on ``asof``, its reason and its quality.

        Computed only on measures that are not ``unavailable`` under
        :attr:`rules` (the others enter :func:`divergence_regime` as NaN);
        ``Regime.quality`` is :func:`regime_quality` of the measures read.
        The small-cap measure is the :meth:`lead_tier` index relative to BTC.
        """
        return self._memo("regime", self._regime)  # type: ignore[no-any-return]

    def _regime(self) -> Regime:
        asof = pd.Timestamp(self.asof)
        q = self.quality()
        tier = self.lead_tier()
        rs = self.relative_strength()
        br = self.breadth()
        values = {
            "altseason_index": _last_value(self.altseason()["altseason_index"], asof),
            "dominance_change_pp": self.dominance_change()[1] * 100.0,
            "breadth_50d": _last_value(br["above_50d"], asof),
            "breadth_200d": _last_value(br["above_200d"], asof),
            "smallcap_vs_btc": float(rs.loc[f"tier:{tier}", "change_vs_BTC"])
            if tier is not None
            else np.nan,
        }
        judged = {
            "altseason_index": q["altseason_index"],
            "dominance_change_pp": q["dominance_change_pp"],
            "breadth_50d": q["breadth_50d"],
            "breadth_200d": q["breadth_200d"],
            "smallcap_vs_btc": q[f"tier:{tier}"]
            if tier is not None
            else Quality("unavailable", None, None, "no tier index qualifies"),
        }
        for k, v in values.items():
            if not np.isfinite(v) and judged[k].status != "unavailable":
                judged[k] = Quality("unavailable", None, None, "no value")
            if judged[k].status == "unavailable":
                values[k] = np.nan
        reg = divergence_regime(
            altseason=values["altseason_index"],
            dominance_change_pp=values["dominance_change_pp"],
            breadth_50=values["breadth_50d"],
            breadth_200=values["breadth_200d"],
            smallcap_vs_btc=values["smallcap_vs_btc"],
            window=self.window,
        )
        names = {
            "altseason_index": "the altseason index",
            "dominance_change_pp": "the BTC dominance change",
            "breadth_50d": "breadth (50-day)",
            "breadth_200d": "breadth (200-day)",
            "smallcap_vs_btc": f"the {tier or 'tier'}-cap index relative to BTC",
        }
        return Regime(reg.label, reg.reason, reg.measures, regime_quality(reg.label, judged, names))

    def snapshot(self) -> pd.DataFrame:
        """One-row-per-measure summary on ``asof`` (value, unit, note).

        A measure judged ``unavailable`` by :meth:`quality` has no value and
        its note gives the reason; a ``caveat`` keeps the value and says why.
        """
        alt = self.altseason().iloc[-1]
        br = self.breadth().iloc[-1]
        disp = self.dispersion().iloc[-1]
        spread = self.sector_spread().iloc[-1]
        dom = self.dominance().iloc[-1]
        reg = self.regime()
        q = self.quality()
        rows = [
            (
                "altseason index",
                alt["altseason_index"],
                "share",
                f"{season_label(alt['altseason_index'])}; {alt['beating']:.0f} of "
                f"{alt['counted']:.0f} beat BTC over {self.window}d"
                if np.isfinite(alt["altseason_index"])
                else "not enough data",
                q["altseason_index"],
            ),
            (
                "breadth above 50d",
                br["above_50d"],
                "share",
                f"of {br['n_50d']:.0f} assets",
                q["breadth_50d"],
            ),
            (
                "breadth above 200d",
                br["above_200d"],
                "share",
                f"of {br['n_200d']:.0f} assets",
                q["breadth_200d"],
            ),
            (
                "dispersion 30d",
                disp,
                "return std",
                "cross-sectional, eligible assets",
                q["dispersion"],
            ),
            (
                "sector spread 30d",
                spread["spread_pp"],
                "pp",
                f"{spread['best_sector']} minus {spread['worst_sector']} (equal-weighted sector indices)"
                if isinstance(spread["best_sector"], str)
                else "fewer than two sectors",
                self._spread_quality(),
            ),
            (
                "BTC dominance",
                dom if q["dominance"].status != "unavailable" else np.nan,
                "share",
                self._dominance_note(),
                None,
            ),
            ("regime", np.nan, "", f"{reg.label}: {reg.reason}", reg.quality),
        ]
        out = []
        for name, value, unit, note, quality in rows:
            if quality is not None and quality.status != "ok":
                note = f"{note}; {quality.status}: {quality.reason}"
                if quality.status == "unavailable":
                    value = np.nan
            out.append((name, value, unit, note))
        return pd.DataFrame(out, columns=["measure", "value", "unit", "note"]).set_index("measure")

    def _spread_quality(self) -> Quality:
        r = self.rules
        now = eligible(self.close, sectors=self.sectors).iloc[-1]
        counts = self.sectors.reindex(now.index[now.to_numpy()]).value_counts()
        n = int((counts >= r.min_sector_members).sum())
        if n >= r.min_ranked_sectors:
            return Quality(
                "ok", {"observed": n, "expected": r.min_ranked_sectors, "unit": "sectors"}
            )
        return Quality(
            "unavailable",
            {"observed": n, "expected": r.min_ranked_sectors, "unit": "sectors"},
            None,
            f"a sector spread needs at least {r.min_ranked_sectors} sectors with "
            f"{r.min_sector_members}+ priced members; the store has {n} on "
            f"{pd.Timestamp(self.asof).date()}",
        )

    def _dominance_note(self) -> str:
        dom = self.dominance().loc[: self.asof].dropna()
        if dom.empty:
            return "BTC cap / non-stable cap; no BTC market cap"
        q = self.quality()["dominance"]
        base = f"BTC cap / non-stable cap on {dom.index[-1].date()}"
        return base if q.status == "ok" else f"{base}; {q.status}: {q.reason}"

    def summary(self) -> dict[str, Any]:
        """Every key table: performance, relative strength, snapshot, movers, regime."""
        return {
            "performance": self.performance(),
            "relative_strength": self.relative_strength(),
            "snapshot": self.snapshot(),
            "movers": self.movers(),
            "regime": self.regime(),
        }


def _last_date(series: pd.Series, asof: pd.Timestamp) -> pd.Timestamp | None:
    s = series.loc[:asof].dropna()
    return pd.Timestamp(s.index[-1]) if len(s) else None


def _last_value(series: pd.Series, asof: pd.Timestamp) -> float:
    s = series.loc[:asof].dropna()
    return float(s.iloc[-1]) if len(s) else np.nan
