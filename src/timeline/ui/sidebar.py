"""The filter widgets in the sidebar, one per entry of the view registry, in its order.

Each filter kind draws its own widget (`widgets.py`); values live in session state
(`state.py`).
"""

from __future__ import annotations

import streamlit as st

from timeline import view
from timeline.engine import Engine, Summary
from timeline.ui import state
from timeline.ui.widgets import Drawing, widget_for


def render(summary: Summary, engine: Engine | None = None) -> None:
    """The filters; with the `engine`, each type's count says how many of its events the
    other filters leave."""
    sb = st.sidebar
    sb.header("Filters")
    drawing = Drawing(summary, engine, current=lambda: state.current_view(summary))
    for f in view.FILTERS:
        widget_for(f).draw(f, drawing)
    sb.button("Reset filters", on_click=state.reset, args=(summary,), width="stretch")
