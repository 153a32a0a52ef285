"""The swimlane timeline: points for events known to the day, hatched bars for events known
only to the week or month; counts per lane and time bin when the engine aggregated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from timeline import taxonomy
from timeline.engine import MAX_LANES, TimelineData
from timeline.engine.queries import NONE_LANE, OTHER
from timeline.figures.common import (
    DAY_MS,
    HOVER,
    NEUTRAL,
    UNCERTAIN_PATTERN,
    Window,
    base_layout,
    count_labels,
    date_axis,
    escape_text,
    event_markers,
    figure,
    hover_data,
    is_point,
    marker_sizes,
    ms,
)
from timeline.formatting import country_name
from timeline.schema import Col, as_arrow


def lane_pairs(df: pd.DataFrame, lanes: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(row positions, lane codes, lane labels): one pair per event and lane it sits in.

    Type lanes follow the taxonomy's order; country and actor lanes are the most frequent
    `MAX_LANES - 1`, with the rest gathered in an 'Other' lane. Vectorised with pyarrow, so
    a million events with several countries each cost a fraction of a second."""
    if lanes == "type":
        codes = pd.Categorical(df[Col.EVENT_TYPE], categories=taxonomy.EVENT_TYPE_KEYS).codes
        present = np.flatnonzero(np.bincount(codes, minlength=len(taxonomy.EVENT_TYPE_KEYS)))
        remap = np.full(len(taxonomy.EVENT_TYPE_KEYS), -1)
        remap[present] = np.arange(len(present))
        labels = [taxonomy.LABELS[taxonomy.EVENT_TYPE_KEYS[i]] for i in present]
        return np.arange(len(df)), remap[codes], labels
    lists = as_arrow(df[Col.COUNTRIES if lanes == "country" else Col.ACTORS])
    empty = np.flatnonzero(np.asarray(pc.list_value_length(lists).fill_null(0)) == 0)
    values = pa.concat_arrays(
        [pc.list_flatten(lists).cast(pa.string()), pa.array(["(none)"] * len(empty), pa.string())]
    )
    rows = np.concatenate([np.asarray(pc.list_parent_indices(lists)), empty]).astype(np.int64)
    encoded = (
        pc.dictionary_encode(values).combine_chunks()
        if isinstance(values, pa.ChunkedArray)
        else pc.dictionary_encode(values)
    )
    codes = np.asarray(encoded.indices)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    frequency = np.bincount(codes, minlength=len(names))
    ranked = sorted(range(len(names)), key=lambda i: (-frequency[i], names[i]))
    keep = ranked if len(ranked) <= MAX_LANES else ranked[: MAX_LANES - 1]
    remap = np.full(len(names), len(keep))  # the 'Other' lane, if any
    remap[keep] = np.arange(len(keep))
    labels = [
        country_name(names[i]) if lanes == "country" and names[i] != "(none)" else names[i] for i in keep
    ]
    if len(ranked) > MAX_LANES:
        labels.append(f"Other {'countries' if lanes == 'country' else 'actors'}")
    lane = remap[codes]
    # An event counts once per lane, even if its list names the same lane twice.
    pairs = np.sort(rows * (len(labels) + 1) + lane)
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if len(pairs) else pairs
    return pairs // (len(labels) + 1), pairs % (len(labels) + 1), labels


def with_lanes(df: pd.DataFrame, lanes: str) -> tuple[pd.DataFrame, list[str]]:
    """One row per (event, lane), with a `lane` label column, and the lanes in display order."""
    rows, codes, labels = lane_pairs(df, lanes)
    out = df.iloc[rows].assign(lane=np.asarray(labels, dtype=object)[codes])
    return out, labels


@dataclass(frozen=True)
class TimelineInfo:
    shown: int
    aggregated: bool
    bin: str | None = None


