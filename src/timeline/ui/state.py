"""Session state <-> URL: the widgets are the source of truth, the URL mirrors them.

On a session's first run the URL is parsed (bad values dropped, with warnings) into the
widgets' session-state keys; on every run the current view is written back to the URL, so
the address bar is always a link to what the analyst sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

import streamlit as st

from timeline import taxonomy, urlstate
from timeline.filters import Catalog, Filters
from timeline.urlstate import View

# widget keys
DATES, PRESET, QUERY, CONFIDENCE, MIN_COUNT = "f_dates", "f_preset", "f_q", "f_confidence", "f_min_count"
COUNTRIES, ACTORS, DATASETS = "f_countries", "f_actors", "f_datasets"
LANES, PER, WHAT, EVENT = "v_lanes", "v_per", "v_what", "v_event"
WARNINGS, LOADED = "url_warnings", "url_loaded"
SELECTION_ROUND = "selection_round"


def types_key(group: str) -> str:
    return f"f_types_{group}"


def view_keys() -> list[str]:
    """Session-state keys of every widget that holds part of the view."""
    filters = [DATES, PRESET, COUNTRIES, ACTORS, DATASETS, QUERY, CONFIDENCE, MIN_COUNT]
    return filters + [types_key(group) for group in taxonomy.GROUP_KEYS] + [LANES, PER, WHAT]


def load_url_once(catalog: Catalog) -> None:
    """Seed the widgets from the URL on the first run of a session."""
    if st.session_state.get(LOADED):
        return
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    view, warnings = urlstate.parse(params, catalog)
    set_view(view, catalog)
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
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def set_view(view: View, catalog: Catalog) -> None:
    f = view.filters
    st.session_state[DATES] = (f.start or catalog.first_day, f.end or catalog.last_day)
    st.session_state[PRESET] = None
    for group in taxonomy.GROUP_KEYS:
        st.session_state[types_key(group)] = [t for t in f.types if taxonomy.group_of(t) == group]
    st.session_state[COUNTRIES] = list(f.countries)
    st.session_state[ACTORS] = list(f.actors)
    st.session_state[DATASETS] = list(f.datasets)
    st.session_state[QUERY] = f.text
    st.session_state[CONFIDENCE] = list(f.confidence)
    st.session_state[MIN_COUNT] = f.min_count
    st.session_state[LANES] = view.lanes
    st.session_state[PER] = view.per
    st.session_state[EVENT] = view.event
    st.session_state[WHAT] = view.strikes


def current_view(catalog: Catalog) -> View:
    """The view the widgets show now."""
    s = st.session_state
    dates = tuple(s.get(DATES) or ())
    start = dates[0] if len(dates) > 0 else None
    end = dates[1] if len(dates) > 1 else None
    if start == catalog.first_day:
        start = None  # the full range is no restriction, and keeps links short
    if end == catalog.last_day:
        end = None
    types = tuple(t for group in taxonomy.GROUP_KEYS for t in s.get(types_key(group)) or ())
    min_count = s.get(MIN_COUNT)
    filters = Filters(
        start=start,
        end=end,
        types=types,
        countries=tuple(s.get(COUNTRIES) or ()),
        actors=tuple(s.get(ACTORS) or ()),
        text=(s.get(QUERY) or "").strip(),
        confidence=tuple(s.get(CONFIDENCE) or ()),
        min_count=int(min_count) if min_count is not None else None,
        datasets=tuple(s.get(DATASETS) or ()),
    )
    return View(
        filters=filters,
        lanes=s.get(LANES) or "type",
        event=s.get(EVENT),
        per=s.get(PER) or "day",
        strikes=s.get(WHAT) or "all",
    )


def write_url(view: View) -> None:
    """Mirror the view into the address bar (only when it changed, to keep history clean)."""
    wanted = urlstate.to_params(view)
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def share_url(view: View) -> str:
    base = (st.context.url or "").split("?")[0]
    query = urlencode(urlstate.to_params(view), doseq=True)
    return f"{base}?{query}" if query else base


def selection_key(name: str) -> str:
    """Widget key of a selectable chart or table; a new round starts them unselected."""
    return f"{name}-{st.session_state.get(SELECTION_ROUND, 0)}"


def close_cards() -> None:
    """Clear the open card and every chart and table selection that would reopen it."""
    st.session_state[EVENT] = None
    st.session_state[SELECTION_ROUND] = st.session_state.get(SELECTION_ROUND, 0) + 1


def clear_warnings() -> None:
    st.session_state[WARNINGS] = []


def reset(catalog: Catalog) -> None:
    set_view(View(), catalog)
    clear_warnings()
