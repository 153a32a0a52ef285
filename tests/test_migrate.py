"""`timeline migrate`: a schema v1 file becomes v2 by rules, never by a silent guess."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import V1_ADDED, Col
from timeline.storage import store

from conftest import frame, make_row

runner = CliRunner()


def v1_file(tmp_path: Path, *rows: dict) -> Path:
    """Rows written as a v1 dataset: the v2 columns dropped, version 1 in the metadata."""
    v2 = tmp_path / "v2.parquet"
    store.append(v2, frame(*rows), create=True)
    table = pq.read_table(v2).drop_columns([str(c) for c in V1_ADDED])
    table = table.replace_schema_metadata({b"timeline.schema_version": b"1"})
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    return path


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return v1_file(
        tmp_path,
        make_row(event_id="2024-11-25-ru-drone-attack-ua", dataset="curated"),  # the id says who: ru
        make_row(event_id="af-2024-11-25-shahed", dataset="missile-attacks", actors=["Air Force"]),
        make_row(event_id="strike-in-x", countries=["UKR", "RUS"], actors=["Unnamed"], dataset="curated"),
        make_row(
            event_id="a-meeting",
            event_type="meeting",
            count=None,
            intercepted=None,
            count_unit=None,
            actors=["Someone"],
            dataset="curated",
        ),
    )


def test_a_v1_file_is_refused_with_the_command_to_run(old: Path):
    with pytest.raises(store.DatasetError, match=f"timeline migrate {old}"):
        store.load(old)
    result = runner.invoke(app, ["stats", str(old)])
    assert result.exit_code == 1 and f"timeline migrate {old}" in result.stderr


def test_undecided_strikes_are_listed_and_nothing_is_written(old: Path):
    before = old.read_bytes()
    result = runner.invoke(app, ["migrate", str(old)])
    assert result.exit_code == 1
    assert "strike-in-x: 'Test drone attack' (countries UKR, RUS)" in result.stderr
    assert "1 strike(s) name no launching side" in result.stderr
    assert old.read_bytes() == before


def test_decisions_settle_them_and_the_file_becomes_v2(old: Path, tmp_path: Path):
    decisions = tmp_path / "decide.csv"
    decisions.write_text("event_id,initiator_countries\nstrike-in-x,UKR\n")
    result = runner.invoke(app, ["migrate", str(old), "--decide", str(decisions)])
    assert result.exit_code == 0, result.output
    assert "1 row(s): curated id names the acting country" in result.stdout
    assert "1 row(s): Air Force tallies: launched by Russia" in result.stdout
    df = store.load(old).set_index(str(Col.EVENT_ID))
    assert list(df.loc["2024-11-25-ru-drone-attack-ua", Col.INITIATOR_COUNTRIES]) == ["RUS"]
    assert list(df.loc["af-2024-11-25-shahed", Col.INITIATOR_COUNTRIES]) == ["RUS"]
    assert list(df.loc["strike-in-x", Col.INITIATOR_COUNTRIES]) == ["UKR"]
    assert list(df.loc["a-meeting", Col.INITIATOR_COUNTRIES]) == []  # optional: not guessed
    assert (df[Col.GEO_PRECISION] == 1).all()  # every row had coordinates
    assert pq.read_metadata(old).schema.to_arrow_schema().metadata[b"timeline.schema_version"] == b"2"
    assert store.backup_path(old).exists()


def test_a_bad_decision_file_is_refused(old: Path, tmp_path: Path):
    decisions = tmp_path / "decide.csv"
    decisions.write_text("event_id,initiator_countries\nstrike-in-x,Ukraine\n")
    result = runner.invoke(app, ["migrate", str(old), "--decide", str(decisions)])
    assert result.exit_code == 1 and "line 2, strike-in-x: 'Ukraine'" in result.stderr


def test_a_v2_file_needs_no_migration(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(path, frame(make_row()), create=True)
    result = runner.invoke(app, ["migrate", str(path)])
    assert result.exit_code == 1 and "not a schema v1 dataset" in result.stderr
    assert isinstance(pq.read_table(path), pa.Table)
