"""Where the timeline's marks and labels go, in pixels of the plot the page gives: events of
a lane dodged into rows (`dodge`), count labels where they cover nothing (`place_labels`), and
key events' call-outs with their leader lines (`key_callouts`). See timeline_chart.py."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.figures.common import NEUTRAL, escape_text

LABEL_FONT = 11


@dataclass
class PixelLayout:
    """Where each mark sits in pixels, for dodging and label placement."""

    x0: float
    px_per_ms: float

    def px(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x0) * self.px_per_ms


def dodge(x_px: np.ndarray, diameter: np.ndarray, lane: np.ndarray) -> np.ndarray:
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


def label_box(position: str, x: float, y: float, radius: float, text: str, font: float) -> Box:
    width, height = 0.62 * font * len(text) + 2, 1.4 * font  # a line of text as drawn: 15 px at 11
    if position == "top center":
        return (x - width / 2, y - radius - 2 - height, x + width / 2, y - radius - 2)
    if position == "bottom center":
        return (x - width / 2, y + radius + 2, x + width / 2, y + radius + 2 + height)
    if position == "middle right":
        return (x + radius + 3, y - height / 2, x + radius + 3 + width, y + height / 2)
    return (x - radius - 3 - width, y - height / 2, x - radius - 3, y + height / 2)


class BoxIndex:
    """Boxes bucketed in a grid of square cells, so an overlap test reads only the boxes near
    it: tested against every mark drawn, label placement was quadratic (1.0 CPU s of a click
    at 2,600 marks). A box with a non-finite edge, or spanning very many cells, is kept
    apart and tested every time."""

    CELL = 48.0
    MAX_CELLS = 4096

    def __init__(self, boxes: Iterable[Box] = ()) -> None:
        self.boxes: list[Box] = []
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.loose: list[int] = []
        for box in boxes:
            self.add(box)

    def _cells(self, box: Box) -> list[tuple[int, int]] | None:
        if not all(map(math.isfinite, box)):
            return None
        x0, y0 = int(box[0] // self.CELL), int(box[1] // self.CELL)
        x1, y1 = int(box[2] // self.CELL), int(box[3] // self.CELL)
        if (x1 - x0 + 1) * (y1 - y0 + 1) > self.MAX_CELLS:
            return None
        return [(i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1)]

    def add(self, box: Box) -> int:
        """Index `box`; its number (for `overlaps`' `skip`)."""
        number = len(self.boxes)
        self.boxes.append(box)
        cells = self._cells(box)
        if cells is None:
            self.loose.append(number)
        else:
            for cell in cells:
                self.cells.setdefault(cell, []).append(number)
        return number

    def overlaps(self, box: Box, skip: int = -1) -> bool:
        """Whether `box` overlaps an indexed box other than number `skip` (touching is not
        overlapping)."""
        cells = self._cells(box)
        if cells is None:
            near: Iterable[int] = range(len(self.boxes))
        else:
            near = {n for cell in cells for n in self.cells.get(cell, ())}.union(self.loose)
        return _overlaps(box, (self.boxes[n] for n in near if n != skip))


def place_labels(
    texts: np.ndarray, priority: np.ndarray, x: np.ndarray, y: np.ndarray, diameter: np.ndarray,
    fixed: list[Box], width: float, height: float, font: float = LABEL_FONT,
) -> np.ndarray:  # fmt: skip
    """Per mark, the position of its label ('' for none): in order of priority, the first of
    above, below, right, left that stays inside the plot and overlaps no label placed so far
    and no other mark."""
    marks = BoxIndex(
        (x[i] - diameter[i] / 2, y[i] - diameter[i] / 2, x[i] + diameter[i] / 2, y[i] + diameter[i] / 2)
        for i in range(len(x))
    )
    placed = BoxIndex(fixed)
    out = np.full(len(x), "", dtype=object)
    for i in np.argsort(priority, kind="stable"):
        if not texts[i]:
            continue
        for position in POSITIONS:
            box = label_box(position, x[i], y[i], diameter[i] / 2, texts[i], font)
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            if inside and not placed.overlaps(box) and not marks.overlaps(box, skip=int(i)):
                placed.add(box)
                out[i] = position
                break
    return out


MAX_KEY_EVENTS = 12
"""At most this many key events are called out in one view (the earliest first)."""


KEY_GAP = 7
"""Pixels between a mark and the end of its leader line's label."""


KEY_COLOUR = "#1f2328"
CALLOUT_FADED = 0.35
"""Opacity of a call-out whose event is not selected while a selection is open."""


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


def grown(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def label_priority(df: pd.DataFrame) -> np.ndarray:
    """Largest count of each unit first, then the second largest of each, ...; an event seen
    in several lanes ranks the same in each."""
    rank = df[Col.COUNT].astype("float64").groupby(df[Col.COUNT_UNIT]).rank(method="dense", ascending=False)
    return rank.fillna(np.inf).to_numpy()


def _key_rows(laned: pd.DataFrame, x_px: np.ndarray) -> list[tuple[int, str]]:
    """(row, label) of each key event in view, once (in its first lane), left to right."""
    if Col.KEY_LABEL not in laned.columns:
        return []
    label = laned[Col.KEY_LABEL]
    rows = laned.index[label.notna() & (label.astype("string").str.strip() != "")]
    first = laned.loc[rows].drop_duplicates(Col.EVENT_ID).index.to_numpy()
    first = sorted(first, key=lambda i: x_px[i])[:MAX_KEY_EVENTS]
    return [(int(i), " ".join(str(laned.at[i, Col.KEY_LABEL]).split())) for i in first]


def key_callouts(
    laned: pd.DataFrame, x_px: np.ndarray, y: np.ndarray, diameter: np.ndarray, uncertain: np.ndarray,
    start: np.ndarray, end: np.ndarray, layout_px: PixelLayout, width: float, total: float, font: float,
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


def callout_marks(
    callouts: list[Callout], laned: pd.DataFrame, mid: np.ndarray, band: float, picked: np.ndarray,
    layout_px: PixelLayout, chosen: set[str], font: float,
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
