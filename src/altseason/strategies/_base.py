"""The strategy interface and the market data strategies read.

A strategy maps data known at the close of day ``t`` to target weights for
day ``t``; the backtest trades them at a later close (default ``t + 1``).
Rows of NaN mean "no rebalance today" (hold what you have).

Write your own strategy as a plain function ``fn(data: MarketData) ->
DataFrame`` or as a class with ``name`` and ``weights(data)``; wrap a function
with :func:`as_strategy` to name it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from altseason.exceptions import StrategyError

__all__ = [
    "FunctionStrategy",
    "MarketData",
    "Strategy",
    "as_strategy",
    "rebalance_dates",
    "validate_weights",
]


@dataclass
class MarketData:
    """Everything a built-in strategy may read, aligned on one daily index.

    Attributes
    ----------
    close
        Closes in USD, ``(n_dates, n_assets)``; NaN before listing / after delisting.
    market_cap
        Market caps in USD, same shape (optional).
    tiers
        Point-in-time cap tier labels (``majors``, ``large``, ``mid``, ``small``,
        ``micro``), same shape (optional; NaN = not in the universe).
    sectors
        Asset id -> sector id (optional).
    fear_greed
        Fear & Greed index (0-100), daily (optional).
    liquidity
        A daily liquidity series such as Fed net liquidity (optional). When it
        is not given and ``macro`` is, it is built point-in-time from
        ``macro`` (:func:`altseason.signals.point_in_time_liquidity`): each
        FRED input counts only from its publication date.
    macro
        Raw FRED observations by series id, indexed by *observation* date
        (optional). Read them with :meth:`macro_asof`, which applies the
        series' publication lag (:data:`altseason.signals.PUBLICATION_LAGS`).
    funding
        Daily perp funding rate per asset (decimal per day), ``(n_dates, n_assets)`` (optional).
    implied_vol
        ATM implied volatility of BTC options, decimal, daily (optional).
    option_smile
        Daily implied vol of the same options by moneyness (columns: strike /
        forward, e.g. 0.85, 1.15), from the stored chain (optional; see
        :func:`altseason.strategies.option_surface`).
    option_carry
        Daily annualised carry of the options' forward over spot,
        ``ln(F / S) / tau`` (optional).
    sources
        Provenance sources of the data (for labels).
    """

    close: pd.DataFrame
    market_cap: pd.DataFrame | None = None
    tiers: pd.DataFrame | None = None
    sectors: pd.Series | None = None
    fear_greed: pd.Series | None = None
    liquidity: pd.Series | None = None
    funding: pd.DataFrame | None = None
    implied_vol: pd.Series | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)
    macro: dict[str, pd.Series] | None = None
    option_smile: pd.DataFrame | None = None
    option_carry: pd.Series | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.close.index, pd.DatetimeIndex):
            raise StrategyError("MarketData.close needs a DatetimeIndex of UTC days")
        idx = self.close.index
        cols = self.close.columns
        for name in ("market_cap", "tiers", "funding"):
            frame = getattr(self, name)
            if frame is not None:
                setattr(self, name, frame.reindex(index=idx, columns=cols))
        if self.liquidity is None and self.macro:
            from altseason.signals._release import point_in_time_liquidity

            self.liquidity = point_in_time_liquidity(self.macro, idx)
        if self.option_smile is not None:
            self.option_smile = self.option_smile.reindex(idx)
        for name in ("fear_greed", "liquidity", "implied_vol", "option_carry"):
            s = getattr(self, name)
            if s is not None:
                setattr(self, name, s.reindex(idx))

    def macro_asof(self, series_id: str) -> pd.Series:
        """FRED series ``series_id`` on the daily index, as of its release dates.

        Raises
        ------
        DataUnavailableError
            When ``macro`` lacks the series.
        """
        from altseason.exceptions import DataUnavailableError
        from altseason.signals._release import asof_released

        if not self.macro or series_id not in self.macro:
            have = ", ".join(sorted(self.macro or {})) or "none"
            raise DataUnavailableError(
                f"macro series {series_id!r} is not in this MarketData (have: {have}); "
                f"fetch it with 'altseason fetch fred'"
            )
        return asof_released(self.macro[series_id], series_id, self.close.index)

    def truncated(self, end: int) -> MarketData:
        """The same data cut after row ``end`` (inclusive), for look-ahead tests."""

        def cut(x: pd.DataFrame | pd.Series | None) -> pd.DataFrame | pd.Series | None:
            return None if x is None else x.iloc[: end + 1]

        return MarketData(
            close=self.close.iloc[: end + 1],
            market_cap=cut(self.market_cap),  # type: ignore[arg-type]
            tiers=cut(self.tiers),  # type: ignore[arg-type]
            sectors=self.sectors,
            fear_greed=cut(self.fear_greed),  # type: ignore[arg-type]
            liquidity=cut(self.liquidity),  # type: ignore[arg-type]
            funding=cut(self.funding),  # type: ignore[arg-type]
            implied_vol=cut(self.implied_vol),  # type: ignore[arg-type]
            sources=self.sources,
            macro=self.macro,
            option_smile=cut(self.option_smile),  # type: ignore[arg-type]
            option_carry=cut(self.option_carry),  # type: ignore[arg-type]
        )


@runtime_checkable
class Strategy(Protocol):
    """Anything with a ``name`` and ``weights(data) -> DataFrame``."""

    name: str

    def weights(self, data: MarketData) -> pd.DataFrame:
        """Target weights ``(n_dates, n_assets)``; NaN rows mean no rebalance."""
        ...


@dataclass
class FunctionStrategy:
    """A strategy made from a function ``fn(data) -> weights``."""

    fn: Callable[[MarketData], pd.DataFrame]
    name: str = "custom"

    def weights(self, data: MarketData) -> pd.DataFrame:
        out = self.fn(data)
        if not isinstance(out, pd.DataFrame):
            raise StrategyError(
                f"strategy {self.name!r} returned {type(out).__name__}; return a DataFrame "
                "of target weights shaped like data.close"
            )
        return out.reindex(index=data.close.index, columns=data.close.columns)


def as_strategy(
    fn: Callable[[MarketData], pd.DataFrame], name: str | None = None
) -> FunctionStrategy:
    """Wrap a weight function as a named strategy."""
    return FunctionStrategy(fn, name or str(getattr(fn, "__name__", "custom")))


def rebalance_dates(index: pd.DatetimeIndex, every: int, start: int = 0) -> np.ndarray:
    """Boolean mask of rebalance rows: every ``every`` days from row ``start``."""
    if every < 1:
        raise StrategyError(f"rebalance interval must be >= 1 day, got {every}")
    mask = np.zeros(len(index), dtype=bool)
    mask[start::every] = True
    return mask


def validate_weights(weights: pd.DataFrame, *, leverage: float = 1.0) -> None:
    """Reject weights outside [-1, 1] per asset or gross exposure above ``leverage``.

    Raises
    ------
    StrategyError
        Naming the first offending date and asset.
    """
    w = weights.to_numpy(dtype=float)
    bad = np.abs(np.nan_to_num(w)) > 1.0 + 1e-12
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise StrategyError(
            f"weight {w[i, j]:.4f} for {weights.columns[j]} on {weights.index[i].date()} is outside "
            "[-1, 1]; scale the strategy's weights down"
        )
    gross = np.nansum(np.abs(w), axis=1)
    over = gross > leverage + 1e-9
    if over.any():
        i = int(np.argmax(over))
        raise StrategyError(
            f"gross exposure {gross[i]:.4f} on {weights.index[i].date()} exceeds the leverage "
            f"limit {leverage}; lower the weights or raise --leverage"
        )
