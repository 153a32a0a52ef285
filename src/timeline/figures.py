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
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from timeline import taxonomy
from timeline.formatting import format_count, format_dates
from timeline.schema import Col, as_arrow

MAX_EVENTS = 3000
"""Above this many events in view, the timeline and map draw aggregates, not events."""
MAX_LANES = 30
MAX_BARS = 200
"""More bins than this in the counts chart draw as stacked areas, not bars."""
LABELLED_PER_UNIT = 5
"""The largest counts of each unit in view get a number label next to their mark."""
DAY_MS = 86_400_000
NEUTRAL = "#5b7083"
INTERCEPTED_COLOUR = "#6b7785"  # mid grey: reads on light and dark backgrounds
BORDER_COLOUR = "#9aa0a6"
UNCERTAIN_PATTERN = "/"
HOVER = (
    "<b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}"
    "<br><i>Source: %{customdata[4]}</i><extra>%{customdata[5]}</extra>"
)


AGGREGATE_COLUMNS = [
    Col.EVENT_ID, Col.EVENT_TYPE, Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, Col.COUNTRIES,
    Col.ACTORS, Col.COUNT, Col.COUNT_UNIT, Col.INTERCEPTED, Col.LATITUDE, Col.LONGITUDE,
]  # fmt: skip
"""What the charts need when they aggregate (no titles, summaries or sources)."""


def in_view(events: pd.DataFrame, keep: np.ndarray, max_events: int = MAX_EVENTS) -> pd.DataFrame:
    """The matching events for the charts: every column when they will be drawn one by one,
    only `AGGREGATE_COLUMNS` when they will be counted (copying text columns is the slow part)."""
    if int(keep.sum()) <= max_events:
        return events[keep]
    if keep.all():
        return events[AGGREGATE_COLUMNS]  # no row copy at all
    return events.loc[keep, AGGREGATE_COLUMNS]


