"""Charts: one backend-neutral description, drawn with plotly (HTML) and matplotlib (PNG).

A section describes a chart as a :class:`ChartSpec` (series already computed
by analytics, axis labels with units, reference lines and bands, the source
line, and whether the data is the simulated demo market). :func:`to_plotly`
draws it as an interactive figure for the HTML report; :func:`to_png` draws
the same chart with matplotlib for Markdown and PDF (no browser needed).
Demo charts carry the :data:`~altseason.labels.DEMO_LABEL` as a watermark
and in the title.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from altseason.exceptions import ReportError
from altseason.labels import DEMO_LABEL

__all__ = [
    "Band",
    "ChartSpec",
    "Marker",
    "Trace",
    "to_plotly",
    "to_plotly_dict",
    "to_png",
]

PALETTE = (
    "#1f4e79",
    "#c0504d",
    "#4f9a55",
    "#e08a1e",
    "#7a5195",
    "#2a9d8f",
    "#8c6d31",
    "#d45087",
    "#5a6b7b",
    "#17becf",
)


@dataclass(frozen=True)
class Trace:
    """One series: ``x`` (dates or categories) against ``y``.

    ``kind`` is ``"line"``, ``"bar"`` or ``"area"``; ``axis`` ``"y"`` or
    ``"y2"`` (secondary axis, right).
    """

    name: str
    x: Sequence[Any]
    y: Sequence[float]
    kind: Literal["line", "bar", "area"] = "line"
    axis: Literal["y", "y2"] = "y"
    color: str | None = None
    dash: bool = False

    @classmethod
    def from_series(cls, s: pd.Series, name: str | None = None, **kw: Any) -> Trace:
        """A trace from a Series (index -> x), dropping NaN."""
        s = s.dropna()
        return cls(
            str(name if name is not None else s.name), list(s.index), s.astype(float).tolist(), **kw
        )


@dataclass(frozen=True)
class Marker:
    """A reference line at ``value`` on axis ``"x"`` (vertical) or ``"y"`` (horizontal)."""

    axis: Literal["x", "y"]
    value: Any
    label: str
    color: str = "#555555"
    dash: bool = True


@dataclass(frozen=True)
class Band:
    """A shaded range ``[lo, hi]`` on axis ``"x"`` or ``"y"``."""

    axis: Literal["x", "y"]
    lo: Any
    hi: Any
    label: str
    color: str = "#f2c14e"


@dataclass
class ChartSpec:
    """A chart, independent of the drawing library.

    Attributes
    ----------
    id
        Slug used for the div id and PNG file name.
    title
        Chart title.
    x_label, y_label, y2_label
        Axis labels, with units (e.g. ``"return since start (%)"``).
    traces
        The series (``kind="xy"``).
    heatmap
        A square or rectangular frame for ``kind="heatmap"`` (values in
        ``[zmin, zmax]``).
    source
        Source line printed under the chart ("Source: store prices (demo) ...").
    demo
        Draw the simulated-demo label.
    y_format
        ``"pct"`` shows y as percent (values are fractions), ``"usd"`` as
        dollars, ``""`` plain.
    """

    id: str
    title: str
    x_label: str
    y_label: str
    source: str
    demo: bool = False
    kind: Literal["xy", "heatmap"] = "xy"
    traces: list[Trace] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    heatmap: pd.DataFrame | None = None
    zmin: float = -1.0
    zmax: float = 1.0
    y2_label: str | None = None
    y_format: Literal["pct", "usd", ""] = ""
    y2_format: Literal["pct", "usd", ""] = ""
    y_log: bool = False
    barmode: Literal["group", "overlay", "stack", "relative"] = "group"
    horizontal: bool = False

    @property
    def full_title(self) -> str:
        """Title with the demo label when applicable."""
        return f"{self.title} — {DEMO_LABEL}" if self.demo else self.title

    @property
    def has_data(self) -> bool:
        """True when the chart has something to draw."""
        if self.kind == "heatmap":
            return self.heatmap is not None and not self.heatmap.empty
        return any(len(t.y) > 0 for t in self.traces)

    def validate(self) -> None:
        """Raise :class:`ReportError` when the chart has nothing to draw."""
        if self.kind == "heatmap":
            if self.heatmap is None or self.heatmap.empty:
                raise ReportError(f"chart {self.id!r}: heatmap has no data.")
        elif not self.traces or all(len(t.y) == 0 for t in self.traces):
            raise ReportError(f"chart {self.id!r}: no series to draw.")


# ---------------------------------------------------------------------- plotly
_RDBU_R = [
    [0.0, "rgb(5,48,97)"],
    [0.1, "rgb(33,102,172)"],
    [0.2, "rgb(67,147,195)"],
    [0.3, "rgb(146,197,222)"],
    [0.4, "rgb(209,229,240)"],
    [0.5, "rgb(247,247,247)"],
    [0.6, "rgb(253,219,199)"],
    [0.7, "rgb(244,165,130)"],
    [0.8, "rgb(214,96,77)"],
    [0.9, "rgb(178,24,43)"],
    [1.0, "rgb(103,0,31)"],
]
"""Plotly's ``RdBu_r`` colour scale (blue for -1, red for +1) as JSON."""


