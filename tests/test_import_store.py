"""store.upsert: the write path of `timeline import` (add new ids, update changed, keep the rest)."""

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline.cli import importing as command
from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.domain.validation import ValidationFailed, validate
from timeline.importers import pipeline
from timeline.importers.base import Options
from timeline.storage import parts, store

from conftest import checked, make_row


def rows(*overrides: dict) -> pd.DataFrame:
    df, problems = checked(*[make_row(**o) for o in overrides])
    assert problems == []
    return df


def test_first_import_creates_file_with_dataset_label(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    result = store.upsert(path, rows({"event_id": "a-1"}, {"event_id": "a-2"}), dataset="acled")
    assert (result.added, result.changed, result.unchanged, result.total) == (2, 0, 0, 2)
    assert result.written and result.backup is None
    df = store.load(path)
    assert df[Col.EVENT_ID].tolist() == ["a-1", "a-2"]
    assert (df[Col.DATASET] == "acled").all()


def test_same_rows_again_change_nothing_and_do_not_rewrite(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    store.upsert(path, rows({"event_id": "a-1"}), dataset="acled")
    before = path.read_bytes()
    again = store.upsert(path, rows({"event_id": "a-1"}), dataset="acled")
    assert (again.added, again.changed, again.unchanged) == (0, 0, 1)
    assert not again.written
    assert path.read_bytes() == before


def test_changed_row_is_replaced_and_reported(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    store.upsert(path, rows({"event_id": "a-1"}, {"event_id": "a-2"}), dataset="acled")
    result = store.upsert(path, rows({"event_id": "a-1", "count": 190}, {"event_id": "a-3"}), dataset="acled")
    assert (result.added, result.changed, result.unchanged, result.total) == (1, 1, 0, 3)
    assert [(c.column, c.old, c.new) for c in result.diff.changed["a-1"]] == [("count", "188", "190")]
    df = store.load(path).set_index(str(Col.EVENT_ID))
    assert df.loc["a-1", Col.COUNT] == 190
    assert sorted(df.index) == ["a-1", "a-2", "a-3"]  # a-2 was not in the second file: kept
    assert result.backup == store.backup_path(path)


def test_dry_run_reports_but_writes_nothing(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    store.upsert(path, rows({"event_id": "a-1"}), dataset="acled")
    before = path.read_bytes()
    result = store.upsert(path, rows({"event_id": "a-1", "title": "New title"}, {"event_id": "a-2"}),
                          dataset="acled", dry_run=True)  # fmt: skip
    assert (result.added, result.changed) == (1, 1) and not result.written
    assert path.read_bytes() == before


def test_dry_run_creates_no_folder_lock_or_file(tmp_path: Path):
    path = tmp_path / "new" / "imported.parquet"
    result = store.upsert(path, rows({"event_id": "a-1"}), dataset="acled", dry_run=True)
    assert result.added == 1 and not result.written
    assert list(tmp_path.iterdir()) == []

    store.upsert(path, rows({"event_id": "a-1"}), dataset="acled")
    store.lock_path(path).unlink()  # as on a fresh checkout: no lock file yet
    before = sorted(path.parent.iterdir())
    store.upsert(path, rows({"event_id": "a-2"}), dataset="acled", dry_run=True)
    assert sorted(path.parent.iterdir()) == before


def test_changed_rows_are_listed_by_id(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    store.upsert(path, rows({"event_id": "a-1"}, {"event_id": "a-2"}, {"event_id": "a-3"}), dataset="acled")
    result = store.upsert(
        path,
        rows(
            {"event_id": "a-3", "count": 190},
            {"event_id": "a-2", "title": "New"},
            {"event_id": "a-1", "count": 100},
        ),
        dataset="acled",
        dry_run=True,
    )
    assert list(result.diff.changed) == ["a-1", "a-2", "a-3"]


def test_ids_of_another_dataset_are_refused(dataset: Path):
    before = dataset.read_bytes()
    with pytest.raises(ValidationFailed) as err:
        store.upsert(dataset, rows({"event_id": "2024-11-25-ru-drone-attack-test"}), dataset="acled")
    assert "from dataset 'curated'" in str(err.value)
    assert dataset.read_bytes() == before
    assert store.foreign_ids(dataset, "acled") == {
        "2024-11-25-ru-drone-attack-test",
        "2024-11-27-meeting-test",
        "2024-10-month-test",
    }
    assert store.datasets_in(dataset) == {"curated": 3}


def test_invalid_rows_are_never_written(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    bad = rows({"event_id": "a-1"})
    bad[str(Col.LATITUDE)] = 200.0
    with pytest.raises(ValidationFailed, match="latitude must be between -90 and 90"):
        store.upsert(path, bad, dataset="acled")
    assert not path.exists()


def test_frame_from_table_matches_the_canonical_loader(dataset: Path):
    import pyarrow.parquet as pq

    pd.testing.assert_frame_equal(store.frame_from_table(pq.read_table(dataset)), store.load(dataset))


def test_a_change_in_a_list_field_is_noticed(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    store.upsert(path, rows({"event_id": "a-1"}), dataset="acled")
    result = store.upsert(path, rows({"event_id": "a-1", "actors": ["Someone Else"]}), dataset="acled")
    assert (result.added, result.changed, result.unchanged) == (0, 1, 0)
    assert list(store.load(path)[Col.ACTORS].iloc[0]) == ["Someone Else"]


def test_import_beside_curated_rows_leaves_them_exactly_as_they_were(dataset: Path):
    before = store.load(dataset)
    first = store.upsert(dataset, rows({"event_id": "a-1"}, {"event_id": "a-2"}), dataset="acled")
    second = store.upsert(dataset, rows({"event_id": "a-1", "count": 190}), dataset="acled")
    assert (first.added, second.changed, second.total) == (2, 1, len(before) + 2)
    after = store.load(dataset)
    assert validate(after) == []
    kept = after[after[Col.DATASET] == "curated"].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before)
    imported = after[after[Col.DATASET] == "acled"].set_index(str(Col.EVENT_ID))[Col.COUNT]
    assert imported.to_dict() == {"a-2": 188, "a-1": 190}


# --- Checked rows: the importer's rows are checked once, every other frame in full ---------

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "fixtures" / "import"
MESSY = [
    ("acled", "acled_messy.csv"),
    ("ucdp", "ucdp_ged_messy.csv"),
    ("gdelt", "gdelt_events_messy.tsv"),
    ("missile-attacks", "missile_attacks_messy.csv"),
]


def imported(fmt: str, name: str) -> pipeline.Outcome:
    outcome = pipeline.run(command.formats()[fmt], FIXTURES / name, Options(), now=NOW)
    assert outcome.imported and outcome.rejected  # the messy fixtures have rows of both kinds
    return outcome


@pytest.mark.parametrize(("fmt", "name"), MESSY)
def test_checked_rows_write_the_same_bytes_as_rows_checked_again(tmp_path: Path, fmt: str, name: str):
    outcome = imported(fmt, name)
    once, twice = tmp_path / "once.parquet", tmp_path / "twice.parquet"
    store.upsert(once, outcome.checked, dataset=fmt, now=NOW)
    store.upsert(twice, outcome.rows, dataset=fmt, now=NOW)  # a plain frame: validated again, as before
    assert once.read_bytes() == twice.read_bytes()


@pytest.mark.parametrize(("fmt", "name"), MESSY)
def test_checked_rows_fill_a_partitioned_dataset_as_rows_checked_again(tmp_path: Path, fmt: str, name: str):
    outcome = imported(fmt, name)
    once, twice = tmp_path / "once", tmp_path / "twice"
    parts.create(once), parts.create(twice)
    parts.upsert(once, outcome.checked, dataset=fmt, now=NOW)
    parts.upsert(twice, outcome.rows, dataset=fmt, now=NOW)
    pd.testing.assert_frame_equal(parts.load(once), parts.load(twice))


@pytest.mark.parametrize(("fmt", "name"), MESSY)
def test_an_import_writes_only_rows_that_pass_every_rule(tmp_path: Path, fmt: str, name: str):
    source = FIXTURES / name
    out = tmp_path / "imported.parquet"
    done = CliRunner().invoke(app, ["import", "--format", fmt, str(source), "--out", str(out)])
    assert done.exit_code == 0, done.output
    written = store.load(out)
    assert len(written) == imported(fmt, name).imported
    assert validate(written) == []  # the rejected rows did not get in


def test_checked_rows_for_another_dataset_are_checked_in_full(tmp_path: Path):
    path = tmp_path / "imported.parquet"
    bad = rows({"event_id": "a-1"})
    bad[str(Col.LATITUDE)] = 200.0
    with pytest.raises(ValidationFailed, match="latitude must be between -90 and 90"):
        store.upsert(path, store.Checked(bad, "acled"), dataset="ucdp")
    with pytest.raises(ValidationFailed, match="not a slug"):
        store.upsert(path, store.Checked(rows({"event_id": "a-1"}), "acled"), dataset="Not A Slug")
    assert not path.exists()


def test_a_plain_frame_is_checked_in_full_on_a_partitioned_dataset(tmp_path: Path):
    root = tmp_path / "parts"
    parts.create(root)
    bad = rows({"event_id": "a-1"}, {"event_id": "a-2"})
    bad[str(Col.EVENT_ID)] = "a-1"  # two rows, one id
    with pytest.raises(ValidationFailed, match="duplicate event_id"):
        parts.upsert(root, bad, dataset="acled")
    assert parts.load(root).empty


def test_foreign_ids_count_a_row_without_a_dataset_as_another_datasets(tmp_path: Path):
    """An id whose row names no dataset (a file written by another tool) is never taken over
    by an import, and the import's own ids are not foreign."""
    path = tmp_path / "mixed.parquet"
    table = pa.table(
        {
            str(Col.EVENT_ID): ["acled-1", "acled-2", "kept-by-hand", None, "ucdp-9"],
            str(Col.DATASET): ["acled", "acled", None, "curated", "ucdp"],
        }
    )
    pq.write_table(table, path)
    assert store.foreign_ids(path, "acled") == {"kept-by-hand", "ucdp-9"}
    assert store.foreign_ids(path, "ucdp") == {"acled-1", "acled-2", "kept-by-hand"}
    own = tmp_path / "own.parquet"
    pq.write_table(table.slice(0, 2), own)
    assert store.foreign_ids(own, "acled") == frozenset()
    assert store.foreign_ids(own, "ucdp") == {"acled-1", "acled-2"}
