"""A tile-free map: events over Natural Earth borders drawn as lines, so it needs no tile
server or CDN and works offline and in exports."""

from __future__ import annotations

import gzip
import itertools
import json
import math
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline import taxonomy
from timeline.figures.common import (
    BORDER_COLOUR,
    MAX_EVENTS,
    base_layout,
    event_markers,
    hover_data,
    marker_sizes,
)
from timeline.schema import Col


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
        sizes = marker_sizes(located, smallest=9, largest=34)
        types = located[Col.EVENT_TYPE].to_numpy(dtype=object)
        x, y = lon.to_numpy(), lat.to_numpy()  # numpy, not pandas: plotly converts pandas slowly
        for etype in taxonomy.EVENT_TYPES:
            of_type = types == etype.key
            if of_type.any():
                fig.add_trace(event_markers(etype, x[of_type], y[of_type], sizes[of_type], custom[of_type]))
    mid_lat = math.radians((south + north) / 2)
    base_layout(fig, height=520)
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
    keys = np.asarray(taxonomy.EVENT_TYPE_KEYS, dtype=object)
    kind = pd.Categorical(located[Col.EVENT_TYPE], categories=keys).codes.astype(np.int64)
    cx = np.round(located[Col.LONGITUDE].to_numpy() / cell).astype(np.int64)
    cy = np.round(located[Col.LATITUDE].to_numpy() / cell).astype(np.int64)
    cx0, cy0, height = cx.min(), cy.min(), int(cy.max() - cy.min()) + 1
    packed = ((cx - cx0) * height + (cy - cy0)) * len(keys) + kind
    cells, n = np.unique(packed, return_counts=True)
    kind, place = cells % len(keys), cells // len(keys)
    x, y = (place // height + cx0) * cell, (place % height + cy0) * cell
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            marker={
                "color": np.asarray([taxonomy.COLOURS[k] for k in keys], dtype=object)[kind],
                "size": 5 + 25 * np.sqrt(n / n.max()),
                "opacity": 0.7,
            },
            customdata=np.stack(
                [np.asarray([taxonomy.LABELS[k] for k in keys], dtype=object)[kind], n], axis=1
            ),
            hovertemplate="%{customdata[0]}: <b>%{customdata[1]:,} events</b> near %{y:.1f}°, %{x:.1f}°<extra></extra>",
            name="Events per cell",
            showlegend=False,
        )
    )
    for k in keys[np.unique(kind)]:  # legend entries only, no data
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"color": taxonomy.COLOURS[k]},
                name=taxonomy.LABELS[k],
            )
        )
