"""An import into a new dataset file is written while its source is read (`storage.spill`):
the same rows as the write-at-the-end path, logged the same way, and nothing left on failure."""

import errno
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline import service
from timeline.cli.main import app
from timeline.domain.schema import ARROW_SCHEMA, Col, to_arrow
from timeline.domain.validation import ValidationFailed
from timeline.storage import datasets, history, spill, store
from timeline.storage.spill import Spill

from conftest import ROOT, checked, make_row

ACLED = ROOT / "tests" / "fixtures" / "import" / "acled_messy.csv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["import", *args])


def without_stamp(path: Path):
    return pq.read_table(path).drop_columns([str(Col.ADDED_AT)])


def test_a_new_file_holds_what_adding_to_an_existing_one_holds(tmp_path: Path):
    spilled, upserted = tmp_path / "new.parquet", tmp_path / "old.parquet"
    assert run("--format", "acled", str(ACLED), "--out", str(spilled), "--chunk-rows", "3").exit_code == 0
    store.save(store.load(spilled).iloc[:0], upserted)  # an existing, empty dataset: the upsert path
    result = run("--format", "acled", str(ACLED), "--into", str(upserted), "--chunk-rows", "3")
    assert result.exit_code == 0, result.output
    assert pq.ParquetFile(spilled).metadata.num_row_groups > 1  # written chunk by chunk
    assert without_stamp(spilled).equals(without_stamp(upserted))
    again = run("--format", "acled", str(ACLED), "--into", str(spilled))
    assert "0 added, 0 changed" in again.stdout and "unchanged, not rewritten" in again.stdout


def test_the_change_log_keeps_the_rows_of_a_spilled_import(tmp_path: Path):
    out = tmp_path / "acled.parquet"
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--chunk-rows", "2")
    assert result.exit_code == 0, result.output
    (change,) = history.read(out).changes
    assert change.batch["added"] == pq.read_table(out).column(str(Col.EVENT_ID)).to_pylist()
    assert history.read_rows(out, change.batch["rows"]).equals(pq.read_table(out).cast(ARROW_SCHEMA))
    assert change.dataset_after == history.file_digest(out)


def test_a_strict_failure_leaves_no_file_temp_file_or_folder(tmp_path: Path):
    out = tmp_path / "new" / "deeper" / "acled.parquet"
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--strict", "--chunk-rows", "2")
    assert result.exit_code == 1
    assert "--strict: rows were rejected; nothing was written" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _spilled(target: Path):
    spill = Spill(target, "acled")
    df, problems = checked(make_row(event_id="a"), make_row(event_id="b"))
    assert not problems
    df[str(Col.DATASET)] = "acled"
    spill.write(to_arrow(df))
    return spill, spill.close()


def test_a_file_created_meanwhile_is_not_replaced(tmp_path: Path):
    target = tmp_path / "acled.parquet"
    writer, rows = _spilled(target)
    target.write_bytes(b"another writer's file")
    with pytest.raises(store.DatasetError, match="another writer created this file"):
        spill.commit(target, rows)
    assert target.read_bytes() == b"another writer's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acled.parquet", "acled.parquet.lock"]
    writer.discard()


def test_a_spilled_upsert_adds_every_row(tmp_path: Path):
    target = tmp_path / "acled.parquet"
    _, rows = _spilled(target)
    result = datasets.upsert(target, rows, dataset="acled")
    assert (result.added, result.changed, result.total, result.written) == (2, 0, 2, True)
    written = store.load(target)
    assert written[str(Col.EVENT_ID)].tolist() == ["a", "b"] and set(written[str(Col.DATASET)]) == {"acled"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acled.parquet", "acled.parquet.lock"]


def test_a_full_disk_while_writing_says_so_and_leaves_nothing(tmp_path: Path, monkeypatch):
    class FullDisk(pq.ParquetWriter):
        def write_table(self, table, row_group_size=None):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spill.pq, "ParquetWriter", FullDisk)
    out = tmp_path / "new" / "acled.parquet"
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--rejects", str(tmp_path / "bad.csv"))
    assert result.exit_code == 1, result.output
    assert (
        f"{out}: could not write the new version" in result.stderr and "Nothing was written" in result.stderr
    )
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def _rows(dataset: str, *rows: dict) -> pd.DataFrame:
    df, problems = checked(*rows)
    assert not problems
    df[str(Col.DATASET)] = dataset
    return df


