"""Incident mode in the engine (`engine/incidents.py`): the curated data plus the Air Force
tally of the 188-drone night, matched by `timeline match`, counts that night once."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline import view
from timeline.cli.main import app
from timeline.domain.schema import Col, IncidentCol
from timeline.engine import incidents
from timeline.export import downloads as exports
from timeline.storage import store

from conftest import AIR_FORCE_TALLY, CURATED, air_force_row, engine_on, frame, view_of

runner = CliRunner()
NIGHT = "2024-11-25-ru-drone-attack-ua"
TALLY = AIR_FORCE_TALLY
LONE = "af-2024-11-20-lone-tally-test"
DAY = view.DateSpan(date(2024, 11, 25), date(2024, 11, 25))


@pytest.fixture
def matched(tmp_path: Path) -> Path:
    """The curated file, the tally of the 188-drone night and a tally no one else reported,
    matched."""
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    lone = air_force_row(
        event_id=LONE, date_start="2024-11-20", date_end="2024-11-20", count=7, intercepted=2
    )
    store.append(path, frame(air_force_row(), lone), dataset="missile-attacks", create=False)
    assert runner.invoke(app, ["match", str(path)]).exit_code == 0
    return path


def curated_count(event_id: str) -> int:
    rows = store.load(CURATED).set_index(str(Col.EVENT_ID))
    return int(rows.loc[event_id, Col.COUNT])


def drones_launched(engine, v: view.View) -> int:
    series = engine.strikes(v.with_filter("dates", DAY)).frame
    return int(series[series["event_type"] == "drone_attack"]["launched"].sum())


def test_incidents_are_the_default_and_the_night_counts_once(matched: Path):
    engine = engine_on(matched)
    v = view_of(engine)
    assert v.get(view.REPORTS_KEY) == view.INCIDENTS
    every = view_of(engine, reports="all")
    assert engine.count(every) == engine.summary.rows
    assert engine.count(v) == engine.summary.rows - 1  # the tally joined the curated night
    night = curated_count(NIGHT)
    assert drones_launched(engine, v) == night
    assert drones_launched(engine, every) == 2 * night
    shown = set(engine.events(v.with_filter("dates", DAY))[Col.EVENT_ID])
    assert NIGHT in shown and TALLY not in shown


def test_incident_columns(matched: Path):
    engine = engine_on(matched)
    columns = incidents.stored(engine.source).frame.set_index(str(Col.EVENT_ID))
    for event_id in (NIGHT, TALLY):
        assert columns.loc[event_id, IncidentCol.INCIDENT] == NIGHT
        assert columns.loc[event_id, IncidentCol.REPORTS] == 2
        assert columns.loc[event_id, IncidentCol.SOURCES] == 2
        assert pd_na(columns.loc[event_id, IncidentCol.ONLY])
    assert columns.loc[NIGHT, IncidentCol.PRIMARY] and not columns.loc[TALLY, IncidentCol.PRIMARY]
    night = curated_count(NIGHT)
    assert (
        columns.loc[NIGHT, IncidentCol.COUNTS] == f"curated: {night} drones; Air Force: {night} drones"
    )  # precedence order
    assert set(columns.index) == {NIGHT, TALLY}  # only matched reports are joined; the rest are alone
    with engine.backend.session():
        t = engine.table()
        lone = t.filter(t[Col.EVENT_ID] == LONE).to_pandas().iloc[0]
    assert lone[IncidentCol.ONLY] == "missile-attacks" and lone[IncidentCol.PRIMARY]
    assert (
        lone[IncidentCol.INCIDENT] == LONE
        and lone[IncidentCol.REPORTS] == 1
        and lone[IncidentCol.SOURCES] == 1
    )


def pd_na(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def test_sources_and_only_filters(matched: Path):
    engine = engine_on(matched)
    both = set(engine.events(view_of(engine, sources="2"))[Col.EVENT_ID])
    assert both == {NIGHT}
    both_reports = set(engine.events(view_of(engine, sources="2", reports="all"))[Col.EVENT_ID])
    assert both_reports == {NIGHT, TALLY}
    only_af = set(engine.events(view_of(engine, only="missile-attacks"))[Col.EVENT_ID])
    assert only_af == {LONE}
    only_curated = engine.count(view_of(engine, only="curated"))
    assert only_curated == store.load(CURATED).shape[0] - 1  # every curated event but the shared night


def test_card_lists_every_report_of_the_incident(matched: Path):
    engine = engine_on(matched)
    for event_id in (NIGHT, TALLY):
        reports = incidents.reports_of(engine, event_id)
        assert list(reports[Col.EVENT_ID]) == [NIGHT, TALLY]  # the representative first
        assert list(reports[Col.DATASET]) == ["curated", "missile-attacks"]
    assert list(incidents.reports_of(engine, LONE)[Col.EVENT_ID]) == [LONE]


def test_exports_state_the_mode(matched: Path):
    engine = engine_on(matched)
    for v, words in (
        (view_of(engine), "incidents (each counted once)"),
        (view_of(engine, reports="all"), "every report"),
    ):
        texts = exports.default_texts(engine, v, engine.match(v))
        assert words in texts.subtitle


def test_stale_incidents_are_not_applied(matched: Path):
    store.append(matched, frame(air_force_row(event_id="af-later", date_start="2024-12-01", date_end="2024-12-01")),
                 dataset="missile-attacks", create=False)  # fmt: skip
    engine = engine_on(matched)
    found = incidents.stored(engine.source)
    assert found.exists and found.stale
    v, warnings = view.parse({}, engine.known())
    assert v.get(view.REPORTS_KEY) is None and warnings == []
    assert drones_launched(engine, v) == 2 * curated_count(NIGHT)  # every report, nothing merged
    _, warnings = view.parse({"reports": ["incidents"]}, engine.known())
    assert len(warnings) == 1 and "timeline match" in warnings[0]


def test_without_stored_incidents_every_report_is_its_own(tmp_path: Path):
    engine = engine_on(CURATED)
    assert not incidents.stored(engine.source).exists
    v = view_of(engine)
    assert v.get(view.REPORTS_KEY) is None
    assert engine.count(view_of(engine, sources="2")) == 0
    assert engine.count(view_of(engine, only="curated")) == engine.summary.rows


def test_export_command_refuses_incidents_it_does_not_have(tmp_path: Path):
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        ["export", "--data", str(CURATED), "--format", "csv", "--reports", "incidents", "--out", str(out)],
    )
    assert result.exit_code == 2 and "timeline match" in result.output
    assert not out.exists()


def test_large_datasets_keep_incident_views_in_memory(matched: Path, monkeypatch: pytest.MonkeyPatch):
    """A large dataset's filtered view is copied into DuckDB memory by SQL text (`_keep`): the
    incident columns must be a table that SQL can see, not only an Ibis memtable."""
    from timeline.engine import queries

    monkeypatch.setattr(queries, "KEEP_FROM", 0)  # every dataset counts as large
    monkeypatch.setattr(queries, "HOLD_ROWS", 0)  # and is read from its files, not held whole
    engine = engine_on(matched)
    v = view_of(engine, type="drone_attack")
    assert engine.match(v).count == engine.count(view_of(engine, type="drone_attack", reports="all")) - 1
    with engine.backend.session():
        assert engine.backend.kept((engine.source.key, v.values, "events")) is not None  # kept by SQL
    shown = set(engine.events(v)[Col.EVENT_ID])
    assert NIGHT in shown and TALLY not in shown


def test_a_new_match_is_seen_without_a_data_change(tmp_path: Path):
    """`timeline match` (or an editor's decision) changes no event; the engine's kept answers
    must still follow the stored incidents."""
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    store.append(path, frame(air_force_row()), dataset="missile-attacks", create=False)
    shared = view.View.of(sources=2)  # the same view (and cache key) before and after
    assert engine_on(path).count(shared) == 0  # not matched yet: every report alone
    assert runner.invoke(app, ["match", str(path)]).exit_code == 0
    assert engine_on(path).count(shared) == 2  # both reports of the night, not the answer kept from before


def test_a_new_match_drops_the_tables_of_old_ones(matched: Path):
    """A long-running app meets many matches: DuckDB keeps the incident columns of the current
    one and the one before, never every match it has read."""
    from timeline.engine import backend

    db = backend("duckdb").db

    def side_tables() -> set[str]:
        query = "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'incident_columns_%'"
        return {row[0] for row in db.execute(query).fetchall()}

    seen = []
    for km in ("10", "20", "30"):
        assert runner.invoke(app, ["match", str(matched), "--km", km]).exit_code == 0
        engine = engine_on(matched)
        assert engine.count(view_of(engine)) == engine.summary.rows - 1  # the new match is read
        seen.append(side_tables())
    assert len(seen[-1]) <= incidents.KEPT_TABLES
    assert seen[0] - seen[2], "the first match's table is still in DuckDB"
