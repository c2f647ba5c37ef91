"""Store loaders for the positioning analytics (flows, options, derivatives, ...).

These are the only functions here that touch a :class:`~altseason.store.Store`;
they read tables with ``read_table`` / ``read_prices`` and hand plain frames
to the pure functions. Every frame they return carries
``frame.attrs["sources"]``, the sorted ``source`` values of the rows read, so
callers can label demo data (:func:`altseason.labels.is_demo`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from altseason.analytics._derivatives import daily_funding
from altseason.analytics._flows import CostBasis, flows_by_fund, holders_cost_basis
from altseason.analytics._onchain import realized_price, realized_price_from_mvrv, support_bands
from altseason.analytics._sentiment import capitulation_score
from altseason.exceptions import DataUnavailableError

if TYPE_CHECKING:
    from altseason.store import Store

__all__ = [
    "EVENT_STUDY_METHOD",
    "capitulation_from_store",
    "close_from_store",
    "etf_flows_from_store",
    "event_study_from_store",
    "events_from_store",
    "funding_from_store",
    "macro_from_store",
    "market_returns_from_store",
    "onchain_from_store",
    "options_from_store",
    "sentiment_from_store",
    "support_from_store",
]


def _sources(frame: pd.DataFrame) -> list[str]:
    if "source" not in frame.columns or frame.empty:
        return []
    return sorted({str(s) for s in frame["source"].dropna().unique()})


def _need(frame: pd.DataFrame, what: str, fix: str) -> None:
    if frame.empty:
        raise DataUnavailableError(f"the store has no {what}; {fix}")


def etf_flows_from_store(
    store: Store, *, underlying: str = "BTC", start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Daily ETF flows by fund in USD: a ``(n_dates, n_funds)`` panel (:func:`flows_by_fund`)."""
    long = store.read_table("etf_flows", start=start, end=end, underlying=underlying.upper())
    _need(
        long, f"ETF flows for {underlying}", "import them ('altseason import' or 'fetch farside')."
    )
    panel = flows_by_fund(long, underlying=underlying)
    _need(panel.T, f"ETF flows for {underlying}", "import them ('altseason import').")
    panel.attrs["sources"] = _sources(long)
    return panel


def close_from_store(
    store: Store, asset: str = "BTC", *, field: str = "close", start: Any = None, end: Any = None
) -> pd.Series:
    """One asset's daily price field (USD) from ``prices`` (NaN on missing days dropped)."""
    asset = asset.upper()
    panel = store.read_prices(field, assets=[asset], start=start, end=end)
    s = panel[asset].dropna() if asset in panel.columns else pd.Series(dtype=float)
    _need(s.to_frame(), f"{field} prices for {asset}", "import or fetch prices first.")
    prov = store.provenance("prices", start=start, end=end, asset_id=asset)
    s.name = asset
    s.attrs["sources"] = list(prov["sources"])
    return s


