"""engine/spans.py: a view with dates reads only the parts its dates can touch, with the
same answers as a read of every part."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import test_engine_rollups as rolled
from timeline import view
from timeline.engine import spans
from timeline.storage import parts

from conftest import engine_on, parts_read, view_of

made, folder = rolled.made, rolled.folder  # the same folder of parts, read from its files
answers, assert_same = rolled.answers, rolled.assert_same

DATED = [
    {"from_": "2024-11-26", "to": "2024-11-26"},
    {"from_": "2024-11-01", "to": "2024-11-30", "country": "UKR"},
    {"from_": "2025-03-01", "q": "drone"},
    {"to": "2023-01-31", "min_count": "10"},
    {"from_": "2030-01-01", "country": "UKR"},  # after every part: nothing
]


@pytest.fixture
def narrowed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many parts each narrowed question read."""
    return parts_read(monkeypatch, spans, "within")


@pytest.mark.parametrize("params", DATED, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_a_dated_views_answers_read_from_its_parts_alone_are_every_parts(
    folder: Path, narrowed: list[int], monkeypatch: pytest.MonkeyPatch, params: dict
):
    ours = answers(folder, params)
    every = len(parts.read_manifest(folder).parts)
    assert narrowed and max(narrowed) < every
    with monkeypatch.context() as m:
        m.setattr(spans, "within", lambda *args: None)
        assert_same(ours, answers(folder, params))


def test_a_view_without_dates_reads_every_part_but_for_its_newest_rows(
    folder: Path, narrowed: list[int], monkeypatch: pytest.MonkeyPatch
):
    """Its count reads every part; its newest rows only the parts from the day of the
    `limit`-th newest on."""
    engine = engine_on(folder)
    v = view_of(engine, country="UKR")
    engine.count(v)
    assert narrowed == []
    newest = engine.newest(v, limit=7)
    assert narrowed and narrowed[-1] < len(parts.read_manifest(folder).parts)
    with monkeypatch.context() as m:
        m.setattr(spans, "within", lambda *args: None)
        rolled.backend("duckdb").forget()
        assert newest.equals(engine_on(folder).newest(v, limit=7))


def test_cards_rows_are_looked_for_in_the_views_parts_first_and_found_anywhere(
    folder: Path, narrowed: list[int]
):
    """A card's whole row, picked on a dated view: read from that view's parts; an event
    outside them (a selection kept from before) is still found, from every part."""
    engine = engine_on(folder)
    v = view_of(engine, from_="2024-11-25", to="2024-11-26")
    inside = list(engine.drawn(v)[rolled.Col.EVENT_ID][:2])
    rolled.backend("duckdb").forget()
    every = engine_on(folder).by_ids(inside)
    rolled.backend("duckdb").forget()
    narrowed.clear()
    near = engine_on(folder).by_ids(inside, near=v)
    assert narrowed and list(near[rolled.Col.EVENT_ID]) == inside
    pd.testing.assert_frame_equal(near, every)
    outside = engine.events(view_of(engine, to="2023-01-31"), limit=1)[rolled.Col.EVENT_ID].iloc[0]
    rolled.backend("duckdb").forget()
    mixed = engine_on(folder).by_ids([outside, *inside], near=v)
    assert list(mixed[rolled.Col.EVENT_ID]) == [outside, *inside]


def test_a_links_events_are_looked_for_in_the_parts_whose_ids_can_hold_them(
    folder: Path, monkeypatch: pytest.MonkeyPatch
):
    """`event=` in a link is checked on every rerun of a page with a selection: from the parts
    whose id statistics enclose it, with the answers of a read of every part: a known event
    opens, an unknown one is named in a warning; a card's rows are the same rows."""
    seen: list[int | None] = []
    real = spans.holding

    def spy(runner, source, ids):
        found = real(runner, source, ids)
        seen.append(None if found is None else len(found.files))
        return found

    monkeypatch.setattr(spans, "holding", spy)
    engine = engine_on(folder)
    v = view_of(engine, from_="2024-11-25", to="2024-11-26")
    picked = [i for i in engine.drawn(v)[rolled.Col.EVENT_ID] if i[:1].isdigit()][:2]  # curated ids
    params = {"event": [*picked, "2024-11-25-no-such-event"]}
    parsed, warnings = view.parse(params, engine.known())
    assert list(parsed.events) == picked
    assert any("no-such-event" in w for w in warnings)
    every = len(parts.read_manifest(folder).parts)
    assert seen and all(n is not None and n < every for n in seen)
    rows = engine_on(folder).by_ids(picked)
    with monkeypatch.context() as m:
        m.setattr(spans, "holding", lambda *args: None)
        rolled.backend("duckdb").forget()
        slow = engine_on(folder)
        assert [slow.has_event(i) for i in params["event"]] == [True, True, False]
        pd.testing.assert_frame_equal(rows, slow.by_ids(picked))
