"""Selected events (or a story step's) on the counts chart and the map: they stay bright, the rest
fades (the timeline does this itself, `timeline_figure(selected=...)`). In place, on figures
the builders made; nothing here adds or removes a mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.figures.common import DAY_MS, ms

FADED = 0.22
BRIGHT = 0.95


def fade_events(fig: go.Figure, ids: Iterable[str]) -> go.Figure:
    """Marks that carry an event (the map's markers, rings and squares): bright when the event
    is one of `ids`, faded otherwise."""
    wanted = set(ids)
    if not wanted:
        return fig
    for trace in fig.data:
        template = getattr(trace, "hovertemplate", None) or ""
        if trace.type != "scatter" or trace.customdata is None or "customdata[4]" not in template:
            continue  # not one mark per event (areas, legend keys, cells of a large view)
        rows = np.asarray(trace.customdata, dtype=object)
        picked = np.isin(rows[:, 0], list(wanted))
        trace.marker.opacity = np.where(picked, BRIGHT, FADED)
    return fig


def bins_of(days: Iterable[date], per: str) -> list[date]:
    """The counts chart's bins (a day, or the Monday starting its week) holding these days."""
    out = []
    for day in days:
        stamp = pd.Timestamp(day)
        out.append((stamp - pd.Timedelta(days=stamp.weekday()) if per == "week" else stamp).date())
    return sorted(set(out))


def fade_bins(fig: go.Figure, bins: Iterable[date], per: str) -> go.Figure:
    """Counts chart: the bars and intercept marks of these bins bright, the others faded. A
    bin's bars are drawn side by side inside it (`counts_figure`), from its first midnight to
    the next bin's."""
    starts = ms(pd.to_datetime(list(bins)))
    if not len(starts):
        return fig
    length = DAY_MS if per == "day" else 7 * DAY_MS
    for trace in fig.data:
        if trace.type not in ("bar", "scatter") or trace.x is None or not len(trace.x):
            continue
        x = np.asarray([np.nan if v is None else v for v in trace.x], dtype="float64")
        if np.isnan(x).all():
            continue  # a legend key
        if trace.type == "bar":
            x = x + (trace.offset or 0) + (trace.width or 0) / 2  # each bar's centre
        inside = ((x[:, None] >= starts[None, :]) & (x[:, None] < starts[None, :] + length)).any(axis=1)
        trace.marker.opacity = np.where(inside, 1.0, FADED)
    return fig
