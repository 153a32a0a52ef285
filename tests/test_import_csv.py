"""`timeline import --format csv --mapping MAP.toml`: any spreadsheet, described by a mapping file."""

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from timeline import store
from timeline.cli import app
from timeline.schema import Col

from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "import"
SHEET, MAPPING = FIXTURES / "sheet.csv", FIXTURES / "sheet_mapping.toml"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["import", "--format", "csv", *args])


def test_mapped_sheet_imports_with_its_own_dataset_label(tmp_path: Path):
    out = tmp_path / "sheet.parquet"
    result = run(str(SHEET), "--mapping", str(MAPPING), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "2 imported, 3 rejected: 1 bad date, 1 not a known event type, 1 latitude must be between -90 and 90"
    )
    df = store.load(out).set_index(str(Col.EVENT_ID))
    night = df.loc["kyiv-desk-sheet-k-1"]
    assert (str(night[Col.DATE_START].date()), str(night[Col.DATE_END].date())) == (
        "2024-11-25",
        "2024-11-26",
    )
    assert night[Col.EVENT_TYPE] == "drone_attack"  # value map
    assert list(night[Col.ACTORS]) == ["Russian Armed Forces", "Ukrainian Air Force"]  # "|"-separated
    assert list(night[Col.COUNTRIES]) == ["RUS", "UKR"]  # constant list
    assert (night[Col.COUNT], night[Col.INTERCEPTED], night[Col.CONFIDENCE]) == (188, 76, "reported")
    call = df.loc["kyiv-desk-sheet-k-2"]
    assert call[Col.EVENT_TYPE] == "call" and str(call[Col.DATE_END].date()) == "2024-11-27"  # blank end
    assert (df[Col.DATASET] == "kyiv-desk-sheet").all()

    with (tmp_path / "sheet.rejected.csv").open(encoding="utf-8") as fh:
        reasons = {row["Ref"]: row["reason"] for row in csv.DictReader(fh)}
    assert reasons == {
        "K-3": "bad date: date_start '2024-11-28' (expected %d/%m/%Y)",
        "K-4": "event_type = 'Drone strkie': not a known event type",
        "K-5": "latitude = '149.99': latitude must be between -90 and 90",
    }

    before = out.read_bytes()
    again = run(str(SHEET), "--mapping", str(MAPPING), "--into", str(out))
    assert f"{out}: 0 added, 0 changed, 2 unchanged" in again.stdout and out.read_bytes() == before


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('name = "x"\nid_columns = ["Ref"]\n[colums]\n', "unknown key 'colums' (did you mean columns?)"),
        ('id_columns = ["Ref"]\n', "name must be a slug"),
        ('name = "curated"\nid_columns = ["Ref"]\n', "name 'curated' is reserved"),
        (
            'name = "x"\nid_columns = ["Ref"]\n[columns]\ntitel = "What happened"\n',
            "'titel' is not an event field (did you mean title?)",
        ),
        (
            'name = "x"\nid_columns = ["Ref"]\n[columns]\ndataset = "Ref"\n',
            "dataset is set by the import itself",
        ),
        ('name = "x"\n[columns]\ntitle = "What happened"\n', "give either [columns] event_id or id_columns"),
        ('name = "x"\nid_columns = ["Ref"]\n[columns]\ntitle = "What happened"\n', "no value for date_start"),
        ("name = [", "not a valid TOML mapping"),
    ],
)
def test_mapping_mistakes_are_named_and_nothing_is_written(tmp_path: Path, toml, message):
    mapping = tmp_path / "map.toml"
    mapping.write_text(toml, encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = run(str(SHEET), "--mapping", str(mapping), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "nothing was written" in result.stderr
    assert not out.exists()


def test_source_columns_named_in_the_mapping_must_exist(tmp_path: Path):
    sheet = tmp_path / "other.csv"
    sheet.write_text("Ref,Date\n1,25/11/2024\n", encoding="utf-8")
    result = run(str(sheet), "--mapping", str(MAPPING), "--out", str(tmp_path / "out.parquet"))
    assert result.exit_code == 1
    assert "missing column(s) Day, Until, Kind, What happened" in result.stderr


def test_missing_mapping_file(tmp_path: Path):
    result = run(str(SHEET), "--mapping", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o.parquet"))
    assert result.exit_code == 1 and "no such mapping file" in result.stderr
