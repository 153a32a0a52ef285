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

import math
from dataclasses import dataclass
from functools import cache, lru_cache

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

GEO_PRECISION = str(Col.GEO_PRECISION)
AREA_CODE = str(Col.AREA_CODE)
ATTRIBUTION = "Land, borders, regions: Natural Earth · Places: GeoNames (CC BY 4.0)"
LAND = "#f1efea"
WATER = "#dde7ef"
COUNTRY_LABEL = "#7d8289"
CITY_LABEL = "#3f454c"
MAX_CITY_LABELS = 12
MAX_COUNTRY_LABELS = 16
MAX_PLACE_LABELS = 12
EVENT_LABEL = "#1f2328"
HEIGHT = 520
PLOT_PX = (1150.0, 430.0)
"""The plot area a dashboard map roughly gets (wide page), for spacing labels: plotly widens
one axis to keep the aspect, so the visible area is estimated from this shape."""
AREA_ALPHA = 0.2
MAX_BADGES = 36
"""At most this many squares per shaded area (the rest share the last square)."""
BADGE_STEP = 13  # pixels between squares
PLACE_HOVER = HOVER.replace("<extra>", "<br>%{customdata[6]}<extra>")


@dataclass(frozen=True)
class MapCounts:
    """What the map draws, for its caption."""

    total: int
    exact: int
    """Events drawn as a marker at their place (precision 1)."""
    near: int
    """Events drawn as a ring near a named place (precision 2)."""
    shaded: int
    """Events drawn as their region or country shaded (precision 3-4)."""
    areas: tuple[str, ...]
    """The shaded areas' names, most events first."""
    unplaced: int
    """Matching events with no place on the map (no coordinates, or an area the bundled
    outlines do not have)."""
    aggregated: bool = False
    outside: int = 0
    """Events the map draws beyond its view (far from where most events are)."""
    outside_places: tuple[str, ...] = ()
    """Where they are, with their events: 'Seoul (15)', most events first."""

    def caption(self) -> str | None:
        """'3 nationwide or regional events are shaded, not drawn as points (Ukraine, Kursk
        region). 2 of 40 events have no place and are not on the map.'"""
        parts = []
        if self.shaded:
            names = ", ".join(self.areas[:4]) + (
                f" and {len(self.areas) - 4} more" if len(self.areas) > 4 else ""
            )
            are = "event is" if self.shaded == 1 else "events are"
            parts.append(
                f"{self.shaded:,} nationwide or regional {are} shaded, not drawn as points ({names})."
            )
        if self.near:
            are = "event is" if self.near == 1 else "events are"
            parts.append(f"{self.near:,} {are} placed near a named place (open rings).")
        if self.outside:
            parts.append(outside_note(self.outside, self.outside_places) + ".")
        if self.unplaced:
            have = "has" if self.unplaced == 1 else "have"
            parts.append(
                f"{self.unplaced:,} of {self.total:,} events {have} no place and are not on the map."
            )
        return " ".join(parts) or None


@dataclass(frozen=True)
class _Events:
    """The matching events sorted by how they are drawn."""

    points: pd.DataFrame
    """Rows drawn as markers, with a `_precision` column (1 or 2)."""
    areas: list[tuple[gazetteer.Area, pd.DataFrame]]
    """Shaded areas with their rows, most events first."""
    unplaced: int


def _sort_events(data: MapData) -> _Events:
    frame = data.points if data.points is not None else pd.DataFrame()
    if frame.empty:
        return _Events(frame, [], data.total - data.located)
    lon = pd.to_numeric(frame[Col.LONGITUDE], errors="coerce")
    lat = pd.to_numeric(frame[Col.LATITUDE], errors="coerce")
    has_xy = (lon.notna() & lat.notna()).to_numpy()
    if GEO_PRECISION in frame.columns:
        precision = pd.to_numeric(frame[GEO_PRECISION], errors="coerce").fillna(1).astype(int).to_numpy()
    else:
        precision = np.ones(len(frame), dtype=int)
    codes = (
        frame[AREA_CODE].to_numpy(dtype=object) if AREA_CODE in frame.columns else np.full(len(frame), None)
    )
    area_of: list[str | None] = []
    found: dict[str, gazetteer.Area] = {}
    for i in range(len(frame)):
        if precision[i] < 3:
            area_of.append(None)
            continue
        a = _area(codes[i], precision[i], lon.iat[i], lat.iat[i])
        if a is not None:
            found[a.code] = a
        area_of.append(a.code if a is not None else None)
    area_codes = np.asarray(area_of, dtype=object)
    is_point = (precision < 3) & has_xy
    is_area = (precision >= 3) & pd.notna(area_codes)
    points = frame[is_point].assign(_precision=np.clip(precision[is_point], 1, 2))
    grouped = []
    if is_area.any():
        shaded = frame[is_area].assign(_area=area_codes[is_area])
        for code, rows in shaded.groupby("_area", sort=False):
            grouped.append((found[str(code)], rows))
        grouped.sort(key=lambda item: (-len(item[1]), item[0].code))
    unplaced = data.total - int(is_point.sum()) - int(is_area.sum())
    return _Events(points, grouped, unplaced)


