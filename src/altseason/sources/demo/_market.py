"""The simulated demo market: generate it (pure) and write it to a store.

The demo is a deterministic function of ``(seed, start, end, n_assets)``:
the same arguments give bit-identical frames on every machine with the same
NumPy. Each component draws from its own random stream
(``SeedSequence([seed, component])``), so changing one part of the model
does not reshuffle the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from altseason.exceptions import ValidationError
from altseason.labels import DEMO_LABEL, DEMO_SOURCE
from altseason.sources.calendar import regulatory_events
from altseason.sources.demo._context import simulate_fear_greed, simulate_macro, simulate_onchain
from altseason.sources.demo._derivatives import simulate_funding, simulate_options
from altseason.sources.demo._flows import simulate_etf_flows
from altseason.sources.demo._prices import PricePaths, simulate_prices
from altseason.sources.demo._regimes import regime_frame
from altseason.sources.demo._universe import build_universe
from altseason.store import IngestResult, Store

__all__ = [
    "DEFAULT_ASSETS",
    "DEFAULT_END",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "DEMO_DATASET",
    "DemoMarket",
    "ensure_demo",
    "generate_demo",
    "write_demo",
]

DEFAULT_SEED = 2021
"""Seed of the embedded default demo market."""
DEFAULT_START = pd.Timestamp("2019-01-01")
"""First UTC day of the default demo market."""
DEFAULT_END = pd.Timestamp("2026-10-31")
"""Last UTC day of the default demo market."""
DEFAULT_ASSETS = 180
"""Non-stable tokens (BTC and ETH included) in the default demo; plus 3 stablecoins."""
DEMO_DATASET = "demo:market"
"""The ``ingest_log`` dataset name of a demo write."""

Progress = Callable[[str], None]

_TABLES = ("assets", "prices", "etf_flows", "options", "funding", "onchain", "macro",
           "sentiment", "events")  # fmt: skip


@dataclass(frozen=True)
class DemoMarket:
    """A generated demo market: one frame per store table, plus the script.

    Every frame is in its table's shape (see ``altseason.store.TABLES``)
    without ``source``/``ingested_at``; :func:`write_demo` adds ``source =
    "demo"`` (events keep ``"calendar"``: they are real). ``regimes`` is the
    per-day regime script (not stored), handy to label charts and to test.
    """

    seed: int
    start: pd.Timestamp
    end: pd.Timestamp
    n_assets: int
    assets: pd.DataFrame
    prices: pd.DataFrame
    etf_flows: pd.DataFrame
    options: pd.DataFrame
    funding: pd.DataFrame
    onchain: pd.DataFrame
    macro: pd.DataFrame
    sentiment: pd.DataFrame
    events: pd.DataFrame
    regimes: pd.DataFrame = field(repr=False)
    label: str = DEMO_LABEL

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{table: frame}`` for every store table the demo fills."""
        return {name: getattr(self, name) for name in _TABLES}

    def summary(self) -> pd.DataFrame:
        """Rows and date range per table (index: table name)."""
        date_col = {"assets": "first_date", "options": "snapshot_ts", "funding": "ts"}
        rows = []
        for name, frame in self.tables().items():
            col = date_col.get(name, "date")
            dates = pd.to_datetime(frame[col]) if len(frame) else pd.Series(dtype="datetime64[ns]")
            rows.append({
                "table": name,
                "rows": len(frame),
                "from": dates.min() if len(frame) else pd.NaT,
                "to": dates.max() if len(frame) else pd.NaT,
            })  # fmt: skip
        return pd.DataFrame(rows).set_index("table")


def _stream(seed: int, component: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, component]))


def _check(seed: int, start: pd.Timestamp, end: pd.Timestamp, n_assets: int) -> None:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"demo seed must be a non-negative integer, got {seed!r}.")
    if end - start < pd.Timedelta(days=120):
        raise ValidationError(
            f"demo range {start.date()}..{end.date()} is too short: give at least 120 days "
            "(end after start)."
        )
    if n_assets < 20:
        raise ValidationError(
            f"demo needs at least 20 assets, got {n_assets}; use --assets 20 or more."
        )


def _long_prices(paths: PricePaths) -> pd.DataFrame:
    mask = ~np.isnan(paths.close)
    a_pos, d_pos = np.nonzero(mask.T)  # asset-major: rows sorted by (asset, date)
    return pd.DataFrame(
        {
            "asset_id": np.asarray(paths.assets)[a_pos],
            "date": paths.dates.to_numpy()[d_pos],
            "open": paths.open[d_pos, a_pos],
            "high": paths.high[d_pos, a_pos],
            "low": paths.low[d_pos, a_pos],
            "close": paths.close[d_pos, a_pos],
            "volume_usd": paths.volume[d_pos, a_pos],
            "market_cap_usd": paths.market_cap[d_pos, a_pos],
        }
    )


def _funding_assets(meta: pd.DataFrame, close: pd.DataFrame, cap: pd.DataFrame) -> list[str]:
    """BTC, ETH and eight surviving alts (largest at the end, plus AI/L2 leaders)."""
    alive_end = close.iloc[-1].notna()
    ok = (~meta["is_stablecoin"]) & meta["death_date"].isna() & alive_end.reindex(meta.index)
    ok &= ~meta.index.isin(["BTC", "ETH"])
    last_cap = cap.iloc[-1][ok[ok].index].sort_values(ascending=False)
    chosen = list(last_cap.index[:6])
    for sector in ("ai", "l2_scaling"):
        cand = [a for a in last_cap.index if meta.at[a, "sector"] == sector and a not in chosen]
        chosen += cand[:1]
    return ["BTC", "ETH", *chosen]


