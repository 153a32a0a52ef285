"""The query engine (DuckDB) on the bundled data and on synthetic sets, checked against the
pandas reference and against what the data says."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from timeline import synth
from timeline.domain import taxonomy
from timeline.domain.schema import Col, from_arrow
from timeline.engine import MAX_EVENTS, choose_bin, open_engine
from timeline.storage import parts, store

import reference
from conftest import CURATED, engine_on, frame, make_row, view_of


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return store.load(CURATED)


def ids(engine, v) -> set[str]:
    return set(engine.events(v, limit=10**6)[Col.EVENT_ID])


def test_no_filters_match_everything(curated_engine, events):
    assert curated_engine.match(view_of()).count == len(events) == curated_engine.summary.rows


def test_drone_attacks_in_november(curated_engine):
    v = view_of(curated_engine, type="drone_attack", from_="2024-11-01", to="2024-11-30")
    assert ids(curated_engine, v) == {
        "2024-11-10-ru-drone-attack-ua",
        "2024-11-24-ru-drone-attack-ua",
        "2024-11-25-ru-drone-attack-ua",
    }


def test_dates_match_by_overlap(curated_engine):
    # the October monthly total may have happened on any day of October
    assert "2024-10-01-ua-general-staff-october-drone-total" in ids(
        curated_engine, view_of(from_="2024-10-15", to="2024-10-20")
    )
    # an overnight attack that began on 25 Nov also matches a filter starting on the 26th
    assert "2024-11-25-ru-drone-attack-ua" in ids(curated_engine, view_of(from_="2024-11-26"))


def test_every_filter_agrees_with_the_pandas_reference(curated_engine, events):
    views = [
        view_of(country="PRK", min_count="10000"),
        view_of(curated_engine, actor="Rustem Umerov"),
        view_of(confidence="claimed"),
        view_of(q="UMEROV seoul"),
        view_of(q="Ternopil"),
        view_of(q="zzzz-no-such-word"),
        view_of(type=["visit", "call"], country=["UKR", "KOR"]),
        view_of(min_count="0"),
    ]
    for v in views:
        assert ids(curated_engine, v) == reference.ids(events, v), v


def test_missing_count_never_passes_min_count(curated_engine, events):
    matched = curated_engine.events(view_of(min_count="0"))
    assert matched[Col.COUNT].notna().all()
    assert len(matched) == events[Col.COUNT].notna().sum()


def test_relaxations_explain_an_empty_result(curated_engine, events):
    v = view_of(type="visit", country="UKR")
    assert curated_engine.match(v).count == 0
    hints = dict(curated_engine.relaxations(v))
    assert hints["countries"] == 1  # the one visit (Belousov to Pyongyang)
    assert hints["event types"] == reference.mask(events, view_of(country="UKR")).sum()


def test_summary_says_what_the_data_holds(curated_engine, events):
    s = curated_engine.summary
    assert s.first_day == events[Col.DATE_START].min().date()
    assert s.last_day == events[Col.DATE_END].max().date()
    assert s.type_counts == events[Col.EVENT_TYPE].value_counts().to_dict()
    assert s.countries[:2] == ("RUS", "UKR")
    flat = pd.Series([c for lst in events[Col.COUNTRIES] for c in set(lst)]).value_counts()
    assert s.counts["countries"]["UKR"] == flat["UKR"]
    assert s.datasets == ("curated",)


def test_as_of_ignores_the_far_end_of_coarse_dates(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(
        path,
        frame(
            make_row(event_id="night", date_start="2024-11-25", date_end="2024-11-26"),
            make_row(event_id="december", date_start="2024-12-01", date_end="2024-12-31",
                     date_precision="month", actors=["Y"]),
        ),
    )  # fmt: skip
    s = engine_on(path).summary
    assert s.last_day == date(2024, 12, 31)
    assert s.as_of == date(2024, 12, 1)  # 'December' does not make the data current to the 31st


def test_strikes_series_of_the_record_night(curated_engine):
    series = curated_engine.strikes(view_of(type="drone_attack", from_="2024-11-01", to="2024-11-30"))
    night = series.frame[series.frame["bin"] == pd.Timestamp("2024-11-25")].iloc[0]
    assert (night["launched"], night["intercepted"]) == (188, 76)
    assert series.strikes == 3 and series.left_out == 0


def test_monthly_totals_are_left_out_of_daily_counts(curated_engine, events):
    series = curated_engine.strikes(view_of(type="drone_attack"))
    monthly = events[(events[Col.EVENT_TYPE] == "drone_attack") & (events[Col.DATE_PRECISION] == "month")]
    assert series.left_out == monthly[Col.COUNT].notna().sum() > 0


def test_timeline_is_events_when_few_and_bins_when_many(synthetic_parts):
    root = synthetic_parts(MAX_EVENTS * 3, 3)
    engine = engine_on(root)
    few = engine.timeline(view_of(type="visit"))
    assert not few.aggregated and len(few.events) == few.count <= MAX_EVENTS
    many = engine.timeline(view_of(lanes="country"))
    assert many.aggregated and many.count == MAX_EVENTS * 3
    table = from_arrow(parts.scan(root))
    per_lane = many.bins.groupby("lane")["n"].sum()
    assert per_lane["UKR"] == table[Col.COUNTRIES].map(lambda c: "UKR" in c).sum()
    assert many.freq == choose_bin(table[Col.DATE_START].min().date(), table[Col.DATE_END].max().date())


def test_map_points_or_cells(curated_engine, synthetic_parts):
    data = curated_engine.map(view_of())
    assert data.points is not None and len(data.points) == data.located > 0
    root = synthetic_parts(MAX_EVENTS * 3, 3)
    engine = engine_on(root)
    cells = engine.map(view_of())
    assert cells.cells is not None and cells.cells["n"].sum() == cells.located > MAX_EVENTS


def test_newest_rows_and_cards(curated_engine, events):
    newest = curated_engine.newest(view_of(), limit=5)
    assert list(newest[Col.DATE_START]) == sorted(events[Col.DATE_START], reverse=True)[:5]
    (card,) = curated_engine.by_ids(["2024-11-25-ru-drone-attack-ua"]).itertuples()
    assert card.count == 188 and card.intercepted == 76 and "Ternopil" in card.summary


def test_partitioned_and_single_file_give_the_same_answers(tmp_path: Path):
    table = synth.generate(5_000, seed=9)
    single = tmp_path / "one.parquet"
    store.write_table_atomic(table, single)
    root = tmp_path / "parts"
    parts.create_from(root, table)
    a, b = engine_on(single), engine_on(root)
    for v in (view_of(), view_of(country="PRK", q="drone"), view_of(type="meeting", lanes="actor")):
        assert ids(a, v) == ids(b, v)
        assert a.strikes(v).frame.equals(b.strikes(v).frame)
    assert a.summary == b.summary


def test_a_new_version_is_seen_at_once(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(path, frame(make_row()))
    assert open_engine(path).summary.rows == 1
    store.append(path, frame(make_row(event_id="second", actors=["Somebody"])))
    assert open_engine(path).summary.rows == 2
    assert "Somebody" in open_engine(path).summary.actors


def test_strike_types_only_in_counts(curated_engine):
    series = curated_engine.strikes(view_of())
    assert set(series.frame["event_type"]) <= set(taxonomy.STRIKE_TYPES)


def test_a_view_met_again_is_answered_from_memory_until_the_data_changes(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(path, frame(make_row(event_id="first")))
    v = view_of()
    first = open_engine(path).newest(v)
    first.loc[:, Col.TITLE] = "scribbled on by a caller"  # a caller's copy, not the kept one
    again = open_engine(path).newest(v)
    assert list(again[Col.EVENT_ID]) == ["first"] and "scribbled" not in again.iloc[0][Col.TITLE]
    assert open_engine(path).match(v).count == 1
    store.append(path, frame(make_row(event_id="second")))
    assert open_engine(path).match(v).count == 2  # a new version is a new key
    assert set(open_engine(path).newest(v)[Col.EVENT_ID]) == {"first", "second"}


def test_frequencies_count_what_matches_beside_what_the_data_holds(curated_engine):
    from conftest import view_of

    held = curated_engine.summary.counts[str(Col.EVENT_TYPE)]
    assert curated_engine.frequencies(view_of(), Col.EVENT_TYPE) == held
    november = curated_engine.frequencies(view_of(from_="2024-11-01", to="2024-11-30"), Col.EVENT_TYPE)
    assert 0 < november["drone_attack"] < held["drone_attack"]
    assert sum(november.values()) == curated_engine.match(view_of(from_="2024-11-01", to="2024-11-30")).count


@pytest.mark.slow  # a dataset past the in-memory limit
def test_a_dataset_held_in_memory_answers_as_its_files_do(synthetic_parts, monkeypatch: pytest.MonkeyPatch):
    """Datasets up to HOLD_ROWS are copied into DuckDB's memory; larger ones are read from
    their files. Both paths give the same answers, for every chart, views kept or not."""
    from timeline.engine import backend, queries

    root = synthetic_parts(MAX_EVENTS * 3, 3)
    views = [
        view_of(),
        view_of(type=["drone_attack", "missile_strike"], lanes="country", per="week"),
        view_of(q="drone kharkiv", strikes="side"),
        view_of(country="PRK", min_count="10", lanes="actor"),
    ]

    def answers() -> list[object]:
        backend("duckdb").release()  # nothing kept: each path answers for itself
        engine = open_engine(root, "duckdb")
        out = []
        for v in views:
            match = engine.match(v)
            timeline = engine.timeline(v, match)
            shown = timeline.events if timeline.events is not None else timeline.bins
            out += [
                match,
                shown.sort_values(list(shown.columns[:2])).reset_index(drop=True).to_json(date_format="iso"),
                engine.strikes(v).frame.to_json(date_format="iso"),
                engine.map(v, match).total,
                list(engine.newest(v, 50)[Col.EVENT_ID]),
                engine.outlets(v).to_dict(),
            ]
        return out

    held = answers()
    assert backend("duckdb").holding, "the small dataset was held in memory"
    monkeypatch.setattr(queries, "HOLD_ROWS", 0)
    from_files = answers()
    assert not backend("duckdb").holding, "the files were read"
    assert held == from_files
    assert held[0].count == MAX_EVENTS * 3


def test_only_the_current_version_stays_in_memory(tmp_path: Path):
    """A long-running server meets a new version per edit: after five, DuckDB holds the view,
    the in-memory copy and the kept matches of the current one alone, and no answer of an old
    one is kept."""
    from timeline.engine import backend

    duckdb = backend("duckdb")
    path = tmp_path / "e.parquet"
    made: set[str] = set()
    for n in range(5):
        store.append(path, frame(make_row(event_id=f"event-{n}", title=f"Kyiv strike {n}")))
        engine = open_engine(path, "duckdb")
        v = view_of(engine, q="kyiv strike")  # a text search: its matches are kept in memory
        assert engine.match(v).count == n + 1
        assert set(engine.newest(v)[Col.EVENT_ID]) == {f"event-{i}" for i in range(n + 1)}
        made |= {name for key, name in duckdb.views.items() if key[0] == str(path)}
        made |= {name for key, name in duckdb.holding.items() if key[0] == str(path)}
        made |= {name for key, name in duckdb.tables.items() if key[0][0] == str(path)}
    current = engine.source.key
    with duckdb.lock:
        listed = duckdb.db.sql(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
        )
        present = {row[0] for row in listed.fetchall()}
    mine = {
        duckdb.views[current],
        duckdb.holding[current],
        *(name for key, name in duckdb.tables.items() if key[0] == current),
    }
    assert len(made) >= 3 * 5 - 2, "each version had its view, its copy and its kept matches"
    assert made & present == mine
    assert all(
        key[0] == current for key in duckdb._results if isinstance(key, tuple) and key[0][0] == str(path)
    )


def test_a_small_view_reads_its_rows_once_for_timeline_map_and_table(curated_engine):
    """A view drawn event by event asks for its rows once: the timeline, the map's points and
    the table share them, and the table's order is the one the engine's own query gives (the
    newest `limit` of a larger set come from a query: the same rows, in the same order)."""
    from timeline.engine import backend

    v = view_of(type=["drone_attack", "missile_strike", "statement"], lanes="country")
    match = curated_engine.match(v)
    asked = backend("duckdb").queries
    rows = curated_engine.timeline(v, match).events
    points = curated_engine.map(v, match).points
    table = curated_engine.newest(v, 1000)
    assert backend("duckdb").queries - asked == 1, "one read of the rows, shared"
    assert len(rows) == len(table) == match.count and len(points) == match.located
    assert set(points[Col.EVENT_ID]) <= set(rows[Col.EVENT_ID])
    picked = [str(rows[Col.EVENT_ID].iloc[0]), "2024-11-01-not-in-this-view"]
    assert curated_engine.matching_ids(v, picked) == {picked[0]}  # a card's "outside the filters"
    assert backend("duckdb").queries - asked == 1, "and from the same rows"
    few = curated_engine.newest(v, 5)  # fewer than match: the engine's query answers
    # the same newest rows in the same order (a count column with no gap in 5 rows is int64)
    pd.testing.assert_frame_equal(few, table.head(5), check_dtype=False)


@pytest.fixture
def shaped_sql(monkeypatch):
    """Each question run from SQL kept per shape: (the SQL and schema it ran with, the SQL and
    schema Ibis compiles for the expression built on the view's own kept copy)."""
    from timeline.engine import backends

    seen = []
    original = backends.DuckDBBackend.shaped_sql

    def recording(self, t, shape, build):
        found = original(self, t, shape, build)
        if found is not None:
            expr = build(t)
            seen.append((shape, found, (self._current().compile(expr), expr.schema())))
        return found

    monkeypatch.setattr(backends.DuckDBBackend, "shaped_sql", recording)
    return seen


def ask_everything(engine, v) -> None:
    match = engine.match(v)
    engine.timeline(v, match)
    engine.strikes(v)
    engine.map(v, match)
    engine.newest(v, limit=3)
    engine.outlets(v)
    engine.count(v)


def test_a_kept_views_questions_run_the_sql_ibis_compiles_for_them(curated_engine, shaped_sql):
    """A question on a view's kept copy runs SQL compiled once per shape with the copy's name
    put in: the very text (and schema) Ibis compiles for the copy itself, for every question of
    every view; views of shapes met before compile nothing, and their answers are their own."""
    engine, backend = curated_engine, curated_engine.backend
    backend.forget()
    views = [
        view_of(engine, type="drone_attack"),
        view_of(engine, type="missile_strike"),
        view_of(engine, type=["missile_strike", "statement"], per="week", strikes="side"),
        view_of(engine, country="UKR", per="week", strikes="side"),
        view_of(engine, q="drone", lanes="country"),
        view_of(engine, from_="2024-11-01", to="2024-11-30", strikes="drones"),
    ]
    compiled = []
    for v in views:
        ask_everything(engine, v)
        compiled.append(backend.compiled)
    assert len(shaped_sql) >= 5 * len(views)
    for _, ran, ibis_sql in shaped_sql:
        assert ran == ibis_sql
    assert compiled[1] == compiled[0] and compiled[3] == compiled[2]  # the same shapes again
    assert {shape[0] for shape, _, _ in shaped_sql} >= {"match", "events", "strikes", "outlets", "count"}
    drones = engine.strikes(views[0])
    missiles = engine.strikes(views[1])
    assert set(drones.frame["event_type"]) == {"drone_attack"}
    assert set(missiles.frame["event_type"]) == {"missile_strike"}


def test_a_large_kept_views_lanes_and_map_cells_run_the_sql_ibis_compiles(synthetic_parts, shaped_sql):
    """The same for a kept view of more than `MAX_EVENTS` events: counts per lane (type,
    country, actor) and the map's cells."""
    root = synthetic_parts(MAX_EVENTS * 3, 3)
    engine = engine_on(root)
    first, last = engine.summary.first_day, engine.summary.last_day
    for lanes in ("type", "country", "actor"):
        v = view_of(engine, from_=str(first), to=str(last - pd.Timedelta(days=1)), lanes=lanes)
        assert engine.timeline(v).aggregated
        engine.map(v)
    shapes = {shape[0] for shape, _, _ in shaped_sql}
    assert {"type lanes", "listed lanes", "map cells"} <= shapes
    for _, ran, ibis_sql in shaped_sql:
        assert ran == ibis_sql


def test_a_large_held_datasets_broad_views_are_filtered_per_question_from_sql_compiled_once(
    synthetic_parts, monkeypatch: pytest.MonkeyPatch
):
    """On a held dataset above `KEEP_HELD` rows a view of more than `KEEP_HELD_VIEW` events is
    not copied (the first view of a new engine too, asked before anything held the dataset):
    each question filters the held rows, from SQL compiled once per shape with the view's
    filter put in as a subquery. Every answer is the frame Ibis gives for the expression
    built on the filtered table; the table's newest rows are the newest; a second view of the
    same shapes compiles no question again. (The rollups switched off: they answer these
    views first, `test_engine_rollups.py`; this is the path of the views they cannot.)"""
    from test_engine_frames import assert_identical, in_order_of
    from timeline.engine import backends, queries, rollups

    root = synthetic_parts(MAX_EVENTS * 3, 3)
    monkeypatch.setattr(queries, "KEEP_HELD", 1000)
    monkeypatch.setattr(rollups, "ask", lambda *args: None)
    engine = engine_on(root)
    shaped = backends.DuckDBBackend.shaped
    answered = []

    def compared(self, t, shape, build):
        ours = shaped(self, t, shape, build)
        if ours is not None:
            assert_identical(ours, in_order_of(ours, build(t).to_pandas()))
            answered.append((shape[0], type(t.op()).__name__))
        return ours

    monkeypatch.setattr(backends.DuckDBBackend, "shaped", compared)
    first, last = engine.summary.first_day, engine.summary.last_day
    views = [
        view_of(engine, from_=str(first), to=str(last - pd.Timedelta(days=1)), per="week"),
        view_of(engine, from_=str(first + pd.Timedelta(days=1)), to=str(last), per="week"),
    ]
    compiled = []
    for v in views:
        assert engine.match(v).count > queries.KEEP_HELD_VIEW
        ask_everything(engine, v)
        with engine.backend.session():
            assert engine.backend.kept((engine.source.key, v.values, "all")) is None, "not copied"
        everything = (
            engine.rows(v)
            .to_pandas()
            .sort_values([str(Col.DATE_START), str(Col.EVENT_ID)], ascending=[False, True])
        )
        assert list(engine.newest(v, 40)[Col.EVENT_ID]) == list(everything[str(Col.EVENT_ID)][:40])
        compiled.append(engine.backend.compiled)
    assert compiled[1] == compiled[0], "the second view compiled no question"
    asked = {shape for shape, table in answered if table == "Filter"}
    assert {"match", "type lanes", "strikes", "map cells", "newest", "outlets", "count"} <= asked


def test_a_kept_answer_is_not_changed_by_what_a_caller_does_to_its_copy(curated_engine):
    """The timeline, the map and the table each change the rows they get (a column added, a
    value written, rows dropped): the next reader, and the next rerun, still get the engine's."""
    engine = curated_engine
    v = view_of(engine, type="drone_attack")
    before = engine.drawn(v)
    mine = engine.drawn(v)
    mine.loc[0, Col.TITLE] = "changed"
    mine["lane"] = "x"
    mine = mine.drop(index=[1])
    timeline = engine.timeline(v)
    timeline.events.loc[0, Col.EVENT_TYPE] = "call"
    series = engine.strikes(v)
    series.frame.loc[0, "launched"] = -1
    again = engine.drawn(v)
    pd.testing.assert_frame_equal(again, before)
    assert engine.timeline(v).events.loc[0, Col.EVENT_TYPE] == "drone_attack"
    assert engine.strikes(v).frame.loc[0, "launched"] > 0


def test_a_large_datasets_broad_view_is_counted_not_copied_and_thrown_away(monkeypatch: pytest.MonkeyPatch):
    """Read from its files, a view's matches are kept in memory when they are few enough; a
    broad view's were copied up to the limit and then thrown away (0.83 CPU s of a one-type
    filter change at 10 M events). Now they are counted first: a broad view is two
    statements (that count, then the match) and keeps nothing; a mid-sized one is kept for
    counting, a narrow one for drawing; every answer stays the files' own."""
    from timeline.engine import backend, queries

    monkeypatch.setattr(queries, "KEEP_FROM", 0)  # the 90 events count as a large dataset
    monkeypatch.setattr(queries, "HOLD_ROWS", 0)  # read from the file, not held in memory
    monkeypatch.setattr(queries, "KEEP_ROWS", 40)
    monkeypatch.setattr(queries, "MAX_EVENTS", 10)
    runner = backend("duckdb")
    runner.release()
    engine = engine_on(CURATED)
    views = {
        "broad": view_of(engine, from_="2024-01-01"),
        "mid": view_of(engine, type=["drone_attack", "missile_strike", "statement"]),
        "narrow": view_of(engine, type="drone_attack", from_="2024-11-01", to="2024-11-30"),
    }
    rows = store.load(CURATED)
    expected = {name: len(reference.ids(rows, v)) for name, v in views.items()}
    assert expected["broad"] > 40 and 10 < expected["mid"] <= 40 and expected["narrow"] <= 10

    def kept(v) -> list[str]:
        with engine.backend.session():
            return [
                k for k in ("events", "counts") if runner.kept((engine.source.key, v.values, k)) is not None
            ]

    asked = runner.queries
    assert engine.match(views["broad"]).count == expected["broad"]
    assert runner.queries - asked == 2, "a count that stops past the limit, then the match"
    assert kept(views["broad"]) == []
    assert engine.match(views["mid"]).count == expected["mid"] and kept(views["mid"]) == ["counts"]
    assert engine.match(views["narrow"]).count == expected["narrow"] and kept(views["narrow"]) == ["events"]
    assert set(engine.events(views["narrow"])[Col.EVENT_ID]) == {
        "2024-11-10-ru-drone-attack-ua",
        "2024-11-24-ru-drone-attack-ua",
        "2024-11-25-ru-drone-attack-ua",
    }
    runner.release()
