"""Slide-ready styling for exported charts: size presets, a subtitle and a footer with the
sources and the data's as-of date, projector-size fonts (titles come from `view.title`,
subtitles from `findings`).

No text on a slide is smaller than `MIN_TEXT_PX` (18 px on a 1920x1080 slide, where one layout
pixel is one pixel of a 1080p projector): footers, annotations, count and key-event labels,
map names (`fit_map_labels` enlarges them and drops those that would then collide), and bar
labels (hidden by plotly rather than shrunk). A timeline is laid out for its slide
(`slide_timeline`): built at the slide's plot width with 18 px labels, its marks and lanes
enlarged up to `MAX_SCALE`, and its plot as tall as its lanes, never stretched.

The dashboard's figures stay the dashboard's; `style` returns a restyled copy (a slide's
timeline is built as plain dicts for its slide, and restyled as it is).
"""

from __future__ import annotations

import copy
import functools
import math
import re
import textwrap
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from timeline.engine import TimelineData
from timeline.figures import map_chart
from timeline.figures.cache import decoded
from timeline.figures.common import DAY_MS, Window, escape_text, figure
from timeline.figures.timeline_chart import aggregated_timeline, draw_timeline, lay_out_timeline, with_lanes


@dataclass(frozen=True)
class Size:
    key: str
    label: str
    width: int
    height: int
    scale: float = 1.0
    """PNG pixels = layout pixels x scale; PDF and SVG use the layout size."""

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


SIZES: dict[str, Size] = {
    s.key: s
    for s in (
        Size("slide-16x9", "16:9 slide (1920x1080)", 1920, 1080),
        Size("slide-4x3", "4:3 slide (1600x1200)", 1600, 1200),
        # 297 x 210 mm at 96 CSS px per inch: the PDF page is exactly A4; PNG at 2x (~192 dpi).
        Size("a4-landscape", "A4 landscape (297x210 mm)", 1123, 794, scale=2),
        Size("square", "Square (1080x1080)", 1080, 1080),
    )
}
CHARTS = ("timeline", "counts", "map")
IMAGE_FORMATS = ("png", "svg", "pdf")
FONT = "DejaVu Sans, Arial, sans-serif"
MIN_TEXT_PX = 18
"""The smallest text on any slide or page, in layout pixels."""
LABEL_PX = 18
"""Count and key-event labels on a slide's timeline."""
MAX_SCALE = 1.6
"""How much a slide may enlarge a timeline's marks to fill its height."""
SHORT_DAYS = 16
"""A slide's date axis up to this many days long labels every day."""
DAILY = {"dtickrange": [None, None], "value": "%-d %b"}
MAX_LANE_PX = 170
"""How tall a slide may make a lane when it has few: room for a label and a call-out each side."""
CHAR_EM = 0.6
"""Average width of a character of the slide font, in ems (for estimating text boxes)."""
LAND_PAD_PX = 4
"""`crop_land` keeps outlines this close to the plot (the border's width, antialiasing)."""


def footer(outlets: pd.Series, as_of: date | None, top: int = 4) -> str:
    """'Sources: A, B, C and 12 others · Data as of 27 Dec 2024 · conflict-timeline', from the
    matching events per outlet (most first)."""
    names = list(outlets.index[:top])
    sources = ", ".join(str(n) for n in names)
    if len(outlets) > top:
        sources += f" and {len(outlets) - top} others"
    parts = [f"Sources: {sources}" if sources else "Sources: none"]
    if as_of is not None:
        parts.append(f"Data as of {as_of.day} {as_of:%b %Y}")
    parts.append("conflict-timeline")
    return " · ".join(parts)


def base_font(width: int) -> int:
    """The body text size of a slide or page `width` pixels wide: 21 px at 1920."""
    return max(MIN_TEXT_PX + 2, round(width / 90))


@dataclass(frozen=True)
class Frame:
    """Room a figure keeps around its plot: `top` above it (title, subtitle, legend or dates),
    `bottom` below it (legend, footer), `right` beside it; the left margin follows the lane
    labels or axis."""

    top: int
    bottom: int
    right: int


