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
)
from timeline.formatting import count_label, country_name

LANE_PX = 40
"""Height of a lane with no dodged events; a lane grows by one marker per extra row."""
LABEL_FONT = 11
TOP_MARGIN, BOTTOM_MARGIN = 64, 110
"""Room for the dates and range buttons above the lanes, and for the legend below."""
FADED = 0.18
"""Opacity of the marks that are not selected while a selection is open."""
BRIGHT, BAR_SHARE, SPAN_OPACITY, CALLOUT_FADED = 0.95, 0.85, 0.6, 0.35
"""Opacity of a selected (or every) marker, the hatched bars' share of it, span lines' and a
faded call-out's."""
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
    counts = df[Col.COUNT].astype("float64")
    strike = df[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES) & df[Col.COUNT_UNIT].isin(taxonomy.STRIKE_UNITS)
    strike &= counts.notna()
    peak = counts.where(strike).groupby(df[Col.COUNT_UNIT]).transform("max")
    ratio = (counts / peak).where(strike).fillna(0).clip(0, 1).to_numpy()
    return np.where(strike.to_numpy(), SMALLEST + (LARGEST - SMALLEST) * np.sqrt(ratio), PLAIN)


@dataclass
class _Layout:
    """Where each mark sits in pixels, for dodging and label placement."""

    x0: float
    px_per_ms: float

    def px(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x0) * self.px_per_ms


def _dodge(x_px: np.ndarray, diameter: np.ndarray, lane: np.ndarray) -> np.ndarray:
    """Row offsets (0, +1, -1, +2, ...) so that no two points of a lane touch: each point, in
    order along the lane, takes the first row where the previous point ends before it starts."""
    rows = np.zeros(len(x_px), dtype=int)
    order = np.lexsort((x_px, lane))
    ends: dict[tuple[int, int], float] = {}
    candidates = [0] + [s * k for k in range(1, 40) for s in (1, -1)]
    for i in order:
        left = x_px[i] - diameter[i] / 2 - 1
        for row in candidates:
            if ends.get((int(lane[i]), row), -np.inf) <= left:
                rows[i] = row
                ends[(int(lane[i]), row)] = x_px[i] + diameter[i] / 2
                break
    return rows


Box = tuple[float, float, float, float]  # x left, y top, x right, y bottom (pixels)


def _overlaps(box: Box, others: Iterable[Box]) -> bool:
    return any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in others)


POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def _label_box(position: str, x: float, y: float, radius: float, text: str, font: float) -> Box:
    width, height = 0.62 * font * len(text) + 2, 1.4 * font  # a line of text as drawn: 15 px at 11
    if position == "top center":
        return (x - width / 2, y - radius - 2 - height, x + width / 2, y - radius - 2)
    if position == "bottom center":
        return (x - width / 2, y + radius + 2, x + width / 2, y + radius + 2 + height)
    if position == "middle right":
        return (x + radius + 3, y - height / 2, x + radius + 3 + width, y + height / 2)
    return (x - radius - 3 - width, y - height / 2, x - radius - 3, y + height / 2)


def _place_labels(
    texts: np.ndarray, priority: np.ndarray, x: np.ndarray, y: np.ndarray, diameter: np.ndarray,
    fixed: list[Box], width: float, height: float, font: float = LABEL_FONT,
) -> np.ndarray:  # fmt: skip
    """Per mark, the position of its label ('' for none): in order of priority, the first of
    above, below, right, left that stays inside the plot and overlaps no label placed so far
    and no other mark."""
    marks = [(x[i] - diameter[i] / 2, y[i] - diameter[i] / 2, x[i] + diameter[i] / 2, y[i] + diameter[i] / 2)
             for i in range(len(x))]  # fmt: skip
    placed: list[Box] = list(fixed)
    out = np.full(len(x), "", dtype=object)
    for i in np.argsort(priority, kind="stable"):
        if not texts[i]:
            continue
        others = marks[:i] + marks[i + 1 :]
        for position in POSITIONS:
            box = _label_box(position, x[i], y[i], diameter[i] / 2, texts[i], font)
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            if inside and not _overlaps(box, placed) and not _overlaps(box, others):
                placed.append(box)
                out[i] = position
                break
    return out


MAX_KEY_EVENTS = 12
"""At most this many key events are called out in one view (the earliest first)."""
KEY_GAP = 7
"""Pixels between a mark and the end of its leader line's label."""
KEY_COLOUR = "#1f2328"