def _plotly_tickformat(fmt: str) -> dict[str, Any]:
    if fmt == "pct":
        return {"tickformat": ".3~%"}
    if fmt == "usd":
        return {"tickprefix": "$", "exponentformat": "B"}
    return {}


def _json_value(v: Any) -> Any:
    """One axis or data value as plotly.js reads it: ISO dates, plain numbers, null for NaN."""
    if isinstance(v, str) or v is None or isinstance(v, bool):
        return v
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if np.isfinite(f) else None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(v)
        return None if pd.isna(ts) else ts.isoformat()
    if hasattr(v, "isoformat"):  # datetime.date / datetime.datetime
        return v.isoformat()
    return str(v)


def _json_values(values: Sequence[Any]) -> list[Any]:
    return [_json_value(v) for v in values]


@functools.cache
def _plotly_white() -> dict[str, Any]:
    """The ``plotly_white`` template as JSON (what plotly writes into every figure)."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    figure = json.loads(pio.to_json(go.Figure(layout={"template": "plotly_white"})))
    return dict(figure["layout"]["template"])


FIGURE_HEIGHT_PX = 380
"""Height of a Plotly chart with at most one legend row (each further row adds one)."""

TITLE_PX = 56
"""Top margin taken by the title (and the demo label under it)."""

BOTTOM_PX = 92
"""Bottom margin: x tick labels, the x-axis title and the source line under them."""

LEGEND_ROW_PX = 22
"""Height of one legend row (font :data:`LEGEND_FONT_PX`)."""

LEGEND_FONT_PX = 11

LEGEND_WIDTH_PX = 420
"""Plot width the legend is laid out for: the narrowest chart column (report, dashboard)."""


SOURCE_CHARS = 78
"""Characters of the source line per row under a Plotly chart (10 px font, narrowest column)."""

SOURCE_LINE_PX = 13

TITLE_CHARS = 62
"""Characters per line of a Plotly chart title (15 px font, narrowest column)."""

TITLE_LINE_PX = 20

MPL_YLABEL_CHARS = 40
"""Characters per line of a static chart's vertical axis title (9 pt on a 4.3 in figure)."""


def wrap_words(text: str, width: int = SOURCE_CHARS) -> list[str]:
    """``text`` (a source line, an axis title) broken at spaces into rows of at most ``width``.

    A word longer than ``width`` (a file name) gets a row of its own. Plotly
    wraps neither annotations nor axis titles: unbroken, a long one runs off
    the figure or over the chart title.
    """
    rows: list[str] = []
    for word in text.split():
        if rows and len(rows[-1]) + 1 + len(word) <= width:
            rows[-1] += " " + word
        else:
            rows.append(word)
    return rows or [""]


