"""Session state <-> URL: the widgets are the source of truth, the URL mirrors them.

Every widget key is derived from the view registry (`view.FILTERS`, `view.OPTIONS`) by each
filter kind's widget (`widgets.py`): a filter named `country` lives in `view_country`, a
grouped filter in one key per group (`view_type_military`), an option in `view_lanes`. On a
session's first run the URL is parsed (bad values dropped, with warnings) into those keys; on
every run the current view is written back to the URL, so the address bar is always a link to
what the analyst sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

import streamlit as st

from timeline import view
from timeline.engine import Engine, Summary
from timeline.ui.widgets import (
    PRESET as PRESET,  # callers know the widgets' keys by these names
    WARNINGS,
    clear_warnings,
    group_key as group_key,
    groups as groups,
    key,
    widget_for,
)
from timeline.view import View

EVENT = "view_event"
LOADED, WRITTEN = "url_loaded", "url_written"
SELECTION_ROUND = "selection_round"
PANEL, TIMELINE, COUNTS, MAP, TABLE, SHARE = "panel", "timeline", "counts", "map", "table", "share"
"""The page's fragments (`st.fragment(key=...)`), in the order a new selection reruns them:
the card first."""
PANEL_KEPT = "panel_kept"
"""Set by each run of the whole page: its layout keeps the selection panel's column, so a new
selection changes no layout and reruns only the fragments that show it."""


def view_keys() -> list[str]:
    """Session-state keys of every widget that holds part of the view."""
    keys = [k for f in view.FILTERS for k in widget_for(f).keys(f)]
    return keys + [key(o.name) for o in view.OPTIONS]


def _url_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params}


def load_url_once(engine: Engine) -> None:
    """Seed the widgets from the URL on the first run of a session, and again when the
    address changed since this page last wrote it (the browser's back and forward buttons)."""
    if st.session_state.get(LOADED) and _url_params() == st.session_state.get(WRITTEN, _url_params()):
        return
    params = _url_params()
    parsed, warnings = view.parse(params, engine.known())
    set_view(parsed, engine.summary)
    st.session_state[WARNINGS] = warnings
    st.session_state[LOADED] = True


def resend(keys: Iterable[str]) -> None:
    """Send these widgets' values to the browser on each run, not only after code set them.

    Streamlit sends a value set from code with one run only. If the browser has not drawn
    that widget before the next run starts (a slow first load and an early click), the
    widget comes up empty while its filter still applies: the search box would read "" on
    a page filtered by "Kyiv". Setting each value again keeps what the analyst sees equal
    to what filters the page. Call before the widgets are created.
    """
    for name in keys:
        if name in st.session_state:
            st.session_state[name] = st.session_state[name]


def set_view(v: View, summary: Summary) -> None:
    s = st.session_state
    for f in view.FILTERS:
        s.update(widget_for(f).to_state(f, v.get(f.name), summary))
    for option in view.OPTIONS:
        s[key(option.name)] = v.option(option.name)
    s[EVENT] = list(v.events)


def current_view(summary: Summary) -> View:
    """The view the widgets show now."""
    s = st.session_state
    v = View(events=tuple(s.get(EVENT) or ()))
    for f in view.FILTERS:
        v = v.with_filter(f.name, widget_for(f).from_state(f, s, summary))
    for option in view.OPTIONS:
        v = v.with_option(option.name, s.get(key(option.name)) or option.default)
    return v


def write_url(v: View) -> None:
    """Mirror the view into the address bar (only when it changed, to keep history clean)."""
    wanted = view.to_params(v)
    if _url_params() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[WRITTEN] = wanted


def share_url(v: View) -> str:
    base = (st.context.url or "").split("?")[0]
    query = urlencode(view.to_params(v), doseq=True)
    return f"{base}?{query}" if query else base


TABLE_IDS, LAST_FILTERS = "table_ids", "last_filters"


def open_card(event_id: str) -> None:
    st.session_state[EVENT] = [event_id]
    rerun_selection()


def rerun_selection(picked_on: str | None = None) -> None:
    """In a callback that changed the selection: when the page keeps the panel's column, rerun
    only the fragments that show the selection (the card first), not the charts when it was
    picked on one (`picked_on`: every chart faded itself in the browser). Else the callback's
    own rerun, which reruns the page when it sees the new selection (`page._chart_view`)."""
    if st.session_state.get(PANEL_KEPT):
        charts = (TIMELINE, COUNTS, MAP) if picked_on else ()
        st.rerun([k for k in (PANEL, TIMELINE, COUNTS, MAP, TABLE, SHARE) if k not in charts])


def _chosen(name: str) -> list[str]:
    """The events whose rows the table's selection widget holds now (the charts report
    their picks through `plotly_chart.picked`)."""
    widget = st.session_state.get(selection_key(name)) or {}
    chosen = widget.get("selection", {}) if hasattr(widget, "get") else {}
    table = st.session_state.get(TABLE_IDS) or []
    ids = [table[r] for r in chosen.get("rows", []) or [] if isinstance(r, int) and r < len(table)]
    return list(dict.fromkeys(ids))[: view.MAX_SELECTED]


def take_selection(name: str) -> None:
    """`on_select` of the table: the rows the analyst just ticked become the selection, which
    then stays (panel open, highlighted on every chart, in the URL) until cleared, whatever
    the charts redraw. An empty pick leaves it."""
    take_ids(_chosen(name))


def take_ids(ids: list[str], picked_on: str | None = None) -> None:
    """These events become the selection (none: it stays as it was), shown by the fragments
    that show it (`rerun_selection`)."""
    if ids:
        st.session_state[EVENT] = list(dict.fromkeys(ids))[: view.MAX_SELECTED]
        rerun_selection(picked_on)


def selected_ids() -> list[str]:
    """The selected events, in the order they were picked."""
    return list(st.session_state.get(EVENT) or [])


def forget_selection_on_new_filters(v: View) -> None:
    """Selections point at rows of what was shown; new filters start a new round."""
    if st.session_state.get(LAST_FILTERS, v.values) != v.values:
        st.session_state[SELECTION_ROUND] = selection_round() + 1
    st.session_state[LAST_FILTERS] = v.values


def selection_key(name: str) -> str:
    """Widget key of the selectable table; a new round starts it unselected."""
    return f"{name}-{selection_round()}"


def selection_round() -> int:
    """The selection's round: a new one each time the server sets the selection itself
    (cleared, new filters), which the charts fade to even if they were sent it before."""
    return int(st.session_state.get(SELECTION_ROUND, 0))


def close_cards() -> None:
    """Clear the selection, and the table's ticked rows that would reopen it (the charts
    fade back to the selection the server sends)."""
    st.session_state[EVENT] = []
    st.session_state[SELECTION_ROUND] = selection_round() + 1
    rerun_selection()


def reset(summary: Summary) -> None:
    set_view(View(), summary)
    clear_warnings()
