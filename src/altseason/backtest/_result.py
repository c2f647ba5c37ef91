"""The result of one backtest: series, positions, trades, costs and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason._typing import FloatArray
from altseason.backtest import _metrics as m

__all__ = ["BacktestResult", "PositionRecords", "performance_metrics"]

EXTRA_NAMES = (
    "turnover",
    "costs_paid",
    "fees",
    "slippage",
    "option_fees",
    "funding_paid",
    "funding_received",
    "premium_paid",
    "premium_received",
    "option_payoff",
    "cash_yield",
    "avg_gross_exposure",
    "avg_net_exposure",
    "exposure_time",
    "warmup_days",
)
"""Per-backtest numbers computed from the engine's daily outputs (see :func:`daily_extras`)."""

METRIC_NAMES = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration",
    "beta_btc",
    "hit_rate",
    *EXTRA_NAMES,
)


def performance_metrics(
    returns: pd.Series | pd.DataFrame | np.ndarray,
    *,
    benchmark_returns: pd.Series | np.ndarray | None = None,
    periods_per_year: float = m.PERIODS_PER_YEAR,
) -> pd.DataFrame:
    """The return-based metrics of one or many strategies, one row per strategy.

    Parameters
    ----------
    returns
        ``(n_periods,)`` or ``(n_periods, n_strategies)`` simple returns.
    benchmark_returns
        ``(n_periods,)`` returns for ``beta_btc`` (NaN column without it).
    periods_per_year
        Annualisation (365 for daily crypto).

    Returns
    -------
    DataFrame
        Columns ``total_return, cagr, volatility, sharpe, sortino, calmar,
        max_drawdown, max_drawdown_duration, beta_btc, hit_rate``; index: the
        DataFrame's columns, or ``0..n_strategies-1``.
    """
    arr = np.asarray(returns, dtype=float)
    a = arr[:, None] if arr.ndim == 1 else arr
    index = returns.columns if isinstance(returns, pd.DataFrame) else pd.RangeIndex(a.shape[1])
    if benchmark_returns is not None:
        if isinstance(benchmark_returns, pd.Series) and isinstance(
            returns, pd.Series | pd.DataFrame
        ):
            bench = benchmark_returns.reindex(returns.index).to_numpy(dtype=float)
        else:
            bench = np.asarray(benchmark_returns, dtype=float).reshape(-1)
        beta_v = m.beta(a, bench)
    else:
        beta_v = np.full(a.shape[1], np.nan)
    out = pd.DataFrame(
        {
            "total_return": np.nanprod(a + 1.0, axis=0) - 1.0,
            "cagr": m.cagr(a, periods_per_year),
            "volatility": m.annual_volatility(a, periods_per_year),
            "sharpe": m.sharpe_ratio(a, periods_per_year=periods_per_year),
            "sortino": m.sortino_ratio(a, periods_per_year=periods_per_year),
            "calmar": m.calmar_ratio(a, periods_per_year),
            "max_drawdown": m.max_drawdown(a),
            "max_drawdown_duration": m.max_drawdown_duration(a),
            "beta_btc": beta_v,
            "hit_rate": m.hit_rate(a),
        },
        index=index,
    )
    return out


def first_trade_rows(daily: FloatArray) -> np.ndarray:
    """Row of each configuration's first trade, ``daily`` of shape ``(k, n, N_DAILY)``.

    A trade is any traded value or option premium; a configuration that never
    trades starts at row 0 (its metrics describe a flat book).
    """
    from altseason.backtest import _engine as eng

    active = (daily[:, :, eng.D_TRADED] > 0) | (daily[:, :, eng.D_OPTION_CASH] != 0)
    any_ = active.any(axis=1)
    return np.where(any_, np.argmax(active, axis=1), 0).astype(np.int64)