def _marker_label_heights(spec: ChartSpec) -> dict[int, float]:
    """Paper height of each vertical marker's label, stepped down where labels would touch.

    Labels are written downwards from the top of the plot, left of their
    line; a band's label sits at the top of the band's left edge. A label
    closer than :data:`LABEL_GAP` of the x range to one already placed at the
    same height takes the next height of :data:`LABEL_LEVELS`.
    """
    xs = [m for m in spec.markers if m.axis == "x"]
    try:
        vals = [float(m.value) for m in xs]
        band_lo = [float(b.lo) for b in spec.bands if b.axis == "x"]
    except (TypeError, ValueError):  # dates: markers on a time axis are far apart
        return {}
    pts = [float(v) for t in spec.traces for v in t.x if isinstance(v, (int, float, np.number))]
    pts += vals + band_lo + [float(b.hi) for b in spec.bands if b.axis == "x"]
    if not vals or len(vals) + len(band_lo) < 2:
        return {}
    span = (max(pts) - min(pts)) or 1.0
    # a band label reads left to right from the band's left edge: it takes about
    # 3 gaps of the top row
    used: list[list[float]] = [[lo + k * LABEL_GAP * span for k in range(3)] for lo in band_lo]
    taken: dict[int, list[float]] = {0: [v for row in used for v in row]}
    out: dict[int, float] = {}
    for v, m in sorted(zip(vals, xs, strict=True), key=lambda p: p[0]):
        level = 0
        while level < len(LABEL_LEVELS) - 1 and any(
            abs(v - u) < LABEL_GAP * span for u in taken.get(level, [])
        ):
            level += 1
        taken.setdefault(level, []).append(v)
        out[id(m)] = LABEL_LEVELS[level]
    return out


LABEL_LEVELS = (1.0, 0.66, 0.33)
"""Heights (fraction of the plot) a vertical marker's label may start at."""

LABEL_GAP = 0.035
"""Two vertical labels closer than this share of the x range would print over each other."""


