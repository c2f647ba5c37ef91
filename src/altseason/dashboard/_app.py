"""The FastAPI application behind ``altseason serve``.

Pages (HTML) and a JSON API per page over a read-only store. Charts are
Plotly figures sent as JSON and drawn by ``/static/app.js``: no inline
script, so the Content-Security-Policy can forbid it.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from altseason.dashboard._params import PAGES, PageParams, ParamError, parse_params, scope_note
from altseason.dashboard._plotly_static import plotly_css, plotly_style_guards
from altseason.dashboard._security import SecurityMiddleware
from altseason.exceptions import AltseasonError
from altseason.labels import DEMO_LABEL, is_demo
from altseason.store import PRICE_FIELDS, TABLES, Store, TableStatus
from altseason.store._store import DEFAULT_LOCK_TIMEOUT

_Signature = tuple[tuple[int, int], ...]


def store_signature(path: Path | None) -> _Signature:
    """(mtime_ns, size) of the store file and its write-ahead log: changes with every commit."""
    if path is None:
        return ()
    out = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
        except OSError:
            out.append((0, 0))
        else:
            out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


__all__ = ["PageBuilder", "create_app"]

_log = logging.getLogger(__name__)

PageBuilder = Callable[[Store, str, PageParams], dict[str, Any]]
"""``(store, page_id, params) -> {"findings": [...], "charts": [...], ...}``."""

_STATIC: dict[str, tuple[str, str]] = {
    "app.js": ("altseason.dashboard", "application/javascript"),
    "style.css": ("altseason.dashboard", "text/css"),
    "plotly.min.js": ("plotly", "application/javascript"),
    "plotly.css": ("plotly", "text/css"),
}


def _static_bytes(name: str) -> bytes:
    package, _ = _STATIC[name]
    if name == "plotly.css":
        return plotly_css().encode("utf-8")
    if package == "plotly":
        base = resources.files("plotly") / "package_data" / "plotly.min.js"
    else:
        base = resources.files(package) / "static" / name
    return base.read_bytes()


def _page_html(page: str, title: str, demo: bool) -> str:
    nav = "".join(
        f'<a href="/{pid}" class="{"active" if pid == page else ""}">{ptitle}</a>'
        for pid, ptitle in PAGES.items()
    )
    banner = (
        f'<div class="demo-banner">{DEMO_LABEL}: a deterministic simulation, not market data</div>'
        if demo
        else ""
    )
    note = scope_note(page)
    # a page that does not follow the selector shows it disabled, with the reason
    off = f' disabled title="{html.escape(note, quote=True)}"' if note else ""
    # plotly.js injects <style> elements unless these exist (see _plotly_static)
    guards = "".join(f'<template id="{g}"></template>' for g in plotly_style_guards())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>altseason · {title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/style.css">
<link id="plotly.js-style-global" class="no-inline-styles" rel="stylesheet" href="/static/plotly.css">
{guards}
<script src="/static/plotly.min.js" defer></script>
<script src="/static/app.js" defer></script>
</head>
<body data-page="{page}">
<header><span class="brand">altseason</span><nav>{nav}</nav></header>
{banner}
<main>
<h1>{title}</h1>
<form id="filters" class="filters" autocomplete="off">
  <label>As of <input type="date" id="asof" name="asof"></label>
  <label>Assets <input type="text" id="assets" name="assets" placeholder="BTC,ETH,SOL" maxlength="400"></label>
  <label>Underlying <select id="underlying" name="underlying"{off}><option>BTC</option><option>ETH</option></select></label>
  <button type="submit">Apply</button>
</form>
<div id="status" class="status" role="status">Loading…</div>
<section id="narrative" class="narrative"></section>
<section id="findings"></section>
<section id="tables"></section>
<section id="charts"></section>
</main>
</body></html>"""


