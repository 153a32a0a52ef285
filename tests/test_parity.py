"""One view, several engines: DuckDB and a real local Spark give the same answers, and both
agree with the pandas reference (the in-memory path the engine replaced).

Spark runs in local mode in one session shared by every test here (it takes half a minute
to start). It needs Java: CI installs Debian's default-jre-headless; without Java the tests
skip locally and fail in CI (TIMELINE_REQUIRE_SPARK=1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from timeline import synth
from timeline.domain.schema import Col, from_arrow
from timeline.engine import Engine, backend, open_source
from timeline.storage import parts, store
from timeline.view import View

import reference
from conftest import CURATED, frame as store_frame, local_spark, view_of

pytestmark = pytest.mark.spark

VIEWS: dict[str, dict[str, str | list[str]]] = {
    "everything": {},
    "dates": {"from_": "2024-11-01", "to": "2024-11-30"},
    "from only": {"from_": "2024-12-01"},
    "to only": {"to": "2024-10-31"},
    "week and month events overlap a range": {"from_": "2024-10-15", "to": "2024-10-20"},
    "one type": {"type": "drone_attack"},
    "two types": {"type": ["drone_attack", "missile_strike"]},
    "country": {"country": "PRK"},
    "two countries": {"country": ["KOR", "UKR"]},
    "actor": {"actor": "Ukrainian Air Force"},
    "text": {"q": "kyiv"},
    "text, several words": {"q": "Umerov SEOUL"},
    "confidence": {"confidence": "claimed"},
    "min count": {"min_count": "100"},
    "dataset": {"dataset": "curated"},
    "type and dates": {"type": "drone_attack", "from_": "2024-11-01", "to": "2024-11-30"},
    "country and text": {"country": "UKR", "q": "drone"},
    "actor and type": {"actor": "Yoon Suk Yeol", "type": "meeting"},
    "confidence and min count": {"confidence": ["confirmed", "reported"], "min_count": "1000"},
    "country and dates": {"country": "RUS", "from_": "2024-12-01"},
    "text and dates": {"q": "missile", "from_": "2024-11-15", "to": "2024-11-30"},
    "empty: visit in Ukraine": {"type": "visit", "country": "UKR"},
    "empty: no such word": {"q": "zzzz-no-such-word"},
    "empty: nothing that large": {"min_count": "999999999"},
    "lanes by country": {"lanes": "country"},
    "lanes by actor": {"lanes": "actor", "type": ["meeting", "call"]},
    "counts per week": {"per": "week", "type": ["drone_attack", "combined_strike"]},
    "counts of drones": {"strikes": "drones"},
    "counts of missiles per week": {"strikes": "missiles", "per": "week"},
    "everything at once": {
        "type": "drone_attack",
        "country": "UKR",
        "confidence": "confirmed",
        "from_": "2024-11-01",
        "q": "drones",
        "min_count": "50",
    },
}
SYNTHETIC_VIEWS: dict[str, dict[str, str | list[str]]] = {
    "everything": {},
    "dates": {"from_": "2025-03-01", "to": "2025-03-31"},
    "week, month and year events overlap a range": {"from_": "2024-02-12", "to": "2024-02-13"},
    "two types": {"type": ["drone_attack", "missile_strike"]},
    "country": {"country": "PRK"},
    "actor": {"actor": "NATO"},
    "text": {"q": "kharkiv drone"},
    "min count and confidence": {"min_count": "300", "confidence": "confirmed"},
    "country and text, per week": {"country": "KOR", "q": "seoul", "per": "week"},
    "lanes by country": {"lanes": "country", "from_": "2026-01-01"},
    "lanes by actor": {"lanes": "actor", "type": "statement"},
    "empty": {"type": "visit", "min_count": "1"},
}


@pytest.fixture(scope="session")
def spark():
    return local_spark()


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("parity") / "synth"
    synth.write_parts(100_000, root, seed=11, say=lambda _: None)
    return root


@pytest.fixture(scope="session")
def synthetic_in_spark(spark, synthetic: Path) -> Path:
    """The 100,000 events, with Spark's view of their 137-odd Parquet parts cached in its
    memory once: each view's queries then read the same rows without reopening every part
    (a third of the JVM's time per view). The bundled-data and incident views still read
    Parquet in every query, as the product does."""
    spark.table(open_source(synthetic))
    spark.session_.catalog.cacheTable(spark.views[open_source(synthetic).key])
    return synthetic


_spark_answers: dict[tuple[tuple[str, str], str], dict[str, object]] = {}


def sparks(engine: Engine, v: View, params: dict[str, str | list[str]]) -> dict[str, object]:
    """Spark's answers to a view of a dataset, asked once per session: the 100,000 events'
    views that DuckDB answers both from memory and from its rollups are compared with the
    same answers (Spark's fixed cost is about 0.2 s a query, and "everything" collects every
    id)."""
    key = (engine.source.key, repr(sorted(params.items())))
    if key not in _spark_answers:
        _spark_answers[key] = answers(engine, v)
    return _spark_answers[key]


def engines(path: Path, spark) -> tuple[Engine, Engine]:
    source = open_source(path)
    return Engine(source, backend("duckdb")), Engine(source, spark)


def answers(engine: Engine, v: View) -> dict[str, object]:
    """Everything the page asks, in comparable form."""
    match = engine.match(v)
    out: dict[str, object] = {"match": match}
    if match.count:
        timeline = engine.timeline(v, match)
        if timeline.events is not None:
            out["ids"] = sorted(timeline.events[Col.EVENT_ID])
        else:
            # Only the ids are compared: the other 22 columns of every matching row (lists among
            # them) cost Spark 2-16 s a view of 100,000 events to collect for nothing.
            out["ids"] = sorted(engine.events(v, 10**7, [Col.EVENT_ID, Col.DATE_START])[Col.EVENT_ID])
            out["bins"] = _sorted(timeline.bins, ["lane", "bin"])
            out["lanes"] = timeline.lanes
        series = engine.strikes(v)
        out["strikes"] = _sorted(series.frame, ["bin", "event_type"])
        out["left out"] = (series.left_out, series.datasets)
        where = engine.map(v, match)
        out["map"] = (
            _sorted(where.cells, ["x", "y", "event_type"])
            if where.cells is not None
            else sorted(where.points[Col.EVENT_ID])
        )
        out["newest"] = list(engine.newest(v, limit=20)[Col.EVENT_ID])
        out["outlets"] = engine.outlets(v).to_dict()
    else:
        out["relaxations"] = engine.relaxations(v)
    return out


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.sort_values(keys).reset_index(drop=True)
    for name in out.columns:
        if pd.api.types.is_integer_dtype(out[name].dtype):
            out[name] = out[name].astype("Int64")
    return out


def assert_same(a: dict[str, object], b: dict[str, object], what: str) -> None:
    assert a.keys() == b.keys(), what
    for key in a:
        left, right = a[key], b[key]
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=f"{what}: {key}")
        else:
            assert left == right, f"{what}: {key}"


@pytest.mark.parametrize("name", list(VIEWS))
def test_bundled_data_same_on_duckdb_spark_and_pandas(name: str, spark):
    duck, sparked = engines(CURATED, spark)
    v = view_of(duck, **VIEWS[name])
    a, b = answers(duck, v), answers(sparked, v)
    assert_same(a, b, name)
    events = store.load(CURATED)
    assert set(a.get("ids", [])) == reference.ids(events, v), name


@pytest.mark.parametrize("name", list(SYNTHETIC_VIEWS))
def test_100k_synthetic_events_same_on_duckdb_spark_and_pandas(name: str, spark, synthetic_in_spark: Path):
    duck, sparked = engines(synthetic_in_spark, spark)
    v = view_of(duck, **SYNTHETIC_VIEWS[name])
    a, b = answers(duck, v), sparks(sparked, v, SYNTHETIC_VIEWS[name])
    assert_same(a, b, name)
    events = _frame(synthetic_in_spark)
    assert set(a.get("ids", [])) == reference.ids(events, v), name


def test_summaries_agree(spark, synthetic: Path):
    for path in (CURATED, synthetic):
        duck, sparked = engines(path, spark)
        assert duck.summary == sparked.summary
    # the footer stats of a partitioned dataset say what a query over its rows says
    source = open_source(synthetic)
    from_footers = Engine(source, backend("duckdb")).summary
    queried = Engine(source.__class__(**{**source.__dict__, "partitioned": False}), backend("duckdb"))
    assert from_footers == queried._compute_summary()


_frames: dict[Path, pd.DataFrame] = {}


def _frame(root: Path) -> pd.DataFrame:
    if root not in _frames:
        _frames[root] = from_arrow(parts.scan(root))
    return _frames[root]


INCIDENT_VIEWS = {
    "incidents (default)": {},
    "every report": {"reports": "all"},
    "two or more sources": {"sources": "2"},
    "only the Air Force": {"only": "missile-attacks"},
}


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled data with an Air Force tally of the 188-drone night, matched by `timeline
    match`: made once, each incident view reads the same files (and Spark the same view)."""
    from typer.testing import CliRunner

    from timeline.cli.main import app

    from conftest import air_force_row

    path = tmp_path_factory.mktemp("incidents") / "events.parquet"
    shutil.copy(CURATED, path)
    store.append(path, store_frame(air_force_row()), dataset="missile-attacks", create=False)
    assert CliRunner().invoke(app, ["match", str(path)]).exit_code == 0
    return path


@pytest.mark.parametrize("name", list(INCIDENT_VIEWS))
def test_incident_mode_same_on_duckdb_and_spark(name: str, spark, matched: Path):
    """The incident columns join the same way on both engines (engine/incidents.py)."""
    duck, sparked = engines(matched, spark)
    v = view_of(duck, **INCIDENT_VIEWS[name])
    assert_same(answers(duck, v), answers(sparked, v), name)


ROLLED_VIEWS: dict[str, dict[str, str | list[str]]] = {
    "everything": SYNTHETIC_VIEWS["everything"],
    "two types": SYNTHETIC_VIEWS["two types"],
    "one type, a quarter, per week": {
        "type": "drone_attack",
        "from_": "2025-01-01",
        "to": "2025-03-31",
        "per": "week",
    },
    "claimed, by side": {"confidence": "claimed", "strikes": "side"},
    "country and text, per week (scanned)": SYNTHETIC_VIEWS["country and text, per week"],
}
"""Views the rollups answer, and one they cannot; those also asked above share Spark's
answers with the views above."""


@pytest.mark.parametrize("name", list(ROLLED_VIEWS))
def test_duckdbs_answers_from_rollups_and_fewer_parts_are_sparks(
    name: str, spark, synthetic_in_spark: Path, monkeypatch: pytest.MonkeyPatch
):
    """DuckDB reading the 100,000 events from their files, as above `HOLD_ROWS`: its rollups
    and date-narrowed parts give Spark's answers (Spark scans)."""
    from timeline.engine import queries, rollups

    monkeypatch.setattr(queries, "HOLD_ROWS", 0)
    backend("duckdb").release()  # not the copy an earlier test held in memory
    rolled: list[str] = []
    real = rollups.ask

    def spy(*args: object) -> object:
        found = real(*args)
        if found is not None:
            rolled.append(str(args[4]))
        return found

    monkeypatch.setattr(rollups, "ask", spy)
    duck, sparked = engines(synthetic_in_spark, spark)
    v = view_of(duck, **ROLLED_VIEWS[name])
    a = answers(duck, v)
    assert bool(rolled) == ("scanned" not in name), name
    assert_same(a, sparks(sparked, v, ROLLED_VIEWS[name]), name)
