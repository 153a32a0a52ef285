"""Plotly figures for the dashboard and the exports: timeline, counts over time, map.

Pure functions of a filtered frame. Each keeps what it sends to the browser bounded: above
`MAX_EVENTS` events the timeline and map aggregate to counts per bin per lane (or per map
cell), so a million rows cost the same bytes as a few thousand.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pycountry

from timeline import taxonomy
from timeline.formatting import format_count, format_dates
from timeline.schema import Col

MAX_EVENTS = 3000
"""Above this many events in view, the timeline and map draw aggregates, not events."""
MAX_LANES = 30
LABELLED_PER_UNIT = 5
"""The largest counts of each unit in view get a number label next to their mark."""
DAY_MS = 86_400_000
NEUTRAL = "#5b7083"
BORDER_COLOUR = "#9aa0a6"
UNCERTAIN_PATTERN = "/"
HOVER = (
    "<b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}"
    "<br><i>Source: %{customdata[4]}</i><extra>%{customdata[5]}</extra>"
)


# --- lanes and hover data ---------------------------------------------------------------


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    name = getattr(country, "common_name", None) or getattr(country, "name", code) if country else code
    return f"{name} ({code})"


def _lane_labels(lanes: str, values: pd.Series) -> pd.Series:
    if lanes == "type":
        return values.map(taxonomy.LABELS)
    if lanes == "country":
        return values.map(country_name)
    return values


def with_lanes(df: pd.DataFrame, lanes: str) -> tuple[pd.DataFrame, list[str]]:
    """One row per (event, lane) and the lanes in display order.

    Type lanes follow the taxonomy's order; country and actor lanes are the most frequent
    `MAX_LANES - 1`, with the rest gathered in an 'Other' lane."""
    if lanes == "type":
        out = df.assign(lane=df[Col.EVENT_TYPE].map(taxonomy.LABELS))
        present = set(out["lane"])
        return out, [t.label for t in taxonomy.EVENT_TYPES if t.label in present]
    column = Col.COUNTRIES if lanes == "country" else Col.ACTORS
    values = df[column].map(lambda v: list(v) if len(v) else ["(none)"])
    exploded = df.assign(lane=values).explode("lane")
    order = exploded["lane"].value_counts()
    top = list(order.index[: MAX_LANES - 1]) if len(order) > MAX_LANES else list(order.index)
    other = f"Other {'countries' if lanes == 'country' else 'actors'}"
    exploded["lane"] = exploded["lane"].where(exploded["lane"].isin(top), other)
    exploded = exploded.drop_duplicates([Col.EVENT_ID, "lane"])
    labels = [country_name(c) if lanes == "country" and c != "(none)" else c for c in top]
    if lanes == "country":
        exploded["lane"] = exploded["lane"].map(
            lambda c: country_name(c) if c not in ("(none)", other) else c
        )
    if len(order) > MAX_LANES:
        labels.append(other)
    return exploded, labels


def hover_data(df: pd.DataFrame) -> np.ndarray:
    """customdata columns: event_id, title, dates as reported, counts, source, type label."""
    rows = []
    for r in df[
        [
            Col.EVENT_ID,
            Col.TITLE,
            Col.DATE_START,
            Col.DATE_END,
            Col.DATE_PRECISION,
            Col.DATE_TEXT,
            Col.COUNT,
            Col.COUNT_UNIT,
            Col.INTERCEPTED,
            Col.SOURCE_OUTLET,
            Col.EVENT_TYPE,
        ]
    ].itertuples(index=False):
        text = None if pd.isna(r[5]) else str(r[5])
        rows.append(
            (
                r[0],
                _escape(str(r[1])),
                _escape(format_dates(r[2].date(), r[3].date(), r[4], text)),
                _escape(format_count(r[6], r[7], r[8])) or "no count reported",
                _escape(str(r[9])),
                taxonomy.LABELS.get(r[10], r[10]),
            )
        )
    return np.array(rows, dtype=object).reshape(len(rows), 6)


def _escape(text: str) -> str:
    """Plotly hover and axis text accept a few HTML tags; event text must stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _marker_sizes(df: pd.DataFrame, smallest: float = 8, largest: float = 30) -> np.ndarray:
    """Area grows with count, relative to the largest count of the same unit in view
    (188 drones and 11,000 troops are not on one scale)."""
    counts = df[Col.COUNT].astype("float64")
    peak = counts.groupby(df[Col.COUNT_UNIT]).transform("max")
    ratio = (counts / peak).fillna(0).clip(0, 1).to_numpy()
    return smallest + (largest - smallest) * np.sqrt(ratio)


