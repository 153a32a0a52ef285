"""Each filter kind's sidebar widget, in one place: its session-state keys, how a value becomes
widget state and back, and how it is drawn.

`view.py` declares the filters (and knows nothing of Streamlit); this module gives each kind of
filter (`view.DateRange`, `view.AnyOf`, ...) one `Widget`, registered with `@kind`, as
Datasette's filter classes carry their own behaviour. `state.py` and `sidebar.py` only loop
over `view.FILTERS` and ask `widget_for(f)`; a new kind of filter is one entry in `view.py` and
one registration here (tests/test_widgets.py checks that every kind has one).

What a filter gets follows from its kind: a date range gets presets and a date picker, a fixed
vocabulary gets pills (one row per group where it has groups), values that come from the data
get a multiselect ordered by frequency, text a search box, a minimum a number box, incident
mode a switch offered only when the stored incidents are fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any, TypeVar

import streamlit as st

from timeline import view
from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.engine import Engine, Summary
from timeline.formatting import country_name
from timeline.ui.safe import inert
from timeline.view import AnyOf, DateSpan, View

PRESET = "view_preset"
"""The date range's preset ("Last 7 days", ...), beside its date picker."""
WARNINGS = "url_warnings"
FRESH = "incidents_fresh"
"""Session key: the dataset's stored incidents are up to date (the incident switch is offered)."""
PRESETS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
PRESET_LABELS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "all": "All"}

State = Mapping[str, Any]


def key(name: str) -> str:
    """The session-state key of a filter's or option's widget."""
    return f"view_{name}"


def group_key(f: AnyOf, group: str) -> str:
    return f"{key(f.name)}_{group}"


def groups(f: AnyOf) -> list[str]:
    """A grouped filter's groups, in the order of its choices (e.g. event types by group)."""
    if f.group_of is None or f.choices is None:
        return []
    return list(dict.fromkeys(f.group_of(c) for c in f.ordered_choices))


def clear_warnings() -> None:
    """A widget changed: the link's warnings no longer describe what is shown."""
    st.session_state[WARNINGS] = []


@dataclass(frozen=True)
class Drawing:
    """What a widget may need to draw itself: the data's summary, and (for counts beside the
    choices) the engine and the view the widgets show now."""

    summary: Summary
    engine: Engine | None = None
    current: Callable[[], View] | None = None


class Widget:
    """One filter kind's widget. The base suits a filter with one key holding its value as is."""

    def keys(self, f: view.Filter) -> list[str]:
        return [key(f.name)]

    def to_state(self, f: view.Filter, value: Any, summary: Summary) -> dict[str, Any]:
        """Widget state showing `value` (None: the filter is off)."""
        return {key(f.name): value}

    def from_state(self, f: view.Filter, state: State, summary: Summary) -> Any:
        """The filter's value as the widget state holds it (None or empty: off)."""
        return state.get(key(f.name))

    def draw(self, f: view.Filter, drawing: Drawing) -> None:
        raise NotImplementedError


WIDGETS: dict[type[view.Filter], Widget] = {}
"""Filter kind -> its widget; exact types, so a new subclass of a kind must say which it uses."""

K = TypeVar("K", bound=type[Widget])


def kind(*kinds: type[view.Filter]) -> Callable[[K], K]:
    """Register the decorated widget for these filter kinds."""

    def register(cls: K) -> K:
        for k in kinds:
            WIDGETS[k] = cls()
        return cls

    return register


def widget_for(f: view.Filter) -> Widget:
    """The widget of a filter's kind."""
    try:
        return WIDGETS[type(f)]
    except KeyError:
        raise KeyError(
            f"no sidebar widget for filter kind {type(f).__name__} ({f.name!r}); add one in ui/widgets.py"
        ) from None


# --- dates ------------------------------------------------------------------------------------


def preset_range(summary: Summary, preset: str) -> tuple:
    """The date range of a preset, counted back from the data's as-of date."""
    days = PRESETS[preset]
    if days is None or summary.as_of is None:
        return summary.first_day, summary.last_day
    return summary.as_of - timedelta(days=days - 1), summary.as_of