@dataclass(frozen=True)
class Heading:
    """A slide's title, subtitle and footer broken into lines that fit its width."""

    title: list[str]
    subtitle: list[str]
    footer: list[str]

    @classmethod
    def of(cls, size: Size, title: str, subtitle: str, footer: str) -> Heading:
        base = base_font(size.width)
        room = size.width * 0.97
        return cls(
            wrap(title, round(base * 1.6), room, em=0.66)[:3],
            wrap(subtitle, subtitle_px(base), room)[:3],
            wrap(footer, footer_px(base), room)[:3],
        )


def subtitle_px(base: int) -> int:
    return max(MIN_TEXT_PX, round(base * 0.95))


def footer_px(base: int) -> int:
    return max(MIN_TEXT_PX, round(base * 0.85))


def wrap(text: str, px: float, width: float, em: float = CHAR_EM) -> list[str]:
    """`text` broken at spaces into lines of at most `width` pixels (estimated)."""
    if not text:
        return []
    return textwrap.wrap(text, max(12, int(width / (em * px))), break_on_hyphens=False) or [text]


def export_frame(size: Size, heading: Heading | None = None, *, dates_on_top: bool = False) -> Frame:
    """A chart exported on its own: title and subtitle at the top (with the legend, unless the
    dates are there), footer at the bottom (with the axis's dates, unless they are on top)."""
    base = base_font(size.width)
    heading = heading or Heading([""], [""], [""])
    top = (
        base * 0.8 + len(heading.title) * base * 1.6 * 1.25 + len(heading.subtitle) * subtitle_px(base) * 1.35
    )
    bottom = base * 0.6 + len(heading.footer) * footer_px(base) * 1.3
    if not dates_on_top:
        top += base * 1.6  # the legend's first row
        bottom += base * 3  # dates below the plot, on two lines
    return Frame(top=round(top + base * 0.6), bottom=round(bottom + base * 0.6), right=round(base * 2))


def text_width(text: str, px: float, em: float = CHAR_EM) -> float:
    return em * px * len(text)


def _legend_rows(fig: Plain, width: float, base: int) -> int:
    """How many rows a horizontal legend takes in `width` pixels (estimated)."""
    return _rows(_names(fig["data"]), width, base)