def _count_labels(df: pd.DataFrame) -> np.ndarray:
    """'188' next to the largest few counts of each unit (drones, troops, ...)."""
    labels = np.full(len(df), "", dtype=object)
    counted = df[df[Col.COUNT].notna()]
    if len(counted):
        rank = counted.groupby(Col.COUNT_UNIT)[Col.COUNT].rank(method="first", ascending=False)
        top = counted[rank <= LABELLED_PER_UNIT]
        labels[df.index.get_indexer(top.index)] = [f"{int(c):,}" for c in top[Col.COUNT]]
    return labels


def is_point(df: pd.DataFrame) -> pd.Series:
    """Drawn as a point: known to the day and one day long."""
    return (df[Col.DATE_PRECISION] == "day") & (df[Col.DATE_START] == df[Col.DATE_END])


# --- timeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineInfo:
    shown: int
    aggregated: bool
    bin: str | None = None


def _base_layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        hovermode="closest",
        dragmode="zoom",
    )


Window = tuple[date | None, date | None]


def _date_axis(fig: go.Figure, window: Window = (None, None)) -> None:
    """A date x-axis; with a filtered date window, the axis shows exactly that window."""
    start, end = window
    if start is not None or end is not None:
        fig.update_xaxes(range=[_axis_end(start, 0), _axis_end(end, 1)])
    fig.update_xaxes(
        type="date",
        showgrid=True,
        tickformatstops=[
            {"dtickrange": [None, DAY_MS * 27], "value": "%d %b\n%Y"},
            {"dtickrange": [DAY_MS * 27, DAY_MS * 360], "value": "%b %Y"},
            {"dtickrange": [DAY_MS * 360, None], "value": "%Y"},
        ],
        rangeselector={
            "buttons": [
                {"count": 7, "label": "1w", "step": "day", "stepmode": "backward"},
                {"count": 1, "label": "1m", "step": "month", "stepmode": "backward"},
                {"count": 3, "label": "3m", "step": "month", "stepmode": "backward"},
                {"step": "all", "label": "all"},
            ],
            "x": 1,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
        },
    )


def _axis_end(day: date | None, extra_days: int) -> str | None:
    return None if day is None else (pd.Timestamp(day) + pd.Timedelta(days=extra_days)).isoformat()


