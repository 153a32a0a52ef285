"""What the page is sent to draw the next filter change at the click (timeline/early_view.py):
each pill's and preset's events as the engine matches them, each event's search text (the
page matches a search against it by the rule of `filters.words`), and each event's part of the
counts chart, which must add up to the server's own bars."""

from __future__ import annotations

import json

import numpy as np
import pytest

from timeline import early_view, filters, view
from timeline.domain.schema import Col
from timeline.figures import counts_figure
from timeline.figures.cache import Sent
from timeline.ui import widgets
from timeline.view import DateSpan, View

from conftest import run_app


@pytest.fixture(scope="module")
def everything(curated_engine) -> list[str]:
    return early_view.ids(curated_engine, View())


def _pill_options(engine, name: str) -> list[str]:
    """The options of a filter's pills, as the sidebar draws them."""
    return [o for _, row in widgets.pill_rows(view.filter_named(name), engine.summary, {}) for o in row]


@pytest.mark.parametrize("name", ["type", "confidence"])
def test_each_pill_matches_the_events_the_engine_matches_for_it_alone(curated_engine, everything, name):
    options = _pill_options(curated_engine, name)
    sets = early_view.option_sets(curated_engine, everything, name, options)
    for option in options:
        v = View().with_filter(name, (option,))
        sent = early_view.unpacked_bits(early_view.packed_bits(sets[option]), len(everything))
        chosen = {i for i, keep in zip(everything, sent, strict=True) if keep}
        assert len(chosen) == curated_engine.match(v).count, option
        assert chosen == set(curated_engine.drawn(v)[Col.EVENT_ID]), option


@pytest.mark.parametrize("preset", list(widgets.PRESETS))
def test_each_date_preset_matches_the_events_the_engine_matches_for_it(curated_engine, everything, preset):
    summary = curated_engine.summary
    start, end = widgets.preset_range(summary, preset)
    span = DateSpan(None if start == summary.first_day else start, None if end == summary.last_day else end)
    mask = early_view.span_set(curated_engine, everything, span)
    assert int(mask.sum()) == curated_engine.match(View().with_filter("dates", span)).count
    if preset == "all":
        assert mask.all()


def test_a_combination_is_the_intersection_of_its_filters_sets(curated_engine, everything):
    """What the page does with the sets (any of a filter's options, every filter) is what the
    engine matches for the combined view."""
    types = early_view.option_sets(curated_engine, everything, "type", ["drone_attack", "missile_strike"])
    confirmed = early_view.option_sets(curated_engine, everything, "confidence", ["confirmed"])["confirmed"]
    start, _ = widgets.preset_range(curated_engine.summary, "30d")
    dates = early_view.span_set(curated_engine, everything, DateSpan(start, None))
    combined = (types["drone_attack"] | types["missile_strike"]) & confirmed & dates
    v = View.of(
        type=("drone_attack", "missile_strike"), confidence=("confirmed",), dates=DateSpan(start, None)
    )
    assert {i for i, k in zip(everything, combined, strict=True) if k} == set(
        curated_engine.drawn(v)[Col.EVENT_ID]
    )


SEARCHES = ["drone kyiv", "KYIV Drone", "Shahed", "shahed SHAHED", "kyi", "Київ", "zzqx", "general staff"]
"""Two words, capitals, a repeated word, a substring, Cyrillic (no bundled event has it), no match."""


@pytest.mark.parametrize("query", SEARCHES)
def test_a_search_by_the_pages_rule_on_the_sent_text_is_the_engines_search(curated_engine, everything, query):
    """The page keeps the events whose search text holds every word of `filters.words` (the
    rule `early_view.js` repeats; tests/e2e/test_early_view.py runs it in Chromium): on the
    text the engine holds, that is the engine's own text search."""
    texts = early_view.search_texts(curated_engine, everything)
    found = {
        i for i, text in zip(everything, texts, strict=True) if all(w in text for w in filters.words(query))
    }
    assert found == set(curated_engine.drawn(View.of(q=query))[Col.EVENT_ID])
    assert all(text == text.lower() for text in texts)


def _bars(figure: dict) -> dict[float, float]:
    """The counts chart's launched total per bin (its bars' x is the bin's first midnight)."""
    totals: dict[float, float] = {}
    for trace in figure["data"]:
        if trace.get("type") == "bar" and isinstance(trace.get("customdata"), list):
            for x, y in zip(early_view.plain(trace["x"]), early_view.plain(trace["y"]), strict=True):
                totals[x] = totals.get(x, 0) + y
    return {x: n for x, n in totals.items() if n}


