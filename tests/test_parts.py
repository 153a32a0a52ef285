"""Partitioned datasets: a folder of Parquet parts with a manifest, written by the same rules
as a single file, read by every command and by the engine."""

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline import synth
from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.storage import history, parts, rollups, store, words

from conftest import CURATED, curated_folder, engine_on, frame, make_row, view_of

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`timeline synth` into a folder, once per module: tests get copies (`folder`)."""
    root = tmp_path_factory.mktemp("parts") / "events"
    result = run("synth", "--events", "5000", "--out", str(root), "--seed", "3")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def folder(synthesized: Path, tmp_path: Path) -> Path:
    """A copy of the synthesized folder of parts, this test's own to change."""
    return Path(shutil.copytree(synthesized, tmp_path / "events"))


def part_stamps(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in parts.files(root)}


def test_synth_writes_a_partitioned_dataset_month_by_month(folder: Path):
    manifest = parts.read_manifest(folder)
    assert manifest.rows == 5000
    assert all(p.path.startswith("year=") and "/month=" in p.path for p in manifest.parts)
    table = pq.read_table(folder / manifest.parts[0].path)
    starts = table.column(str(Col.DATE_START)).to_pylist()
    assert len({(d.year, d.month) for d in starts}) == 1  # one month per part
    assert starts == sorted(starts)  # sorted by date: date filters skip row groups
    assert json.loads(pq.read_metadata(folder / manifest.parts[0].path).metadata[b"timeline.stats"])[
        "rows"
    ] == len(starts)


def test_every_command_reads_a_folder(folder: Path, tmp_path: Path):
    assert run("validate", str(folder)).exit_code == 0
    stats = run("stats", str(folder))
    assert stats.exit_code == 0 and "rows: 5,000" in stats.stdout
    dump = run("dump", str(folder))
    assert dump.exit_code == 0 and len(dump.stdout.splitlines()) == 5001
    single = tmp_path / "one.parquet"
    store.write_table_atomic(parts.scan(folder), single)
    assert run("diff", str(single), str(folder), "--exit-code").exit_code == 0


