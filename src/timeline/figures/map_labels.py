"""The map's names: the events' places, shaded areas, countries and major cities, placed
greedily where they overlap neither each other nor the events' marks. See map_chart.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

from timeline.domain import gazetteer
from timeline.domain.schema import Col
from timeline.figures.common import escape_text
from timeline.figures.map_fit import PLOT_PX, MapView

COUNTRY_LABEL = "#7d8289"
CITY_LABEL = "#3f454c"
MAX_CITY_LABELS = 12
MAX_COUNTRY_LABELS = 16
MAX_PLACE_LABELS = 12
EVENT_LABEL = "#1f2328"


class Labels:
    """Name labels placed greedily, in order of importance, where they overlap neither each
    other nor the events' marks (boxes in estimated plot pixels, see PLOT_PX)."""

    def __init__(self, view: MapView, marks: np.ndarray, radii: np.ndarray) -> None:
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


def place_labels(labels: Labels, points: pd.DataFrame) -> set[str]:
    """The events' own places first ("Kyiv", "near Karachev"), most events first; the
    names labelled, so a city is not named twice."""
    if not len(points):
        return set()
    names = [gazetteer.named_place(v) if isinstance(v, str) else "" for v in points[Col.LOCATION]]
    near = points["_precision"].to_numpy() == 2
    lons = points[Col.LONGITUDE].to_numpy(dtype="float64")
    lats = points[Col.LATITUDE].to_numpy(dtype="float64")
    places: dict[tuple[float, float], dict] = {}  # per spot, in order of first mention
    for name, is_near, lon, lat in zip(names, near, lons, lats, strict=True):
        if name:
            place = places.setdefault((lon, lat), {"name": name, "near": True, "n": 0})
            place["near"] = place["near"] and bool(is_near)
            place["n"] += 1
    named = set()
    busiest = sorted(places.items(), key=lambda item: -item[1]["n"])[:MAX_PLACE_LABELS]  # ties in order
    for (lon, lat), place in busiest:
        text = f"near {place['name']}" if place["near"] else place["name"]
        x, y = labels.px(lon, lat)
        gap = (labels.mark_at(x, y) or 4) * 1.3 + 3  # exports draw marks up to ~1.4x larger
        if labels.beside(text, lon, lat, gap, 12, EVENT_LABEL, bold=True):
            named.add(gazetteer.normalize(place["name"]))
    return named


def area_labels(
    labels: Labels, areas: list[tuple[gazetteer.Area, pd.DataFrame]], below: dict[str, float]
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


def country_labels(labels: Labels, scale: str, skip: set[str]) -> None:
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
    # each point with its name's four corners, tested a row of the grid at a time
    # (`Area.contains_all`), nearest first, until three fit
    corners = np.array([(0, 0), (-half_w, -half_h), (half_w, -half_h), (-half_w, half_h), (half_w, half_h)])
    inside: list[tuple[float, float]] = []
    for first in range(0, len(grid), 7):
        batch = grid[first : first + 7]
        tested = np.asarray(batch)[:, None, :] + corners[None, :, :]
        fits = (
            c.contains_all(tested[..., 0].ravel(), tested[..., 1].ravel()).reshape(len(batch), 5).all(axis=1)
        )
        inside += [batch[i] for i in np.flatnonzero(fits)]
        if len(inside) >= 3:
            break
    return inside[:3]


def city_labels(labels: Labels, named: set[str]) -> None:
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