def _area(code: object, precision: int, lon: float, lat: float) -> gazetteer.Area | None:
    """A row's region (precision 3) or country (4): its area code, else the one its
    coordinates are in."""
    if isinstance(code, str) and code.strip():
        found = gazetteer.area(code)
        if found is not None:
            return found
    if pd.isna(lon) or pd.isna(lat):
        return None
    return _area_at(precision == 3, round(float(lon), 4), round(float(lat), 4))


@lru_cache(maxsize=4096)
def _area_at(is_region: bool, lon: float, lat: float) -> gazetteer.Area | None:
    return gazetteer.region_at(lon, lat) if is_region else gazetteer.country_at(lon, lat)


def outside_note(outside: int, places: tuple[str, ...], top: int = 4) -> str:
    """'3 events outside this map: Lima (2), Rio de Janeiro (1)'."""
    are = "event" if outside == 1 else "events"
    named = ", ".join(places[:top]) + (f" and {len(places) - top} more places" if len(places) > top else "")
    return f"{outside:,} {are} outside this map: {named}" if named else f"{outside:,} {are} outside this map"


CORE_WINDOW = (60.0, 32.0)
"""Degrees of longitude and latitude a default map shows at most when that leaves events out:
a region (Brussels to Kazan, Kyiv to Moscow) with its cities apart."""
CORE_SHARE = 0.5
"""The default map leaves events out only when more than this share of them is in one window."""


