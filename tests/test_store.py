import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from timeline.domain.schema import ARROW_SCHEMA, Col
from timeline.domain.validation import ValidationFailed
from timeline.storage import store

from conftest import ROOT, checked, frame, make_row


def test_append_writes_schema_and_keeps_backup(dataset: Path):
    before = dataset.read_bytes()
    result = store.append(dataset, frame(make_row(event_id="new-one", actors=["Someone Else"])))
    assert (result.added, result.total) == (1, 4)
    assert store.backup_path(dataset).read_bytes() == before
    table = pq.read_table(dataset)
    assert table.schema.equals(ARROW_SCHEMA)
    df = store.load(dataset)
    assert df[Col.EVENT_ID].tolist()[-1] == "new-one"
    assert df[Col.ADDED_AT].notna().all()
    assert (df[Col.DATASET] == "curated").all()


def test_a_large_file_says_that_a_folder_of_parts_appends_faster(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
):
    """Every append rewrites a single file: past `SPLIT_ROWS` the append still happens, and
    says how to copy the file into a folder of parts, whose appends write only new rows."""
    quiet = store.append(dataset, frame(make_row(event_id="small-file", actors=["A"])))
    assert not [w for w in quiet.warnings if "to-parts" in w]
    monkeypatch.setattr(store, "SPLIT_ROWS", 5)
    result = store.append(dataset, frame(make_row(event_id="big-file", actors=["B"])))
    assert result.total == 5 and store.load(dataset)[Col.EVENT_ID].tolist()[-1] == "big-file"
    (said,) = [w for w in result.warnings if "to-parts" in w]
    assert f"timeline to-parts {dataset} {dataset.with_suffix('')}" in said
    assert "5 rows" in said


def test_failed_append_leaves_file_byte_for_byte_unchanged(dataset: Path):
    before = dataset.read_bytes()
    bad = frame(make_row(event_id="ok-row", actors=["X"]), make_row(event_id="bad-row", latitude=200))
    with pytest.raises(ValidationFailed) as err:
        store.append(dataset, bad)
    assert any(p.row == 2 and p.column == "latitude" for p in err.value.problems)
    assert dataset.read_bytes() == before
    assert not store.backup_path(dataset).exists() or store.backup_path(dataset).read_bytes() != before
    assert not list(dataset.parent.glob("*.tmp"))


def test_duplicate_event_id_is_rejected(dataset: Path):
    before = dataset.read_bytes()
    with pytest.raises(ValidationFailed) as err:
        store.append(dataset, frame(make_row()))
    assert "already in the dataset" in str(err.value)
    assert dataset.read_bytes() == before


def test_likely_duplicate_warns_but_appends(dataset: Path):
    result = store.append(dataset, frame(make_row(event_id="same-night-other-report")))
    assert result.added == 1
    assert any("looks like 2024-11-25-ru-drone-attack-test" in w for w in result.warnings)


def test_crash_during_write_keeps_the_old_file(dataset: Path, monkeypatch: pytest.MonkeyPatch):
    before = dataset.read_bytes()

    def crash(table, where, **kwargs):
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(store.pq, "write_table", crash)
    with pytest.raises(
        store.WriteFailed, match=r"could not write the new version: disk full\. The dataset is unchanged"
    ):
        store.append(dataset, frame(make_row(event_id="never-written", actors=["Y"])))
    assert dataset.read_bytes() == before
    assert not list(dataset.parent.glob(".*.tmp"))


@pytest.mark.slow  # two real processes
def test_two_processes_appending_at_once_lose_nothing(tmp_path: Path):
    path = tmp_path / "events.parquet"
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from pathlib import Path
        from conftest import frame, make_row
        from timeline.storage import store
        who = sys.argv[1]
        for i in range(15):
            store.append(Path({str(path)!r}), frame(make_row(event_id=f"{{who}}-{{i}}", actors=[who])), warn_duplicates=False)
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, who]) for who in ("alpha", "beta")]
    assert [p.wait(timeout=240) for p in procs] == [0, 0]
    ids = set(store.load(path)[Col.EVENT_ID])
    assert ids == {f"{who}-{i}" for who in ("alpha", "beta") for i in range(15)}


def test_load_refuses_non_parquet_and_foreign_schema(tmp_path: Path):
    text = tmp_path / "events.parquet"
    text.write_text("not parquet")
    with pytest.raises(store.DatasetError, match="not a readable Parquet file"):
        store.load(text)
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(other)
    with pytest.raises(store.DatasetError, match="not in the event schema"):
        store.load(other)
    with pytest.raises(store.DatasetError, match="no such dataset file"):
        store.load(tmp_path / "missing.parquet")


def test_append_refuses_to_overwrite_an_unreadable_dataset(tmp_path: Path):
    path = tmp_path / "events.parquet"
    path.write_bytes(b"garbage that is somebody's data")
    with pytest.raises(store.DatasetError):
        store.append(path, frame(make_row()))
    assert path.read_bytes() == b"garbage that is somebody's data"


def test_default_path_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv(store.ENV_VAR, raising=False)
    assert store.default_path() == Path("data/events.parquet")
    monkeypatch.setenv(store.ENV_VAR, str(tmp_path / "x.parquet"))
    assert store.default_path() == tmp_path / "x.parquet"


def test_file_version_changes_on_append(dataset: Path):
    before = store.file_version(dataset)
    store.append(dataset, frame(make_row(event_id="changes-version", actors=["Z"])))
    assert store.file_version(dataset) != before


def test_new_files_get_the_ordinary_mode_and_replaced_files_keep_theirs(tmp_path: Path):
    path = tmp_path / "events.parquet"
    mask = os.umask(0o027)
    try:
        store.append(path, frame(make_row()))
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # 0o666 less the umask, not 0o600
        path.chmod(0o664)
        store.append(path, frame(make_row(event_id="2024-11-26-another")))
        assert stat.S_IMODE(path.stat().st_mode) == 0o664
    finally:
        os.umask(mask)


def test_likely_duplicates_still_finds_a_long_event_that_began_long_before(dataset: Path):
    existing = store.load(dataset)  # holds a month-long drone attack row, 1-31 October
    new, _ = checked(make_row(event_id="mid-october", date_start="2024-10-20", date_end="2024-10-20",
                              actors=["Ukrainian General Staff"]))  # fmt: skip
    warnings = store.likely_duplicates(existing, new)
    assert warnings == [
        "mid-october looks like 2024-10-month-test: same type drone_attack, overlapping dates, "
        "shared actors Ukrainian General Staff"
    ]


def test_ids_already_in_a_big_file_are_found_and_counted(dataset: Path):
    existing = store.load(dataset)
    rows = [make_row(event_id="2024-11-25-ru-drone-attack-test")] * 3 + [make_row(event_id="fresh")]
    new, _ = checked(*rows)
    problems = store.duplicate_id_problems(existing, new, limit=2)
    assert [(p.row, p.more) for p in problems] == [(1, 0), (2, 1)]
