"""A filter change drawn in the page at the click, before the server's rerun (issue #17).

A Streamlit rerun cannot answer a pill within 0.2 s (a minimal page's takes 0.45 s). On a
dataset of at most `early_view.EARLY_MAX_EVENTS` events this component, which draws no element
of its own, is sent the whole dataset's three figures and the events each sidebar pill and
date preset matches (`timeline.early_view`, decided by the engine), with each event's search
text as the engine holds it, once per dataset version and chart options, and the view's own
state (what is chosen, the search) with every run. On a click on a pill or preset, or a search
committed (Enter, or leaving the box), `early_view.js` intersects the sets, subsets the
figures' arrays to those events (`Plotly.react`) and sets the header's count; the server's
rerun, never held back, then draws its own figures over them.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from timeline import early_view, view
from timeline.engine import Engine
from timeline.figures.cache import Sent
from timeline.figures.timeline_chart import shared_range
from timeline.ui import widgets
from timeline.ui.components import chart_js
from timeline.view import DateSpan, View

KEY = "early-view"
HTML = '<div class="tl-early-view"></div>'
CSS = ".st-key-early-view{display:none}"
SEARCH = next(f.name for f in view.FILTERS if isinstance(f, view.TextWords))
COMPOSED = ("dates", SEARCH, *(f.name for f in view.FILTERS if isinstance(f, view.AnyOf)))
"""Filters whose options' sets the page may intersect: any of a filter's chosen options,
every filter (the date range, the text search and the value lists). Incident mode chooses
one report per incident among the matches, which sets cannot say: a view with it gets no
early view."""

_VIEW = st.components.v2.component(
    "timeline.early_view",
    html=HTML,
    css=CSS,
    js=chart_js("early_view.js"),
    isolate_styles=False,  # in the page, as the charts it draws over (a test reads its state there)
)


def packed(data: Mapping[str, Any]) -> str:
    """JSON, deflated, in base64 (as `early_cards.packed`): unpacked once per dataset version."""
    return base64.b64encode(zlib.compress(json.dumps(dict(data)).encode(), 6)).decode("ascii")


def sets(engine: Engine, everything: Sequence[str], options: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Each pill's and preset's events among `everything` (bitsets), each preset's date
    range on the timeline, and each event's search text as the engine holds it (the page
    matches a search against it): once per dataset version, whatever the chart options."""
    summary = engine.summary
    chosen = {
        name: {
            o: early_view.packed_bits(m)
            for o, m in early_view.option_sets(engine, everything, name, opts).items()
        }
        for name, opts in options.items()
    }
    presets = {}
    for preset in widgets.PRESETS:
        start, end = widgets.preset_range(summary, preset)
        span = widgets.Dates().from_state(
            view.filter_named("dates"), {widgets.key("dates"): (start, end)}, summary
        )
        presets[preset] = {
            "bits": early_view.packed_bits(early_view.span_set(engine, everything, span)),
            "range": None  # every event: where the chart is now, until the server's range
            if widgets.PRESETS[preset] is None
            else early_view.axis_range(shared_range((start, end), None, None)),
        }
    return {"sets": chosen, "presets": presets, "texts": early_view.search_texts(engine, everything)}


def model(
    engine: Engine,
    everything: Sequence[str],
    figures: Mapping[str, Sent],
    key_events: Sequence[str],
    kept: Mapping[str, Any],
    v: View,
) -> dict[str, Any]:
    """What the page keeps per dataset version and chart options: the events (`everything`, in
    the engine's order), each pill's and preset's set of them (`sets`), the whole dataset's
    figures drawn with `v`'s options (the timeline's call-outs' events in the order of their
    annotations), and each event's part of the counts chart's bars."""
    index = {i: n for n, i in enumerate(everything)}
    counts = None
    if "counts" in figures:
        parts = early_view.strike_parts(engine.drawn(View()), v.per, v.strikes)
        counts = early_view.counts_parts(json.loads(figures["counts"].json), parts, index, v.per, v.strikes)
    return {
        "ids": list(everything),
        **kept,
        "options": {"lanes": v.lanes, "per": v.per, "strikes": v.strikes},
        "figures": {kind: sent.json for kind, sent in figures.items()},
        "key_events": list(key_events),
        "counts": counts,
    }


def state(engine: Engine, v: View, everything: Sequence[str]) -> dict[str, Any] | None:
    """The view's own part, sent with every run: each pill row's options in the order drawn and
    what is chosen, the preset, the text search (its box's key, its query) and the events the
    other filters leave (None: every event). None when the view has a filter the sets cannot
    compose (`COMPOSED`)."""
    if any(name not in COMPOSED for name, _ in v.values):
        return None
    pills: dict[str, dict[str, Any]] = {}
    for f in view.FILTERS:
        for key, options in widgets.pill_rows(f, engine.summary, st.session_state):
            pills[key] = {
                "filter": f.name,
                "options": options,
                "chosen": list(st.session_state.get(key) or []),
            }
    drawn = {p["filter"] for p in pills.values()}
    rest = View(values=tuple((n, x) for n, x in v.values if n not in drawn and n not in ("dates", SEARCH)))
    dates = v.span
    return {
        "pills": pills,
        "preset": st.session_state.get(widgets.PRESET),
        "preset_key": widgets.PRESET,
        "preset_options": list(widgets.PRESET_LABELS),
        "rest": early_view.packed_bits(early_view.members(everything, early_view.ids(engine, rest)))
        if rest.values
        else None,
        "dates": early_view.packed_bits(early_view.span_set(engine, everything, dates))
        if dates != DateSpan()
        else None,
        "search": {"key": widgets.key(SEARCH), "query": v.get(SEARCH) or "", "max": view.MAX_QUERY_LENGTH},
        "total": engine.summary.rows,
        "header": v.get(view.REPORTS_KEY) != view.INCIDENTS,
    }


def early_view_of(kept: str | None, current: Mapping[str, Any] | None) -> None:
    """Mount the page's early view: `kept` (`packed` `model`, None: the dataset is too large
    for one) and the view's `state`."""
    _VIEW(key=KEY, data={"model": kept or "", "view": dict(current) if current and kept else None})