def timeline_figure(
    df: pd.DataFrame,
    *,
    lanes: str = "type",
    selected: str | None = None,
    max_events: int = MAX_EVENTS,
    window: Window = (None, None),
) -> tuple[go.Figure, TimelineInfo]:
    """Swimlanes over time: day events as points, week/month/year events as hatched bars
    over their whole interval, multi-day events as solid bars over their days."""
    if len(df) > max_events:
        return _timeline_aggregated(df, lanes, window)
    laned, order = with_lanes(df, lanes)
    laned = laned.reset_index(drop=True)
    fig = go.Figure()
    uncertain = (laned[Col.DATE_PRECISION] != "day").to_numpy()
    known_span = ~uncertain & ~is_point(laned).to_numpy()
    sizes = np.zeros(len(laned))
    sizes[~uncertain] = _marker_sizes(laned[~uncertain])  # a monthly total must not dwarf nights
    labels = _count_labels(laned)
    custom = hover_data(laned)
    mid = _midpoints(laned)
    for etype in taxonomy.EVENT_TYPES:
        of_type = (laned[Col.EVENT_TYPE] == etype.key).to_numpy()
        if not of_type.any():
            continue
        bars, marks, spans = of_type & uncertain, of_type & ~uncertain, of_type & known_span
        if bars.any():
            _add_interval_bars(fig, laned[bars], custom[bars], labels[bars], etype, legend=not marks.any())
        if spans.any():
            _add_span_lines(fig, laned[spans], etype)
        if marks.any():
            fig.add_trace(
                go.Scatter(
                    x=mid[marks],
                    y=laned.loc[marks, "lane"],
                    mode="markers+text",
                    marker={
                        "color": etype.colour,
                        "size": sizes[marks],
                        "line": {"width": 1, "color": "rgba(255,255,255,0.8)"},
                        "opacity": 0.9,
                    },
                    text=labels[marks],
                    textposition="middle right",
                    textfont={"size": 11},
                    customdata=custom[marks],
                    hovertemplate=HOVER,
                    name=etype.label,
                    legendgroup=etype.key,
                )
            )
    if selected is not None and selected in set(laned[Col.EVENT_ID]):
        hit = (laned[Col.EVENT_ID] == selected).to_numpy()
        fig.add_trace(
            go.Scatter(
                x=mid[hit],
                y=laned.loc[hit, "lane"],
                mode="markers",
                marker={"symbol": "circle-open", "size": 38, "color": "#222", "line": {"width": 3}},
                hoverinfo="skip",
                name="Selected",
                showlegend=False,
            )
        )
    if uncertain.any():
        fig.add_trace(
            go.Bar(
                x=[None],
                y=[None],
                orientation="h",
                name="hatched = date known only to the week/month",
                marker={
                    "color": "rgba(120,120,120,0.6)",
                    "pattern": {"shape": UNCERTAIN_PATTERN, "fillmode": "overlay", "fgcolor": "white"},
                },
                hoverinfo="skip",
            )
        )
    _base_layout(fig, height=max(300, 110 + 36 * len(order)))
    _date_axis(fig, window)
    fig.update_layout(barmode="overlay", clickmode="event+select")
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], title=None, automargin=True)
    return fig, TimelineInfo(shown=int(laned[Col.EVENT_ID].nunique()), aggregated=False)


def _midpoints(df: pd.DataFrame) -> pd.Series:
    """Where an event's marker sits: the middle of the days it covers (noon for one day,
    midnight between the two dates for an overnight attack)."""
    return df[Col.DATE_START] + (df[Col.DATE_END] - df[Col.DATE_START] + pd.Timedelta(days=1)) / 2


def _add_span_lines(fig: go.Figure, spans: pd.DataFrame, etype: taxonomy.EventType) -> None:
    """A line across all the known days of a multi-day event, under its marker."""
    n = len(spans)
    x = np.empty(3 * n, dtype=object)
    y = np.empty(3 * n, dtype=object)
    x[0::3], x[1::3], x[2::3] = spans[Col.DATE_START], spans[Col.DATE_END] + pd.Timedelta(days=1), None
    y[0::3], y[1::3], y[2::3] = spans["lane"], spans["lane"], None
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"color": etype.colour, "width": 5},
            opacity=0.55,
            hoverinfo="skip",
            showlegend=False,
            legendgroup=etype.key,
        )
    )


