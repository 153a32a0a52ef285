"""A plotly chart drawn by plotly.js in the page (a Streamlit custom component, v2) that
answers a click in the browser (issue #17): the picked events stay bright and the others fade
at once, and only then does Python hear of it (their ids, to open the selection panel).

`st.plotly_chart` redraws a chart from the figure the next run sends, so a click's highlight
waits for the whole rerun. Here the figure is sent with a revision (a digest of its JSON) and
the selection beside it: a rerun that changes only the selection restyles the drawn chart
(`plotly_chart.js` fades it as `figures.highlight.fade_timeline` does), and a figure the
browser already drew is not drawn again. The figure is the same plotly JSON the figures
package builds for `st.plotly_chart` (event text escaped for plotly, no HTML from data), so
what a chart may show is unchanged.

plotly.js is the installed plotly package's own copy, served by Streamlit's component file
route (a v1 component declared on plotly's `package_data` folder, never rendered), loaded
once per page and cached by the browser.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
import streamlit as st
import streamlit.components.v1 as components_v1
from streamlit import config

from timeline.figures import timeline_chart as tl
from timeline.figures.common import HOVER
from timeline.figures.timeline_layout import CALLOUT_FADED

TEST_ID = "tlChart"
"""The chart's `data-testid` in the page (Streamlit's own charts are `stPlotlyChart`)."""
HTML = f'<div class="tl-chart" data-testid="{TEST_ID}"><div class="tl-plot"></div></div>'
CSS = ".tl-chart{width:100%}.tl-plot{width:100%}"
FADE = {
    "bright": tl.BRIGHT,
    "faded": tl.FADED,
    "bar_share": tl.BAR_SHARE,
    "spans_faded": tl.SPANS_FADED,
    "callout_faded": CALLOUT_FADED,
    "hover": HOVER,
}
"""The fade's numbers, from the figures package (one definition): `plotly_chart.js` reads them."""

_PLOTLY_FILES = components_v1.declare_component(
    "plotly_js", path=str(Path(plotly.__file__).parent / "package_data")
)
_CHART = st.components.v2.component(
    "timeline.plotly_chart",
    html=HTML,
    css=CSS,
    js=(Path(__file__).with_name("plotly_chart.js")).read_text(encoding="utf-8"),
    isolate_styles=False,  # plotly.js styles its toolbar from the document's head
)


def plotly_url() -> str:
    """Where the page loads plotly.js from (Streamlit's route for a component's files)."""
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/component/{_PLOTLY_FILES.name}/plotly.min.js"


def payload(
    figure: go.Figure, selected: Iterable[str], key_events: Iterable[str], chart_config: Mapping[str, Any]
) -> dict[str, Any]:
    """What the browser gets: the figure's JSON and its revision, the selection to fade it
    to, the call-outs' events (in the order of their annotations), plotly's config, and the
    chart's height, kept free while plotly.js loads so the page below does not jump."""
    text = figure.to_json()
    return {
        "figure": text,
        "revision": hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest(),
        "selected": list(selected),
        "key_events": list(key_events),
        "config": {**chart_config, "responsive": True},
        "fade": FADE,
        "plotly": plotly_url(),
        "height": figure.layout.height,
    }


def picked(key: str) -> list[str]:
    """The event ids the chart under `key` just reported (a click or a box), else []."""
    found = st.session_state.get(key)
    ids = found.get("select") if hasattr(found, "get") else None
    return [i for i in ids or [] if isinstance(i, str)]


def plotly_chart(
    figure: go.Figure,
    *,
    key: str,
    selected: Iterable[str] = (),
    key_events: Iterable[str] = (),
    chart_config: Mapping[str, Any],
    on_select: Callable[[], None],
) -> None:
    """Mount the chart: `figure` drawn without a selection, faded to `selected` in the page;
    `on_select` runs when the analyst picks events (read them with `picked(key)`)."""
    _CHART(
        key=key,
        data=payload(figure, selected, key_events, chart_config),
        on_select_change=on_select,
        height="content",
    )
