"""engine/rollups.py: a view answered from the rollups beside a folder's parts gets exactly
the answers a scan of the parts gives (match, counts, sidebar counts, timeline squares,
strike series, map cells, the table's newest rows, sources), also after the dataset changed;
a view or a dataset the rollups cannot answer is scanned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from timeline import synth
from timeline.domain.schema import Col, from_arrow
from timeline.engine import backend, queries, rollups, words
from timeline.storage import parts, rollups as stored, store

from conftest import CURATED, engine_on, frame, make_row, view_of

ANSWERED = [
    {},
    {"type": "drone_attack"},
    {"type": ["drone_attack", "missile_strike"], "per": "week"},
    {"type": "missile_strike", "strikes": "side"},
    {"from_": "2024-11-26", "to": "2024-11-26"},  # cuts events spanning the night
    {"from_": "2024-10-01", "to": "2024-12-31", "strikes": "drones", "per": "week"},
    {"from_": "2025-03-01"},
    {"confidence": "claimed", "strikes": "missiles"},
    {"dataset": "curated", "type": "drone_attack"},
    {
        "type": "drone_attack",
        "confidence": ["confirmed", "reported"],
        "from_": "2024-06-01",
        "to": "2025-06-30",
    },
    {"type": "statement"},  # no strikes at all
    {"from_": "2030-01-01"},  # nothing
]
SCANNED = [
    {"country": "UKR"},
    {"q": "d.c."},  # not a word the index answers (engine/words.py)
    {"min_count": "100"},
    {"type": "drone_attack", "lanes": "country"},  # the type is answered, not the country lanes
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The curated events and 2,000 synthetic ones (weekly and monthly dates, null counts,
    sides) in a folder of parts, written once for the module."""
    root = tmp_path_factory.mktemp("rollups") / "events"
    table = pa.concat_tables([store.read_schema_table(CURATED), synth.generate(2000, seed=3, first_id=10**6)])
    parts.create_from(root, table)
    return root


def read_from_files(made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of `made` (tests change it), read from its files; `MAX_EVENTS` small, so that
    views are drawn as squares and map cells, as at 10 M."""
    monkeypatch.setattr(queries, "HOLD_ROWS", 0)
    monkeypatch.setattr(queries, "MAX_EVENTS", 40)
    root = tmp_path / "events"
    shutil.copytree(made, root)
    return root


@pytest.fixture
def folder(made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return read_from_files(made, tmp_path, monkeypatch)


@pytest.fixture
def used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which rollup answered each question asked (its kind), in order."""
    seen: list[str] = []
    real = rollups.ask

    def spy(runner, source, rows, v, kind, shape, build):
        found = real(runner, source, rows, v, kind, shape, build)
        if found is not None:
            seen.append(kind)
        return found

    monkeypatch.setattr(rollups, "ask", spy)
    return seen


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns)).reset_index(drop=True) if len(df.columns) else df


def answers(root: Path, params: dict) -> dict[str, object]:
    """Everything the page asks of a view, met for the first time, as comparable values."""
    backend("duckdb").forget()
    engine = engine_on(root)
    v = view_of(engine, **params)
    match = engine.match(v)
    timeline = engine.timeline(v, match)
    strikes = engine.strikes(v)
    places = engine.map(v, match)
    return {
        "match": match,
        "count": engine.count(v),
        "frequencies": [engine.frequencies(v, c) for c in (Col.EVENT_TYPE, Col.CONFIDENCE, Col.DATASET)],
        "timeline": (timeline.count, timeline.freq, timeline.lanes, None if timeline.bins is None else _sorted(timeline.bins)),
        "timeline events": None if timeline.events is None else list(timeline.events[Col.EVENT_ID]),
        "strikes": (strikes.strikes, strikes.left_out, strikes.datasets, strikes.per, strikes.what),
        "strike series": strikes.frame,
        "map": (places.total, places.located, None if places.cells is None else _sorted(places.cells)),
        "map points": None if places.points is None else list(places.points[Col.EVENT_ID]),
        "newest": engine.newest(v, limit=7),
        "outlets": engine.outlets(v),
    }  # fmt: skip


