"""Domain rules every stored row obeys, applied on every ingest path.

:meth:`Store.ingest` runs :func:`apply_rules` on each batch, whoever sends it
(file imports, every connector, the demo writer, tests), so no path can skip
them; :func:`altseason.store.check_store` runs :func:`rule_violations` over
the stored tables with the same definitions. File readers run stricter checks
of their own first (:mod:`altseason.sources._validate`, with file lines).

Rules (a row breaking one is rejected, with its reason, into ``rejects``):

* every DOUBLE value is finite (NaN means "no value"; ``inf`` is an error);
* prices: open, high, low, close > 0; volume and market cap >= 0; high >= low;
* options: strike and underlying price > 0; open interest, mark price, volume
  >= 0; mark_iv in (0, 5] (a decimal: 5 = 500 %);
* funding: ``|rate| <= 0.1`` per interval (above every venue's cap), open
  interest >= 0;
* ETF flows: holdings and AUM >= 0, ``|flow| <= 1e11`` USD per fund-day;
* on-chain: MVRV, realized cap/price, supply, market cap and price > 0;
* sentiment: Fear & Greed (``fear_greed``) within 0-100;
* dates: not after tomorrow (UTC) and not before the dataset's floor
  (:data:`DATE_FLOORS`, e.g. prices from 2009-01-03, the genesis block).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from altseason._lazy import LazyModule

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: 'altseason status' needs neither (start-up time)
    np = LazyModule("numpy")
    pd = LazyModule("pandas")

from altseason.store._schema import TABLES

__all__ = [
    "DATE_FLOORS",
    "FUNDING_BOUND",
    "IV_BOUNDS",
    "apply_rules",
    "row_reasons",
    "rule_violations",
]

#: Earliest plausible date per dataset.
DATE_FLOORS: dict[str, str] = {
    "prices": "2009-01-03",
    "etf_flows": "2004-11-18",
    "options": "2014-01-01",
    "funding": "2016-01-01",
    "onchain": "2009-01-03",
    "macro": "1800-01-01",
    "sentiment": "2009-01-03",
    "events": "2008-01-01",
}
#: Open interval (low, high] of an option's mark_iv (decimal).
IV_BOUNDS = (0.0, 5.0)
#: Largest absolute funding rate per interval (decimal).
FUNDING_BOUND = 0.1
_FLOW_BOUND = 1e11
_FEAR_GREED = ("fear_greed", 0.0, 100.0)

_POSITIVE: dict[str, tuple[str, ...]] = {
    "prices": ("open", "high", "low", "close"),
    "options": ("strike", "underlying_price"),
}
_NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "prices": ("volume_usd", "market_cap_usd"),
    "options": ("open_interest", "mark_price", "volume"),
    "funding": ("open_interest_usd", "interval_hours"),
    "etf_flows": ("holdings_units", "aum_usd"),
}
_POSITIVE_METRICS = (
    "mvrv",
    "realized_cap_usd",
    "realized_price_usd",
    "market_cap_usd",
    "supply",
    "price_usd",
)


def row_reasons(table: str, frame: pd.DataFrame, today: pd.Timestamp) -> pd.Series:
    """One reason per bad row (None when the row is fine); first rule broken wins."""
    spec = TABLES[table]
    n = len(frame)
    reason = np.full(n, None, dtype=object)
    cache: dict[str, np.ndarray] = {}

    def num(col: str) -> np.ndarray:
        if col not in cache:
            s = frame[col]
            if pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s):
                cache[col] = s.to_numpy(dtype="float64", na_value=np.nan)
            else:
                cache[col] = pd.to_numeric(s, errors="coerce").to_numpy(
                    dtype="float64", na_value=np.nan
                )
        return cache[col]

    def mark(mask: np.ndarray, text: str | np.ndarray) -> None:
        m = np.array(mask, dtype=bool)  # a copy: the input may be a read-only view
        if not m.any():
            return
        m &= pd.isna(reason)
        if m.any():
            reason[m] = text[m] if isinstance(text, np.ndarray) else text

    with np.errstate(invalid="ignore"):
        for col in spec.columns:
            if col.type == "DOUBLE" and col.name in frame.columns:
                mark(np.isinf(num(col.name)), f"{col.name} is not a finite number")
        for name in _POSITIVE.get(table, ()):
            if name in frame.columns:
                mark(num(name) <= 0, f"{name} must be > 0")
        for name in _NON_NEGATIVE.get(table, ()):
            if name in frame.columns:
                mark(num(name) < 0, f"{name} must be >= 0")
        if table == "prices" and {"high", "low"} <= set(frame.columns):
            mark(num("high") < num("low"), "high is below low")
        if table == "options" and "mark_iv" in frame.columns:
            iv = num("mark_iv")
            lo, hi = IV_BOUNDS
            mark((iv <= lo) | (iv > hi), f"mark_iv outside ({lo:g}, {hi:g}]")
        if table == "funding" and "rate" in frame.columns:
            mark(
                np.abs(num("rate")) > FUNDING_BOUND,
                f"funding rate beyond +/-{FUNDING_BOUND:g} per interval (a percentage?)",
            )
        if table == "etf_flows" and "flow_usd" in frame.columns:
            mark(
                np.abs(num("flow_usd")) > _FLOW_BOUND, f"ETF flow beyond US${_FLOW_BOUND:.0e} a day"
            )
        if table == "onchain" and {"metric", "value"} <= set(frame.columns):
            metric = frame["metric"].astype(str).to_numpy()
            bad = np.isin(metric, _POSITIVE_METRICS) & (num("value") <= 0)
            mark(bad, np.array([f"on-chain {m} must be > 0" for m in metric], dtype=object))
        if table == "sentiment" and {"index_id", "value"} <= set(frame.columns):
            name, lo, hi = _FEAR_GREED
            v = num("value")
            bad = (frame["index_id"].to_numpy() == name) & ((v < lo) | (v > hi))
            mark(bad, f"Fear & Greed outside {lo:g}-{hi:g}")
    date_col = spec.date_column
    if date_col and date_col in frame.columns:
        when = frame[date_col]
        if not pd.api.types.is_datetime64_any_dtype(when):
            when = pd.to_datetime(when, errors="coerce")
        limit = today.normalize() + pd.Timedelta(days=2)  # after tomorrow
        mark(
            (when >= limit).to_numpy(dtype=bool, na_value=False),
            f"{date_col} is after tomorrow (UTC)",
        )
        floor = pd.Timestamp(DATE_FLOORS.get(table, "1800-01-01"))
        mark(
            (when < floor).to_numpy(dtype=bool, na_value=False),
            f"{date_col} is before {floor.date()}, the {table} floor",
        )
    return pd.Series(reason, index=frame.index, dtype=object)


def _raw(row: pd.Series) -> str:
    def conv(v: Any) -> Any:
        if isinstance(v, (pd.Timestamp, dt.date)):
            return str(v)
        if isinstance(v, float) and not np.isfinite(v):
            return None if np.isnan(v) else str(v)
        if isinstance(v, np.generic):
            return v.item()
        return v

    return json.dumps({str(k): conv(v) for k, v in row.items()}, default=str)


def apply_rules(
    table: str, frame: pd.DataFrame, *, source: str, today: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Split a batch into rows that obey the rules and rejected rows.

    Returns
    -------
    clean, rejected
        The good rows (same columns) and ``[(reason, location, raw_json)]``
        for each rejected row; ``location`` names the source and table.
    """
    if frame.empty or table not in TABLES:
        return frame, []
    ref = pd.Timestamp(today) if today is not None else pd.Timestamp.now("UTC").tz_localize(None)
    reason = row_reasons(table, frame, ref)
    bad = reason.notna()
    if not bad.any():
        return frame, []
    rejected = [
        (str(reason[i]), f"{source} ({table})", _raw(frame.loc[i])) for i in frame.index[bad]
    ]
    return frame[~bad], rejected


def rule_violations(
    table: str, frame: pd.DataFrame, today: pd.Timestamp | None = None
) -> dict[str, int]:
    """``{reason: rows}`` for the stored rows of ``table`` that break a rule."""
    if frame.empty:
        return {}
    ref = pd.Timestamp(today) if today is not None else pd.Timestamp.now("UTC").tz_localize(None)
    reason = row_reasons(table, frame, ref)
    return {str(k): int(v) for k, v in reason.dropna().value_counts().items()}
