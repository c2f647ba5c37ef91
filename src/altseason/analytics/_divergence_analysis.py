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
from altseason.analytics._returns import log_returns
from altseason.exceptions import DataUnavailableError, ValidationError
from altseason.labels import DEMO_LABEL
from altseason.universe import Market, TierThresholds, cap_tiers, eligible, load_market

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = ["DivergenceAnalysis"]


def _without_empty_periods(index: IndexResult) -> pd.Series:
    """The index level, NaN over every rebalance period that found no constituent.

    :func:`build_index` holds such a period flat (cash), right for a strategy but
    false for a market index: with market caps older than the staleness bound
    (CoinMarketCap snapshots ending months before the prices) a flat level
    would read as a 0 % market return. Unknown is stated as unknown."""
    level = index.level.copy()
    counts = index.constituents
    if counts.empty or (counts > 0).all():
        return level
    pos = level.index.get_indexer(counts.index)
    bounds = [*pos.tolist(), len(level)]
    for k, n in enumerate(counts.to_numpy()):
        if n == 0:
            level.iloc[bounds[k] : bounds[k + 1]] = np.nan
    return level


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
        recent = int(daily.shape[1])
        counts = daily.notna().sum(axis=1)
        priced = int(counts.iloc[-1]) if counts.index[-1] == asof else 0
        need = share * recent
        broad = counts[counts >= need]
        return {
            "asof": asof,
            "priced": priced,
            "recent": recent,
            "thin": recent > 0 and priced < need,
            "broad_asof": pd.Timestamp(broad.index[-1]) if len(broad) else None,
        }

    def regime(self) -> Regime:
        """The regime label on ``asof`` with its reason."""
        alt = self.altseason()["altseason_index"].iloc[-1]
        dom = self.dominance()
        dchg = (dom.iloc[-1] - dom.shift(self.window).iloc[-1]) * 100.0 if len(dom) else np.nan
        br = self.breadth()
        rs = self.relative_strength()
        small = next((f"tier:{t}" for t in ("small", "mid") if f"tier:{t}" in rs.index), None)
        small_vs = rs.loc[small, "change_vs_BTC"] if small and "change_vs_BTC" in rs else np.nan
        return divergence_regime(
            altseason=float(alt),
            dominance_change_pp=float(dchg),
            breadth_50=float(br["above_50d"].iloc[-1]),
            breadth_200=float(br["above_200d"].iloc[-1]),
            smallcap_vs_btc=float(small_vs),
            window=self.window,
        )

    def snapshot(self) -> pd.DataFrame:
        """One-row-per-measure summary on ``asof`` (value, unit, note)."""
        alt = self.altseason().iloc[-1]
        br = self.breadth().iloc[-1]
        disp = self.dispersion().iloc[-1]
        spread = self.sector_spread().iloc[-1]
        dom = self.dominance().iloc[-1]
        reg = self.regime()
        rows = [
            (
                "altseason index",
                alt["altseason_index"],
                "share",
                f"{season_label(alt['altseason_index'])}; {alt['beating']:.0f} of "
                f"{alt['counted']:.0f} beat BTC over {self.window}d"
                if np.isfinite(alt["altseason_index"])
                else "not enough data",
            ),
            ("breadth above 50d", br["above_50d"], "share", f"of {br['n_50d']:.0f} assets"),
            ("breadth above 200d", br["above_200d"], "share", f"of {br['n_200d']:.0f} assets"),
            ("dispersion 30d", disp, "return std", "cross-sectional, eligible assets"),
            (
                "sector spread 30d",
                spread["spread_pp"],
                "pp",
                f"{spread['best_sector']} minus {spread['worst_sector']} (equal-weighted sector indices)"
                if isinstance(spread["best_sector"], str)
                else "fewer than two sectors",
            ),
            ("BTC dominance", dom, "share", self._dominance_note()),
            ("regime", np.nan, "", f"{reg.label}: {reg.reason}"),
        ]
        return pd.DataFrame(rows, columns=["measure", "value", "unit", "note"]).set_index("measure")

    def _dominance_note(self) -> str:
        from altseason.analytics._quality import dominance_quality

        dom = self.dominance().loc[: self.asof].dropna()
        if dom.empty:
            return "BTC cap / non-stable cap; no BTC market cap"
        elig = list(self.close.columns[eligible(self.close, sectors=self.sectors).any(axis=0)])
        q = dominance_quality(self.market_cap, elig, dom.index[-1], self.asof)
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
