"""The swimlane timeline: points for events known to the day, hatched bars for events known
only to the week or month; counts per lane and time bin when the engine aggregated.

Nothing hides anything: events of one lane that would touch are spread across the lane
(dodged, as in a beeswarm), and count labels are placed where they collide with no other
label or mark, or left to the hover and the card. Key events (`key_label`) are called out
first, with a leader line from the label to the mark, where neither crosses another label or
mark; a band above the lanes opens for them when the lanes have no room. All of this is laid
out for the plot width the page gives (`width`), so a phone and a slide each get their own
layout.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain import taxonomy
from timeline.domain.schema import Col, as_arrow
from timeline.engine import MAX_LANES, TimelineData
from timeline.engine.queries import NONE_LANE, OTHER
from timeline.figures.common import (
    DAY_MS,
    HOVER,
    NEUTRAL,
    UNCERTAIN_PATTERN,
    Window,
    base_layout,
    date_axis,
    escape_text,
    figure,
    hover_data,
    is_point,
    ms,
    share_of_peak,
    unit_peaks,
)
from timeline.figures.timeline_layout import (
    LABEL_FONT,
    Callout,
    PixelLayout,
    callout_marks,
    dodge,
    grown,
    key_callouts,
    label_priority,
    place_labels,
)
from timeline.formatting import count_label, country_name

LANE_PX = 40
"""Height of a lane with no dodged events; a lane grows by one marker per extra row."""
TOP_MARGIN, BOTTOM_MARGIN = 64, 110
"""Room for the dates and range buttons above the lanes, and for the legend below."""
FADED = 0.18
"""Opacity of the marks that are not selected while a selection is open."""
BRIGHT, BAR_SHARE, SPAN_OPACITY = 0.95, 0.85, 0.6
"""Opacity of a selected (or every) marker, the hatched bars' share of it, and span lines'
(a faded call-out's is `timeline_layout.CALLOUT_FADED`)."""
SPANS, SPANS_FADED = "bright", "faded"
"""`meta["spans"]` of a type's two span-line traces: its selected (or every) event's, the others'."""
SMALLEST, LARGEST, PLAIN = 9.0, 30.0, 11.0
"""Marker diameters: strike counts scale between the first two; everything else is plain."""


def lane_pairs(df: pd.DataFrame, lanes: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(row positions, lane codes, lane labels): one pair per event and lane it sits in.

    Type lanes follow the taxonomy's order; country and actor lanes are the most frequent
    `MAX_LANES - 1`, with the rest gathered in an 'Other' lane."""
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
        [pc.list_flatten(lists).cast(pa.string()), pa.array([NONE_LANE] * len(empty), pa.string())]
    )
    rows = np.concatenate([np.asarray(pc.list_parent_indices(lists)), empty]).astype(np.int64)
    encoded = pc.dictionary_encode(values)
    codes = np.asarray(encoded.indices)
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    frequency = np.bincount(codes, minlength=len(names))
    ranked = sorted(range(len(names)), key=lambda i: (-frequency[i], names[i]))
    keep = ranked if len(ranked) <= MAX_LANES else ranked[: MAX_LANES - 1]
    remap = np.full(len(names), len(keep))  # the 'Other' lane, if any
    remap[keep] = np.arange(len(keep))
    labels = [lane_label(names[i], lanes) for i in keep]
    if len(ranked) > MAX_LANES:
        labels.append(f"{OTHER} {'countries' if lanes == 'country' else 'actors'}")
    lane = remap[codes]
    # An event counts once per lane, even if its list names the same lane twice.
    pairs = np.unique(rows * (len(labels) + 1) + lane)
    return pairs // (len(labels) + 1), pairs % (len(labels) + 1), labels


def lane_label(lane: str, lanes: str) -> str:
    """'Ukraine (UKR)' for a country lane; other lanes as they are."""
    named = lanes == "country" and lane not in (OTHER, NONE_LANE)
    return country_name(lane) if named else lane


def with_lanes(df: pd.DataFrame, lanes: str) -> tuple[pd.DataFrame, list[str]]:
    """One row per (event, lane), with a `lane` label column, and the lanes in display order."""
    rows, codes, labels = lane_pairs(df, lanes)
    out = df.iloc[rows].assign(lane=np.asarray(labels, dtype=object)[codes], lane_index=codes)
    return out, labels


@dataclass(frozen=True)
class TimelineInfo:
    shown: int
    aggregated: bool
    bin: str | None = None
    labels_dropped: int = 0
    """Count labels left out because they would have covered another label or mark."""
    key_events: tuple[str, ...] = ()
    """Key events called out, by event_id."""
    keys_dropped: tuple[str, ...] = ()
    """Key events in view whose call-out found no free place (at this width)."""


def marker_sizes(df: pd.DataFrame) -> np.ndarray:
    """Diameters: a strike's area grows with its count, compared only with strikes counted in
    the same unit (188 drones with drones, 9 missiles with missiles); troops, casualties and
    every other figure get a plain marker and a label with their unit instead, so they never
    look like the biggest attack on the page."""
    counts = df[Col.COUNT].to_numpy(dtype="float64", na_value=np.nan)
    strike = (
        df[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES) & df[Col.COUNT_UNIT].isin(taxonomy.STRIKE_UNITS)
    ).to_numpy(dtype=bool) & ~np.isnan(counts)
    ratio = np.where(strike, share_of_peak(counts, unit_peaks(counts, df[Col.COUNT_UNIT], strike)), 0.0)
    return np.where(strike, SMALLEST + (LARGEST - SMALLEST) * np.sqrt(ratio), PLAIN)


def timeline_figure(
    data: TimelineData,
    *,
    lanes: str = "type",
    selected: Iterable[str] = (),
    window: Window = (None, None),
    width: int = 1000,
    font: float = LABEL_FONT,
    scale: float = 1.0,
    lane_height: float | None = None,
    whole_marks: bool = False,
) -> tuple[go.Figure, TimelineInfo]:
    """Swimlanes over time: day events as points, week/month/year events as hatched bars
    over their whole interval, multi-day events as solid bars over their days. `selected`
    events stay bright while every other mark fades; `width` is the plot's width in pixels
    (the page's or the slide's), for which events are dodged and labels placed; `scale`
    enlarges marks and lanes (a slide's), before they are laid out; `lane_height` is the
    least height of a lane in pixels (a slide with few lanes gives them room); `whole_marks`
    widens the dates just enough that no mark at an edge is cut (an export's: the page keeps
    the exact range it shares with the counts chart, and can be panned)."""
    if data.aggregated:
        traces, layout, info = aggregated_timeline(data, lanes, window)
    else:
        laid = lay_out_timeline(
            data, lanes=lanes, window=window, width=width, font=font, scale=scale, lane_height=lane_height,
            whole_marks=whole_marks,
        )  # fmt: skip
        traces, layout, info = draw_timeline(laid, selected)
    return figure(traces, layout), info


@dataclass(frozen=True)
class LaidOut:
    """A timeline's events placed for a plot width (dodged, lanes grown, key events called
    out) before anything is drawn: what a slide reads to choose how much to enlarge it."""

    marks: _Marks
    band: float
    """The call-outs' band above the lanes."""
    callouts: list[Callout]
    keys: list[tuple[int, str]]
    window: Window
    width: int
    font: float
    scale: float

    @property
    def plot_height(self) -> int:
        """The lanes' height in pixels, call-outs included (one pixel per y unit)."""
        return int(np.ceil(self.marks.total + self.band))

    @property
    def legend_names(self) -> list[str]:
        """The legend's entries as `draw_timeline` makes them: each type shown, then hatching."""
        shown = set(self.marks.laned[Col.EVENT_TYPE])
        names = [t.label for t in taxonomy.EVENT_TYPES if t.key in shown]
        return names + ([_uncertain_legend()["name"]] if self.marks.uncertain.any() else [])


def lay_out_timeline(
    data: TimelineData, *, lanes: str, window: Window, width: int, font: float = LABEL_FONT, scale: float = 1.0,
    lane_height: float | None = None, whole_marks: bool = False,
) -> LaidOut:  # fmt: skip
    """The first half of `timeline_figure` (events, not aggregated): a slide measures this,
    then draws the one it keeps (`draw_timeline`), instead of drawing twice."""
    m = _lay_out(data, lanes, window, width, scale, lane_height, whole_marks)
    band, callouts, keys = key_callouts(
        m.laned, m.x_px, m.y, m.diameter, m.uncertain, m.start, m.end, m.px, width, m.total, font, m.bar
    )
    return LaidOut(m, band, callouts, keys, window, width, font, scale)


def draw_timeline(laid: LaidOut, selected: Iterable[str] = ()) -> tuple[list[dict], dict, TimelineInfo]:
    """The second half of `timeline_figure`: traces and layout as plain dicts, and the info."""
    m, band, font, width = laid.marks, laid.band, laid.font, laid.width
    callouts, keys = laid.callouts, laid.keys
    shown_labels, positions, dropped = _count_labels(m, callouts, width, font)
    chosen = set(selected)
    ids = m.laned[Col.EVENT_ID].to_numpy(dtype=object)
    picked = np.isin(ids, list(chosen)) if chosen else np.ones(len(ids), dtype=bool)
    traces = _traces(m, shown_labels, positions, picked, font, laid.scale)
    # The band for call-outs (if any) sits above the lanes: everything moves down by it.
    for trace in traces:
        if isinstance(trace["y"], np.ndarray):
            trace["y"] = trace["y"] + band
    notes, leaders = callout_marks(callouts, m.laned, m.mid, band, picked, m.px, chosen, font)
    layout = _layout(m, band, traces, notes, leaders, laid.window, width)
    called = tuple(m.laned[Col.EVENT_ID].iloc[c.index] for c in callouts)
    info = TimelineInfo(
        shown=int(m.laned[Col.EVENT_ID].nunique()),
        aggregated=False,
        labels_dropped=dropped,
        key_events=called,
        keys_dropped=tuple(
            m.laned[Col.EVENT_ID].iloc[i] for i, _ in keys if m.laned[Col.EVENT_ID].iloc[i] not in called
        ),
    )
    return traces, layout, info


@dataclass(frozen=True)
class _Marks:
    """The events laid out: one row per (event, lane), where each mark sits (x in ms and in
    pixels, y in pixels from the top of the lanes), how large, and the lanes' extent."""

    laned: pd.DataFrame
    order: list[str]
    start: np.ndarray
    end: np.ndarray
    """Exclusive: the day after an event's last."""
    mid: np.ndarray
    uncertain: np.ndarray
    """Known only to the week, month or year: drawn as a hatched bar."""
    known_span: np.ndarray
    diameter: np.ndarray
    bar: float
    """Half a hatched bar's height."""
    low: float
    high: float
    px: PixelLayout
    x_px: np.ndarray
    y: np.ndarray
    tops: np.ndarray
    centre: np.ndarray
    total: float


def _lay_out(
    data: TimelineData, lanes: str, window: Window, width: int, scale: float, lane_height: float | None,
    whole_marks: bool,
) -> _Marks:  # fmt: skip
    """Each event in its lanes, sized, dodged into rows so no two marks of a lane touch, and
    the lanes grown to hold their rows."""
    laned, order = with_lanes(data.events, lanes)
    laned = laned.reset_index(drop=True)
    start = ms(laned[Col.DATE_START])
    end = ms(laned[Col.DATE_END]) + DAY_MS  # exclusive
    mid = start + (end - start) / 2  # noon of a single day; midnight between an overnight's dates
    uncertain = (laned[Col.DATE_PRECISION] != "day").to_numpy()
    known_span = ~uncertain & ~is_point(laned).to_numpy()
    diameter = np.full(len(laned), PLAIN)
    diameter[~uncertain] = marker_sizes(laned[~uncertain])  # a monthly total must not dwarf nights
    diameter *= scale
    low, high = _x_range(window, start, end)
    if whole_marks:
        low, high = _room_for_marks(low, high, mid[~uncertain], diameter[~uncertain] / 2, width)
    layout_px = PixelLayout(low, width / max(high - low, DAY_MS))
    x_px = layout_px.px(mid)
    lane = laned["lane_index"].to_numpy()
    rows = np.where(uncertain, 0, dodge(x_px, np.where(uncertain, 0, diameter), lane))
    # Lanes grow to hold their dodged rows (a row as tall as the lane's largest marker); y is
    # in pixels from the top, lanes stacked.
    spacing = np.full(len(order), PLAIN * scale + 3)
    np.maximum.at(spacing, lane, np.where(uncertain, 0, diameter) + 2)
    extent = np.zeros(len(order), dtype=int)
    np.maximum.at(extent, lane, np.abs(rows))
    heights = np.maximum(lane_height or LANE_PX * scale, (2 * extent + 1) * spacing + 12)
    tops = np.concatenate([[0.0], np.cumsum(heights)[:-1]])
    centre = tops + heights / 2
    y = centre[lane] + rows * spacing[lane]
    return _Marks(laned, order, start, end, mid, uncertain, known_span, diameter, 9 * scale, low, high,
                  layout_px, x_px, y, tops, centre, float(heights.sum()))  # fmt: skip


def _count_labels(
    m: _Marks, callouts: list[Callout], width: int, font: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Each mark's count label where it covers no other label, mark, bar or call-out (bars
    always carry theirs): the labels shown, their positions, and how many events lost theirs."""
    labels = np.asarray(
        [count_label(c, u, w) for c, u, w in zip(m.laned[Col.COUNT], m.laned[Col.COUNT_UNIT], m.laned[Col.WEAPON]
                                                 if Col.WEAPON in m.laned else [None] * len(m.laned), strict=True)],
        dtype=object,
    )  # fmt: skip
    bar_boxes = [
        (m.px.px(s), c - m.bar, m.px.px(e), c + m.bar)
        for s, e, c, u in zip(m.start, m.end, m.y, m.uncertain, strict=True)
        if u
    ]
    # a call-out's frame is drawn a little outside its estimated box: keep labels 3 px clear
    taken = [b for c in callouts for b in (grown(c.box, 3), c.leader)]
    positions = place_labels(
        np.where(m.uncertain, "", labels), label_priority(m.laned), m.x_px, m.y,
        np.where(m.uncertain, 0, m.diameter), fixed=bar_boxes + taken, width=width, height=m.total, font=font,
    )  # fmt: skip
    bar_label = m.uncertain & (labels != "")
    shown_labels = np.where((positions != "") | bar_label, labels, "")
    dropped = int(m.laned.loc[(labels != "") & (shown_labels == ""), Col.EVENT_ID].nunique())
    return shown_labels, positions, dropped


def _traces(
    m: _Marks, shown_labels: np.ndarray, positions: np.ndarray, picked: np.ndarray, font: float, scale: float
) -> list[dict]:
    """Per event type: hatched bars, the lines of multi-day spans (faded ones first), and
    markers; then the legend's key for hatched bars."""
    opacity = np.where(picked, BRIGHT, FADED)
    custom = hover_data(m.laned)
    ids = m.laned[Col.EVENT_ID].to_numpy(dtype=object)
    types = m.laned[Col.EVENT_TYPE].to_numpy(dtype=object)
    start, end, mid, y = m.start, m.end, m.mid, m.y
    traces: list[dict] = []
    for etype in taxonomy.EVENT_TYPES:
        of_type = types == etype.key
        if not of_type.any():
            continue
        bars, marks, spans = of_type & m.uncertain, of_type & ~m.uncertain, of_type & m.known_span
        if bars.any():
            traces.append(_interval_bars(start[bars], end[bars], y[bars], custom[bars], shown_labels[bars],
                                         opacity[bars], etype, legend=not marks.any(), font=font,
                                         height=2 * m.bar - 2))  # fmt: skip
        if spans.any():  # both, the faded one empty without a selection: a highlight moves lines between them
            for faded in (True, False):
                part = spans & (picked != faded)
                traces.append(
                    _span_lines(start[part], end[part], y[part], ids[part], etype, faded, 5 * scale)
                )
        if marks.any():
            traces.append(_markers(etype, mid[marks], y[marks], m.diameter[marks], opacity[marks], custom[marks],
                                   shown_labels[marks], positions[marks], font))  # fmt: skip
    if m.uncertain.any():
        traces.append(_uncertain_legend())
    return traces


def _layout(
    m: _Marks, band: float, traces: list[dict], notes: list[dict], leaders: list[dict], window: Window,
    width: int,
) -> dict:  # fmt: skip
    """Dates along the top, lanes from the top down (moved down by the call-outs' `band`) at
    one pixel per y unit, the lines between lanes, and the call-outs."""
    tops, centre, total = m.tops + band, m.centre + band, m.total + band
    layout = base_layout(height=0)
    # Exactly one pixel per y unit: the plot area is `total` high between fixed margins.
    bottom = legend_margin(traces, width)
    layout["margin"] = {"l": 10, "r": 10, "t": TOP_MARGIN, "b": bottom}
    layout["height"] = int(np.ceil(total)) + TOP_MARGIN + bottom
    layout["legend"] |= {"entrywidth": legend_entry_px(traces), "entrywidthmode": "pixels"}
    layout.update(
        # Dates along the top, so that they are on screen however many lanes there are.
        xaxis=date_axis(window, one_line=True)
        | {"range": [m.low, m.high], "side": "top", "automargin": False},
        yaxis={
            "range": [total, 0],  # lanes from the top down
            "tickvals": list(centre),
            "ticktext": [escape_text(x) for x in m.order],
            "showgrid": False,
            "zeroline": False,
            "title": None,
            "automargin": True,
            "fixedrange": True,
        },
        shapes=[
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": t,
                "y1": t,
                "line": {"width": 1, "color": "rgba(128,128,128,0.25)"},
                "layer": "below",
            }
            for t in tops[1:]
        ]
        + leaders,
        annotations=notes,
        barmode="overlay",
        clickmode="event+select",
    )
    return layout


LEGEND_ROW_PX = 22


def legend_entry_px(traces: list[dict]) -> int:
    """One width for every legend entry (its longest name's), so the rows are predictable."""
    names = [str(t.get("name") or "") for t in traces if t.get("showlegend", True) is not False]
    return int(40 + 7 * max((len(n) for n in names), default=10))


def legend_margin(traces: list[dict], width: float) -> int:
    """The bottom margin the legend needs at this plot width: a phone's legend wraps into many
    rows, and a legend taller than its margin would squeeze the lanes (one pixel per y unit
    no more), pushing labels into each other."""
    names = {str(t.get("name") or "") for t in traces if t.get("showlegend", True) is not False}
    per_row = max(1, int((width + 20) // legend_entry_px(traces)))
    rows = -(-len(names) // per_row)
    return max(BOTTOM_MARGIN, 40 + LEGEND_ROW_PX * rows)


def _room_for_marks(
    low: float, high: float, x: np.ndarray, radius: np.ndarray, width: float
) -> tuple[float, float]:
    """The date range widened just enough that no mark at either edge is cut in half (an event
    on the window's first or last day, drawn at that day's noon, is larger than half a day)."""
    span = max(high - low, DAY_MS)
    if not len(x) or width <= 0:
        return low, high
    px = (x - low) * width / span
    left = float(max(0.0, np.max(radius + 2 - px)))
    right = float(max(0.0, np.max(px + radius + 2 - width)))
    if left + right == 0 or left + right >= width / 2:
        return low, high
    per_px = span / (width - left - right)
    return low - left * per_px, high + right * per_px


def _x_range(window: Window, start: np.ndarray, end: np.ndarray) -> tuple[float, float]:
    """The dates shown: the filter's window, or the events' span with a little margin."""
    low = ms([window[0]])[0] if window[0] else (start.min() if len(start) else 0.0)
    high = ms([window[1]])[0] + DAY_MS if window[1] else (end.max() if len(end) else DAY_MS)
    pad = 0.0 if window[0] and window[1] else max((high - low) * 0.02, DAY_MS / 2)
    return float(low - (0 if window[0] else pad)), float(high + (0 if window[1] else pad))


MIN_SPAN_DAYS = 7


def shared_range(window: Window, first: date | None, last: date | None) -> Window:
    """One x range for the timeline and the counts chart: the filter's window, else the matching
    events' first to last day, widened to a week around a day or two (an axis of hours says
    nothing about events dated to the day)."""
    start, end = window[0] or first, window[1] or last
    if start and end and (end - start).days < MIN_SPAN_DAYS - 1:
        pad = timedelta(days=(MIN_SPAN_DAYS - 1 - (end - start).days) // 2 + 1)
        start, end = start - pad, end + pad
    return (start, end)


def _markers(
    etype: taxonomy.EventType, x: np.ndarray, y: np.ndarray, size: np.ndarray, opacity: np.ndarray,
    custom: np.ndarray, labels: np.ndarray, positions: np.ndarray, font: float,
) -> dict:  # fmt: skip
    """One type's markers: its colour and shape, a size for strike counts, a label where
    one fits."""
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "markers+text",
        "marker": {
            "color": etype.colour,
            "symbol": etype.symbol,
            "size": size,
            "opacity": opacity,
            "line": {"width": 1, "color": "rgba(255,255,255,0.85)"},
        },
        "text": [escape_text(t) for t in labels],
        "textposition": [p or "top center" for p in positions],
        "textfont": {"size": font},
        "customdata": custom,
        "hovertemplate": HOVER,
        "name": etype.label,
        "legendgroup": etype.key,
    }


def _span_lines(
    start: np.ndarray,
    end: np.ndarray,
    y: np.ndarray,
    ids: np.ndarray,
    etype: taxonomy.EventType,
    faded: bool,
    thickness: float = 5,
) -> dict:
    """A line across all the known days of a multi-day event, under its marker; `meta` names
    each line's event (not customdata, which marks a trace of selectable events), for
    `highlight.fade_timeline`."""
    n = len(start)
    xs, ys = np.full(3 * n, np.nan), np.full(3 * n, np.nan)
    xs[0::3], xs[1::3] = start, end
    ys[0::3], ys[1::3] = y, y
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "meta": {"spans": SPANS_FADED if faded else SPANS, "events": [str(i) for i in ids]},
        "mode": "lines",
        "line": {"color": etype.colour, "width": thickness},
        "opacity": FADED if faded else SPAN_OPACITY,
        "hoverinfo": "skip",
        "showlegend": False,
        "legendgroup": etype.key,
    }


def _interval_bars(
    start: np.ndarray, end: np.ndarray, y: np.ndarray, custom: np.ndarray, labels: np.ndarray,
    opacity: np.ndarray, etype: taxonomy.EventType, legend: bool, font: float, height: float = 16,
) -> dict:  # fmt: skip
    """Week/month/year events: a hatched bar over the whole interval the source allows."""
    return {
        "type": "bar",
        "base": start,
        "x": end - start,  # milliseconds, as a date axis measures bar lengths
        "y": y,
        "orientation": "h",
        "width": height,
        "marker": {
            "color": etype.colour,
            "opacity": opacity * BAR_SHARE,
            "pattern": {
                "shape": UNCERTAIN_PATTERN,
                "fillmode": "overlay",
                "fgcolor": "rgba(255,255,255,0.8)",
                "size": 7,
            },
            "line": {"width": 0},
        },
        "text": [escape_text(t) for t in labels],
        "textposition": "inside",
        "insidetextanchor": "start",
        "textfont": {"size": font, "color": "#111"},
        "customdata": custom,
        "hovertemplate": HOVER,
        "name": etype.label,
        "legendgroup": etype.key,
        "showlegend": legend,
    }


def _uncertain_legend() -> dict:
    return {
        "type": "bar",
        "x": [None],
        "y": [None],
        "orientation": "h",
        "name": "hatched: week or month only",
        "marker": {
            "color": "rgba(120,120,120,0.6)",
            "pattern": {"shape": UNCERTAIN_PATTERN, "fillmode": "overlay", "fgcolor": "white"},
        },
        "hoverinfo": "skip",
    }


def aggregated_timeline(
    data: TimelineData, lanes: str, window: Window
) -> tuple[list[dict], dict, TimelineInfo]:
    """Counts per (lane, time bin) as squares: bounded by bins x lanes, whatever the rows."""
    bins = data.bins
    order = list(data.lanes)
    labels = [escape_text(lane_label(x, lanes)) for x in order]
    position = {lane: i for i, lane in enumerate(order)}
    lane = bins["lane"].map(position).to_numpy()
    n = bins["n"].to_numpy(dtype="float64")
    if lanes == "type":
        by_label = {t.label: t.colour for t in taxonomy.EVENT_TYPES}
        colours: object = np.asarray([by_label.get(x, NEUTRAL) for x in order], dtype=object)[lane]
    else:
        colours = NEUTRAL
    ticks = np.asarray(labels, dtype=object)
    trace = {
        "type": "scatter",
        "x": ms(bins["bin"]),
        "y": ticks[lane],
        "mode": "markers",
        "marker": {
            "color": colours,
            "symbol": "square",
            "size": 4 + 16 * np.sqrt(n / n.max()) if len(n) else [],
            "opacity": 0.85,
        },
        "customdata": n,
        "hovertemplate": f"%{{y}}<br>{data.freq} of %{{x|%d %b %Y}}: <b>%{{customdata:,}} events</b><extra></extra>",
        "name": "Events",
        "showlegend": False,
    }
    layout = base_layout(height=max(300, 110 + 36 * len(order)))
    layout.update(
        xaxis=date_axis(window),
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "title": None, "automargin": True},
        annotations=[
            {
                "text": f"{data.count:,} events: marker area = events per {data.freq}",
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1.02,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        ],
    )
    return [trace], layout, TimelineInfo(shown=data.count, aggregated=True, bin=data.freq)
