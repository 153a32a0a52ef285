"""Each filter kind owns its sidebar widget (`timeline.ui.widgets`): every kind the view
registry declares has one, their keys are the session state of the view, and a view survives
the trip into widget state and back. A new kind of filter is one registration."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from timeline import filters, view
from timeline.domain import taxonomy
from timeline.ui import state, widgets

from conftest import CURATED, engine_on


def _kinds() -> set[type[view.Filter]]:
    """Every filter kind `filters.py` defines (the view registry's kinds)."""
    return {
        cls
        for _, cls in inspect.getmembers(filters, inspect.isclass)
        if issubclass(cls, filters.Filter)
        and cls is not filters.Filter
        and cls.__module__ == filters.__name__
    }


def test_every_filter_kind_has_a_widget():
    assert {type(f) for f in view.FILTERS} <= _kinds()
    missing = sorted(k.__name__ for k in _kinds() if k not in widgets.WIDGETS)
    assert not missing, f"filter kinds without a sidebar widget: {missing}"
    for f in view.FILTERS:
        assert isinstance(widgets.widget_for(f), widgets.Widget)


def test_a_kind_without_a_widget_is_named():
    @dataclass(frozen=True)
    class Unknown(view.TextWords):
        pass

    with pytest.raises(KeyError, match=r"Unknown.*'mystery'.*ui/widgets\.py"):
        widgets.widget_for(Unknown("mystery", "Mystery", "", ""))


def test_widget_keys_are_distinct_and_keep_their_names():
    keys = state.view_keys()
    assert len(keys) == len(set(keys))
    assert state.PRESET in keys and state.key("dates") in keys and state.key("q") in keys
    types = view.filter_named("type")
    assert [state.group_key(types, g.key) for g in taxonomy.GROUPS] == widgets.widget_for(types).keys(types)
    assert state.key("type") not in keys  # a grouped filter lives only in its groups' keys


def _round_trip(v: view.View, summary: Any) -> view.View:
    session: dict[str, Any] = {}
    for f in view.FILTERS:
        session.update(widgets.widget_for(f).to_state(f, v.get(f.name), summary))
    out = view.View()
    for f in view.FILTERS:
        out = out.with_filter(f.name, widgets.widget_for(f).from_state(f, session, summary))
    return out


def test_a_view_survives_widget_state_and_back():
    summary = engine_on(CURATED).summary
    start = summary.first_day + (summary.last_day - summary.first_day) // 3
    v = view.View.of(
        dates=view.DateSpan(start, None),
        type=tuple(t for t in taxonomy.EVENT_TYPE_KEYS if t in {"drone_attack", "statement"}),
        country=("UKR",),
        q="Kyiv",
        confidence=("claimed",),
        min_count=5,
        reports=view.ALL_REPORTS,
        sources=2,
        only=("curated",),
    )
    assert _round_trip(v, summary) == v
    assert _round_trip(view.View(), summary) == view.View()  # the full date range is no filter


def test_a_new_kind_is_one_registration():
    """A filter kind the sidebar has never seen: registering its widget is all state needs."""

    @dataclass(frozen=True)
    class Before(view.Filter):
        def parse(self, params, known, warnings):
            raw = params.get(self.name)
            return date.fromisoformat(raw[0]) if raw else None

    @widgets.kind(Before)
    class BeforeWidget(widgets.Widget):
        def to_state(self, f, value, summary):
            return {widgets.key(f.name): value.isoformat() if value else ""}

        def from_state(self, f, state, summary):
            raw = state.get(widgets.key(f.name))
            return date.fromisoformat(raw) if raw else None

    try:
        f = Before("before", "Before", "", "")
        session = widgets.widget_for(f).to_state(f, date(2024, 11, 3), None)
        assert session == {"view_before": "2024-11-03"}
        assert widgets.widget_for(f).from_state(f, session, None) == date(2024, 11, 3)
    finally:
        del widgets.WIDGETS[Before]


def _pill_options(summary, name: str) -> list[str]:
    return [o for _, row in widgets.pill_rows(view.filter_named(name), summary, {}) for o in row]


def test_the_pills_are_the_event_types_and_confidences_in_the_data(curated_engine):
    """What the early view reads a click on a pill with: the rows the sidebar draws."""
    types = _pill_options(curated_engine.summary, "type")
    assert sorted(types) == sorted(curated_engine.summary.counts["event_type"])
    assert sorted(_pill_options(curated_engine.summary, "confidence")) == ["claimed", "confirmed", "reported"]
    assert _pill_options(curated_engine.summary, "country") == []  # a multiselect: no early view of it
