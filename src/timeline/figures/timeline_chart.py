"""The swimlane timeline: points for events known to the day, hatched bars for events known
only to the week or month, counts per bin above `MAX_EVENTS`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from timeline import taxonomy
from timeline.figures.common import (
    HOVER,
    MAX_EVENTS,
    MAX_LANES,
    NEUTRAL,
    UNCERTAIN_PATTERN,
    Window,
    base_layout,
    bin_dates,
    bin_days,
    bin_numbers,
    choose_bin,
    count_labels,
    country_name,
    date_axis,
    event_markers,
    hover_data,
    is_point,
    marker_sizes,
)
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
    # Plain numpy arrays from here: plotly converts pandas objects one by one, slowly.
    lane = laned["lane"].to_numpy(dtype=object)
    types = laned[Col.EVENT_TYPE].to_numpy(dtype=object)
    start = laned[Col.DATE_START].to_numpy("datetime64[ms]")
    end = laned[Col.DATE_END].to_numpy("datetime64[ms]") + np.timedelta64(1, "D")  # exclusive
    mid = start + (end - start) / 2  # noon of a single day; midnight between an overnight's dates
    uncertain = (laned[Col.DATE_PRECISION] != "day").to_numpy()
    known_span = ~uncertain & ~is_point(laned).to_numpy()
    sizes = np.zeros(len(laned))
    sizes[~uncertain] = marker_sizes(laned[~uncertain])  # a monthly total must not dwarf nights
    labels = count_labels(laned)
    custom = hover_data(laned)
    fig = go.Figure()
    for etype in taxonomy.EVENT_TYPES:
        of_type = types == etype.key
        if not of_type.any():
            continue
        bars, marks, spans = of_type & uncertain, of_type & ~uncertain, of_type & known_span
        if bars.any():
            _add_interval_bars(
                fig,
                start[bars],
                end[bars],
                lane[bars],
                custom[bars],
                labels[bars],
                etype,
                legend=not marks.any(),
            )
        if spans.any():
            _add_span_lines(fig, start[spans], end[spans], lane[spans], etype)
        if marks.any():
            fig.add_trace(
                event_markers(etype, mid[marks], lane[marks], sizes[marks], custom[marks], labels[marks])
            )
    hit = laned[Col.EVENT_ID].to_numpy(dtype=object) == selected
    if selected is not None and hit.any():
        for colour, width in (("#ffffff", 6), ("#111111", 2.5)):  # a ring that shows on light and dark
            fig.add_trace(
                go.Scatter(
                    x=mid[hit],
                    y=lane[hit],
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
                name="hatched: dated only to the week or month",
                marker={
                    "color": "rgba(120,120,120,0.6)",
                    "pattern": {"shape": UNCERTAIN_PATTERN, "fillmode": "overlay", "fgcolor": "white"},
                },
                hoverinfo="skip",
            )
        )
    base_layout(fig, height=max(300, 110 + 36 * len(order)))
    date_axis(fig, window)
    fig.update_layout(barmode="overlay", clickmode="event+select")
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], title=None, automargin=True)
    return fig, TimelineInfo(shown=int(laned[Col.EVENT_ID].nunique()), aggregated=False)


def _add_span_lines(
    fig: go.Figure, start: np.ndarray, end: np.ndarray, lane: np.ndarray, etype: taxonomy.EventType
) -> None:
    """A line across all the known days of a multi-day event, under its marker."""
    n = len(start)
    x = np.empty(3 * n, dtype=object)
    y = np.empty(3 * n, dtype=object)
    x[0::3], x[1::3], x[2::3] = (
        pd.to_datetime(start).to_pydatetime(),
        pd.to_datetime(end).to_pydatetime(),
        None,
    )
    y[0::3], y[1::3], y[2::3] = lane, lane, None
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
    start: np.ndarray,
    end: np.ndarray,
    lane: np.ndarray,
    custom: np.ndarray,
    labels: np.ndarray,
    etype: taxonomy.EventType,
    legend: bool,
) -> None:
    """Week/month/year events: a hatched bar over the whole interval the source allows."""
    fig.add_trace(
        go.Bar(
            base=start,
            x=(end - start).astype("int64"),  # milliseconds, as a date axis measures bar lengths
            y=lane,
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
    base_layout(fig, height=max(300, 110 + 36 * len(order)))
    date_axis(fig, window)
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], title=None, automargin=True)
    fig.add_annotation(
        text=f"{len(df):,} events: marker area = events per {freq}",
        xref="paper",
        yref="paper",
        x=0,
        y=1.02,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"size": 12},
    )
    return fig, TimelineInfo(shown=len(df), aggregated=True, bin=freq)
