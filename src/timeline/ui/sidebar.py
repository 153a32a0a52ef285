"""The filter widgets in the sidebar. Values live in session state (see state.py)."""

from __future__ import annotations

from html import escape

import streamlit as st

from timeline import taxonomy
from timeline.figures import country_name
from timeline.filters import PRESET_LABELS, Catalog, preset_range
from timeline.ui import state


def _apply_preset(catalog: Catalog) -> None:
    preset = st.session_state.get(state.PRESET)
    if preset:
        start, end = preset_range(catalog.as_of, preset)
        st.session_state[state.DATES] = (start or catalog.first_day, end or catalog.last_day)
    state.clear_warnings()


def _dates_changed() -> None:
    st.session_state[state.PRESET] = None
    state.clear_warnings()


def _swatches(types: list[taxonomy.EventType]) -> str:
    """A colour key for a group of types; built from the taxonomy only, never from data."""
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:10px;font-size:0.8rem">'
        f'<span style="width:10px;height:10px;border-radius:50%;background:{t.colour};'
        f'display:inline-block;margin-right:4px"></span>{escape(t.label)}</span>'
        for t in types
    )
    return f'<div style="line-height:1.6">{items}</div>'


def render(catalog: Catalog) -> None:
    changed = state.clear_warnings
    sb = st.sidebar
    sb.header("Filters")
    sb.segmented_control(
        "Date range",
        options=list(PRESET_LABELS),
        format_func=PRESET_LABELS.get,
        key=state.PRESET,
        on_change=_apply_preset,
        args=(catalog,),
        help="Counted back from the newest event in the data.",
    )
    sb.date_input("Dates", key=state.DATES, on_change=_dates_changed, format="YYYY-MM-DD")

    sb.subheader("Event types", help="Nothing selected shows every type.")
    for group in taxonomy.GROUPS:
        types = [t for t in taxonomy.EVENT_TYPES if t.group == group.key]
        present = [
            t
            for t in types
            if t.key in catalog.type_counts or t.key in st.session_state.get(state.types_key(group.key), [])
        ]
        if not present:
            continue
        sb.pills(
            group.label,
            options=[t.key for t in present],
            format_func=lambda key: f"{taxonomy.LABELS[key]} ({catalog.type_counts.get(key, 0):,})",
            selection_mode="multi",
            key=state.types_key(group.key),
            on_change=changed,
        )
        sb.html(_swatches(present))

    countries = list(catalog.countries) + [
        c for c in st.session_state.get(state.COUNTRIES, []) if c not in catalog.countries
    ]
    sb.multiselect("Countries", countries, key=state.COUNTRIES, format_func=country_name, on_change=changed)
    actors = list(catalog.actors)
    sb.multiselect("Actors", actors, key=state.ACTORS, on_change=changed, placeholder="Any actor")
    sb.text_input(
        "Search",
        key=state.QUERY,
        on_change=changed,
        placeholder="title, summary, place, actor",
        max_chars=200,
    )
    sb.pills(
        "Confidence",
        options=list(taxonomy.CONFIDENCES),
        selection_mode="multi",
        key=state.CONFIDENCE,
        on_change=changed,
        help="; ".join(f"{k}: {v}" for k, v in taxonomy.CONFIDENCE_HELP.items()),
    )
    sb.number_input(
        "Minimum count",
        min_value=0,
        step=1,
        key=state.MIN_COUNT,
        on_change=changed,
        placeholder="any",
        help="Only events whose headline number (drones, missiles, troops, ...) is at least this.",
    )
    if len(catalog.datasets) > 1:
        sb.multiselect(
            "Datasets",
            list(catalog.datasets),
            key=state.DATASETS,
            on_change=changed,
            placeholder="All datasets",
            help="'curated' rows are hand-checked; the others come from `timeline import`.",
        )
    sb.button("Reset filters", on_click=state.reset, args=(catalog,), width="stretch")