@pytest.mark.parametrize(
    ("per", "what"), [("day", "all"), ("week", "all"), ("day", "drones"), ("week", "side")]
)
def test_the_events_parts_add_up_to_the_servers_bars_for_each_type(curated_engine, everything, per, what):
    whole = View.of(per=per, strikes=what)
    index = {i: n for n, i in enumerate(everything)}
    figure = json.loads(Sent.of(counts_figure(curated_engine.strikes(whole))).json)
    parts = early_view.strike_parts(curated_engine.drawn(View()), per, what)
    placed = early_view.counts_parts(figure, parts, index, per, what)
    assert placed is not None and placed["launched"]
    for kind in ("drone_attack", "missile_strike", "combined_strike"):
        members = early_view.option_sets(curated_engine, everything, "type", [kind])[kind]
        series = curated_engine.strikes(whole.with_filter("type", (kind,)))
        served = {} if series.empty else _bars(json.loads(Sent.of(counts_figure(series)).json))
        bars: dict[float, float] = {}
        xs = {t: early_view.plain(figure["data"][t]["x"]) for t, *_ in placed["launched"]}
        for t, n, e, value in placed["launched"]:
            if members[int(e)]:
                bars[xs[t][n]] = bars.get(xs[t][n], 0) + value
        assert {x: v for x, v in bars.items() if v} == served, kind


def test_strike_parts_are_the_engines_strikes_event_by_event(curated_engine):
    for per in ("day", "week"):
        for what in ("all", "drones", "missiles", "side"):
            parts = early_view.strike_parts(curated_engine.drawn(View()), per, what)
            frame = curated_engine.strikes(View.of(per=per, strikes=what)).frame
            summed = parts.groupby(["bin", "event_type", "side"], as_index=False)["launched"].sum()
            expected = frame.assign(bin=early_view.bin_starts(frame["bin"], "day"))
            merged = summed.merge(
                expected, on=["bin", "event_type", "side"], how="outer", suffixes=("", "_engine")
            )
            assert np.allclose(merged["launched"], merged["launched_engine"]), (per, what)
            assert len(merged) == len(frame)


def _early(at) -> dict:
    from timeline.ui.components import early_view as component

    found = [c for c in at.get("bidi_component") if c.proto.html_content == component.HTML]
    assert len(found) == 1
    return json.loads(found[0].proto.json)


def test_the_bundled_data_gets_the_early_view_with_what_is_chosen(monkeypatch):
    sent = _early(run_app(monkeypatch, type="drone_attack"))
    assert sent["model"]
    pills = sent["view"]["pills"]
    assert [p["chosen"] for p in pills.values() if p["chosen"]] == [["drone_attack"]]
    assert sent["view"]["total"] == 90


def test_a_search_is_sent_as_the_view_holds_it_and_not_as_a_set(monkeypatch):
    """The page decides the search's set itself: the other filters' set leaves it out."""
    from timeline.ui.components import early_view as component

    sent = _early(run_app(monkeypatch, q="  Drone KYIV ", type="drone_attack"))
    assert sent["view"]["search"] == {
        "key": widgets.key(component.SEARCH),
        "query": "Drone KYIV",
        "max": filters.MAX_QUERY_LENGTH,
    }
    assert sent["view"]["rest"] is None


def test_hostile_text_reaches_the_early_view_only_as_json_data(monkeypatch, tmp_path):
    """A hostile title's search text travels inside the packed model's JSON, as a string the
    page only searches in (`early_view.js` writes none of it), never in the component's HTML
    or the per-run state."""
    import base64
    import zlib

    from timeline.storage import store

    from conftest import frame, make_row

    hostile = '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a>'
    path = tmp_path / "events.parquet"
    store.append(path, frame(make_row(title=hostile)))
    sent = _early(run_app(monkeypatch, data=path, q="ONERROR"))  # `_early`: the HTML is constant
    model = json.loads(zlib.decompress(base64.b64decode(sent["model"])))
    assert [hostile.lower() in text for text in model["texts"]] == [True]
    assert "<img" not in json.dumps(sent["view"]) and sent["view"]["search"]["query"] == "ONERROR"


def test_a_dataset_above_the_threshold_is_sent_nothing_more(monkeypatch):
    from timeline.ui import page

    monkeypatch.setattr(page, "EARLY_MAX_EVENTS", 89)  # the bundled 90 events, as a large dataset
    sent = _early(run_app(monkeypatch))
    assert sent == {"model": "", "view": None}


def test_a_story_is_sent_no_early_view(monkeypatch):
    """A story's step sets the charts: a click on a pill leaves the story, for the server."""
    assert _early(run_app(monkeypatch, story="seed-article"))["view"] is None
