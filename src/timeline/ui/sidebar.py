"""The filter widgets in the sidebar, one per entry of the view registry, in its order.

What kind of widget a filter gets follows from its kind: a date range gets presets and a
date picker, a fixed vocabulary gets pills (one row per group where it has groups), values
that come from the data get a multiselect ordered by frequency, text a search box, a minimum
a number box. Values live in session state (see state.py).
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

import streamlit as st

from timeline import view
from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.engine import Engine, Summary
from timeline.formatting import country_name
from timeline.ui import incidents, state
from timeline.ui.safe import inert
from timeline.view import AnyOf, DateRange, Minimum, TextWords

PRESETS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
PRESET_LABELS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "all": "All"}


def preset_range(summary: Summary, preset: str) -> tuple:
    """The date range of a preset, counted back from the data's as-of date."""
    days = PRESETS[preset]
    if days is None or summary.as_of is None:
        return summary.first_day, summary.last_day
    return summary.as_of - timedelta(days=days - 1), summary.as_of


def _apply_preset(summary: Summary, name: str) -> None:
    preset = st.session_state.get(state.PRESET)
    if preset:
        st.session_state[state.key(name)] = preset_range(summary, preset)
    state.clear_warnings()


def _dates_changed() -> None:
    st.session_state[state.PRESET] = None
    state.clear_warnings()


def _swatches(types: list[str]) -> str:
    """A colour key for a group of types; built from the taxonomy only, never from data."""
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:10px;font-size:0.8rem">'
        f'<span style="width:10px;height:10px;border-radius:50%;background:{taxonomy.COLOURS[t]};'
        f'display:inline-block;margin-right:4px"></span>{escape(taxonomy.LABELS[t])}</span>'
        for t in types
    )
    return f'<div style="line-height:1.6">{items}</div>'


def _label(f: AnyOf, value: str) -> str:
    if f.column == Col.EVENT_TYPE:
        return taxonomy.LABELS.get(value, value)
    if f.column == Col.COUNTRIES:
        return country_name(value)
    return value


def _date_range(f: DateRange, summary: Summary) -> None:
    sb = st.sidebar
    sb.segmented_control(
        "Date range",
        options=list(PRESET_LABELS),
        format_func=PRESET_LABELS.get,
        key=state.PRESET,
        on_change=_apply_preset,
        args=(summary, f.name),
        help="Counted back from the newest event in the data.",
    )
    sb.date_input(f.label, key=state.key(f.name), on_change=_dates_changed, format="YYYY-MM-DD")


def option_count(matching: int, held: int) -> str:
    """'(9)' when every event of a value matches, else '(2 of 9)': what the other filters leave
    beside what the data holds."""
    return f"({held:,})" if matching == held else f"({matching:,} of {held:,})"


def _grouped(f: AnyOf, summary: Summary, engine: Engine | None = None) -> None:
    sb = st.sidebar
    sb.subheader(
        f.label,
        help="Nothing selected shows every one. In brackets: the events the other filters leave, "
        "of those in the data.",
    )
    counts = summary.counts.get(str(f.column), {})
    others = state.current_view(summary).without(f.name) if engine is not None else None
    matching = engine.frequencies(others, f.column) if engine is not None and others is not None else counts
    for group in state.groups(f):
        chosen = st.session_state.get(state.group_key(f, group), [])
        present = [c for c in f.ordered_choices if f.group_of(c) == group and (c in counts or c in chosen)]
        if not present:
            continue
        title = next((g.label for g in taxonomy.GROUPS if g.key == group), group)
        sb.pills(
            title,
            options=present,
            format_func=lambda value: (
                f"{inert(_label(f, value))} {inert(option_count(matching.get(value, 0), counts.get(value, 0)))}"
            ),
            selection_mode="multi",
            key=state.group_key(f, group),
            on_change=state.clear_warnings,
        )
        if f.column == Col.EVENT_TYPE:
            sb.html(_swatches(present))


def _any_of(f: AnyOf, summary: Summary) -> None:
    sb = st.sidebar
    chosen = list(st.session_state.get(state.key(f.name)) or [])
    options = list(summary.options(f))
    options += [c for c in chosen if c not in options]
    if f.choices is not None and not f.list_column and len(f.choices) <= 6:
        helps = taxonomy.CONFIDENCE_HELP if f.column == Col.CONFIDENCE else {}
        sb.pills(f.label, options=options, selection_mode="multi", key=state.key(f.name),
                 on_change=state.clear_warnings, format_func=lambda v: inert(_label(f, v)),
                 help=inert("; ".join(f"{k}: {v}" for k, v in helps.items())) or None)  # fmt: skip
        return
    if f.choices is None and len(options) <= 1 and not chosen:
        return  # one dataset, one actor: nothing to choose
    sb.multiselect(f.label, options, key=state.key(f.name), on_change=state.clear_warnings,
                   format_func=lambda v: _label(f, v), placeholder="Any")  # fmt: skip


def render(summary: Summary, engine: Engine | None = None) -> None:
    """The filters; with the `engine`, each type's count says how many of its events the
    other filters leave."""
    sb = st.sidebar
    sb.header("Filters")
    for f in view.FILTERS:
        if isinstance(f, DateRange):
            _date_range(f, summary)
        elif isinstance(f, AnyOf) and f.group_of is not None:
            _grouped(f, summary, engine)
        elif isinstance(f, AnyOf):
            _any_of(f, summary)
        elif isinstance(f, TextWords):
            sb.text_input(f.label, key=state.key(f.name), on_change=state.clear_warnings,
                          placeholder="title, summary, place, actor", max_chars=view.MAX_QUERY_LENGTH)  # fmt: skip
        elif isinstance(f, view.Reports):
            incidents.switch(f)
        elif isinstance(f, view.Sources):
            sb.number_input(f.label, min_value=1, step=1, key=state.key(f.name), on_change=state.clear_warnings,
                            placeholder="any", help="Incidents that this many datasets (or more) reported.")  # fmt: skip
        elif isinstance(f, Minimum):
            sb.number_input(f.label, min_value=0, step=1, key=state.key(f.name), on_change=state.clear_warnings,
                            placeholder="any", help="Only events whose headline number is at least this.")  # fmt: skip
    sb.button("Reset filters", on_click=state.reset, args=(summary,), width="stretch")