def options_from_store(
    store: Store,
    *,
    underlying: str | None = None,
    venue: str | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Long ``options`` rows (all snapshots in the date range)."""
    frame = store.read_table(
        "options",
        start=start,
        end=end,
        underlying=underlying.upper() if underlying else None,
        venue=venue,
    )
    _need(
        frame,
        f"option snapshots{' for ' + underlying if underlying else ''}",
        "fetch a Deribit snapshot ('altseason fetch deribit') or import a chain.",
    )
    frame.attrs["sources"] = _sources(frame)
    return frame


def funding_from_store(
    store: Store, *, assets: Sequence[str] | None = None, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Long ``funding`` rows."""
    frame = store.read_table(
        "funding", start=start, end=end, asset_id=[a.upper() for a in assets] if assets else None
    )
    _need(frame, "funding rates", "fetch or import perp funding first.")
    frame.attrs["sources"] = _sources(frame)
    return frame


def onchain_from_store(
    store: Store, asset: str = "BTC", *, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """On-chain metrics of one asset as a ``(n_dates, n_metrics)`` frame."""
    long = store.read_table("onchain", start=start, end=end, asset_id=asset.upper())
    _need(long, f"on-chain metrics for {asset}", "fetch Coin Metrics or import an on-chain file.")
    wide = long.pivot(index="date", columns="metric", values="value").astype(float).sort_index()
    wide.columns.name = "metric"
    wide.attrs["sources"] = _sources(long)
    return wide


def macro_from_store(
    store: Store, series_ids: Sequence[str], *, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Macro series as a ``(n_dates, n_series)`` frame in FRED native units (not filled)."""
    ids = [s.upper() for s in series_ids]
    long = store.read_table("macro", start=start, end=end, series_id=ids)
    _need(long, f"macro series {ids}", "fetch them ('altseason fetch fred').")
    wide = long.pivot(index="date", columns="series_id", values="value").astype(float).sort_index()
    wide = wide.reindex(columns=ids)
    wide.attrs["sources"] = _sources(long)
    return wide


def sentiment_from_store(
    store: Store, index_id: str = "fear_greed", *, start: Any = None, end: Any = None
) -> pd.Series:
    """One sentiment index as a Series of values by date."""
    long = store.read_table("sentiment", start=start, end=end, index_id=index_id)
    _need(long, f"sentiment index {index_id!r}", "fetch alternative.me or import a file.")
    s = long.set_index("date")["value"].astype(float).sort_index()
    s.name = index_id
    s.attrs["sources"] = _sources(long)
    return s


def events_from_store(
    store: Store, *, category: str | None = None, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Rows of the ``events`` table (``event_id, date, title, category, ...``)."""
    frame = store.read_table("events", start=start, end=end, category=category)
    _need(frame, "events", "load the regulatory calendar or import an events file.")
    frame.attrs["sources"] = _sources(frame)
    return frame


def support_from_store(
    store: Store, asset: str = "BTC", *, start: Any = None, end: Any = None
) -> tuple[pd.DataFrame, CostBasis | None]:
    """Support bands of one asset from whatever the store holds.

    Realized price comes from the ``realized_price_usd`` metric, else
    ``realized_cap_usd / supply``, else ``close / mvrv``; the ETF cost basis
    from the asset's ETF flows when there are any; the 200-week average from
    the closes (read from the start of history so it is defined at ``start``).

    Returns
    -------
    (DataFrame, CostBasis or None)
        :func:`support_bands` output from ``start`` (``attrs["sources"]`` lists
        every table's sources), and the ETF cost-basis result when flows exist.
    """
    close = close_from_store(store, asset, end=end)
    sources = set(close.attrs.get("sources", []))
    realized = None
    try:
        onchain = onchain_from_store(store, asset, end=end)
    except DataUnavailableError:
        onchain = None
    if onchain is not None:
        sources |= set(onchain.attrs.get("sources", []))
        if "realized_price_usd" in onchain.columns:
            realized = onchain["realized_price_usd"]
        elif {"realized_cap_usd", "supply"} <= set(onchain.columns):
            realized = realized_price(onchain["realized_cap_usd"], onchain["supply"])
        elif "mvrv" in onchain.columns:
            px = close.reindex(onchain.index)
            realized = realized_price_from_mvrv(px, onchain["mvrv"])
    cb: CostBasis | None = None
    etf = None
    try:
        flows = etf_flows_from_store(store, underlying=asset, end=end)
    except DataUnavailableError:
        flows = None
    if flows is not None and flows.index[0] >= close.index[0]:
        cb = holders_cost_basis(flows, close)
        etf = cb.aggregate["cost_basis"]
        sources |= set(flows.attrs.get("sources", []))
    bands = support_bands(close, realized=realized, etf_cost_basis=etf)
    if start is not None:
        bands = bands.loc[pd.Timestamp(start) :]
    bands.attrs["sources"] = sorted(sources)
    return bands, cb


def capitulation_from_store(
    store: Store,
    asset: str = "BTC",
    *,
    start: Any = None,
    end: Any = None,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The capitulation score of one asset from all five components the store can give.

    Inputs: closes and ``volume_usd`` from ``prices``; Fear & Greed from
    ``sentiment``; the asset's daily funding (venues averaged, see
    :func:`daily_funding`) from ``funding``; MVRV from the ``mvrv`` on-chain
    metric, else ``market_cap_usd / realized_cap_usd``, else ``close /
    realized_price_usd``. Everything is read from the start of history (the
    365-day high and the 30-day volume mean need it) and cut to
    ``[start, end]`` afterwards.

    Returns
    -------
    DataFrame
        :func:`capitulation_score` output; ``attrs["sources"]`` lists the
        sources read, ``attrs["missing_reasons"]`` maps each component the
        store could not give to the reason (the per-day ``missing`` column
        names the components absent on that day).
    """
    asset = asset.upper()
    close = close_from_store(store, asset, end=end)
    sources = set(close.attrs.get("sources", []))
    reasons: dict[str, str] = {}
    inputs: dict[str, pd.Series | None] = {}
    try:
        vol = close_from_store(store, asset, field="volume_usd", end=end)
        sources |= set(vol.attrs.get("sources", []))
        inputs["volume"] = vol
    except DataUnavailableError as exc:
        reasons["volume_surge"] = str(exc)
    try:
        fg = sentiment_from_store(store, "fear_greed", end=end)
        sources |= set(fg.attrs.get("sources", []))
        inputs["fear_greed"] = fg
    except DataUnavailableError as exc:
        reasons["fear_greed"] = str(exc)
    try:
        fund = funding_from_store(store, assets=[asset], end=end)
        daily = daily_funding(fund, assets=[asset])
        sources |= set(fund.attrs.get("sources", []))
        inputs["funding"] = daily[asset] if asset in daily.columns else None
        if inputs["funding"] is None:
            reasons["funding"] = f"the store has no funding rates for {asset}"
    except DataUnavailableError as exc:
        reasons["funding"] = str(exc)
    try:
        onchain = onchain_from_store(store, asset, end=end)
        mv: pd.Series | None = None
        if "mvrv" in onchain.columns:
            mv = onchain["mvrv"]
        elif {"market_cap_usd", "realized_cap_usd"} <= set(onchain.columns):
            mv = onchain["market_cap_usd"] / onchain["realized_cap_usd"]
        elif "realized_price_usd" in onchain.columns:
            mv = close.reindex(onchain.index) / onchain["realized_price_usd"]
        if mv is None or mv.dropna().empty:
            reasons["mvrv"] = (
                f"the on-chain metrics of {asset} have neither mvrv, realized_cap_usd "
                "nor realized_price_usd"
            )
        else:
            inputs["mvrv"] = mv
            sources |= set(onchain.attrs.get("sources", []))
    except DataUnavailableError as exc:
        reasons["mvrv"] = str(exc)
    out = capitulation_score(
        close,
        volume=inputs.get("volume"),
        fear_greed=inputs.get("fear_greed"),
        funding=inputs.get("funding"),
        mvrv=inputs.get("mvrv"),
        weights=weights,
    )
    if start is not None:
        out = out.loc[pd.Timestamp(start) :]
    out.attrs["sources"] = sorted(sources)
    out.attrs["missing_reasons"] = reasons
    return out


def market_returns_from_store(store: Store, market: str = "TOTAL", *, end: Any = None) -> pd.Series:
    """Daily simple returns of an event study's market: an asset id, or ``TOTAL``.

    ``TOTAL`` is the total-market index of the divergence analysis
    (:func:`altseason.analytics.market_index`: daily closes, capped
    cap-weighted with market caps known at each monthly reconstitution,
    stablecoins, wrapped and staked tokens left out), so sparse market caps
    (monthly snapshots) still give daily market returns.
    """
    if market.upper() == "TOTAL":
        from altseason.analytics._indices import market_index
        from altseason.universe import load_market

        m = load_market(store, end=end)
        if m.market_cap.empty or not m.market_cap.notna().to_numpy().any():
            raise DataUnavailableError("no market caps in the store for the TOTAL market.")
        sectors = m.assets["sector"].where(m.assets["excluded"].isna(), "stablecoin")
        level = market_index(
            m.close, weighting="cap", market_cap=m.market_cap, sectors=sectors
        ).level
        return level.pct_change(fill_method=None).rename("TOTAL")
    return close_from_store(store, market, end=end).pct_change()


EVENT_STUDY_METHOD = (
    "analytics.event_study: market model fitted on days [-120, -11]; "
    "CAR of the asset's daily returns over [-5, +5] and [0, +20]; t-statistics with "
    "the estimation-error variance (CLM), overlap-adjusted (Kolari-Pynnonen BMP) and "
    "placebo p-values"
)
"""The method line every surface prints next to an event-study CAR."""


def event_study_from_store(
    store: Store,
    asset: str = "BTC",
    market: str | None = None,
    *,
    category: str | None = None,
    end: Any = None,
    n_placebo: int = 200,
    n_resamples: int = 2000,
) -> tuple[Any, str, list[str], bool]:
    """THE event study of the CLI (``altseason events``), the report and the API.

    ``asset`` against ``market`` (default ``TOTAL`` for BTC, else BTC) around
    the store's events up to ``end`` (the built-in calendar when the store has
    none), with :func:`altseason.analytics.event_study` defaults.

    Returns
    -------
    (EventStudy, market id, sources, built_in_events)
    """
    from altseason.analytics._events import default_events, event_study

    mkt = (market or ("TOTAL" if asset.upper() == "BTC" else "BTC")).upper()
    close = close_from_store(store, asset, end=end)
    sources = list(close.attrs.get("sources", []))
    built_in = False
    try:
        ev = events_from_store(store, category=category, end=end)
        sources += list(ev.attrs.get("sources", []))
    except DataUnavailableError:
        built_in = True
        ev = default_events()
        if end is not None:
            ev = ev.loc[pd.to_datetime(ev["date"]) <= pd.Timestamp(end)]
        if category is not None and "category" in ev.columns:
            ev = ev.loc[ev["category"] == category]
    m = market_returns_from_store(store, mkt, end=end)
    res = event_study(
        close.pct_change(),
        m,
        ev,
        n_placebo=n_placebo,
        n_resamples=n_resamples,
        asset=asset.upper(),
        benchmark=mkt,
    )
    return res, mkt, sources, built_in
