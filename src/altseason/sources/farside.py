"""Farside Investors spot ETF flow tables (BTC, ETH, SOL) -> ``etf_flows``.

Pages (HTML, the full history on one page each):
``https://farside.co.uk/bitcoin-etf-flow-all-data/``,
``https://farside.co.uk/ethereum-etf-flow-all-data/`` and
``https://farside.co.uk/sol/`` (the Solana table, history since the first
US spot SOL ETF in October 2025). The ``/btc/`` and ``/eth/`` pages hold
only recent weeks in the same layout.

The flow table (``<table class="etf">``) has a header of issuer names, a row
of fund tickers ending in ``Total``, a ``Fee`` row, then one row per US
trading day with the date as ``11 Jan 2024`` and net flows in US$ millions
per fund, each cell wrapped in ``<span class="tabletext">``:
``<span class="redFont">(12.3)</span>`` is an outflow of 12.3, ``-`` means no
data (fund not launched, market holiday), ``1,205.2`` has a thousands
separator (a thin space ``1\u2009205.2`` too); non-breaking, thin and narrow
spaces around values are ignored. The footer rows (``Total``, ``Average``,
``Maximum``, ``Minimum``) and the ``Total`` column are dropped (the total is
the sum of the funds). Parsed with the standard library's
:mod:`html.parser`: no extra dependency.

Stored per fund: ``flow_usd`` in USD (millions x 1e6), ``underlying``
``BTC``/``ETH``/``SOL``. Farside revises the latest days, so each run
rewrites the last :attr:`Farside.revision_days` days before the cursor. The
run summary counts the days without any value and the cells that could not
be read (left out, never guessed).

Terms: Farside data is free to view; cite "Farside Investors". The site
sometimes refuses automated clients with HTTP 403: the error says so and
points to saving the table as CSV and loading it with ``altseason import``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from html.parser import HTMLParser

import pandas as pd

from altseason.exceptions import SourceError
from altseason.sources._advice import AdvisedConnector, PlannedRequest
from altseason.sources._connector import FetchResult, ProgressCallback, parses_payload
from altseason.store import Store

__all__ = ["PAGES", "Farside", "parse_farside_html", "parse_flow_cell"]

PAGES: dict[str, str] = {
    "BTC": "https://farside.co.uk/bitcoin-etf-flow-all-data/",
    "ETH": "https://farside.co.uk/ethereum-etf-flow-all-data/",
    "SOL": "https://farside.co.uk/sol/",
}
FOOTERS = frozenset({"total", "average", "maximum", "minimum"})
_TICKER = re.compile(r"^[A-Z][A-Z0-9]{1,5}$")
_NUMBER = re.compile(r"^\(?-?[0-9][0-9,]*(\.[0-9]+)?\)?$")


class _Tables(HTMLParser):
    """Collects every ``<table>`` as a list of rows of stripped cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._stack: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            if self._row:
                self._stack[-1].append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_flow_cell(text: str) -> float | None:
    """US$ millions from a Farside cell: ``(12.3)`` -> -12.3, ``-``/empty -> None."""
    t = "".join(text.replace("\u2212", "-").replace("$", "").split())
    if t in ("", "-", "–", "—", "n/a", "N/A"):
        return None
    if not _NUMBER.match(t):
        raise ValueError(f"not a flow value: {text!r}")
    negative = t.startswith("(") and t.endswith(")")
    value = float(t.strip("()").replace(",", ""))
    return -value if negative else value


def _parse_date(text: str) -> pd.Timestamp | None:
    t = " ".join(text.split())
    for fmt in ("%d %b %Y", "%d %B %Y", "%Y-%m-%d"):
        try:
            return pd.Timestamp(dt.datetime.strptime(t, fmt))
        except ValueError:
            continue
    return None