@dataclass(frozen=True)
class Callout:
    """Where a key event's label goes: its text (lines joined by <br>), the label's box and
    its leader line's box, in pixels with y from the top of the lanes (negative: the band
    above them)."""

    index: int
    """The event's row in the laned frame."""
    lines: tuple[str, ...]
    box: Box
    leader: Box


def _key_text_variants(label: str) -> list[list[str]]:
    """The label on one line, or on two lines broken at the space nearest its middle."""
    words = label.split()
    variants = [[label]]
    if len(words) > 1:
        cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(label) / 2))
        variants.append([" ".join(words[:cut]), " ".join(words[cut:])])
    return variants


def key_label_size(lines: list[str], font: float) -> tuple[float, float]:
    """Estimated box of a call-out label: bold text with a little padding and a border."""
    return 0.64 * font * max(len(line) for line in lines) + 10, len(lines) * 1.3 * font + 8


def _free(box: Box, boxes: np.ndarray) -> bool:
    if not len(boxes):
        return True
    return not bool(
        np.any(
            (box[0] < boxes[:, 2]) & (boxes[:, 0] < box[2]) & (box[1] < boxes[:, 3]) & (boxes[:, 1] < box[3])
        )
    )


def place_callouts(
    keys: list[tuple[int, str]], x: np.ndarray, y: np.ndarray, radius: np.ndarray, obstacles: list[Box],
    width: float, height: float, font: float, band: float,
) -> list[Callout]:  # fmt: skip
    """Greedy placement of key-event labels: each, in turn, takes the nearest spot above or
    below its mark (then a little to either side) where the label and a straight leader line
    to the mark stay inside the plot (the band of `band` pixels above the lanes included) and
    overlap no mark (but its own), bar, or label placed before. `obstacles` holds every mark
    and bar box, in the order of the rows of `x`."""
    placed: list[Box] = []
    out: list[Callout] = []
    others = np.asarray(obstacles, dtype="float64").reshape(-1, 4)
    step = 1.3 * font + 6
    for index, label in keys:
        cx, cy, r = float(x[index]), float(y[index]), float(radius[index])
        blocked = np.delete(others, index, axis=0) if len(others) else others
        walls = np.vstack([blocked, np.asarray(placed, dtype="float64").reshape(-1, 4)])
        found = _nearest_spot(index, label, cx, cy, r, walls, width, height, font, band, step)
        if found:
            placed += [found.box, found.leader]
            out.append(found)
    return out


def _nearest_spot(
    index: int, label: str, cx: float, cy: float, r: float, walls: np.ndarray, width: float, height: float,
    font: float, band: float, step: float,
) -> Callout | None:  # fmt: skip
    """The first free spot, nearest the mark first: one line or two, above or below, centred
    over the mark or shifted to either side (the leader stays straight)."""
    variants = [(lines, *key_label_size(lines, font)) for lines in _key_text_variants(label)]
    for k in range(int((height + band) / step) + 1):
        gap = KEY_GAP + k * step
        for lines, w, h in variants:
            if w > width:
                continue
            for above in (True, False):
                if above:
                    y1 = cy - r - gap
                    y0, leader = y1 - h, (cx - 1, y1, cx + 1, cy - r)
                else:
                    y0 = cy + r + gap
                    y1, leader = y0 + h, (cx - 1, cy + r, cx + 1, y0)
                if y0 < -band or y1 > height or not _free(leader, walls):
                    continue
                for shift in (0.0, -0.3, 0.3, -0.45, 0.45):
                    x0 = min(max(cx - w / 2 + shift * w, 0.0), width - w)
                    box = (x0, y0, x0 + w, y1)
                    if x0 + 4 <= cx <= x0 + w - 4 and _free(box, walls):
                        return Callout(index, tuple(lines), box, leader)
    return None