def assert_same(ours: dict[str, object], scanned: dict[str, object]) -> None:
    for name, found in ours.items():
        expected = scanned[name]
        if isinstance(found, pd.DataFrame):
            pd.testing.assert_frame_equal(found, expected, obj=name)
        elif isinstance(found, pd.Series):
            pd.testing.assert_series_equal(found, expected, obj=name)
        elif isinstance(found, tuple) and any(isinstance(x, pd.DataFrame) for x in found):
            for a, b in zip(found, expected, strict=True):
                if isinstance(a, pd.DataFrame):
                    pd.testing.assert_frame_equal(a, b, obj=name)
                else:
                    assert a == b, name
        else:
            assert found == expected, name


_scans: dict[tuple[object, ...], dict[str, object]] = {}


def scanned(
    monkeypatch: pytest.MonkeyPatch, root: Path, params: dict, *, index: bool = True
) -> dict[str, object]:
    """The same answers with the rollups switched off (and the word index, `index=False`):
    every question scans the parts.

    A scan's answers follow from the parts' rows alone, and a part's file is never changed,
    only replaced by one of a new name: they are computed once per module for each set of
    parts, view and engine limits, and read again by the tests that compare another copy of
    the same parts (a rollup or index removed, copied over another's, or merged) with them."""
    listed = tuple(p.path for p in parts.read_manifest(root).parts)
    limits = (queries.HOLD_ROWS, queries.MAX_EVENTS, queries.KEEP_HELD, queries.KEEP_HELD_VIEW)
    key = (listed, limits, index, repr(sorted(params.items())))
    if key not in _scans:
        with monkeypatch.context() as m:
            m.setattr(rollups, "ask", lambda *args: None)
            if not index:
                m.setattr(words, "matches", lambda *args: None)
            _scans[key] = answers(root, params)
    return _scans[key]


@pytest.mark.parametrize(
    "params", ANSWERED, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "all"
)
def test_a_views_answers_from_rollups_are_the_scans(folder, used, monkeypatch, params):
    ours = answers(folder, params)
    assert used, "the rollups answered nothing"
    assert {"days", "outlets"} <= set(used)
    assert_same(ours, scanned(monkeypatch, folder, params))


def test_the_views_checked_draw_squares_and_cells_and_sum_strikes(folder, used):
    """The parametrised views reach what the rollups answer at 10 M: squares per bin, map
    cells, strike series, and newest rows found from the rollup's days."""
    found = answers(folder, {"type": ["drone_attack", "missile_strike"]})
    assert found["timeline"][3] is not None and found["timeline"][3]["n"].sum() == found["match"].count
    assert found["map"][2] is not None and found["map"][2]["n"].sum() == found["match"].located
    assert found["strikes"][0] > 100 and len(found["newest"]) == 7
    assert set(used) == {"days", "cells", "outlets"}