def _add_interval_bars(
    fig: go.Figure,
    spans: pd.DataFrame,
    custom: np.ndarray,
    labels: np.ndarray,
    etype: taxonomy.EventType,
    legend: bool,
) -> None:
    """Week/month/year events: a hatched bar over the whole interval the source allows."""
    length_ms = ((spans[Col.DATE_END] - spans[Col.DATE_START]).dt.days + 1) * DAY_MS
    fig.add_trace(
        go.Bar(
            base=spans[Col.DATE_START],
            x=length_ms,
            y=spans["lane"],
            orientation="h",
            width=0.55,
            marker={
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
            text=labels,
            textposition="inside",
            insidetextanchor="start",
            textfont={"size": 11, "color": "#111"},
            customdata=custom,
            hovertemplate=HOVER,
            name=etype.label,
            legendgroup=etype.key,
            showlegend=legend,
        )
    )


def choose_bin(first: pd.Timestamp, last: pd.Timestamp, max_bins: int = 400) -> str:
    """Day, week or month bins, whichever keeps the number of bins under `max_bins`."""
    days = (last - first).days + 1
    if days <= max_bins:
        return "day"
    if days / 7 <= max_bins:
        return "week"
    return "month"


def bin_start(dates: pd.Series, freq: str) -> pd.Series:
    if freq == "day":
        return dates.dt.normalize()
    if freq == "week":
        return (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.normalize()
    return dates.dt.to_period("M").dt.start_time


def _timeline_aggregated(df: pd.DataFrame, lanes: str, window: Window) -> tuple[go.Figure, TimelineInfo]:
    freq = choose_bin(df[Col.DATE_START].min(), df[Col.DATE_END].max())
    laned, order = with_lanes(
        df[[Col.EVENT_ID, Col.EVENT_TYPE, Col.DATE_START, Col.COUNTRIES, Col.ACTORS]], lanes
    )
    laned = laned.assign(bin=bin_start(laned[Col.DATE_START], freq))
    keys = ["lane", "bin"] + ([Col.EVENT_TYPE] if lanes == "type" else [])
    counts = laned.groupby(keys, observed=True).size().rename("n").reset_index()
    peak = counts["n"].max()
    fig = go.Figure()
    groups = counts.groupby(Col.EVENT_TYPE) if lanes == "type" else [(None, counts)]
    for key, part in groups:
        colour = taxonomy.COLOURS[key] if key else NEUTRAL
        fig.add_trace(
            go.Scatter(
                x=part["bin"],
                y=part["lane"],
                mode="markers",
                marker={
                    "color": colour,
                    "symbol": "square",
                    "size": 4 + 16 * np.sqrt(part["n"] / peak),
                    "opacity": 0.85,
                },
                customdata=np.stack(
                    [part["n"].map("{:,}".format), part["bin"].dt.strftime("%d %b %Y")], axis=1
                ),
                hovertemplate=f"%{{y}}<br>{freq} of %{{customdata[1]}}: <b>%{{customdata[0]}} events</b><extra></extra>",
                name=taxonomy.LABELS[key] if key else "Events",
                showlegend=bool(key),
            )
        )
    _base_layout(fig, height=max(300, 110 + 36 * len(order)))
    _date_axis(fig, window)
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], title=None, automargin=True)
    fig.add_annotation(
        text=f"{len(df):,} events: marker area = events per {freq}. Narrow the filters below "
        f"{MAX_EVENTS:,} events to see and select individual events.",
        xref="paper",
        yref="paper",
        x=0,
        y=-0.02,
        yanchor="top",
        showarrow=False,
        font={"size": 12},
    )
    fig.update_layout(margin={"b": 40})
    return fig, TimelineInfo(shown=len(df), aggregated=True, bin=freq)


# --- counts over time ----------------------------------------------------------------------


COUNT_CHOICES = {"all": taxonomy.STRIKE_UNITS, "drones": ("drones",), "missiles": ("missiles",)}
"""What the counts chart adds up: every strike, or only rows counted in drones or missiles
(a combined strike's total cannot be split, so it counts only under 'all')."""


def strike_rows(df: pd.DataFrame, per: str, what: str = "all") -> tuple[pd.DataFrame, int]:
    """Strikes whose launch count can honestly sit in one day (or week) bin, and how many
    were left out (monthly totals and other coarsely dated figures)."""
    strikes = df[
        df[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)
        & df[Col.COUNT_UNIT].isin(COUNT_CHOICES[what])
        & df[Col.COUNT].notna()
    ]
    fits = strikes[Col.DATE_PRECISION] == "day"
    if per == "week":
        same_week = bin_start(strikes[Col.DATE_START], "week") == bin_start(strikes[Col.DATE_END], "week")
        fits |= (strikes[Col.DATE_PRECISION] == "week") & same_week
    return strikes[fits], int((~fits).sum())


