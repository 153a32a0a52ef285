"""Selected events (or a story step's) on every chart: they stay bright, the rest fades. In
place, on kept figures the builders made without a selection (`figures.cache`), so a click
builds no figure; nothing here adds or removes a mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.figures import timeline_chart as tl
from timeline.figures.common import DAY_MS, HOVER, ms
from timeline.figures.timeline_layout import CALLOUT_FADED

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


def fade_timeline(fig: go.Figure, ids: Iterable[str], key_events: Iterable[str] = ()) -> go.Figure:
    """The timeline as `timeline_figure(selected=ids)` draws it, from the one drawn without a
    selection: markers and hatched bars faded per event, span lines moved to their type's
    faded trace, call-outs (`key_events`, in the order of their annotations) faded."""
    wanted = set(ids)
    if not wanted:
        return fig
    spans: dict[str, list] = {}
    for trace in fig.data:
        if isinstance(trace.meta, dict) and "spans" in trace.meta:
            spans.setdefault(trace.legendgroup, []).append(trace)
        elif (
            trace.type in ("scatter", "bar") and trace.customdata is not None and trace.hovertemplate == HOVER
        ):
            picked = np.isin(np.asarray(trace.customdata, dtype=object)[:, 0], list(wanted))
            opacity = np.where(picked, tl.BRIGHT, tl.FADED)
            trace.marker.opacity = opacity * tl.BAR_SHARE if trace.type == "bar" else opacity
    for pair in spans.values():  # each line is three points: start, end, a gap
        x = np.concatenate([np.asarray(t.x, dtype="float64") for t in pair])
        y = np.concatenate([np.asarray(t.y, dtype="float64") for t in pair])
        owner = np.asarray([i for t in pair for i in t.meta["events"]], dtype=object)
        picked = np.isin(owner, list(wanted))
        for trace in pair:
            part = ~picked if trace.meta["spans"] == tl.SPANS_FADED else picked
            trace.x, trace.y = x[np.repeat(part, 3)], y[np.repeat(part, 3)]
            trace.meta = {"spans": trace.meta["spans"], "events": list(owner[part])}
    called = list(key_events)
    for kind, items in (("key-event", fig.layout.annotations), ("key-event-leader", fig.layout.shapes)):
        marks = [item for item in items if item.name == kind]
        for item, event_id in zip(marks, called, strict=False):
            item.opacity = 1.0 if event_id in wanted else CALLOUT_FADED
    return fig


def bin_starts(days: Iterable[date], per: str) -> np.ndarray:
    """The first midnight (ms since 1970) of each day's counts-chart bin: the day itself, or
    the Monday starting its week."""
    stamps = pd.DatetimeIndex(pd.to_datetime(list(days)))
    if per == "week":
        stamps = stamps - pd.to_timedelta(stamps.day_of_week, unit="D")
    return ms(stamps)


def days_of(starts: Iterable[float]) -> list[date]:
    """Dates from their first midnights in ms since 1970 (`bin_starts`)."""
    return [stamp.date() for stamp in pd.to_datetime(list(starts), unit="ms")]


def bins_of(days: Iterable[date], per: str) -> list[date]:
    """The counts chart's bins (a day, or the Monday starting its week) holding these days."""
    return days_of(np.unique(bin_starts(days, per)))


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