def legend_rows(spec: ChartSpec, width_px: float = LEGEND_WIDTH_PX) -> int:
    """Rows a horizontal legend of ``spec`` takes at ``width_px`` (0 when Plotly shows none).

    Plotly shows a legend for two or more traces; an entry is about 40 px
    (symbol and gaps) plus 6.5 px per character at 11 px, and entries wrap
    to a new row when the next does not fit.
    """
    if spec.kind != "xy" or len(spec.traces) < 2:
        return 0
    rows, used = 1, 0.0
    for t in spec.traces:
        w = 40.0 + 0.6 * LEGEND_FONT_PX * len(t.name)
        if used and used + w > width_px:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def to_plotly_dict(spec: ChartSpec) -> dict[str, Any]:
    """Draw ``spec`` as a Plotly figure in Plotly's JSON schema, as plain dicts and lists.

    ``{"data": [...], "layout": {...}}`` ready for ``json.dumps`` (dates as ISO
    strings, NaN as null) and for ``Plotly.newPlot`` in the browser; built
    without ``plotly.graph_objects`` (no validation pass), which is what makes
    it cheap enough for the dashboard. :func:`to_plotly` wraps the same dict
    in a ``Figure``.
    """
    spec.validate()
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    if spec.kind == "heatmap":
        hm = spec.heatmap
        assert hm is not None
        data.append(
            {
                "type": "heatmap",
                "z": [_json_values(row) for row in hm.to_numpy(dtype=float).tolist()],
                "x": [str(c) for c in hm.columns],
                "y": [str(i) for i in hm.index],
                "zmin": spec.zmin,
                "zmax": spec.zmax,
                "colorscale": _RDBU_R,
                "colorbar": {"title": {"text": spec.y2_label or ""}},
                "hovertemplate": "%{y} / %{x}: %{z:.2f}<extra></extra>",
            }
        )
    for i, t in enumerate(spec.traces):
        color = t.color or PALETTE[i % len(PALETTE)]
        yaxis = "y2" if t.axis == "y2" else "y"
        if t.kind == "bar":
            trace: dict[str, Any] = {"type": "bar", "name": t.name, "marker": {"color": color}}
            if spec.horizontal:
                trace.update(x=_json_values(t.y), y=_json_values(t.x), orientation="h")
            else:
                trace.update(x=_json_values(t.x), y=_json_values(t.y))
            trace["yaxis"] = yaxis
        else:
            trace = {
                "type": "scatter",
                "name": t.name,
                "x": _json_values(t.x),
                "y": _json_values(t.y),
                "mode": "lines",
                "yaxis": yaxis,
                "line": {"color": color, "width": 1.8, "dash": "dash" if t.dash else "solid"},
            }
            if t.kind == "area":
                trace["fill"] = "tozeroy"
        data.append(trace)
    label_y = _marker_label_heights(spec)
    for m in spec.markers:
        line = {"color": m.color, "width": 1.2, "dash": "dash" if m.dash else "solid"}
        value = _json_value(m.value)
        if m.axis == "x":
            shapes.append(
                {"type": "line", "line": line, "xref": "x", "x0": value, "x1": value}
                | {"yref": "y domain", "y0": 0, "y1": 1}
            )
            annotations.append(
                {
                    "x": value,
                    "y": label_y.get(id(m), 1.0),
                    "yref": "paper",
                    "text": m.label,
                    "showarrow": False,
                    "textangle": -90,
                    "xanchor": "right",
                    "yanchor": "top",
                    "font": {"size": 10, "color": m.color},
                }
            )
        else:
            shapes.append(
                {"type": "line", "line": line, "xref": "x domain", "x0": 0, "x1": 1}
                | {"yref": "y", "y0": value, "y1": value}
            )
            annotations.append(
                {
                    "text": m.label,
                    "showarrow": False,
                    "font": {"size": 10, "color": m.color},
                    "xref": "x domain",
                    "x": 0,
                    "xanchor": "left",
                    "yref": "y",
                    "y": value,
                    "yanchor": "bottom",
                }
            )
    for b in spec.bands:
        lo, hi = _json_value(b.lo), _json_value(b.hi)
        rect: dict[str, Any] = {
            "type": "rect",
            "fillcolor": b.color,
            "opacity": 0.18,
            "line": {"width": 0},
        }
        note: dict[str, Any] = {"text": b.label, "showarrow": False, "font": {"size": 10}}
        if b.axis == "x":
            rect.update(xref="x", x0=lo, x1=hi, yref="y domain", y0=0, y1=1)
            note.update(xref="x", x=lo, xanchor="left", yref="y domain", y=1, yanchor="top")
        else:
            rect.update(xref="x domain", x0=0, x1=1, yref="y", y0=lo, y1=hi)
            note.update(xref="x domain", x=0, xanchor="left", yref="y", y=hi, yanchor="top")
        shapes.append(rect)
        annotations.append(note)
    rows = legend_rows(spec)
    # a long title is broken into lines (plotly does not wrap it); each adds a row on top
    title_lines = wrap_words(spec.title, TITLE_CHARS)
    extra_px = TITLE_LINE_PX * (len(title_lines) - 1)
    title_px = (TITLE_PX if spec.demo else TITLE_PX - 16) + extra_px  # demo: a second line
    top = title_px + LEGEND_ROW_PX * rows + (8 if rows else 0)
    margin = {
        "l": 64,
        "r": 64 if spec.y2_label and spec.kind == "xy" else 24,
        "t": top,
        "b": BOTTOM_PX,
    }
    layout: dict[str, Any] = {
        "title": {
            "text": "<br>".join(title_lines),
            "font": {"size": 15},
            "x": 0.01,
            "xanchor": "left",
            # pinned 10 px below the top of the figure, so a taller legend never moves it
            # (title.pad is ignored with a container reference)
            "yref": "container",
            "y": 1.0,  # set below, once the height is known
            "yanchor": "top",
        },
        "template": _plotly_white(),
        "barmode": spec.barmode,
        "height": FIGURE_HEIGHT_PX + LEGEND_ROW_PX * max(0, rows - 1) + extra_px,
        "margin": margin,
        # above the plot, under the title: clear of the axis titles and the source line
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": LEGEND_FONT_PX},
        },
        "font": {
            "family": "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif",
            "size": 12,
        },
        "xaxis": {"title": {"text": spec.x_label}},
        "yaxis": {
            "title": {"text": spec.y_label},
            "type": "log" if spec.y_log else "linear",
            **_plotly_tickformat(spec.y_format),
        },
    }
    if spec.demo:
        # a subtitle, not "<br><sup>" in the text: plotly anchors a multi-line title by
        # its first line, which pushed it out of the top of the figure
        layout["title"]["subtitle"] = {"text": DEMO_LABEL, "font": {"color": "#b23b36", "size": 11}}
    if shapes:
        layout["shapes"] = shapes
    if spec.kind == "heatmap":
        layout["xaxis"] = {"title": {"text": spec.x_label}, "type": "category"}
        layout["yaxis"] = {
            "title": {"text": spec.y_label},
            "type": "category",
            "autorange": "reversed",
        }
    if spec.horizontal and spec.kind == "xy":
        layout["xaxis"] = {"title": {"text": spec.y_label}, **_plotly_tickformat(spec.y_format)}
        layout["yaxis"] = {"title": {"text": spec.x_label}, "autorange": "reversed"}
    if spec.y2_label and spec.kind == "xy":
        layout["yaxis2"] = {
            "title": {"text": spec.y2_label},
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            # its own round ticks: plotly.js otherwise syncs them to the left axis's
            # grid (-2.978, -3.242, ... on a risk reversal; $3.865B on a flow total)
            "tickmode": "auto",
            **_plotly_tickformat(spec.y2_format),
        }
    source_lines = wrap_words(spec.source)
    margin["b"] += SOURCE_LINE_PX * (len(source_lines) - 1)
    layout["height"] += SOURCE_LINE_PX * (len(source_lines) - 1)
    plot_px = layout["height"] - margin["t"] - margin["b"]
    layout["title"]["y"] = 1.0 - 10 / layout["height"]
    # a vertical axis title longer than the plot is tall runs over the chart title:
    # break it into lines (plotly's automargin makes room for them)
    for key in ("yaxis", "yaxis2"):
        title = layout.get(key, {}).get("title")
        if title and title.get("text"):
            title["text"] = "<br>".join(wrap_words(title["text"], max(16, int(plot_px / 7.5))))
    annotations.append(
        {
            "name": "source",
            "text": "<br>".join(source_lines),
            "align": "left",
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            # 4 px above the figure's bottom edge, below the x-axis title
            "y": -(margin["b"] - 4) / plot_px,
            "yanchor": "bottom",
            "showarrow": False,
            "xanchor": "left",
            "font": {"size": 10, "color": "#666"},
        }
    )
    if spec.demo:
        annotations.append(
            {
                "text": DEMO_LABEL.upper(),
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 30, "color": "rgba(192,80,77,0.16)"},
                "textangle": -18,
            }
        )
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