def counts_figure(
    df: pd.DataFrame, *, per: str = "day", what: str = "all", window: Window = (None, None)
) -> go.Figure:
    """Launched per day or week, stacked by event type, with intercepted as markers.
    An overnight attack counts on the day it began."""
    rows, _ = strike_rows(df, per, what)
    fig = go.Figure()
    if rows.empty:
        return fig
    rows = rows.assign(bin=bin_start(rows[Col.DATE_START], per))
    launched = rows.groupby(["bin", Col.EVENT_TYPE], observed=True)[Col.COUNT].sum().reset_index()
    for etype in taxonomy.EVENT_TYPES:
        part = launched[launched[Col.EVENT_TYPE] == etype.key]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["bin"] + pd.Timedelta(hours=12 if per == "day" else 84),
                y=part[Col.COUNT].astype("int64"),
                name=etype.label,
                marker={"color": etype.colour},
                legendgroup=etype.key,
                hovertemplate=f"{etype.label}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            )
        )
    intercepted = rows.groupby("bin")[Col.INTERCEPTED].sum(min_count=1).dropna()
    if len(intercepted):
        fig.add_trace(
            go.Scatter(
                x=intercepted.index + pd.Timedelta(hours=12 if per == "day" else 84),
                y=intercepted.astype("int64"),
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 9,
                    "color": "#4a4a4a",
                    "line": {"width": 1, "color": "#fff"},
                },
                name="Intercepted (as claimed)",
                hovertemplate="%{x|%d %b %Y}: <b>%{y:,} intercepted</b><extra></extra>",
            )
        )
    totals = launched.groupby("bin")[Col.COUNT].sum()
    peak_bin = totals.idxmax()
    fig.add_annotation(
        x=peak_bin + pd.Timedelta(hours=12 if per == "day" else 84),
        y=int(totals.max()),
        text=f"<b>{int(totals.max()):,}</b> launched",
        showarrow=True,
        arrowhead=0,
        ay=-28,
        font={"size": 12},
    )
    _base_layout(fig, height=360)
    _date_axis(fig, window)
    fig.update_layout(barmode="stack", bargap=0.15)
    noun = "drones and missiles" if what == "all" else what
    fig.update_yaxes(title=f"{noun} launched per {per}", rangemode="tozero")
    return fig


# --- map -----------------------------------------------------------------------------------