def timeline_figure(
    data: TimelineData,
    *,
    lanes: str = "type",
    selected: str | None = None,
    window: Window = (None, None),
) -> tuple[go.Figure, TimelineInfo]:
    """Swimlanes over time: day events as points, week/month/year events as hatched bars
    over their whole interval, multi-day events as solid bars over their days."""
    if data.aggregated:
        return _timeline_aggregated(data, lanes, window)
    laned, order = with_lanes(data.events, lanes)
    laned = laned.reset_index(drop=True)
    lane = np.asarray([escape_text(x) for x in laned["lane"]], dtype=object)
    order = [escape_text(x) for x in order]
    types = laned[Col.EVENT_TYPE].to_numpy(dtype=object)
    start = ms(laned[Col.DATE_START])
    end = ms(laned[Col.DATE_END]) + DAY_MS  # exclusive
    mid = start + (end - start) / 2  # noon of a single day; midnight between an overnight's dates
    uncertain = (laned[Col.DATE_PRECISION] != "day").to_numpy()
    known_span = ~uncertain & ~is_point(laned).to_numpy()
    sizes = np.zeros(len(laned))
    sizes[~uncertain] = marker_sizes(laned[~uncertain])  # a monthly total must not dwarf nights
    labels = count_labels(laned)
    custom = hover_data(laned)
    traces: list[dict] = []
    for etype in taxonomy.EVENT_TYPES:
        of_type = types == etype.key
        if not of_type.any():
            continue
        bars, marks, spans = of_type & uncertain, of_type & ~uncertain, of_type & known_span
        if bars.any():
            traces.append(
                _interval_bars(
                    start[bars],
                    end[bars],
                    lane[bars],
                    custom[bars],
                    labels[bars],
                    etype,
                    legend=not marks.any(),
                )
            )
        if spans.any():
            traces.append(_span_lines(start[spans], end[spans], lane[spans], etype))
        if marks.any():
            traces.append(
                event_markers(etype, mid[marks], lane[marks], sizes[marks], custom[marks], labels[marks])
            )
    hit = laned[Col.EVENT_ID].to_numpy(dtype=object) == selected
    if selected is not None and hit.any():
        for colour, width in (("#ffffff", 6), ("#111111", 2.5)):  # a ring that shows on light and dark
            traces.append(
                {
                    "type": "scatter",
                    "x": mid[hit],
                    "y": lane[hit],
                    "mode": "markers",
                    "marker": {
                        "symbol": "circle-open",
                        "size": 38,
                        "color": colour,
                        "line": {"width": width},
                    },
                    "hoverinfo": "skip",
                    "name": "Selected",
                    "showlegend": False,
                }
            )
    if uncertain.any():
        traces.append(
            {
                "type": "bar",
                "x": [None],
                "y": [None],
                "orientation": "h",
                "name": "hatched: dated only to the week or month",
                "marker": {
                    "color": "rgba(120,120,120,0.6)",
                    "pattern": {"shape": UNCERTAIN_PATTERN, "fillmode": "overlay", "fgcolor": "white"},
                },
                "hoverinfo": "skip",
            }
        )
    layout = base_layout(height=max(300, 110 + 36 * len(order)))
    layout.update(
        xaxis=date_axis(window),
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "title": None, "automargin": True},
        barmode="overlay",
        clickmode="event+select",
    )
    return figure(traces, layout), TimelineInfo(shown=int(laned[Col.EVENT_ID].nunique()), aggregated=False)


def _span_lines(start: np.ndarray, end: np.ndarray, lane: np.ndarray, etype: taxonomy.EventType) -> dict:
    """A line across all the known days of a multi-day event, under its marker."""
    n = len(start)
    x = np.full(3 * n, np.nan)
    y = np.empty(3 * n, dtype=object)
    x[0::3], x[1::3] = start, end
    y[0::3], y[1::3], y[2::3] = lane, lane, None
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines",
        "line": {"color": etype.colour, "width": 5},
        "opacity": 0.55,
        "hoverinfo": "skip",
        "showlegend": False,
        "legendgroup": etype.key,
    }


def _interval_bars(
    start: np.ndarray,
    end: np.ndarray,
    lane: np.ndarray,
    custom: np.ndarray,
    labels: np.ndarray,
    etype: taxonomy.EventType,
    legend: bool,
) -> dict:
    """Week/month/year events: a hatched bar over the whole interval the source allows."""
    return {
        "type": "bar",
        "base": start,
        "x": end - start,  # milliseconds, as a date axis measures bar lengths
        "y": lane,
        "orientation": "h",
        "width": 0.55,
        "marker": {
            "color": etype.colour,
            "opacity": 0.8,
            "pattern": {
                "shape": UNCERTAIN_PATTERN,
                "fillmode": "overlay",
                "fgcolor": "rgba(255,255,255,0.8)",
                "size": 7,
            },
            "line": {"width": 0},
        },
        "text": labels,
        "textposition": "inside",
        "insidetextanchor": "start",
        "textfont": {"size": 11, "color": "#111"},
        "customdata": custom,
        "hovertemplate": HOVER,
        "name": etype.label,
        "legendgroup": etype.key,
        "showlegend": legend,
    }


def _timeline_aggregated(data: TimelineData, lanes: str, window: Window) -> tuple[go.Figure, TimelineInfo]:
    """Counts per (lane, time bin) as squares: bounded by bins x lanes, whatever the rows."""
    bins = data.bins
    order = list(data.lanes)
    labels = [_lane_label(x, lanes) for x in order]
    position = {lane: i for i, lane in enumerate(order)}
    lane = bins["lane"].map(position).to_numpy()
    n = bins["n"].to_numpy(dtype="float64")
    if lanes == "type":
        by_label = {t.label: t.colour for t in taxonomy.EVENT_TYPES}
        colours: object = np.asarray([by_label.get(x, NEUTRAL) for x in order], dtype=object)[lane]
    else:
        colours = NEUTRAL
    ticks = np.asarray(labels, dtype=object)
    trace = {
        "type": "scatter",
        "x": ms(bins["bin"]),
        "y": ticks[lane],
        "mode": "markers",
        "marker": {
            "color": colours,
            "symbol": "square",
            "size": 4 + 16 * np.sqrt(n / n.max()) if len(n) else [],
            "opacity": 0.85,
        },
        "customdata": n,
        "hovertemplate": f"%{{y}}<br>{data.freq} of %{{x|%d %b %Y}}: <b>%{{customdata:,}} events</b><extra></extra>",
        "name": "Events",
        "showlegend": False,
    }
    layout = base_layout(height=max(300, 110 + 36 * len(order)))
    layout.update(
        xaxis=date_axis(window),
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "title": None, "automargin": True},
        annotations=[
            {
                "text": f"{data.count:,} events: marker area = events per {data.freq}",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1.02,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        ],
    )
    return figure([trace], layout), TimelineInfo(shown=data.count, aggregated=True, bin=data.freq)


def _lane_label(lane: str, lanes: str) -> str:
    named = lanes == "country" and lane not in (OTHER, NONE_LANE)
    return escape_text(country_name(lane) if named else lane)
