"""A filter change on a small dataset, answered in the browser first (issue #17).

Streamlit's own rerun of a minimal page takes 0.45 s, so a filter pill cannot be answered
within 0.2 s by the server. For a dataset of at most `EARLY_MAX_EVENTS` events the page is sent,
once per view, what the browser needs to show the next view at the click: for every option a
sidebar pill offers (and every date preset) the set of the dataset's events it matches, decided
here by the engine's own filters (`Engine.drawn` of a view of that option alone), and the
whole dataset's figures, built by the figures package. The browser only intersects sets (any
of a filter's chosen options, every filter) and subsets the figures' arrays; the server's
rerun then replaces what it drew. Sets are bitsets over the dataset's events in `ids` order.
A text search is the one set the browser decides itself, from each event's search text as
the engine holds it (`search_texts`) and the rule of `filters.words` and `TextWords`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from timeline.domain import taxonomy
from timeline.domain.schema import SEARCH_COLUMN, Col
from timeline.engine import Engine
from timeline.engine.queries import COUNT_CHOICES, UNKNOWN_SIDE
from timeline.figures.common import DAY_MS, escape_text
from timeline.figures.counts_chart import side_name
from timeline.figures.highlight import bin_starts
from timeline.view import DateSpan, View

EARLY_MAX_EVENTS = 3000
"""Datasets of at most this many events get the early view (the charts draw them one by one,
`MAX_EVENTS`, so every event's marks are in the whole dataset's figures); larger ones get
nothing more than before."""


def ids(engine: Engine, v: View) -> list[str]:
    """The events a view matches, in the engine's drawing order (oldest first, ties by id)."""
    return [str(i) for i in engine.drawn(v)[Col.EVENT_ID]]


def members(everything: Sequence[str], chosen: Iterable[str]) -> np.ndarray:
    """Which of `everything` are in `chosen`, as booleans in the order of `everything`."""
    wanted = set(chosen)
    return np.fromiter((i in wanted for i in everything), dtype=bool, count=len(everything))


def packed_bits(mask: np.ndarray) -> str:
    """A membership mask as the page reads it: bit n of byte n // 8 (least significant first)
    is event n, in base64."""
    return base64.b64encode(np.packbits(mask.astype(bool), bitorder="little").tobytes()).decode("ascii")


def unpacked_bits(text: str, n: int) -> np.ndarray:
    """`packed_bits` read back (what a test compares with the engine)."""
    raw = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:n].astype(bool)


def option_sets(
    engine: Engine, everything: Sequence[str], name: str, options: Iterable[str]
) -> dict[str, np.ndarray]:
    """Each option of filter `name`: the events of a view of that option alone."""
    return {o: members(everything, ids(engine, View().with_filter(name, (o,)))) for o in options}


def search_texts(engine: Engine, everything: Sequence[str]) -> list[str]:
    """Each event's search text (`SEARCH_COLUMN`, lower-cased) exactly as the engine's text
    filter reads it, in the order of `everything`: what the page matches a search against."""
    with engine.backend.session():
        t = engine.table()
        frame = engine.run(t.select(t[Col.EVENT_ID], t[SEARCH_COLUMN]))
    text = dict(zip(frame[str(Col.EVENT_ID)].astype(str), frame[SEARCH_COLUMN].fillna(""), strict=True))
    return [str(text[i]) for i in everything]


def span_set(engine: Engine, everything: Sequence[str], span: DateSpan) -> np.ndarray:
    """The events a date range matches (overlapping it), the engine's date filter alone."""
    return members(everything, ids(engine, View().with_filter("dates", span)))


def axis_range(window: tuple[date | None, date | None]) -> list[str] | None:
    """The timeline's x range for a date window, as `figures.common.date_axis` sets it."""
    start, end = window
    if start is None or end is None:
        return None
    return [pd.Timestamp(start).isoformat(), (pd.Timestamp(end) + pd.Timedelta(days=1)).isoformat()]


# --- the counts chart: each event's part of its bars ----------------------------------------


