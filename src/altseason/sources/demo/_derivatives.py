"""Simulated derivatives: perp funding and Deribit-style option chains.

Funding (8-hour interval) rises with the trailing 30-day return (euphoria)
and turns negative after sharp falls (capitulation). Option chains follow
Deribit conventions: expiries at 08:00 UTC (dailies, Friday weeklies,
last-Friday monthlies, quarterlies), instrument names such as
``BTC-27DEC24-100000-C``, inverse premiums (``mark_price`` in the underlying
= Black-76 USD price / forward), ``underlying_price`` = the expiry's forward.
The smile is built around an ATM term structure anchored on realised
volatility, with a put skew in fear and a call skew in euphoria; open
interest concentrates at round strikes.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from scipy.special import ndtr

from altseason._typing import FloatArray

__all__ = ["black76", "deribit_expiries", "simulate_funding", "simulate_options"]

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_EXPIRY_HOUR = pd.Timedelta(hours=8)


def black76(
    forward: FloatArray,
    strike: FloatArray,
    t_years: FloatArray,
    vol: FloatArray,
    is_call: np.ndarray,
) -> FloatArray:
    """Undiscounted Black-76 option value (USD per unit of underlying).

    All inputs broadcast; ``t_years`` > 0 and ``vol`` > 0.
    """
    sd = vol * np.sqrt(t_years)
    d1 = (np.log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    call = forward * ndtr(d1) - strike * ndtr(d2)
    put = strike * ndtr(-d2) - forward * ndtr(-d1)
    return np.asarray(np.where(is_call, call, put), dtype=float)


@lru_cache(maxsize=4096)
def _last_friday(year: int, month: int) -> pd.Timestamp:
    last = pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)
    return last - pd.Timedelta(days=(last.weekday() - 4) % 7)


def deribit_expiries(
    snapshot: pd.Timestamp, *, dailies: int, weeklies: int, monthlies: int, quarterlies: int
) -> list[tuple[pd.Timestamp, str]]:
    """Live Deribit-style expiries (08:00 UTC) after ``snapshot`` with their kind.

    Kinds: ``"D"`` daily, ``"W"`` weekly (Fridays), ``"M"`` monthly (last
    Friday), ``"Q"`` quarterly (last Friday of Mar/Jun/Sep/Dec). An expiry
    that is both keeps the longest kind.
    """
    day0 = snapshot.normalize()
    out: dict[pd.Timestamp, str] = {}
    rank = {"D": 0, "W": 1, "M": 2, "Q": 3}

    def add(ts: pd.Timestamp, kind: str) -> None:
        if ts <= snapshot:
            return
        if ts not in out or rank[kind] > rank[out[ts]]:
            out[ts] = kind

    for k in range(dailies):
        add(day0 + pd.Timedelta(days=k + 1) + _EXPIRY_HOUR, "D")
    first_fri = day0 + pd.Timedelta(days=(4 - day0.weekday()) % 7) + _EXPIRY_HOUR
    fridays = [first_fri + pd.Timedelta(days=7 * k) for k in range(weeklies + 1)]
    for ts in [f for f in fridays if f > snapshot][:weeklies]:
        add(ts, "W")
    months: list[pd.Timestamp] = []
    y, m = day0.year, day0.month
    while len(months) < monthlies + 13:
        months.append(_last_friday(y, m) + _EXPIRY_HOUR)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    live = [ts for ts in months if ts > snapshot]
    for ts in live[:monthlies]:
        add(ts, "M")
    quarters = [ts for ts in live if ts.month in (3, 6, 9, 12)]
    for ts in quarters[:quarterlies]:
        add(ts, "Q")
    return sorted(out.items())


def _nice_step(width: float, target: int) -> float:
    raw = width / max(target, 1)
    exp = np.floor(np.log10(raw))
    for mant in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = mant * 10**exp
        if step >= raw:
            return float(step)
    return float(10 ** (exp + 1))


def _instrument(und: str, expiry: pd.Timestamp, strike: float, kind: str) -> str:
    return (
        f"{und}-{expiry.day}{_MONTHS[expiry.month - 1]}{expiry.year % 100:02d}-{int(strike)}-{kind}"
    )


def _ramp(day: pd.Timestamp, points: tuple[tuple[str, float], ...]) -> float:
    xs = np.array([pd.Timestamp(d).value for d, _ in points], dtype=float)
    ys = np.array([v for _, v in points])
    return float(np.interp(float(day.value), xs, ys))


_TOTAL_OI = {
    "BTC": (("2019-01-01", 20_000.0), ("2021-06-01", 250_000.0), ("2025-06-01", 450_000.0)),
    "ETH": (("2019-01-01", 150_000.0), ("2021-06-01", 2_000_000.0), ("2025-06-01", 3_000_000.0)),
}


def simulate_options(
    close: pd.DataFrame,
    funding_basis: pd.DataFrame,
    rng: np.random.Generator,
    *,
    daily_days: int = 90,
) -> pd.DataFrame:
    """Option chain snapshots for BTC and ETH.

    Parameters
    ----------
    close
        Daily closes (USD) with columns BTC and ETH, full daily index.
    funding_basis
        Annualised forward basis (decimal) per underlying, same index.
    rng
        Random generator.
    daily_days
        Days at the end of the range with a daily snapshot; before them one
        snapshot a week (Mondays).

    Returns
    -------
    DataFrame
        Rows in the ``options`` table shape, ``venue = "deribit"``, snapshots
        at 00:00 UTC (the daily close), sorted by snapshot, underlying,
        expiry, kind and strike.
    """
    dates = close.index
    cut = dates[-1] - pd.Timedelta(days=daily_days - 1)
    weekly = dates[(dates < cut) & (dates.day_of_week == 0)]
    snaps = weekly.append(dates[dates >= cut])
    logp = np.log(close)
    rv_short = (logp.diff().rolling(14, min_periods=5).std() * np.sqrt(365)).fillna(0.6)
    rv_long = (logp.diff().rolling(180, min_periods=20).std() * np.sqrt(365)).fillna(0.6)
    ret30 = (logp - logp.shift(30)).fillna(0.0)
    pos_of = {d: i for i, d in enumerate(dates)}
    year = pd.Timedelta(days=365)
    kind_w = {"D": 0.25, "W": 0.7, "M": 1.8, "Q": 3.0}

    # Pass 1 (Python, per expiry): strike grids and per-expiry parameters.
    grids: list[np.ndarray] = []
    meta: list[tuple[int, int, int, float, float, float, float, float, float, int, float]] = []
    expiry_list: list[pd.Timestamp] = []
    snap_list: list[pd.Timestamp] = []
    und_list: list[str] = []
    for u_i, und in enumerate(("BTC", "ETH")):
        if und not in close.columns:
            continue
        spot_a = close[und].to_numpy()
        r30_a, short_a = ret30[und].to_numpy(), rv_short[und].to_numpy()
        long_a, basis_a = rv_long[und].to_numpy(), funding_basis[und].to_numpy()
        pcr_noise = 0.0
        for snap in snaps:
            i_snap = pos_of[snap]
            spot = float(spot_a[i_snap])
            if not math.isfinite(spot):
                continue
            daily_mode = snap >= cut
            exps = deribit_expiries(
                snap,
                dailies=1 if daily_mode else 0,
                weeklies=3 if daily_mode else 2,
                monthlies=3 if daily_mode else 2,
                quarterlies=3,
            )
            target = 20 if daily_mode else 12
            r30 = float(r30_a[i_snap])
            fear = min(max(-r30 / 0.3, 0.0), 1.0)
            greed = min(max(r30 / 0.3, 0.0), 1.0)
            short = 1.1 * float(short_a[i_snap])
            long = 1.05 * float(long_a[i_snap])
            skew = -0.03 - 0.07 * fear + 0.06 * greed
            # Put/call open-interest ratio: ~0.6 in calm markets, up to ~1.2 after a
            # sell-off (hedging demand), down to ~0.45 in euphoria, plus persistent
            # noise (AR(1) over snapshots, stationary sd 0.15 in log).
            pcr_noise = 0.85 * pcr_noise + 0.15 * math.sqrt(1 - 0.85**2) * float(rng.normal())
            pcr = 0.6 * math.exp(0.7 * fear - 0.3 * greed + pcr_noise)
            basis = float(basis_a[i_snap])
            total_oi = _ramp(snap, _TOTAL_OI[und]) * (1.0 + 0.3 * math.tanh(r30 / 0.3))
            big = int(10 ** math.floor(math.log10(spot)))
            ts = [(expiry - snap) / year for expiry, _ in exps]
            ws = [kind_w[k] * math.exp(-t) for (_, k), t in zip(exps, ts, strict=True)]
            wsum = sum(ws)
            for (expiry, _k), t, w_exp in zip(exps, ts, ws, strict=True):
                atm = max(0.2, long + (short - long) * math.exp(-t / 0.25))
                fwd = round(spot * math.exp(basis * t), 2)
                sd = atm * math.sqrt(t)
                half = max(2.5 * sd, 0.08)
                lo, hi = fwd * math.exp(-half), fwd * math.exp(min(half, 1.2))
                step = _nice_step(hi - lo, target)
                strikes = np.arange(math.ceil(lo / step) * step, hi + 0.5 * step, step)
                strikes = strikes[strikes > 0]
                if len(strikes) == 0:
                    continue
                grids.append(strikes)
                meta.append(
                    (
                        len(meta),
                        u_i,
                        big,
                        t,
                        fwd,
                        atm,
                        skew,
                        fear,
                        total_oi * w_exp / wsum,
                        len(strikes),
                        pcr / (1.0 + pcr),
                    )
                )
                expiry_list.append(expiry)
                snap_list.append(snap)
                und_list.append(und)
    columns = [
        "snapshot_ts",
        "venue",
        "instrument",
        "underlying",
        "expiry",
        "strike",
        "kind",
        "open_interest",
        "mark_iv",
        "underlying_price",
        "mark_price",
        "volume",
    ]
    if not grids:
        return pd.DataFrame(columns=columns)

    # Pass 2 (vectorised over every strike of every chain).
    m = np.array(meta, dtype=float)
    counts = m[:, 9].astype(np.int64)
    g = np.repeat(np.arange(len(meta)), counts)
    strike = np.concatenate(grids)
    big = m[g, 2].astype(np.int64)
    t, fwd, atm, skew, fear, oi_exp, put_share = (m[g, c] for c in (3, 4, 5, 6, 7, 8, 10))
    sd = atm * np.sqrt(t)
    x = np.log(strike / fwd)
    mny = np.clip(x / sd, -4.0, 4.0)
    iv = atm * (1.0 + skew * mny + 0.03 * mny * mny)
    k_int = np.rint(strike).astype(np.int64)
    round_w = np.where(
        k_int % big == 0, 2.5, np.where(k_int % np.maximum(big // 2, 1) == 0, 1.6, 1.0)
    )
    bell = np.exp(-0.5 * (x / (1.2 * sd + 0.05)) ** 2) * round_w
    n = len(strike)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in columns if c != "venue"}
    snap_arr = np.array([s.to_datetime64() for s in snap_list])[g]
    exp_arr = np.array([e.to_datetime64() for e in expiry_list])[g]
    und_arr = np.array(und_list)[g]
    prefix = np.array(
        [
            _instrument(u, e, 0, "C").rsplit("-", 2)[0]
            for u, e in zip(und_list, expiry_list, strict=True)
        ]
    )[g]
    for kind_cp in ("C", "P"):
        is_call = kind_cp == "C"
        side = (
            np.where(strike >= fwd, 1.0, 0.35)
            if is_call
            else np.where(strike <= fwd, 0.6 + 0.5 * fear, 0.3)
        )
        wk = bell * side * np.exp(rng.normal(0.0, 0.35, n))
        chain_sum = np.bincount(g, weights=wk)[g]
        share = put_share if not is_call else 1.0 - put_share
        oi = np.round(oi_exp * share * wk / chain_sum * 10.0) / 10.0
        usd = black76(fwd, strike, t, iv, np.full(n, is_call))
        parts["snapshot_ts"].append(snap_arr)
        parts["instrument"].append(
            np.array(
                [f"{p}-{k}-{kind_cp}" for p, k in zip(prefix.tolist(), k_int.tolist(), strict=True)]
            )
        )
        parts["underlying"].append(und_arr)
        parts["expiry"].append(exp_arr)
        parts["strike"].append(strike)
        parts["kind"].append(np.full(n, kind_cp))
        parts["open_interest"].append(oi)
        parts["mark_iv"].append(np.round(iv, 4))
        parts["underlying_price"].append(fwd)
        parts["mark_price"].append(np.maximum(np.round(usd / fwd, 4), 0.0001))
        parts["volume"].append(np.round(oi * rng.uniform(0.02, 0.15, n) * 10.0) / 10.0)
    frame = pd.DataFrame({c: np.concatenate(v) for c, v in parts.items()})
    frame.insert(1, "venue", "deribit")
    order = np.lexsort(
        (
            frame["strike"].to_numpy(),
            frame["kind"].to_numpy(),
            frame["expiry"].to_numpy(),
            frame["underlying"].to_numpy(),
            frame["snapshot_ts"].to_numpy(),
        )
    )
    return frame.iloc[order].reset_index(drop=True)


def simulate_funding(
    close: pd.DataFrame, market_cap: pd.DataFrame, assets: list[str], rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """8-hourly perp funding and open interest for ``assets``.

    Returns
    -------
    funding : DataFrame
        Rows in the ``funding`` table shape (venue ``"binance"``,
        instrument ``<ASSET>USDT``, rate per 8 hours, open_interest_usd).
    basis : DataFrame
        Daily annualised basis implied by funding (decimal), one column per
        asset, used for option forwards.
    """
    dates = close.index
    frames: list[pd.DataFrame] = []
    basis = pd.DataFrame(0.0, index=dates, columns=assets)
    hours = np.array([0, 8, 16])
    for a in assets:
        px = close[a]
        ok = px.notna().to_numpy()
        if ok.sum() < 40:
            continue
        logp = np.log(px)
        first = logp[logp.notna()].iloc[0]
        r30 = (logp.shift(1) - logp.shift(31).fillna(first)).to_numpy()
        major = a in ("BTC", "ETH")
        k = 0.00045 if major else 0.0008
        n = len(dates)
        eps = rng.normal(0.0, 0.00003 if major else 0.00006, n * 3)
        x = lfilter([1.0], [1.0, -0.92], eps).reshape(n, 3)
        level = 0.0001 + k * np.tanh(np.nan_to_num(r30) / 0.3)
        rate = np.clip(level[:, None] + x, -0.003, 0.003)
        rate = np.round(rate, 8)
        years = (dates - pd.Timestamp("2019-01-01")).days.to_numpy() / 365.0
        frac = np.clip(0.008 + 0.005 * years, 0.008, 0.045) * (1.0 if major else 1.5)
        oi = (
            market_cap[a].to_numpy()[:, None]
            * frac[:, None]
            * (1.0 + 0.5 * np.tanh(np.nan_to_num(r30)[:, None] / 0.3))
            * np.exp(rng.normal(0.0, 0.04, (n, 3)))
        )
        valid = ok & np.isfinite(r30)
        days = np.flatnonzero(valid)
        ts = (dates.to_numpy()[days][:, None] + hours[None, :].astype("timedelta64[h]")).ravel()
        frames.append(pd.DataFrame({
            "ts": ts, "venue": "binance", "instrument": f"{a}USDT", "asset_id": a,
            "rate": rate[days].ravel(), "interval_hours": 8.0,
            "open_interest_usd": np.round(oi[days].ravel(), 0),
        }))  # fmt: skip
        daily = pd.Series(rate.mean(axis=1), index=dates).where(valid)
        basis[a] = (daily.ewm(span=7).mean() * 3 * 365).clip(-0.05, 0.25).fillna(0.05)
    cols = ["ts", "venue", "instrument", "asset_id", "rate", "interval_hours", "open_interest_usd"]
    funding = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return funding, basis
