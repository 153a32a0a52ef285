"""`timeline import` flags and targets: clear errors, non-zero exits, nothing changed on failure."""

import io
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.storage import datasets, store

from conftest import ROOT, frame, make_row

ACLED = ROOT / "tests" / "fixtures" / "import" / "acled_messy.csv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["import", *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "acleed", str(ACLED), "--out", "x.parquet"], "--format 'acleed': choose one of acled"),
        (["--format", "acled", str(ACLED), "--into", "a.parquet", "--out", "b.parquet"], "not both"),
        (["--format", "acled", str(ACLED)], "say where the rows go: --into DATASET"),
        (["--format", "csv", str(ACLED), "--out", "x.parquet"], "--format csv needs --mapping MAP.toml"),
        (
            ["--format", "acled", str(ACLED), "--out", "x.parquet", "--mapping", "m.toml"],
            "only for --format csv",
        ),
        (
            ["--format", "acled", str(ACLED), "--out", "x.parquet", "--country", "UKR"],
            "only for --format gdelt",
        ),
        (
            ["--format", "acled", str(ACLED), "--out", "x.parquet", "--combine"],
            "only for --format missile-attacks",
        ),
    ],
)
def test_bad_flags_exit_2_before_reading_anything(tmp_path: Path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_input_file(tmp_path: Path):
    out = tmp_path / "out.parquet"
    result = run("--format", "acled", str(tmp_path / "nope.csv"), "--out", str(out))
    assert result.exit_code == 1
    assert "nope.csv: no such file; nothing was written" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_into_needs_an_existing_dataset(tmp_path: Path):
    result = run("--format", "acled", str(ACLED), "--into", str(tmp_path / "events.parquet"))
    assert result.exit_code == 1
    assert "no such dataset file (use --out to create a new one)" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_wrong_format_for_the_file_changes_nothing(dataset: Path, tmp_path: Path):
    before = dataset.read_bytes()
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    result = run("--format", "acled", str(other), "--into", str(dataset))
    assert result.exit_code == 1
    assert "not an ACLED export (CSV): missing column(s) event_id_cnty, event_date" in result.stderr
    assert dataset.read_bytes() == before
    assert not (tmp_path / "other.rejected.csv").exists()


def test_out_refuses_a_file_with_other_datasets(dataset: Path):
    before = dataset.read_bytes()
    result = run("--format", "acled", str(ACLED), "--out", str(dataset))
    assert result.exit_code == 1
    assert "holds rows of other datasets (3 'curated')" in result.stderr
    assert f"Use --into {dataset}" in result.stderr
    assert dataset.read_bytes() == before


def test_into_the_curated_dataset_keeps_both_origins_apart(dataset: Path):
    result = run("--format", "acled", str(ACLED), "--into", str(dataset))
    assert result.exit_code == 0, result.output
    assert f"{dataset}: 5 added, 0 changed, 0 unchanged (8 rows; previous version kept as" in result.stdout
    df = store.load(dataset)  # what the dashboard loads
    assert df[Col.DATASET].value_counts().to_dict() == {"acled": 5, "curated": 3}
    assert (dataset.parent / "acled_messy.rejected.csv").exists()


def test_an_id_owned_by_another_dataset_is_rejected_not_taken_over(tmp_path: Path):
    path = tmp_path / "events.parquet"
    store.append(path, frame(make_row(event_id="acled-ukr1003")))
    result = run("--format", "acled", str(ACLED), "--into", str(path))
    assert result.exit_code == 0, result.output
    assert "1 event_id of another dataset" in result.stdout
    df = store.load(path).set_index(str(Col.EVENT_ID))
    assert df.loc["acled-ukr1003", Col.DATASET] == "curated"
    assert df.loc["acled-ukr1003", Col.TITLE] == "Test drone attack"


def test_strict_fails_on_any_rejected_row(tmp_path: Path):
    out = tmp_path / "acled.parquet"
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--strict")
    assert result.exit_code == 1
    assert "error: row 4: unknown ACLED sub-event type: 'Air/drone strkie'" in result.stderr
    assert "--strict: rows were rejected; nothing was written" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_rejects_path_can_be_chosen(tmp_path: Path):
    out, bad = tmp_path / "acled.parquet", tmp_path / "review" / "bad.csv"
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--rejects", str(bad))
    assert result.exit_code == 0 and f"rejected rows: {bad}" in result.stdout
    assert len(bad.read_text(encoding="utf-8").splitlines()) == 7  # header + 6 rows


def test_out_refuses_to_overwrite_a_file_that_is_not_a_dataset(tmp_path: Path):
    out = tmp_path / "notes.parquet"
    out.write_bytes(b"somebody's notes")
    result = run("--format", "acled", str(ACLED), "--out", str(out))
    assert result.exit_code == 1
    assert "refusing to overwrite it, nothing was written" in result.stderr
    assert out.read_bytes() == b"somebody's notes"


def test_dry_run_creates_nothing(tmp_path: Path):
    result = run("--format", "acled", str(ACLED), "--out", str(tmp_path / "new" / "dry.parquet"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "5 added, 0 removed, 0 changed" in result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["folder", "file/rejects.csv", "file/deeper/rejects.csv"])
def test_a_bad_rejects_path_is_refused_before_reading(dataset: Path, tmp_path: Path, where: str):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("not a folder")
    before = dataset.read_bytes()
    listing = sorted(tmp_path.iterdir())
    result = run("--format", "acled", str(ACLED), "--into", str(dataset), "--rejects", str(tmp_path / where))
    assert result.exit_code == 2, result.output
    assert f"--rejects {tmp_path / where}: " in result.stderr and "nothing was written" in result.stderr
    assert "acled: " not in result.stderr  # refused before a row was read
    assert dataset.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == listing  # no temp file, no rejects


def test_rejects_are_written_before_the_dataset(tmp_path: Path, monkeypatch):
    out, bad = tmp_path / "acled.parquet", tmp_path / "bad.csv"
    upsert = store.upsert

    def check_then_upsert(*args, **kwargs):
        assert bad.exists()  # in place before the dataset is touched
        return upsert(*args, **kwargs)

    monkeypatch.setattr(store, "upsert", check_then_upsert)
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--rejects", str(bad))
    assert result.exit_code == 0, result.output
    assert out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "acled.parquet",
        "acled.parquet.changes.d",  # the change log and the import's rows (timeline.storage.history)
        "acled.parquet.changes.jsonl",
        "acled.parquet.lock",
        "bad.csv",
    ]


def test_a_failed_dataset_write_puts_the_previous_rejects_back(tmp_path: Path, monkeypatch):
    out, bad = tmp_path / "acled.parquet", tmp_path / "review" / "bad.csv"

    def broken(*args, **kwargs):
        raise store.DatasetError(f"{out}: disk trouble")

    monkeypatch.setattr(datasets.FileDataset, "upsert", broken)  # the file's write, spilled or not
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--rejects", str(bad))
    assert result.exit_code == 1 and "disk trouble; nothing was written" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no rejects, and the folder made for them is gone

    bad.parent.mkdir()
    bad.write_text("an earlier run's rejects\n")
    result = run("--format", "acled", str(ACLED), "--out", str(out), "--rejects", str(bad))
    assert result.exit_code == 1
    assert bad.read_text() == "an earlier run's rejects\n"
    assert [p.name for p in bad.parent.iterdir()] == ["bad.csv"]


def test_out_or_into_a_folder_is_refused_clearly(tmp_path: Path):
    for flag in ("--out", "--into"):
        result = run("--format", "acled", str(ACLED), flag, str(tmp_path))
        assert result.exit_code == 1, result.output
        assert f"{flag} {tmp_path}: is a folder" in result.stderr
        assert "nothing was written" in result.stderr and "__filename" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_header_only_file_says_no_file_was_created(tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_text(ACLED.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    out = tmp_path / "acled.parquet"
    result = run("--format", "acled", str(empty), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "0 imported, 0 rejected",
        f"{out}: no rows to import; the file was not created",
    ]
    assert not out.exists()


def test_imported_and_rejects_files_are_ordinary_files(tmp_path: Path):
    out = tmp_path / "acled.parquet"
    mask = os.umask(0o022)
    try:
        assert run("--format", "acled", str(ACLED), "--out", str(out)).exit_code == 0
    finally:
        os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0600: the app's user reads it
    assert stat.S_IMODE((tmp_path / "acled_messy.rejected.csv").stat().st_mode) == 0o644


def test_progress_bar_shows_rows_and_speed_on_a_terminal_after_two_seconds(capsys):
    from rich.console import Console

    from timeline.cli.importing import PROGRESS_AFTER, ProgressBar

    quiet = ProgressBar("acled: export.csv", terminal=False)  # a log or a pipe
    quiet.started -= 10 * PROGRESS_AFTER
    quiet(200_000, 0.5)
    quiet.close()
    assert quiet.bar is None and capsys.readouterr().err == ""

    bar = ProgressBar("acled: export.csv", terminal=True)
    bar(1_000, 0.01)  # a short import never shows one
    assert bar.bar is None
    bar.started -= 10.0  # ten seconds in
    bar(200_000, 0.4)
    assert bar.bar is not None
    screen = Console(record=True, width=120, file=io.StringIO())
    screen.print(bar.bar.make_tasks_table(bar.bar.tasks))
    shown = screen.export_text()
    bar.close()
    assert "acled: export.csv" in shown and "200,000 rows" in shown
    speed = int(shown.split(" rows/s")[0].rsplit(" ", 1)[1].replace(",", ""))
    assert 15_000 <= speed <= 20_000  # 200,000 rows in about ten seconds