@cache
def border_lines(scale: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Natural Earth borders as (lon, lat, arc bounding boxes); arcs separated by NaN."""
    raw = resources.files("timeline.assets").joinpath(f"borders_{scale}.json.gz").read_bytes()
    arcs = [_split_at_antimeridian(a) for a in json.loads(gzip.decompress(raw))]
    arcs = [part for parts in arcs for part in parts if len(part) > 1]
    boxes = np.array(
        [
            [min(p[0] for p in a), min(p[1] for p in a), max(p[0] for p in a), max(p[1] for p in a)]
            for a in arcs
        ]
    )
    lon = np.concatenate([np.append(np.array(a)[:, 0], np.nan) for a in arcs])
    lat = np.concatenate([np.append(np.array(a)[:, 1], np.nan) for a in arcs])
    return lon, lat, boxes


def _split_at_antimeridian(arc: list[list[float]]) -> list[list[list[float]]]:
    """Pieces of an arc, cut where it jumps from +180 to -180 longitude (else it would
    draw a line across the whole map)."""
    parts, current = [], [arc[0]]
    for prev, point in itertools.pairwise(arc):
        if abs(point[0] - prev[0]) > 180:
            parts.append(current)
            current = []
        current.append(point)
    parts.append(current)
    return parts


def _borders_in(west: float, south: float, east: float, north: float) -> tuple[np.ndarray, np.ndarray]:
    """Only the arcs that touch the view, at a detail that suits its size."""
    scale = "50m" if east - west < 60 else "110m"
    lon, lat, boxes = border_lines(scale)
    touching = (boxes[:, 2] >= west) & (boxes[:, 0] <= east) & (boxes[:, 3] >= south) & (boxes[:, 1] <= north)
    arc_of_point = np.cumsum(np.isnan(np.concatenate([[np.nan], lon[:-1]]))) - 1
    keep = touching[arc_of_point]
    return lon[keep], lat[keep]


def map_figure(df: pd.DataFrame, *, max_events: int = MAX_EVENTS) -> go.Figure:
    """Events with coordinates on a tile-free map with country borders, coloured by type and
    sized by count. Needs no tile server, so it works offline and in exports."""
    located = df[df[Col.LATITUDE].notna()]
    fig = go.Figure()
    if located.empty:
        return fig
    lat, lon = located[Col.LATITUDE], located[Col.LONGITUDE]
    pad_lon = max(2.0, (lon.max() - lon.min()) * 0.08)
    pad_lat = max(1.5, (lat.max() - lat.min()) * 0.08)
    west, east = max(-180.0, lon.min() - pad_lon), min(180.0, lon.max() + pad_lon)
    south, north = max(-85.0, lat.min() - pad_lat), min(85.0, lat.max() + pad_lat)
    bx, by = _borders_in(west, south, east, north)
    fig.add_trace(
        go.Scatter(
            x=bx,
            y=by,
            mode="lines",
            line={"color": BORDER_COLOUR, "width": 0.8},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if len(located) > max_events:
        _map_cells(fig, located)
    else:
        custom = hover_data(located)
        sizes = _marker_sizes(located, smallest=9, largest=34)
        for etype in taxonomy.EVENT_TYPES:
            of_type = (located[Col.EVENT_TYPE] == etype.key).to_numpy()
            if of_type.any():
                part = located[of_type]
                fig.add_trace(
                    go.Scatter(
                        x=part[Col.LONGITUDE],
                        y=part[Col.LATITUDE],
                        mode="markers",
                        marker={
                            "color": etype.colour,
                            "size": sizes[of_type],
                            "opacity": 0.85,
                            "line": {"width": 1, "color": "rgba(255,255,255,0.8)"},
                        },
                        customdata=custom[of_type],
                        hovertemplate=HOVER,
                        name=etype.label,
                        legendgroup=etype.key,
                    )
                )
    mid_lat = math.radians((south + north) / 2)
    _base_layout(fig, height=520)
    fig.update_xaxes(range=[west, east], showgrid=False, zeroline=False, visible=False)
    fig.update_yaxes(
        range=[south, north],
        showgrid=False,
        zeroline=False,
        visible=False,
        scaleanchor="x",
        scaleratio=1 / max(0.2, math.cos(mid_lat)),
    )
    fig.add_annotation(
        text="Borders: Natural Earth",
        xref="paper",
        yref="paper",
        x=1,
        y=0,
        xanchor="right",
        yanchor="bottom",
        showarrow=False,
        font={"size": 10, "color": BORDER_COLOUR},
    )
    return fig


def _map_cells(fig: go.Figure, located: pd.DataFrame, cell: float = 0.5) -> None:
    cells = located.assign(
        cx=(located[Col.LONGITUDE] / cell).round() * cell, cy=(located[Col.LATITUDE] / cell).round() * cell
    )
    counts = cells.groupby(["cx", "cy", Col.EVENT_TYPE], observed=True).size().rename("n").reset_index()
    peak = counts["n"].max()
    for key, part in counts.groupby(Col.EVENT_TYPE):
        fig.add_trace(
            go.Scatter(
                x=part["cx"],
                y=part["cy"],
                mode="markers",
                marker={
                    "color": taxonomy.COLOURS[key],
                    "size": 5 + 25 * np.sqrt(part["n"] / peak),
                    "opacity": 0.7,
                },
                customdata=part["n"].map("{:,}".format),
                hovertemplate=f"{taxonomy.LABELS[key]}: <b>%{{customdata}} events</b> near "
                "%{y:.1f}°, %{x:.1f}°<extra></extra>",
                name=taxonomy.LABELS[key],
            )
        )
