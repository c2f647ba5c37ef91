"""CoinGecko API v3: the universe, daily price/cap/volume history and sectors.

Endpoints (https://docs.coingecko.com/reference/introduction)
-----------------------------------------------------------
``/coins/markets``
    ``vs_currency=usd&order=market_cap_desc&per_page=250&page=N``: one
    object per coin (``id``, ``symbol``, ``name``, ``market_cap``,
    ``market_cap_rank``, ``total_volume``, ...). Paged until ``top`` coins or
    an empty page. Gives the universe (symbol -> CoinGecko id, highest cap
    wins when symbols collide) and the ``assets`` rows.
``/coins/{id}/market_chart/range``
    ``vs_currency=usd&from=&to=`` (UNIX seconds): ``prices``,
    ``market_caps`` and ``total_volumes`` as ``[[ms, value], ...]``. Ranges
    longer than 90 days come back daily, stamped 00:00 UTC; the point at
    00:00 UTC on day D+1 is the close of day D (the store's convention,
    matching a Binance kline opened on D), so it is stored under date D.
    Intraday points (the running day) are dropped. The request always spans
    more than 90 days so the granularity is daily.
    Wrapped and bridged tokens and staked derivatives (WBTC, stETH, ...) are
    left out of the universe: they track another coin, so they would
    double-count its market cap. They are recognised by category (the members
    of :data:`EXCLUDED_CATEGORIES`, one ``/coins/markets?category=`` request
    each per run), with :data:`EXCLUDED_IDS` and
    :func:`altseason.universe.exclusion_reason` (by symbol) as the fallback when
    a category cannot be read. The run summary counts the coins left out.
    The supply fields (``circulating_supply``, ``total_supply``,
    ``max_supply``) are stored in ``onchain`` under the UTC date of
    ``last_updated`` (metrics ``circulating_supply``, ``total_supply``,
    ``max_supply``; coins). ``current_price``, ``market_cap`` and
    ``total_volume`` are rolling 24-hour figures of the running day, so they are
    *not* written as a ``prices`` row (a row there is a closed UTC day): the
    ``history`` dataset stores the daily ``market_cap_usd`` and ``volume_usd``.
    ``fully_diluted_valuation`` (price x max or total supply) has no column;
    it is derivable from the stored price and supply.
``/coins/categories/list`` and ``/coins/markets?category=``
    Category ids and names, then the coins of each category in
    :data:`CATEGORY_IDS`; a coin's category names give ``assets.sector`` through
    :func:`altseason.universe.sector_from_coingecko_categories` (the same rules
    as the CoinGecko bundle file reader).

Keys and limits
---------------
``COINGECKO_API_KEY`` with ``COINGECKO_API_PLAN=demo`` (header
``x-cg-demo-api-key`` on api.coingecko.com, about 30 calls/min) or ``pro``
(header ``x-cg-pro-api-key`` on pro-api.coingecko.com, 500 calls/min).
Without a key the public API allows roughly 10 calls/min. The public and
demo tiers only serve the last 365 days of history: older start dates are
clamped and the result carries a warning. A request reaching further back
is answered HTTP 401 with ``{"error": {"status": {"error_code": 10012,
"error_message": "Your request exceeds the allowed time range. ..."}}}``:
that raises a :class:`~altseason.exceptions.SourceError` naming the 365-day
limit and the choices (``--since`` inside the last year, a paid plan, or
importing older prices from files).

Licence: CoinGecko's terms require attribution ("Data provided by CoinGecko").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from altseason.exceptions import SourceError
from altseason.sources._advice import AdvisedConnector, PlannedRequest
from altseason.sources._connector import (
    FetchResult,
    ProgressCallback,
    parses_payload,
    require,
    to_float,
)
from altseason.store import Store
from altseason.universe import exclusion_reason, sector_from_coingecko_categories

__all__ = [
    "CATEGORY_IDS",
    "EXCLUDED_CATEGORIES",
    "EXCLUDED_IDS",
    "CoinGecko",
    "MarketCoin",
    "extract_markets",
    "transform_market_chart",
    "transform_markets_assets",
    "transform_markets_supply",
]

PUBLIC_URL = "https://api.coingecko.com/api/v3"
PRO_URL = "https://pro-api.coingecko.com/api/v3"
FREE_HISTORY_DAYS = 365
ATTRIBUTION = "Data provided by CoinGecko (https://www.coingecko.com)"

#: CoinGecko category ids whose members are fetched. A coin's sector comes from
#: the names of the categories it appears in, mapped by
#: :func:`altseason.universe.sector_from_coingecko_categories` (the one
#: category -> sector table, shared with the file reader).
CATEGORY_IDS: tuple[str, ...] = (
    "stablecoins",
    "centralized-exchange-token-cex",
    "exchange-based-tokens",
    "meme-token",
    "artificial-intelligence",
    "real-world-assets-rwa",
    "oracle",
    "layer-2",
    "liquid-staking-tokens",
    "decentralized-exchange",
    "lending-borrowing",
    "decentralized-finance-defi",
    "gaming",
    "socialfi",
    "privacy-coins",
    "layer-1",
)

#: Categories whose members track another coin and are left out of the universe.
EXCLUDED_CATEGORIES: tuple[str, ...] = (
    "wrapped-tokens",
    "bridged-tokens",
    "liquid-staking-tokens",
    "liquid-restaking-tokens",
    "tokenized-btc",
)
#: Fallback when a category cannot be read: well-known wrapped, bridged and staked ids.
EXCLUDED_IDS: frozenset[str] = frozenset(
    {
        "wrapped-bitcoin",
        "coinbase-wrapped-btc",
        "weth",
        "staked-ether",
        "wrapped-steth",
        "rocket-pool-eth",
        "coinbase-wrapped-staked-eth",
        "wrapped-eeth",
        "ether-fi-staked-eth",
        "mantle-staked-ether",
        "wrapped-beacon-eth",
        "kelp-dao-restaked-eth",
        "renzo-restaked-eth",
        "binance-staked-sol",
        "jito-staked-sol",
        "msol",
        "lombard-staked-btc",
        "solv-btc",
        "bitcoin-avalanche-bridged-btc-b",
    }
)
#: ``/coins/markets`` supply fields stored in ``onchain`` (coins).
SUPPLY_FIELDS: tuple[str, ...] = ("circulating_supply", "total_supply", "max_supply")

#: Coins whose sector the category list gets wrong (payment coins tagged L1).
SECTOR_OVERRIDES: dict[str, tuple[str, str]] = {
    "bitcoin": ("currency", "payments"),
    "litecoin": ("currency", "payments"),
    "bitcoin-cash": ("currency", "payments"),
    "ripple": ("currency", "payments"),
    "stellar": ("currency", "payments"),
}


@dataclass(frozen=True)
class MarketCoin:
    """One coin of the ``/coins/markets`` universe."""

    id: str
    asset_id: str
    name: str
    rank: int | None
    market_cap: float
    supply: tuple[float, float, float] = (float("nan"),) * 3
    last_updated: pd.Timestamp | None = None


@parses_payload("coingecko", "/coins/markets")
def extract_markets(payload: Any, url: str) -> list[MarketCoin]:
    """Coins of one ``/coins/markets`` page, checked for the fields we use."""
    if not isinstance(payload, list):
        raise SourceError(
            "coingecko: /coins/markets should return a JSON list of coins, got "
            f"{type(payload).__name__}.",
            url=url,
        )
    out = []
    for i, rec in enumerate(payload):
        what = f"coin {i} of /coins/markets"
        cid = require(rec, "id", url=url, source="coingecko", what=what)
        symbol = require(rec, "symbol", url=url, source="coingecko", what=what)
        name = require(rec, "name", url=url, source="coingecko", what=what)
        cap = require(rec, "market_cap", url=url, source="coingecko", what=what)
        rank = rec.get("market_cap_rank")
        updated = rec.get("last_updated")
        supply = tuple(to_float(rec.get(f)) for f in SUPPLY_FIELDS)
        out.append(
            MarketCoin(
                id=str(cid),
                asset_id=str(symbol).upper(),
                name=str(name),
                rank=int(rank) if rank is not None else None,
                market_cap=to_float(cap),
                supply=(supply[0], supply[1], supply[2]),
                last_updated=_utc(updated),
            )
        )
    return out


def _utc(value: Any) -> pd.Timestamp | None:
    """A naive UTC timestamp from an ISO string (``2024-01-11T13:07:21.811Z``), or None."""
    if not value:
        return None
    ts = pd.Timestamp(str(value))
    return ts.tz_convert(None) if ts.tzinfo is not None else ts


def transform_markets_supply(coins: Sequence[MarketCoin]) -> pd.DataFrame:
    """``onchain`` rows (``circulating_supply``, ``total_supply``, ``max_supply``;
    coins) dated by each coin's ``last_updated`` UTC day; missing values give no row."""
    records = [
        (c.last_updated.normalize(), c.asset_id, field, value)
        for c in coins
        if c.last_updated is not None
        for field, value in zip(SUPPLY_FIELDS, c.supply, strict=True)
        if value == value and value > 0
    ]
    return pd.DataFrame(records, columns=["date", "asset_id", "metric", "value"])