def test_validate_names_the_part_row_and_field_of_a_bad_value_among_many_parts(folder: Path):
    """The parts are checked in one call, each with its own problems: a bad one is named, no other blamed."""
    manifest = parts.read_manifest(folder)
    bad = manifest.parts[len(manifest.parts) // 2].path
    table = pq.read_table(folder / bad)
    titles = table.column(str(Col.TITLE)).to_pylist()
    titles[2] = "a\x00b"
    at = table.schema.get_field_index(str(Col.TITLE))
    pq.write_table(table.set_column(at, table.schema.field(at), [titles]), folder / bad)
    result = run("validate", str(folder))
    assert result.exit_code == 1
    assert f"row 3, event_id {table.column(str(Col.EVENT_ID))[2]}, column title = 'a\\x00b'" in result.stderr
    assert "contains control character U+0000" in result.stderr and f"(in {bad})" in result.stderr
    assert result.stderr.count("control character") == 1  # no other part is blamed


def test_an_append_adds_a_part_and_rewrites_none(folder: Path):
    before = part_stamps(folder)
    result = run(
        "append", "--data", str(folder), str(_rows_file(folder.parent, make_row(event_id="new-one")))
    )
    assert result.exit_code == 0, result.output
    after = part_stamps(folder)
    assert set(before) < set(after) and all(after[k] == v for k, v in before.items())
    assert engine_on(folder).count(view_of(q="test drone attack")) == 1
    again = run("append", "--data", str(folder), str(_rows_file(folder.parent, make_row(event_id="new-one"))))
    assert again.exit_code == 1 and "event_id already in the dataset" in again.stderr
    assert part_stamps(folder) == after
    (logged,) = history.read(folder).changes  # the write is in the log beside the folder, the refusal not
    assert (logged.action, logged.after[str(Col.EVENT_ID)]) == ("append", "new-one")
    assert logged.dataset_after == history.file_digest(parts.manifest_path(folder))
    shown = run("history", "new-one", "--data", str(folder))
    assert shown.exit_code == 0 and "append  new-one" in shown.output


def _rows_file(folder: Path, *rows: dict) -> Path:
    path = folder / "rows.json"
    path.write_text(frame(*rows).to_json(orient="records"))
    return path


def test_an_import_adds_changes_and_leaves_unchanged_rows_in_one_commit(tmp_path: Path):
    root = tmp_path / "events"
    parts.create(root)
    rows = store.load(CURATED)
    first = parts.upsert(root, rows, dataset="curated")
    assert (first.added, first.changed, first.written) == (len(rows), 0, True)
    again = parts.upsert(root, rows, dataset="curated")
    assert (again.added, again.changed, again.written) == (0, 0, False)
    version = parts.read_manifest(root).version
    edited = rows.copy()
    edited.loc[0, str(Col.TITLE)] = "A corrected title"
    third = parts.upsert(root, edited, dataset="curated")
    assert (third.added, third.changed, third.unchanged) == (0, 1, len(rows) - 1)
    assert parts.read_manifest(root).version == version + 1  # one atomic commit
    loaded = parts.load(root).set_index(str(Col.EVENT_ID))
    assert loaded.loc[rows.loc[0, str(Col.EVENT_ID)], str(Col.TITLE)] == "A corrected title"
    assert len(loaded) == len(rows) and loaded.index.is_unique


def test_compact_merges_small_parts_without_losing_a_row(tmp_path: Path):
    root = tmp_path / "events"
    parts.create(root)
    for seed in range(3):
        table = synth.generate(300, seed=seed, first_id=seed * 1000)
        parts.commit(root, add=parts.write_parts(root, table))
    before = parts.read_manifest(root)
    result = run("compact", str(root))
    assert result.exit_code == 0, result.output
    after = parts.read_manifest(root)
    assert len(after.parts) < len(before.parts) and after.rows == before.rows == 900
    assert sorted(parts.load(root)[str(Col.EVENT_ID)]) == sorted(
        parts.scan(root).column(str(Col.EVENT_ID)).to_pylist()
    )
    kept = {q.path for q in after.parts}
    rollups.path_of(root, sorted(kept)[0], "days").unlink()  # a part written before rollups existed
    again = run("compact", str(root))
    assert again.exit_code == 0 and "1 part(s) rolled up" in again.output, again.output
    rollup_files = {root / rollups.FOLDER / rollups.FORMAT / kind / q for kind in rollups.KINDS for q in kept}
    word_files = {words.path_of(root, q, name) for name in words.FILES for q in kept}
    merged = {kind: rollups.files(root, sorted(kept))[kind] for kind in rollups.KINDS}
    assert all(len(files) == 1 and files[0].parent.name == rollups.MERGED for files in merged.values())
    # The merged parts are deleted, and so are their rollups and word indexes; every part
    # left has its own, and each kind one merged rollup of them all.
    assert set(root.rglob("*.parquet")) == (
        {root / q for q in kept} | rollup_files | word_files | {f for files in merged.values() for f in files}
    )


def test_a_folder_without_a_manifest_or_partitions_is_not_a_dataset(tmp_path: Path):
    (tmp_path / "loose").mkdir()
    store.write_table_atomic(synth.generate(10), tmp_path / "loose" / "x.parquet")
    result = run("stats", str(tmp_path / "loose"))
    assert (
        result.exit_code == 1 and "is a folder, not a dataset file or a partitioned dataset" in result.stderr
    )


def test_an_import_into_a_folder_is_logged_and_reverted_at_the_command_line(tmp_path: Path):
    root = curated_folder(tmp_path / "events")
    acled = Path(__file__).parent / "fixtures" / "import" / "acled_messy.csv"
    result = run(
        "import", "--format", "acled", str(acled), "--into", str(root), "--rejects", str(tmp_path / "r.csv")
    )
    assert result.exit_code == 0, result.output
    (change,) = history.read(root).changes
    imported = parts.load(root)
    assert change.action == "import" and sorted(change.batch["added"]) == sorted(
        imported[imported[str(Col.DATASET)] == "acled"][str(Col.EVENT_ID)]
    )
    shown = run("history", "--data", str(root))
    assert f"{len(change.batch['added'])} added, 0 changed" in shown.output
    undone = run("revert", change.change_id, "--reason", "wrong file", "--data", str(root))
    assert undone.exit_code == 0, undone.output
    assert sorted(parts.load(root)[str(Col.EVENT_ID)]) == sorted(store.load(CURATED)[str(Col.EVENT_ID)])
