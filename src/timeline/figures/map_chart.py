"""A tile-free map: land, borders, country and city names from bundled Natural Earth and
GeoNames data (`timeline.domain.gazetteer`), so it needs no tile server or CDN and works offline and
in exports.

Events are drawn at the precision their place is known (`gazetteer.GEO_PRECISIONS`):

1. exact place: a filled marker in the event type's colour, sized by count;
2. near a place: an open ring with a dot, the hover saying "near ...";
3-4. a region or a whole country: the area shaded in the type's colour (one shape per area
   however many events share it), never a point; small squares at the area's label point
   carry the events' hover and click (plotly does not report clicks on fills reliably).

The view fits where most matching events are, points and shaded areas: a few far-off events
(a summit in Lima, a call from Washington) do not pull a map of Ukraine out to the world; they
are named in a note on the map and in the caption ("15 events outside this map: Seoul (15)").
`map_counts` says how many events are shaded, outside and without a place, for the caption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.domain import gazetteer, taxonomy
from timeline.domain.schema import Col
from timeline.engine import MapData
from timeline.figures.common import (
    BORDER_COLOUR,
    HOVER,
    NEUTRAL,
    base_layout,
    escape_text,
    figure,
    hover_data,
    marker_sizes,
)
from timeline.figures.map_fit import (
    PLOT_PX,
    Fitted,
    MapCounts as MapCounts,  # the caption's numbers, named here too
    MapView,
    PlacedEvents,
    counts_of,
    fit_events,
    fit_view,
    map_counts as map_counts,
    outside_note,
    sort_events,
)
from timeline.figures.map_labels import (
    EVENT_LABEL,
    Labels,
    area_labels,
    city_labels,
    country_labels,
    place_labels,
)

ATTRIBUTION = "Land, borders, regions: Natural Earth · Places: GeoNames (CC BY 4.0)"
LAND = "#f1efea"
WATER = "#dde7ef"
HEIGHT = 520
AREA_ALPHA = 0.2
MAX_BADGES = 36
"""At most this many squares per shaded area (the rest share the last square)."""
BADGE_STEP = 13  # pixels between squares
PLACE_HOVER = HOVER.replace("<extra>", "<br>%{customdata[6]}<extra>")


# --- the base map ------------------------------------------------------------------------


@cache
def border_lines(scale: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Natural Earth country outlines (coasts and borders) at "50m" or "110m" as (lon, lat,
    ring bounding boxes); rings separated by NaN, cut at the antimeridian."""
    rings = [r for c in gazetteer.countries(scale) for r in c.rings]
    boxes = np.array([[r[:, 0].min(), r[:, 1].min(), r[:, 0].max(), r[:, 1].max()] for r in rings])
    xy = np.vstack([np.vstack([r, [np.nan, np.nan]]) for r in rings])
    return xy[:, 0].astype("float32"), xy[:, 1].astype("float32"), boxes


def _land_in(
    west: float, south: float, east: float, north: float, scale: str
) -> tuple[np.ndarray, np.ndarray]:
    """The country rings at `scale` that touch the box."""
    lon, lat, boxes = border_lines(scale)
    touching = (boxes[:, 2] >= west) & (boxes[:, 0] <= east) & (boxes[:, 3] >= south) & (boxes[:, 1] <= north)
    ring_of_point = np.cumsum(np.isnan(np.concatenate([[np.nan], lon[:-1]]))) - 1
    keep = touching[ring_of_point]
    return lon[keep], lat[keep]


# --- events --------------------------------------------------------------------------------