def strike_parts(rows: pd.DataFrame, per: str, what: str) -> pd.DataFrame:
    """Each drawn event's part of the counts chart: its bin (ms), type, launching side, launched
    and intercepted, for the events `Engine.strikes` adds up (a strike type, counted in a unit
    `what` keeps, dated to its bin). Their sums per (bin, type, side) are `Engine.strikes`'s
    frame (tests/test_early_view.py checks it for every option's view)."""
    strike = rows[Col.EVENT_TYPE].isin(list(taxonomy.STRIKE_TYPES))
    unit = rows[Col.COUNT_UNIT].isin(list(COUNT_CHOICES[what]))
    counted = rows[Col.COUNT].notna()
    part = rows[strike & unit & counted]
    fits = part[Col.DATE_PRECISION] == "day"
    if per == "week":
        same = bin_starts(part[Col.DATE_START], "week") == bin_starts(part[Col.DATE_END], "week")
        fits |= (part[Col.DATE_PRECISION] == "week") & same
    part = part[fits.to_numpy(dtype=bool)]
    sides = ["+".join(c) if c is not None and len(c) else UNKNOWN_SIDE for c in part[Col.INITIATOR_COUNTRIES]]
    return pd.DataFrame(
        {
            "event_id": part[Col.EVENT_ID].astype(str).to_numpy(),
            "bin": bin_starts(part[Col.DATE_START], per) if len(part) else np.array([], dtype="float64"),
            "event_type": part[Col.EVENT_TYPE].astype(str).to_numpy(),
            "side": np.array(sides, dtype=object),
            "launched": part[Col.COUNT].to_numpy(dtype="float64"),
            "intercepted": pd.to_numeric(part[Col.INTERCEPTED], errors="coerce").to_numpy(dtype="float64"),
        }
    )


def counts_parts(
    figure: Mapping[str, Any], parts: pd.DataFrame, index: Mapping[str, int], per: str, what: str
) -> dict[str, list[list[float]]] | None:
    """Where each event's launched and intercepted go in the whole dataset's counts figure (its
    plain JSON): [trace, point, event, value] rows, for the page to add up again for the events
    of a view. None when the figure is not bars of (bin, side) as `counts_figure` draws them (too
    many bins: lines), or the parts do not add up to its bars."""
    bin_ms = DAY_MS * (7 if per == "week" else 1)
    by_side = what == "side"
    bars: dict[tuple[str, str, float], tuple[int, int]] = {}
    marks: dict[str, list[tuple[float, int, int]]] = {}
    for t, trace in enumerate(figure.get("data", [])):
        xs = plain(trace.get("x"))
        if trace.get("type") == "bar" and isinstance(trace.get("customdata"), list):
            for n, (x, side) in enumerate(zip(xs, trace["customdata"], strict=True)):
                bars[(str(side), str(trace.get("name")), float(x))] = (t, n)
        elif trace.get("type") == "scatter" and trace.get("name") == "Intercepted (as claimed)":
            for n, (x, who) in enumerate(zip(xs, plain(trace.get("customdata")), strict=True)):
                marks.setdefault(str(who), []).append((float(x), t, n))  # on its bar's centre
        elif trace.get("type") == "scatter" and trace.get("mode") == "lines":
            return None  # stacked areas: not split per event
    launched: list[list[float]] = []
    intercepted: list[list[float]] = []
    labels = {t.key: t.label for t in taxonomy.EVENT_TYPES}
    for row in parts.itertuples(index=False):
        name = escape_text(side_name(row.side)) if by_side else labels[row.event_type]
        where = bars.get((row.side, name, float(row.bin)))
        if where is None:
            return None
        launched.append([where[0], where[1], index[row.event_id], float(row.launched)])
        if not np.isnan(row.intercepted):
            inside = [
                (t, n)
                for x, t, n in marks.get(escape_text(side_name(row.side)), [])
                if row.bin <= x < row.bin + bin_ms
            ]
            if len(inside) != 1:
                return None
            intercepted.append([inside[0][0], inside[0][1], index[row.event_id], float(row.intercepted)])
    if not _adds_up(figure, launched):
        return None
    return {"launched": launched, "intercepted": intercepted}


def plain(value: Any) -> list[Any]:
    """A figure's array as a list, also when plotly's JSON holds it as {dtype, bdata}."""
    if value is None:
        return []
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def _adds_up(figure: Mapping[str, Any], launched: list[list[float]]) -> bool:
    """The parts of every event add up to the figure's bars."""
    sums: dict[tuple[int, int], float] = {}
    for t, n, _, value in launched:
        sums[(int(t), int(n))] = sums.get((int(t), int(n)), 0.0) + value
    for t, trace in enumerate(figure.get("data", [])):
        if trace.get("type") != "bar" or not isinstance(trace.get("customdata"), list):
            continue
        for n, y in enumerate(plain(trace.get("y"))):
            if abs(float(y) - sums.get((t, n), 0.0)) > 1e-6:
                return False
    return True
