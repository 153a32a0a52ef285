"""One interface over both layouts: `datasets.at` picks the layout once, by what is at the
path, and the same rows give the same answers through every method, whichever the layout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from timeline import service
from timeline.domain.schema import Col
from timeline.storage import datasets, history, store

from conftest import CURATED, curated_folder, frame, make_row

EVENT = "2024-11-25-ru-drone-attack-ua"


@pytest.fixture
def both(tmp_path: Path) -> dict[str, datasets.Dataset]:
    file = tmp_path / "events.parquet"
    shutil.copy(CURATED, file)
    return {"file": datasets.at(file), "parts": datasets.at(curated_folder(tmp_path / "events"))}


def test_the_layout_is_chosen_once_by_what_is_at_the_path(both, tmp_path: Path):
    assert {name: d.layout for name, d in both.items()} == {"file": "file", "parts": "parts"}
    assert set(datasets.LAYOUTS) == {"file", "parts"}
    assert datasets.at(tmp_path / "not-yet.parquet").layout == "file"  # created by an append
    assert not datasets.at(tmp_path / "not-yet.parquet").exists()


def test_the_same_rows_give_the_same_answers_in_either_layout(both):
    loaded = {n: d.load().sort_values(str(Col.EVENT_ID)).reset_index(drop=True) for n, d in both.items()}
    assert loaded["file"].equals(loaded["parts"])
    strikes = {
        n: sorted(
            d.scan([str(Col.EVENT_ID)], pc.field(str(Col.EVENT_TYPE)) == "drone_attack").column(0).to_pylist()
        )
        for n, d in both.items()
    }
    assert strikes["file"] == strikes["parts"] and EVENT in strikes["file"]
    assert (
        both["file"].foreign_ids("acled")
        == both["parts"].foreign_ids("acled")
        == set(loaded["file"][str(Col.EVENT_ID)])
    )
    for d in both.values():
        assert EVENT in d.working([EVENT]).column(str(Col.EVENT_ID)).to_pylist()
        assert sum(t.num_rows for _, t in d.tables()) == len(loaded["file"])


def test_every_write_changes_the_version_and_the_digest_the_log_records(both):
    for d in both.values():
        version, digest = d.version(), d.digest()
        result, change = service.append_rows(d.path, frame(make_row(event_id="one-more")), history.cli_user())
        assert result.added == 1 and d.version() != version and d.digest() != digest
        assert (change.dataset_before, change.dataset_after) == (digest, d.digest())
        assert service.current(d.path, "one-more")[str(Col.TITLE)] == "Test drone attack"


def test_a_dataset_neither_layout_can_read_is_one_message(tmp_path: Path):
    empty = tmp_path / "plain-folder"
    empty.mkdir()
    with pytest.raises(store.DatasetError, match="not a dataset file or a partitioned dataset"):
        datasets.at(empty).check_readable()
    with pytest.raises(store.DatasetError, match="no such dataset file"):
        datasets.at(tmp_path / "missing.parquet").check_readable()


def _damaged(path: Path, bad_rows: int) -> None:
    """The curated events with the first `bad_rows` counts made negative (a rule breaks)."""
    table = store.read_table(CURATED)
    counts = table.column(str(Col.COUNT)).to_pylist()
    for i in range(bad_rows):
        counts[i] = -1
    table = table.set_column(table.schema.get_field_index(str(Col.COUNT)), str(Col.COUNT),
                             pa.array(counts, type=table.schema.field(str(Col.COUNT)).type))  # fmt: skip
    pq.write_table(table, path)


def test_every_server_process_shows_one_copy_of_a_damaged_files_valid_rows(tmp_path: Path):
    """The dashboard shows a damaged file's valid rows from a copy in the temp folder: each
    new server process (its own `hash()` seed) must find the same copy, and a new version
    of the file replaces the old copy instead of piling up beside it."""
    data, temp = tmp_path / "events.parquet", tmp_path / "tmp"
    temp.mkdir()
    _damaged(data, 1)
    total = store.read_table(data).num_rows
    show = (
        "import sys; from pathlib import Path; from timeline.storage import datasets; "
        "p, problems = datasets.checked(Path(sys.argv[1]), Path(sys.argv[2])); print(p)"
    )

    def shown_by_a_new_process(seed: str) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-c", show, str(data), str(temp)]
        return subprocess.run(command, check=True, text=True, capture_output=True, env=env).stdout.strip()

    shown = {shown_by_a_new_process(seed) for seed in ("1", "2")}
    assert len(shown) == 1 and list(temp.iterdir()) == [Path(shown.pop())]
    assert store.read_table(next(temp.iterdir())).num_rows == total - 1

    _damaged(data, 2)  # a new version of the file
    copy, problems = datasets.checked(data, temp)
    assert problems and list(temp.iterdir()) == [copy]
    assert store.read_table(copy).num_rows == total - 2
