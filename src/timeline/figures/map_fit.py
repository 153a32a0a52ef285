"""Where the map's events go and what it shows: each event at a point, near one, or as a shaded
area (`sort_events`); the view that fits where most of them are (`core_window`), and the
events it leaves out; the counts for the map's caption (`map_counts`). See map_chart.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from timeline.domain import gazetteer
from timeline.domain.schema import Col
from timeline.engine import MapData

GEO_PRECISION = str(Col.GEO_PRECISION)
AREA_CODE = str(Col.AREA_CODE)
PLOT_PX = (1150.0, 430.0)
"""The plot area a dashboard map roughly gets (wide page), for spacing labels: plotly widens
one axis to keep the aspect, so the visible area is estimated from this shape."""


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
            one = self.unplaced == 1
            verbs = "has no place and is" if one else "have no place and are"
            parts.append(f"{self.unplaced:,} of {self.total:,} events {verbs} not on the map.")
        return " ".join(parts) or None


@dataclass(frozen=True)
class PlacedEvents:
    """The matching events sorted by how they are drawn."""

    points: pd.DataFrame
    """Rows drawn as markers, with a `_precision` column (1 or 2)."""
    areas: list[tuple[gazetteer.Area, pd.DataFrame]]
    """Shaded areas with their rows, most events first."""
    unplaced: int

    @property
    def drawn(self) -> bool:
        """Whether any event is drawn (a marker or a shaded area): else there is no view to fit."""
        return bool(len(self.points)) or bool(self.areas)


def sort_events(data: MapData) -> PlacedEvents:
    frame = data.points if data.points is not None else pd.DataFrame()
    if frame.empty:
        return PlacedEvents(frame, [], data.total - data.located)
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
    return PlacedEvents(points, grouped, unplaced)


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
class Fitted:
    view: MapView
    outside: int
    places: tuple[str, ...]


def _fit_core(events: PlacedEvents) -> Fitted:
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
    view = fit_view(
        px[on_map], py[on_map], [a.fit for (a, _), keep in zip(events.areas, areas_in, strict=True) if keep]
    )
    outside = [not keep for keep in areas_in]
    return _left_out(events, view, ~on_map, outside)


def _left_out(events: PlacedEvents, view: MapView, points_out: np.ndarray, areas_out: list[bool]) -> Fitted:
    """The view, and the events it leaves out by place, most events first ('Seoul (15)')."""
    points = events.points
    names = (
        points.loc[points_out, Col.LOCATION].fillna("unnamed place").astype(str).tolist()
        if Col.LOCATION in points.columns
        else ["unnamed place"] * int(points_out.sum())
    )
    tally = pd.Series(names, dtype=object).value_counts() if names else pd.Series(dtype="int64")
    for (a, rows), out in zip(events.areas, areas_out, strict=True):
        if out:
            tally[a.display_name] = tally.get(a.display_name, 0) + len(rows)
    tally = tally.sort_values(ascending=False, kind="stable")
    places = tuple(f"{name} ({int(n)})" for name, n in tally.items())
    return Fitted(view, int(tally.sum()) if len(tally) else 0, places)


def map_counts(data: MapData, extent: tuple[float, float, float, float] | None = None) -> MapCounts:
    """How many events the map draws at a place, near one, as a shaded area, outside its view
    (the default view's, or `extent`'s), and not at all."""
    if data.points is None:
        return MapCounts(data.total, data.located, 0, 0, (), data.total - data.located, aggregated=True)
    events = sort_events(data)
    return counts_of(data, events, fit_events(events, extent) if events.drawn else None)


def counts_of(data: MapData, events: PlacedEvents, fitted: Fitted | None) -> MapCounts:
    """`map_counts` of events already sorted and fitted (the map's figure does both)."""
    precision = events.points["_precision"].to_numpy() if len(events.points) else np.empty(0)
    return MapCounts(
        total=data.total,
        exact=int((precision == 1).sum()),
        near=int((precision == 2).sum()),
        shaded=sum(len(rows) for _, rows in events.areas),
        areas=tuple(a.display_name for a, _ in events.areas),
        unplaced=events.unplaced,
        outside=fitted.outside if fitted else 0,
        outside_places=fitted.places if fitted else (),
    )


def fit_events(events: PlacedEvents, extent: tuple[float, float, float, float] | None) -> Fitted:
    """A story step's `extent` (and what lies beyond it), else the default fit."""
    if extent is None:
        return _fit_core(events)
    west, south, east, north = extent
    lon = events.points[Col.LONGITUDE].to_numpy(dtype="float64")
    lat = events.points[Col.LATITUDE].to_numpy(dtype="float64")
    out = ~((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    areas_out = [not (west <= a.label[0] <= east and south <= a.label[1] <= north) for a, _ in events.areas]
    return _left_out(events, MapView(*extent), out, areas_out)


@dataclass(frozen=True)
class MapView:
    west: float
    south: float
    east: float
    north: float

    @property
    def ratio(self) -> float:
        """y units per x unit on screen (plotly's scaleratio): degrees of latitude are
        1/cos(latitude) times as long as degrees of longitude."""
        return 1 / max(0.2, math.cos(math.radians((self.south + self.north) / 2)))

    def visible(self) -> MapView:
        """The area plotly will show in a PLOT_PX plot (it widens one axis to the aspect)."""
        width, height = PLOT_PX
        span_x, span_y = self.east - self.west, self.north - self.south
        if span_x / (span_y * self.ratio) < width / height:
            grow = (span_y * self.ratio * width / height - span_x) / 2
            return MapView(self.west - grow, self.south, self.east + grow, self.north)
        grow = (span_x * height / width / self.ratio - span_y) / 2
        return MapView(self.west, self.south - grow, self.east, self.north + grow)

    def px(self, lon: float | np.ndarray, lat: float | np.ndarray) -> tuple:
        width, height = PLOT_PX
        return (
            (np.asarray(lon) - self.west) / (self.east - self.west) * width,
            (np.asarray(lat) - self.south) / (self.north - self.south) * height,
        )


def fit_view(lons: np.ndarray, lats: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> MapView:
    """Around the points and areas, with room to see the countries around a single event."""
    west = min([*lons.tolist(), *(b[0] for b in boxes)])
    east = max([*lons.tolist(), *(b[2] for b in boxes)])
    south = min([*lats.tolist(), *(b[1] for b in boxes)])
    north = max([*lats.tolist(), *(b[3] for b in boxes)])
    pad_lon = max(8.0 - (east - west) / 2, (east - west) * 0.08, 1.5)
    pad_lat = max(5.0 - (north - south) / 2, (north - south) * 0.12, 1.0)
    return MapView(
        max(-180.0, west - pad_lon),
        max(-85.0, south - pad_lat),
        min(180.0, east + pad_lon),
        min(85.0, north + pad_lat),
    )