def _apply_preset(summary: Summary, name: str) -> None:
    preset = st.session_state.get(PRESET)
    if preset:
        st.session_state[key(name)] = preset_range(summary, preset)
    clear_warnings()


def _dates_changed() -> None:
    st.session_state[PRESET] = None
    clear_warnings()


@kind(view.DateRange)
class Dates(Widget):
    """Presets and a date picker; the data's full range is no restriction."""

    def keys(self, f: view.Filter) -> list[str]:
        return [PRESET, key(f.name)]

    def to_state(self, f: view.Filter, value: Any, summary: Summary) -> dict[str, Any]:
        span = value or DateSpan()
        return {PRESET: None, key(f.name): (span.start or summary.first_day, span.end or summary.last_day)}

    def from_state(self, f: view.Filter, state: State, summary: Summary) -> DateSpan:
        dates = tuple(state.get(key(f.name)) or ())
        start = dates[0] if len(dates) > 0 else None
        end = dates[1] if len(dates) > 1 else None
        # The full range is no restriction, and keeps links short.
        return DateSpan(
            None if start == summary.first_day else start, None if end == summary.last_day else end
        )

    def draw(self, f: view.Filter, drawing: Drawing) -> None:
        sb = st.sidebar
        sb.segmented_control(
            "Date range",
            options=list(PRESET_LABELS),
            format_func=PRESET_LABELS.get,
            key=PRESET,
            on_change=_apply_preset,
            args=(drawing.summary, f.name),
            help="Counted back from the newest event in the data.",
        )
        sb.date_input(f.label, key=key(f.name), on_change=_dates_changed, format="YYYY-MM-DD")


# --- choices ----------------------------------------------------------------------------------


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


def option_count(matching: int, held: int) -> str:
    """'(9)' when every event of a value matches, else '(2 of 9)': what the other filters leave
    beside what the data holds."""
    return f"({held:,})" if matching == held else f"({matching:,} of {held:,})"


def _flat_pills(f: AnyOf) -> bool:
    """A short fixed vocabulary without groups: one row of pills."""
    return f.group_of is None and f.choices is not None and not f.list_column and len(f.choices) <= 6


def pill_rows(f: view.Filter, summary: Summary, state: State) -> list[tuple[str, list[str]]]:
    """The rows of pills a filter is drawn as: (widget key, its options in the order drawn), one
    per group of a grouped vocabulary (empty: the group is not drawn); [] for a filter drawn
    otherwise. What the page's early view reads a click on a pill with (`early_view`)."""
    if type(f) is not AnyOf:
        return []
    if f.group_of is not None and f.choices is not None:
        counts = summary.counts.get(str(f.column), {})
        rows = []
        for group in groups(f):
            chosen = state.get(group_key(f, group)) or []
            rows.append(
                (group_key(f, group),
                 [c for c in f.ordered_choices if f.group_of(c) == group and (c in counts or c in chosen)])
            )  # fmt: skip
        return rows
    if _flat_pills(f):
        chosen = list(state.get(key(f.name)) or [])
        options = list(summary.options(f))
        return [(key(f.name), options + [c for c in chosen if c not in options])]
    return []