def generate_demo(
    seed: int = DEFAULT_SEED,
    start: str | pd.Timestamp = DEFAULT_START,
    end: str | pd.Timestamp = DEFAULT_END,
    n_assets: int = DEFAULT_ASSETS,
    *,
    progress: Progress | None = None,
) -> DemoMarket:
    """Generate the simulated demo market (pure: no store, no network, no clock).

    Parameters
    ----------
    seed
        Non-negative integer; the same seed gives bit-identical frames.
    start, end
        Inclusive UTC day range (default 2019-01-01 .. 2026-10-31).
    n_assets
        Non-stable tokens including BTC and ETH (default 180), plus three
        stablecoins. At least 20.
    progress
        Optional callback receiving a short message before each stage (the
        CLI shows it in a spinner).

    Returns
    -------
    DemoMarket
        One frame per store table. Everything in it is simulated (label
        "simulated demo market") except ``events``, the real calendar.

    Raises
    ------
    ValidationError
        For a negative seed, a range shorter than 120 days or fewer than 20 assets.
    """
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    _check(seed, start_ts, end_ts, n_assets)
    say = progress or (lambda _msg: None)
    dates = pd.date_range(start_ts, end_ts, freq="D")

    say("drawing the token universe")
    universe = build_universe(n_assets, _stream(seed, 0))
    say("simulating prices")
    paths = simulate_prices(dates, universe, _stream(seed, 1))
    close = paths.panel("close")
    cap = paths.panel("market_cap")
    prices = _long_prices(paths)

    traded = close.notna()
    has_rows = traded.any(axis=0)
    meta = universe.meta.loc[has_rows[has_rows].index]
    first = traded.idxmax(axis=0)[meta.index]
    last = traded[::-1].idxmax(axis=0)[meta.index]
    assets = pd.DataFrame({
        "asset_id": meta.index,
        "symbol": meta["symbol"].to_numpy(),
        "name": meta["name"].to_numpy(),
        "sector": meta["sector"].to_numpy(),
        "subsector": meta["subsector"].to_numpy(),
        "is_stablecoin": meta["is_stablecoin"].to_numpy(dtype=bool),
        "first_date": first.to_numpy(),
        "last_date": last.to_numpy(),
    })  # fmt: skip

    say("simulating ETF flows")
    etf = simulate_etf_flows(close[["BTC", "ETH"]], _stream(seed, 2))
    say("simulating perp funding")
    f_assets = _funding_assets(universe.meta, close, cap)
    funding, basis = simulate_funding(close, cap, f_assets, _stream(seed, 3))
    say("simulating option chains")
    options = simulate_options(close[["BTC", "ETH"]], basis[["BTC", "ETH"]], _stream(seed, 4))
    say("simulating on-chain, sentiment and macro")
    onchain = simulate_onchain(close[["BTC", "ETH"]], paths.panel("supply")[["BTC", "ETH"]])
    sentiment = simulate_fear_greed(close["BTC"], _stream(seed, 5))
    macro = simulate_macro(start_ts, end_ts, _stream(seed, 6))
    events = regulatory_events()
    sectors = sorted(set(universe.meta["sector"]))
    regimes = regime_frame(dates, sectors)
    return DemoMarket(
        seed=int(seed), start=start_ts, end=end_ts, n_assets=n_assets, assets=assets,
        prices=prices, etf_flows=etf, options=options, funding=funding, onchain=onchain,
        macro=macro, sentiment=sentiment, events=events, regimes=regimes,
    )  # fmt: skip


def write_demo(
    store: Store,
    seed: int = DEFAULT_SEED,
    start: str | pd.Timestamp = DEFAULT_START,
    end: str | pd.Timestamp = DEFAULT_END,
    n_assets: int = DEFAULT_ASSETS,
    *,
    market: DemoMarket | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Generate the demo market (or take ``market``) and write it in one ingest.

    Every row gets ``source = "demo"``. The real event calendar is not part
    of this ingest: every store carries it as reference data (``source =
    "calendar"``, :meth:`Store.ensure_reference_data`). The write is one
    atomic, idempotent ``store.ingest`` (dataset :data:`DEMO_DATASET`) and
    passes the store's domain rules like every other ingest path: writing the
    same demo twice changes nothing.

    Returns
    -------
    IngestResult
        Rows written per table.
    """
    if market is None:
        market = generate_demo(seed, start, end, n_assets, progress=progress)
    tables = {name: frame for name, frame in market.tables().items() if name != "events"}
    store.ensure_reference_data()
    if progress is not None:
        progress("writing to the store")
    return store.ingest(dataset=DEMO_DATASET, source=DEMO_SOURCE, tables=tables)


def ensure_demo(store: Store, *, progress: Progress | None = None) -> bool:
    """Seed the default demo market when the store holds no data.

    Returns
    -------
    bool
        True when the demo was written, False when the store already had data
        (then nothing is touched).
    """
    if not store.is_empty():
        return False
    write_demo(store, progress=progress)
    return True
