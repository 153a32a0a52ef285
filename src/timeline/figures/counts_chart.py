"""Drones and missiles launched and intercepted per day or week (the engine's `StrikeSeries`).

Each launching side gets its own bar in a bin, never one bar for both: 188 Russian drones and
8 Ukrainian ATACMS on 25 Nov are two bars side by side. Bars are coloured by event type (and
hatched per side) or, with `strikes=side`, coloured by side.

One chart, one name: it is "Launched and intercepted" (`TITLE`) on the page and in exports,
`counts` as an export's chart key, and its option is the URL's `strikes`, which is also the
name of the engine's query (`Engine.strikes`) that gives its `StrikeSeries`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.domain import taxonomy
from timeline.engine import StrikeSeries
from timeline.engine.queries import UNKNOWN_SIDE
from timeline.figures.common import (
    DAY_MS,
    INTERCEPTED_COLOUR,
    Window,
    base_layout,
    date_axis,
    escape_text,
    figure,
    ms,
)
from timeline.formatting import country_name

TITLE = "Launched and intercepted"
"""The counts chart's name on the page and in the export panel."""

MAX_BARS = 200
"""More bins than this draw as stacked areas per side, not bars (each bar costs the browser a path)."""
FILL = 0.8
"""Share of a bin its bars fill, centred in the bin: every bar sits inside its own day or week."""
PATTERN_FILL = "overlay"
"""Hatching drawn over the bar's colour: with plotly's default ('replace') the dashboard's
plotly.js leaves the space between the hatch lines empty, so a hatched bar vanished."""


def side_name(side: str) -> str:
    """'Russia', 'Ukraine and United Kingdom', 'side not recorded'."""
    if side == UNKNOWN_SIDE:
        return "side not recorded"
    names = [country_name(code).rsplit(" (", 1)[0] for code in side.split("+")]
    return " and ".join(names)


def side_style(side: str) -> taxonomy.CountryStyle:
    """The side's fixed colour and hatch (`taxonomy.COUNTRY_STYLES`), whatever else is in view."""
    return taxonomy.side_style(side, UNKNOWN_SIDE)


def _sides(frame: pd.DataFrame) -> list[str]:
    """Sides in a fixed order (the taxonomy's countries first), so a side's bar keeps its place
    in a bin whatever the filters leave in view."""
    listed = list(taxonomy.COUNTRY_STYLES)
    sides = {str(s) for s in frame["side"].unique()}
    return sorted(
        sides, key=lambda s: (listed.index(s) if s in listed else len(listed), s == UNKNOWN_SIDE, s)
    )


def _bars(series: StrikeSeries, bin_ms: float) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """One bar per (bin, side), side by side inside the bin (from its first day to the next
    bin's), stacked by type (or one colour per side); returns the traces and each (bin, side)
    total with its bar's centre."""
    frame = series.frame
    sides = _sides(frame)
    width = FILL * bin_ms / len(sides)
    by_side = series.what == "side"
    traces: list[dict[str, Any]] = []
    totals = frame.groupby(["bin", "side"], as_index=False).agg(launched=("launched", "sum"))
    totals["x"] = 0.0
    for i, side in enumerate(sides):
        offset = (1 - FILL) / 2 * bin_ms + i * width  # x is the bin's first midnight
        part = frame[frame["side"] == side]
        base = pd.Series(0.0, index=part["bin"].unique())
        present = set(part["event_type"])  # a mask per type in view, not per type there is
        groups = (
            [(None, part)]
            if by_side
            else [(t, part[part["event_type"] == t.key]) for t in taxonomy.EVENT_TYPES if t.key in present]
        )
        for etype, rows in groups:
            if rows.empty:
                continue
            if rows["bin"].is_unique:  # one type's rows: one per bin already, in order (`Engine.strikes`)
                rows = rows[["bin", "launched"]].sort_values("bin", kind="stable").reset_index(drop=True)
            else:
                rows = rows.groupby("bin", as_index=False).agg(launched=("launched", "sum"))
            start = base.reindex(rows["bin"]).to_numpy()
            base = base.add(pd.Series(rows["launched"].to_numpy(), index=rows["bin"]), fill_value=0)
            who = escape_text(side_name(side))
            name = who if etype is None else etype.label
            style = side_style(side)
            colour = style.colour if etype is None else etype.colour
            traces.append(
                {
                    "type": "bar",
                    "x": ms(rows["bin"]),
                    "y": rows["launched"].to_numpy(dtype="int64"),
                    "base": start,
                    "offset": offset,
                    "width": width,
                    "name": name,
                    "marker": {
                        "color": colour,
                        "line": {"width": 0.5, "color": "rgba(255,255,255,0.7)"},
                        "pattern": {"shape": style.pattern,
                                    "fillmode": PATTERN_FILL, "fgcolor": "rgba(255,255,255,0.75)", "size": 6},
                    },
                    "customdata": np.full(len(rows), side, dtype=object),
                    "legendgroup": side if etype is None else etype.key,
                    "showlegend": etype is None or i == 0,
                    "hovertemplate": f"{escape_text(name)} · launched by {who}<br>%{{x|%d %b %Y}}: "
                    "<b>%{y:,} launched</b><extra></extra>",
                }
            )  # fmt: skip
        here = totals["side"] == side
        totals.loc[here, "x"] = ms(totals.loc[here, "bin"]) + offset + width / 2
    if not by_side and len(sides) > 1:  # a legend key for the hatching of each side
        traces += [_hatch_key(side) for side in sides]
    intercepted = frame.groupby(["bin", "side"])["intercepted"].sum(min_count=1).dropna().reset_index()
    if len(intercepted):
        traces.append(_intercepted(intercepted.merge(totals, on=["bin", "side"])))
    return traces, totals