@parses_payload("farside", "the flow table")
def parse_farside_html(
    html: str, underlying: str, url: str = "", *, skipped: dict[str, int] | None = None
) -> pd.DataFrame:
    """``etf_flows`` rows from a Farside page.

    Returns
    -------
    DataFrame
        ``date, fund, underlying, flow_usd`` (USD), one row per fund and
        trading day with a value; sorted by date and fund.

    Raises
    ------
    SourceError
        If no table has dated rows under a header of fund tickers.

    A cell that is not a flow value is left out (never guessed) and counted
    in ``skipped`` by reason, as are days on which no fund has a value.
    """

    def note(reason: str) -> None:
        if skipped is not None:
            skipped[reason] = skipped.get(reason, 0) + 1

    parser = _Tables()
    parser.feed(html)
    parser.close()
    best: tuple[int, list[list[str]]] | None = None
    for table in parser.tables:
        dated = sum(1 for row in table if row and _parse_date(row[0]) is not None)
        if dated and (best is None or dated > best[0]):
            best = (dated, table)
    if best is None:
        raise SourceError(
            f"farside: no flow table with dated rows in the {underlying} page (the field "
            "'date' like '11 Jan 2024' is missing); the page layout changed or the site "
            "served a challenge page.",
            url=url,
        )
    table = best[1]
    header: list[str] | None = None
    records = []
    for row in table:
        day = _parse_date(row[0]) if row else None
        if day is None:
            tickers = [c for c in row[1:] if _TICKER.match(c)]
            if row and row[0].strip().lower() in FOOTERS and header is not None:
                continue
            if len(tickers) >= 2:
                header = row
            continue
        if header is None:
            raise SourceError(
                f"farside: dated rows before a header of fund tickers in the {underlying} "
                "table (field 'Total'/tickers missing).",
                url=url,
            )
        found = 0
        for col, fund in enumerate(header[1:], start=1):
            if not _TICKER.match(fund) or fund.lower() == "total" or col >= len(row):
                continue
            try:
                value = parse_flow_cell(row[col])
            except ValueError:
                note(f"unreadable {fund} cell: left out")
                continue
            if value is not None:
                found += 1
                records.append((day, fund, value * 1e6))
        if not found:
            note("day without any fund value ('-', e.g. a market holiday)")
    frame = pd.DataFrame(records, columns=["date", "fund", "flow_usd"])
    frame.insert(2, "underlying", underlying.upper())
    return frame.sort_values(["date", "fund"], ignore_index=True)


class Farside(AdvisedConnector):
    """Farside connector (dataset ``flows``); ``assets`` picks BTC, ETH and/or SOL."""

    name = "farside"
    datasets = ("flows",)
    default_datasets = ("flows",)
    licence = "Farside Investors ETF flow data: free to view, cite 'Farside Investors'"
    rate_limit_per_minute = 6.0
    revision_days = 14

    def fetch_flows(
        self,
        store: Store,
        result: FetchResult,
        *,
        since: pd.Timestamp | None,
        assets: Sequence[str] | None,
        progress: ProgressCallback | None,
    ) -> None:
        chosen = [a.upper() for a in (assets or PAGES)]
        unknown = [a for a in chosen if a not in PAGES]
        if unknown:
            raise SourceError(
                f"farside has flow tables for {', '.join(PAGES)}, not {', '.join(unknown)}."
            )
        for i, und in enumerate(chosen):
            start = self.resume_point(
                store,
                "flows",
                und,
                since=since,
                default=pd.Timestamp("2024-01-01"),
                table="etf_flows",
                underlying=und,
            )
            if since is None:
                start = start - pd.Timedelta(days=self.revision_days)
            html, url = self.client.get_text(PAGES[und], source=self.name)
            skipped: dict[str, int] = {}
            frame = parse_farside_html(html, und, url, skipped=skipped)
            for reason, n in skipped.items():
                result.skip(f"{und}: {reason}", n)
            frame = frame[frame["date"] >= start]
            result.keys += 1
            if not frame.empty:
                self.write_batch(
                    store,
                    result,
                    key=und,
                    tables={"etf_flows": frame},
                    cursor=frame["date"].max().date().isoformat(),
                )
            self._progress(progress, "flows", und, i + 1, len(chosen))

    # ------------------------------------------------------------------ dry run
    def plan_flows(
        self, store: Store, *, since: pd.Timestamp | None, assets: Sequence[str] | None
    ) -> list[PlannedRequest]:
        chosen = [a.upper() for a in (assets or PAGES)]
        return [self.planned("flows", PAGES[a], note="one HTML page") for a in chosen if a in PAGES]
