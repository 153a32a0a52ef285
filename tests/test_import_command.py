"""`timeline import` flags and targets: clear errors, non-zero exits, nothing changed on failure."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from timeline import store
from timeline.cli import app
from timeline.schema import Col

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