def _rgba(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _place_lines(rows: pd.DataFrame, what: str) -> np.ndarray:
    locations = rows[Col.LOCATION] if Col.LOCATION in rows.columns else pd.Series([None] * len(rows))
    out = []
    for loc in locations:
        text = "" if loc is None or pd.isna(loc) else escape_text(loc)
        out.append(what.format(place=text) if text else what.format(place="").strip(": "))
    return np.asarray(out, dtype=object)


def _custom(rows: pd.DataFrame, place: np.ndarray) -> np.ndarray:
    """The shared hover columns plus the place line (customdata[6])."""
    return np.concatenate([hover_data(rows), place.reshape(-1, 1)], axis=1)


def _markers(
    etype: taxonomy.EventType, rows: pd.DataFrame, sizes: np.ndarray, near: bool, legend: bool
) -> dict:
    """One event type's markers at their place (filled) or near a place (ring with a dot)."""
    place = _place_lines(rows, "Near a place: {place}" if near else "<i>{place}</i>")
    marker: dict = {
        "color": etype.colour,
        "size": sizes,
        "line": {"width": 1, "color": "rgba(255,255,255,0.8)"},
        "opacity": 0.9,
    }
    if near:
        marker.update(symbol="circle-open-dot", line={"width": 2.5, "color": etype.colour}, opacity=1)
    return {
        "type": "scatter",
        "x": rows[Col.LONGITUDE].to_numpy(dtype="float64"),
        "y": rows[Col.LATITUDE].to_numpy(dtype="float64"),
        "mode": "markers",
        "marker": marker,
        "customdata": _custom(rows, place),
        "hovertemplate": PLACE_HOVER,
        "name": etype.label,
        "legendgroup": etype.key,
        "showlegend": legend,
    }


def _area_traces(
    areas: list[tuple[gazetteer.Area, pd.DataFrame]], view: MapView, legend_done: set[str]
) -> tuple[list[dict], list[dict], dict[str, float]]:
    """Per area: its outline shaded in its events' colour (neutral when they differ), and
    squares at its label point for hover and click, one per event, in a grid that stays
    inside the area on screen (when more events than squares, the last square holds the
    rest). Also how far below its label point each area's squares reach (pixels)."""
    fills, badges, reach = [], [], {}
    shown = view.visible()
    for a, rows in areas:
        fills.append(_area_fill(a, rows))
        bx, by, reach[a.code] = _badge_grid(a, len(rows), shown)
        badges += _area_badges(a, rows, bx, by, legend_done)
    return fills, badges, reach


def _area_fill(a: gazetteer.Area, rows: pd.DataFrame) -> dict:
    """The area's outline, hatched in its events' colour (neutral when their types differ),
    whose hover lists the first events' titles."""
    types = rows[Col.EVENT_TYPE].astype(str)
    one_type = types.nunique() == 1
    colour = taxonomy.COLOURS.get(types.iat[0], NEUTRAL) if one_type else NEUTRAL
    kind = "country" if a.kind == "country" else "region"
    titles = [escape_text(t) for t in rows[Col.TITLE].head(8)]
    more = f"<br>and {len(rows) - 8} more" if len(rows) > 8 else ""
    x, y = a.outline
    return {
        "type": "scatter",
        "x": x.astype("float32"),
        "y": y.astype("float32"),
        "mode": "lines",
        "fill": "toself",
        "fillcolor": _rgba(colour, AREA_ALPHA if one_type else AREA_ALPHA * 0.7),
        "fillpattern": {
            "shape": "/",
            "fgcolor": _rgba(colour, 0.4 if one_type else 0.3),
            "bgcolor": _rgba(colour, AREA_ALPHA if one_type else AREA_ALPHA * 0.7),
            "size": 9,
            "solidity": 0.12,
        },
        "line": {"color": _rgba(colour, 0.9), "width": 1.4, "dash": "dot"},
        "hoveron": "fills",
        "hoverinfo": "text",
        "text": f"<b>{escape_text(a.display_name)}</b> ({kind}, shaded)<br>"
        f"{len(rows)} event{'s' if len(rows) != 1 else ''}: " + "<br>".join(titles) + more,
        "name": escape_text(a.display_name),
        "showlegend": False,
    }


def _badge_grid(a: gazetteer.Area, n: int, shown: MapView) -> tuple[np.ndarray, np.ndarray, float]:
    """Where an area's `n` squares go (lon, lat): a grid centred on its label point that stays
    inside the area on screen, the last square holding the rest; and how far below the label
    point the grid reaches (pixels)."""
    x_per_px = (shown.east - shown.west) / PLOT_PX[0]
    y_per_px = (shown.north - shown.south) / PLOT_PX[1]
    w, s_, e, n_ = a.fit
    room_x = (e - w) / x_per_px * 0.5
    room_y = (n_ - s_) / y_per_px * 0.35
    columns = int(np.clip(room_x // BADGE_STEP, 1, 6))
    max_rows = int(np.clip(room_y // BADGE_STEP, 1, 6))
    slots = min(n, columns * max_rows, MAX_BADGES)
    columns = min(columns, slots)
    slot = np.minimum(np.arange(n), slots - 1)
    col, row = slot % columns, slot // columns
    rows_used = (slots - 1) // columns + 1
    bx = a.label[0] + (col - (columns - 1) / 2) * BADGE_STEP * x_per_px
    by = a.label[1] - (row - (rows_used - 1) / 2) * BADGE_STEP * y_per_px
    return bx, by, (rows_used - 1) / 2 * BADGE_STEP + 5


def _area_badges(
    a: gazetteer.Area, rows: pd.DataFrame, bx: np.ndarray, by: np.ndarray, legend_done: set[str]
) -> list[dict]:
    """An area's squares, one trace per event type, carrying the events' hover and click."""
    types = rows[Col.EVENT_TYPE].astype(str)
    precision_name = gazetteer.GEO_PRECISIONS[4 if a.kind == "country" else 3]
    place = np.asarray(
        [
            (f"{escape_text(loc)} · " if isinstance(loc, str) else "")
            + f"{precision_name}: {escape_text(a.display_name)} shaded"
            for loc in rows[Col.LOCATION]
        ],
        dtype=object,
    )
    custom = _custom(rows, place)
    badges = []
    for etype in taxonomy.EVENT_TYPES:
        of_type = (types == etype.key).to_numpy()
        if not of_type.any():
            continue
        badges.append(
            {
                "type": "scatter",
                "x": bx[of_type],
                "y": by[of_type],
                "mode": "markers",
                "marker": {
                    "color": etype.colour,
                    "size": 10,
                    "symbol": "square",
                    "line": {"width": 1.2, "color": "rgba(255,255,255,0.9)"},
                },
                "customdata": custom[of_type],
                "hovertemplate": PLACE_HOVER,
                "name": etype.label,
                "legendgroup": etype.key,
                "showlegend": etype.key not in legend_done,
            }
        )
        legend_done.add(etype.key)
    return badges


def _key_entries(near: bool, shaded: bool) -> list[dict]:
    """Legend lines that explain the marks (no data)."""
    entries = []
    for show, name, marker in (
        (near, "near a place", {"symbol": "circle-open-dot", "line": {"width": 2, "color": NEUTRAL}}),
        (shaded, "region or country, shaded", {"symbol": "square", "color": _rgba(NEUTRAL, 0.5)}),
    ):
        if show:
            entries.append(
                {"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                 "marker": {"color": NEUTRAL, "size": 10, **marker}, "name": name, "hoverinfo": "skip"}
            )  # fmt: skip
    return entries


def map_figure(
    data: MapData, *, height: int = HEIGHT, extent: tuple[float, float, float, float] | None = None
) -> go.Figure:
    """Matching events on a tile-free map of land, borders and place names: markers at their
    place, rings near one, regions and countries shaded (see the module docstring); when the
    engine aggregated, squares per cell sized by events. `extent` (west, south, east, north)
    shows that area instead of fitting the events (a story's step). `map_counts(data)` gives
    the numbers for a caption."""
    return map_with_counts(data, height=height, extent=extent)[0]


def map_with_counts(
    data: MapData, *, height: int = HEIGHT, extent: tuple[float, float, float, float] | None = None
) -> tuple[go.Figure, MapCounts]:
    """`map_figure` and `map_counts` of the same data, its events sorted and fitted once for
    both (the page shows the map with its caption)."""
    if data.points is None and data.cells is None:
        return figure([], {}), map_counts(data, extent)
    if data.cells is not None:
        drawn = _drawn_cells(data, extent)
        counts = map_counts(data, extent)
    else:
        events = sort_events(data)
        if not events.drawn:  # nothing to draw, nothing to fit
            return figure([], {}), counts_of(data, events, None)
        fitted = fit_events(events, extent)
        counts = counts_of(data, events, fitted)  # before drawing, which adds to what it reads
        drawn = _drawn_events(events, fitted)
    if drawn is None:
        return figure([], {}), counts
    return _figure(drawn, height), counts


def _figure(drawn: _Drawn, height: int) -> go.Figure:
    shown = drawn.view.visible()
    scale = "50m" if shown.east - shown.west < 70 else "110m"
    country_labels(drawn.labels, scale, skip=drawn.areas)
    city_labels(drawn.labels, drawn.labelled)
    layout = _layout(drawn, height)
    return figure([_land(shown, scale), *drawn.fills, *drawn.traces], layout)


@dataclass
class _Drawn:
    """The events' marks on a map, and the names placed so far (the events' own first)."""

    view: MapView
    fills: list[dict]
    traces: list[dict]
    labels: Labels
    labelled: set[str] = field(default_factory=set)
    """Places the events' labels name (a city is not named twice)."""
    notes: list[dict] = field(default_factory=list)
    areas: set[str] = field(default_factory=set)
    """Shaded areas, whose countries' names the map does not add."""


def _drawn_cells(data: MapData, extent: tuple[float, float, float, float] | None) -> _Drawn | None:
    """Many events: squares per cell, the view around them."""
    if data.cells is None or not len(data.cells):
        return None
    cx = data.cells["x"].to_numpy(dtype="float64")
    cy = data.cells["y"].to_numpy(dtype="float64")
    view = MapView(*extent) if extent else fit_view(cx, cy, [])
    labels = Labels(view, np.column_stack([cx, cy]), np.full(len(cx), 4.0))
    return _Drawn(view, [], _cells(data.cells, data.cell), labels)


def _drawn_events(events: PlacedEvents, fitted: Fitted) -> _Drawn:
    """Few events (at least one drawn): each drawn at its precision in the view fitted to them
    (or a story's extent), the events outside it noted, and the areas' and places' names placed."""
    fills, traces, reach, marks, radii = _event_traces(events, fitted.view)
    drawn = _Drawn(fitted.view, fills, traces, Labels(fitted.view, marks, radii))
    if fitted.outside:  # the note's corner, top left, before any name is placed
        note = outside_note(fitted.outside, fitted.places, top=3)
        drawn.labels.taken.append((0, PLOT_PX[1] - 28, 6.2 * len(note) + 16, PLOT_PX[1]))  # y from the bottom
        drawn.notes.append(_outside_annotation(note))
    area_labels(drawn.labels, events.areas, reach)
    drawn.labelled = place_labels(drawn.labels, events.points)
    drawn.areas = {a.code for a, _ in events.areas}
    return drawn


def _land(shown: MapView, scale: str) -> dict:
    """The land and borders in and around the view (half a view more each way, for panning)."""
    pad_x, pad_y = (shown.east - shown.west) * 0.5, (shown.north - shown.south) * 0.5
    lx, ly = _land_in(shown.west - pad_x, shown.south - pad_y, shown.east + pad_x, shown.north + pad_y, scale)
    return {
        "type": "scatter",
        "x": lx,
        "y": ly,
        "mode": "lines",
        "fill": "toself",
        "fillcolor": LAND,
        "line": {"color": BORDER_COLOUR, "width": 0.7},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _layout(drawn: _Drawn, height: int) -> dict:
    """Axes fixed to the view at its aspect, the sea, the placed names and the attribution."""
    view, labels, outside_notes = drawn.view, drawn.labels, drawn.notes
    layout = base_layout(height=height)
    layout.update(
        plot_bgcolor=WATER,
        xaxis={"range": [view.west, view.east], "showgrid": False, "zeroline": False, "visible": False},
        yaxis={
            "range": [view.south, view.north],
            "showgrid": False,
            "zeroline": False,
            "visible": False,
            "scaleanchor": "x",
            "scaleratio": view.ratio,
        },
        shapes=[
            {  # the sea, also when an export turns the plot background white
                "type": "rect",
                "xref": "paper",
                "yref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": 0,
                "y1": 1,
                "fillcolor": WATER,
                "line": {"width": 0},
                "layer": "below",
            },
            *labels.dots,
        ],
        annotations=[
            *labels.annotations,
            *outside_notes,
            {
                "text": ATTRIBUTION,
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 0,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "bgcolor": "rgba(255,255,255,0.6)",
                "font": {"size": 10, "color": "#6b7075"},
            },
        ],
    )
    return layout


def _outside_annotation(note: str) -> dict:
    """The events the view leaves out, named in its top left corner (also in exports)."""
    return {
        "text": escape_text(note),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "bgcolor": "rgba(255,255,255,0.85)",
        "bordercolor": BORDER_COLOUR,
        "borderwidth": 1,
        "borderpad": 4,
        "font": {"size": 11, "color": EVENT_LABEL},
        "name": "outside-note",
    }


def _event_traces(
    events: PlacedEvents, view: MapView
) -> tuple[list[dict], list[dict], dict[str, float], np.ndarray, np.ndarray]:
    """Shaded areas (drawn under everything else), then markers per type and precision,
    then the areas' squares and legend keys; and where the marks are (lon/lat, pixel
    radius), for keeping labels off them."""
    points = events.points
    sizes = marker_sizes(points, smallest=9, largest=34) if len(points) else np.empty(0)
    types = points[Col.EVENT_TYPE].to_numpy(dtype=object) if len(points) else np.empty(0, dtype=object)
    precision = points["_precision"].to_numpy() if len(points) else np.empty(0)
    legend_done: set[str] = set()
    markers = []
    for near in (False, True):
        for etype in taxonomy.EVENT_TYPES:
            chosen = (types == etype.key) & ((precision == 2) == near)
            if chosen.any():
                markers.append(
                    _markers(etype, points[chosen], sizes[chosen], near, etype.key not in legend_done)
                )
                legend_done.add(etype.key)
    fills, badges, reach = _area_traces(events.areas, view, legend_done)
    marks = [np.column_stack([t["x"], t["y"]]) for t in markers + badges]
    radii = [
        np.asarray(t["marker"]["size"], dtype="float64") / 2 + np.zeros(len(t["x"])) for t in markers + badges
    ]
    keys = _key_entries(bool((precision == 2).any()), bool(events.areas))
    return (
        fills,
        markers + badges + keys,
        reach,
        np.vstack(marks) if marks else np.empty((0, 2)),
        np.concatenate(radii) if radii else np.empty(0),
    )


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