def test_an_import_into_an_existing_file_merges_its_spill_as_the_frame_upsert_writes(
    tmp_path: Path, monkeypatch
):
    """The spill merged a batch at a time (here one row a batch) into an existing file gives
    the file, counts, field changes and change-log rows that the frame upsert gives."""
    monkeypatch.setattr(spill, "MERGED_ROWS", 1)
    base = _rows("acled", make_row(event_id="a"), make_row(event_id="b"), make_row(event_id="c"))
    incoming = _rows("acled", make_row(event_id="d"), make_row(event_id="b", count=500),
                     make_row(event_id="c"), make_row(event_id="e", title="Another"))  # fmt: skip
    who = history.import_user("acled test")
    outcomes = {}
    for how in ("frame", "spill"):
        path = tmp_path / how / "acled.parquet"
        service.import_rows(path, store.Checked(base, "acled"), who, dataset="acled")
        if how == "frame":
            result = service.import_rows(path, store.Checked(incoming, "acled"), who, dataset="acled")
        else:
            writer = Spill(path, "acled", merge=True)
            writer.write(to_arrow(incoming))
            result = service.import_rows(path, writer.close(), who, dataset="acled")
        change = history.read(path).changes[-1]
        outcomes[how] = (result, without_stamp(path), change, history.read_rows(path, change.batch["rows"]),
                         history.read_rows(path, change.batch["before_rows"]))  # fmt: skip
        assert sorted(p.name for p in path.parent.iterdir() if "tmp" in p.name) == []  # no temp file left
    (frame_result, frame_file, frame_change, frame_rows, frame_before) = outcomes["frame"]
    (result, written, change, rows, before) = outcomes["spill"]
    assert (result.added, result.changed, result.unchanged, result.total, result.written) == (
        2,
        1,
        1,
        5,
        True,
    )
    assert (frame_result.added, frame_result.changed, frame_result.unchanged, frame_result.total) == (
        2,
        1,
        1,
        5,
    )
    assert result.diff.changed == frame_result.diff.changed and set(result.diff.changed) == {"b"}
    assert written.equals(frame_file.cast(written.schema))
    assert written.column(str(Col.EVENT_ID)).to_pylist() == ["a", "c", "d", "b", "e"]
    assert (change.batch["added"], change.batch["changed"]) == (
        frame_change.batch["added"],
        frame_change.batch["changed"],
    )
    assert change.dataset_after == history.file_digest(tmp_path / "spill" / "acled.parquet")
    assert rows.drop_columns([str(Col.ADDED_AT)]).equals(frame_rows.drop_columns([str(Col.ADDED_AT)]))
    assert before.drop_columns([str(Col.ADDED_AT)]).equals(frame_before.drop_columns([str(Col.ADDED_AT)]))


