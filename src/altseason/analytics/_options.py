"""Options positioning from option-chain snapshots (DESIGN.md, "Options positioning").

Input is the long ``options`` table frame: one row per instrument and snapshot
with ``snapshot_ts, venue, instrument, underlying, expiry, strike, kind (C/P),
open_interest (contracts = coins), mark_iv (decimal), underlying_price (USD
forward of that expiry), mark_price (inverse premium in coin), volume``.

Selection
    One underlying and one snapshot at a time (when none is named, the latest
    snapshot holding a live option with open interest: a newer quotes-only
    snapshot, e.g. a chain saved without OI, cannot give positioning; see
    :func:`positioning_snapshot`). Expiries: all live ones, one
    (``expiry=``, a calendar day) or those within ``horizon_days`` of the
    snapshot. Aggregated figures sum over the selected expiries.

Validation (clear :class:`~altseason.exceptions.ValidationError`)
    missing columns, several underlyings without ``underlying=``, unknown
    kind, missing or non-positive strike, negative open interest, missing or
    non-positive underlying price, the same (expiry, strike, kind) listed twice
    in one snapshot, ``mark_iv`` given in percent instead of decimal.

Documented exclusions (listed in ``exclusions`` with the reason)
    * ``expired``: expiry at or before the snapshot time; dropped from every figure.
    * ``open interest missing``: NaN OI; dropped from every figure.
    * ``implied vol missing``: NaN or non-positive ``mark_iv``; kept for OI,
      put/call and max pain, dropped from ATM IV, 25-delta and gamma figures.
    * ``one side listed``: a strike listed only as a call or only as a put in an
      expiry; the missing side counts as zero OI (a note, nothing dropped).

Definitions
    * spot: the ``underlying_price`` of the nearest selected expiry (Deribit's
      nearest forward, closest to the index), unless ``spot=`` is given;
    * OI by strike in contracts and USD notional (OI x that row's underlying price);
    * call wall: strike above spot with the most call OI (ties: the lower strike);
    * put zone and call zone: the contiguous strikes below (above) spot holding
      a stated share (default 50 %) of below-spot put (above-spot call) OI,
      grown around the peak strike; see :func:`strike_zone`;
    * put/call ratio: put OI / call OI, and put volume / call volume;
    * max pain: see :func:`max_pain` (all selected expiries settling at one
      price), :func:`max_pain_by_expiry` (each expiry on its own) and
      :func:`headline_max_pain` (the figure to quote: by default the nearest
      monthly expiry, named);
    * ATM IV, 25-delta risk reversal and butterfly per expiry: see
      :func:`term_structure`;
    * dealer gamma exposure: see :func:`gamma_exposure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr

from altseason.analytics._black76 import black76_greeks
from altseason.exceptions import DataUnavailableError, ValidationError

__all__ = [
    "DEFAULT_ZONE_SHARE",
    "GAMMA_CONVENTIONS",
    "MAX_PAIN_HEADLINES",
    "MaxPain",
    "OptionChain",
    "OptionsPositioning",
    "PutZone",
    "StrikeZone",
    "call_wall",
    "call_zone",
    "expiry_label",
    "gamma_exposure",
    "headline_max_pain",
    "is_monthly_expiry",
    "max_pain",
    "max_pain_by_expiry",
    "oi_by_strike",
    "options_positioning",
    "payout_curve",
    "positioning_history",
    "positioning_snapshot",
    "prepare_chain",
    "put_call_ratio",
    "put_zone",
    "strike_zone",
    "term_structure",
]

REQUIRED_COLUMNS = (
    "snapshot_ts",
    "underlying",
    "expiry",
    "strike",
    "kind",
    "open_interest",
    "underlying_price",
)

GammaConvention = Literal["dealers_long_calls_short_puts", "customers_long_both"]

GAMMA_CONVENTIONS: dict[str, str] = {
    "dealers_long_calls_short_puts": (
        "dealers are long the calls and short the puts (customers sell calls and buy puts): "
        "call gamma counts +, put gamma counts -"
    ),
    "customers_long_both": (
        "customers are long every option, dealers short both: call and put gamma count -"
    ),
}
"""Sign conventions accepted by :func:`gamma_exposure`, with their meaning."""

_DAY = pd.Timedelta(days=1)
_YEAR_DAYS = 365.0


@dataclass(frozen=True)
class OptionChain:
    """A validated chain: one underlying, one snapshot, the selected live expiries.

    Attributes
    ----------
    frame
        Rows kept, with added columns ``t_years`` (ACT/365 time to expiry),
        ``iv_ok`` (usable implied vol) and ``kind`` normalised to ``C``/``P``.
    underlying, snapshot_ts
        The selection.
    spot
        Reference price in USD (see the module docstring).
    exclusions
        ``instrument, expiry, strike, kind, reason, scope`` of every excluded
        or noted row (scope ``all``, ``iv`` or ``note``).
    """

    frame: pd.DataFrame
    underlying: str
    snapshot_ts: pd.Timestamp
    spot: float
    exclusions: pd.DataFrame

    @property
    def expiries(self) -> tuple[pd.Timestamp, ...]:
        return tuple(pd.Timestamp(x) for x in sorted(self.frame["expiry"].unique()))


def _instrument_labels(frame: pd.DataFrame) -> pd.Series:
    if "instrument" in frame.columns:
        return frame["instrument"].astype(str)
    return (
        frame["underlying"].astype(str)
        + "-"
        + pd.to_datetime(frame["expiry"]).dt.strftime("%Y-%m-%d")
        + "-"
        + frame["strike"].astype(str)
        + "-"
        + frame["kind"].astype(str)
    )


def _bad_rows(frame: pd.DataFrame, mask: pd.Series, what: str, fix: str, column: str) -> None:
    if bool(mask.any()):
        labels = _instrument_labels(frame.loc[mask]).tolist()
        more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
        raise ValidationError(
            f"{int(mask.sum())} option row(s) with {what}: {', '.join(labels[:5])}{more}. {fix}",
            column=column,
        )


_EXCLUSION_COLUMNS = ["instrument", "expiry", "strike", "kind", "reason", "scope"]


def _exclusion_rows(frame: pd.DataFrame, mask: pd.Series, reason: str, scope: str) -> pd.DataFrame:
    if not bool(mask.any()):
        return pd.DataFrame(columns=_EXCLUSION_COLUMNS)
    sub = frame.loc[mask]
    return pd.DataFrame(
        {
            "instrument": _instrument_labels(sub).to_numpy(),
            "expiry": sub["expiry"].to_numpy(),
            "strike": sub["strike"].to_numpy(dtype=float),
            "kind": sub["kind"].astype(str).to_numpy(),
            "reason": reason,
            "scope": scope,
        }
    )


def _usable_snapshots(frame: pd.DataFrame, underlying: str) -> list[pd.Timestamp]:
    """Snapshots (sorted) of ``underlying`` holding an unexpired option with open interest.

    ``frame``: the long options rows with ``snapshot_ts`` and ``expiry`` as datetimes."""
    f = frame.loc[frame["underlying"].astype(str).str.upper() == underlying.upper()]
    oi = pd.to_numeric(f["open_interest"], errors="coerce")
    live = f.loc[oi.notna() & (oi >= 0) & (f["expiry"] > f["snapshot_ts"]), "snapshot_ts"]
    return sorted(pd.Timestamp(t) for t in live.unique())


def _latest_with_oi(frame: pd.DataFrame, underlying: str) -> pd.Timestamp | None:
    usable = _usable_snapshots(frame, underlying)
    return usable[-1] if usable else None


def positioning_snapshot(options: pd.DataFrame, underlying: str) -> pd.Timestamp | None:
    """The snapshot positioning uses by default: the latest one of ``underlying``
    with an unexpired option that has open interest (``None`` when there is none).

    A newer snapshot without open interest (quotes only, e.g. a chain of mark
    prices and IVs) is passed over: walls, zones, max pain and put/call need OI.
    """
    if options.empty:
        return None
    frame = options[["underlying", "snapshot_ts", "expiry", "open_interest"]].copy()
    frame["snapshot_ts"] = pd.to_datetime(frame["snapshot_ts"])
    frame["expiry"] = pd.to_datetime(frame["expiry"])
    return _latest_with_oi(frame, underlying)


def prepare_chain(
    options: pd.DataFrame,
    *,
    underlying: str | None = None,
    snapshot: Any = None,
    expiry: Any = None,
    horizon_days: float | None = None,
    spot: float | None = None,
) -> OptionChain:
    """Validate and select one chain from a long ``options`` frame.

    Parameters
    ----------
    options
        Long frame with at least ``snapshot_ts, underlying, expiry, strike, kind,
        open_interest, underlying_price``; optional ``instrument, venue,
        mark_iv, mark_price, volume``.
    underlying
        Asset id (e.g. ``"BTC"``); required when the frame holds several.
    snapshot
        Snapshot time to use; default :func:`positioning_snapshot` (the latest
        with open interest; the latest of all when none has any).
    expiry
        Keep only the expiry falling on this UTC calendar day.
    horizon_days
        Keep only expiries at most this many days after the snapshot.
    spot
        Reference price; default the nearest selected expiry's underlying price.

    Raises
    ------
    ValidationError
        For the malformed inputs listed in the module docstring, or when the
        selection is empty (the message lists what is available).
    DataUnavailableError
        The snapshot has no unexpired option with open interest (the message
        lists the snapshots that have one).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in options.columns]
    if missing:
        raise ValidationError(
            f"option chain lacks column(s) {missing}; expected the long 'options' table "
            f"({', '.join(REQUIRED_COLUMNS)}, optionally mark_iv, volume, instrument)."
        )
    if options.empty:
        raise ValidationError("the option chain is empty: import an options snapshot first.")
    frame = options.copy()
    frame["underlying"] = frame["underlying"].astype(str).str.upper()
    unders = sorted(frame["underlying"].unique().tolist())
    if underlying is None:
        if len(unders) > 1:
            raise ValidationError(
                f"the option chain mixes underlyings {unders}; pass underlying= one of them."
            )
        underlying = unders[0]
    underlying = underlying.upper()
    frame = frame.loc[frame["underlying"] == underlying]
    if frame.empty:
        raise ValidationError(
            f"no options on {underlying!r}; the chain has underlyings {unders}.",
            column="underlying",
        )
    frame["snapshot_ts"] = pd.to_datetime(frame["snapshot_ts"])
    frame["expiry"] = pd.to_datetime(frame["expiry"])
    options_all = frame
    snaps = frame["snapshot_ts"].unique()
    snap = (
        pd.Timestamp(snapshot)
        if snapshot is not None
        else _latest_with_oi(frame, underlying) or pd.Timestamp(max(snaps))
    )
    frame = frame.loc[frame["snapshot_ts"] == snap].copy()
    if frame.empty:
        raise ValidationError(
            f"no {underlying} options at snapshot {snap}; snapshots available: "
            f"{[str(pd.Timestamp(s)) for s in sorted(snaps)][:10]}.",
            column="snapshot_ts",
        )
    kinds = frame["kind"].astype(str).str.strip().str.upper()
    kinds = kinds.replace({"CALL": "C", "PUT": "P"})
    bad_kind = ~kinds.isin(["C", "P"])
    _bad_rows(frame, bad_kind, "a kind other than C/P", "Use 'C' for calls, 'P' for puts.", "kind")
    frame["kind"] = kinds
    for col in ("strike", "open_interest", "underlying_price"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in ("mark_iv", "volume", "mark_price"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    strike = frame["strike"]
    _bad_rows(
        frame,
        strike.isna() | (strike <= 0),
        "a missing or non-positive strike",
        "Every option needs its strike in USD; fix or drop those rows.",
        "strike",
    )
    _bad_rows(
        frame,
        frame["open_interest"] < 0,
        "negative open interest",
        "Open interest counts contracts and cannot be negative; the source row is corrupt.",
        "open_interest",
    )
    up = frame["underlying_price"]
    _bad_rows(
        frame,
        up.isna() | (up <= 0),
        "a missing or non-positive underlying price",
        "The chain needs the USD forward of each expiry to value OI and greeks.",
        "underlying_price",
    )
    dup = frame.duplicated(subset=["expiry", "strike", "kind"], keep=False)
    _bad_rows(
        frame,
        dup,
        "the same expiry, strike and kind listed twice in one snapshot",
        "De-duplicate the chain (one row per instrument and snapshot).",
        "instrument",
    )
    if "mark_iv" in frame.columns:
        iv = frame["mark_iv"].dropna()
        if len(iv) and float(iv.median()) > 3.0:
            raise ValidationError(
                f"mark_iv looks like percent (median {float(iv.median()):.1f}); the options "
                "table holds decimals (0.55 = 55%): divide by 100.",
                column="mark_iv",
            )
    exclusions: list[pd.DataFrame] = []
    expired = frame["expiry"] <= snap
    exclusions.append(_exclusion_rows(frame, expired, "expired", "all"))
    no_oi = frame["open_interest"].isna() & ~expired
    exclusions.append(_exclusion_rows(frame, no_oi, "open interest missing", "all"))
    frame = frame.loc[~expired & ~no_oi].copy()
    live_expiries = sorted(frame["expiry"].unique())
    if expiry is not None:
        day = pd.Timestamp(expiry).normalize()
        frame = frame.loc[frame["expiry"].dt.normalize() == day]
        if frame.empty:
            raise ValidationError(
                f"no live {underlying} expiry on {day.date()} at snapshot {snap}; live expiries: "
                f"{[str(pd.Timestamp(e).date()) for e in live_expiries]}.",
                column="expiry",
            )
    if horizon_days is not None:
        if horizon_days <= 0:
            raise ValidationError(f"horizon_days must be positive, got {horizon_days}.")
        frame = frame.loc[frame["expiry"] - snap <= pd.Timedelta(days=float(horizon_days))]
        if frame.empty:
            first = str(pd.Timestamp(live_expiries[0])) if live_expiries else "none"
            raise ValidationError(
                f"no live {underlying} expiry within {horizon_days} days of {snap}; "
                f"the nearest is {first}.",
                column="expiry",
            )
    if frame.empty:
        usable = _usable_snapshots(options_all, underlying)
        hint = (
            f"snapshots with open interest: {[str(t) for t in usable[-5:]]}; pass one of them"
            if usable
            else "no snapshot of this underlying has open interest; import a chain with an "
            "open_interest column (e.g. a Deribit book summary)"
        )
        raise DataUnavailableError(
            f"every {underlying} option at {snap} is expired or lacks open interest "
            f"(a quotes-only snapshot cannot give positioning); {hint}."
        )
    frame["t_years"] = (frame["expiry"] - snap) / _DAY / _YEAR_DAYS
    if "mark_iv" in frame.columns:
        frame["iv_ok"] = frame["mark_iv"].notna() & (frame["mark_iv"] > 0)
    else:
        frame["iv_ok"] = False
    exclusions.append(_exclusion_rows(frame, ~frame["iv_ok"], "implied vol missing", "iv"))
    sides = frame.groupby(["expiry", "strike"])["kind"].transform("nunique")
    exclusions.append(_exclusion_rows(frame, sides < 2, "one side listed", "note"))
    if spot is None:
        nearest = frame["expiry"].min()
        spot = float(frame.loc[frame["expiry"] == nearest, "underlying_price"].median())
    excl = pd.concat([e for e in exclusions if not e.empty] or [exclusions[0]], ignore_index=True)
    frame = frame.sort_values(["expiry", "strike", "kind"]).reset_index(drop=True)
    return OptionChain(frame, underlying, snap, float(spot), excl)


def _chain(options: pd.DataFrame | OptionChain, **kwargs: Any) -> OptionChain:
    if isinstance(options, OptionChain):
        return options
    return prepare_chain(options, **kwargs)


def oi_by_strike(options: pd.DataFrame | OptionChain, **selection: Any) -> pd.DataFrame:
    """Open interest by strike, summed over the selected expiries.

    Parameters
    ----------
    options
        Long options frame (selection keywords as in :func:`prepare_chain`) or
        a prepared :class:`OptionChain`.

    Returns
    -------
    DataFrame
        Index ``strike`` (USD, ascending, every listed strike); columns
        ``call_oi, put_oi, total_oi`` (contracts = coins) and
        ``call_notional_usd, put_notional_usd, total_notional_usd``
        (OI x underlying price of each row).
    """
    ch = _chain(options, **selection)
    f = ch.frame
    notional = f["open_interest"] * f["underlying_price"]
    is_call = f["kind"] == "C"
    parts = pd.DataFrame(
        {
            "strike": f["strike"],
            "call_oi": f["open_interest"].where(is_call, 0.0),
            "put_oi": f["open_interest"].where(~is_call, 0.0),
            "call_notional_usd": notional.where(is_call, 0.0),
            "put_notional_usd": notional.where(~is_call, 0.0),
        }
    )
    out = parts.groupby("strike").sum().sort_index()
    out["total_oi"] = out["call_oi"] + out["put_oi"]
    out["total_notional_usd"] = out["call_notional_usd"] + out["put_notional_usd"]
    cols = ["call_oi", "put_oi", "total_oi", "call_notional_usd", "put_notional_usd"]
    return out[[*cols, "total_notional_usd"]].astype(float)


def call_wall(options: pd.DataFrame | OptionChain, **selection: Any) -> float:
    """Strike above spot with the most call OI (ties: the lower strike); NaN if none."""
    ch = _chain(options, **selection)
    table = oi_by_strike(ch)
    above = table.loc[table.index > ch.spot, "call_oi"]
    if above.empty or float(above.max()) <= 0:
        return float("nan")
    return float(above.idxmax())


ZoneSide = Literal["put", "call"]

DEFAULT_ZONE_SHARE = 0.5
"""Share of the side's open interest a put or call zone holds (:func:`strike_zone`)."""


@dataclass(frozen=True)
class StrikeZone:
    """A contiguous band of strikes on one side of spot holding a stated share of OI.

    Attributes
    ----------
    side
        ``"put"`` (strikes below spot, put OI) or ``"call"`` (above spot, call OI).
    low, high
        Lowest and highest strike with OI in the band (USD).
    open_interest
        OI of that side in the band (contracts).
    share
        ``open_interest`` / the side's OI on its side of spot (below-spot put OI
        for a put zone, above-spot call OI for a call zone).
    share_of_total
        ``open_interest`` / all of the selection's puts (or calls), every strike.
    target_share
        The share the band was grown to reach (the convention, e.g. 0.5).
    peak_strike
        Strike on that side with the most OI (for calls: the call wall).
    n_strikes
        Listed strikes in the band (including strikes without OI inside it).
    """

    side: str
    low: float
    high: float
    open_interest: float
    share: float
    share_of_total: float
    target_share: float
    peak_strike: float
    n_strikes: int

    @property
    def convention(self) -> str:
        where = "below" if self.side == "put" else "above"
        return (
            f"{self.side} zone: the contiguous listed strikes {where} spot around the peak "
            f"{self.side} strike holding {self.target_share:.0%} of {where}-spot {self.side} OI"
        )


PutZone = StrikeZone
"""Former name of :class:`StrikeZone` (a put zone is a :class:`StrikeZone` with side "put")."""


def strike_zone(
    options: pd.DataFrame | OptionChain,
    *,
    side: ZoneSide = "put",
    share: float = DEFAULT_ZONE_SHARE,
    **selection: Any,
) -> StrikeZone:
    """The contiguous strike band on one side of spot holding ``share`` of that side's OI.

    Convention (DESIGN.md, "Options conventions"): take the listed strikes
    strictly below spot with their put OI (``side="put"``) or strictly above
    spot with their call OI (``side="call"``), summed over the selected
    expiries. Start from the peak strike (most OI; ties: the strike nearer
    spot) and grow the band one listed strike at a time, adding whichever
    neighbour (next lower or next higher listed strike on that side) carries
    more OI (ties: the neighbour nearer spot), until the band holds at least
    ``share`` of the side's OI. ``low``/``high`` are the outermost strikes of
    the band carrying OI. The band therefore follows where OI concentrates: a
    single dominant strike gives a narrow zone, spread-out OI a wide one.

    Parameters
    ----------
    side
        ``"put"`` or ``"call"``.
    share
        Target share in (0, 1]; default :data:`DEFAULT_ZONE_SHARE` (50 %).

    Returns
    -------
    StrikeZone
        All NaN (shares 0) when no OI of that side sits on that side of spot.
    """
    if side not in ("put", "call"):
        raise ValidationError(f"zone side must be 'put' or 'call', got {side!r}.")
    if not 0.0 < float(share) <= 1.0:
        raise ValidationError(f"zone share must lie in (0, 1], got {share}.")
    ch = _chain(options, **selection)
    table = oi_by_strike(ch)
    col = "put_oi" if side == "put" else "call_oi"
    total = float(table[col].sum())
    part = table.loc[table.index < ch.spot if side == "put" else table.index > ch.spot, col]
    nan = float("nan")
    side_total = float(part.sum())
    if part.empty or side_total <= 0:
        return StrikeZone(side, nan, nan, 0.0, 0.0, 0.0, float(share), nan, 0)
    oi = part.to_numpy(dtype=float)
    strikes = part.index.to_numpy(dtype=float)
    n = len(oi)
    # Position 0 is the strike nearest spot on either side.
    order = np.arange(n)[::-1] if side == "put" else np.arange(n)
    oi_o, k_o = oi[order], strikes[order]
    peak = int(np.argmax(oi_o))  # first maximum = nearest spot
    lo = hi = peak
    held = oi_o[peak]
    target = float(share) * side_total
    tol = 1e-12 * side_total
    while held < target - tol and (lo > 0 or hi < n - 1):
        near = oi_o[lo - 1] if lo > 0 else -np.inf
        far = oi_o[hi + 1] if hi < n - 1 else -np.inf
        if near >= far:
            lo -= 1
            held += oi_o[lo]
        else:
            hi += 1
            held += oi_o[hi]
    seg_k, seg_oi = k_o[lo : hi + 1], oi_o[lo : hi + 1]
    with_oi = seg_k[seg_oi > 0]
    return StrikeZone(
        side=side,
        low=float(with_oi.min()),
        high=float(with_oi.max()),
        open_interest=float(held),
        share=float(held / side_total),
        share_of_total=float(held / total) if total > 0 else 0.0,
        target_share=float(share),
        peak_strike=float(k_o[peak]),
        n_strikes=int(hi - lo + 1),
    )


def put_zone(
    options: pd.DataFrame | OptionChain, *, share: float = DEFAULT_ZONE_SHARE, **selection: Any
) -> StrikeZone:
    """The strikes below spot holding ``share`` of below-spot put OI (:func:`strike_zone`)."""
    return strike_zone(options, side="put", share=share, **selection)


def call_zone(
    options: pd.DataFrame | OptionChain, *, share: float = DEFAULT_ZONE_SHARE, **selection: Any
) -> StrikeZone:
    """The strikes above spot holding ``share`` of above-spot call OI (:func:`strike_zone`).

    Its ``peak_strike`` is the call wall (:func:`call_wall`).
    """
    return strike_zone(options, side="call", share=share, **selection)


def put_call_ratio(options: pd.DataFrame | OptionChain, **selection: Any) -> dict[str, float]:
    """Put/call ratios of open interest and volume over the selection.

    Returns
    -------
    dict
        ``{"oi": put OI / call OI, "volume": put volume / call volume}``; NaN
        when the denominator is zero or the chain has no ``volume`` column.
    """
    ch = _chain(options, **selection)
    f = ch.frame
    is_call = f["kind"] == "C"

    def ratio(col: str) -> float:
        if col not in f.columns:
            return float("nan")
        calls = float(f.loc[is_call, col].sum(min_count=1))
        puts = float(f.loc[~is_call, col].sum(min_count=1))
        if not np.isfinite(calls) or calls == 0 or not np.isfinite(puts):
            return float("nan")
        return puts / calls

    return {"oi": ratio("open_interest"), "volume": ratio("volume")}


def _payout_curve(f: pd.DataFrame) -> pd.Series:
    strikes = np.sort(f["strike"].unique()).astype(float)
    k = f["strike"].to_numpy(dtype=float)
    oi = f["open_interest"].to_numpy(dtype=float)
    is_call = (f["kind"] == "C").to_numpy()
    s = strikes[:, None]
    payoff = np.where(is_call[None, :], np.maximum(s - k[None, :], 0.0), np.maximum(k - s, 0.0))
    return pd.Series(payoff @ oi, index=pd.Index(strikes, name="strike"), name="payout_usd")


def max_pain(options: pd.DataFrame | OptionChain, **selection: Any) -> float:
    """The listed strike minimising the intrinsic value paid to option holders.

    For each listed strike ``S`` of the selection the payout is
    ``sum_calls OI max(S - K, 0) + sum_puts OI max(K - S, 0)`` (USD, OI in
    contracts); max pain is the ``S`` with the smallest payout (ties: the lower
    strike). Over several expiries the payouts are summed as if every selected
    expiry settled at the same price.
    """
    ch = _chain(options, **selection)
    curve = _payout_curve(ch.frame)
    return float(curve.idxmin())


def payout_curve(options: pd.DataFrame | OptionChain, **selection: Any) -> pd.Series:
    """Total intrinsic value paid to holders if the underlying settles at each strike (USD)."""
    return _payout_curve(_chain(options, **selection).frame)


def is_monthly_expiry(expiry: Any) -> bool:
    """True when ``expiry`` falls on the last Friday of its month (a Deribit monthly).

    Deribit lists dailies, weeklies (every Friday), monthlies (the last Friday
    of each month) and quarterlies (the last Friday of March, June, September
    and December, also monthlies), all settling at 08:00 UTC.
    """
    day = pd.Timestamp(expiry)
    return bool(day.day_of_week == 4 and (day + pd.Timedelta(days=7)).month != day.month)


def expiry_label(expiry: Any) -> str:
    """Deribit's name of an expiry day, e.g. ``26DEC25`` or ``6DEC25`` (day not zero-padded)."""
    day = pd.Timestamp(expiry)
    return f"{day.day}{day.strftime('%b%y').upper()}"


def max_pain_by_expiry(options: pd.DataFrame | OptionChain, **selection: Any) -> pd.DataFrame:
    """Max pain of each selected expiry on its own (the convention traders quote).

    Returns
    -------
    DataFrame
        Index ``expiry``; columns ``label`` (Deribit name, e.g. ``26DEC25``),
        ``days`` (to expiry), ``monthly`` (last Friday of the month, see
        :func:`is_monthly_expiry`), ``forward`` (USD), ``max_pain`` (USD, the
        listed strike of that expiry minimising its payout, see
        :func:`max_pain`), ``payout_usd`` (the payout there), ``call_oi``,
        ``put_oi``, ``put_call_oi`` and ``notional_usd``.
    """
    ch = _chain(options, **selection)
    rows = []
    for exp, group in ch.frame.groupby("expiry", sort=True):
        curve = _payout_curve(group)
        calls = float(group.loc[group["kind"] == "C", "open_interest"].sum())
        puts = float(group.loc[group["kind"] == "P", "open_interest"].sum())
        rows.append(
            {
                "expiry": pd.Timestamp(exp),
                "label": expiry_label(exp),
                "days": float(group["t_years"].iloc[0] * _YEAR_DAYS),
                "monthly": is_monthly_expiry(exp),
                "forward": float(group["underlying_price"].median()),
                "max_pain": float(curve.idxmin()),
                "payout_usd": float(curve.min()),
                "call_oi": calls,
                "put_oi": puts,
                "put_call_oi": puts / calls if calls > 0 else float("nan"),
                "notional_usd": float((group["open_interest"] * group["underlying_price"]).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("expiry")


MaxPainHeadline = Literal["nearest_monthly", "nearest", "all_expiries"]

MAX_PAIN_HEADLINES: dict[str, str] = {
    "nearest_monthly": "max pain of the nearest monthly expiry (last Friday of the month)",
    "nearest": "max pain of the nearest expiry",
    "all_expiries": "max pain over all selected expiries settling at one price",
}
"""Conventions accepted by :func:`headline_max_pain`, with their meaning."""


@dataclass(frozen=True)
class MaxPain:
    """The headline max pain, named, with the per-expiry table beside it.

    Attributes
    ----------
    value
        Max pain strike (USD).
    expiry, label
        The expiry it belongs to and its Deribit name (NaT / ``"all expiries"``
        for the ``all_expiries`` convention).
    convention
        The convention used and its meaning.
    all_expiries
        Max pain over all selected expiries at once (:func:`max_pain`), for reference.
    by_expiry
        :func:`max_pain_by_expiry`.
    note
        Why the convention fell back (e.g. no monthly expiry selected), else "".
    """

    value: float
    expiry: pd.Timestamp
    label: str
    convention: str
    all_expiries: float
    by_expiry: pd.DataFrame
    note: str = ""


def convention_problem(
    zone_share: float | None,
    max_pain_convention: str | None,
    names: tuple[str, str] = ("zone_share", "max_pain_convention"),
) -> str | None:
    """What is wrong with a zone share or a headline max-pain convention, else ``None``.

    ``names`` are how the caller's user writes the two settings (``--zone-share`` on the
    command line, ``zone_share`` in the API), so the message names what to fix.
    """
    if max_pain_convention is not None and max_pain_convention not in MAX_PAIN_HEADLINES:
        return (
            f"{names[1]} must be one of {', '.join(MAX_PAIN_HEADLINES)}; "
            f"got {max_pain_convention!r}"
        )
    if zone_share is not None and not 0.0 < float(zone_share) <= 1.0:
        return f"{names[0]} must be in (0, 1], e.g. 0.5; got {zone_share}"
    return None


def headline_max_pain(
    options: pd.DataFrame | OptionChain,
    *,
    convention: MaxPainHeadline = "nearest_monthly",
    **selection: Any,
) -> MaxPain:
    """The max pain a note should quote, and which expiry it is.

    ``convention`` (default ``"nearest_monthly"``): the first selected expiry
    falling on the last Friday of its month (Deribit's monthly, where most OI
    settles); ``"nearest"``: the first selected expiry; ``"all_expiries"``:
    :func:`max_pain` over the whole selection. When no monthly expiry is
    selected, the nearest expiry is used and ``note`` says so.
    """
    if convention not in MAX_PAIN_HEADLINES:
        raise ValidationError(
            f"unknown max pain convention {convention!r}; choose one of {list(MAX_PAIN_HEADLINES)}."
        )
    ch = _chain(options, **selection)
    table = max_pain_by_expiry(ch)
    overall = max_pain(ch)
    text = f"{convention}: {MAX_PAIN_HEADLINES[convention]}"
    if convention == "all_expiries":
        return MaxPain(overall, pd.NaT, "all expiries", text, overall, table)
    note = ""
    pick = table
    if convention == "nearest_monthly":
        pick = table.loc[table["monthly"]]
        if pick.empty:
            pick = table
            note = "no monthly expiry in the selection: the nearest expiry is used"
    exp = pd.Timestamp(pick.index[0])
    row = pick.iloc[0]
    return MaxPain(float(row["max_pain"]), exp, str(row["label"]), text, overall, table, note)


def _smile(group: pd.DataFrame) -> dict[str, float]:
    fwd = float(group["underlying_price"].median())
    t = float(group["t_years"].iloc[0])
    g = group.loc[group["iv_ok"]]
    nan = float("nan")
    out = {"forward": fwd, "atm_iv": nan, "iv_25c": nan, "iv_25p": nan}
    if g.empty:
        return out
    iv = g.groupby("strike")["mark_iv"].mean().sort_index()
    k = iv.index.to_numpy(dtype=float)
    v = iv.to_numpy(dtype=float)
    if k.min() <= fwd <= k.max():
        out["atm_iv"] = float(np.interp(np.log(fwd), np.log(k), v))
    sig_t = v * np.sqrt(t)
    d1 = (np.log(fwd / k) + 0.5 * sig_t**2) / sig_t
    call_delta = ndtr(d1)
    calls = k >= fwd
    if calls.sum() >= 2:
        cd, cv = call_delta[calls], v[calls]
        order = np.argsort(cd)
        cd, cv = cd[order], cv[order]
        if cd[0] <= 0.25 <= cd[-1]:
            out["iv_25c"] = float(np.interp(0.25, cd, cv))
    puts = k <= fwd
    if puts.sum() >= 2:
        pd_, pv = call_delta[puts] - 1.0, v[puts]
        order = np.argsort(pd_)
        pd_, pv = pd_[order], pv[order]
        if pd_[0] <= -0.25 <= pd_[-1]:
            out["iv_25p"] = float(np.interp(-0.25, pd_, pv))
    return out


def term_structure(options: pd.DataFrame | OptionChain, **selection: Any) -> pd.DataFrame:
    """ATM implied vol, 25-delta risk reversal and butterfly per expiry.

    Per expiry, the smile is the mean ``mark_iv`` per strike (calls and puts).
    ATM IV is the smile interpolated linearly in log-strike at the forward.
    Each strike's Black-76 forward delta is computed with its own IV; the
    25-delta call vol is the smile interpolated linearly in delta among strikes
    at or above the forward at call delta 0.25, the 25-delta put vol likewise
    among strikes at or below the forward at put delta -0.25.
    ``rr25 = iv_25c - iv_25p``; ``bf25 = (iv_25c + iv_25p) / 2 - atm_iv``.
    A figure is NaN when its point lies outside the listed strikes (no
    extrapolation) or fewer than two usable strikes exist; rows without usable
    IV are excluded (see ``exclusions``).

    Returns
    -------
    DataFrame
        Index ``expiry``; columns ``days`` (to expiry), ``forward`` (USD),
        ``atm_iv, iv_25c, iv_25p, rr25, bf25`` (decimal vols).
    """
    ch = _chain(options, **selection)
    rows = []
    for exp, group in ch.frame.groupby("expiry", sort=True):
        sm = _smile(group)
        rows.append(
            {
                "expiry": pd.Timestamp(exp),
                "days": float(group["t_years"].iloc[0] * _YEAR_DAYS),
                **sm,
            }
        )
    out = pd.DataFrame(rows).set_index("expiry")
    out["rr25"] = out["iv_25c"] - out["iv_25p"]
    out["bf25"] = 0.5 * (out["iv_25c"] + out["iv_25p"]) - out["atm_iv"]
    return out[["days", "forward", "atm_iv", "iv_25c", "iv_25p", "rr25", "bf25"]]


def gamma_exposure(
    options: pd.DataFrame | OptionChain,
    *,
    convention: GammaConvention = "dealers_long_calls_short_puts",
    **selection: Any,
) -> pd.DataFrame:
    """Dealer gamma exposure by strike, in USD per 1 % move of the underlying.

    For each option, ``GEX = sign x gamma x OI x F^2 x 0.01`` with the
    Black-76 gamma at the row's forward ``F``, ``mark_iv`` and time to expiry:
    the USD amount of underlying dealers must buy (+) or sell (-) after a 1 %
    rise to stay delta-neutral. The sign convention (``convention``):

    * ``"dealers_long_calls_short_puts"`` (default): customers write calls and
      buy puts, so call gamma counts +1 and put gamma -1;
    * ``"customers_long_both"``: dealers are short every option: -1 for both.

    Positive net GEX means dealers dampen moves (buy dips, sell rips).
    Rows without usable IV are excluded (see the chain's ``exclusions``).
    Gamma is the USD Black-76 gamma; the inverse (coin) premium adjustment is
    not applied.

    Returns
    -------
    DataFrame
        Index ``strike``; columns ``call_gex_usd, put_gex_usd, net_gex_usd``.
        ``DataFrame.attrs["convention"]`` holds the convention and its meaning.
    """
    if convention not in GAMMA_CONVENTIONS:
        raise ValidationError(
            f"unknown gamma convention {convention!r}; choose one of {list(GAMMA_CONVENTIONS)}."
        )
    ch = _chain(options, **selection)
    f = ch.frame.loc[ch.frame["iv_ok"]]
    fwd = f["underlying_price"].to_numpy(dtype=float)
    gamma = black76_greeks(
        fwd,
        f["strike"].to_numpy(dtype=float),
        f["t_years"].to_numpy(dtype=float),
        f["mark_iv"].to_numpy(dtype=float) if len(f) else np.zeros(0),
        (f["kind"] == "C").to_numpy(),
    ).gamma
    dollar = gamma * f["open_interest"].to_numpy(dtype=float) * fwd**2 * 0.01
    is_call = (f["kind"] == "C").to_numpy()
    put_sign = -1.0
    call_sign = 1.0 if convention == "dealers_long_calls_short_puts" else -1.0
    frame = pd.DataFrame(
        {
            "strike": f["strike"].to_numpy(dtype=float),
            "call_gex_usd": np.where(is_call, call_sign * dollar, 0.0),
            "put_gex_usd": np.where(~is_call, put_sign * dollar, 0.0),
        }
    )
    out = frame.groupby("strike").sum().sort_index()
    out["net_gex_usd"] = out["call_gex_usd"] + out["put_gex_usd"]
    out.attrs["convention"] = f"{convention}: {GAMMA_CONVENTIONS[convention]}"
    return out


def _interp_tenor(ts: pd.DataFrame, col: str, target_days: float) -> float:
    s = ts[["days", col]].dropna()
    if s.empty:
        return float("nan")
    d = s["days"].to_numpy(dtype=float)
    v = s[col].to_numpy(dtype=float)
    if d.min() <= target_days <= d.max():
        return float(np.interp(target_days, d, v))
    return float(v[np.argmin(np.abs(d - target_days))])


@dataclass(frozen=True)
class OptionsPositioning:
    """Every positioning figure of one chain selection.

    Attributes
    ----------
    underlying, snapshot_ts, spot, expiries
        What was measured (spot in USD).
    oi_by_strike
        See :func:`oi_by_strike`.
    call_wall, put_zone, call_zone, put_call_oi, put_call_volume
        See the functions of the same names (strikes in USD; zones hold
        ``zone_share`` of their side's OI).
    max_pain
        The headline max pain (USD) under ``max_pain_detail.convention``
        (default: the nearest monthly expiry, named in ``max_pain_detail.label``).
    max_pain_detail
        :func:`headline_max_pain`: the expiry named, the all-expiry figure and
        the per-expiry table.
    term_structure
        See :func:`term_structure`.
    gamma_exposure, gamma_convention
        See :func:`gamma_exposure`.
    exclusions
        Rows excluded or noted, with reasons (see :func:`prepare_chain`).
    target_days
        Tenor of the summary's ATM IV / RR / BF: linear interpolation in days
        between the selected expiries, or the nearest expiry outside their range.
    """

    underlying: str
    snapshot_ts: pd.Timestamp
    spot: float
    expiries: tuple[pd.Timestamp, ...]
    oi_by_strike: pd.DataFrame
    call_wall: float
    put_zone: StrikeZone
    call_zone: StrikeZone
    put_call_oi: float
    put_call_volume: float
    max_pain: float
    max_pain_detail: MaxPain
    term_structure: pd.DataFrame
    gamma_exposure: pd.DataFrame
    gamma_convention: str
    exclusions: pd.DataFrame
    target_days: float = 30.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> pd.Series:
        """Headline figures as a Series (strikes and notionals in USD, vols decimal)."""
        ts = self.term_structure
        oi = self.oi_by_strike
        return pd.Series(
            {
                "underlying": self.underlying,
                "snapshot_ts": self.snapshot_ts,
                "spot": self.spot,
                "expiries": len(self.expiries),
                "first_expiry": self.expiries[0] if self.expiries else pd.NaT,
                "last_expiry": self.expiries[-1] if self.expiries else pd.NaT,
                "call_oi": float(oi["call_oi"].sum()),
                "put_oi": float(oi["put_oi"].sum()),
                "notional_usd": float(oi["total_notional_usd"].sum()),
                "call_wall": self.call_wall,
                "put_zone_low": self.put_zone.low,
                "put_zone_high": self.put_zone.high,
                "put_zone_share": self.put_zone.share,
                "call_zone_low": self.call_zone.low,
                "call_zone_high": self.call_zone.high,
                "call_zone_share": self.call_zone.share,
                "zone_target_share": self.put_zone.target_share,
                "put_call_oi": self.put_call_oi,
                "put_call_volume": self.put_call_volume,
                "max_pain": self.max_pain,
                "max_pain_expiry": self.max_pain_detail.label,
                "max_pain_all_expiries": self.max_pain_detail.all_expiries,
                "atm_iv": _interp_tenor(ts, "atm_iv", self.target_days),
                "rr25": _interp_tenor(ts, "rr25", self.target_days),
                "bf25": _interp_tenor(ts, "bf25", self.target_days),
                # no option with an implied vol: gamma unknown, not zero
                "net_gex_usd": (
                    float(self.gamma_exposure["net_gex_usd"].sum())
                    if len(self.gamma_exposure)
                    else float("nan")
                ),
                "excluded_rows": int((self.exclusions["scope"] != "note").sum()),
            }
        )


def options_positioning(
    options: pd.DataFrame,
    *,
    underlying: str | None = None,
    snapshot: Any = None,
    expiry: Any = None,
    horizon_days: float | None = None,
    spot: float | None = None,
    zone_share: float = DEFAULT_ZONE_SHARE,
    max_pain_convention: MaxPainHeadline = "nearest_monthly",
    gamma_convention: GammaConvention = "dealers_long_calls_short_puts",
    target_days: float = 30.0,
) -> OptionsPositioning:
    """All positioning figures for one underlying and snapshot.

    Parameters are those of :func:`prepare_chain`, :func:`strike_zone`
    (``zone_share``, for the put and the call zone), :func:`headline_max_pain`
    (``max_pain_convention``) and :func:`gamma_exposure` (``gamma_convention``);
    ``target_days`` is the summary tenor (see :class:`OptionsPositioning`).
    Figures needing implied vol (ATM IV, skew, gamma) are NaN / empty on a
    chain without ``mark_iv``; OI, zones, put/call and max pain do not need it.
    """
    ch = prepare_chain(
        options,
        underlying=underlying,
        snapshot=snapshot,
        expiry=expiry,
        horizon_days=horizon_days,
        spot=spot,
    )
    pcr = put_call_ratio(ch)
    mp = headline_max_pain(ch, convention=max_pain_convention)
    gex = gamma_exposure(ch, convention=gamma_convention)
    return OptionsPositioning(
        underlying=ch.underlying,
        snapshot_ts=ch.snapshot_ts,
        spot=ch.spot,
        expiries=ch.expiries,
        oi_by_strike=oi_by_strike(ch),
        call_wall=call_wall(ch),
        put_zone=put_zone(ch, share=zone_share),
        call_zone=call_zone(ch, share=zone_share),
        put_call_oi=pcr["oi"],
        put_call_volume=pcr["volume"],
        max_pain=mp.value,
        max_pain_detail=mp,
        term_structure=term_structure(ch),
        gamma_exposure=gex,
        gamma_convention=str(gex.attrs["convention"]),
        exclusions=ch.exclusions,
        target_days=target_days,
    )


def positioning_history(
    options: pd.DataFrame,
    *,
    underlying: str | None = None,
    horizon_days: float | None = None,
    snapshots: Sequence[Any] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """The summary figures of every snapshot in the frame, oldest first.

    Parameters
    ----------
    options
        Long options frame with one or more snapshots.
    underlying, horizon_days
        As in :func:`options_positioning` (the horizon is measured from each
        snapshot).
    snapshots
        Snapshot times to evaluate (default all).
    **kwargs
        Passed to :func:`options_positioning` (``zone_share``, ``max_pain_convention``,
        ``gamma_convention``, ``target_days``).

    Returns
    -------
    DataFrame
        Index ``snapshot_ts``; the columns of :meth:`OptionsPositioning.summary`.
        A snapshot whose selection is empty is reported by the error of
        :func:`prepare_chain` (nothing is skipped silently).
    """
    if "snapshot_ts" not in options.columns:
        raise ValidationError("option chain lacks column 'snapshot_ts'.")
    snaps = (
        sorted(pd.to_datetime(pd.Series(list(snapshots))).unique())
        if snapshots is not None
        else sorted(pd.to_datetime(options["snapshot_ts"]).unique())
    )
    rows = [
        options_positioning(
            options, underlying=underlying, snapshot=s, horizon_days=horizon_days, **kwargs
        ).summary()
        for s in snaps
    ]
    out = pd.DataFrame(rows).set_index("snapshot_ts")
    return out