class _LRU:
    """Least-recently-used cache of encoded pages, bounded in entries and in bytes."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.nbytes = 0
        self.data: OrderedDict[Any, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> bytes | None:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def clear(self) -> None:
        with self.lock:
            self.data.clear()
            self.nbytes = 0

    def put(self, key: Any, value: bytes) -> None:
        with self.lock:
            old = self.data.pop(key, None)
            if old is not None:
                self.nbytes -= len(old)
            self.data[key] = value
            self.nbytes += len(value)
            while len(self.data) > 1 and (
                len(self.data) > self.size or self.nbytes > self.max_bytes
            ):
                _, dropped = self.data.popitem(last=False)
                self.nbytes -= len(dropped)


_SHARED_TABLES = frozenset(t for t in TABLES if t not in ("options", "etf_flows"))
"""Tables whose resolved rows the dashboard reads once per store version and filters in memory.

Their resolution picks one source per natural key, and every key includes the
date, so filtering the resolved rows by date gives the rows a windowed read
resolves. Options (snapshots clustered in time) and ETF flows (totals spans)
resolve over neighbouring rows, so they are shared only while they hold one
source (nothing to resolve) and are otherwise read per request as before.
"""


class _DashboardStore(Store):
    """The dashboard's read-only store: status and resolved tables taken once per store version.

    Every page (and the report context behind it) asks for the store's
    status and reads the same tables up to its as-of date; the app takes the
    status when the file changes and shares it, and :meth:`read_table` reads a
    table's resolved rows once per version (all dates, all columns) and
    answers each request by filtering them in memory, so pages of any as-of
    date share the reads. :meth:`forget` drops both (the app calls it when the
    file changes).
    """

    status_snapshot: list[TableStatus] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared: dict[str, pd.DataFrame] = {}
        self._panels: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def forget(self) -> None:
        """Drop the shared status, tables and panels (the file changed)."""
        self.status_snapshot = None
        self._shared.clear()
        self._panels.clear()
        # the sources of each table decide precedence: another process may have added one
        self._sources_cache.clear()

    def read_prices(
        self,
        field: str = "close",
        *,
        assets: Sequence[str] | None = None,
        start: Any = None,
        end: Any = None,
    ) -> pd.DataFrame:
        """:meth:`Store.read_prices`, sliced from one panel of all assets and dates per field.

        The panel is pivoted once per store version together with where a row
        exists, so the slice has exactly the dates and columns a windowed read
        returns (from the first to the last date with a row of the chosen
        assets; without ``assets``, the assets with a row in the window).
        """
        if field not in PRICE_FIELDS:
            return super().read_prices(field, assets=assets, start=start, end=end)
        if field not in self._panels:
            long = self.read_table("prices", columns=["asset_id", "date", field])
            if long.empty:
                return super().read_prices(field, assets=assets, start=start, end=end)
            values = long.pivot(index="date", columns="asset_id", values=field).astype(float)
            rows = long.assign(_row=True).pivot(index="date", columns="asset_id", values="_row")
            full = pd.date_range(values.index.min(), values.index.max(), freq="D", name="date")
            self._panels[field] = (
                values.reindex(full),
                rows.reindex(full).notna(),
            )
        values, rows = self._panels[field]
        lo = None if start is None else pd.Timestamp(start)
        hi = None if end is None else pd.Timestamp(end)
        window = rows.loc[lo:hi]
        if assets is not None:
            window = window.reindex(columns=list(assets), fill_value=False)
        else:
            window = window.loc[:, window.any(axis=0).to_numpy()]
        has = window.any(axis=1).to_numpy()
        if not has.any():
            return super().read_prices(field, assets=assets, start=start, end=end)
        first, last = window.index[has][0], window.index[has][-1]
        panel = values.loc[first:last].reindex(columns=window.columns)
        panel.columns.name = "asset_id"
        return panel

    def status(self) -> list[TableStatus]:
        if self.status_snapshot is not None:
            return list(self.status_snapshot)
        return super().status()

    def read_table(
        self,
        table: str,
        *,
        start: Any = None,
        end: Any = None,
        columns: Sequence[str] | None = None,
        resolve: bool = True,
        **filters: Any,
    ) -> pd.DataFrame:
        shared = table in _SHARED_TABLES or (
            # with one source, options and ETF flows resolve row by row as well
            table in TABLES and len(self._table_sources(table)) < 2
        )
        if not shared or not resolve or filters.get("source") is not None:
            return super().read_table(
                table, start=start, end=end, columns=columns, resolve=resolve, **filters
            )
        spec = TABLES[table]
        known = spec.column_names
        extra = ["market_cap_source"] if table == "prices" else []
        cols = list(columns) if columns else known
        for c in [*cols, *filters]:
            if c not in known and c not in extra:  # the store's own message
                return super().read_table(table, start=start, end=end, columns=columns, **filters)
        full = self._shared.get(table)
        if full is None:
            full = super().read_table(table, columns=[*known, *extra])
            self._shared[table] = full
        mask = np.ones(len(full), dtype=bool)
        date_col = spec.date_column
        if (start is not None or end is not None) and date_col is None:
            return super().read_table(table, start=start, end=end, columns=columns, **filters)
        if date_col is not None and len(full):
            dates = full[date_col]
            if start is not None:
                mask &= (dates >= pd.Timestamp(start)).to_numpy()
            if end is not None:
                if spec.column(date_col).type == "DATE":
                    mask &= (dates <= pd.Timestamp(end)).to_numpy()
                else:
                    limit = pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
                    mask &= (dates < limit).to_numpy()
        for c, v in filters.items():
            if v is None:
                continue
            if isinstance(v, (list, tuple, set, frozenset, np.ndarray, pd.Index)):
                mask &= full[c].isin(list(v)).to_numpy()
            else:
                mask &= (full[c] == v).to_numpy()
        if not mask.any():  # the store's own empty frame (its column types)
            return super().read_table(table, start=start, end=end, columns=columns, **filters)
        return full.loc[mask, cols].reset_index(drop=True)


def create_app(
    store_path: str | Path,
    *,
    token: str | None = None,
    page_builder: PageBuilder | None = None,
    cache_size: int = 64,
    cache_mb: int = 256,
    warm_up: bool | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    host: str = "127.0.0.1",
    port: int | None = None,
    allowed_hosts: Sequence[str] = (),
) -> FastAPI:
    """Build the dashboard app over a store opened read-only.

    Parameters
    ----------
    store_path
        The DuckDB store; it must exist (``altseason demo`` or ``import`` first).
    token
        Access token required on every request (``Authorization: Bearer``,
        the ``token`` query parameter once, then a cookie). ``None`` disables
        the check: only for loopback binding.
    page_builder
        Computes a page's findings and charts; default: the report's sections
        (:func:`altseason.dashboard.build_page`).
    cache_size, cache_mb
        Encoded pages kept, at most this many and this many megabytes (least
        recently used dropped first); all are dropped when the store file changes.
    warm_up
        Build the default overview in a background thread when the server
        starts; default: only with the default page builder.
    lock_timeout
        Seconds a request waits while a writer holds the store's lock.
    host, port
        The address and port the server binds: requests must carry a matching
        ``Host`` header (DNS-rebinding defence) and the access cookie is named
        after the port (see :class:`~altseason.dashboard._security.SecurityMiddleware`).
    allowed_hosts
        More ``Host`` names to accept (a reverse proxy's or a LAN name).

    Notes
    -----
    The store is opened read-only for each request and released after it, so
    ``altseason import``/``fetch``/``demo`` can write while the dashboard
    runs; a change of the file (modification time or size, including its
    write-ahead log) drops the cached pages, so new rows show without a restart.
    """
    # Held only while a request reads: released after each one, so writers
    # (import, fetch, demo) can take the file's lock between requests.
    store = _DashboardStore(store_path, read_only=True, lock_timeout=lock_timeout)
    lock = threading.Lock()
    bodies = _LRU(cache_size, cache_mb * 1_000_000)
    if warm_up is None:
        warm_up = page_builder is None
    if page_builder is None:
        from altseason.dashboard._pages import build_page

        page_builder = build_page
    builder = page_builder
    seen: dict[str, Any] = {"signature": None, "demo": False, "status": []}

    def refresh() -> None:
        """Drop cached pages when the store file changed (caller holds ``lock``)."""
        signature = store_signature(store.path)
        if signature != seen["signature"]:
            bodies.clear()
            store.forget()
            rows = store.status()
            store.status_snapshot = rows  # shared by every page built until the next change
            sources = {s for t in rows for s in t.sources}
            seen.update(signature=signature, demo=is_demo(sources), status=rows)

    def current_demo() -> bool:
        if store_signature(store.path) == seen["signature"]:
            return bool(seen["demo"])
        with lock:
            try:
                refresh()
            finally:
                store.release()
        return bool(seen["demo"])

    with lock:
        try:
            refresh()
        finally:
            store.release()

    def body_for(page: str, params: PageParams) -> bytes:
        """The page's JSON, encoded once and cached per (page, filters, store signature)."""
        signature = store_signature(store.path)
        if signature == seen["signature"]:  # fast path: no lock, no store access
            body = bodies.get((page, params, signature))
            if body is not None:
                return body
        with lock:
            try:
                refresh()
                key = (page, params, seen["signature"])
                body = bodies.get(key)  # built meanwhile by another request or the warm-up
                if body is None:
                    demo = bool(seen["demo"])
                    payload = {
                        "page": page,
                        "title": PAGES[page],
                        "demo": demo,
                        "label": DEMO_LABEL if demo else None,
                        **builder(store, page, params),
                    }
                    # Serialise once: pages carry whole Plotly figures, so re-encoding
                    # them on every request would dominate the latency under load.
                    body = json.dumps(
                        payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")
                    ).encode("utf-8")
                    bodies.put(key, body)
            finally:
                store.release()
        return body

    def warm() -> None:
        # Build the default overview once at start-up so the first visit is fast
        # (the first build also pays for imports and numba compilation).
        try:
            body_for("overview", PageParams())
        except AltseasonError as exc:  # the same request reports it to the user
            _log.info("dashboard warm-up skipped: %s", exc)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warmer = threading.Thread(target=warm, name="altseason-warm", daemon=True)
        if warm_up:
            warmer.start()
        yield
        if warmer.is_alive():
            warmer.join()
        with lock:
            store.close()

    app = FastAPI(
        title="altseason dashboard",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        SecurityMiddleware, token=token, bind_host=host, port=port, extra_hosts=allowed_hosts
    )
    app.state.store = store

    @app.exception_handler(ParamError)
    async def _param_error(request: Request, exc: ParamError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(AltseasonError)
    async def _alt_error(request: Request, exc: AltseasonError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal error; see the server log"}, status_code=500)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        demo = current_demo()
        return {"ok": True, "demo": demo, "label": DEMO_LABEL if demo else None}

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        if store_signature(store.path) != seen["signature"]:
            with lock:
                try:
                    refresh()
                finally:
                    store.release()
        rows = seen["status"]  # taken when the file last changed
        return {
            "demo": seen["demo"],
            "tables": [
                {
                    "table": r.table,
                    "rows": r.rows,
                    "assets": r.assets,
                    "start": None if r.start is None else str(r.start.date()),
                    "end": None if r.end is None else str(r.end.date()),
                    "sources": list(r.sources),
                }
                for r in rows
            ],
        }

    @app.get("/api/{page}")
    def api_page(
        page: str,
        asof: str | None = None,
        start: str | None = None,
        assets: str | None = None,
        underlying: str | None = None,
    ) -> Response:
        if page not in PAGES:
            return JSONResponse(
                {"error": f"unknown page; use one of {', '.join(PAGES)}"}, status_code=404
            )
        params = parse_params(asof=asof, start=start, assets=assets, underlying=underlying)
        return Response(body_for(page, params), media_type="application/json")

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in _STATIC:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(
            _static_bytes(name), media_type=_STATIC[name][1], headers={"Cache-Control": "no-store"}
        )

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return HTMLResponse(_page_html("overview", PAGES["overview"], current_demo()))

    @app.get("/{page}", response_class=HTMLResponse)
    def page_html(page: str) -> Response:
        if page not in PAGES:
            return JSONResponse(
                {"error": f"unknown page; use one of {', '.join(PAGES)}"}, status_code=404
            )
        return HTMLResponse(_page_html(page, PAGES[page], current_demo()))

    return app