def _hatch_key(side: str) -> dict[str, Any]:
    """The legend's key for a side's hatching: a grey bar drawn nowhere."""
    return {"type": "bar", "x": [None], "y": [None], "name": f"launched by {escape_text(side_name(side))}",
            "marker": {"color": "rgba(140,140,140,0.7)",
                       "pattern": {"shape": side_style(side).pattern, "fillmode": PATTERN_FILL, "fgcolor": "white"}},
            "hoverinfo": "skip"}  # fmt: skip


def _intercepted(at: pd.DataFrame) -> dict[str, Any]:
    """A diamond per (bin, side) with interceptions, on the centre of that side's bar."""
    return {
        "type": "scatter",
        "x": at["x"].to_numpy(),
        "y": at["intercepted"].to_numpy(dtype="int64"),
        "mode": "markers",
        "marker": {
            "symbol": "diamond",
            "size": 9,
            "color": INTERCEPTED_COLOUR,
            "line": {"width": 1, "color": "#fff"},
        },
        "customdata": [escape_text(side_name(s)) for s in at["side"]],
        "name": "Intercepted (as claimed)",
        "hovertemplate": "%{x|%d %b %Y}: <b>%{y:,} intercepted</b> of %{customdata}'s<extra></extra>",
    }


def _stacked_areas(series: StrikeSeries, bin_ms: float) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Too many bins for bars: one line per side (each side's own total, never added to another),
    with every empty bin a zero so the line stays honest."""
    frame = series.frame
    bins = pd.date_range(frame["bin"].min(), frame["bin"].max(), freq="D" if series.per == "day" else "7D")
    table = frame.pivot_table(index="bin", columns="side", values="launched", aggfunc="sum")
    table = table.reindex(bins, fill_value=0).fillna(0)
    x = ms(bins) + bin_ms / 2
    traces = []
    for side in _sides(frame):
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": table[side].to_numpy(dtype="int64"),
                "mode": "lines",
                "fill": "tozeroy",
                "line": {"width": 1, "color": side_style(side).colour},
                "name": f"launched by {escape_text(side_name(side))}",
                "hovertemplate": f"{escape_text(side_name(side))}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            }
        )
    totals = frame.groupby(["bin", "side"], as_index=False).agg(launched=("launched", "sum"))
    totals["x"] = ms(totals["bin"]) + bin_ms / 2
    return traces, totals


def counts_figure(series: StrikeSeries, *, window: Window = (None, None)) -> go.Figure:
    """Launched per day or week, one bar per launching side, with intercepted as markers.
    An overnight attack counts on the day it began."""
    if series.empty:
        return figure([], {})
    bin_ms = DAY_MS if series.per == "day" else 7 * DAY_MS
    many = series.frame["bin"].nunique() > MAX_BARS
    traces, totals = (_stacked_areas if many else _bars)(series, bin_ms)
    peak = totals.loc[totals["launched"].idxmax()]
    layout = base_layout(height=360)
    noun = {"all": "drones and missiles", "side": "drones and missiles"}.get(series.what, series.what)
    layout.update(
        xaxis=date_axis(window),
        yaxis={"title": {"text": f"{noun} launched per {series.per}"}, "rangemode": "tozero"},
        barmode="overlay",
        annotations=[
            {
                "x": float(peak["x"]),
                "y": int(peak["launched"]),
                "text": f"<b>{int(peak['launched']):,}</b> launched by {escape_text(side_name(peak['side']))}",
                "showarrow": True,
                "arrowhead": 0,
                "ay": -28,
                "font": {"size": 12},
            }
        ],
    )
    return figure(traces, layout)