def core_window(lons: np.ndarray, lats: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Which positions the default map shows: all when they fit one `CORE_WINDOW`, else those
    in the window holding the most events when that is more than `CORE_SHARE` of them, else
    all (events spread over the world show the world). Counted on a one-degree grid."""
    inside = np.ones(len(lons), dtype=bool)
    if not len(lons):
        return inside
    span_w, span_h = CORE_WINDOW
    if np.ptp(lons) <= span_w and np.ptp(lats) <= span_h:
        return inside
    gx = np.clip(np.floor(lons).astype(int) + 180, 0, 359)
    gy = np.clip(np.floor(lats).astype(int) + 90, 0, 179)
    grid = np.zeros((360, 180))
    np.add.at(grid, (gx, gy), weights)
    total = np.zeros((361, 181))
    total[1:, 1:] = grid.cumsum(0).cumsum(1)
    w, h = int(span_w), int(span_h)
    sums = total[w:, h:] - total[:-w, h:] - total[w:, :-h] + total[:-w, :-h]  # [west, south]
    west, south = np.unravel_index(int(np.argmax(sums)), sums.shape)
    if sums[west, south] <= CORE_SHARE * weights.sum():
        return inside
    return (gx >= west) & (gx < west + w) & (gy >= south) & (gy < south + h)


@dataclass(frozen=True)
class _Fitted:
    view: _View
    outside: int
    places: tuple[str, ...]


def _fit_core(events: _Events) -> _Fitted:
    """The default view: around the events where most of them are (`core_window`), and the
    events and places left outside it."""
    points = events.points
    px = points[Col.LONGITUDE].to_numpy(dtype="float64")
    py = points[Col.LATITUDE].to_numpy(dtype="float64")
    ax = np.asarray([a.label[0] for a, _ in events.areas], dtype="float64")
    ay = np.asarray([a.label[1] for a, _ in events.areas], dtype="float64")
    weights = np.concatenate([np.ones(len(px)), [float(len(rows)) for _, rows in events.areas]])
    inside = core_window(np.concatenate([px, ax]), np.concatenate([py, ay]), weights)
    on_map, areas_in = inside[: len(px)], inside[len(px) :]
    view = _fit(
        px[on_map], py[on_map], [a.fit for (a, _), keep in zip(events.areas, areas_in, strict=True) if keep]
    )
    names = (
        points.loc[~on_map, Col.LOCATION].fillna("unnamed place").astype(str).tolist()
        if Col.LOCATION in points.columns
        else ["unnamed place"] * int((~on_map).sum())
    )
    tally = pd.Series(names, dtype=object).value_counts() if names else pd.Series(dtype="int64")
    for (a, rows), keep in zip(events.areas, areas_in, strict=True):
        if not keep:
            tally[a.display_name] = tally.get(a.display_name, 0) + len(rows)
    tally = tally.sort_values(ascending=False, kind="stable")
    places = tuple(f"{name} ({int(n)})" for name, n in tally.items())
    return _Fitted(view, int(tally.sum()) if len(tally) else 0, places)


def map_counts(data: MapData, extent: tuple[float, float, float, float] | None = None) -> MapCounts:
    """How many events the map draws at a place, near one, as a shaded area, outside its view
    (the default view's, or `extent`'s), and not at all."""
    if data.points is None:
        return MapCounts(data.total, data.located, 0, 0, (), data.total - data.located, aggregated=True)
    events = _sort_events(data)
    precision = events.points["_precision"].to_numpy() if len(events.points) else np.empty(0)
    fitted = _fitted(events, extent)
    return MapCounts(
        total=data.total,
        exact=int((precision == 1).sum()),
        near=int((precision == 2).sum()),
        shaded=sum(len(rows) for _, rows in events.areas),
        areas=tuple(a.display_name for a, _ in events.areas),
        unplaced=events.unplaced,
        outside=fitted.outside,
        outside_places=fitted.places,
    )


def _fitted(events: _Events, extent: tuple[float, float, float, float] | None) -> _Fitted:
    """A story step's `extent` (and what lies beyond it), else the default fit."""
    if extent is None:
        return _fit_core(events)
    west, south, east, north = extent
    lon = events.points[Col.LONGITUDE].to_numpy(dtype="float64")
    lat = events.points[Col.LATITUDE].to_numpy(dtype="float64")
    out = ~((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    rows = events.points[out]
    names = (
        rows[Col.LOCATION].fillna("unnamed place").astype(str)
        if Col.LOCATION in rows
        else pd.Series(dtype=object)
    )
    tally = names.value_counts()
    for a, area_rows in events.areas:
        x, y = a.label
        if not (west <= x <= east and south <= y <= north):
            tally[a.display_name] = tally.get(a.display_name, 0) + len(area_rows)
    tally = tally.sort_values(ascending=False, kind="stable")
    return _Fitted(_View(*extent), int(tally.sum()) if len(tally) else 0,
                   tuple(f"{n} ({int(c)})" for n, c in tally.items()))  # fmt: skip


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


@dataclass(frozen=True)
class _View:
    west: float
    south: float
    east: float
    north: float

    @property
    def ratio(self) -> float:
        """y units per x unit on screen (plotly's scaleratio): degrees of latitude are
        1/cos(latitude) times as long as degrees of longitude."""
        return 1 / max(0.2, math.cos(math.radians((self.south + self.north) / 2)))

    def visible(self) -> _View:
        """The area plotly will show in a PLOT_PX plot (it widens one axis to the aspect)."""
        width, height = PLOT_PX
        span_x, span_y = self.east - self.west, self.north - self.south
        if span_x / (span_y * self.ratio) < width / height:
            grow = (span_y * self.ratio * width / height - span_x) / 2
            return _View(self.west - grow, self.south, self.east + grow, self.north)
        grow = (span_x * height / width / self.ratio - span_y) / 2
        return _View(self.west, self.south - grow, self.east, self.north + grow)

    def px(self, lon: float | np.ndarray, lat: float | np.ndarray) -> tuple:
        width, height = PLOT_PX
        return (
            (np.asarray(lon) - self.west) / (self.east - self.west) * width,
            (np.asarray(lat) - self.south) / (self.north - self.south) * height,
        )


def _fit(lons: np.ndarray, lats: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> _View:
    """Around the points and areas, with room to see the countries around a single event."""
    west = min([*lons.tolist(), *(b[0] for b in boxes)])
    east = max([*lons.tolist(), *(b[2] for b in boxes)])
    south = min([*lats.tolist(), *(b[1] for b in boxes)])
    north = max([*lats.tolist(), *(b[3] for b in boxes)])
    pad_lon = max(8.0 - (east - west) / 2, (east - west) * 0.08, 1.5)
    pad_lat = max(5.0 - (north - south) / 2, (north - south) * 0.12, 1.0)
    return _View(
        max(-180.0, west - pad_lon),
        max(-85.0, south - pad_lat),
        min(180.0, east + pad_lon),
        min(85.0, north + pad_lat),
    )


class _Labels:
    """Name labels placed greedily, in order of importance, where they overlap neither each
    other nor the events' marks (boxes in estimated plot pixels, see PLOT_PX)."""

    def __init__(self, view: _View, marks: np.ndarray, radii: np.ndarray) -> None:
        self.core = view
        self.shown = view.visible()
        self.taken: list[tuple[float, float, float, float]] = []
        if len(marks):
            mx, my = self.shown.px(marks[:, 0], marks[:, 1])
            self.marks = np.column_stack([mx, my, radii])
            self.taken += [(x - r, y - r, x + r, y + r) for x, y, r in self.marks]
        else:
            self.marks = np.empty((0, 3))
        self.annotations: list[dict] = []
        self.dots: list[dict] = []

    def px(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.shown.px(lon, lat)
        return float(x), float(y)

    def mark_at(self, x: float, y: float) -> float | None:
        """How far from (x, y) the event marks drawn over it reach, if any mark is."""
        if not len(self.marks):
            return None
        d = np.hypot(self.marks[:, 0] - x, self.marks[:, 1] - y)
        over = d < self.marks[:, 2] + 3
        return float((d + self.marks[:, 2])[over].max()) if over.any() else None

    def free(self, box: tuple[float, float, float, float]) -> bool:
        """Inside the plot and clear of everything placed so far."""
        width, height = PLOT_PX
        x0, y0, x1, y1 = box
        if x0 < 2 or y0 < 2 or x1 > width - 2 or y1 > height - 2:
            return False
        return not any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in self.taken)

    def fits(self, box: tuple[float, float, float, float]) -> bool:
        """Takes the box when it is free."""
        if not self.free(box):
            return False
        self.taken.append(box)
        return True

    def beside(
        self, text: str, lon: float, lat: float, gap: float, size: float, colour: str, bold: bool = False
    ) -> bool:
        """`text` to the right of a point, else to its left, `gap` pixels away."""
        x, y = self.px(lon, lat)
        w = 0.58 * size * len(text) + (0.06 * size * len(text) if bold else 0)
        h = 0.65 * size
        for side in (1, -1):
            box = (x + gap, y - h, x + gap + w, y + h) if side > 0 else (x - gap - w, y - h, x - gap, y + h)
            if self.fits(box):
                label = escape_text(text)
                self.annotations.append(
                    {
                        "text": f"<b>{label}</b>" if bold else label,
                        "x": lon,
                        "y": lat,
                        "xref": "x",
                        "yref": "y",
                        "xanchor": "left" if side > 0 else "right",
                        "xshift": side * gap,
                        "showarrow": False,
                        "font": {"size": size, "color": colour},
                    }
                )
                return True
        return False

    def centred(self, text: str, lon: float, lat: float, size: float, colour: str, dy: float = 0) -> bool:
        x, y = self.px(lon, lat)
        y -= dy
        w, h = 0.62 * size * len(text), 0.65 * size
        if not self.fits((x - w / 2, y - h, x + w / 2, y + h)):
            return False
        self.annotations.append(
            {
                "text": escape_text(text),
                "x": lon,
                "y": lat,
                "xref": "x",
                "yref": "y",
                "yshift": -dy,
                "showarrow": False,
                "font": {"size": size, "color": colour},
            }
        )
        return True

    def dot(self, lon: float, lat: float) -> None:
        self.dots.append(
            {
                "type": "circle",
                "xref": "x",
                "yref": "y",
                "xsizemode": "pixel",
                "ysizemode": "pixel",
                "xanchor": lon,
                "yanchor": lat,
                "x0": -2.5,
                "x1": 2.5,
                "y0": -2.5,
                "y1": 2.5,
                "fillcolor": CITY_LABEL,
                "line": {"width": 0},
            }
        )


def _place_labels(labels: _Labels, points: pd.DataFrame) -> set[str]:
    """The events' own places first ("Kyiv", "near Karachev"), most events first; the
    names labelled, so a city is not named twice."""
    if not len(points):
        return set()
    frame = pd.DataFrame(
        {
            "name": [gazetteer.named_place(v) if isinstance(v, str) else "" for v in points[Col.LOCATION]],
            "near": points["_precision"].to_numpy() == 2,
            "lon": points[Col.LONGITUDE].to_numpy(dtype="float64"),
            "lat": points[Col.LATITUDE].to_numpy(dtype="float64"),
        }
    )
    frame = frame[frame["name"] != ""]
    places = frame.groupby(["lon", "lat"], sort=False).agg(
        name=("name", "first"), near=("near", "all"), n=("name", "size")
    )
    named = set()
    for (lon, lat), place in (
        places.sort_values("n", ascending=False, kind="stable").head(MAX_PLACE_LABELS).iterrows()
    ):
        text = f"near {place['name']}" if place["near"] else place["name"]
        x, y = labels.px(lon, lat)
        gap = (labels.mark_at(x, y) or 4) * 1.3 + 3  # exports draw marks up to ~1.4x larger
        if labels.beside(text, lon, lat, gap, 12, EVENT_LABEL, bold=True):
            named.add(gazetteer.normalize(place["name"]))
    return named


def _area_labels(
    labels: _Labels, areas: list[tuple[gazetteer.Area, pd.DataFrame]], below: dict[str, float]
) -> None:
    for a, rows in areas:
        n = len(rows)
        labels.centred(
            f"{a.display_name} ({n} event{'s' if n != 1 else ''})",
            a.label[0],
            a.label[1],
            11,
            EVENT_LABEL,
            dy=below.get(a.code, 0) + 12,
        )


def _country_labels(labels: _Labels, scale: str, skip: set[str]) -> None:
    """Country names, largest countries first, where the name fits inside the country: at
    its label point, or (a country reaching into the view from outside it, like Russia's
    west) at a point of its part in view."""
    shown = labels.shown
    ranked = sorted(
        (c for c in gazetteer.countries(scale) if c.code not in skip),
        key=lambda c: -(c.fit[2] - c.fit[0]) * (c.fit[3] - c.fit[1]),
    )
    placed = 0
    for c in ranked:
        w = max(c.fit[0], shown.west)
        e = min(c.fit[2], shown.east)
        s_ = max(c.fit[1], shown.south)
        n = min(c.fit[3], shown.north)
        if w >= e or s_ >= n:
            continue
        fx0, fy0 = shown.px(w, s_)
        fx1, fy1 = shown.px(e, n)
        text = c.name.upper()
        if 6.4 * len(text) > 0.9 * (fx1 - fx0) or fy1 - fy0 < 14:
            continue  # the name would not fit inside the country at this scale
        half_w = 3.4 * len(text) * (shown.east - shown.west) / PLOT_PX[0]
        half_h = 6 * (shown.north - shown.south) / PLOT_PX[1]
        for lon, lat in _label_points(c, w, s_, e, n, half_w, half_h):
            if labels.centred(text, lon, lat, 10, COUNTRY_LABEL):
                placed += 1
                break
        if placed >= MAX_COUNTRY_LABELS:
            break


def _label_points(
    c: gazetteer.Area, w: float, s: float, e: float, n: float, half_w: float, half_h: float
) -> list[tuple[float, float]]:
    """Where a country's name may go: its label point when in view, else points of a grid
    over its part in view where the whole name is inside it, nearest that part's middle."""
    if w <= c.label[0] <= e and s <= c.label[1] <= n:
        return [c.label]
    grid = [(w + (e - w) * i / 8, s + (n - s) * j / 8) for i in range(1, 8) for j in range(1, 8)]
    grid.sort(key=lambda p: abs(p[0] - (w + e) / 2) + abs(p[1] - (s + n) / 2))
    inside = []
    for x, y in grid:
        corners = (
            (x - half_w, y - half_h),
            (x + half_w, y - half_h),
            (x - half_w, y + half_h),
            (x + half_w, y + half_h),
        )
        if c.contains(x, y) and all(c.contains(*p) for p in corners):
            inside.append((x, y))
            if len(inside) == 3:
                break
    return inside


def _city_labels(labels: _Labels, named: set[str]) -> None:
    """The largest cities (capitals count triple) around the events, then elsewhere in view,
    as dots with names beside them, unless an event's label already names them."""
    shown = labels.shown
    core = labels.core
    cities = [
        c
        for c in gazetteer.major_cities()
        if shown.west <= c.longitude <= shown.east and shown.south <= c.latitude <= shown.north
    ]

    def rank(c: gazetteer.City) -> tuple:
        near_events = core.west <= c.longitude <= core.east and core.south <= c.latitude <= core.north
        return (not near_events, -c.population * (3 if c.capital else 1), c.name)

    cities.sort(key=rank)
    placed = 0
    for c in cities:
        if gazetteer.normalize(c.name) in named:
            continue
        x, y = labels.px(c.longitude, c.latitude)
        if labels.mark_at(x, y) is not None:
            continue  # under an event's mark, which is labelled with its own place
        dot = (x - 4, y - 4, x + 4, y + 4)
        if labels.free(dot) and labels.beside(c.name, c.longitude, c.latitude, 6.5, 11, CITY_LABEL):
            labels.taken.append(dot)
            labels.dot(c.longitude, c.latitude)
            placed += 1
        if placed >= MAX_CITY_LABELS:
            break


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
    areas: list[tuple[gazetteer.Area, pd.DataFrame]], view: _View, legend_done: set[str]
) -> tuple[list[dict], list[dict], dict[str, float]]:
    """Per area: its outline shaded in its events' colour (neutral when they differ), and
    squares at its label point for hover and click, one per event, in a grid that stays
    inside the area on screen (when more events than squares, the last square holds the
    rest). Also how far below its label point each area's squares reach (pixels)."""
    fills, badges, reach = [], [], {}
    shown = view.visible()
    x_per_px = (shown.east - shown.west) / PLOT_PX[0]
    y_per_px = (shown.north - shown.south) / PLOT_PX[1]
    for a, rows in areas:
        types = rows[Col.EVENT_TYPE].astype(str)
        one_type = types.nunique() == 1
        colour = taxonomy.COLOURS.get(types.iat[0], NEUTRAL) if one_type else NEUTRAL
        kind = "country" if a.kind == "country" else "region"
        titles = [escape_text(t) for t in rows[Col.TITLE].head(8)]
        more = f"<br>and {len(rows) - 8} more" if len(rows) > 8 else ""
        x, y = a.outline
        fills.append(
            {
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
        )
        w, s_, e, n = a.fit
        room_x = (e - w) / x_per_px * 0.5
        room_y = (n - s_) / y_per_px * 0.35
        columns = int(np.clip(room_x // BADGE_STEP, 1, 6))
        max_rows = int(np.clip(room_y // BADGE_STEP, 1, 6))
        slots = min(len(rows), columns * max_rows, MAX_BADGES)
        columns = min(columns, slots)
        slot = np.minimum(np.arange(len(rows)), slots - 1)
        col, row = slot % columns, slot // columns
        rows_used = (slots - 1) // columns + 1
        bx = a.label[0] + (col - (columns - 1) / 2) * BADGE_STEP * x_per_px
        by = a.label[1] - (row - (rows_used - 1) / 2) * BADGE_STEP * y_per_px
        reach[a.code] = (rows_used - 1) / 2 * BADGE_STEP + 5
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
    return fills, badges, reach


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
    if data.points is None and data.cells is None:
        return figure([], {})
    labelled: set[str] = set()
    outside_notes: list[dict] = []
    if data.cells is not None:
        if not len(data.cells):
            return figure([], {})
        cx = data.cells["x"].to_numpy(dtype="float64")
        cy = data.cells["y"].to_numpy(dtype="float64")
        view = _View(*extent) if extent else _fit(cx, cy, [])
        fill_traces: list[dict] = []
        event_traces = _cells(data.cells, data.cell)
        labels = _Labels(view, np.column_stack([cx, cy]), np.full(len(cx), 4.0))
    else:
        events = _sort_events(data)
        if not len(events.points) and not events.areas:
            return figure([], {})
        fitted = _fitted(events, extent)
        view = fitted.view
        fill_traces, event_traces, reach, marks, radii = _event_traces(events, view)
        labels = _Labels(view, marks, radii)
        if fitted.outside:  # the note's corner, top left, before any name is placed
            note = outside_note(fitted.outside, fitted.places, top=3)
            labels.taken.append((0, PLOT_PX[1] - 28, 6.2 * len(note) + 16, PLOT_PX[1]))  # y from the bottom
            outside_notes.append(_outside_annotation(note))
        _area_labels(labels, events.areas, reach)
        labelled = _place_labels(labels, events.points)
    shown = view.visible()
    scale = "50m" if shown.east - shown.west < 70 else "110m"
    _country_labels(labels, scale, skip={a.code for a, _ in events.areas} if data.cells is None else set())
    _city_labels(labels, labelled)

    pad_x, pad_y = (shown.east - shown.west) * 0.5, (shown.north - shown.south) * 0.5
    lx, ly = _land_in(shown.west - pad_x, shown.south - pad_y, shown.east + pad_x, shown.north + pad_y, scale)
    land = {
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
    return figure([land, *fill_traces, *event_traces], layout)


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
    events: _Events, view: _View
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