def daily_extras(daily: FloatArray, init_cash: float, first: np.ndarray) -> FloatArray:
    """``(k, len(EXTRA_NAMES))`` cost, turnover and exposure numbers of ``k`` backtests.

    Conventions (one definition for :func:`~altseason.backtest.run_backtest`
    and :func:`~altseason.backtest.run_sweep`):

    * every amount is a fraction of the initial capital, summed over the run;
    * ``costs_paid = fees + slippage + option_fees`` (never negative): trading
      fees, slippage against the close, and option trading + delivery fees;
    * funding and option cash flows are reported apart, each as a positive
      amount: ``funding_paid``/``funding_received``,
      ``premium_paid``/``premium_received``; ``option_payoff`` is the
      settlement cash (positive when received);
    * ``turnover`` is **one-way**: half the traded value (buys + sells) over
      equity per day, averaged from the first trade and annualised (x 365);
    * exposures are averaged from the first trade; ``warmup_days`` counts the
      days before it (excluded from every metric).
    """
    from altseason.backtest import _engine as eng

    n = daily.shape[1]
    value = daily[:, :, eng.D_VALUE]
    active = np.arange(n)[None, :] >= first[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        turn = np.where(active, 0.5 * daily[:, :, eng.D_TRADED] / value, np.nan)
        gross = np.where(
            active, (daily[:, :, eng.D_LONG] + daily[:, :, eng.D_SHORT]) / value, np.nan
        )
        net = np.where(active, (daily[:, :, eng.D_LONG] - daily[:, :, eng.D_SHORT]) / value, np.nan)
        turnover = np.nanmean(turn, axis=1) * 365.0
        avg_gross = np.nanmean(gross, axis=1)
        avg_net = np.nanmean(net, axis=1)
        exp_time = np.nanmean(np.where(active, gross > 1e-12, np.nan), axis=1)

    def total(col: int) -> FloatArray:
        return daily[:, :, col].sum(axis=1) / init_cash

    fees = total(eng.D_FEES)
    slip = total(eng.D_SLIPPAGE)
    optfee = total(eng.D_OPTION_FEES)
    received = total(eng.D_FUNDING_RECEIVED)
    paid = total(eng.D_FUNDING) + received
    return np.column_stack(
        [
            turnover,
            fees + slip + optfee,
            fees,
            slip,
            optfee,
            paid,
            received,
            total(eng.D_PREMIUM_PAID),
            total(eng.D_PREMIUM_RECEIVED),
            total(eng.D_OPTION_PAYOFF),
            total(eng.D_YIELD),
            avg_gross,
            avg_net,
            exp_time,
            first.astype(float),
        ]
    )


def active_metrics(
    returns: FloatArray,
    first: np.ndarray,
    *,
    benchmark_returns: FloatArray | None = None,
    periods_per_year: float = m.PERIODS_PER_YEAR,
    index: pd.Index | None = None,
) -> pd.DataFrame:
    """:func:`performance_metrics` of each column from its first trade on.

    ``returns`` is ``(n, k)``; rows before ``first[c]`` (the warm-up) are
    dropped from column ``c``: CAGR annualises over the active days only.
    """
    a = np.array(returns, dtype=float, copy=True)
    n = a.shape[0]
    warm = np.arange(n)[:, None] < first[None, :]
    a[warm] = np.nan
    out = performance_metrics(
        a, benchmark_returns=benchmark_returns, periods_per_year=periods_per_year
    )
    n_active = np.maximum(n - first, 1)
    ending = np.nanprod(a + 1.0, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        growth = ending ** (periods_per_year / n_active) - 1.0
        mdd = out["max_drawdown"].to_numpy()
        calmar = np.where(mdd < 0, growth / np.abs(mdd), np.nan)
    out["cagr"] = growth
    out["calmar"] = np.where(np.isinf(calmar), np.nan, calmar)
    if index is not None:
        out.index = index
    return out


@dataclass(frozen=True)
class PositionRecords:
    """Raw per-cell records of a simulation, ``(n_dates, n_assets)`` arrays.

    ``units`` held at each close, signed ``traded`` value at the close, ``fees``
    and ``slippage`` paid, ``close`` forward-filled, ``last_valid`` row per asset.
    """

    index: pd.DatetimeIndex
    columns: pd.Index
    units: np.ndarray
    traded: np.ndarray
    fees: np.ndarray
    slippage: np.ndarray
    close: np.ndarray
    last_valid: np.ndarray


@dataclass
class BacktestResult:
    """Everything one backtest produced.

    Attributes
    ----------
    equity : Series
        Portfolio value at each close (initial capital = ``init_cash``).
    returns : Series
        Simple daily returns of ``equity`` (the first against ``init_cash``).
    turnover : Series
        Daily one-way turnover: half the traded value (buys + sells, at the
        close) over equity.
    costs : DataFrame
        Daily amounts in currency: ``fees``, ``slippage``, ``option_fees``
        (the costs), ``funding_paid``, ``funding_received``, ``premium_paid``,
        ``premium_received``, ``option_payoff`` (settlements, + received) and
        ``cash_yield`` earned; ``funding`` (net paid) and ``option_premium``
        (net premiums paid minus settlements) for reference.
    exposures : DataFrame
        Daily ``gross, net, long, short`` exposure as fractions of equity
        (short as a positive number), plus ``options`` (option marks / equity).
    rejected : DataFrame
        Target weights zeroed because the asset was not tradable on the decision date:
        ``date, asset, weight``.
    metrics : Series
        See :meth:`summary`.
    records : PositionRecords
        Raw arrays behind :attr:`weights`, :attr:`units` and :attr:`trades`
        (built on first access).
    label : str or None
        A data label to show with the numbers (e.g. the simulated demo market).
    """

    equity: pd.Series
    returns: pd.Series
    turnover: pd.Series
    costs: pd.DataFrame
    exposures: pd.DataFrame
    rejected: pd.DataFrame
    metrics: pd.Series
    records: PositionRecords
    init_cash: float = 1.0
    label: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    first_trade: pd.Timestamp | None = None

    @cached_property
    def units(self) -> pd.DataFrame:
        """End-of-day units held (negative = short), ``(n_dates, n_assets)``."""
        r = self.records
        return pd.DataFrame(r.units, index=r.index, columns=r.columns, copy=False)

    @cached_property
    def weights(self) -> pd.DataFrame:
        """End-of-day position weights, ``units x close / equity``, ``(n_dates, n_assets)``."""
        r = self.records
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(r.units != 0.0, r.units * r.close, 0.0) / self.equity.to_numpy()[:, None]
        return pd.DataFrame(w, index=r.index, columns=r.columns, copy=False)

    @cached_property
    def trades(self) -> pd.DataFrame:
        """One row per fill: ``date, asset, units, price, value, fees, slippage, reason``.

        ``price`` is the close (fills are at ``close x (1 +/- slippage rate)``);
        ``reason`` is ``rebalance`` or ``delisting`` (sold at the last price).
        """
        r = self.records
        ii, jj = np.nonzero(r.traded)
        price = r.close[ii, jj]
        return pd.DataFrame(
            {
                "date": r.index[ii],
                "asset": r.columns[jj],
                "units": r.traded[ii, jj] / price,
                "price": price,
                "value": r.traded[ii, jj],
                "fees": r.fees[ii, jj],
                "slippage": r.slippage[ii, jj],
                "reason": np.where(ii > r.last_valid[jj], "delisting", "rebalance"),
            }
        )

    def summary(self) -> pd.Series:
        """Headline metrics (365 periods a year).

        ``total_return, cagr, volatility, sharpe, sortino, calmar`` and
        ``max_drawdown`` are fractions or ratios; ``max_drawdown_duration`` is in
        days; ``beta_btc`` is against BTC's close-to-close returns (NaN without a
        BTC column); ``hit_rate`` is the share of up days among days that moved;
        ``turnover`` is one-way and annualised (half of buys + sells over
        equity, per year); ``costs_paid`` is fees + slippage + option fees as a
        fraction of initial capital (never negative); funding and option
        premiums are reported apart (``funding_paid``, ``funding_received``,
        ``premium_paid``, ``premium_received``, ``option_payoff``, all >= 0
        except the payoff, which a short option pays); ``avg_*_exposure`` are
        daily averages; ``exposure_time`` is the share of days with a
        position. Every metric counts from the first trade; ``warmup_days``
        says how many days before it were left out.
        """
        out = self.metrics.copy()
        out.name = self.label or "backtest"
        return out

    def drawdown(self) -> pd.Series:
        """Equity over its running peak, minus 1 (<= 0)."""
        peak = np.maximum.accumulate(np.r_[self.init_cash, self.equity.to_numpy()])[1:]
        return pd.Series(
            self.equity.to_numpy() / peak - 1.0, index=self.equity.index, name="drawdown"
        )

    @property
    def active_returns(self) -> pd.Series:
        """Daily returns from the first trade on (the period every metric uses)."""
        if self.first_trade is None:
            return self.returns
        return self.returns.loc[self.first_trade :]

    def monthly_returns(self) -> pd.DataFrame:
        """Compounded returns per calendar month from the first trade: years x months
        (columns 1..12) plus ``year`` (the compounded year)."""
        r = self.active_returns.fillna(0.0)
        if r.empty:
            return pd.DataFrame(columns=[*range(1, 13), "year"], dtype=float)
        growth = (1.0 + r).groupby([r.index.year, r.index.month]).prod() - 1.0
        table = growth.unstack(level=1).reindex(columns=range(1, 13))
        table["year"] = (1.0 + r).groupby(r.index.year).prod() - 1.0
        table.index.name = "year"
        table.columns.name = "month"
        return table

    def rolling_sharpe(self, window: int = 90) -> pd.Series:
        """Annualised Sharpe ratio over trailing ``window`` days (365 a year), from the
        first trade; NaN until the window is full."""
        r = self.active_returns
        mean = r.rolling(window, min_periods=window).mean()
        std = r.rolling(window, min_periods=window).std(ddof=1)
        out = mean / std.where(std > 0) * np.sqrt(m.PERIODS_PER_YEAR)
        return out.rename(f"rolling_sharpe_{window}d")

    def drawdown_table(self, top: int = 5) -> pd.DataFrame:
        """The ``top`` deepest drawdowns: ``start`` (peak), ``trough``, ``end``
        (recovery, NaT if not recovered), ``depth`` (<= 0), ``days`` (peak to
        recovery or to the last date), ``recovery_days``."""
        eq = self.equity.loc[self.first_trade :] if self.first_trade is not None else self.equity
        cols = ["start", "trough", "end", "depth", "days", "recovery_days"]
        if eq.empty:
            return pd.DataFrame(columns=cols)
        v = eq.to_numpy()
        peak = np.maximum.accumulate(v)
        dd = v / peak - 1.0
        rows = []
        i, n = 0, len(v)
        while i < n:
            if dd[i] < 0:
                s = i - 1 if i > 0 else 0
                j = i
                while j < n and dd[j] < 0:
                    j += 1
                seg = dd[i:j]
                t = i + int(np.argmin(seg))
                end = eq.index[j] if j < n else pd.NaT
                last = j if j < n else n - 1
                rows.append(
                    {
                        "start": eq.index[s],
                        "trough": eq.index[t],
                        "end": end,
                        "depth": float(seg.min()),
                        "days": int((eq.index[last] - eq.index[s]).days),
                        "recovery_days": int((end - eq.index[t]).days) if j < n else np.nan,
                    }
                )
                i = j
            else:
                i += 1
        out = pd.DataFrame(rows, columns=cols)
        return out.sort_values("depth", kind="stable").head(top).reset_index(drop=True)

    def attribution(self) -> pd.Series:
        """Where the P&L came from, as fractions of the initial capital.

        ``spot`` (price moves of the positions held), ``funding`` (received
        minus paid), ``cash_yield``, ``premium`` (received minus paid),
        ``payoff`` (settlements), ``option_marks`` (value of open options at
        the end), ``costs`` (minus fees, slippage and option fees); they add up
        to ``total`` = final equity / initial capital - 1.
        """
        r = self.records
        units_prev = np.vstack([np.zeros((1, r.units.shape[1])), r.units[:-1]])
        dp = np.diff(np.vstack([r.close[:1], r.close]), axis=0)
        spot = float(np.nansum(np.where(units_prev != 0.0, units_prev * dp, 0.0)))
        c = self.costs
        opt_end = float(self.exposures["options"].iloc[-1] * self.equity.iloc[-1])
        parts = {
            "spot": spot,
            "funding": float(c["funding_received"].sum() - c["funding_paid"].sum()),
            "cash_yield": float(c["cash_yield"].sum()),
            "premium": float(c["premium_received"].sum() - c["premium_paid"].sum()),
            "payoff": float(c["option_payoff"].sum()),
            "option_marks": opt_end if np.isfinite(opt_end) else 0.0,
            "costs": -float(c[["fees", "slippage", "option_fees"]].to_numpy().sum()),
        }
        out = pd.Series(parts, dtype=float) / self.init_cash
        out["total"] = float(self.equity.iloc[-1] / self.init_cash - 1.0)
        return out.rename(self.label or "attribution")

    def tearsheet_figures(self, others: dict[str, BacktestResult] | None = None) -> dict[str, Any]:
        """Matplotlib figures for a tearsheet (never shown): ``equity`` (growth of
        1 from the first trade, beside ``others``), ``drawdown``,
        ``rolling_sharpe`` (90 days) and ``monthly`` (heatmap of monthly returns)."""
        from matplotlib.figure import Figure

        runs = dict(others or {})
        figs: dict[str, Any] = {}
        fig = Figure(figsize=(9, 4))
        ax = fig.add_subplot(1, 1, 1)
        if not any(res is self for res in runs.values()):
            runs = {"strategy": self, **runs}
        for name, res in runs.items():
            r = res.active_returns.fillna(0.0)
            ax.plot(r.index, (1 + r).cumprod().to_numpy(), lw=1.2, label=name)
        ax.set_yscale("log")
        ax.set_title(self._title("Growth of 1 from the first trade"))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        figs["equity"] = fig
        figs["drawdown"] = self.plot_drawdown()
        fig = Figure(figsize=(9, 3.5))
        ax = fig.add_subplot(1, 1, 1)
        rs = self.rolling_sharpe(90)
        ax.plot(rs.index, rs.to_numpy(), lw=1.0)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_title(self._title("Rolling 90-day Sharpe ratio"))
        ax.grid(alpha=0.3)
        figs["rolling_sharpe"] = fig
        table = self.monthly_returns().drop(columns="year", errors="ignore")
        fig = Figure(figsize=(9, 0.5 + 0.45 * max(len(table), 1)))
        ax = fig.add_subplot(1, 1, 1)
        vals = table.to_numpy(dtype=float)
        lim = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
        ax.imshow(vals, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(12), [f"{m:02d}" for m in range(1, 13)])
        ax.set_yticks(range(len(table)), [str(y) for y in table.index])
        for (i, j), v in np.ndenumerate(vals):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7)
        ax.set_title(self._title("Monthly returns"))
        fig.tight_layout()
        figs["monthly"] = fig
        return figs

    def _title(self, what: str) -> str:
        return f"{what} — {self.label}" if self.label else what

    def plot_equity(self, backend: Literal["matplotlib", "plotly"] = "matplotlib") -> Any:
        """Equity curve as a matplotlib ``Figure`` or a plotly ``Figure`` (never shown)."""
        return _line_figure(self.equity, self._title("Equity"), "equity", backend)

    def plot_drawdown(self, backend: Literal["matplotlib", "plotly"] = "matplotlib") -> Any:
        """Drawdown curve (fraction below the running peak) as a figure (never shown)."""
        return _line_figure(self.drawdown(), self._title("Drawdown"), "drawdown", backend)


def _line_figure(series: pd.Series, title: str, ylabel: str, backend: str) -> Any:
    if backend == "plotly":
        import plotly.graph_objects as go

        fig = go.Figure(go.Scatter(x=series.index, y=series.to_numpy(), mode="lines", name=ylabel))
        fig.update_layout(title=title, xaxis_title="date (UTC)", yaxis_title=ylabel)
        return fig
    if backend != "matplotlib":
        raise ValueError(f"backend must be 'matplotlib' or 'plotly', not {backend!r}")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(series.index, series.to_numpy(), lw=1.2)
    ax.set_title(title)
    ax.set_xlabel("date (UTC)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
