"""Plotly layout of a ChartSpec: legend above the plot, source line clear of the axis title."""

from __future__ import annotations

import pytest

from altseason.report import ChartSpec, Trace
from altseason.report._charts import (
    LEGEND_ROW_PX,
    SOURCE_CHARS,
    Band,
    Marker,
    legend_rows,
    to_plotly_dict,
    wrap_words,
)

LONG_SOURCE = (
    "Source: altseason store (options; file:deribit_heston:deribit_btc_options.csv#a763b4d2b86a); "
    "snapshot 2025-12-05 01:10 UTC; as of 2026-02-20"
)


def _spec(names: list[str], source: str = "Source: altseason store (prices)") -> ChartSpec:
    return ChartSpec(
        id="c",
        title="A chart",
        x_label="strike (USD)",
        y_label="open interest",
        traces=[Trace(n, [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) for n in names],
        source=source,
    )


@pytest.mark.parametrize(
    ("names", "rows"),
    [
        (["only one"], 0),
        (["calls", "puts"], 1),
        ([f"expiry 2025-12-0{i}" for i in range(1, 5)], 2),
        ([f"expiry 2025-12-{i:02d}" for i in range(1, 9)], 4),
    ],
)
def test_legend_sits_above_the_plot_with_room_for_its_rows(names: list[str], rows: int) -> None:
    spec = _spec(names)
    assert legend_rows(spec) == rows
    layout = to_plotly_dict(spec)["layout"]
    legend = layout["legend"]
    assert legend["orientation"] == "h"
    assert (legend["y"], legend["yanchor"]) == (1.0, "bottom")  # above the plot, not below
    # the title is pinned to the figure's top; the top margin holds it and every legend row
    title = layout["title"]
    assert (title["yref"], title["yanchor"]) == ("container", "top")
    assert title["y"] * layout["height"] == pytest.approx(layout["height"] - 10)  # 10 px down
    assert layout["margin"]["t"] >= 40 + LEGEND_ROW_PX * rows
    # the plot keeps its height whatever the number of legend rows
    plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    assert plot_px >= 380 - 56 - 22 - 8 - 92


def test_source_line_is_wrapped_and_below_the_axis_title() -> None:
    layout = to_plotly_dict(_spec(["calls", "puts"], LONG_SOURCE))["layout"]
    src = next(a for a in layout["annotations"] if a["text"].startswith("Source:"))
    lines = src["text"].split("<br>")
    assert len(lines) == 3 and all(len(t) <= SOURCE_CHARS for t in lines)
    assert " ".join(lines) == LONG_SOURCE  # nothing lost
    plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    # the source's bottom edge is 4 px above the figure's bottom; its rows fit in the
    # bottom margin below the ticks and the x-axis title (about 60 px)
    below_px = -src["y"] * plot_px
    assert below_px == pytest.approx(layout["margin"]["b"] - 4)
    assert below_px - 13 * len(lines) >= 60 - 4


def test_wrap_words_keeps_words_and_a_long_word_alone() -> None:
    word = "file:" + "x" * 90
    rows = wrap_words(f"a b {word} c", width=20)
    assert rows == ["a b", word, "c"]


def test_close_vertical_markers_get_stepped_labels() -> None:
    spec = ChartSpec(
        id="oi",
        title="OI",
        x_label="strike",
        y_label="OI",
        traces=[Trace("calls", [50_000.0, 150_000.0], [1.0, 2.0], kind="bar")],
        markers=[
            Marker("x", 92_500.0, "spot"),
            Marker("x", 95_000.0, "max pain"),
            Marker("x", 140_000.0, "call wall"),
        ],
        bands=[Band("x", 60_000.0, 80_000.0, "put zone")],
        source="Source: s",
    )
    notes = {a["text"]: a for a in to_plotly_dict(spec)["layout"]["annotations"]}
    # spot and max pain are 2.5% of the range apart: the second steps down
    assert notes["spot"]["y"] == 1.0 and notes["max pain"]["y"] < 1.0
    assert notes["call wall"]["y"] == 1.0


def test_long_vertical_axis_title_is_broken_into_lines() -> None:
    label = "sector (cap-weighted index, 25% cap per asset, monthly reconstitution), BTC and ETH excluded"
    spec = ChartSpec(
        id="s",
        title="Sector index returns",
        x_label=label,
        y_label="90-day return (%)",
        traces=[Trace("return", ["DeFi", "AI"], [0.1, -0.2], kind="bar")],
        source="Source: s",
        horizontal=True,
    )
    layout = to_plotly_dict(spec)["layout"]
    lines = layout["yaxis"]["title"]["text"].split("<br>")
    plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    assert len(lines) >= 2 and " ".join(lines) == label
    assert all(len(t) * 7.5 <= plot_px for t in lines)  # each line fits the plot's height
    assert layout["xaxis"]["title"]["text"] == "90-day return (%)"  # short: left alone


def test_long_title_is_broken_into_lines_with_room_on_top() -> None:
    short = to_plotly_dict(_spec(["a", "b"]))["layout"]
    spec = _spec(["a", "b"])
    spec.title = (
        "Cumulative average abnormal return of BTC against the total market (sum of 34 events)"
    )
    layout = to_plotly_dict(spec)["layout"]
    lines = layout["title"]["text"].split("<br>")
    assert len(lines) == 2 and " ".join(lines) == spec.title
    assert layout["margin"]["t"] == short["margin"]["t"] + 20
    assert layout["height"] == short["height"] + 20  # the plot keeps its height