def to_plotly(spec: ChartSpec) -> Any:
    """Draw ``spec`` as a ``plotly.graph_objects.Figure`` (:func:`to_plotly_dict`, validated)."""
    import plotly.graph_objects as go

    return go.Figure(to_plotly_dict(spec))


# ---------------------------------------------------------------------- matplotlib
def _mpl_formatter(fmt: str) -> Any:
    from matplotlib.ticker import FuncFormatter

    if fmt == "pct":
        return FuncFormatter(lambda v, _p: f"{v * 100:.3g}%")
    if fmt == "usd":

        def usd(v: float, _p: object) -> str:
            a = abs(v)
            for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
                if a >= div:
                    return f"{'-' if v < 0 else ''}${a / div:g}{suf}"
            return f"{'-' if v < 0 else ''}${a:g}"

        return FuncFormatter(usd)
    return None


def _is_dates(x: Sequence[Any]) -> bool:
    return len(x) > 0 and isinstance(x[0], (pd.Timestamp, np.datetime64))


def to_png(spec: ChartSpec, path: Path, *, dpi: int = 110) -> Path:
    """Draw ``spec`` with matplotlib and save it as a PNG at ``path``."""
    from matplotlib.figure import Figure

    spec.validate()
    fig = Figure(figsize=(8.6, 4.3), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    ax2 = None
    handles: list[Any] = []
    if spec.kind == "heatmap":
        hm = spec.heatmap
        assert hm is not None
        im = ax.imshow(
            hm.to_numpy(dtype=float), cmap="RdBu_r", vmin=spec.zmin, vmax=spec.zmax, aspect="auto"
        )
        n = len(hm.columns)
        step = max(1, n // 25)
        ax.set_xticks(range(0, n, step))
        ax.set_xticklabels([str(c) for c in hm.columns][::step], rotation=90, fontsize=7)
        ax.set_yticks(range(0, len(hm.index), step))
        ax.set_yticklabels([str(i) for i in hm.index][::step], fontsize=7)
        cb = fig.colorbar(im, ax=ax)
        cb.set_label(spec.y2_label or "")
    bar_traces = [t for t in spec.traces if t.kind == "bar"]
    nbar = len(bar_traces)
    for i, t in enumerate(spec.traces):
        color = t.color or PALETTE[i % len(PALETTE)]
        target = ax
        if t.axis == "y2":
            if ax2 is None:
                ax2 = ax.twinx()
            target = ax2
        x = list(t.x)
        h: Any
        if t.kind == "bar":
            j = bar_traces.index(t)
            if _is_dates(x):
                xs = pd.to_datetime(pd.Index(x))
                # many dated bars: thin vertical lines draw the same picture much faster
                h = target.vlines(xs, 0.0, list(t.y), color=color, lw=1.2, label=t.name)
            elif spec.horizontal:
                pos = np.arange(len(x))
                hgt = 0.8 / nbar if spec.barmode == "group" else 0.8
                off = (j - (nbar - 1) / 2) * hgt if spec.barmode == "group" else 0.0
                h = target.barh(pos + off, list(t.y), height=hgt, color=color, label=t.name)
                target.set_yticks(pos)
                target.set_yticklabels([str(v) for v in x], fontsize=8)
                target.invert_yaxis() if j == 0 else None
            else:
                numeric = all(isinstance(v, (int, float, np.number)) for v in x)
                if numeric:
                    xs_num = np.asarray(x, dtype=float)
                    span = np.diff(np.unique(xs_num))
                    w = (span.min() if len(span) else 1.0) * 0.8
                    width = w / nbar if spec.barmode == "group" else w
                    off = (j - (nbar - 1) / 2) * width if spec.barmode == "group" else 0.0
                    h = target.bar(
                        xs_num + off,
                        list(t.y),
                        width=width,
                        color=color,
                        label=t.name,
                        alpha=0.85 if spec.barmode == "overlay" else 1.0,
                    )
                else:
                    pos = np.arange(len(x))
                    width = 0.8 / nbar if spec.barmode == "group" else 0.8
                    off = (j - (nbar - 1) / 2) * width if spec.barmode == "group" else 0.0
                    h = target.bar(pos + off, list(t.y), width=width, color=color, label=t.name)
                    target.set_xticks(pos)
                    target.set_xticklabels([str(v) for v in x], rotation=45, ha="right", fontsize=8)
            handles.append(h)
        else:
            xs_any: Any = pd.to_datetime(pd.Index(x)) if _is_dates(x) else x
            (h,) = target.plot(
                xs_any,
                list(t.y),
                color=color,
                lw=1.5,
                label=t.name,
                linestyle="--" if t.dash else "-",
            )
            if t.kind == "area":
                target.fill_between(xs_any, list(t.y), 0, color=color, alpha=0.2)
            handles.append(h)
    label_y = _marker_label_heights(spec)
    for m in spec.markers:
        ls = "--" if m.dash else "-"
        if m.axis == "x":
            mv = pd.Timestamp(m.value) if isinstance(m.value, str) else m.value
            if spec.horizontal:
                ax.axhline(mv, color=m.color, ls=ls, lw=1.1)
            else:
                ax.axvline(mv, color=m.color, ls=ls, lw=1.1)
                ax.annotate(
                    m.label,
                    xy=(mv, label_y.get(id(m), 1.0)),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    ha="right",
                    va="top",
                    fontsize=7.5,
                    color=m.color,
                )
        else:
            ax.axhline(m.value, color=m.color, ls=ls, lw=1.1)
            ax.annotate(
                m.label,
                xy=(0.005, m.value),
                xycoords=("axes fraction", "data"),
                ha="left",
                va="bottom",
                fontsize=7.5,
                color=m.color,
            )
    for b in spec.bands:
        if b.axis == "x":
            lo = pd.Timestamp(b.lo) if isinstance(b.lo, str) else b.lo
            hi = pd.Timestamp(b.hi) if isinstance(b.hi, str) else b.hi
            ax.axvspan(lo, hi, color=b.color, alpha=0.22, lw=0)
            ax.annotate(b.label, xy=(lo, 0.02), xycoords=("data", "axes fraction"), fontsize=7.5)
        else:
            ax.axhspan(b.lo, b.hi, color=b.color, alpha=0.22, lw=0)
            ax.annotate(
                b.label,
                xy=(0.005, b.hi),
                xycoords=("axes fraction", "data"),
                va="top",
                fontsize=7.5,
            )
    ax.set_title(spec.full_title, loc="left", fontsize=11, fontweight="bold", wrap=True)
    if spec.horizontal and spec.kind == "xy":
        ax.set_xlabel(spec.y_label, fontsize=9)
        ax.set_ylabel("\n".join(wrap_words(spec.x_label, MPL_YLABEL_CHARS)), fontsize=9)
        fmt = _mpl_formatter(spec.y_format)
        if fmt is not None:
            ax.xaxis.set_major_formatter(fmt)
    else:
        ax.set_xlabel(spec.x_label, fontsize=9)
        ax.set_ylabel("\n".join(wrap_words(spec.y_label, MPL_YLABEL_CHARS)), fontsize=9)
        fmt = _mpl_formatter(spec.y_format)
        if fmt is not None:
            ax.yaxis.set_major_formatter(fmt)
    xnum = [v for t in spec.traces for v in t.x if isinstance(v, (int, float, np.number))]
    if not spec.horizontal and xnum and max(abs(float(v)) for v in xnum) >= 10_000:
        from matplotlib.ticker import FuncFormatter

        # strikes read 60k, 100k (as in the HTML), not 60000
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v / 1000:g}k"))
    if spec.y_log:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_yscale("log")
        # plain tick labels (6, 8, 10 or $60k), never "6x10^0"
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(fmt or FuncFormatter(lambda v, _p: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    if ax2 is not None:
        ax2.set_ylabel("\n".join(wrap_words(spec.y2_label or "", MPL_YLABEL_CHARS)), fontsize=9)
        fmt2 = _mpl_formatter(spec.y2_format)
        if fmt2 is not None:
            ax2.yaxis.set_major_formatter(fmt2)
    ax.tick_params(labelsize=8)
    ax.grid(True, color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right") if ax2 is None else ("top",):
        ax.spines[side].set_visible(False)
    if handles and spec.kind == "xy":
        ncol = min(len(handles), 5)
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=ncol,
            fontsize=8,
            frameon=False,
            bbox_to_anchor=(0.5, 0.065),
        )
    fig.text(0.01, 0.012, spec.source, fontsize=7, color="#555555", ha="left", va="bottom")
    if spec.demo:
        fig.text(
            0.5,
            0.55,
            DEMO_LABEL.upper(),
            fontsize=26,
            color="#c0504d",
            alpha=0.16,
            ha="center",
            va="center",
            rotation=18,
        )
    bottom = 0.26 if handles and spec.kind == "xy" else 0.12
    if spec.kind == "heatmap":
        bottom = 0.18
    left = 0.1
    if spec.horizontal and spec.kind == "xy":
        # room for the longest category label (sector names), so none is clipped
        longest = max((len(str(x)) for t in spec.traces for x in t.x), default=0)
        left = min(0.4, max(0.1, 0.02 + 0.0115 * longest))
    fig.subplots_adjust(
        left=left,
        right=0.9 if ax2 is not None or spec.kind == "heatmap" else 0.97,
        top=0.9,
        bottom=bottom,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path
