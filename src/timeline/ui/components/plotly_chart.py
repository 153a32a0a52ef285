"""The dashboard's plotly charts (the timeline, the counts chart and the map), drawn by
plotly.js in the page (a Streamlit custom component, v2) and answering a click in the browser
(issue #17): the picked events stay bright and the others fade at once, on every chart of the
page, and only then does Python hear of it (their ids, to open the selection panel).

`st.plotly_chart` redraws a chart from the figure the next run sends, so a click's highlight
waits for the whole rerun. Here the figure is sent with a revision (a digest of its JSON) and
the selection beside it: a rerun that changes only the selection restyles the drawn chart
(`plotly_chart.js` fades it as `figures.highlight` does: `fade_timeline`, `fade_bins`,
`fade_events`; `as_drawn` is that fade in Python, the reference), and a figure the browser
already drew is not drawn again. The figure is the same plotly JSON the figures package
builds for `st.plotly_chart` (event text escaped for plotly, no HTML from data), so what a
chart may show is unchanged.

plotly.js is the installed plotly package's own copy, served by Streamlit's component file
route (a v1 component declared on plotly's `package_data` folder, never rendered), loaded
once per page (asked for by `plotly_js.preload` before the dashboard's imports) and cached by
the browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from timeline import view
from timeline.figures import highlight, timeline_chart as tl
from timeline.figures.cache import Sent, from_plain
from timeline.figures.common import DAY_MS, HOVER
from timeline.figures.timeline_layout import CALLOUT_FADED
from timeline.ui.components import chart_js
from timeline.ui.components.plotly_js import plotly_url

Kind = Literal["timeline", "counts", "map"]
TEST_ID = "tlChart"
"""Each chart's `data-testid` in the page (Streamlit's own charts are `stPlotlyChart`)."""
HTML = f'<div class="tl-chart" data-testid="{TEST_ID}"><div class="tl-plot"></div></div>'
CSS = ".tl-chart{width:100%}.tl-plot{width:100%}"
FADE = {
    "bright": tl.BRIGHT,
    "faded": tl.FADED,
    "bar_share": tl.BAR_SHARE,
    "spans": tl.SPANS,
    "spans_faded": tl.SPANS_FADED,
    "callout_faded": CALLOUT_FADED,
    "hover": HOVER,
    "event_bright": highlight.BRIGHT,
    "event_faded": highlight.FADED,
    "max_selected": view.MAX_SELECTED,
}
"""The fades' numbers, from the figures package (one definition): `plotly_chart.js` reads them."""

_CHART = st.components.v2.component(
    "timeline.plotly_chart",
    html=HTML,
    css=CSS,
    js=chart_js("plotly_chart.js"),
    isolate_styles=False,  # plotly.js styles its toolbar from the document's head
)


def event_bins(event_ids: Iterable[str], days: Iterable[date | pd.Timestamp], per: str) -> dict[str, float]:
    """The counts chart's bin (its first midnight, in ms) of each event's first day: what the
    page fades the counts chart to when those events are picked on another chart."""
    ids = list(event_ids)
    starts = highlight.bin_starts(list(days), per)
    return {i: float(s) for i, s in zip(ids, starts, strict=True)}


def payload(
    figure: go.Figure | Sent,
    selected: Iterable[str],
    key_events: Iterable[str],
    chart_config: Mapping[str, Any],
    *,
    kind: Kind = "timeline",
    bins: Mapping[str, float] | None = None,
    per: str = "day",
    pickable: bool = True,
    options: Mapping[str, str] | None = None,
    selection_round: int = 0,
) -> dict[str, Any]:
    """What the browser gets: the figure's JSON and its revision, the selection to fade it
    to and its round (a new round: the page fades to it even when it is the selection sent
    before, which a pick faded away from in the page alone), what the fade of this `kind` of
    chart needs (the timeline's call-outs' events, in the order of their annotations; the
    counts chart's bin of each event and the bins' length),
    plotly's config, and the chart's height, kept free while plotly.js loads so the page
    below does not jump."""
    sent = figure if isinstance(figure, Sent) else Sent.of(figure)
    return {
        "kind": kind,
        "figure": sent.json,
        "revision": sent.revision,
        "selected": list(selected),
        "round": selection_round,
        "key_events": list(key_events),
        "bins": dict(bins or {}),
        "bin_ms": DAY_MS * (7 if per == "week" else 1),
        "per": per,
        "pickable": pickable,
        "options": dict(options or {}),
        "config": {**chart_config, "responsive": True},
        "fade": FADE,
        "plotly": plotly_url(),
        "height": sent.height,
    }


def as_drawn(data: Mapping[str, Any]) -> dict[str, Any]:
    """The figure a payload has the page draw, faded as `plotly_chart.js` fades it, as plain
    JSON data (what a test reads of what the browser shows)."""
    figure = from_plain(json.loads(data["figure"]))
    selected = list(data["selected"])[: view.MAX_SELECTED]
    if data.get("kind") == "map":
        figure = highlight.fade_events(figure, selected)
    elif data.get("kind") == "counts":
        starts = sorted({data["bins"][i] for i in selected if i in data["bins"]})
        figure = highlight.fade_bins(figure, highlight.days_of(starts), data.get("per", "day"))
    else:
        figure = highlight.fade_timeline(figure, selected, data["key_events"])
    return json.loads(figure.to_json())


def picked(key: str) -> list[str]:
    """The event ids the chart under `key` just reported (a click or a box), else []."""
    found = st.session_state.get(key)
    ids = found.get("select") if hasattr(found, "get") else None
    return [i for i in ids or [] if isinstance(i, str)]


def plotly_chart(
    figure: go.Figure | Sent,
    *,
    key: str,
    selected: Iterable[str] = (),
    key_events: Iterable[str] = (),
    chart_config: Mapping[str, Any],
    on_select: Callable[[], None] | None = None,
    kind: Kind = "timeline",
    bins: Mapping[str, float] | None = None,
    per: str = "day",
    options: Mapping[str, str] | None = None,
    selection_round: int = 0,
) -> None:
    """Mount the chart: `figure` drawn without a selection, faded to `selected` in the page
    (and to what is picked on any chart of the page); `on_select` runs when the analyst picks
    events on this one (read them with `picked(key)`); without it, a click picks nothing.
    `options`: the chart options it is drawn with (the page's early view draws it only with
    the same, `early_view.js`). `selection_round`: changed when the server sets the selection
    itself ("Clear selection"): the charts, which a pick faded in the page without a rerun of
    theirs, then fade to `selected` even if it is what they were sent before."""
    _CHART(
        key=key,
        data=payload(
            figure,
            selected,
            key_events,
            chart_config,
            kind=kind,
            bins=bins,
            per=per,
            pickable=on_select is not None,
            options=options,
            selection_round=selection_round,
        ),
        on_select_change=on_select or _nothing,
        height="content",
    )


def _nothing() -> None:
    """A chart that picks nothing still names a callback (the component's trigger needs one)."""
