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
from timeline.engine import MapData
from timeline.figures.common import (
    BORDER_COLOUR,
    base_layout,
    event_markers,
    figure,
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


def map_figure(data: MapData) -> go.Figure:
    """Events with coordinates on a tile-free map with country borders, coloured by type and
    sized by count (or, when the engine aggregated, squares per cell sized by events)."""
    if data.points is not None:
        located = data.points
        lon, lat = (
            located[Col.LONGITUDE].to_numpy(dtype="float64"),
            located[Col.LATITUDE].to_numpy(dtype="float64"),
        )
    elif data.cells is not None:
        located = data.cells
        lon, lat = located["x"].to_numpy(dtype="float64"), located["y"].to_numpy(dtype="float64")
    else:
        return figure([], {})
    if not len(located):
        return figure([], {})
    # At least ~16 x 10 degrees, so a single event still shows the countries around it.
    pad_lon = max(8.0 - (lon.max() - lon.min()) / 2, (lon.max() - lon.min()) * 0.08)
    pad_lat = max(5.0 - (lat.max() - lat.min()) / 2, (lat.max() - lat.min()) * 0.08)
    west, east = max(-180.0, lon.min() - pad_lon), min(180.0, lon.max() + pad_lon)
    south, north = max(-85.0, lat.min() - pad_lat), min(85.0, lat.max() + pad_lat)
    # Plotly widens one axis to keep the aspect ratio; fetch borders for the wider area too.
    bx, by = _borders_in(
        west - (east - west), south - (north - south), east + (east - west), north + (north - south)
    )
    traces: list[dict] = [
        {
            "type": "scatter",
            "x": bx,
            "y": by,
            "mode": "lines",
            "line": {"color": BORDER_COLOUR, "width": 0.8},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
    if data.cells is not None:
        traces += _cells(data.cells, data.cell)
    else:
        custom = hover_data(located)
        sizes = marker_sizes(located, smallest=9, largest=34)
        types = located[Col.EVENT_TYPE].to_numpy(dtype=object)
        for etype in taxonomy.EVENT_TYPES:
            of_type = types == etype.key
            if of_type.any():
                traces.append(
                    event_markers(etype, lon[of_type], lat[of_type], sizes[of_type], custom[of_type])
                )
    mid_lat = math.radians((south + north) / 2)
    layout = base_layout(height=520)
    layout.update(
        xaxis={"range": [west, east], "showgrid": False, "zeroline": False, "visible": False},
        yaxis={
            "range": [south, north],
            "showgrid": False,
            "zeroline": False,
            "visible": False,
            "scaleanchor": "x",
            "scaleratio": 1 / max(0.2, math.cos(mid_lat)),
        },
        annotations=[
            {
                "text": "Borders: Natural Earth",
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 0,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": BORDER_COLOUR},
            }
        ],
    )
    return figure(traces, layout)


def _cells(cells: pd.DataFrame, size: float) -> list[dict]:
    """Many events: one square per cell and type, sized by how many events."""
    n = cells["n"].to_numpy(dtype="float64")
    types = cells["event_type"].to_numpy(dtype=object)
    traces = [
        {
            "type": "scatter",
            "x": cells["x"].to_numpy(dtype="float64"),
            "y": cells["y"].to_numpy(dtype="float64"),
            "mode": "markers",
            "marker": {
                "color": np.asarray([taxonomy.COLOURS.get(k, "#888") for k in types], dtype=object),
                "size": 5 + 25 * np.sqrt(n / n.max()),
                "opacity": 0.7,
                "symbol": "square",
            },
            "customdata": np.stack(
                [np.asarray([taxonomy.LABELS.get(k, k) for k in types], dtype=object), n], axis=1
            ),
            "hovertemplate": f"%{{customdata[0]}}: <b>%{{customdata[1]:,}} events</b> in the {size:g}° cell around %{{y:.2f}}°, %{{x:.2f}}°<extra></extra>",
            "name": "Events per cell",
            "showlegend": False,
        }
    ]
    for k in dict.fromkeys(types):  # legend entries only, no data
        traces.append(
            {"type": "scatter", "x": [None], "y": [None], "mode": "markers",
             "marker": {"color": taxonomy.COLOURS.get(k, "#888")}, "name": taxonomy.LABELS.get(k, k)}
        )  # fmt: skip
    return traces
