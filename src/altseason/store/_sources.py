"""Source identity and precedence: which source a resolved read takes.

Every source id has a *kind* (:func:`source_kind`), derived from the id alone
so that reads need no bookkeeping table and never depend on import order:

========================  ===================================================
kind                      sources
========================  ===================================================
``primary``               the publisher of the series: FRED, LBMA,
                          alternative.me, the Farside connector, their files
``etf_totals``            a published ETF totals table (Farside totals files)
``exchange_spot``         spot klines from an exchange (Binance, Coinbase),
                          a venue's own option chain (Deribit)
``exchange_perp``         perpetual-futures klines and funding (Bybit, ...)
``etf_by_fund``           a per-fund ETF flow file (its sum is not a published
                          total)
``onchain_vendor``        Coin Metrics (connector and files)
``ohlcv``                 daily OHLCV files of an unnamed venue (Yahoo, ...)
``aggregator``            CoinGecko, CoinMarketCap, Coinalyze
``derived``               series computed by someone from other series
``file``                  generic files mapped with ``--map``
``reference``             reference data (the event calendar, category maps)
``demo``                  the simulated demo market
========================  ===================================================

:data:`KIND_ORDER` is the default precedence (first wins). A preference list
(``Settings.prefer`` / ``ALTSEASON_PREFER``, and ``altseason import
--prefer``, recorded in the store) is consulted first: each entry is a source
id, a source-id prefix (``file:binance_klines``) or a kind. Ties are broken
by the source id, so the winner never depends on the order of imports.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["KINDS", "KIND_ORDER", "rank_sources", "source_kind"]

KIND_ORDER: tuple[str, ...] = (
    "primary",
    "etf_totals",
    "exchange_spot",
    "exchange_perp",
    "etf_by_fund",
    "onchain_vendor",
    "ohlcv",
    "aggregator",
    "derived",
    "file",
    "reference",
    "demo",
)
KINDS = frozenset(KIND_ORDER)

_CONNECTOR_KINDS = {
    "fred": "primary",
    "lbma": "primary",
    "alternative_me": "primary",
    "farside": "primary",
    "binance": "exchange_spot",
    "deribit": "exchange_spot",
    "coinmetrics": "onchain_vendor",
    "coingecko": "aggregator",
    "calendar": "reference",
    "demo": "demo",
}
_FORMAT_KINDS = {
    "fred_series": "primary",
    "fear_greed": "primary",
    "farside_totals": "etf_totals",
    "farside_totals_dmy": "etf_totals",
    "binance_klines": "exchange_spot",
    "coinbase_ohlcv": "exchange_spot",
    "deribit_heston": "exchange_spot",
    "deribit_instruments": "exchange_spot",
    "deribit_summary": "exchange_spot",
    "deribit_quotes": "exchange_spot",
    "bybit_klines": "exchange_perp",
    "funding_daily": "exchange_perp",
    "farside_wide": "etf_by_fund",
    "etf_flows_json": "etf_by_fund",
    "coinmetrics_daily": "onchain_vendor",
    "ohlcv_daily": "ohlcv",
    "yahoo_daily": "ohlcv",
    "cmc_snapshots": "aggregator",
    "cmc_historical": "aggregator",
    "coingecko_prices_json": "aggregator",
    "coingecko_bundle": "aggregator",
    "coinalyze_funding": "aggregator",
    "coinalyze_oi": "aggregator",
    "category_map": "reference",
    "csv": "file",
    "parquet": "file",
}


def source_kind(source: str) -> str:
    """The kind of a source id (``file:<format>:<name>#<hash>``, a connector name, ...)."""
    s = str(source)
    if s.startswith("file:"):
        fmt = s.split(":", 2)[1] if s.count(":") >= 2 else ""
        if "derived" in s.lower():
            return "derived"
        return _FORMAT_KINDS.get(fmt, "file")
    base = s.split(":", 1)[0]
    if base in _CONNECTOR_KINDS:
        return _CONNECTOR_KINDS[base]
    if base.startswith("demo"):
        return "demo"
    return "file"


def _pref_index(source: str, kind: str, prefer: Sequence[str]) -> int:
    for i, p in enumerate(prefer):
        if p in (source, kind) or (p and source.startswith(p)):
            return i
    return len(prefer)


def rank_sources(sources: Sequence[str], prefer: Sequence[str] = ()) -> dict[str, int]:
    """``{source: rank}`` (0 = best) by preference, then :data:`KIND_ORDER`, then id."""
    order = {k: i for i, k in enumerate(KIND_ORDER)}

    def sort_key(s: str) -> tuple[int, int, str]:
        kind = source_kind(s)
        return (_pref_index(s, kind, prefer), order.get(kind, len(order)), s)

    return {s: i for i, s in enumerate(sorted(set(sources), key=sort_key))}
