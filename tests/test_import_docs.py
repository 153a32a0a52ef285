"""docs/importing.md must describe the importers the code defines."""

import re

from timeline.cli import importing as command
from timeline.importers import acled, gdelt, missile_attacks, ucdp

from conftest import ROOT

DOC = (ROOT / "docs" / "importing.md").read_text(encoding="utf-8")


def test_every_format_has_a_section_and_a_command():
    for name in command.FORMAT_NAMES:
        assert f"(`--format {name}" in DOC
        assert f"timeline import --format {name}" in DOC


def test_model_table_is_documented_row_by_row():
    for kind, role, names in missile_attacks.MODEL_TABLE:
        assert f"| {kind} | {role} | {', '.join(names)} |" in DOC


def test_acled_inter_codes_and_ucdp_precisions_are_documented():
    for code, label in acled.INTER_CODES.items():
        assert f"| {code} | {label} |" in DOC
    for level, precision in ucdp.PRECISIONS.items():
        assert f"| {level} (" in DOC and f"| `{precision}` |" in DOC


def test_confidence_rules_match_the_code():
    assert acled.CONFIDENCE == ucdp.CONFIDENCE == gdelt.CONFIDENCE == "reported"
    assert missile_attacks.CONFIDENCE == "claimed"
    assert (
        "ACLED, UCDP and GDELT rows are\n  `reported`" in DOC and "Air Force tallies are\n  `claimed`" in DOC
    )


def test_example_mapping_in_the_docs_is_the_tested_fixture():
    fixture = (ROOT / "tests" / "fixtures" / "import" / "sheet_mapping.toml").read_text(encoding="utf-8")
    body = fixture.split("\n", 1)[1]  # the first line says how the tests use it
    assert body.strip() in DOC


def test_examples_write_imports_where_git_ignores_them():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/imports/" in ignored and "*.rejected.csv" in ignored
    targets = re.findall(r"--(?:out|into) ([\w./-]+)", DOC)
    assert targets and all(t.startswith("imports/") or t in ("DATASET", "PATH") for t in targets), targets


def test_placeholders_skips_and_duplicate_modes_are_documented():
    from timeline.importers import base, reading

    row = next(line for line in DOC.splitlines() if line.startswith("| ACLED, UCDP, `--format csv` |"))
    assert {v for v in base.PLACEHOLDERS if v} == set(re.findall(r"`([^`]+)`", row.split("|")[2]))
    flat = " ".join(DOC.split())  # wrapped lines read as one
    assert gdelt.OUTSIDE in flat and reading.HXL_SKIP in flat
    for mode in command.DUPLICATE_MODES:
        assert f"`{mode}`" in DOC
    assert "--encoding NAME" in DOC and "--date-format FORMAT" in DOC


def test_the_command_lists_the_formats_it_has():
    from timeline.importers import base

    assert (*command.formats(), command.CSV) == command.FORMAT_NAMES
    assert tuple(n for n, f in command.formats().items() if f.date_columns) == command.DATE_FORMATS
    assert command.DEFAULT_CHUNK_ROWS == base.DEFAULT_CHUNK_ROWS