def transform_markets_assets(coins: Sequence[MarketCoin]) -> pd.DataFrame:
    """``assets`` rows (symbol, name) for the universe; sectors come from categories."""
    return pd.DataFrame(
        {
            "asset_id": [c.asset_id for c in coins],
            "symbol": [c.asset_id for c in coins],
            "name": [c.name for c in coins],
        }
    )


@parses_payload("coingecko", "market_chart/range")
def transform_market_chart(
    payload: Any, asset_id: str, url: str, *, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """``prices`` rows from a ``market_chart/range`` payload.

    Parameters
    ----------
    payload
        ``{"prices": [[ms, usd], ...], "market_caps": [...], "total_volumes": [...]}``.
    asset_id
        Upper-case symbol to store under.
    start, end
        Inclusive UTC dates to keep.

    Returns
    -------
    DataFrame
        ``asset_id, date, close, market_cap_usd, volume_usd`` for each day D
        whose 00:00 UTC point on D+1 is present; empty when none is.
    """
    series = {}
    for field, column in (
        ("prices", "close"),
        ("market_caps", "market_cap_usd"),
        ("total_volumes", "volume_usd"),
    ):
        arr = require(payload, field, url=url, source="coingecko", what="market_chart/range")
        if not isinstance(arr, list) or any(not isinstance(p, list) or len(p) < 2 for p in arr):
            raise SourceError(
                f"coingecko: {field!r} should be a list of [timestamp_ms, value] pairs.", url=url
            )
        ts = pd.to_datetime([p[0] for p in arr], unit="ms")
        vals = pd.Series([to_float(p[1]) for p in arr], index=ts, dtype=float)
        # Keep the first point of each day if it lies within the first hour
        # (the 00:00 UTC daily stamp); later intraday points are partial days.
        vals = vals[~vals.index.duplicated(keep="first")].sort_index()
        day = vals.index.normalize()
        first = ~pd.Index(day).duplicated(keep="first")
        near_midnight = (vals.index - day) < pd.Timedelta(hours=1)
        vals = vals[first & near_midnight]
        vals.index = vals.index.normalize() - pd.Timedelta(days=1)
        series[column] = vals
    frame = pd.DataFrame(series)
    frame = frame[(frame.index >= start) & (frame.index <= end)]
    frame = frame[frame["close"].notna()]
    frame.index.name = "date"
    frame = frame.reset_index()
    frame.insert(0, "asset_id", asset_id)
    return frame


def _derivative_reason(coin: MarketCoin, by_category: dict[str, str]) -> str | None:
    """Why ``coin`` tracks another coin (category, known id or symbol), or ``None``."""
    if coin.id in by_category:
        return f"category {by_category[coin.id]}"
    if coin.id in EXCLUDED_IDS:
        return "known wrapped/staked id"
    why = exclusion_reason(coin.asset_id)
    if why in ("wrapped", "staked"):
        return f"{why} token symbol"
    return None


class CoinGecko(AdvisedConnector):
    """CoinGecko connector.

    Datasets: ``markets`` (universe -> ``assets``), ``history`` (daily
    ``prices``: close, market cap, volume) and ``categories`` (sectors).

    Parameters
    ----------
    top
        Size of the universe read from ``/coins/markets`` (by market cap).
    history_start
        First date fetched when nothing is stored yet.
    per_page
        Coins per ``/coins/markets`` page (the API allows up to 250).
    """

    name = "coingecko"
    datasets = ("markets", "history", "categories")
    default_datasets = ("markets", "history", "categories")
    licence = ATTRIBUTION

    def __init__(
        self,
        *args: Any,
        top: int = 100,
        history_start: str = "2013-04-28",
        per_page: int = 250,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.top = top
        self.per_page = per_page
        self.history_start = pd.Timestamp(history_start)
        self._universe: list[MarketCoin] | None = None
        #: Coins of the top list left out as wrapped/bridged or staked, with the reason.
        self.left_out: list[tuple[MarketCoin, str]] = []
        self.category_warnings: list[str] = []
        if self.settings is not None:
            self.client.add_secret(self.settings.coingecko_api_key)

    # ------------------------------------------------------------------ query
    @property
    def plan(self) -> str:
        """``public`` (no key), ``demo`` or ``pro``."""
        if self.settings is None or not self.settings.coingecko_api_key:
            return "public"
        return self.settings.coingecko_plan

    def rate_per_minute(self) -> float:
        return {"public": 10.0, "demo": 30.0, "pro": 500.0}[self.plan]

    @property
    def base_url(self) -> str:
        return PRO_URL if self.plan == "pro" else PUBLIC_URL

    def _headers(self) -> dict[str, str]:
        if self.plan == "public" or self.settings is None:
            return {}
        key = self.settings.coingecko_api_key or ""
        header = "x-cg-pro-api-key" if self.plan == "pro" else "x-cg-demo-api-key"
        return {header: key}

    def _get(self, path: str, params: dict[str, Any]) -> tuple[Any, str]:
        try:
            return self.client.get_json(
                f"{self.base_url}{path}", source=self.name, params=params, headers=self._headers()
            )
        except SourceError as exc:
            if exc.status == 401 and "10012" in str(exc):
                raise SourceError(
                    f"coingecko refused the date range (error 10012): the {self.plan} plan "
                    f"serves only the last {FREE_HISTORY_DAYS} days of history. Fetch with "
                    f"--since inside the last {FREE_HISTORY_DAYS} days, set COINGECKO_API_KEY "
                    "with COINGECKO_API_PLAN=pro (a paid plan) for full history, or import "
                    "older prices from files with 'altseason import'. If your key is a demo "
                    "key, set COINGECKO_API_PLAN=demo so the connector clamps the range.",
                    url=exc.url,
                    status=exc.status,
                ) from exc
            raise

    # ------------------------------------------------------------------ datasets
    def universe(self, progress: ProgressCallback | None = None) -> list[MarketCoin]:
        """The top coins by market cap, one per upper-case symbol (largest cap
        wins), without wrapped/bridged tokens and staked derivatives."""
        if self._universe is not None:
            return self._universe
        excluded = self._excluded_ids()
        coins: list[MarketCoin] = []
        per_page = min(self.per_page, 250, max(self.top, 1))
        page = 1
        guard = self.client.pages(self.name, "coins/markets")
        while len(coins) < self.top:
            guard.visit("/coins/markets", {"page": page})
            payload, url = self._get(
                "/coins/markets",
                {
                    "vs_currency": "usd",
                    "order": "market_cap_desc",
                    "per_page": per_page,
                    "page": page,
                },
            )
            batch = extract_markets(payload, url)
            if not batch:
                break
            for coin in batch:
                reason = _derivative_reason(coin, excluded)
                if reason is None:
                    coins.append(coin)
                else:
                    self.left_out.append((coin, reason))
            self._progress(progress, "markets", f"page {page}", len(coins), self.top)
            if len(batch) < per_page:
                break
            page += 1
        seen: set[str] = set()
        unique = []
        for c in coins[: self.top]:
            if c.asset_id not in seen:
                seen.add(c.asset_id)
                unique.append(c)
        self._universe = unique
        return unique

    def _excluded_ids(self) -> dict[str, str]:
        """CoinGecko id -> category, for the members of :data:`EXCLUDED_CATEGORIES`."""
        out: dict[str, str] = {}
        for cid in EXCLUDED_CATEGORIES:
            try:
                members, url = self._get(
                    "/coins/markets",
                    {
                        "vs_currency": "usd",
                        "category": cid,
                        "order": "market_cap_desc",
                        "per_page": 250,
                        "page": 1,
                    },
                )
            except SourceError as exc:
                if exc.status not in (400, 404):
                    raise
                self.category_warnings.append(
                    f"CoinGecko category {cid!r} could not be read (HTTP {exc.status}); wrapped "
                    "and staked coins are recognised by known ids and symbols instead."
                )
                continue
            for coin in extract_markets(members, url):
                out.setdefault(coin.id, cid)
        return out

    def fetch_markets(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        coins = self.universe(progress)
        result.keys = len(coins)
        result.warnings.extend(self.category_warnings)
        for _coin, reason in self.left_out:
            result.skip(f"left out of the universe: {reason}")
        if self.left_out:
            names = ", ".join(c.asset_id for c, _ in self.left_out[:8])
            result.warnings.append(
                f"{len(self.left_out)} wrapped/bridged or staked coin(s) left out of the "
                f"universe ({names}{', ...' if len(self.left_out) > 8 else ''})."
            )
        tables = {"assets": transform_markets_assets(coins)}
        supply = transform_markets_supply(coins)
        if not supply.empty:
            tables["onchain"] = supply
        self.write_batch(store, result, key="universe", tables=tables, coalesce=True)

    def fetch_history(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        coins = self._selected(assets, result, progress)
        end = self.today - pd.Timedelta(days=1)  # last complete UTC day
        floor = None
        if self.plan in ("public", "demo"):
            floor = self.today - pd.Timedelta(days=FREE_HISTORY_DAYS - 1)
        clamped: list[str] = []
        for i, coin in enumerate(coins):
            start = self.resume_point(
                store,
                "history",
                coin.asset_id,
                since=since,
                default=self.history_start,
                table="prices",
                asset_id=coin.asset_id,
            )
            if floor is not None and start < floor:
                clamped.append(coin.asset_id)
                start = floor
            if start > end:
                self._progress(progress, "history", coin.asset_id, i + 1, len(coins), "up to date")
                continue
            # The point stamped 00:00 on D+1 closes day D; ask for > 90 days so
            # CoinGecko answers with daily granularity.
            to_ts = end + pd.Timedelta(days=1, hours=1)
            from_ts = min(start + pd.Timedelta(days=1), to_ts - pd.Timedelta(days=92))
            if floor is not None:
                from_ts = max(from_ts, floor)
            payload, url = self._get(
                f"/coins/{coin.id}/market_chart/range",
                {
                    "vs_currency": "usd",
                    "from": int(from_ts.timestamp()),
                    "to": int(to_ts.timestamp()),
                },
            )
            frame = transform_market_chart(payload, coin.asset_id, url, start=start, end=end)
            result.keys += 1
            if not frame.empty:
                self.write_batch(
                    store,
                    result,
                    key=coin.asset_id,
                    tables={"prices": frame},
                    cursor=frame["date"].max().date().isoformat(),
                    coalesce=True,
                )
            self._progress(progress, "history", coin.asset_id, i + 1, len(coins))
        if clamped:
            result.warnings.append(
                f"CoinGecko {self.plan} plan serves only the last {FREE_HISTORY_DAYS} days: "
                f"history of {len(clamped)} asset(s) ({', '.join(clamped[:5])}"
                f"{', ...' if len(clamped) > 5 else ''}) starts at {floor.date() if floor else ''}. "
                "Set COINGECKO_API_KEY with COINGECKO_API_PLAN=pro for full history, or "
                "import older prices from files."
            )

    def fetch_categories(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        coins = self._selected(assets, result, progress)
        by_id = {c.id: c for c in coins}
        payload, url = self._get("/coins/categories/list", {})
        if not isinstance(payload, list):
            raise SourceError("coingecko: /coins/categories/list should return a list.", url=url)
        names = {
            str(require(r, "category_id", url=url, source=self.name, what="a category")): str(
                require(r, "name", url=url, source=self.name, what="a category")
            )
            for r in payload
        }
        missing = [cid for cid in CATEGORY_IDS if cid not in names]
        if missing:
            result.warnings.append(
                f"CoinGecko no longer lists categories {', '.join(missing)}; their coins keep "
                "their stored sector."
            )
        member_of: dict[str, list[str]] = {}
        todo = [cid for cid in CATEGORY_IDS if cid in names]
        for i, cid in enumerate(todo):
            members, murl = self._get(
                "/coins/markets",
                {
                    "vs_currency": "usd",
                    "category": cid,
                    "order": "market_cap_desc",
                    "per_page": 250,
                    "page": 1,
                },
            )
            for coin in extract_markets(members, murl):
                if coin.id in by_id:
                    member_of.setdefault(coin.id, []).append(names[cid])
            self._progress(progress, "categories", cid, i + 1, len(todo))
        assigned: dict[str, tuple[str, str | None]] = {}
        for coin_id, cats in member_of.items():
            pair = sector_from_coingecko_categories(cats)
            if pair is not None:
                assigned[coin_id] = pair
        for cid, pair in SECTOR_OVERRIDES.items():
            if cid in by_id:
                assigned[cid] = pair
        rows = [
            {
                "asset_id": by_id[cid].asset_id,
                "symbol": by_id[cid].asset_id,
                "name": by_id[cid].name,
                "sector": sector,
                "subsector": sub,
                "is_stablecoin": sector == "stablecoin",
            }
            for cid, (sector, sub) in assigned.items()
        ]
        result.keys = len(rows)
        if rows:
            self.write_batch(
                store, result, key="sectors", tables={"assets": pd.DataFrame(rows)}, coalesce=True
            )

    def _selected(
        self, assets: Sequence[str] | None, result: FetchResult, progress: ProgressCallback | None
    ) -> list[MarketCoin]:
        coins = self.universe(progress)
        if assets is None:
            return coins
        wanted = [a.upper() for a in assets]
        have = {c.asset_id: c for c in coins}
        absent = [a for a in wanted if a not in have]
        for a in absent:
            why = next((r for c, r in self.left_out if c.asset_id == a), None)
            result.skip(
                f"{a}: left out of the universe ({why})"
                if why
                else f"{a}: not in the top {self.top}"
            )
        if absent:
            result.warnings.append(
                f"{', '.join(absent)} not in CoinGecko's top {self.top} by market cap; skipped."
            )
        return [have[a] for a in wanted if a in have]

    # ------------------------------------------------------------------ dry run
    def _planned_universe(self, dataset: str) -> list[PlannedRequest]:
        out = [
            self.planned(
                dataset,
                f"{self.base_url}/coins/markets",
                {
                    "vs_currency": "usd",
                    "category": cid,
                    "order": "market_cap_desc",
                    "per_page": 250,
                    "page": 1,
                },
                headers=self._headers(),
                note="members are left out of the universe",
            )
            for cid in EXCLUDED_CATEGORIES
        ]
        per_page = min(self.per_page, 250, max(self.top, 1))
        out.append(
            self.planned(
                dataset,
                f"{self.base_url}/coins/markets",
                {"vs_currency": "usd", "order": "market_cap_desc", "per_page": per_page, "page": 1},
                headers=self._headers(),
                note=f"pages until {self.top} coins (once per run, shared by the datasets)",
            )
        )
        return out

    def plan_markets(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        return self._planned_universe("markets")

    def plan_history(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        end = self.today - pd.Timedelta(days=1)
        floor = None
        if self.plan in ("public", "demo"):
            floor = self.today - pd.Timedelta(days=FREE_HISTORY_DAYS - 1)
        names = [a.upper() for a in assets] if assets else ["{symbol}"]
        out = []
        for asset in names:
            start = self.resume_point(
                store,
                "history",
                asset,
                since=since,
                default=self.history_start,
                table="prices",
                asset_id=asset,
            )
            notes = ["one per coin of the universe"] if asset == "{symbol}" else []
            if floor is not None and start < floor:
                start = floor
                notes.append(
                    f"start clamped to the {self.plan} plan's last {FREE_HISTORY_DAYS} days"
                )
            if start > end:
                continue
            to_ts = end + pd.Timedelta(days=1, hours=1)
            from_ts = min(start + pd.Timedelta(days=1), to_ts - pd.Timedelta(days=92))
            if floor is not None:
                from_ts = max(from_ts, floor)
            cid = "{id}" if asset == "{symbol}" else f"{{id of {asset}}}"
            out.append(
                self.planned(
                    "history",
                    f"{self.base_url}/coins/{cid}/market_chart/range",
                    {
                        "vs_currency": "usd",
                        "from": int(from_ts.timestamp()),
                        "to": int(to_ts.timestamp()),
                    },
                    headers=self._headers(),
                    note="; ".join(notes),
                )
            )
        return out

    def plan_categories(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        out = [
            self.planned(
                "categories",
                f"{self.base_url}/coins/categories/list",
                headers=self._headers(),
            )
        ]
        out.extend(
            self.planned(
                "categories",
                f"{self.base_url}/coins/markets",
                {
                    "vs_currency": "usd",
                    "category": cid,
                    "order": "market_cap_desc",
                    "per_page": 250,
                    "page": 1,
                },
                headers=self._headers(),
            )
            for cid in CATEGORY_IDS
        )
        return out