def slide_timeline(
    data: TimelineData,
    *,
    lanes: str,
    window: Window,
    size: Size,
    frame: Frame,
    selected: tuple[str, ...] = (),
    fill: bool = True,
    max_lane: float = 0,
    max_scale: float = MAX_SCALE,
) -> Plain:
    """A timeline laid out for a slide of `size`: lane labels measured for the left margin,
    events dodged and labels placed for the plot's real width with `LABEL_PX` labels, marks and
    lanes enlarged (up to `MAX_SCALE`) towards the height the slide has, the legend under the
    plot, and the plot exactly as tall as its lanes. With `fill` the figure keeps the slide's
    height; without, it ends under the legend (a deck's picture, sized to what it shows).
    Plain dicts, as `style` and `look` restyle them: no plotly figure to convert back."""
    base = base_font(size.width)
    labels = [str(x) for x in data.lanes] if data.aggregated else with_lanes(data.events, lanes)[1]
    left = math.ceil(max((text_width(x, base) for x in labels), default=0) + 1.2 * base)
    plot_w = size.width - left - frame.right
    dates = round(base * 1.9)  # the dates along the top
    if data.aggregated:
        traces, layout, _ = aggregated_timeline(data, lanes, window)
        names = _names(traces)
    else:
        laid = lay_out_timeline(
            data, lanes=lanes, window=window, width=plot_w, font=LABEL_PX, whole_marks=True
        )
        names = laid.legend_names
    legend = _rows(names, plot_w, base) * round(base * 1.6) + round(base * 0.6)
    room = size.height - frame.top - frame.bottom - dates - legend
    if not data.aggregated:
        natural = laid.plot_height
        if 0 < natural * 1.05 < room:
            # Larger marks, then taller lanes (at most MAX_LANE_PX in a deck's picture), laid out again.
            scale = min(max_scale, room / natural)
            # a slide's lanes share its whole height (two lanes do not leave half of it empty)
            lane_px = (
                room / max(1, len(labels))
                if fill
                else min(max_lane or MAX_LANE_PX, room / max(1, len(labels)))
            )
            laid = lay_out_timeline(
                data, lanes=lanes, window=window, width=plot_w, font=LABEL_PX, scale=scale, lane_height=lane_px,
                whole_marks=True,
            )  # fmt: skip
            natural = laid.plot_height
        traces, layout, _ = draw_timeline(laid, selected)  # drawn once, at the scale kept
    # a view with nothing to lay out (no events) keeps an empty plot of the slide's room
    plot_h = min(natural, room) if not data.aggregated and natural > 0 else room
    top = frame.top + dates  # under the title, as a slide reads; spare room stays at the bottom
    height = size.height if fill else round(frame.top + dates + plot_h + legend + frame.bottom)
    bottom = height - top - plot_h
    fig = {"data": traces, "layout": layout}
    merge(layout, {
        "width": size.width,
        "height": height,
        "margin": {"l": left, "r": frame.right, "t": top, "b": bottom, "autoexpand": False},
        "legend": {"orientation": "h", "yref": "paper", "y": -round(base * 0.5) / plot_h, "yanchor": "top",
                   "x": 0, "xanchor": "left"},
    })  # fmt: skip
    layout["legend"].pop("entrywidth", None)  # the page's fixed entry width is for its small legend font
    update_axes(fig, "y", {"automargin": False})
    update_axes(fig, "x", {"automargin": False, "tickangle": 0, "nticks": max(4, plot_w // (9 * base))})
    days = _days_shown(layout["xaxis"])
    if days is not None and days <= SHORT_DAYS:  # a label per day, centred on its day
        update_axes(fig, "x", {"dtick": DAY_MS, "ticklabelmode": "period", "tickformatstops": [DAILY]})
    return fig


def _days_shown(axis: dict[str, Any]) -> float | None:
    """The days a date axis's range spans: the laid-out timeline's range is in ms, the
    aggregated one's (`date_axis`) ISO dates or none at all (plotly fits the data)."""
    ends = axis.get("range")
    if not ends or any(end is None for end in ends):
        return None
    low, high = (pd.Timestamp(end).value / 1e6 if isinstance(end, str) else float(end) for end in ends)
    return (high - low) / DAY_MS


def _names(traces: list[dict]) -> list[str]:
    """A figure's legend entries: its traces' names, once each, unless left out of the legend."""
    return list(
        dict.fromkeys(t["name"] for t in traces if t.get("name") and t.get("showlegend") is not False)
    )


def _rows(names: list[str], width: float, base: int) -> int:
    """How many rows a horizontal legend of `names` takes in `width` pixels (estimated)."""
    if not names:
        return 0
    rows, used = 1, 0.0
    for name in names:
        item = text_width(name, base) + 2.6 * base
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


Plain = dict[str, Any]
"""A figure as plotly's plain dicts (`plain`): {"data": [...], "layout": {...}}."""


def plain(fig: go.Figure) -> Plain:
    """A copy of `fig` as plain dicts, numbers as numpy arrays (plotly's `to_dict` gives them
    base64-encoded, as it sends them; its JSON encodes them so again)."""
    out = decoded(fig.to_dict())
    for name in ("annotations", "shapes", "images"):  # empty, as a validated copy leaves them out
        if out["layout"].get(name) == []:
            del out["layout"][name]
    return out


def style(
    fig: go.Figure | Plain,
    *,
    title: str,
    subtitle: str,
    footer_text: str,
    size: Size,
    laid_out: bool = False,
) -> go.Figure:
    """`fig` laid out for a slide or page: fixed size, white background, big type, title and
    subtitle at the top, attribution and as-of date at the bottom. A figure `laid_out` for the
    slide already (`slide_timeline`) keeps its size, margins, marks and legend. Restyled as
    plain dicts and wrapped without validation: plotly's property objects cost most of a warm
    export's Python time (docs/performance.md). A plotly figure (the dashboard's) is copied
    first; plain dicts (`slide_timeline`'s, built for this) are restyled in place."""
    out = plain(fig) if isinstance(fig, go.Figure) else fig
    layout = out["layout"]
    base = base_font(size.width)
    heading = Heading.of(size, title, subtitle, footer_text)
    map_labels = is_map(out)
    look(out, size, laid_out=laid_out)
    merge(
        layout,
        {
            "title": {
                "text": "<br>".join(f"<b>{escape_text(line)}</b>" for line in heading.title),
                "subtitle": {
                    "text": "<br>".join(escape_text(line) for line in heading.subtitle),
                    "font": {"size": subtitle_px(base), "color": "#555"},
                },
                "x": 0.01,
                "xanchor": "left",
                "xref": "container",
                "y": 1 - base * 0.8 / size.height,
                "yanchor": "top",
                "yref": "container",
                "font": {"size": round(base * 1.6)},
            },
        },
    )
    if not laid_out:
        frame = export_frame(size, heading)
        legend = max(0, _legend_rows(out, size.width - round(base * 6), base) - 1) * round(base * 1.6)
        merge(
            layout,
            {
                "width": size.width,
                "height": size.height,
                "margin": {
                    "l": round(base * 4),
                    "r": frame.right,
                    "t": frame.top + legend,
                    "b": frame.bottom,
                },
                "legend": {"orientation": "h", "yref": "paper", "y": 1.0, "yanchor": "bottom", "x": 0},
            },
        )
        update_axes(out, "x", {"tickangle": 0})
    margin = layout["margin"]
    plot_height = size.height - margin["t"] - margin["b"]
    layout.setdefault("annotations", []).append(
        {  # in the bottom margin, below the axis labels and the legend
            "align": "left",
            "font": {"color": "#555", "size": footer_px(base)},
            "showarrow": False,
            "text": "<br>".join(escape_text(line) for line in heading.footer),
            # the slide's left edge
            "x": (0.01 * size.width - margin["l"]) / (size.width - margin["l"] - margin["r"]),
            "xanchor": "left",
            "xref": "paper",
            "y": -(size.height - margin["t"] - 0.5 * base - plot_height) / plot_height,
            "yanchor": "bottom",
            "yref": "paper",
        }
    )
    if map_labels:
        fit_map(out, size.width - margin["l"] - margin["r"], plot_height)
    return figure(out["data"], layout)


def merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    """`update` into `target` in place, as plotly's `update` does: nested dicts merged, a None
    value removing its key, a list of dicts merged into a list of dicts already there item by
    item (cycling through the update, longer updates appended), anything else replacing."""
    for key, value in update.items():
        old = target.get(key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(old, dict):
            merge(old, value)
        elif _dicts(value) and _dicts(old) and old:
            for i, item in enumerate(old):
                merge(item, value[i % len(value)])
            old.extend(copy.deepcopy(value[len(old) :]))
        else:
            target[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _dicts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def update_axes(fig: Plain, letter: str, update: dict[str, Any]) -> None:
    """`update` merged into every x (or y) axis of a figure, `xaxis` always among them (as
    `go.Figure.update_xaxes`)."""
    layout = fig["layout"]
    pattern = re.compile(rf"{letter}axis\d*")
    for name in dict.fromkeys([f"{letter}axis", *(k for k in layout if pattern.fullmatch(k))]):
        merge(layout.setdefault(name, {}), update)


@functools.cache
def _white() -> Plain:
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def is_map(fig: Plain) -> bool:
    return any(a.get("text") == map_chart.ATTRIBUTION for a in fig["layout"].get("annotations", ()))


def look(fig: Plain, size: Size, *, laid_out: bool = False) -> Plain:
    """In place: white, projector-size type, no range buttons, every text at least
    `MIN_TEXT_PX`, and (unless laid out for the slide) marks grown for the slide's width."""
    base = base_font(size.width)
    layout = fig["layout"]
    layout["template"] = copy.deepcopy(_white())
    merge(
        layout,
        {
            "font": {"family": FONT, "size": base, "color": "#222"},
            "legend": {"font": {"size": base}},
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "uniformtext": {"minsize": MIN_TEXT_PX, "mode": "hide"},  # never shrink a bar's label
        },
    )
    layout["legend"]["title"] = {}  # no legend title (what plotly leaves when it is set to None)
    grow = size.width / 1400  # dashboard marks were sized for a ~1400 px wide page
    for trace in fig["data"]:
        kind, mode, marker = trace.get("type", "scatter"), trace.get("mode"), trace.get("marker") or {}
        if (
            not laid_out
            and kind == "scatter"
            and mode
            and "markers" in mode
            and marker.get("size") is not None
        ):
            sizes = marker["size"]
            marker["size"] = (
                [v * grow for v in sizes]
                if isinstance(sizes, (list, tuple)) or hasattr(sizes, "__len__")
                else sizes * grow
            )
        if kind in ("scatter", "bar") and trace.get("text") is not None:
            merge(
                trace, {"textfont": {"size": max(MIN_TEXT_PX, LABEL_PX if laid_out else round(base * 0.8))}}
            )
    update_axes(fig, "x", {"rangeselector": {"visible": False}, "tickfont": {"size": base},
                           "title": {"font": {"size": base}}})  # fmt: skip
    axis = layout.get("xaxis", {})
    window = axis.get("range")
    if not laid_out and axis.get("type") == "date" and window and all(window):
        days = (pd.Timestamp(window[1]) - pd.Timestamp(window[0])) / pd.Timedelta(days=1)
        if days <= SHORT_DAYS:  # one label a day, not two for each noon and midnight
            update_axes(fig, "x", {"dtick": DAY_MS, "tickformatstops": [DAILY]})
    update_axes(fig, "y", {"tickfont": {"size": base}, "title": {"font": {"size": base}}})
    if not is_map(fig):  # a map's names are enlarged and kept apart by `fit_map_labels`
        for note in layout.get("annotations", ()):
            font = note.setdefault("font", {})
            if font.get("size") is None or font["size"] < MIN_TEXT_PX:
                font["size"] = MIN_TEXT_PX
    return fig


@dataclass(frozen=True)
class MapPlot:
    """Where a map's degrees fall in its image's plot of `width` x `height` pixels: plotly
    widens the narrower axis's range to keep the map's aspect (`scaleratio`), about the
    ranges' centre (`cx`, `cy`); `ppd` is pixels per degree of longitude."""

    width: float
    height: float
    ppd: float
    ratio: float
    cx: float
    cy: float

    @classmethod
    def of(cls, fig: Plain, width: float, height: float) -> MapPlot:
        layout = fig["layout"]
        (west, east), (south, north) = layout["xaxis"]["range"], layout["yaxis"]["range"]
        ratio = layout["yaxis"].get("scaleratio") or 1.0
        ppd = min(width / (east - west), height / ((north - south) * ratio))
        return cls(width, height, ppd, ratio, (west + east) / 2, (south + north) / 2)

    def px(self, lon: float, lat: float) -> tuple[float, float]:
        """A place's pixel in the plot, from its top left corner."""
        x = self.width / 2 + (lon - self.cx) * self.ppd
        return x, self.height / 2 - (lat - self.cy) * self.ppd * self.ratio


def fit_map(fig: Plain, plot_w: float, plot_h: float) -> None:
    """In place: a map fitted to an image's plot of `plot_w` x `plot_h` pixels, its names
    enlarged and kept apart (`fit_map_labels`), the land it cannot show left out
    (`crop_land`), both from one `MapPlot`."""
    plot = MapPlot.of(fig, plot_w, plot_h)
    fit_map_labels(fig, plot)
    crop_land(fig, plot)


def crop_land(fig: Plain, plot: MapPlot) -> None:
    """In place: a map's land without the outlines that lie wholly outside its plot.

    The map sends the land around its view too, for panning (`map_chart._land`); an image
    cannot pan, yet Chromium traced and filled every outline: 17,767 points for Ukraine in
    November 2024, of which 7,918 are kept. Only rings whose bounding box misses the visible
    area (the axes' ranges widened to the plot's aspect, as plotly does, and by a few pixels
    for the border's width) are left out, so the image shows the same: of 15 map PNGs
    compared with uncropped ones, 14 are byte-identical and the deck's map at 2x has nine of
    its 3.7 million pixels one level apart in a border's antialiasing (docs/performance.md)."""
    # degrees from the centre to the plot's edge, and a little
    half_w = (plot.width / 2 + LAND_PAD_PX) / plot.ppd
    half_h = (plot.height / 2 + LAND_PAD_PX) / (plot.ppd * plot.ratio)
    cx, cy = plot.cx, plot.cy
    for trace in fig["data"]:
        if trace.get("fillcolor") != map_chart.LAND or trace.get("x") is None:
            continue
        xs, ys = np.asarray(trace["x"]), np.asarray(trace["y"])  # kept in their dtype (float32)
        if not len(xs):
            continue
        x, y = xs.astype("float64"), ys.astype("float64")
        ring = np.cumsum(np.isnan(x)) - np.isnan(x)  # each point's ring; a ring's NaN ends it
        starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
        with np.errstate(invalid="ignore"):
            lo_x, hi_x = np.fmin.reduceat(x, starts), np.fmax.reduceat(x, starts)
            lo_y, hi_y = np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts)
        seen = (hi_x >= cx - half_w) & (lo_x <= cx + half_w) & (hi_y >= cy - half_h) & (lo_y <= cy + half_h)
        keep = seen[ring]
        trace["x"], trace["y"] = xs[keep], ys[keep]


def fit_map_labels(fig: Plain, plot: MapPlot) -> None:
    """In place: a map's place, area, country and city names at `MIN_TEXT_PX` or more, and
    the ones that would then overlap an earlier name (names are listed most important first),
    an event's mark or the attribution left out, with their city dots. The map placed its
    names for a dashboard-sized plot in smaller type; this keeps them apart on the slide."""
    layout = fig["layout"]
    px, plot_w, plot_h = plot.px, plot.width, plot.height
    marks = []
    for t in fig["data"]:
        mode = t.get("mode")
        if (
            t.get("type", "scatter") == "scatter"
            and mode
            and "markers" in mode
            and t.get("customdata") is not None
            and t.get("x") is not None
        ):
            size = (t.get("marker") or {}).get("size")
            sizes = np.broadcast_to(
                np.asarray(size if size is not None else 6, dtype="float64"), (len(t["x"]),)
            )
            for x, y, d in zip(t["x"], t["y"], sizes, strict=True):
                if x is not None and y is not None:
                    mx, my = px(float(x), float(y))
                    marks.append((mx - d / 2, my - d / 2, mx + d / 2, my + d / 2))
    taken: list[tuple[float, float, float, float]] = list(marks)
    notes = layout.get("annotations", [])
    labels = [a for a in notes if a.get("xref") == "x"]
    smallest = min((a.get("font", {}).get("size") or MIN_TEXT_PX for a in labels), default=MIN_TEXT_PX)
    grow = max(1.0, MIN_TEXT_PX / smallest)
    for a in notes:
        if a.get("xref") != "x":  # the attribution, bottom right of the plot
            font = a.setdefault("font", {})
            font["size"] = max(MIN_TEXT_PX, font.get("size") or 0)
            w, h = text_width(a.get("text"), font["size"]), 1.4 * font["size"]
            taken.append((plot_w - w, plot_h - h, plot_w, plot_h))
    kept, dropped = [], set()
    for a in notes:
        if a.get("xref") != "x":
            kept.append(a)
            continue
        size = (a.get("font", {}).get("size") or MIN_TEXT_PX) * grow
        bold = (a.get("text") or "").startswith("<b>")
        text = (a.get("text") or "").removeprefix("<b>").removesuffix("</b>")
        w, h = text_width(text, size, 0.66 if bold else CHAR_EM), 1.3 * size
        x, y = px(a["x"], a["y"])
        x += (a.get("xshift") or 0) * grow
        y -= (a.get("yshift") or 0) * grow
        x0 = {"left": x, "right": x - w}.get(a.get("xanchor"), x - w / 2)
        box = (x0, y - h / 2, x0 + w, y + h / 2)
        inside = box[0] >= 0 and box[2] <= plot_w and box[1] >= 0 and box[3] <= plot_h
        if inside and not any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
        ):
            a.setdefault("font", {})["size"] = size
            a["xshift"], a["yshift"] = (a.get("xshift") or 0) * grow, (a.get("yshift") or 0) * grow
            taken.append(box)
            kept.append(a)
        else:
            dropped.add((a["x"], a["y"]))
    shapes = [
        s
        for s in layout.get("shapes", [])
        if not (s.get("type") == "circle" and (s.get("xanchor"), s.get("yanchor")) in dropped)
    ]
    for name, items in (("annotations", kept), ("shapes", shapes)):  # plotly leaves out empty lists
        if items:
            layout[name] = items
        else:
            layout.pop(name, None)
