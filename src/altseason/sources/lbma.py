"""Gold and silver: the LBMA benchmark prices, keyless -> ``macro`` GOLD, SILVER.

The London Bullion Market Association publishes its benchmark history as
open JSON files:

* ``https://prices.lbma.org.uk/json/gold_pm.json``: LBMA Gold Price PM
  (15:00 London), since 1968;
* ``https://prices.lbma.org.uk/json/silver.json``: LBMA Silver Price
  (12:00 London), since 1968.

Each is a list ``[{"d": "2024-01-02", "v": [usd, gbp, eur]}, ...]`` (US$ per
troy ounce first). A missing or zero USD value gives no row. The whole
history comes in one file; incremental runs keep the rows after the cursor.

Why not the others: FRED dropped its LBMA series in 2022
(``GOLDAMGBD228NLBM`` now answers 404) and Stooq's CSV download now needs an
API key or a browser challenge. LBMA itself sits behind Cloudflare and may
answer HTTP 403 to automated clients; then import COMEX futures or GLD/SLV
prices from files instead (``altseason import``).

Terms: LBMA prices are © ICE Benchmark Administration / LBMA; the public
history is free for personal research, not for redistribution.
"""

from __future__ import annotations

from collections.abc import Sequence
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

__all__ = ["SERIES", "Lbma", "transform_lbma"]

SERIES: dict[str, str] = {
    "GOLD": "https://prices.lbma.org.uk/json/gold_pm.json",
    "SILVER": "https://prices.lbma.org.uk/json/silver.json",
}


@parses_payload("lbma", "the price list")
def transform_lbma(payload: Any, series_id: str, url: str) -> pd.DataFrame:
    """``macro`` rows (``date, series_id, value`` in US$/oz) from an LBMA JSON list."""
    if not isinstance(payload, list):
        raise SourceError(
            f"lbma: expected a JSON list of {{d, v}} entries, got {type(payload).__name__}.",
            url=url,
        )
    dates, values = [], []
    for i, entry in enumerate(payload):
        day = require(entry, "d", url=url, source="lbma", what=f"entry {i}")
        v = require(entry, "v", url=url, source="lbma", what=f"entry {i}")
        if not isinstance(v, list) or not v:
            raise SourceError(f"lbma: entry {i} field 'v' should be [usd, gbp, eur].", url=url)
        usd = to_float(v[0])
        if usd == usd and usd > 0:
            dates.append(pd.Timestamp(day))
            values.append(usd)
    frame = pd.DataFrame({"date": pd.DatetimeIndex(dates), "series_id": series_id, "value": values})
    return frame.drop_duplicates("date", keep="last").sort_values("date", ignore_index=True)


class Lbma(AdvisedConnector):
    """LBMA connector (dataset ``prices``); ``assets`` picks GOLD and/or SILVER."""

    name = "lbma"
    datasets = ("prices",)
    default_datasets = ("prices",)
    licence = "LBMA prices © ICE Benchmark Administration: personal research, no redistribution"
    rate_limit_per_minute = 12.0

    def fetch_prices(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or SERIES)]
        unknown = [a for a in chosen if a not in SERIES]
        if unknown:
            raise SourceError(f"lbma has {', '.join(SERIES)}, not {', '.join(unknown)}.")
        for i, sid in enumerate(chosen):
            start = self.resume_point(
                store,
                "prices",
                sid,
                since=since,
                default=pd.Timestamp("1968-01-01"),
                table="macro",
                series_id=sid,
            )
            payload, url = self.client.get_json(SERIES[sid], source=self.name)
            frame = transform_lbma(payload, sid, url)
            frame = frame[frame["date"] >= start]
            result.keys += 1
            if not frame.empty:
                self.write_batch(
                    store,
                    result,
                    key=sid,
                    tables={"macro": frame},
                    cursor=frame["date"].max().date().isoformat(),
                )
            self._progress(progress, "prices", sid, i + 1, len(chosen))

    # ------------------------------------------------------------------ dry run
    def plan_prices(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        chosen = [a.upper() for a in (assets or SERIES)]
        return [
            self.planned("prices", SERIES[s], note="the whole history")
            for s in chosen
            if s in SERIES
        ]
