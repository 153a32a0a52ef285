"""Drones and missiles launched and intercepted per day or week (the engine's `StrikeSeries`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline import taxonomy
from timeline.engine import StrikeSeries
from timeline.figures.common import (
    DAY_MS,
    INTERCEPTED_COLOUR,
    Window,
    base_layout,
    date_axis,
    figure,
    ms,
)

MAX_BARS = 200
"""More bins than this draw as stacked areas, not bars (each bar costs the browser a path)."""


def _bars(series: StrikeSeries, middle: float) -> list[dict[str, Any]]:
    frame = series.frame
    traces = []
    for etype in taxonomy.EVENT_TYPES:
        part = frame[frame["event_type"] == etype.key]
        if part.empty:
            continue
        traces.append(
            {
                "type": "bar",
                "x": ms(part["bin"]) + middle,
                "y": part["launched"].to_numpy(dtype="int64"),
                "name": etype.label,
                "marker": {"color": etype.colour},
                "legendgroup": etype.key,
                "hovertemplate": f"{etype.label}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            }
        )
    intercepted = frame.groupby("bin")["intercepted"].sum(min_count=1).dropna()
    if len(intercepted):
        traces.append(
            {
                "type": "scatter",
                "x": ms(intercepted.index) + middle,
                "y": intercepted.to_numpy(dtype="int64"),
                "mode": "markers",
                "marker": {
                    "symbol": "diamond",
                    "size": 9,
                    "color": INTERCEPTED_COLOUR,
                    "line": {"width": 1, "color": "#fff"},
                },
                "name": "Intercepted (as claimed)",
                "hovertemplate": "%{x|%d %b %Y}: <b>%{y:,} intercepted</b><extra></extra>",
            }
        )
    return traces


def _stacked_areas(series: StrikeSeries, middle: float) -> list[dict[str, Any]]:
    """Too many bins for bars: stacked areas, with every empty bin a zero so the stack stays
    honest."""
    frame = series.frame
    bins = pd.date_range(frame["bin"].min(), frame["bin"].max(), freq="D" if series.per == "day" else "7D")
    table = frame.pivot_table(index="bin", columns="event_type", values="launched", aggfunc="sum")
    table = table.reindex(bins, fill_value=0).fillna(0)
    x = ms(bins) + middle
    traces = []
    for etype in taxonomy.EVENT_TYPES:
        if etype.key not in table.columns:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": table[etype.key].to_numpy(dtype="int64"),
                "mode": "lines",
                "stackgroup": "launched",
                "line": {"width": 0.6, "color": etype.colour},
                "fillcolor": etype.colour,
                "name": etype.label,
                "legendgroup": etype.key,
                "hovertemplate": f"{etype.label}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            }
        )
    intercepted = frame.groupby("bin")["intercepted"].sum(min_count=1).reindex(bins)
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": intercepted.to_numpy(dtype="float64", na_value=np.nan),
            "mode": "lines",
            "line": {"color": INTERCEPTED_COLOUR, "width": 1.2},
            "name": "Intercepted (as claimed)",
            "hovertemplate": "%{x|%d %b %Y}: <b>%{y:,} intercepted</b><extra></extra>",
        }
    )
    return traces


def counts_figure(series: StrikeSeries, *, window: Window = (None, None)) -> go.Figure:
    """Launched per day or week, stacked by event type, with intercepted as markers.
    An overnight attack counts on the day it began."""
    if series.empty:
        return figure([], {})
    middle = DAY_MS / 2 if series.per == "day" else 3.5 * DAY_MS
    frame = series.frame
    many = frame["bin"].nunique() > MAX_BARS
    traces = _stacked_areas(series, middle) if many else _bars(series, middle)
    totals = frame.groupby("bin")["launched"].sum()
    peak_bin = totals.idxmax()
    layout = base_layout(height=360)
    noun = "drones and missiles" if series.what == "all" else series.what
    layout.update(
        xaxis=date_axis(window),
        yaxis={"title": {"text": f"{noun} launched per {series.per}"}, "rangemode": "tozero"},
        barmode="stack",
        bargap=0.15,
        annotations=[
            {
                "x": float(ms([peak_bin])[0] + middle),
                "y": int(totals.max()),
                "text": f"<b>{int(totals.max()):,}</b> launched",
                "showarrow": True,
                "arrowhead": 0,
                "ay": -28,
                "font": {"size": 12},
            }
        ],
    )
    return figure(traces, layout)