def _grown(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def _label_priority(df: pd.DataFrame) -> np.ndarray:
    """Largest count of each unit first, then the second largest of each, ...; an event seen
    in several lanes ranks the same in each."""
    rank = df[Col.COUNT].astype("float64").groupby(df[Col.COUNT_UNIT]).rank(method="dense", ascending=False)
    return rank.fillna(np.inf).to_numpy()


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
        return _timeline_aggregated(data, lanes, window)
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
    bar = 9 * scale  # half a hatched bar's height
    low, high = _x_range(window, start, end)
    if whole_marks:
        low, high = _room_for_marks(low, high, mid[~uncertain], diameter[~uncertain] / 2, width)
    layout_px = _Layout(low, width / max(high - low, DAY_MS))
    x_px = layout_px.px(mid)
    lane = laned["lane_index"].to_numpy()
    rows = np.where(uncertain, 0, _dodge(x_px, np.where(uncertain, 0, diameter), lane))
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

    labels = np.asarray(
        [count_label(c, u, w) for c, u, w in zip(laned[Col.COUNT], laned[Col.COUNT_UNIT], laned[Col.WEAPON]
                                                 if Col.WEAPON in laned else [None] * len(laned), strict=True)],
        dtype=object,
    )  # fmt: skip
    bar_boxes = [
        (layout_px.px(s), c - bar, layout_px.px(e), c + bar)
        for s, e, c, u in zip(start, end, y, uncertain, strict=True)
        if u
    ]
    total = float(heights.sum())
    band, callouts, keys = _callouts(
        laned, x_px, y, diameter, uncertain, start, end, layout_px, width, total, font, bar
    )
    # a call-out's frame is drawn a little outside its estimated box: keep labels 3 px clear
    taken = [b for c in callouts for b in (_grown(c.box, 3), c.leader)]
    positions = _place_labels(
        np.where(uncertain, "", labels), _label_priority(laned), x_px, y, np.where(uncertain, 0, diameter),
        fixed=bar_boxes + taken, width=width, height=total, font=font,
    )  # fmt: skip
    bar_label = uncertain & (labels != "")
    shown_labels = np.where((positions != "") | bar_label, labels, "")
    dropped = int(laned.loc[(labels != "") & (shown_labels == ""), Col.EVENT_ID].nunique())

    chosen = set(selected)
    ids = laned[Col.EVENT_ID].to_numpy(dtype=object)
    picked = np.isin(ids, list(chosen)) if chosen else np.ones(len(ids), dtype=bool)
    opacity = np.where(picked, BRIGHT, FADED)
    custom = hover_data(laned)
    types = laned[Col.EVENT_TYPE].to_numpy(dtype=object)
    traces: list[dict] = []
    for etype in taxonomy.EVENT_TYPES:
        of_type = types == etype.key
        if not of_type.any():
            continue
        bars, marks, spans = of_type & uncertain, of_type & ~uncertain, of_type & known_span
        if bars.any():
            traces.append(_interval_bars(start[bars], end[bars], y[bars], custom[bars], shown_labels[bars],
                                         opacity[bars], etype, legend=not marks.any(), font=font,
                                         height=2 * bar - 2))  # fmt: skip
        if spans.any():  # both, the faded one empty without a selection: a highlight moves lines between them
            for faded in (True, False):
                part = spans & (picked != faded)
                traces.append(
                    _span_lines(start[part], end[part], y[part], ids[part], etype, faded, 5 * scale)
                )
        if marks.any():
            traces.append(_markers(etype, mid[marks], y[marks], diameter[marks], opacity[marks], custom[marks],
                                   shown_labels[marks], positions[marks], font))  # fmt: skip
    if uncertain.any():
        traces.append(_uncertain_legend())
    # The band for call-outs (if any) sits above the lanes: everything moves down by it.
    for trace in traces:
        if isinstance(trace["y"], np.ndarray):
            trace["y"] = trace["y"] + band
    tops, centre, total = tops + band, centre + band, total + band
    notes, leaders = _callout_marks(callouts, laned, mid, band, picked, layout_px, chosen, font)
    layout = base_layout(height=0)
    # Exactly one pixel per y unit: the plot area is `total` high between fixed margins.
    bottom = legend_margin(traces, width)
    layout["margin"] = {"l": 10, "r": 10, "t": TOP_MARGIN, "b": bottom}
    layout["height"] = int(np.ceil(total)) + TOP_MARGIN + bottom
    layout["legend"] |= {"entrywidth": legend_entry_px(traces), "entrywidthmode": "pixels"}
    layout.update(
        # Dates along the top, so that they are on screen however many lanes there are.
        xaxis=date_axis(window, one_line=True) | {"range": [low, high], "side": "top", "automargin": False},
        yaxis={
            "range": [total, 0],  # lanes from the top down
            "tickvals": list(centre),
            "ticktext": [escape_text(x) for x in order],
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
    called = tuple(laned[Col.EVENT_ID].iloc[c.index] for c in callouts)
    info = TimelineInfo(
        shown=int(laned[Col.EVENT_ID].nunique()),
        aggregated=False,
        labels_dropped=dropped,
        key_events=called,
        keys_dropped=tuple(
            laned[Col.EVENT_ID].iloc[i] for i, _ in keys if laned[Col.EVENT_ID].iloc[i] not in called
        ),
    )
    return figure(traces, layout), info


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


def _key_rows(laned: pd.DataFrame, x_px: np.ndarray) -> list[tuple[int, str]]:
    """(row, label) of each key event in view, once (in its first lane), left to right."""
    if Col.KEY_LABEL not in laned.columns:
        return []
    label = laned[Col.KEY_LABEL]
    rows = laned.index[label.notna() & (label.astype("string").str.strip() != "")]
    first = laned.loc[rows].drop_duplicates(Col.EVENT_ID).index.to_numpy()
    first = sorted(first, key=lambda i: x_px[i])[:MAX_KEY_EVENTS]
    return [(int(i), " ".join(str(laned.at[i, Col.KEY_LABEL]).split())) for i in first]


def _callouts(
    laned: pd.DataFrame, x_px: np.ndarray, y: np.ndarray, diameter: np.ndarray, uncertain: np.ndarray,
    start: np.ndarray, end: np.ndarray, layout_px: _Layout, width: float, total: float, font: float,
    bar: float,
) -> tuple[float, list[Callout], list[tuple[int, str]]]:  # fmt: skip
    """The key events' call-outs and the band above the lanes they need: none at first, one
    more row of labels while some call-out finds no place (at most four rows)."""
    keys = _key_rows(laned, x_px)
    if not keys:
        return 0.0, [], []
    radius = np.where(uncertain, bar, diameter / 2)
    obstacles = [
        (layout_px.px(s), c - bar, layout_px.px(e), c + bar) if u else (x - d / 2, c - d / 2, x + d / 2, c + d / 2)
        for s, e, c, u, x, d in zip(start, end, y, uncertain, x_px, diameter, strict=True)
    ]  # fmt: skip
    step = 1.3 * font + 8 + KEY_GAP
    band = 0.0
    while True:
        callouts = place_callouts(keys, x_px, y, radius, obstacles, width, total, font, band)
        if len(callouts) == len(keys) or band >= 4 * step:
            used = max([0.0, *(-c.box[1] + 2 for c in callouts)])  # only what the labels took
            return min(band, used), callouts, keys
        band += step


def _callout_marks(
    callouts: list[Callout], laned: pd.DataFrame, mid: np.ndarray, band: float, picked: np.ndarray,
    layout_px: _Layout, chosen: set[str], font: float,
) -> tuple[list[dict], list[dict]]:  # fmt: skip
    """Plotly annotations (the labels, bold, framed in the type's colour) and line shapes (the
    leaders) of the call-outs; a key event outside a selection fades with the other marks."""
    notes, leaders = [], []
    for c in callouts:
        colour = taxonomy.COLOURS.get(laned[Col.EVENT_TYPE].iloc[c.index], NEUTRAL)
        opacity = 1.0 if picked[c.index] or not chosen else CALLOUT_FADED
        x0, y0, x1, y1 = c.box
        centre_x = layout_px.x0 + (x0 + x1) / 2 / layout_px.px_per_ms
        notes.append(
            {
                "text": "<br>".join(f"<b>{escape_text(line)}</b>" for line in c.lines),
                "x": centre_x,
                "y": (y0 + y1) / 2 + band,
                "xref": "x",
                "yref": "y",
                "xanchor": "center",
                "yanchor": "middle",
                "showarrow": False,
                "font": {"size": font, "color": KEY_COLOUR},
                "bgcolor": "rgba(255,255,255,0.94)",
                "bordercolor": colour,
                "borderwidth": 1.5,
                "borderpad": 3,
                "opacity": opacity,
                "name": "key-event",
            }
        )
        lx = float(mid[c.index])
        leaders.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "y",
                "x0": lx,
                "x1": lx,
                "y0": c.leader[1] + band,
                "y1": c.leader[3] + band,
                "line": {"width": 1.5, "color": KEY_COLOUR},
                "opacity": opacity,
                "layer": "above",
                "name": "key-event-leader",
            }
        )
    return notes, leaders


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


def _timeline_aggregated(data: TimelineData, lanes: str, window: Window) -> tuple[go.Figure, TimelineInfo]:
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
    return figure([trace], layout), TimelineInfo(shown=data.count, aggregated=True, bin=data.freq)