# --- lanes and hover data ---------------------------------------------------------------


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    name = getattr(country, "common_name", None) or getattr(country, "name", code) if country else code
    return f"{name} ({code})"


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
                    textposition="top center",
                    textfont={"size": 11},
                    customdata=custom[marks],
                    hovertemplate=HOVER,
                    name=etype.label,
                    legendgroup=etype.key,
                )
            )
    if selected is not None and selected in set(laned[Col.EVENT_ID]):
        hit = (laned[Col.EVENT_ID] == selected).to_numpy()
        for colour, width in (("#ffffff", 6), ("#111111", 2.5)):  # a ring that shows on light and dark
            fig.add_trace(
                go.Scatter(
                    x=mid[hit],
                    y=laned.loc[hit, "lane"],
                    mode="markers",
                    marker={"symbol": "circle-open", "size": 38, "color": colour, "line": {"width": width}},
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


def choose_bin(first: pd.Timestamp, last: pd.Timestamp, max_bins: int = 150) -> str:
    """Day, week or month bins, whichever keeps the number of bins under `max_bins`."""
    days = (last - first).days + 1
    if days <= max_bins:
        return "day"
    if days / 7 <= max_bins:
        return "week"
    return "month"


def bin_days(days: np.ndarray, freq: str) -> np.ndarray:
    """First day of each date's bin (ISO weeks start on Monday); numpy datetime64[D]."""
    days = days.astype("datetime64[D]")
    if freq == "day":
        return days
    if freq == "week":
        weekday = (days.view("int64") - 4) % 7  # 1970-01-01 was a Thursday
        return days - weekday.astype("timedelta64[D]")
    return days.astype("datetime64[M]").astype("datetime64[D]")


def bin_start(dates: pd.Series, freq: str) -> pd.Series:
    return pd.Series(bin_days(dates.to_numpy("datetime64[D]"), freq), index=dates.index).astype(
        "datetime64[ms]"
    )


def bin_numbers(bins: np.ndarray, freq: str) -> tuple[np.ndarray, np.datetime64]:
    """Bin start days -> 0-based bin numbers, and the first bin's start."""
    first = bins.min()
    if freq == "month":
        months = bins.astype("datetime64[M]")
        return (months - months.min()).astype("int64"), first
    step = 7 if freq == "week" else 1
    return (bins - first).astype("int64") // step, first


def bin_dates(numbers: np.ndarray, first: np.datetime64, freq: str) -> np.ndarray:
    if freq == "month":
        return (first.astype("datetime64[M]") + numbers).astype("datetime64[D]")
    return first + numbers * (7 if freq == "week" else 1)


def _timeline_aggregated(df: pd.DataFrame, lanes: str, window: Window) -> tuple[go.Figure, TimelineInfo]:
    """Counts per (lane, time bin) as squares: bounded by bins x lanes, whatever the rows."""
    freq = choose_bin(df[Col.DATE_START].min(), df[Col.DATE_END].max())
    rows, codes, order = lane_pairs(df, lanes)
    numbers, first = bin_numbers(bin_days(df[Col.DATE_START].to_numpy("datetime64[D]"), freq), freq)
    n_bins = int(numbers.max()) + 1
    counts = np.bincount(codes * n_bins + numbers[rows], minlength=len(order) * n_bins)
    cells = np.flatnonzero(counts)
    lane, number, n = cells // n_bins, cells % n_bins, counts[cells]
    labels = np.asarray(order, dtype=object)
    if lanes == "type":
        by_label = {t.label: t.colour for t in taxonomy.EVENT_TYPES}
        colours = np.asarray([by_label[label] for label in order], dtype=object)[lane]
    else:
        colours = NEUTRAL
    fig = go.Figure(
        go.Scatter(
            x=bin_dates(number, first, freq),
            y=labels[lane],
            mode="markers",
            marker={
                "color": colours,
                "symbol": "square",
                "size": 4 + 16 * np.sqrt(n / n.max()),
                "opacity": 0.85,
            },
            customdata=n,
            hovertemplate=f"%{{y}}<br>{freq} of %{{x|%d %b %Y}}: <b>%{{customdata:,}} events</b><extra></extra>",
            name="Events",
            showlegend=False,
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


STRIKE_COLUMNS = [Col.EVENT_ID, Col.EVENT_TYPE, Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION]
STRIKE_COLUMNS += [Col.COUNT, Col.COUNT_UNIT, Col.INTERCEPTED]


def _add_bars(fig: go.Figure, launched: pd.DataFrame, intercepted: pd.Series, middle: pd.Timedelta) -> None:
    for etype in taxonomy.EVENT_TYPES:
        part = launched[launched[Col.EVENT_TYPE] == etype.key]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["bin"] + middle,
                y=part[Col.COUNT].astype("int64"),
                name=etype.label,
                marker={"color": etype.colour},
                legendgroup=etype.key,
                hovertemplate=f"{etype.label}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            )
        )
    if len(intercepted):
        fig.add_trace(
            go.Scatter(
                x=intercepted.index + middle,
                y=intercepted.astype("int64"),
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 9,
                    "color": INTERCEPTED_COLOUR,
                    "line": {"width": 1, "color": "#fff"},
                },
                name="Intercepted (as claimed)",
                hovertemplate="%{x|%d %b %Y}: <b>%{y:,} intercepted</b><extra></extra>",
            )
        )


def _add_stacked_areas(
    fig: go.Figure, launched: pd.DataFrame, intercepted: pd.Series, per: str, middle: pd.Timedelta
) -> None:
    """Too many bins for bars (which cost the browser a path each): stacked areas instead,
    with every empty bin a zero so the stack stays honest."""
    bins = pd.date_range(launched["bin"].min(), launched["bin"].max(), freq="D" if per == "day" else "7D")
    table = launched.pivot_table(
        index="bin", columns=Col.EVENT_TYPE, values=Col.COUNT, aggfunc="sum", observed=True
    )
    table = table.reindex(bins, fill_value=0).fillna(0)
    for etype in taxonomy.EVENT_TYPES:
        if etype.key not in table.columns:
            continue
        fig.add_trace(
            go.Scatter(
                x=bins + middle,
                y=table[etype.key].astype("int64"),
                mode="lines",
                stackgroup="launched",
                line={"width": 0.6, "color": etype.colour},
                fillcolor=etype.colour,
                name=etype.label,
                legendgroup=etype.key,
                hovertemplate=f"{etype.label}<br>%{{x|%d %b %Y}}: <b>%{{y:,}} launched</b><extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=bins + middle,
            y=intercepted.reindex(bins),
            mode="lines",
            line={"color": INTERCEPTED_COLOUR, "width": 1.2},
            name="Intercepted (as claimed)",
            hovertemplate="%{x|%d %b %Y}: <b>%{y:,} intercepted</b><extra></extra>",
        )
    )


def strike_rows(df: pd.DataFrame, per: str, what: str = "all") -> tuple[pd.DataFrame, int]:
    """Strikes whose launch count can honestly sit in one day (or week) bin, and how many
    were left out (monthly totals and other coarsely dated figures)."""
    wanted = (
        df[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)
        & df[Col.COUNT_UNIT].isin(COUNT_CHOICES[what])
        & df[Col.COUNT].notna()
    )
    strikes = df.loc[wanted, STRIKE_COLUMNS] if len(df) > MAX_EVENTS else df[wanted]
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
    intercepted = rows.groupby("bin")[Col.INTERCEPTED].sum(min_count=1)
    middle = pd.Timedelta(hours=12 if per == "day" else 84)
    if launched["bin"].nunique() > MAX_BARS:
        _add_stacked_areas(fig, launched, intercepted, per, middle)
    else:
        _add_bars(fig, launched, intercepted.dropna(), middle)
    totals = launched.groupby("bin")[Col.COUNT].sum()
    peak_bin = totals.idxmax()
    fig.add_annotation(
        x=peak_bin + middle,
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
    # Same rule as the timeline: more than `max_events` in view are counted, not drawn.
    aggregate = len(df) > max_events
    has_place = df[Col.LATITUDE].notna()
    located = df.loc[has_place, [Col.LATITUDE, Col.LONGITUDE, Col.EVENT_TYPE]] if aggregate else df[has_place]
    fig = go.Figure()
    if located.empty:
        return fig
    lat, lon = located[Col.LATITUDE], located[Col.LONGITUDE]
    # At least ~16 x 10 degrees, so a single event still shows the countries around it.
    pad_lon = max(8.0 - (lon.max() - lon.min()) / 2, (lon.max() - lon.min()) * 0.08)
    pad_lat = max(5.0 - (lat.max() - lat.min()) / 2, (lat.max() - lat.min()) * 0.08)
    west, east = max(-180.0, lon.min() - pad_lon), min(180.0, lon.max() + pad_lon)
    south, north = max(-85.0, lat.min() - pad_lat), min(85.0, lat.max() + pad_lat)
    # Plotly widens one axis to keep the aspect ratio; fetch borders for the wider area too.
    bx, by = _borders_in(
        west - (east - west), south - (north - south), east + (east - west), north + (north - south)
    )
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
    if aggregate:
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
    """Many events: one square per 0.5-degree cell and type, sized by how many events."""
    cells = pd.DataFrame(
        {
            "cx": np.round(located[Col.LONGITUDE].to_numpy() / cell) * cell,
            "cy": np.round(located[Col.LATITUDE].to_numpy() / cell) * cell,
            "type": pd.Categorical(located[Col.EVENT_TYPE], categories=taxonomy.EVENT_TYPE_KEYS).codes,
        }
    )
    counts = cells.value_counts(sort=False).rename("n").reset_index()
    keys = np.asarray(taxonomy.EVENT_TYPE_KEYS, dtype=object)[counts["type"].to_numpy()]
    fig.add_trace(
        go.Scatter(
            x=counts["cx"],
            y=counts["cy"],
            mode="markers",
            marker={
                "color": np.asarray([taxonomy.COLOURS[k] for k in keys], dtype=object),
                "size": 5 + 25 * np.sqrt(counts["n"] / counts["n"].max()),
                "opacity": 0.7,
            },
            customdata=np.stack(
                [np.asarray([taxonomy.LABELS[k] for k in keys], dtype=object), counts["n"]], axis=1
            ),
            hovertemplate="%{customdata[0]}: <b>%{customdata[1]:,} events</b> near %{y:.1f}°, %{x:.1f}°<extra></extra>",
            name="Events per cell",
            showlegend=False,
        )
    )
    for key in dict.fromkeys(keys):  # legend entries only, no data
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"color": taxonomy.COLOURS[key]},
                name=taxonomy.LABELS[key],
            )
        )
