"""`timeline import --format csv --mapping MAP.toml`: any spreadsheet, described by a mapping file."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.importers import mapped_csv
from timeline.storage import store

from conftest import ROOT, rejected_reasons

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

    reasons = rejected_reasons(tmp_path / "sheet.rejected.csv", "Ref")
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
        (
            'name = "x"\nid_columns = ["Ref"]\ncolumns = 5\n',
            "columns must be a table of event field = source",
        ),
        (
            'name = "x"\nid_columns = ["Ref"]\n[constants]\nevent_id = "a"\n',
            "a constant id would give every row",
        ),
    ],
)
def test_mapping_mistakes_are_named_and_nothing_is_written(tmp_path: Path, toml, message):
    mapping = tmp_path / "map.toml"
    mapping.write_text(toml, encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = run(str(SHEET), "--mapping", str(mapping), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("line", "replacement", "message"),
    [
        ("date_format = ", "date_format = 5", "date_format must be text such as '%d/%m/%Y', not int (5)"),
        ("date_format = ", 'date_format = "%Q"', "date_format '%Q' is not a date format pandas can read"),
        ("date_format = ", 'date_format = "dd/mm/yyyy"', "date_format 'dd/mm/yyyy' has no strptime code"),
        ("date_format = ", 'date_format = "%d/%m"', "date_format '%d/%m' does not read back a date"),
        (
            "id_columns = ",
            'id_columns = "Ref"',
            'id_columns must be a list of column names, e.g. id_columns = ["Ref"]',
        ),
        (
            "id_columns = ",
            "id_columns = [1]",
            "id_columns must be a list of source column names (text), not [1]",
        ),
        (
            "list_separator = ",
            'delimiter = ";;"',
            "delimiter ';;': the field separator must be one character",
        ),
        ("list_separator = ", "list_separator = 1", "list_separator must be non-empty text, not int (1)"),
        (
            "date_start = ",
            "date_start = 5",
            "[columns] date_start: must be a source column name (text), not int (5)",
        ),
        ('"Phone call" = ', '"Phone call" = 3', "[values.event_type] 'Phone call': values must be text"),
        ("countries = ", 'countries = ["RUS", 1]', "[constants] countries: a list of text is needed"),
        (
            "confidence = ",
            'confidence = ["reported"]',
            "[constants] confidence: must be a single value, not a list",
        ),
    ],
)
def test_malformed_mapping_values_are_named_exit_2_and_nothing_is_read(
    tmp_path: Path, line, replacement, message
):
    text = MAPPING.read_text(encoding="utf-8")
    assert line in text
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        "\n".join(replacement if row.strip().startswith(line) else row for row in text.splitlines()),
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"
    result = run(str(SHEET), "--mapping", str(mapping), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"error: {mapping}: {message}" in result.stderr, result.stderr
    assert "1 problem(s) in the mapping; nothing was written" in result.stderr
    assert "kyiv-desk-sheet: " not in result.stderr  # refused before a row was read
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.toml"]


def test_every_mapping_problem_is_reported_at_once(tmp_path: Path):
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        'name = "x"\ndate_format = "%Q"\nid_columns = "Ref"\ndelimiter = ";;"\n', encoding="utf-8"
    )
    result = run(str(SHEET), "--mapping", str(mapping), "--out", str(tmp_path / "out.parquet"))
    assert result.exit_code == 2
    assert "date_format '%Q'" in result.stderr and "id_columns must be a list" in result.stderr
    assert "delimiter ';;'" in result.stderr and "no value for date_start" in result.stderr


def test_source_columns_named_in_the_mapping_must_exist(tmp_path: Path):
    sheet = tmp_path / "other.csv"
    sheet.write_text("Ref,Date\n1,25/11/2024\n", encoding="utf-8")
    result = run(str(sheet), "--mapping", str(MAPPING), "--out", str(tmp_path / "out.parquet"))
    assert result.exit_code == 1
    assert "missing column(s) Day, Until, Kind, What happened" in result.stderr


def test_missing_mapping_file(tmp_path: Path):
    result = run(str(SHEET), "--mapping", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o.parquet"))
    assert result.exit_code == 2 and "no such mapping file" in result.stderr


def test_month_and_year_formats_are_accepted(tmp_path: Path):
    for fmt in ("%d.%m.%Y", "%m/%Y", "%Y", "%d %B %Y"):
        mapping = tmp_path / "map.toml"
        mapping.write_text(MAPPING.read_text(encoding="utf-8").replace("%d/%m/%Y", fmt), encoding="utf-8")
        assert mapped_csv.load_mapping(mapping).date_format == fmt


def test_a_monitors_sheet_reusing_refs_blank_dates_and_placeholders(tmp_path: Path):
    header, k1 = SHEET.read_text(encoding="utf-8").splitlines()[:2]
    rows = [
        k1,
        k1,  # pasted twice: nothing is lost by rejecting it
        k1.replace("25/11/2024,26/11/2024", "28/11/2024,28/11/2024").replace(
            "188,76", "40,12"
        ),  # another night
        "K-9,,,Drone strike,No date,Russian Armed Forces,Kyiv,50.45,30.52,1,1,Suspilne,",
        "K-10,N/A,,Drone strike,Date unknown,Russian Armed Forces,Kyiv,50.45,30.52,N/A,-,Suspilne,",
    ]
    sheet = tmp_path / "monitor.csv"
    sheet.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "m.parquet"
    result = run(str(sheet), "--mapping", str(MAPPING), "--out", str(out), "--on-duplicate-id", "suffix")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "2 imported, 3 rejected: 2 missing date, 1 repeated row; 1 kept under a derived id (--on-duplicate-id suffix)"
    )
    assert rejected_reasons(tmp_path / "monitor.rejected.csv") == {
        "2": "repeated row: repeats row 1 (kyiv-desk-sheet-k-1) exactly",
        "4": "missing date: date_start (column 'Day') is blank or says unknown",  # not 'NaT', not date_end
        "5": "missing date: date_start (column 'Day') is blank or says unknown",
    }
    df = store.load(out).set_index(str(Col.EVENT_ID))
    other = next(i for i in df.index if i != "kyiv-desk-sheet-k-1")
    assert other.startswith("kyiv-desk-sheet-k-1-") and df.loc[other, Col.COUNT] == 40
    assert (
        f"row 3: kyiv-desk-sheet-k-1 -> {other} (differs from row 1 in Day, Until, Launched, Shot down)"
        in result.stderr
    )