@pytest.mark.parametrize("params", SCANNED, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_a_filter_on_another_column_is_scanned_with_the_same_answers(folder, used, monkeypatch, params):
    ours = answers(folder, params)
    if "lanes" not in params:
        assert used == []  # no question of this view could be answered from a rollup
    assert_same(ours, scanned(monkeypatch, folder, params))


def test_a_changed_dataset_is_answered_from_its_new_parts_rollups(folder, used, monkeypatch):
    """Rows appended, then one changed (its part rewritten): each version's answers are its own
    scan's, and the rewritten part's old rollups are gone with it."""
    params = {"type": "drone_attack", "from_": "2024-11-20", "to": "2024-11-30"}
    before = answers(folder, params)
    rows = [make_row(event_id=f"2024-11-2{i}-late-drone-{i}", date_start=f"2024-11-2{i}", date_end=f"2024-11-2{i}")
            for i in range(5, 9)]  # fmt: skip
    parts.append(folder, frame(*rows))
    appended = answers(folder, params)
    assert appended["match"].count == before["match"].count + 4
    assert_same(appended, scanned(monkeypatch, folder, params))

    changed = from_arrow(parts.rows_with(folder, pa.array([rows[0][Col.EVENT_ID]])))
    changed[str(Col.CONFIDENCE)] = "claimed"
    changed[str(Col.COUNT)] = 999
    result = parts.upsert(folder, changed, dataset="curated")
    assert result.changed == 1
    used.clear()
    after = answers(folder, params)
    assert used and after["match"].count == appended["match"].count
    assert after["strike series"]["launched"].sum() != appended["strike series"]["launched"].sum()
    assert_same(after, scanned(monkeypatch, folder, params))
    listed = {p.path for p in parts.read_manifest(folder).parts}
    for kind in stored.KINDS:
        on_disk = {p.relative_to(folder / stored.FOLDER / stored.FORMAT / kind).as_posix()
                   for p in (folder / stored.FOLDER / stored.FORMAT / kind).rglob("*.parquet")}  # fmt: skip
        assert on_disk == listed


def test_a_part_without_rollups_leaves_its_version_scanned(folder, used, monkeypatch):
    """A part written before rollups existed: nothing is answered from the others' rollups,
    until `write_missing` rolls it up."""
    part = parts.read_manifest(folder).parts[0].path
    stored.path_of(folder, part, "days").unlink()
    params = {"type": "drone_attack"}
    assert_same(answers(folder, params), scanned(monkeypatch, folder, params))
    assert used == []
    assert stored.write_missing(folder) == 1
    assert_same(answers(folder, params), scanned(monkeypatch, folder, params))
    assert "days" in used


def test_a_rollup_not_made_from_its_part_is_not_read(folder, used, monkeypatch):
    """Rollups whose rows do not add up to the parts' (one copied over another part's) are
    never answered from."""
    listed = parts.read_manifest(folder).parts
    big, other = sorted(listed, key=lambda p: -p.rows)[:2]
    shutil.copy(stored.path_of(folder, big.path, "days"), stored.path_of(folder, other.path, "days"))
    params = {"type": "drone_attack"}
    assert_same(answers(folder, params), scanned(monkeypatch, folder, params))
    assert used == []


@pytest.fixture
def held(made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of that folder held in DuckDB's memory (as 1 M events are), with `KEEP_HELD`
    lowered below its rows (its views are not all copied first, as at 1 M)."""
    monkeypatch.setattr(queries, "KEEP_HELD", 500)
    monkeypatch.setattr(queries, "KEEP_HELD_VIEW", 40)
    monkeypatch.setattr(queries, "MAX_EVENTS", 40)
    root = tmp_path / "events"
    shutil.copytree(made, root)
    return root


@pytest.mark.parametrize(
    "params", ANSWERED + SCANNED, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()) or "all"
)
def test_a_held_datasets_answers_from_rollups_are_its_tables(held, used, monkeypatch, params):
    """The rollup and the held table give the same counts, squares, strikes, cells, newest
    rows and sources for the same view."""
    ours = answers(held, params)
    engine = engine_on(held)
    with engine.backend.session():
        assert engine.backend.held(engine.source.key) is not None, "the dataset is not held"
    if params in ANSWERED:
        assert {"days", "outlets"} <= set(used)
    assert_same(ours, scanned(monkeypatch, held, params))


def test_a_dataset_read_from_its_files_answers_from_sql_compiled_once(folder, monkeypatch):
    """A view of a dataset read from its parts, met first, is answered from SQL compiled once
    per question's shape, with the view's filter compiled once for every table it filters
    (the parts and each rollup): every answer is the frame Ibis gives for the expression
    built on the filtered table, and a second view of the same shapes compiles no question
    and one filter."""
    from test_engine_frames import assert_identical, in_order_of
    from timeline.engine import backends

    shaped = backends.DuckDBBackend.shaped
    answered = []

    def compared(self, t, shape, build):
        ours = shaped(self, t, shape, build)
        assert_identical(ours, in_order_of(ours, build(t).to_pandas()))
        answered.append(shape[0])
        return ours

    monkeypatch.setattr(backends.DuckDBBackend, "shaped", compared)
    runner = backend("duckdb")
    # the process's backend, shared with the tests before: its kept filters may be full
    # (`KEPT_FILTERS`), and a new one would then push out an old one instead of adding one
    monkeypatch.setattr(runner, "wheres", type(runner.wheres)())
    counted = []
    for params in ({"type": "drone_attack", "lanes": "country"}, {"type": "statement", "lanes": "country"}):
        answers(folder, params)  # drops what the view before kept, the compiled SQL stays
        counted.append((runner.compiled, len(runner.wheres)))
    assert {"listed lanes", "rollup"} <= set(answered)  # the parts' and the rollups'
    assert counted[1][0] == counted[0][0], "the second view compiled no question"
    assert counted[1][1] == counted[0][1] + 1, "and its filter once, for the parts and every rollup"


def test_a_held_datasets_rollup_questions_are_compiled_once(held, used):
    """A second view of the same shape asks the rollups from the SQL the first compiled."""
    answers(held, {"type": "drone_attack"})
    runner = backend("duckdb")
    compiled = runner.compiled
    answers(held, {"type": "missile_strike"})
    assert used and runner.compiled == compiled


def test_a_small_held_dataset_or_spark_does_not_read_rollups(tmp_path, used, monkeypatch):
    root = tmp_path / "events"
    parts.create_from(root, store.read_schema_table(CURATED))  # 90 events: each view copied
    answers(root, {"type": "drone_attack"})
    assert used == []
    assert rollups.tables(type("Spark", (), {"name": "spark"})(), engine_on(root).source, 90) is None


def test_merged_rollups_give_the_same_answers_through_appends_and_changes(folder, used, monkeypatch):
    """`timeline compact` merges every part's rollups into one file per kind (what the first
    chart reads): its answers are the scan's; an appended part is read from its own rollup
    beside it; after a part is rewritten the merged file is left unused (it names a part
    that is gone) until the next compact merges again."""
    root = folder / stored.FOLDER / stored.FORMAT

    def read(kind: str) -> list[Path]:
        source = engine_on(folder).source
        found = stored.files(folder, [p.relative_to(folder).as_posix() for p in source.files])
        return found[kind]

    listed = parts.read_manifest(folder).parts
    assert stored.write_missing(folder) == 0
    assert [p.parent.name for p in read("days")] == [stored.MERGED]
    for params in (ANSWERED[0], ANSWERED[1], {"type": ["drone_attack", "missile_strike"]}):
        assert_same(answers(folder, params), scanned(monkeypatch, folder, params))
    assert {"days", "cells", "outlets"} <= set(used)

    params = {"type": "drone_attack", "from_": "2024-11-20", "to": "2024-11-30"}
    rows = [make_row(event_id="2024-11-27-late-drone", date_start="2024-11-27", date_end="2024-11-27")]
    parts.append(folder, frame(*rows))
    cells = read("cells")
    assert cells[0].parent.name == stored.MERGED and len(cells) == 2
    assert_same(answers(folder, params), scanned(monkeypatch, folder, params))

    merged_part = next(p for p in listed if "month=11" in p.path and "year=2024" in p.path)
    event = pq.read_table(folder / merged_part.path, columns=[str(Col.EVENT_ID)]).column(0)[0]
    changed = from_arrow(parts.rows_with(folder, pa.array([event])))
    changed[str(Col.TITLE)] = "A title changed after the merge"
    assert parts.upsert(folder, changed, dataset=str(changed[str(Col.DATASET)].iloc[0])).changed == 1
    assert stored.MERGED not in {p.parent.name for p in read("days")}
    assert len(read("days")) == len(parts.read_manifest(folder).parts)  # each part's own
    used.clear()
    after = answers(folder, params)
    assert "days" in used
    assert_same(after, scanned(monkeypatch, folder, params))
    stored.write_missing(folder)
    assert len(list((root / "days" / stored.MERGED).glob("*.parquet"))) == 1
    assert_same(answers(folder, params), scanned(monkeypatch, folder, params))