def test_a_merged_spill_that_changes_nothing_rewrites_nothing_and_leaves_no_temp_file(tmp_path: Path):
    path = tmp_path / "acled.parquet"
    rows = _rows("acled", make_row(event_id="a"), make_row(event_id="b"))
    datasets.upsert(path, store.Checked(rows, "acled"), dataset="acled")
    before = path.read_bytes()
    writer = Spill(path, "acled", merge=True)
    writer.write(to_arrow(rows))
    result = datasets.upsert(path, writer.close(), dataset="acled")
    assert (result.added, result.changed, result.unchanged, result.written) == (0, 0, 2, False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acled.parquet", "acled.parquet.lock"]


def test_a_merged_spill_refuses_another_datasets_ids_naming_the_spills_row(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(spill, "MERGED_ROWS", 2)
    path = tmp_path / "events.parquet"
    datasets.upsert(path, store.Checked(_rows("ucdp", make_row(event_id="taken")), "ucdp"), dataset="ucdp")
    before = path.read_bytes()
    writer = Spill(path, "acled", merge=True)
    writer.write(
        to_arrow(_rows("acled", make_row(event_id="a"), make_row(event_id="b"), make_row(event_id="taken")))
    )
    with pytest.raises(ValidationFailed) as err:
        datasets.upsert(path, writer.close(), dataset="acled")
    (problem,) = err.value.problems
    assert (problem.row, problem.event_id) == (3, "taken") and "from dataset 'ucdp'" in problem.reason
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.parquet", "events.parquet.lock"]


def test_a_merged_spill_reads_a_file_stored_in_other_types_as_the_schema_says(tmp_path: Path):
    """A file whose titles are `large_string` (another tool wrote it) converts, as for every
    write; the merged file is in the schema's types."""
    path = tmp_path / "acled.parquet"
    table = to_arrow(_rows("acled", make_row(event_id="a"), make_row(event_id="b")))
    title = table.schema.get_field_index(str(Col.TITLE))
    pq.write_table(table.set_column(title, str(Col.TITLE), table.column(title).cast(pa.large_string())), path)
    writer = Spill(path, "acled", merge=True)
    writer.write(to_arrow(_rows("acled", make_row(event_id="b", title="Retitled"), make_row(event_id="c"))))
    result = datasets.upsert(path, writer.close(), dataset="acled")
    assert (result.added, result.changed, result.unchanged) == (1, 1, 0)
    assert [c.column for c in result.diff.changed["b"]] == [str(Col.TITLE)]
    stored = pq.read_table(path)
    assert stored.schema.field(str(Col.TITLE)).type == pa.string()
    assert stored.column(str(Col.EVENT_ID)).to_pylist() == ["a", "b", "c"]
    assert stored.column(str(Col.TITLE)).to_pylist()[1] == "Retitled"


def test_the_spill_keeps_only_the_ids_of_what_it_wrote(tmp_path: Path):
    """Each chunk's ids are kept to the end (`close`), not the chunk: a column of a batch
    read as one block (a DuckDB result, an IPC stream) would keep every column of that batch
    alive, some 40 MB a chunk of summaries on a large import."""
    rows = _rows("acled", *[make_row(event_id=f"e{i}", summary="x" * 2_000) for i in range(500)])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, ARROW_SCHEMA) as writer:
        writer.write_table(to_arrow(rows))
    block = sink.getvalue()  # every column below is a slice of this one buffer
    table = pa.ipc.open_stream(block).read_all()
    spill = Spill(tmp_path / "new.parquet", "acled")
    spill.write(table)
    start, end = block.address, block.address + block.size
    kept = [buf for ids in spill.ids for chunk in ids.chunks for buf in chunk.buffers() if buf is not None]
    assert kept and not any(start <= buf.address < end for buf in kept)
    assert spill.close().ids.to_pylist() == [f"e{i}" for i in range(500)]


def test_chunks_written_in_the_background_land_in_order(tmp_path: Path):
    """Each write runs while the caller maps the next chunk: the file still holds every
    chunk's rows in the order given."""
    rows = _rows("acled", *[make_row(event_id=f"e{i}") for i in range(40)])
    spill = Spill(tmp_path / "new.parquet", "acled")
    for start in range(0, 40, 3):
        spill.write(to_arrow(rows.iloc[start : start + 3].reset_index(drop=True)))
    spilled = spill.close()
    assert pq.read_table(spilled.tmp).column(str(Col.EVENT_ID)).to_pylist() == [f"e{i}" for i in range(40)]
    assert spilled.ids.to_pylist() == [f"e{i}" for i in range(40)]


def test_a_failed_background_write_is_raised_not_lost(tmp_path: Path, monkeypatch):
    class FailsSecond(pq.ParquetWriter):
        calls = 0

        def write_table(self, table, row_group_size=None):
            FailsSecond.calls += 1
            if FailsSecond.calls == 2:
                raise OSError(errno.EIO, "Input/output error")
            super().write_table(table, row_group_size)

    monkeypatch.setattr(spill.pq, "ParquetWriter", FailsSecond)
    rows = to_arrow(_rows("acled", make_row(event_id="a")))
    target = tmp_path / "new.parquet"
    sink = Spill(target, "acled")
    sink.write(rows)
    sink.write(rows)  # fails in the background
    with pytest.raises(store.WriteFailed, match="could not write the new version: input/output error"):
        sink.wait()
    sink.discard()
    assert list(tmp_path.iterdir()) == []