@kind(AnyOf, view.OnlyBy)
class Choices(Widget):
    """Several values: pills per group for a grouped vocabulary (event types), pills for a short
    fixed one, else a multiselect of what the data holds, most frequent first."""

    def keys(self, f: view.Filter) -> list[str]:
        assert isinstance(f, AnyOf)
        return [group_key(f, g) for g in groups(f)] if f.group_of else [key(f.name)]

    def to_state(self, f: view.Filter, value: Any, summary: Summary) -> dict[str, Any]:
        assert isinstance(f, AnyOf)
        if f.group_of is None:
            return {key(f.name): list(value or ())}
        group_of = f.group_of
        return {group_key(f, g): [x for x in value or () if group_of(x) == g] for g in groups(f)}

    def from_state(self, f: view.Filter, state: State, summary: Summary) -> tuple[str, ...]:
        return tuple(x for k in self.keys(f) for x in state.get(k) or ())

    def draw(self, f: view.Filter, drawing: Drawing) -> None:
        assert isinstance(f, AnyOf)
        if f.group_of is not None:
            self._grouped(f, drawing)
        else:
            self._flat(f, drawing.summary)

    def _grouped(self, f: AnyOf, drawing: Drawing) -> None:
        sb, summary, engine = st.sidebar, drawing.summary, drawing.engine
        sb.subheader(
            f.label,
            help="Nothing selected shows every one. In brackets: the events the other filters leave, "
            "of those in the data.",
        )
        counts = summary.counts.get(str(f.column), {})
        matching = counts
        if engine is not None and drawing.current is not None:
            matching = engine.frequencies(drawing.current().without(f.name), f.column)
        for (widget, present), group in zip(pill_rows(f, summary, st.session_state), groups(f), strict=True):
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
                key=widget,
                on_change=clear_warnings,
            )
            if f.column == Col.EVENT_TYPE:
                sb.html(_swatches(present))

    def _flat(self, f: AnyOf, summary: Summary) -> None:
        sb = st.sidebar
        chosen = list(st.session_state.get(key(f.name)) or [])
        options = list(summary.options(f))
        options += [c for c in chosen if c not in options]
        if _flat_pills(f):
            helps = taxonomy.CONFIDENCE_HELP if f.column == Col.CONFIDENCE else {}
            sb.pills(f.label, options=options, selection_mode="multi", key=key(f.name),
                     on_change=clear_warnings, format_func=lambda v: inert(_label(f, v)),
                     help=inert("; ".join(f"{k}: {v}" for k, v in helps.items())) or None)  # fmt: skip
            return
        if f.choices is None and len(options) <= 1 and not chosen:
            return  # one dataset, one actor: nothing to choose
        sb.multiselect(f.label, options, key=key(f.name), on_change=clear_warnings,
                       format_func=lambda v: _label(f, v), placeholder="Any")  # fmt: skip


# --- text, numbers, incident mode -------------------------------------------------------------


@kind(view.TextWords)
class Search(Widget):
    def to_state(self, f: view.Filter, value: Any, summary: Summary) -> dict[str, Any]:
        return {key(f.name): value or ""}

    def from_state(self, f: view.Filter, state: State, summary: Summary) -> str:
        return (state.get(key(f.name)) or "").strip()

    def draw(self, f: view.Filter, drawing: Drawing) -> None:
        st.sidebar.text_input(f.label, key=key(f.name), on_change=clear_warnings,
                              placeholder="title, summary, place, actor", max_chars=view.MAX_QUERY_LENGTH)  # fmt: skip


class Number(Widget):
    """A whole number from `least`, empty for no restriction."""

    LEAST = 0
    HELP = ""

    def from_state(self, f: view.Filter, state: State, summary: Summary) -> int | None:
        raw = state.get(key(f.name))
        return int(raw) if raw is not None else None

    def draw(self, f: view.Filter, drawing: Drawing) -> None:
        st.sidebar.number_input(f.label, min_value=self.LEAST, step=1, key=key(f.name),
                                on_change=clear_warnings, placeholder="any", help=self.HELP)  # fmt: skip


@kind(view.Minimum)
class AtLeast(Number):
    HELP = "Only events whose headline number is at least this."


@kind(view.Sources)
class SourcesAtLeast(Number):
    LEAST = 1
    HELP = "Incidents that this many datasets (or more) reported."


@kind(view.Reports)
class IncidentSwitch(Widget):
    """Incidents or every report: offered only when there are up-to-date incidents."""

    def draw(self, f: view.Filter, drawing: Drawing) -> None:
        assert isinstance(f, view.Reports)
        if not st.session_state.get(FRESH):
            return
        if st.session_state.get(key(f.name)) is None:  # reset, a story step, or deselected
            st.session_state[key(f.name)] = view.INCIDENTS  # the default while incidents are fresh
        labels = dict(f.choices)
        st.sidebar.segmented_control(
            f.label,
            options=list(labels),
            format_func=lambda value: inert(labels[value]),
            key=key(f.name),
            on_change=clear_warnings,
            help="Incidents: each counted once, as its most trusted source's report. Every report: one per source.",
        )
